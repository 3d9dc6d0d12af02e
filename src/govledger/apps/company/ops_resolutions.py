"""Shareholder resolutions: proposed by the board, voted by shares held at a record height, closed by time.

Theory of operation
-------------------
Delaware fixes a record date; only holders of record on that date vote, with the shares they held
then, whatever they sold since. Here the record date is a `record_height` (at or after the proposal's
height, as a board cannot fix a record date before its own decision). A holder's weight is
`sum over classes of votes_per_share x shares held at the end of block record_height`; store.py
keeps that amount by copy-on-write snapshots, so a vote costs a few key reads, not a history scan.

Votes are accepted from the block after the record height (`company.voting_not_open`) until the
deadline (block time, `company.voting_closed`); each party votes once (`company.already_voted`) with
a non-zero weight (`company.no_voting_shares`). The tally is kept on the resolution as votes come in.

At the first block whose time reaches the deadline, `end_block` closes it with `RESOLUTION_RULES`:

| kind          | quorum (share of all votes outstanding at the record height that voted) | passes when |
|---------------|------|-------------------------------------------------------------|
| `ordinary`    | 50 % | yes > half of the yes + no votes cast                        |
| `special`     | 50 % | yes >= 75 % of the yes + no votes cast (and more than half)  |
| `dissolution` | 50 % | yes > half of all votes outstanding at the record height     |

Abstentions count towards the quorum only. A resolution with no votes outstanding fails.

Rules
-----
- `propose_resolution` (the board): a new id (`company.resolution_exists`), a kind from the table,
  the motion's digest (the document voted on: new articles for `special` resolutions amending them),
  `record_height` in [height, height + 100000], `deadline_ms` in (block time, block time + 1 year]
  (`company.bad_time`), at most 8 open at once (`company.too_many`).
- `cast_vote` (the voting party, with its own keys): yes, no or abstain.
Open resolutions are cancelled when the company is struck off or dissolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    CHOICES,
    FAILED,
    MAX_OPEN_RESOLUTIONS,
    MAX_RECORD_AHEAD_BLOCKS,
    MAX_VOTING_MS,
    OPEN,
    PASSED,
    CastVote,
    ProposeResolution,
    Resolution,
    Vote,
)
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"
BP = 10_000  # basis points


@dataclass(frozen=True)
class ResolutionRule:
    quorum_bp: int  # of the votes outstanding at the record height
    pass_bp: int  # yes votes, of the base
    base: str  # "cast" (yes + no) or "outstanding"


RESOLUTION_RULES: Mapping[str, ResolutionRule] = {
    "ordinary": ResolutionRule(quorum_bp=5000, pass_bp=5000, base="cast"),
    "special": ResolutionRule(quorum_bp=5000, pass_bp=7500, base="cast"),
    "dissolution": ResolutionRule(quorum_bp=5000, pass_bp=5000, base="outstanding"),
}
KINDS = tuple(RESOLUTION_RULES)


def outcome(rule: ResolutionRule, yes: int, no: int, abstain: int, outstanding: int) -> tuple[bool, bool]:
    """(quorum met, passed): integer arithmetic only."""
    if outstanding <= 0:
        return False, False
    quorum = (yes + no + abstain) * BP >= rule.quorum_bp * outstanding
    base = yes + no if rule.base == "cast" else outstanding
    passed = quorum and base > 0 and yes * BP >= rule.pass_bp * base and 2 * yes > base
    return quorum, passed


def close(res: Resolution, company_outstanding: int, height: int, time_ms: int) -> Resolution:
    """The resolution as closed at (height, time_ms) with the given outstanding votes."""
    quorum, passed = outcome(RESOLUTION_RULES[res.kind], res.yes, res.no, res.abstain, company_outstanding)
    return msgspec.structs.replace(
        res,
        status=PASSED if passed else FAILED,
        outstanding=company_outstanding,
        quorum_met=quorum,
        closed_height=height,
        closed_ms=time_ms,
    )


# --- propose_resolution ----------------------------------------------------------------------------


def _shape_propose(b: ProposeResolution) -> None:
    rules.identifier(b.company_id, "company_id")
    rules.identifier(b.resolution_id, "resolution_id")
    rules.one_of(b.kind, KINDS, "resolution kind")
    rules.digest(b.motion_sha256, "motion_sha256")


def _signers_propose(view: AppView, b: ProposeResolution, ctx: TxContext) -> Requirement:
    _shape_propose(b)
    return rules.board_of(view, b.company_id, ctx.time_ms)


def _check_propose(view: AppView, b: ProposeResolution, ctx: TxContext) -> None:
    _shape_propose(b)
    company = rules.active_company(view, b.company_id)
    if store.get_resolution(view, b.company_id, b.resolution_id) is not None:
        fail("company.resolution_exists", f"resolution {b.resolution_id!r} exists")
    if len(company.open_resolutions) >= MAX_OPEN_RESOLUTIONS:
        fail("company.too_many", f"at most {MAX_OPEN_RESOLUTIONS} resolutions are open at once")
    rules.within(b.record_height, ctx.height, ctx.height + MAX_RECORD_AHEAD_BLOCKS, "record_height")
    rules.within(b.deadline_ms, ctx.time_ms + 1, ctx.time_ms + MAX_VOTING_MS, "deadline_ms")


def _apply_propose(state: AppState, b: ProposeResolution, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    res = Resolution(
        resolution_id=b.resolution_id,
        kind=b.kind,
        motion_sha256=b.motion_sha256,
        proposed_height=ctx.height,
        proposed_ms=ctx.time_ms,
        record_height=b.record_height,
        deadline_ms=b.deadline_ms,
        status=OPEN,
        yes=0,
        no=0,
        abstain=0,
        voters=0,
        outstanding=0,
        quorum_met=False,
        closed_height=0,
        closed_ms=0,
        used_by="",
    )
    store.put_resolution(state, b.company_id, res)
    store.schedule(state, b.deadline_ms, "resolution", b.company_id, b.resolution_id)
    entry = store.tx_entry(ctx, "propose_resolution", [b.resolution_id])
    c = store.next_version(
        state,
        company,
        entry,
        open_resolutions=[*company.open_resolutions, b.resolution_id],
        resolutions=company.resolutions + 1,
    )
    return [
        event(
            NAME,
            "resolution_proposed",
            b.company_id,
            version=c.version,
            resolution_id=b.resolution_id,
            kind=b.kind,
            record_height=b.record_height,
            deadline_ms=b.deadline_ms,
        )
    ]


# --- cast_vote -------------------------------------------------------------------------------------


def _shape_vote(b: CastVote) -> None:
    rules.identifier(b.company_id, "company_id")
    rules.identifier(b.resolution_id, "resolution_id")
    rules.identifier(b.party_id, "party_id")
    rules.one_of(b.choice, CHOICES, "choice")


def _signers_vote(view: AppView, b: CastVote, ctx: TxContext) -> Requirement:
    _shape_vote(b)
    return rules.parties_requirement(view, [b.party_id])


def _weight(view: AppView, b: CastVote, ctx: TxContext) -> int:
    _shape_vote(b)
    company = rules.active_company(view, b.company_id)
    store.load_party(view, b.party_id)
    res = store.load_resolution(view, b.company_id, b.resolution_id)
    if res.status != OPEN or ctx.time_ms >= res.deadline_ms:
        fail("company.voting_closed", f"resolution {b.resolution_id!r} closed at {res.deadline_ms}")
    if ctx.height <= res.record_height:
        fail("company.voting_not_open", f"voting opens after the record height {res.record_height}")
    if view.get(store.vote_key(b.company_id, b.resolution_id, b.party_id)) is not None:
        fail("company.already_voted", f"party {b.party_id!r} has voted")
    weight = store.voting_weight(view, company, res, b.party_id)
    if weight <= 0:
        fail("company.no_voting_shares", f"party {b.party_id!r} held no voting shares at the record height")
    return weight


def _check_vote(view: AppView, b: CastVote, ctx: TxContext) -> None:
    _weight(view, b, ctx)


def _apply_vote(state: AppState, b: CastVote, ctx: TxContext) -> list[Event]:
    weight = _weight(state, b, ctx)
    res = store.load_resolution(state, b.company_id, b.resolution_id)
    state.put(
        store.vote_key(b.company_id, b.resolution_id, b.party_id),
        Vote(b.party_id, b.choice, weight, ctx.height),
    )
    tally = {"yes": res.yes, "no": res.no, "abstain": res.abstain}
    tally[b.choice] += weight
    store.put_resolution(
        state,
        b.company_id,
        msgspec.structs.replace(
            res, yes=tally["yes"], no=tally["no"], abstain=tally["abstain"], voters=res.voters + 1
        ),
    )
    return [
        event(
            NAME,
            "vote_cast",
            b.company_id,
            resolution_id=b.resolution_id,
            party_id=b.party_id,
            choice=b.choice,
            weight=weight,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "propose_resolution": Operation(
        ProposeResolution,
        _signers_propose,
        _check_propose,
        _apply_propose,
        "Put a shareholder resolution to the vote, with a record height and a deadline: the board.",
    ),
    "cast_vote": Operation(
        CastVote,
        _signers_vote,
        _check_vote,
        _apply_vote,
        "Vote yes, no or abstain with the shares held at the record height: the shareholder.",
    ),
}
