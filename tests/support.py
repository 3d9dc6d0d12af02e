"""Helpers shared by the app test harnesses."""

from __future__ import annotations


class MemStore:
    """A StateReader over a dict (the committed state)."""

    def __init__(self, data: dict[bytes, bytes] | None = None) -> None:
        self.data = dict(data or {})

    def get(self, full_key: bytes) -> bytes | None:
        return self.data.get(full_key)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        after = b"" if start_after is None else start_after
        keys = sorted(k for k in self.data if k.startswith(prefix) and k > after)[:limit]
        return [(k, self.data[k]) for k in keys]
