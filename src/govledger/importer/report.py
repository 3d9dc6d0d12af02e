"""The reconciliation report: what became of every row, as CSV (one line per row) and JSON (the sums).

`<report>.csv` columns: row_id, line, outcome, code, reason, tx_id
- outcome `imported`: this run registered the row (code `ok`, the transaction id);
- outcome `duplicate`: the row was already on the ledger, equal (an earlier run, or an earlier row of
  the same file: the app's "exists" code, or `tx.replay` when an earlier run's very transaction is
  found), or its row id repeats one imported earlier in the same run (`import.duplicate_row_id`; a
  later run skips such a row like any row in the checkpoint);
- outcome `rejected`: the CSV is wrong (`import.*`) or the ledger refused it (the app's code, e.g.
  `land.unknown_party`); `reason` says why in words.
Rows skipped because the checkpoint lists them are not repeated (they were reported by the run that
imported them): a resumed run appends to the same CSV, so the file covers the whole import.

`<report>.json`: registry, source file, checkpoint, whether the file was read to the end, the counts
of this run (imported, duplicate, rejected, skipped) and of every run (from the checkpoint), and the
rejections of this run by code.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

COLUMNS = ("row_id", "line", "outcome", "code", "reason", "tx_id")
IMPORTED, DUPLICATE, REJECTED, SKIPPED = "imported", "duplicate", "rejected", "skipped"


@dataclass(frozen=True)
class Outcome:
    row_id: str
    line: int
    outcome: str
    code: str
    reason: str = ""
    tx_id: str = ""


class Report:
    def __init__(self, base: Path, *, append: bool) -> None:
        self.csv_path = base.with_name(base.name + ".csv")
        self.json_path = base.with_name(base.name + ".json")
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not append or not self.csv_path.exists()
        self._file: IO[str] = self.csv_path.open("w" if fresh else "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        if fresh:
            self._writer.writerow(COLUMNS)
        self.counts: Counter[str] = Counter()
        self.rejected_by_code: Counter[str] = Counter()

    def add(self, o: Outcome) -> None:
        self.counts[o.outcome] += 1
        if o.outcome == SKIPPED:
            return
        if o.outcome == REJECTED:
            self.rejected_by_code[o.code] += 1
        self._writer.writerow([o.row_id, o.line, o.outcome, o.code, " ".join(o.reason.split()), o.tx_id])

    def flush(self) -> None:
        self._file.flush()

    def write_summary(self, summary: dict[str, Any]) -> None:
        tmp = self.json_path.with_name(self.json_path.name + ".tmp")
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.json_path)

    def close(self) -> None:
        self._file.close()
