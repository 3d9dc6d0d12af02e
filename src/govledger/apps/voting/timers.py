"""Time-driven rules, run once per block after its transactions (`App.end_block`), from block time only.

Rules
-----
- Every election has two timers, `timer/<opens_ms>/open/<e>` and `timer/<closes_ms>/close/<e>`
  (`reschedule` moves them). Entries due at or before the block's time are handled in key order
  (time, kind, election), at most MAX_TIMERS_PER_BLOCK per block; the rest wait for the next block.
- open: an election whose key is ready enters `voting` (one whose ceremony is still running enters it
  when the last guardian confirms). Ballots never wait for this: their rule compares block time with
  the window directly.
- close: the poll is closed. With a key, the running aggregate of the cast ballots becomes the
  recorded encrypted tally (`tally/<e>`, spec §3.5: no ballot is read, the product was kept up to date
  ballot by ballot), a `Counting` record splits its options into decryption chunks, and the phase is
  `closed`: counting day, when guardians' decryption shares are accepted. Without a key the election
  is `failed`: there is nothing to count.
- A timer whose time no longer matches the election's window (moved by `reschedule`) is just removed.
"""

from __future__ import annotations

import msgspec

from govledger.apps.voting import crypto, store
from govledger.apps.voting.model import (
    CLOSED,
    FAILED,
    KEY_READY,
    MAX_TIMERS_PER_BLOCK,
    TIMER_CLOSE,
    TIMER_OPEN,
    VOTING,
    Counting,
)
from govledger.codec import hash_of
from govledger.ledger.app import AppState, BlockContext, event
from govledger.ledger.block import Event
from govledger.voting.tally import tally_targets

NAME = "voting"


def _open(state: AppState, ctx: BlockContext, e: str, due_ms: int) -> list[Event]:
    election = store.get_election(state, e)
    if election is None or election.opens_ms != due_ms or election.phase != KEY_READY:
        return []
    store.put_election(state, msgspec.structs.replace(election, phase=VOTING, opened_height=ctx.height))
    return [event(NAME, "voting_opened", e, closes_ms=election.closes_ms)]


def _close(state: AppState, ctx: BlockContext, e: str, due_ms: int) -> list[Event]:
    election = store.get_election(state, e)
    if election is None or election.closes_ms != due_ms or election.phase in (CLOSED, FAILED):
        return []
    if not election.joint_key:
        reason = "the key ceremony did not complete before the poll closed"
        store.put_election(
            state, msgspec.structs.replace(election, phase=FAILED, closed_height=ctx.height, failure=reason)
        )
        return [event(NAME, "election_failed", e, reason=reason)]
    counts = store.load_counts(state, e)
    tally = store.record_tally(state, e, election.manifest, counts.cast)
    targets = len(tally_targets(tally))
    store.put_counting(state, e, Counting(attempt=1, targets=targets, chunks=crypto.chunk_count(targets)))
    store.put_election(state, msgspec.structs.replace(election, phase=CLOSED, closed_height=ctx.height))
    return [event(NAME, "poll_closed", e, ballots=counts.cast, tally_hash=hash_of(tally))]


def end_block(state: AppState, ctx: BlockContext) -> list[Event]:
    events: list[Event] = []
    for key, _ in state.scan(store.TIMER_PREFIX, limit=MAX_TIMERS_PER_BLOCK):
        due_ms, kind, e = store.parse_timer_key(key)
        if due_ms > ctx.time_ms:
            break
        state.delete(key)
        handler = _open if kind == TIMER_OPEN else _close
        assert kind in (TIMER_OPEN, TIMER_CLOSE), f"unknown timer kind {kind!r}"
        events += handler(state, ctx, e, due_ms)
    return events
