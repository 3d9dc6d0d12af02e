"""Counting day: the close, k-of-n decryption shares with Lagrange over the guardians present,
responses checked one by one, the published result, restarts, and nothing before the close."""

from __future__ import annotations

import msgspec

from govledger.apps.voting import crypto, queries, store
from govledger.apps.voting.model import (
    CLOSED,
    FAILED,
    TALLIED,
    BallotPage,
    ElectionId,
    PostDecryptionResponse,
    PostDecryptionShare,
    RestartDecryption,
)
from govledger.voting.group import elem_bytes, exp_bytes
from govledger.voting.records import DecryptionResponse
from govledger.voting.tally import aggregate, decryption_response, decryption_share

from . import world as w
from .conftest import CLOSED_EXPECTED, World
from .harness import A, Ledger, SeededRandom


def _result(led: Ledger) -> dict[str, list[int]]:
    r = queries.result(led.view, ElectionId(w.E))
    assert r is not None
    return {c.label: [o.value for o in c.options] for c in r.contests}


def _share(led: Ledger, g: w.Guardian, chunk: int = 0, seed: int = 5) -> PostDecryptionShare:
    d = queries.decryption(led.view, ElectionId(w.E))
    tally = store.get_tally(led.view, w.E)
    assert d is not None and tally is not None
    share, nonces = decryption_share(
        g.index, g.key_share, crypto.chunk_targets(tally, chunk), SeededRandom(seed)
    )
    g.nonces[(d.attempt, chunk)] = nonces
    return PostDecryptionShare(w.E, d.attempt, chunk, share)


def _response(led: Ledger, g: w.Guardian, chunk: int = 0) -> PostDecryptionResponse:
    d = queries.decryption(led.view, ElectionId(w.E))
    assert d is not None and d.chunks[chunk].challenge is not None
    response = decryption_response(
        g.index, g.key_share, g.nonces[(d.attempt, chunk)], d.chunks[chunk].challenge.challenge
    )
    return PostDecryptionResponse(w.E, d.attempt, chunk, response)


def test_the_close_records_the_encrypted_tally_of_the_counted_ballots(closed_world: World) -> None:
    led = closed_world.led
    e = w.election(led)
    assert e.phase == CLOSED and e.closed_height == led.height
    tally = queries.encrypted_tally(led.view, ElectionId(w.E))
    cast = [entry.ballot for entry in queries.ballots(led.view, BallotPage(w.E)) if entry.status == "cast"]
    assert len(cast) == 4 and tally == aggregate(e.manifest, cast)
    d = queries.decryption(led.view, ElectionId(w.E))
    assert d is not None and d.attempt == 1 and d.targets == 9 and len(d.chunks) == 1
    assert led.events[-1].kind == "poll_closed" and led.events[-1].attributes["ballots"] == 4


def test_three_of_five_decrypt_with_two_absent(closed_world: World) -> None:
    led = closed_world.led
    g1, _, g3, _, g5 = closed_world.guardians
    w.decrypt(led, [g1, g3, g5])
    assert _result(led) == CLOSED_EXPECTED
    e = w.election(led)
    assert e.phase == TALLIED and e.tallied_height == led.height
    d = queries.decryption(led.view, ElectionId(w.E))
    assert d is not None and d.chunks[0].challenge is not None
    assert d.chunks[0].challenge.challenge.guardians == (1, 3, 5) and d.chunks[0].done
    kinds = [ev.kind for ev in led.events]
    assert kinds.count("decryption_share_posted") == 3 and kinds.count("decryption_challenge") == 1
    assert kinds[-1] == "result_published"


def test_decryption_is_refused_before_the_close(voting_world: World) -> None:
    led = voting_world.led
    g = voting_world.guardians[0]
    share, _ = decryption_share(1, g.key_share, [], SeededRandom(1))
    led.refused(
        "post_decryption_share", PostDecryptionShare(w.E, 1, 0, share), g.signer, code="voting.not_closed"
    )
    led.refused("restart_decryption", RestartDecryption(w.E), A.official, code="voting.not_closed")


def test_share_rules(closed_world: World) -> None:
    led = closed_world.led
    g1, g2, g3, g4, _ = closed_world.guardians
    body = _share(led, g1)
    led.refused("post_decryption_share", body, g2.signer, code="auth.missing_signers")
    led.refused("post_decryption_share", body, A.official, code="auth.missing_signers")
    led.refused(
        "post_decryption_share",
        msgspec.structs.replace(body, attempt=2),
        g1.signer,
        code="voting.stale_attempt",
    )
    led.refused(
        "post_decryption_share",
        msgspec.structs.replace(body, chunk=1),
        g1.signer,
        code="voting.unknown_chunk",
    )
    short = msgspec.structs.replace(body.share, partials=body.share.partials[:-1])
    led.refused(
        "post_decryption_share",
        msgspec.structs.replace(body, share=short),
        g1.signer,
        code="voting.bad_decryption_share",
    )
    off_group = msgspec.structs.replace(body.share, partials=(elem_bytes(3), *body.share.partials[1:]))
    r = led.refused(
        "post_decryption_share",
        msgspec.structs.replace(body, share=off_group),
        g1.signer,
        code="voting.bad_decryption_share",
    )
    assert "subgroup" in r.message
    led.ok("post_decryption_share", body, g1.signer)
    led.refused("post_decryption_share", body, g1.signer, code="voting.already_posted")
    led.refused(
        "post_decryption_response",
        _response_without_challenge(led, g1),
        g1.signer,
        code="voting.no_challenge",
    )
    led.ok("post_decryption_share", _share(led, g2), g2.signer)
    led.ok("post_decryption_share", _share(led, g3), g3.signer)
    led.refused("post_decryption_share", _share(led, g4), g4.signer, code="voting.quorum_reached")


def _response_without_challenge(led: Ledger, g: w.Guardian) -> PostDecryptionResponse:
    return PostDecryptionResponse(w.E, 1, 0, DecryptionResponse(g.index, (exp_bytes(1),) * 9))


def test_response_rules(closed_world: World) -> None:
    led = closed_world.led
    g1, g2, g3, g4, _ = closed_world.guardians
    for g in (g1, g2, g3):
        led.ok("post_decryption_share", _share(led, g, seed=g.index), g.signer)
    body = _response(led, g1)
    led.refused("post_decryption_response", body, g2.signer, code="auth.missing_signers")
    outsider = msgspec.structs.replace(body, response=msgspec.structs.replace(body.response, guardian=4))
    led.refused("post_decryption_response", outsider, g4.signer, code="voting.not_in_quorum")
    tampered = msgspec.structs.replace(
        body,
        response=msgspec.structs.replace(
            body.response, responses=(exp_bytes(5), *body.response.responses[1:])
        ),
    )
    r = led.refused("post_decryption_response", tampered, g1.signer, code="voting.bad_decryption_response")
    assert r.message.startswith("guardian 1, chunk 0: target 0") and "eq. 74" in r.message
    led.ok("post_decryption_response", body, g1.signer)
    led.refused("post_decryption_response", body, g1.signer, code="voting.already_posted")
    led.ok("post_decryption_response", _response(led, g2), g2.signer)
    r = led.ok("post_decryption_response", _response(led, g3), g3.signer)
    assert [e.kind for e in r.events] == ["decryption_response_posted", "chunk_decrypted", "result_published"]
    assert _result(led) == CLOSED_EXPECTED
    led.refused("post_decryption_share", _share(led, g4), g4.signer, code="voting.already_tallied")
    led.refused("restart_decryption", RestartDecryption(w.E), A.official, code="voting.already_tallied")


def test_a_silent_guardian_is_replaced_by_restarting_the_decryption(closed_world: World) -> None:
    led = closed_world.led
    g1, g2, g3, g4, g5 = closed_world.guardians
    for g in (g1, g2, g3):
        led.ok("post_decryption_share", _share(led, g, seed=g.index), g.signer)
    led.ok("post_decryption_response", _response(led, g1), g1.signer)
    led.ok("post_decryption_response", _response(led, g2), g2.signer)
    late = _response(led, g3)  # guardian 3 does not answer in time...
    led.refused("restart_decryption", RestartDecryption(w.E), g1.signer, code="auth.missing_signers")
    led.ok("restart_decryption", RestartDecryption(w.E), A.official)
    # ... so the official started attempt 2, and its attempt-1 answer is stale
    led.refused("post_decryption_response", late, g3.signer, code="voting.stale_attempt")
    w.decrypt(led, [g2, g4, g5], seed=3)
    assert _result(led) == CLOSED_EXPECTED
    d = queries.decryption(led.view, ElectionId(w.E))
    assert d is not None and d.attempt == 2


def test_an_election_without_a_key_fails_at_the_close(setup_world: World) -> None:
    led = setup_world.led
    w.close_poll(led)
    e = w.election(led)
    assert e.phase == FAILED and "key ceremony" in e.failure
    assert [ev.kind for ev in led.events[-1:]] == ["election_failed"]


def test_an_empty_election_tallies_zero(ready_world: World) -> None:
    led = ready_world.led
    w.open_voting(led)
    w.close_poll(led)
    w.decrypt(led, ready_world.guardians[2:])
    assert _result(led) == {"mayor": [0, 0, 0], "council": [0, 0, 0, 0], "measure-1": [0, 0]}
