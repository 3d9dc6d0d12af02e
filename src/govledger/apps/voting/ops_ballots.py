"""Ballot casting and the Benaloh challenge: who may submit a ballot, when, and which one counts.

Rules (in the order `check` applies them, cheapest first, so a refused ballot costs almost nothing)
-----------------------------------------------------------------------------------------------
1. The transaction is signed by the credential named in the body and by nobody else
   (`voting.extra_signers`): a voter's governance or identity key next to the credential would link
   the ballot to the person on the public ledger.
2. The key ceremony is complete (`voting.key_not_ready`) and block time is inside
   [opens_ms, closes_ms) (`voting.outside_window`).
3. The credential is registered and not revoked (`voting.ineligible`), the ballot's style is the
   credential's (`voting.wrong_style`), and the credential is under its bounds of 16 cast and 16
   challenged ballots (`voting.too_many_ballots`).
4. The block holds fewer than MAX_BALLOTS_PER_BLOCK ballots of any election (`voting.block_full`):
   verifying a ballot costs ~100-160 ms of one core without the commitments (the worst case: an
   author can always send a wrong hint, which costs the batched attempt and then the standard check,
   ~1.3 times the latter), so 16 per block keep a block's execution within ~2.5-3 s per validator.
   A refused ballot is not lost: the client submits it again.
5. The ballot id is a fresh identifier (`voting.duplicate_ballot`), the confirmation code is fresh
   (`voting.duplicate_code`), and B_aux is the device's B_aux,0 (`voting.bad_device`).
6. Every proof verifies: `verify.BallotChecker.verify_ballot` (Verification 5, 6, 7.A, 7.B and shape)
   (`voting.bad_ballot`, with the failing step in the message). A cast may carry the device's proof
   commitments (`CastBallot.commitments`): then the equations are checked at once, ~3.5 times faster,
   and a ballot whose hint is wrong is checked the standard way, so its verdict, code and message
   are those of a cast without the hint. The hint is kept beside the ballot (`hint/<e>/<id>`) for
   the election record, whose verifier uses it the same way.
7. For a challenge, the reveal re-encrypts to this very ballot and confirmation code
   (`ballot.check_reveal`, `voting.bad_reveal`).

`cast_ballot` makes the ballot the credential's counted one: a previous cast ballot of the same
credential becomes `superseded` and is divided out of the running aggregate (revoting, so a voter
coerced into one vote can replace it later). `challenge_ballot` records the ballot with its reveal
as `challenged`: it is spoiled, never counted, and does not touch the credential's counted ballot.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.voting import crypto, rules, store
from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    CAST,
    CHALLENGED,
    MAX_BALLOTS_PER_BLOCK,
    MAX_BALLOTS_PER_CREDENTIAL,
    MAX_CHALLENGES_PER_CREDENTIAL,
    SUPERSEDED,
    BallotEntry,
    BlockMeter,
    CastBallot,
    ChallengeBallot,
    Credential,
    Election,
)
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event
from govledger.voting.records import EncryptedBallot

NAME = "voting"

Body = CastBallot | ChallengeBallot


def _signers(view: AppView, b: Body, ctx: TxContext) -> Requirement:
    return rules.credential(b.credential)


def _admissible(view: AppView, b: Body, ctx: TxContext, op: str) -> Election:
    """Rules 1-6, shared by cast and challenge."""
    if len(ctx.signer_ids) != 1:
        fail("voting.extra_signers", "a ballot is signed by its credential alone")
    rules.identifier(b.election_id, "election_id")
    election = store.load_election(view, b.election_id)
    if not rules.key_ready(election):
        fail("voting.key_not_ready", f"election {b.election_id!r} has no joint key yet")
    if not election.opens_ms <= ctx.time_ms < election.closes_ms:
        fail("voting.outside_window", f"voting is open in [{election.opens_ms}, {election.closes_ms})")
    rules.phase(election, op)
    _eligible(view, election, b, op)
    m = store.meter(view)
    if m.height == ctx.height and m.ballots >= MAX_BALLOTS_PER_BLOCK:
        fail("voting.block_full", f"this block holds its {MAX_BALLOTS_PER_BLOCK} ballots; submit again")
    _fresh(view, b.election_id, b.ballot)
    hint = b.commitments if isinstance(b, CastBallot) else None
    problems = crypto.ballot_problems(election, b.ballot, hint)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fail("voting.bad_ballot", f"{problems[0]}{more}")
    return election


def _eligible(view: AppView, election: Election, b: Body, op: str) -> Credential:
    rules.credential_key(b.credential)
    cred = store.get_credential(view, election.election_id, b.credential)
    if cred is None or cred.revoked_height:
        fail(
            "voting.ineligible", f"credential {b.credential.hex()} is not a valid credential of the election"
        )
    if b.ballot.style != cred.style:
        fail("voting.wrong_style", f"the credential votes ballot style {cred.style}, not {b.ballot.style}")
    if op == "cast_ballot" and cred.cast >= MAX_BALLOTS_PER_CREDENTIAL:
        fail("voting.too_many_ballots", f"a credential casts at most {MAX_BALLOTS_PER_CREDENTIAL} ballots")
    if op == "challenge_ballot" and cred.challenged >= MAX_CHALLENGES_PER_CREDENTIAL:
        fail("voting.too_many_ballots", f"a credential challenges at most {MAX_CHALLENGES_PER_CREDENTIAL}")
    return cred


def _fresh(view: AppView, election_id: str, ballot: EncryptedBallot) -> None:
    rules.identifier(ballot.ballot_id, "ballot_id")
    if store.get_ballot(view, election_id, ballot.ballot_id) is not None:
        fail("voting.duplicate_ballot", f"ballot id {ballot.ballot_id!r} is taken")
    if store.get_code(view, ballot.confirmation_code) is not None:
        fail("voting.duplicate_code", f"confirmation code {ballot.confirmation_code.hex()} is taken")
    rules.identifier(ballot.device, "device")
    if not crypto.device_ok(ballot):
        fail("voting.bad_device", f"B_aux must be B_aux,0 of device {ballot.device!r} (no chaining)")


def _record(state: AppState, b: Body, ctx: TxContext, status: str) -> BallotEntry:
    """Write the ballot and its indexes, bump the block meter; returns the new entry."""
    e = b.election_id
    counts = store.load_counts(state, e)
    entry = BallotEntry(
        election_id=e,
        seq=counts.ballots + 1,
        status=status,
        ballot=b.ballot,
        credential=b.credential,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_id=ctx.tx_id,
        reveal=b.reveal if isinstance(b, ChallengeBallot) else None,
    )
    store.add_ballot(state, entry)
    m = store.meter(state)
    used = m.ballots if m.height == ctx.height else 0
    store.put_meter(state, BlockMeter(height=ctx.height, ballots=used + 1))
    return entry


# --- cast_ballot ---------------------------------------------------------------------------------------


def _check_cast(view: AppView, b: CastBallot, ctx: TxContext) -> None:
    _admissible(view, b, ctx, "cast_ballot")


def _supersede(state: AppState, e: str, ballot_id: str, by: str, height: int) -> bool:
    old = store.get_ballot(state, e, ballot_id) if ballot_id else None
    if old is None or old.status != CAST:
        return False
    store.uncount_ballot(state, e, old.ballot)
    store.put_ballot(
        state, msgspec.structs.replace(old, status=SUPERSEDED, replaced_by=by, ended_height=height)
    )
    return True


def _apply_cast(state: AppState, b: CastBallot, ctx: TxContext) -> list[Event]:
    e, ballot = b.election_id, b.ballot
    entry = _record(state, b, ctx, CAST)
    if b.commitments is not None:
        store.put_hint(state, e, b.commitments)
    store.count_ballot(state, e, ballot)
    cred = store.get_credential(state, e, b.credential)
    assert cred is not None
    replaced = _supersede(state, e, cred.current, ballot.ballot_id, ctx.height)
    store.put_credential(
        state, e, msgspec.structs.replace(cred, current=ballot.ballot_id, cast=cred.cast + 1)
    )
    counts = store.load_counts(state, e)
    store.put_counts(
        state,
        e,
        msgspec.structs.replace(
            counts,
            ballots=entry.seq,
            cast=counts.cast + (0 if replaced else 1),
            superseded=counts.superseded + (1 if replaced else 0),
        ),
    )
    return [
        event(
            NAME,
            "ballot_cast",
            e,
            code=ballot.confirmation_code,
            seq=entry.seq,
            replaces=cred.current if replaced else "",
        )
    ]


# --- challenge_ballot ----------------------------------------------------------------------------------


def _check_challenge(view: AppView, b: ChallengeBallot, ctx: TxContext) -> None:
    election = _admissible(view, b, ctx, "challenge_ballot")
    if b.reveal.ballot_id != b.ballot.ballot_id:
        fail(
            "voting.bad_reveal", f"the reveal opens ballot {b.reveal.ballot_id!r}, not {b.ballot.ballot_id!r}"
        )
    problems = crypto.reveal_problems(election, b.ballot, b.reveal)
    if problems:
        fail("voting.bad_reveal", "; ".join(problems[:3]))


def _apply_challenge(state: AppState, b: ChallengeBallot, ctx: TxContext) -> list[Event]:
    e = b.election_id
    entry = _record(state, b, ctx, CHALLENGED)
    cred = store.get_credential(state, e, b.credential)
    assert cred is not None
    store.put_credential(state, e, msgspec.structs.replace(cred, challenged=cred.challenged + 1))
    counts = store.load_counts(state, e)
    store.put_counts(
        state, e, msgspec.structs.replace(counts, ballots=entry.seq, challenged=counts.challenged + 1)
    )
    return [event(NAME, "ballot_challenged", e, code=b.ballot.confirmation_code, seq=entry.seq)]


OPERATIONS: dict[str, Operation[Any]] = {
    "cast_ballot": Operation(
        CastBallot,
        _signers,
        _check_cast,
        _apply_cast,
        "Cast an encrypted ballot with a credential; it replaces the credential's previous one.",
    ),
    "challenge_ballot": Operation(
        ChallengeBallot,
        _signers,
        _check_challenge,
        _apply_challenge,
        "Challenge (spoil) an encrypted ballot and publish its Benaloh reveal; never counted.",
    ),
}
