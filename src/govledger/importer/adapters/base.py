"""What a registry adapter is, and the field parsers adapters share.

An adapter turns one CSV row into a `Plan`: the app operation and body that registers it, the
parties whose custodial keys must sign, the state key whose presence means the row is already on the
ledger, and how to tell whether the value stored there says what the row says. It validates only
what the CSV can get wrong (numbers, hex, lists, dates: `import.*` codes, `RowError`); the business
rules stay the app's, and come back as its own codes from the node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from govledger.codec import Record
from govledger.errors import GovledgerError
from govledger.importer.custody import Custody

Fields = Mapping[str, str]
LIST_SEPARATOR = ";"
MAX_LIST_ITEMS = 256


class RowError(GovledgerError):
    """A row the importer cannot turn into a transaction; the import goes on with the next row."""


@dataclass(frozen=True)
class Plan:
    """One transaction for a row, and how to recognise it on the ledger.

    `before`: transactions that must be committed first (a birth's people registered with the privacy
    app); the runner submits them as an earlier round of the same batch, and a row whose prerequisite
    fails is rejected with the prerequisite's code.
    """

    app: str
    op: str
    body: Record
    custody_parties: tuple[str, ...]
    state_key: bytes
    same: Callable[[bytes], bool]
    before: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class Adapter:
    """One importable registry: its CLI name, app, CSV columns and row planner."""

    name: str
    app: str
    columns: tuple[str, ...]
    plan: Callable[[Fields, Custody], Plan]
    exists_codes: frozenset[str]  # receipt codes meaning "this id is already registered"
    doc: str


def text(fields: Fields, name: str, *, required: bool = True) -> str:
    value = fields[name]
    if required and not value:
        raise RowError("import.missing_value", f"{name} is empty")
    return value


def integer(fields: Fields, name: str) -> int:
    value = text(fields, name)
    if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 20:
        raise RowError("import.bad_number", f"{name} {value!r} is not a whole number")
    return int(value)


def hex32(fields: Fields, name: str) -> bytes:
    value = text(fields, name)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise RowError("import.bad_hex", f"{name} must be 64 hex digits (a SHA-256 or a vault commitment)")
    return raw


def items(value: str, name: str) -> list[str]:
    """`a;b;c` -> ["a", "b", "c"] (empty -> [])."""
    if not value:
        return []
    out = [v.strip() for v in value.split(LIST_SEPARATOR)]
    if len(out) > MAX_LIST_ITEMS or any(not v for v in out):
        raise RowError(
            "import.bad_list", f"{name}: at most {MAX_LIST_ITEMS} non-empty items separated by ';'"
        )
    return out


def parts(item: str, name: str, count: int) -> list[str]:
    """`a:b:c` with exactly `count` parts."""
    out = [p.strip() for p in item.split(":")]
    if len(out) != count or any(not p for p in out):
        raise RowError("import.bad_list", f"{name}: item {item!r} needs {count} parts separated by ':'")
    return out


def number(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise RowError("import.bad_number", f"{name} {value!r} is not a whole number")
    return int(value)


def fraction(value: str, name: str) -> Fraction:
    """`1/2`, `1` (whole); normalised to lowest terms."""
    num_text, _, den_text = value.partition("/")
    num, den = number(num_text, name), number(den_text or "1", name)
    if not 0 < num <= den:
        raise RowError("import.bad_share", f"{name} {value!r} must be a fraction in (0, 1]")
    return Fraction(num, den)


def date_ms(value: str, name: str) -> int:
    """`YYYY-MM-DD` (UTC midnight) in milliseconds since 1970 (earlier dates cannot be block times);
    empty -> 0."""
    if not value:
        return 0
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise RowError("import.bad_date", f"{name} {value!r} is not a date YYYY-MM-DD") from None
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    if moment.year < 1970:
        raise RowError("import.bad_date", f"{name} {value!r} is before 1970")
    return int(moment.timestamp()) * 1000
