"""Key ceremony (§3.2): commitments and Schnorr proofs, share encryption and verification, complaints,
joint key and key shares."""

from __future__ import annotations

import itertools

import msgspec
import pytest

from govledger.voting import group as gr
from govledger.voting import hash as eh
from govledger.voting.errors import VotingError
from govledger.voting.keyceremony import (
    _share_ciphertext,
    adjudicate_complaint,
    decrypt_share,
    encrypt_share,
    generate_guardian,
    key_share,
    public_key_problems,
    receive_share,
    reveal_share,
    run_trusted_ceremony,
)
from govledger.voting.records import SchnorrProof, ShareComplaint
from govledger.voting.verify import Report, verify_guardian_keys

from .conftest import Election, SeededRandom

H_P = eh.parameter_base_hash(gr.P, gr.Q, gr.G)


def test_key_shares_are_a_k_of_n_sharing_of_the_joint_secret(election_5_3: Election) -> None:
    ceremony = election_5_3.ceremony
    s = sum(secret.secret_key for secret in ceremony.secrets) % gr.Q  # only a test may compute this
    assert gr.g_pow(s) == ceremony.joint_key
    for subset in itertools.combinations(range(1, 6), 3):
        combined = sum(gr.lagrange_coefficient(i, subset) * ceremony.key_shares[i] for i in subset) % gr.Q
        assert combined == s, subset
    two = (1, 2)
    assert sum(gr.lagrange_coefficient(i, two) * ceremony.key_shares[i] for i in two) % gr.Q != s


def test_guardian_keys_verify(election_5_3: Election) -> None:
    report = Report()
    verify_guardian_keys(H_P, election_5_3.ceremony.public_keys, 5, 3, report)
    assert report.ok, report.summary()
    assert report.passed["2.C"] == 15


def test_tampered_schnorr_proof_is_named() -> None:
    _, key = generate_guardian(2, 3, H_P, SeededRandom(1))
    bad_v = gr.exp_bytes((gr.from_bytes(key.proofs[1].response) + 1) % gr.Q)
    proofs = list(key.proofs)
    proofs[1] = SchnorrProof(challenge=key.proofs[1].challenge, response=bad_v)
    tampered = msgspec.structs.replace(key, proofs=tuple(proofs))
    assert public_key_problems(H_P, tampered, 3) == ["guardian 2 proof 1: Schnorr challenge does not match"]
    report = Report()
    verify_guardian_keys(H_P, [tampered], 1, 3, report)
    assert [str(f) for f in report.failures] == [
        "[2] guardian indices [2] are not 1..1",
        "[2.C] guardian 2 coefficient 1: Schnorr challenge c_2,1 does not match (eq. 12)",
    ]
    commitments = list(key.commitments)
    commitments[0] = gr.elem_bytes(gr.P - 1)  # not in the order-q subgroup
    report = Report()
    verify_guardian_keys(
        H_P, [msgspec.structs.replace(key, index=1, commitments=tuple(commitments))], 1, 3, report
    )
    assert "2.A" in report.steps_failed()


def test_share_round_trip_and_mac() -> None:
    rng = SeededRandom(3)
    alice, alice_key = generate_guardian(1, 2, H_P, rng)
    bob, bob_key = generate_guardian(2, 2, H_P, rng)
    share, _ = encrypt_share(H_P, alice, bob_key, rng)
    assert decrypt_share(H_P, bob, share) == alice.evaluate(2)
    assert receive_share(H_P, bob, alice_key, share) == alice.evaluate(2)
    flipped = msgspec.structs.replace(share, c1=bytes([share.c1[0] ^ 1]) + share.c1[1:])
    with pytest.raises(VotingError) as excinfo:
        decrypt_share(H_P, bob, flipped)
    assert excinfo.value.code == "voting.share_mac"
    complaint = receive_share(H_P, bob, alice_key, flipped)
    assert isinstance(complaint, ShareComplaint) and "MAC does not verify" in complaint.reason
    with pytest.raises(VotingError):
        decrypt_share(H_P, alice, share)  # addressed to bob


def test_complaint_against_a_cheating_sender_is_upheld() -> None:
    rng = SeededRandom(4)
    alice, alice_key = generate_guardian(1, 3, H_P, rng)
    bob, bob_key = generate_guardian(2, 3, H_P, rng)
    xi = 12345
    wrong = (alice.evaluate(2) + 1) % gr.Q
    share = _share_ciphertext(
        H_P, 1, 2, gr.from_bytes(bob_key.commitments[0]), wrong, xi
    )  # valid MAC, wrong value
    complaint = receive_share(H_P, bob, alice_key, share)
    assert isinstance(complaint, ShareComplaint)
    assert complaint.reason == "P_1(2) does not match the sender's commitments (eq. 21)"
    honest_reveal = reveal_share(alice, 2, xi)  # the true P_1(2) does not reproduce the ciphertext
    verdict = adjudicate_complaint(H_P, alice_key, bob_key, share, honest_reveal)
    assert verdict.sender_at_fault and "do not reproduce" in verdict.reason
    lying_reveal = msgspec.structs.replace(honest_reveal, share=gr.exp_bytes(wrong))
    verdict = adjudicate_complaint(H_P, alice_key, bob_key, share, lying_reveal)
    assert verdict.sender_at_fault and "eq. (21)" in verdict.reason


def test_false_complaint_is_dismissed() -> None:
    rng = SeededRandom(5)
    alice, alice_key = generate_guardian(1, 2, H_P, rng)
    _, bob_key = generate_guardian(2, 2, H_P, rng)
    share, xi = encrypt_share(H_P, alice, bob_key, rng)
    verdict = adjudicate_complaint(H_P, alice_key, bob_key, share, reveal_share(alice, 2, xi))
    assert not verdict.sender_at_fault
    assert verdict.reason == "the share was sent correctly; the complaint is dismissed"


def test_ceremony_limits_and_key_share_rules() -> None:
    with pytest.raises(VotingError):
        run_trusted_ceremony(2, 3, H_P, SeededRandom(1))
    secret, _ = generate_guardian(1, 2, H_P, SeededRandom(1))
    with pytest.raises(VotingError):
        key_share(secret, {1: 5})
    assert "hidden" in repr(secret) and str(secret.secret_key) not in repr(secret)
    ceremony = run_trusted_ceremony(1, 1, H_P, SeededRandom(2))  # a single guardian is allowed (k = n = 1)
    assert ceremony.key_shares[1] == ceremony.secrets[0].secret_key
