"""The checkpoint: which rows of a registry import are on the ledger, appended and fsynced per batch.

Format: JSON lines. Each line is one finished batch:

    {"v": 1, "registry": "companies", "batch": 3, "through_line": 601,
     "committed": ["C-0001", ...], "counts": {"imported": 195, "duplicate": 3, "rejected": 2}}

`committed` lists the row ids whose outcome is final on the ledger (imported, or found already there);
rejected rows are not listed, so a re-run tries them again (after the data or the ledger was fixed).
A line is written only after every transaction of its batch was committed or refused, and the file
is fsynced, so after a crash the checkpoint never claims a row that is not on the ledger; a row
committed but not yet checkpointed is found on the ledger by the next run (a duplicate, not a second
registration). A torn last line (crash mid-write) is ignored.

Memory: the ids of committed rows are kept as 8-byte digests (about 100 bytes per row in a dict).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import IO

from govledger.errors import GovledgerError

VERSION = 1


def _digest(row_id: str) -> bytes:
    return hashlib.blake2b(row_id.encode(), digest_size=8).digest()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


class Checkpoint:
    def __init__(self, path: Path, registry: str) -> None:
        self.path = path
        self.registry = registry
        self._committed: dict[bytes, int] = {}  # row id digest -> the batch that committed it
        self.totals: Counter[str] = Counter()
        self.batches = 0
        self.through_line = 0
        self._load()
        self._file: IO[str] | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line
                if entry.get("v") != VERSION or entry.get("registry") != self.registry:
                    raise GovledgerError(
                        "import.checkpoint_mismatch",
                        f"{self.path} is a checkpoint of {entry.get('registry')!r}, not {self.registry!r}",
                    )
                batch = int(entry["batch"])
                self._committed.update((_digest(r), batch) for r in entry["committed"])
                self.totals.update(entry["counts"])
                self.batches = max(self.batches, batch)
                self.through_line = max(self.through_line, int(entry["through_line"]))

    def __contains__(self, row_id: object) -> bool:
        return isinstance(row_id, str) and _digest(row_id) in self._committed

    def batch_of(self, row_id: str) -> int:
        """The batch that committed `row_id` (0: none)."""
        return self._committed.get(_digest(row_id), 0)

    def record(self, through_line: int, committed: list[str], counts: Counter[str]) -> None:
        """Append one finished batch and make it durable before the next batch starts."""
        self.batches += 1
        self.through_line = max(self.through_line, through_line)
        self._committed.update((_digest(r), self.batches) for r in committed)
        self.totals.update(counts)
        entry = {
            "v": VERSION,
            "registry": self.registry,
            "batch": self.batches,
            "through_line": through_line,
            "committed": committed,
            "counts": dict(sorted(counts.items())),
        }
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and self.path.stat().st_size > 0 and not _ends_with_newline(self.path)
            self._file = self.path.open("a", encoding="utf-8")
            if torn:
                self._file.write("\n")  # end the torn line, so this entry stands on its own
        self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
