"""Casting with the device's proof commitments: the fast path, its fallback, precise refusals, sizes."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.voting import crypto, device, record, store
from govledger.apps.voting.model import MAX_BALLOT_BODY_BYTES, CastBallot, ElectionExport
from govledger.codec import decode, encode
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import CodecError, TxRejected
from govledger.ledger import tx as txmod
from govledger.voting.ballot import ElectionContext, plaintext_ballot
from govledger.voting.group import exp_bytes
from govledger.voting.records import BallotStyle, ContestDescription, ProofCommitments, RangeProof
from govledger.voting.verify import BallotChecker, Report

from . import world as w
from .conftest import World
from .harness import Ledger, SeededRandom, cred_pub, credential

CHOICE = {"mayor": {"alice": 1}, "council": {"dan": 1, "eve": 1}, "measure-1": {"yes": 1}}


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Which path decided each ballot check the app ran: "fast" (the commitments' batched check
    accepted) or "standard"; and a fresh verdict cache, so that every check really runs."""
    seen: list[str] = []
    original = BallotChecker.verify_ballot

    def spy(
        self: BallotChecker, ballot: object, report: Report | None = None, commitments: object = None
    ) -> Report:
        out = original(self, ballot, report, commitments)  # type: ignore[arg-type]
        seen.append("fast" if out.passed["H"] else "standard")
        return out

    monkeypatch.setattr(BallotChecker, "verify_ballot", spy)
    monkeypatch.setattr(crypto, "_VERDICTS", {})
    yield seen


def _body(led: Ledger, voter: int = 1) -> CastBallot:
    _, body, _ = w.encrypt(w.context(led), voter, CHOICE).cast()
    assert isinstance(body, CastBallot)
    return body


def _tampered(body: CastBallot) -> CastBallot:
    """Option 2 of contest 1 with its first response replaced: the proof no longer verifies."""
    contest = body.ballot.contests[0]
    sel = contest.selections[1]
    bad_sel = msgspec.structs.replace(
        sel, proof=RangeProof(sel.proof.challenges, (exp_bytes(7), *sel.proof.responses[1:]))
    )
    bad_contest = msgspec.structs.replace(
        contest, selections=(contest.selections[0], bad_sel, *contest.selections[2:])
    )
    ballot = msgspec.structs.replace(body.ballot, contests=(bad_contest, *body.ballot.contests[1:]))
    return msgspec.structs.replace(body, ballot=ballot)


def test_a_cast_with_commitments_is_checked_on_the_fast_path_and_keeps_them(
    voting_world: World, paths: list[str]
) -> None:
    led = voting_world.led
    body = _body(led)
    assert body.commitments is not None and body.commitments.ballot_id == body.ballot.ballot_id
    assert MAX_BALLOT_BODY_BYTES < len(encode(body)) <= txmod.MAX_BODY_BYTES  # needed the larger limit
    led.ok("cast_ballot", body, credential(1))
    assert paths == ["fast"]
    assert store.get_hint(led.view, w.E, body.ballot.ballot_id) == body.commitments


def test_a_cast_without_commitments_takes_the_standard_path_and_stores_none(
    voting_world: World, paths: list[str]
) -> None:
    led = voting_world.led
    body = msgspec.structs.replace(_body(led), commitments=None)
    led.ok("cast_ballot", body, credential(1))
    assert paths == ["standard"]
    assert store.get_hint(led.view, w.E, body.ballot.ballot_id) is None


def _wrong_hints(body: CastBallot) -> list[ProofCommitments]:
    hint = body.commitments
    assert hint is not None
    first = hint.proofs[0]
    swapped = (first[1], first[0], *first[2:])  # a_0 and b_0 exchanged: well-formed, wrong
    return [
        msgspec.structs.replace(hint, proofs=(swapped, *hint.proofs[1:])),
        msgspec.structs.replace(hint, proofs=hint.proofs[:-1]),  # one proof missing
        msgspec.structs.replace(hint, proofs=(first[:2], *hint.proofs[1:])),  # one proof cut short
        msgspec.structs.replace(hint, ballot_id="another-ballot"),
        msgspec.structs.replace(hint, proofs=((bytes(512),) * len(first), *hint.proofs[1:])),  # zeros
    ]


def test_wrong_commitments_with_valid_proofs_are_accepted_by_the_fallback(
    voting_world: World, paths: list[str]
) -> None:
    led = voting_world.led
    for n, wrong in enumerate(_wrong_hints(_body(led, 1))):
        body = msgspec.structs.replace(_body(led, n + 1), commitments=None)
        # the wrong hint of one ballot, adapted to this ballot's id where the id is not the point
        hint = (
            wrong
            if wrong.ballot_id == "another-ballot"
            else msgspec.structs.replace(wrong, ballot_id=body.ballot.ballot_id)
        )
        paths.clear()
        led.ok("cast_ballot", msgspec.structs.replace(body, commitments=hint), credential(n + 1))
        assert paths == ["standard"], f"hint {n}: the fast path accepted a wrong hint"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_corrupted_commitment_leaves_the_verdict_alone(voting_world: World, data: st.DataObject) -> None:
    """One flipped bit anywhere in the hint: a valid ballot passes, its tampered twin fails the same way."""
    led = voting_world.led
    body = _body(led, 3)
    hint = body.commitments
    assert hint is not None
    p = data.draw(st.integers(0, len(hint.proofs) - 1), label="proof")
    e = data.draw(st.integers(0, len(hint.proofs[p]) - 1), label="element")
    bit = data.draw(st.integers(0, 8 * 512 - 1), label="bit")
    elem = bytearray(hint.proofs[p][e])
    elem[bit // 8] ^= 1 << (bit % 8)
    proof = (*hint.proofs[p][:e], bytes(elem), *hint.proofs[p][e + 1 :])
    wrong = msgspec.structs.replace(hint, proofs=(*hint.proofs[:p], proof, *hint.proofs[p + 1 :]))
    checker = crypto._checker(w.election(led))
    assert crypto.check_ballot(checker, body.ballot, wrong) == ()
    bad = _tampered(body).ballot
    assert crypto.check_ballot(checker, bad, wrong) == crypto.check_ballot(checker, bad) != ()


def test_a_tampered_ballot_is_refused_with_the_same_code_and_message_either_way(
    voting_world: World, paths: list[str]
) -> None:
    led = voting_world.led
    body = _tampered(_body(led))
    messages = []
    for hint in (body.commitments, None, *_wrong_hints(body)):
        crypto._VERDICTS.clear()  # each variant is checked, not remembered
        r = led.refused(
            "cast_ballot",
            msgspec.structs.replace(body, commitments=hint),
            credential(1),
            code="voting.bad_ballot",
        )
        messages.append(r.message)
    assert messages[0].startswith("[5.D] ballot") and "contest 1 ('mayor') option 2 ('bob')" in messages[0]
    assert set(messages) == {messages[0]}
    assert "fast" not in paths


def test_an_explicit_nil_hint_is_not_canonical(voting_world: World) -> None:
    body = msgspec.structs.replace(_body(voting_world.led), commitments=None)
    raw = encode(body)
    assert b"commitments" not in raw  # absent, not nil: the bytes of a cast before the field existed
    assert decode(raw, CastBallot) == body
    as_dict = msgspec.msgpack.decode(raw)
    as_dict["commitments"] = None
    with pytest.raises(CodecError) as err:
        decode(msgspec.msgpack.encode(as_dict, order="deterministic"), CastBallot)
    assert err.value.code == "codec.not_canonical"


# --- sizes --------------------------------------------------------------------------------------------


def _raw_tx(body: bytes, keys: list[SigningKey]) -> bytes:
    return encode(txmod.build("chain", "voting", "cast_ballot", body, keys, nonce=1, expiry_height=10))


def test_the_body_limit_is_enforced_and_leaves_room_for_two_hybrid_signers() -> None:
    hybrid = [SigningKey.generate(Scheme.HYBRID_ED25519_ML_DSA_65) for _ in range(2)]
    full = _raw_tx(bytes(txmod.MAX_BODY_BYTES), hybrid)
    assert len(full) <= txmod.MAX_TX_BYTES
    txmod.decode_tx(full)
    with pytest.raises(TxRejected) as err:
        txmod.decode_tx(_raw_tx(bytes(txmod.MAX_BODY_BYTES + 1), hybrid[:1]))
    assert err.value.code == "tx.body_too_large"


def test_an_oversize_cast_is_refused_at_admission(voting_world: World) -> None:
    body = _body(voting_world.led)
    assert body.commitments is not None
    more = txmod.MAX_BODY_BYTES - len(encode(body)) + 1  # bytes to add to be over by one
    extra = (body.commitments.proofs[-1][0],) * (more // 515 + 1)  # 515 bytes per encoded element
    over = msgspec.structs.replace(
        body, commitments=msgspec.structs.replace(body.commitments, proofs=(*body.commitments.proofs, extra))
    )
    assert len(encode(over)) > txmod.MAX_BODY_BYTES
    with pytest.raises(TxRejected) as err:
        txmod.decode_tx(_raw_tx(encode(over), [credential(1)]))
    assert err.value.code == "tx.body_too_large"


def _wide_context(led: Ledger, options: int) -> ElectionContext:
    """The test election's key with a one-contest manifest of `options` 0/1 options (sizes only)."""
    ctx = w.context(led)
    manifest = msgspec.structs.replace(
        ctx.manifest,
        contests=(ContestDescription("wide", tuple(f"o{j}" for j in range(options))),),
        ballot_styles=(BallotStyle("all", (1,)),),
    )
    return ElectionContext.create(manifest, ctx.joint_key, ctx.extended_base_hash)


@pytest.mark.parametrize(("options", "hinted"), [(15, True), (16, False), (25, False)])
def test_the_device_sends_commitments_only_when_they_fit(
    voting_world: World, options: int, hinted: bool
) -> None:
    ctx = _wide_context(voting_world.led, options)
    assert crypto.largest_ballot_body(ctx.manifest)[0] <= MAX_BALLOT_BODY_BYTES  # an acceptable manifest
    bound, _ = crypto.largest_cast_body(ctx.manifest)
    plain = plaintext_ballot(ctx.manifest, "x" * 64, "all", {"wide": {"o1": 1}})
    held = device.encrypt(ctx, plain, device="d" * 64, rng=SeededRandom(options))
    body = device.cast_body(w.E, cred_pub(credential(1)), held)
    assert (body.commitments is not None) is hinted
    assert len(encode(body)) <= txmod.MAX_BODY_BYTES
    assert (bound <= txmod.MAX_BODY_BYTES) is hinted
    with_hint = CastBallot(w.E, cred_pub(credential(1)), held.encrypted, held.commitments)
    assert len(encode(with_hint)) <= bound  # the bound covers a real ballot with 64-character ids
    assert device.cast_body(w.E, cred_pub(credential(1)), held, with_commitments=False).commitments is None


# --- the record ---------------------------------------------------------------------------------------


def test_the_export_carries_the_commitments_and_the_verifier_uses_them(small_export: ElectionExport) -> None:
    exported = small_export
    ids = {sb.ballot.ballot_id for sb in exported.record.ballots} | {
        u.ballot.ballot_id for u in exported.uncounted
    }
    assert exported.commitments and {c.ballot_id for c in exported.commitments} <= ids
    fast = record.verify_export(exported)
    assert fast.ok, fast.summary()
    bare = record.verify_export(msgspec.structs.replace(exported, commitments=()))
    assert bare.ok and bare.passed["H"] == 0 and fast.passed["H"] > 0  # the hints were used
    assert set(fast.passed) - {"H"} == set(bare.passed)
    assert record.load(record.dump(exported, as_json=False)) == exported
    old = record.dump(msgspec.structs.replace(exported, commitments=()), as_json=False)
    assert "commitments" not in msgspec.msgpack.decode(old)  # files without hints keep their old format
