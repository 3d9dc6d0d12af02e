"""Time-driven rules, run once per block after its transactions (`App.end_block`), from block time only.

Rules
-----
- A priority notice is in force while `block time < expires_ms`; a lease runs until `end_ms`. Every rule
  that depends on them compares block time directly, so correctness never waits for this sweep.
- The sweep makes state say so: each `expiry/<time>/<kind>/<parcel>/<id>` entry due at or before the
  block's time is removed, the notice deleted or the lease marked `expired`, and the parcel gets a title
  version with an unsigned entry (`priority_notice_expired`, `lease_expired`) and an event.
- Entries are visited in key order (time, then kind, parcel, id): deterministic. At most
  `MAX_EXPIRIES_PER_BLOCK` per block; the rest wait for the next block (bounded work per block).
- An entry whose item has already gone (used, cancelled, terminated, carried) is just removed.
"""

from __future__ import annotations

from collections.abc import Callable

from govledger.apps.land import store
from govledger.apps.land.model import ACTIVE, EXPIRED, MAX_EXPIRIES_PER_BLOCK, Lease
from govledger.ledger.app import AppState, BlockContext, event
from govledger.ledger.block import Event

NAME = "land"


def _expire_notice(state: AppState, ctx: BlockContext, parcel_id: str, notice_id: str) -> list[Event]:
    n = store.get_notice(state, parcel_id)
    if n is None or n.notice_id != notice_id:
        return []
    state.delete(store.notice_key(parcel_id))
    title = store.get_title(state, parcel_id)
    if title is None or title.status != ACTIVE or title.notice != notice_id:
        return []
    entry = store.block_entry("priority_notice_expired", [notice_id], ctx.height, ctx.time_ms)
    t = store.next_title(state, title, entry, notice="")
    return [event(NAME, "priority_notice_expired", parcel_id, version=t.version, notice_id=notice_id)]


def _expire_lease(state: AppState, ctx: BlockContext, parcel_id: str, lease_id: str) -> list[Event]:
    r = store.get_rrr(state, parcel_id, lease_id)
    title = store.get_title(state, parcel_id)
    if r is None or r.status != ACTIVE or not isinstance(r.terms, Lease) or title is None:
        return []
    entry = store.block_entry("lease_expired", [lease_id], ctx.height, ctx.time_ms)
    t = store.end_rrr(state, title, r, EXPIRED, entry)
    return [event(NAME, "lease_expired", parcel_id, version=t.version, lease_id=lease_id)]


EXPIRE: dict[str, Callable[[AppState, BlockContext, str, str], list[Event]]] = {
    "notice": _expire_notice,
    "lease": _expire_lease,
}


def end_block(state: AppState, ctx: BlockContext) -> list[Event]:
    events: list[Event] = []
    for key, _ in state.scan(store.EXPIRY_PREFIX, limit=MAX_EXPIRIES_PER_BLOCK):
        due_ms, kind, parcel_id, item_id = store.parse_expiry_key(key)
        if due_ms > ctx.time_ms:
            break
        state.delete(key)
        events += EXPIRE[kind](state, ctx, parcel_id, item_id)
    return events
