"""Counting day: the guardians' joint decryption of the tally (ElectionGuard 2.0 §3.6), on the ledger.

Theory of operation
-------------------
When the poll closes (end_block, see timers.py) the running aggregate is recorded as the encrypted
tally and a `Counting` record cuts its options, in `tally.tally_targets` order, into chunks of 16
(one chunk's round-1 share must fit in a transaction). Each chunk is an independent joint
decryption in the four rounds of §3.6.3:

1. `post_decryption_share`: an available guardian i posts M_i = A^P(i) and its commitments (a_i, b_i)
   for every target of the chunk. Validators check shape and group membership.
2. When the k-th share of a chunk arrives, every validator computes, in that transaction's `apply`,
   M = prod M_i^w_i with the Lagrange weights of exactly those k guardians (eq. 67-68) and the joint
   challenges c (eq. 70-71), and records them: these k guardians are the chunk's set U. Missing
   guardians need nothing: any k of n suffice and no secret is reconstructed (2.0 spec, Note 3.5).
   Shares beyond k are refused (`voting.quorum_reached`).
3. `post_decryption_response`: each guardian of U posts v_i = u_i - c w_i P(i). Validators check it
   alone against eq. (74)-(75) and refuse it, naming the guardian, if it fails.
4. When U's last response arrives, `tally.combine_decryption` re-checks them all and sums them into
   the joint proof (c, v) per target. When every chunk is done, `tally.build_decrypted_tally` gives
   T = B / M and t per option: the result, with its proofs, phase `tallied`.

Shares and responses are accepted only in phase `closed` ("counting day"): never while ballots can
still arrive. If a guardian of U never responds, the official's `restart_decryption` starts a new
attempt (every chunk again, with fresh nonces and whichever k guardians post first); shares and
responses name their attempt so that nothing stale is mixed in (`voting.stale_attempt`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.voting import crypto, rules, store
from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    TALLIED,
    Counting,
    Election,
    PostDecryptionResponse,
    PostDecryptionShare,
    RestartDecryption,
)
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event
from govledger.voting.records import DecryptionResponse, DecryptionShare, GuardianPublicKey
from govledger.voting.tally import Target

NAME = "voting"

Body = PostDecryptionShare | PostDecryptionResponse


def _counting(view: AppView, b: Body, op: str) -> tuple[Election, Counting, list[Target]]:
    """Phase, attempt and chunk checks shared by both guardian messages; the chunk's targets."""
    election = store.load_election(view, b.election_id)
    rules.phase(election, op)
    counting = store.get_counting(view, b.election_id)
    tally = store.get_tally(view, b.election_id)
    assert counting is not None and tally is not None, "the close writes both"
    if b.attempt != counting.attempt:
        fail("voting.stale_attempt", f"the current decryption attempt is {counting.attempt}, not {b.attempt}")
    if not 0 <= b.chunk < counting.chunks:
        fail("voting.unknown_chunk", f"chunk {b.chunk} is not in 0..{counting.chunks - 1}")
    return election, counting, crypto.chunk_targets(tally, b.chunk)


def _keys(view: AppView, election: Election) -> list[GuardianPublicKey]:
    rnd = store.load_ceremony(view, election.election_id).round
    return store.guardian_keys(view, election.election_id, rnd, len(election.guardians))


# --- post_decryption_share -----------------------------------------------------------------------------


def _signers_share(view: AppView, b: PostDecryptionShare, ctx: TxContext) -> Requirement:
    return rules.guardian(view, store.load_election(view, b.election_id), b.share.guardian)


def _check_share(view: AppView, b: PostDecryptionShare, ctx: TxContext) -> None:
    election, _, targets = _counting(view, b, "post_decryption_share")
    i = b.share.guardian
    cs = store.get_chunk_state(view, b.election_id, b.attempt, b.chunk)
    if i in cs.sharers:
        fail("voting.already_posted", f"guardian {i} already posted its share of chunk {b.chunk}")
    if len(cs.sharers) >= election.quorum:
        fail("voting.quorum_reached", f"chunk {b.chunk} has its {election.quorum} shares")
    problem = crypto.decryption_share_problem(b.share, len(targets))
    if problem:
        fail("voting.bad_decryption_share", f"guardian {i}, chunk {b.chunk}: {problem}")


def _shares(
    view: AppView, e: str, attempt: int, chunk: int, guardians: tuple[int, ...]
) -> list[DecryptionShare]:
    found = [store.get_decryption_share(view, e, attempt, chunk, i) for i in guardians]
    assert all(s is not None for s in found), "a chunk lists only guardians whose share is stored"
    return [s for s in found if s is not None]


def _apply_share(state: AppState, b: PostDecryptionShare, ctx: TxContext) -> list[Event]:
    election, _, targets = _counting(state, b, "post_decryption_share")
    e, i = b.election_id, b.share.guardian
    store.put_decryption_share(state, e, b.attempt, b.chunk, b.share)
    cs = store.get_chunk_state(state, e, b.attempt, b.chunk)
    sharers = tuple(sorted({*cs.sharers, i}))
    store.put_chunk_state(state, e, b.attempt, b.chunk, msgspec.structs.replace(cs, sharers=sharers))
    events = [event(NAME, "decryption_share_posted", e, guardian=i, attempt=b.attempt, chunk=b.chunk)]
    if len(sharers) == election.quorum:
        shares = _shares(state, e, b.attempt, b.chunk, sharers)
        challenge = crypto.start_chunk(election, targets, shares, ctx.height)
        store.put_chunk_challenge(state, e, b.attempt, b.chunk, challenge)
        guardians = ",".join(str(g) for g in sharers)
        events.append(
            event(NAME, "decryption_challenge", e, attempt=b.attempt, chunk=b.chunk, guardians=guardians)
        )
    return events


# --- post_decryption_response --------------------------------------------------------------------------


def _signers_response(view: AppView, b: PostDecryptionResponse, ctx: TxContext) -> Requirement:
    return rules.guardian(view, store.load_election(view, b.election_id), b.response.guardian)


def _check_response(view: AppView, b: PostDecryptionResponse, ctx: TxContext) -> None:
    election, _, targets = _counting(view, b, "post_decryption_response")
    e, i = b.election_id, b.response.guardian
    chunk = store.get_chunk_challenge(view, e, b.attempt, b.chunk)
    if chunk is None:
        fail("voting.no_challenge", f"chunk {b.chunk} has fewer than {election.quorum} shares")
    if i not in chunk.challenge.guardians:
        fail(
            "voting.not_in_quorum",
            f"guardian {i} is not in chunk {b.chunk}'s set {list(chunk.challenge.guardians)}",
        )
    if i in store.get_chunk_state(view, e, b.attempt, b.chunk).responders:
        fail("voting.already_posted", f"guardian {i} already answered chunk {b.chunk}")
    share = store.get_decryption_share(view, e, b.attempt, b.chunk, i)
    assert share is not None
    problem = crypto.response_problem(_keys(view, election), targets, share, chunk.challenge, b.response)
    if problem:
        fail("voting.bad_decryption_response", f"guardian {i}, chunk {b.chunk}: {problem}")


def _responses(
    view: AppView, e: str, attempt: int, chunk: int, guardians: tuple[int, ...]
) -> list[DecryptionResponse]:
    found = [store.get_decryption_response(view, e, attempt, chunk, i) for i in guardians]
    assert all(r is not None for r in found)
    return [r for r in found if r is not None]


def _finish_chunk(
    state: AppState, election: Election, b: PostDecryptionResponse, targets: list[Target], ctx: TxContext
) -> list[Event]:
    e = election.election_id
    chunk = store.get_chunk_challenge(state, e, b.attempt, b.chunk)
    assert chunk is not None
    guardians = chunk.challenge.guardians
    result = crypto.finish_chunk(
        _keys(state, election),
        targets,
        _shares(state, e, b.attempt, b.chunk, guardians),
        chunk,
        _responses(state, e, b.attempt, b.chunk, guardians),
        ctx.height,
    )
    store.put_chunk_result(state, e, b.attempt, b.chunk, result)
    counting = store.get_counting(state, e)
    assert counting is not None
    counting = msgspec.structs.replace(counting, done=tuple(sorted({*counting.done, b.chunk})))
    store.put_counting(state, e, counting)
    events = [event(NAME, "chunk_decrypted", e, attempt=b.attempt, chunk=b.chunk)]
    if len(counting.done) == counting.chunks:
        events.append(_publish(state, election, counting, ctx))
    return events


def _publish(state: AppState, election: Election, counting: Counting, ctx: TxContext) -> Event:
    e = election.election_id
    tally = store.get_tally(state, e)
    results = [store.get_chunk_result(state, e, counting.attempt, c) for c in range(counting.chunks)]
    assert tally is not None and all(r is not None for r in results)
    result = crypto.decrypted_tally(election, tally, [r for r in results if r is not None])
    store.put_result(state, e, result)
    store.put_election(state, msgspec.structs.replace(election, phase=TALLIED, tallied_height=ctx.height))
    return event(NAME, "result_published", e, ballots=tally.ballot_count, attempt=counting.attempt)


def _apply_response(state: AppState, b: PostDecryptionResponse, ctx: TxContext) -> list[Event]:
    election, _, targets = _counting(state, b, "post_decryption_response")
    e, i = b.election_id, b.response.guardian
    store.put_decryption_response(state, e, b.attempt, b.chunk, b.response)
    cs = store.get_chunk_state(state, e, b.attempt, b.chunk)
    responders = tuple(sorted({*cs.responders, i}))
    store.put_chunk_state(state, e, b.attempt, b.chunk, msgspec.structs.replace(cs, responders=responders))
    events = [event(NAME, "decryption_response_posted", e, guardian=i, attempt=b.attempt, chunk=b.chunk)]
    if len(responders) == election.quorum:
        events += _finish_chunk(state, election, b, targets, ctx)
    return events


# --- restart_decryption --------------------------------------------------------------------------------


def _signers_restart(view: AppView, b: RestartDecryption, ctx: TxContext) -> Requirement:
    rules.identifier(b.election_id, "election_id")
    return rules.official(store.load_election(view, b.election_id).authority_org)


def _check_restart(view: AppView, b: RestartDecryption, ctx: TxContext) -> None:
    rules.phase(store.load_election(view, b.election_id), "restart_decryption")


def _apply_restart(state: AppState, b: RestartDecryption, ctx: TxContext) -> list[Event]:
    counting = store.get_counting(state, b.election_id)
    assert counting is not None
    store.put_counting(
        state, b.election_id, msgspec.structs.replace(counting, attempt=counting.attempt + 1, done=())
    )
    return [event(NAME, "decryption_restarted", b.election_id, attempt=counting.attempt + 1)]


OPERATIONS: dict[str, Operation[Any]] = {
    "post_decryption_share": Operation(
        PostDecryptionShare,
        _signers_share,
        _check_share,
        _apply_share,
        "Round 1: guardian i's partial decryptions and commitments for one chunk (after close).",
    ),
    "post_decryption_response": Operation(
        PostDecryptionResponse,
        _signers_response,
        _check_response,
        _apply_response,
        "Round 3: guardian i's responses to the joint challenge; the last one publishes the chunk.",
    ),
    "restart_decryption": Operation(
        RestartDecryption,
        _signers_restart,
        _check_restart,
        _apply_restart,
        "Start a new decryption attempt when a guardian of U does not respond (official).",
    ),
}
