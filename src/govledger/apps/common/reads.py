"""Helpers of read-only queries: ids that cannot exist answer without a read, pages are bounded."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from govledger.ledger.app import AppView

T = TypeVar("T")


def valid_ids(*ids: str) -> bool:
    """Queries answer None for ids that cannot exist rather than reading odd keys."""
    return all(0 < len(i) <= 64 and i.isascii() and "/" not in i for i in ids)


def page_limit(limit: int, most: int) -> int:
    """A requested page size clamped to 1..`most`."""
    return min(max(limit, 1), most)


def scan_after(view: AppView, prefix: bytes, start_after: str, limit: int) -> list[tuple[bytes, bytes]]:
    """At most `limit` rows under `prefix` whose key follows `prefix + start_after` (all, if empty)."""
    start = prefix + start_after.encode() if start_after else None
    return view.scan(prefix, limit=limit, start_after=start)


def counted_page(
    view: AppView, prefix: bytes, start_after: str, limit: int, count: int
) -> tuple[list[tuple[str, bytes]], bool]:
    """A page of an index whose length the owner counts (`count`): (the id after `prefix`, value)
    rows, and whether the listing is complete (no row follows the page, and a page from the start
    lists all `count`)."""
    # one row past the page says whether another page follows
    rows = scan_after(view, prefix, start_after, limit + 1)
    page = [(k[len(prefix) :].decode(), v) for k, v in rows[:limit]]
    complete = len(rows) <= limit and (bool(start_after) or len(page) == count)
    return page, complete


def listed(ids: Iterable[str], get: Callable[[str], T | None], invariant: str) -> list[T]:
    """The records a parent lists by id, read one by one in its order; each must exist (`invariant`)."""
    out = []
    for i in ids:
        r = get(i)
        assert r is not None, invariant
        out.append(r)
    return out
