"""The key ceremony as transactions: keys with proofs, shares, complaints and their adjudication, the
joint key; a guardian at fault and the restarted round."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.voting import queries, store
from govledger.apps.voting.model import (
    DISMISSED,
    KEY_READY,
    UPHELD,
    AnswerComplaint,
    ComplainShare,
    ConfirmShares,
    ElectionId,
    GuardianSlot,
    PostGuardianKey,
    PostShares,
    RestartCeremony,
)
from govledger.voting import hash as eh
from govledger.voting import keyceremony
from govledger.voting.group import elem_bytes, exp_bytes, g_pow
from govledger.voting.records import SchnorrProof, ShareComplaint, ShareReveal
from govledger.voting.tally import guardian_share_key

from . import world as w
from .conftest import World
from .harness import A, Ledger, ok_all


def _guardians(led: Ledger) -> list[w.Guardian]:
    return w.make_guardians(w.election(led).parameter_base_hash, 5, 3)


def test_a_complete_ceremony_records_the_joint_key_and_h_e(setup_world: World) -> None:
    led = setup_world.led
    gs = w.run_ceremony(led)
    e = w.election(led)
    assert e.phase == KEY_READY and e.key_ready_height == led.height
    expected_k = keyceremony.joint_public_key([g.public for g in gs])
    assert e.joint_key == elem_bytes(expected_k)
    assert e.extended_base_hash == eh.extended_base_hash(e.base_hash, expected_k)
    view = queries.guardians(led.view, ElectionId(w.E))
    assert view is not None and view.round == 1 and view.complete and view.complaints == ()
    assert [g.key for g in view.guardians] == [g.public for g in gs]
    assert all(g.shares_posted and g.confirmed for g in view.guardians)
    assert [ev.kind for ev in led.events if ev.kind == "key_ready"] == ["key_ready"]
    # the key shares are a 3-of-5 sharing of s: g^P(i) from the public commitments matches
    for g in gs:
        assert guardian_share_key(g.index, [x.public for x in gs]) == g_pow(g.key_share)


def test_post_guardian_key_rules(setup_world: World) -> None:
    led = setup_world.led
    gs = _guardians(led)
    body = PostGuardianKey(w.E, gs[0].public)
    led.refused("post_guardian_key", body, A.guardians[1], code="auth.missing_signers")
    led.refused("post_guardian_key", body, A.official, code="auth.missing_signers")
    bad_proof = msgspec.structs.replace(
        gs[0].public,
        proofs=(SchnorrProof(gs[0].public.proofs[0].challenge, exp_bytes(12345)), *gs[0].public.proofs[1:]),
    )
    r = led.refused(
        "post_guardian_key", PostGuardianKey(w.E, bad_proof), A.guardians[0], code="voting.bad_guardian_key"
    )
    assert "proof 0" in r.message
    short = msgspec.structs.replace(
        gs[0].public, commitments=gs[0].public.commitments[:2], proofs=gs[0].public.proofs[:2]
    )
    led.refused(
        "post_guardian_key", PostGuardianKey(w.E, short), A.guardians[0], code="voting.bad_guardian_key"
    )
    wrong_index = msgspec.structs.replace(gs[0].public, index=7)
    led.refused(
        "post_guardian_key", PostGuardianKey(w.E, wrong_index), A.guardians[0], code="voting.not_guardian"
    )
    led.refused(
        "post_guardian_key",
        PostGuardianKey("nope", gs[0].public),
        A.guardians[0],
        code="voting.unknown_election",
    )
    led.ok("post_guardian_key", body, A.guardians[0])
    led.refused("post_guardian_key", body, A.guardians[0], code="voting.already_posted")


def test_post_shares_rules(setup_world: World) -> None:
    led = setup_world.led
    gs = _guardians(led)
    h_p = w.election(led).parameter_base_hash
    ops = w.share_ops(gs, h_p)
    _, body, signers = ops[0]
    assert isinstance(body, PostShares)
    w.post_keys(led, gs[:4])
    led.refused("post_shares", body, *signers, code="voting.keys_incomplete")
    w.post_keys(led, gs[4:])
    led.refused("post_shares", body, A.guardians[1], code="auth.missing_signers")
    led.refused(
        "post_shares",
        msgspec.structs.replace(body, shares=body.shares[:3]),
        *signers,
        code="voting.bad_shares",
    )
    twice = (body.shares[0], *body.shares[:3])
    led.refused(
        "post_shares", msgspec.structs.replace(body, shares=twice), *signers, code="voting.bad_shares"
    )
    off_group = (msgspec.structs.replace(body.shares[0], c0=elem_bytes(3)), *body.shares[1:])
    led.refused(
        "post_shares", msgspec.structs.replace(body, shares=off_group), *signers, code="voting.bad_shares"
    )
    led.refused(
        "post_shares", msgspec.structs.replace(body, guardian=2), A.guardians[1], code="voting.bad_shares"
    )
    led.ok("post_shares", body, *signers)
    led.refused("post_shares", body, *signers, code="voting.already_posted")


def test_confirm_needs_every_share_and_no_open_complaint(setup_world: World) -> None:
    led = setup_world.led
    gs = _guardians(led)
    w.post_keys(led, gs)
    ops = w.share_ops(gs, w.election(led).parameter_base_hash)
    ok_all(led.run(ops[:4]))
    led.refused("confirm_shares", ConfirmShares(w.E, 1), A.guardians[0], code="voting.shares_missing")
    ok_all(led.run(ops[4:]))
    led.refused("confirm_shares", ConfirmShares(w.E, 1), A.guardians[1], code="auth.missing_signers")
    led.ok("confirm_shares", ConfirmShares(w.E, 1), A.guardians[0])
    led.refused("confirm_shares", ConfirmShares(w.E, 1), A.guardians[0], code="voting.already_confirmed")
    complaint = ShareComplaint(receiver=1, sender=2, reason="too late")
    led.refused(
        "complain_share", ComplainShare(w.E, complaint), A.guardians[0], code="voting.already_confirmed"
    )


def _ceremony_until_shares(led: Ledger, corrupt: tuple[int, int] | None = None) -> list[w.Guardian]:
    """Keys and shares posted; the share sender -> receiver in `corrupt` has a flipped C1 byte."""
    gs = _guardians(led)
    w.post_keys(led, gs)
    ops = w.share_ops(gs, w.election(led).parameter_base_hash)
    if corrupt is not None:
        sender, receiver = corrupt
        op, body, signers = ops[sender - 1]
        assert isinstance(body, PostShares)
        shares = tuple(
            msgspec.structs.replace(s, c1=bytes([s.c1[0] ^ 1]) + s.c1[1:]) if s.receiver == receiver else s
            for s in body.shares
        )
        ops[sender - 1] = (op, msgspec.structs.replace(body, shares=shares), signers)
    ok_all(led.run(ops))
    return gs


def test_a_false_complaint_is_dismissed_and_the_ceremony_completes(setup_world: World) -> None:
    led = setup_world.led
    gs = _ceremony_until_shares(led)
    by_index = {g.index: g for g in gs}
    h_p = w.election(led).parameter_base_hash
    for g in gs:
        assert w.receive(led, g, by_index, h_p) == []
    complaint = ShareComplaint(receiver=3, sender=2, reason="I do not trust it")
    led.refused("complain_share", ComplainShare(w.E, complaint), A.guardians[1], code="auth.missing_signers")
    led.ok("complain_share", ComplainShare(w.E, complaint), A.guardians[2])
    led.refused(
        "complain_share", ComplainShare(w.E, complaint), A.guardians[2], code="voting.complaint_exists"
    )
    led.refused("confirm_shares", ConfirmShares(w.E, 3), A.guardians[2], code="voting.open_complaint")
    # the accused reveals P_2(3) and the nonce it encrypted it with
    assert store.get_share(led.view, w.E, 1, 2, 3) is not None
    reveal = _honest_reveal(gs[1], gs[2])
    led.refused("answer_complaint", AnswerComplaint(w.E, reveal), A.guardians[2], code="auth.missing_signers")
    r = led.ok("answer_complaint", AnswerComplaint(w.E, reveal), A.guardians[1])
    assert r.events[0].kind == "complaint_dismissed"
    led.refused("answer_complaint", AnswerComplaint(w.E, reveal), A.guardians[1], code="voting.no_complaint")
    entry = store.get_complaint(led.view, w.E, 1, 2, 3)
    assert entry is not None and entry.status == DISMISSED and entry.reveal == reveal
    w.finish_ceremony(led, gs)
    assert w.election(led).phase == KEY_READY


def _honest_reveal(sender: w.Guardian, receiver: w.Guardian) -> ShareReveal:
    """The accused sender's answer: P_i(l) and the nonce it kept since encrypting the share."""
    return keyceremony.reveal_share(sender.secrets, receiver.index, sender.share_nonces[receiver.index])


def test_a_bad_share_upholds_the_complaint_and_the_round_restarts(setup_world: World) -> None:
    led = setup_world.led
    gs = _ceremony_until_shares(led, corrupt=(2, 3))
    by_index = {g.index: g for g in gs}
    h_p = w.election(led).parameter_base_hash
    (complaint,) = w.receive(led, gs[2], by_index, h_p)
    assert (complaint.sender, complaint.receiver) == (2, 3) and "MAC" in complaint.reason
    led.ok("complain_share", ComplainShare(w.E, complaint), A.guardians[2])
    assert store.get_share(led.view, w.E, 1, 2, 3) is not None
    reveal = _honest_reveal(gs[1], gs[2])  # what it meant to send: not what it posted
    r = led.ok("answer_complaint", AnswerComplaint(w.E, reveal), A.guardians[1])
    assert r.events[0].kind == "complaint_upheld"
    entry = store.get_complaint(led.view, w.E, 1, 2, 3)
    assert entry is not None and entry.status == UPHELD
    led.refused("confirm_shares", ConfirmShares(w.E, 1), A.guardians[0], code="voting.ceremony_faulted")
    # the official replaces guardian 2 and everyone starts again
    led.ok("restart_ceremony", RestartCeremony(w.E, (GuardianSlot(2, "guardian-6"),)), A.official)
    fresh = w.make_guardians(h_p, 5, 3, seed=8)
    fresh[1].signer = A.guardians[5]
    w.post_keys(led, fresh)
    ok_all(led.run(w.share_ops(fresh, h_p, seed=12)))
    by_index = {g.index: g for g in fresh}
    for g in fresh:
        assert w.receive(led, g, by_index, h_p) == []
    w.finish_ceremony(led, fresh)
    e = w.election(led)
    assert e.phase == KEY_READY and e.guardians[1] == "guardian-6"
    assert e.joint_key == elem_bytes(keyceremony.joint_public_key([g.public for g in fresh]))


def test_ceremony_operations_end_with_the_ceremony(ready_world: World) -> None:
    led = ready_world.led
    g = ready_world.guardians[0]
    led.refused("post_guardian_key", PostGuardianKey(w.E, g.public), g.signer, code="voting.wrong_phase")
    led.refused("confirm_shares", ConfirmShares(w.E, 1), g.signer, code="voting.wrong_phase")


@pytest.mark.parametrize("n,k", [(1, 1), (3, 2)])
def test_small_ceremonies(setup_world: World, n: int, k: int) -> None:
    led = setup_world.led
    led.ok("create_election", w.create_body(led, e=f"small-{n}", n=n, k=k), A.official)
    w.run_ceremony(led, n=n, k=k, e=f"small-{n}")
    assert w.election(led, f"small-{n}").phase == KEY_READY


def test_complaint_rules(setup_world: World) -> None:
    led = setup_world.led
    gs = _guardians(led)
    w.post_keys(led, gs)
    ops = w.share_ops(gs, w.election(led).parameter_base_hash)
    ok_all(led.run(ops[1:]))  # guardian 1 has not sent its shares

    def complain(sender: int, receiver: int, reason: str = "bad") -> ComplainShare:
        return ComplainShare(w.E, ShareComplaint(receiver=receiver, sender=sender, reason=reason))

    led.refused("complain_share", complain(1, 3), A.guardians[2], code="voting.shares_missing")
    led.refused("complain_share", complain(3, 3), A.guardians[2], code="voting.not_guardian")
    led.refused("complain_share", complain(9, 3), A.guardians[2], code="voting.not_guardian")
    led.refused("complain_share", complain(2, 3, "x" * 201), A.guardians[2], code="voting.too_many")
    led.ok("complain_share", complain(2, 3), A.guardians[2])
    reveal = _honest_reveal(gs[0], gs[2])  # guardian 1 answering a complaint nobody made
    led.refused("answer_complaint", AnswerComplaint(w.E, reveal), A.guardians[0], code="voting.no_complaint")
