"""State as it was at the end of a past block: a StateReader over the `history` table.

Every write and deletion is kept in `history` under `full_key || be64(height)` (see storage.py), so
the value of a key at height H is its last history entry at or below H. A past-state reader answers
`get` and `scan_prefix` from one LMDB read transaction, which lets an app query run unchanged against
an old height; `node/queries.py` then proves what it read against the versioned tree at that height.

A history key is the full key followed by exactly 8 bytes, so `k[:-8]` recovers the full key. A key
that is a byte prefix of another can interleave with it in the table, so a scan gathers its whole
prefix range (bounded by `MAX_SCAN_ENTRIES`) before it sorts and cuts.
"""

from __future__ import annotations

import struct

from govledger.errors import GovledgerError
from govledger.ledger.storage import Storage, scan_start, value_at

MAX_SCAN_ENTRIES = 200_000  # history entries one past-state scan may visit
_BE64 = struct.Struct(">Q")


class PastState:
    """Read-only state at the end of block `height` (a StateReader); use as a context manager."""

    def __init__(self, storage: Storage, height: int) -> None:
        tip = storage.height()
        if not 0 <= height <= tip:
            raise GovledgerError("query.unknown_height", f"height {height} is not committed (tip {tip})")
        self.height = height
        self._txn = storage.env.begin()
        self._history = storage.table("history")

    def __enter__(self) -> PastState:
        return self

    def __exit__(self, *exc: object) -> None:
        self._txn.abort()

    def get(self, full_key: bytes) -> bytes | None:
        return value_at(self._txn.cursor(db=self._history), full_key, self.height)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        latest: dict[bytes, bytes | None] = {}
        cur = self._txn.cursor(db=self._history)
        if not cur.set_range(scan_start(prefix, start_after)):
            return []
        for visited, (k, v) in enumerate(cur):
            if visited >= MAX_SCAN_ENTRIES:
                raise GovledgerError(
                    "query.too_broad", f"a past-state scan may visit at most {MAX_SCAN_ENTRIES} entries"
                )
            kb = bytes(k)
            if not kb.startswith(prefix):
                break
            full_key = kb[:-8]
            if not full_key.startswith(prefix) or (start_after is not None and full_key <= start_after):
                continue
            if _BE64.unpack(kb[-8:])[0] <= self.height:
                vb = bytes(v)
                latest[full_key] = vb[1:] if vb[:1] == b"\x01" else None
        live = sorted((k, v) for k, v in latest.items() if v is not None)
        return live[:limit]
