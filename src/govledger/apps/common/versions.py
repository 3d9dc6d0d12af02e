"""Versioned records: a register entry (a land title, a company) kept at `<record>` as it stands now
and at `<record>/<n>` as it stood after its n-th change, a version once written never rewritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from govledger.codec import Record
from govledger.ledger.app import AppState, AppView

T = TypeVar("T")


def write_version(state: AppState, version_key: bytes, current_key: bytes, record: Record, what: str) -> None:
    """Write `record` as a new version (asserting it is new), then as the current one."""
    assert state.get(version_key) is None, f"{what} versions are never rewritten"
    state.put(version_key, record)
    state.put(current_key, record)


def numbered_page(
    view: AppView,
    key_of: Callable[[int], bytes],
    type_: type[T],
    start: int,
    count: int,
    limit: int,
    what: str,
) -> list[T]:
    """Records `start`.. of the `count` kept at `key_of(1..count)`, at most `limit` of them, in order.

    `limit` is already clamped to the query's page size; `what` names the records, never deleted.
    """
    first = max(1, start)
    last = min(count, first + limit - 1)
    out = []
    for n in range(first, last + 1):
        r = view.get_as(key_of(n), type_)
        assert r is not None, f"{what} are never deleted"
        out.append(r)
    return out
