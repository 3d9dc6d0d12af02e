"""Casting, revoting and challenging ballots: eligibility, the window, proofs, reveals, bounds."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.voting import ops_ballots, queries, store
from govledger.apps.voting.model import (
    CAST,
    CHALLENGED,
    SUPERSEDED,
    WITHDRAWN,
    ByCode,
    CastBallot,
    ChallengeBallot,
    CredentialRef,
    RevokeCredential,
)
from govledger.voting.ballot import device_aux0
from govledger.voting.group import exp_bytes
from govledger.voting.records import EncryptedTallyContest, RangeProof
from govledger.voting.tally import aggregate

from . import world as w
from .conftest import World
from .harness import A, Ledger, codes, cred_pub, credential, key

CHOICE = {"mayor": {"alice": 1}, "council": {"dan": 1, "eve": 1}, "measure-1": {"yes": 1}}


def _ballot(led: Ledger, voter: int = 1) -> w.Ballot:
    return w.encrypt(w.context(led), voter, CHOICE)


def _aggregate(led: Ledger) -> list[EncryptedTallyContest]:
    e = w.election(led)
    out = []
    for i in range(1, len(e.manifest.contests) + 1):
        agg = led.view.get_as(store.aggregate_key(w.E, i), EncryptedTallyContest)
        assert agg is not None
        out.append(agg)
    return out


def test_cast_a_ballot_and_look_it_up_by_its_code(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led)
    (r,) = led.run([b.cast()])
    assert r.code == "ok", r.message
    assert [(e.kind, e.subject) for e in r.events] == [("ballot_cast", w.E)]
    assert r.events[0].attributes["code"] == b.encrypted.confirmation_code.hex()
    status = queries.ballot_by_code(led.view, ByCode(b.encrypted.confirmation_code))
    assert status is not None and status.status == CAST and status.counted and status.height == led.height
    assert status.ballot_id == b.encrypted.ballot_id and status.seq == 1
    assert queries.ballot_by_code(led.view, ByCode(bytes(32))) is None
    cred = queries.credential(led.view, CredentialRef(w.E, cred_pub(credential(1))))
    assert cred is not None and cred.current == b.encrypted.ballot_id and cred.cast == 1
    counts = store.load_counts(led.view, w.E)
    assert (counts.ballots, counts.cast) == (1, 1)
    expected = aggregate(w.election(led).manifest, [b.encrypted])
    assert _aggregate(led) == list(expected.contests)


def test_a_revote_replaces_the_previous_ballot_in_the_aggregate(voting_world: World) -> None:
    led = voting_world.led
    first, other = _ballot(led, 1), _ballot(led, 2)
    second = w.encrypt(w.context(led), 1, {"mayor": {"carol": 1}, "council": {}, "measure-1": {"no": 1}})
    led.run([first.cast(), other.cast()])
    (r,) = led.run([second.cast()])
    assert r.code == "ok" and r.events[0].attributes["replaces"] == first.encrypted.ballot_id
    old = queries.ballot_by_code(led.view, ByCode(first.encrypted.confirmation_code))
    assert old is not None and old.status == SUPERSEDED and not old.counted
    assert old.replaced_by == second.encrypted.ballot_id and old.ended_height == led.height
    counts = store.load_counts(led.view, w.E)
    assert (counts.ballots, counts.cast, counts.superseded) == (3, 2, 1)
    expected = aggregate(w.election(led).manifest, [other.encrypted, second.encrypted])
    assert _aggregate(led) == list(expected.contests)


def test_a_challenged_ballot_is_opened_and_never_counted(voting_world: World) -> None:
    led = voting_world.led
    cast, spoiled = _ballot(led, 1), _ballot(led, 1)
    led.run([cast.cast()])
    (r,) = led.run([spoiled.challenge()])
    assert r.code == "ok", r.message
    assert r.events[0].kind == "ballot_challenged"
    status = queries.ballot_by_code(led.view, ByCode(spoiled.encrypted.confirmation_code))
    assert status is not None and status.status == CHALLENGED and not status.counted
    entry = store.get_ballot(led.view, w.E, spoiled.encrypted.ballot_id)
    assert entry is not None and entry.reveal == spoiled.reveal()
    # the credential's counted ballot is untouched, the aggregate holds the cast ballot only
    cred = store.get_credential(led.view, w.E, cred_pub(credential(1)))
    assert cred is not None and cred.current == cast.encrypted.ballot_id and cred.challenged == 1
    assert _aggregate(led) == list(aggregate(w.election(led).manifest, [cast.encrypted]).contests)


def test_revoking_a_credential_withdraws_its_ballot(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led, 3)
    led.run([b.cast()])
    r = led.ok(
        "revoke_credential", RevokeCredential(w.E, cred_pub(credential(3)), "voted_on_paper"), A.official
    )
    assert r.events[0].attributes["withdrawn"] == b.encrypted.ballot_id
    status = queries.ballot_by_code(led.view, ByCode(b.encrypted.confirmation_code))
    assert status is not None and status.status == WITHDRAWN and not status.counted
    assert _aggregate(led) == list(aggregate(w.election(led).manifest, []).contests)
    led.refused("cast_ballot", *_op(_ballot(led, 3).cast()), code="voting.ineligible")


def _op(op: tuple[str, object, list[object]]) -> tuple[object, ...]:
    _, body, signers = op
    return (body, *signers)


def _cast(led: Ledger, body: CastBallot, *signers: object, code: str) -> None:
    led.refused("cast_ballot", body, *signers, code=code)


def test_signers(voting_world: World) -> None:
    led = voting_world.led
    _, body, _ = _ballot(led).cast()
    assert isinstance(body, CastBallot)
    _cast(led, body, credential(2), code="auth.missing_signers")
    _cast(led, body, credential(1), A.clerk, code="voting.extra_signers")
    _cast(
        led,
        msgspec.structs.replace(body, credential=b"\x01" * 31),
        credential(1),
        code="voting.bad_credential",
    )


def test_outside_the_window(ready_world: World) -> None:
    led = ready_world.led
    _, body, signers = _ballot(led).cast()
    _cast(led, body, *signers, code="voting.outside_window")  # key ready, window not open
    led.time_ms = w.election(led).closes_ms - 500  # this block is past the close
    assert led.do("cast_ballot", body, *signers).code == "voting.outside_window"
    assert w.election(led).phase == "closed"


def test_no_ballot_before_the_key(setup_world: World, voting_world: World) -> None:
    led = setup_world.led
    w.open_voting(led)
    _, body, signers = _ballot(voting_world.led).cast()
    _cast(led, body, *signers, code="voting.key_not_ready")


def test_eligibility(voting_world: World) -> None:
    led = voting_world.led
    stranger = key(424242)
    b = _ballot(led)
    body = CastBallot(w.E, cred_pub(stranger), b.encrypted)
    _cast(led, body, stranger, code="voting.ineligible")
    city_voter = _ballot(led, 31)  # a credential for style "city" voting style "all"
    _cast(led, *_op(city_voter.cast()), code="voting.wrong_style")
    city = w.encrypt(w.context(led), 31, {"mayor": {"bob": 1}, "measure-1": {"no": 1}}, style="city")
    assert led.run([city.cast()])[0].code == "ok"


def test_duplicates(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led, 1)
    led.run([b.cast()])
    _cast(led, *_op(b.cast()), code="voting.duplicate_ballot")
    # voter 2 replays voter 1's encrypted ballot under a new id: same contests, same code
    copied = msgspec.structs.replace(b.encrypted, ballot_id="copy-1")
    _cast(led, CastBallot(w.E, cred_pub(credential(2)), copied), credential(2), code="voting.duplicate_code")


def test_the_device_label_is_b_aux_0(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led)
    body = CastBallot(w.E, cred_pub(credential(1)), msgspec.structs.replace(b.encrypted, device="booth-2"))
    _cast(led, body, credential(1), code="voting.bad_device")
    chained = w.encrypt(w.context(led), 1, CHOICE, device="booth-2")
    wrong_aux = msgspec.structs.replace(chained.encrypted, aux=bytes(32) + device_aux0("booth-2"))
    _cast(led, CastBallot(w.E, cred_pub(credential(1)), wrong_aux), credential(1), code="voting.bad_device")


def test_bad_proofs_are_refused_with_the_failing_step(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led)
    contest = b.encrypted.contests[0]
    sel = contest.selections[1]
    bad_proof = RangeProof(sel.proof.challenges, (exp_bytes(7), *sel.proof.responses[1:]))
    bad_sel = msgspec.structs.replace(sel, proof=bad_proof)
    bad_contest = msgspec.structs.replace(
        contest, selections=(contest.selections[0], bad_sel, *contest.selections[2:])
    )
    bad = msgspec.structs.replace(b.encrypted, contests=(bad_contest, *b.encrypted.contests[1:]))
    body = CastBallot(w.E, cred_pub(credential(1)), bad)
    r = led.refused("cast_ballot", body, credential(1), code="voting.bad_ballot")
    assert r.message.startswith("[5.D] ballot") and "contest 1 ('mayor') option 2 ('bob')" in r.message
    wrong_code = msgspec.structs.replace(b.encrypted, confirmation_code=bytes(32))
    r = led.refused(
        "cast_ballot",
        CastBallot(w.E, cred_pub(credential(1)), wrong_code),
        credential(1),
        code="voting.bad_ballot",
    )
    assert r.message.startswith("[7.B]")
    missing = msgspec.structs.replace(b.encrypted, contests=b.encrypted.contests[:2])
    r = led.refused(
        "cast_ballot",
        CastBallot(w.E, cred_pub(credential(1)), missing),
        credential(1),
        code="voting.bad_ballot",
    )
    assert r.message.startswith("[S]")


def test_bad_reveals(voting_world: World) -> None:
    led = voting_world.led
    b = _ballot(led)
    lie = w.encrypt(w.context(led), 1, {"mayor": {"bob": 1}, "council": {"dan": 1}, "measure-1": {"no": 1}})
    other_plain = msgspec.structs.replace(lie.plain, ballot_id=b.encrypted.ballot_id)
    fake = msgspec.structs.replace(b.reveal(), plaintext=other_plain)
    body = ChallengeBallot(w.E, cred_pub(credential(1)), b.encrypted, fake)
    r = led.refused("challenge_ballot", body, credential(1), code="voting.bad_reveal")
    assert "does not encrypt" in r.message
    wrong_nonce = msgspec.structs.replace(b.reveal(), ballot_nonce=bytes(32))
    body = ChallengeBallot(w.E, cred_pub(credential(1)), b.encrypted, wrong_nonce)
    led.refused("challenge_ballot", body, credential(1), code="voting.bad_reveal")
    body = ChallengeBallot(w.E, cred_pub(credential(1)), b.encrypted, lie.reveal())
    led.refused("challenge_ballot", body, credential(1), code="voting.bad_reveal")


def test_a_credential_casts_a_bounded_number_of_ballots(
    voting_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ops_ballots, "MAX_BALLOTS_PER_CREDENTIAL", 2)
    monkeypatch.setattr(ops_ballots, "MAX_CHALLENGES_PER_CREDENTIAL", 1)
    led = voting_world.led
    led.run([_ballot(led).cast()])
    led.run([_ballot(led).cast()])
    _cast(led, *_op(_ballot(led).cast()), code="voting.too_many_ballots")
    assert led.run([_ballot(led).challenge()])[0].code == "ok"
    led.refused("challenge_ballot", *_op(_ballot(led).challenge()), code="voting.too_many_ballots")


def test_ballots_per_block_are_bounded(voting_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_ballots, "MAX_BALLOTS_PER_BLOCK", 2)
    led = voting_world.led
    ballots = [_ballot(led, v) for v in (1, 2, 3)]
    receipts = led.run([b.cast() for b in ballots])
    assert codes(receipts) == ["ok", "ok", "voting.block_full"]
    assert led.run([ballots[2].cast()])[0].code == "ok"  # submitted again, in the next block


def test_challenge_signers(voting_world: World) -> None:
    led = voting_world.led
    _, body, _ = _ballot(led).challenge()
    assert isinstance(body, ChallengeBallot)
    led.refused("challenge_ballot", body, credential(2), code="auth.missing_signers")
    led.refused("challenge_ballot", body, credential(1), A.official, code="voting.extra_signers")
    led.ok("challenge_ballot", body, credential(1))
