"""Helpers shared by the app test harnesses."""

from __future__ import annotations


class MemStore:
    """A StateReader over a dict (the committed state)."""

    def __init__(self, data: dict[bytes, bytes] | None = None) -> None:
        self.data = dict(data or {})

    def get(self, full_key: bytes) -> bytes | None:
        return self.data.get(full_key)

    def scan_prefix(self, prefix: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        keys = sorted(k for k in self.data if k.startswith(prefix))[:limit]
        return [(k, self.data[k]) for k in keys]
