"""Streaming CSV rows: one at a time, strict header, bounded sizes.

Rules
-----
- The file is UTF-8 (a byte-order mark is allowed), comma-separated, RFC 4180 quoting.
- The header must name exactly the registry's columns, in any order (`import.missing_column`,
  `import.unknown_column`): an unexpected column could carry data that must not reach the ledger.
- Every row has a non-empty `row_id`, the legacy register's own key, at most 128 characters; a row
  without one, or with the wrong number of fields, is reported (`import.bad_row`) under the id
  `line:<n>`, and the import goes on.
- A field is at most 64 KiB; values are stripped of surrounding spaces.
Memory does not depend on the file's size: rows are yielded as they are read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from govledger.errors import GovledgerError

MAX_FIELD_BYTES = 64 * 1024
MAX_ROW_ID_CHARS = 128


@dataclass(frozen=True)
class Row:
    """One data row: its record number (the header is 1; the line number unless a quoted field spans
    lines), its id, and its fields by column."""

    line: int
    row_id: str
    fields: Mapping[str, str]
    problem: tuple[str, str] | None = None  # (code, reason) when the row cannot even be parsed


def _open(path: Path) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_FIELD_BYTES)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            yield from csv.reader(f, strict=True)
    except UnicodeDecodeError as exc:
        raise GovledgerError("import.bad_encoding", f"{path} is not UTF-8: {exc.reason}") from None
    except csv.Error as exc:
        raise GovledgerError("import.bad_csv", f"{path}: {exc}") from None


def check_header(header: Sequence[str], columns: Sequence[str], path: Path) -> list[str]:
    names = [h.strip() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise GovledgerError("import.missing_column", f"{path}: missing column(s) {', '.join(missing)}")
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise GovledgerError("import.unknown_column", f"{path}: unexpected column(s) {', '.join(unknown)}")
    if len(set(names)) != len(names):
        raise GovledgerError("import.unknown_column", f"{path}: a column is named twice")
    return names


def read_rows(path: Path, columns: Sequence[str]) -> Iterator[Row]:
    """The data rows of `path`, checked against `columns` (which include `row_id`)."""
    rows = _open(path)
    header = next(rows, None)
    if header is None:
        raise GovledgerError("import.empty_file", f"{path} has no header line")
    names = check_header(header, columns, path)
    line = 1
    for values in rows:
        line += 1
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(names):
            reason = f"{len(values)} fields, expected {len(names)}"
            yield Row(line, f"line:{line}", {}, ("import.bad_row", reason))
            continue
        fields = {n: v.strip() for n, v in zip(names, values, strict=True)}
        row_id = fields["row_id"]
        if not row_id or len(row_id) > MAX_ROW_ID_CHARS:
            reason = f"row_id must be 1-{MAX_ROW_ID_CHARS} characters"
            yield Row(line, f"line:{line}", fields, ("import.bad_row", reason))
            continue
        yield Row(line, row_id, fields)


def count_rows(path: Path) -> int:
    """Data rows in the file (a streaming pass, for the progress bar)."""
    return max(0, sum(1 for values in _open(path) if values and any(v.strip() for v in values)) - 1)
