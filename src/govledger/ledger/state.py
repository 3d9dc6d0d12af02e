"""The state an app sees while a block executes: layered write buffers over committed state.

Keys live in one space partitioned by app: `state_key(app, key) = app || 0x00 || key`. The tree
indexes `state_key_hash(full_key)`. A block runs in a `BlockBuffer` over the committed store; each
transaction runs in a `TxBuffer` over the block buffer and is merged only if it succeeds, which is
what makes "a failed transaction changes nothing but its receipt" true by construction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Protocol

from govledger.errors import AppError

STATE_KEY_DOMAIN = b"govledger/state-key/v1\x00"
MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 256 * 1024
MAX_WRITES_PER_TX = 4096


def state_key(app: str, key: bytes) -> bytes:
    return app.encode() + b"\x00" + key


def split_state_key(full_key: bytes) -> tuple[str, bytes]:
    app, _, key = full_key.partition(b"\x00")
    return app.decode(), key


def state_key_hash(full_key: bytes) -> bytes:
    return hashlib.sha256(STATE_KEY_DOMAIN + full_key).digest()


def value_hash(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


class StateReader(Protocol):
    """Read access to state by full key (committed store, or a buffer over it)."""

    def get(self, full_key: bytes) -> bytes | None: ...

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        """Keys under `prefix` in byte order, at most `limit`, only those after `start_after` if given."""
        ...


class BlockBuffer:
    """Writes of one block, over the committed state. `None` marks a deletion."""

    def __init__(self, base: StateReader) -> None:
        self._base = base
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, full_key: bytes) -> bytes | None:
        if full_key in self.writes:
            return self.writes[full_key]
        return self._base.get(full_key)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        base = self._base.scan_prefix(prefix, limit + len(self.writes), start_after)
        return _merged_scan(base, self.writes, prefix, limit, start_after)


class TxBuffer:
    """Writes of one transaction, over the block buffer; merged only on success."""

    def __init__(self, parent: BlockBuffer) -> None:
        self._parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, full_key: bytes) -> bytes | None:
        if full_key in self.writes:
            return self.writes[full_key]
        return self._parent.get(full_key)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        base = self._parent.scan_prefix(prefix, limit + len(self.writes), start_after)
        return _merged_scan(base, self.writes, prefix, limit, start_after)

    def put(self, full_key: bytes, value: bytes) -> None:
        if len(full_key) > MAX_KEY_BYTES:
            raise AppError(
                "state.key_too_large", f"state key of {len(full_key)} bytes exceeds {MAX_KEY_BYTES}"
            )
        if len(value) > MAX_VALUE_BYTES:
            raise AppError(
                "state.value_too_large", f"state value of {len(value)} bytes exceeds {MAX_VALUE_BYTES}"
            )
        self._count_write(full_key)
        self.writes[full_key] = value

    def delete(self, full_key: bytes) -> None:
        self._count_write(full_key)
        self.writes[full_key] = None

    def merge(self) -> None:
        self._parent.writes.update(self.writes)

    def _count_write(self, full_key: bytes) -> None:
        if full_key not in self.writes and len(self.writes) >= MAX_WRITES_PER_TX:
            raise AppError(
                "state.too_many_writes", f"a transaction may write at most {MAX_WRITES_PER_TX} keys"
            )


def _merged_scan(
    base: list[tuple[bytes, bytes]],
    writes: dict[bytes, bytes | None],
    prefix: bytes,
    limit: int,
    start_after: bytes | None,
) -> list[tuple[bytes, bytes]]:
    # `base` holds `limit + len(writes)` rows (or all there are): deletions cannot leave fewer than
    # `limit`, and a written key past its last row sorts after at least `limit` rows.
    merged = dict(base)
    for k, v in writes.items():
        if k.startswith(prefix) and (start_after is None or k > start_after):
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
    return sorted(merged.items())[:limit]


def iter_changes(writes: dict[bytes, bytes | None]) -> Iterator[tuple[bytes, bytes | None]]:
    """Changes in key order, so everything derived from them is independent of write order."""
    for k in sorted(writes):
        yield k, writes[k]
