"""End to end: 5 guardians, quorum 3, dozens of ballots over 3 contests, 2 guardians absent at
decryption; the independent verifier passes, and altering any ballot, proof, share or tally value
makes it fail with a message that names the step and the place."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from govledger.codec import decode, encode
from govledger.voting import group as gr
from govledger.voting.errors import VotingError
from govledger.voting.records import (
    DecryptedBallot,
    DecryptionProof,
    ElectionRecord,
    EncryptedBallot,
    GuardianPublicKey,
    SchnorrProof,
    SubmittedBallot,
)
from govledger.voting.tally import (
    combine_decryption,
    decryption_challenge,
    decryption_response,
    decryption_share,
    joint_values,
    tally_targets,
)
from govledger.voting.verify import verify_election

from .conftest import BuiltElection, Election, SeededRandom, build_record
from .support import RECORD_STEPS, assert_steps_passed

VOTING_SRC = Path(__file__).resolve().parents[2] / "src" / "govledger" / "voting"


def test_end_to_end_with_two_guardians_absent(election_5_3: Election) -> None:
    built = build_record(
        election_5_3,
        36,
        seed=42,
        present=(1, 3, 5),
        reveal_ids=frozenset({5, 17}),
        decrypt_ids=frozenset({11}),
    )
    record = built.record
    assert sum(s.state == "cast" for s in record.ballots) == 33
    got = {c.label: [o.value for o in c.options] for c in record.tally.contests}
    assert got == built.expected
    started = time.perf_counter()
    report = verify_election(record)
    verify_s = time.perf_counter() - started
    assert report.ok, report.summary()
    assert_steps_passed(report, ("1.F", "1.G", *RECORD_STEPS, "12.B", "13.A", "14.B", "R"))
    # the guardian-decrypted challenged ballot shows what the voter chose
    (decrypted,) = record.challenged_decryptions
    plain = built.plaintexts[decrypted.ballot_id]
    limits = {c.label: c.selection_limit for c in record.manifest.contests}
    for dc, pc in zip(decrypted.contests, plain.contests, strict=True):
        counted = [0] * len(pc.votes) if sum(pc.votes) > limits[pc.label] else list(pc.votes)
        assert [o.value for o in dc.options] == counted
    seconds = built.seconds
    print(
        f"\n36 ballots: encrypt {seconds['encrypt']:.2f} s, "
        f"tally+decrypt {seconds['tally_and_decrypt']:.2f} s, verify {verify_s:.2f} s"
    )


def test_any_quorum_decrypts_the_same_tally(election_5_3: Election) -> None:
    a = build_record(election_5_3, 2, seed=7, present=(2, 4, 5), style="city")
    b = build_record(election_5_3, 2, seed=7, present=(1, 2, 3, 4, 5), style="city")
    assert [[o.value for o in c.options] for c in a.record.tally.contests] == [
        [o.value for o in c.options] for c in b.record.tally.contests
    ]
    assert verify_election(a.record).ok


def test_record_survives_canonical_encoding(small: BuiltElection) -> None:
    data = encode(small.record)
    again = decode(data, ElectionRecord, max_bytes=16 << 20)
    assert again == small.record
    with pytest.raises(Exception, match="codec"):
        decode(data[:-1], ElectionRecord, max_bytes=16 << 20)


@pytest.fixture(scope="module")
def small(election_5_3: Election) -> BuiltElection:
    """Five two-contest ballots: three cast, one challenged and revealed, one challenged and decrypted."""
    built = build_record(
        election_5_3,
        5,
        seed=5,
        present=(1, 3, 5),
        reveal_ids=frozenset({1}),
        decrypt_ids=frozenset({3}),
        style="city",
    )
    assert verify_election(built.record).ok
    return built


def bump(raw: bytes) -> bytes:
    """A different value of the same length (an element or exponent plus one)."""
    return (int.from_bytes(raw, "big") + 1).to_bytes(len(raw), "big")


def with_ballot(
    record: ElectionRecord, n: int, edit: Callable[[EncryptedBallot], EncryptedBallot]
) -> ElectionRecord:
    ballots = list(record.ballots)
    ballots[n] = msgspec.structs.replace(ballots[n], ballot=edit(ballots[n].ballot))
    return msgspec.structs.replace(record, ballots=tuple(ballots))


def edit_selection(ballot: EncryptedBallot, contest: int, option: int, **changes: object) -> EncryptedBallot:
    contests = list(ballot.contests)
    selections = list(contests[contest].selections)
    selections[option] = msgspec.structs.replace(selections[option], **changes)
    contests[contest] = msgspec.structs.replace(contests[contest], selections=tuple(selections))
    return msgspec.structs.replace(ballot, contests=tuple(contests))


def edit_proof_response(ballot: EncryptedBallot) -> EncryptedBallot:
    sel = ballot.contests[0].selections[1]
    responses = (sel.proof.responses[0], bump(sel.proof.responses[1]))
    return edit_selection(ballot, 0, 1, proof=msgspec.structs.replace(sel.proof, responses=responses))


def edit_alpha(ballot: EncryptedBallot) -> EncryptedBallot:
    sel = ballot.contests[0].selections[0]
    other = ballot.contests[0].selections[1].ciphertext
    return edit_selection(ballot, 0, 0, ciphertext=msgspec.structs.replace(sel.ciphertext, alpha=other.alpha))


def edit_limit_proof(ballot: EncryptedBallot) -> EncryptedBallot:
    contests = list(ballot.contests)
    proof = contests[0].proof
    contests[0] = msgspec.structs.replace(
        contests[0],
        proof=msgspec.structs.replace(proof, challenges=(bump(proof.challenges[0]), *proof.challenges[1:])),
    )
    return msgspec.structs.replace(ballot, contests=tuple(contests))


def edit_tally_value(record: ElectionRecord) -> ElectionRecord:
    contests = list(record.tally.contests)
    options = list(contests[0].options)
    options[0] = msgspec.structs.replace(options[0], value=options[0].value + 1)
    contests[0] = msgspec.structs.replace(contests[0], options=tuple(options))
    return msgspec.structs.replace(
        record, tally=msgspec.structs.replace(record.tally, contests=tuple(contests))
    )


def edit_tally_proof(record: ElectionRecord) -> ElectionRecord:
    contests = list(record.tally.contests)
    options = list(contests[1].options)
    proof = options[2].proof
    options[2] = msgspec.structs.replace(
        options[2], proof=DecryptionProof(proof.challenge, bump(proof.response))
    )
    contests[1] = msgspec.structs.replace(contests[1], options=tuple(options))
    return msgspec.structs.replace(
        record, tally=msgspec.structs.replace(record.tally, contests=tuple(contests))
    )


def edit_encrypted_tally(record: ElectionRecord) -> ElectionRecord:
    contests = list(record.encrypted_tally.contests)
    cts = list(contests[2].ciphertexts)
    cts[1] = msgspec.structs.replace(cts[1], beta=cts[0].beta)
    contests[2] = msgspec.structs.replace(contests[2], ciphertexts=tuple(cts))
    return msgspec.structs.replace(
        record, encrypted_tally=msgspec.structs.replace(record.encrypted_tally, contests=tuple(contests))
    )


def edit_guardian(record: ElectionRecord) -> ElectionRecord:
    guardians = list(record.guardians)
    g = guardians[1]
    proofs = list(g.proofs)
    proofs[2] = SchnorrProof(proofs[2].challenge, bump(proofs[2].response))
    guardians[1] = GuardianPublicKey(index=g.index, commitments=g.commitments, proofs=tuple(proofs))
    return msgspec.structs.replace(record, guardians=tuple(guardians))


def edit_challenged_decryption(record: ElectionRecord) -> ElectionRecord:
    (db,) = record.challenged_decryptions
    contests = list(db.contests)
    options = list(contests[0].options)
    options[0] = msgspec.structs.replace(options[0], value=1 - options[0].value)
    contests[0] = msgspec.structs.replace(contests[0], options=tuple(options))
    return msgspec.structs.replace(
        record, challenged_decryptions=(DecryptedBallot(db.ballot_id, tuple(contests)),)
    )


def edit_contest_data_proof(record: ElectionRecord) -> ElectionRecord:
    (db,) = record.challenged_decryptions
    contests = list(db.contests)
    data = contests[1].data
    contests[1] = msgspec.structs.replace(
        contests[1],
        data=msgspec.structs.replace(
            data, proof=DecryptionProof(bump(data.proof.challenge), data.proof.response)
        ),
    )
    return msgspec.structs.replace(
        record, challenged_decryptions=(DecryptedBallot(db.ballot_id, tuple(contests)),)
    )


def edit_reveal_nonce(record: ElectionRecord) -> ElectionRecord:
    (rv,) = record.challenged_reveals
    return msgspec.structs.replace(
        record, challenged_reveals=(msgspec.structs.replace(rv, ballot_nonce=bump(rv.ballot_nonce)),)
    )


def drop_ballot(record: ElectionRecord) -> ElectionRecord:
    return msgspec.structs.replace(record, ballots=record.ballots[:2] + record.ballots[3:])


def cast_the_challenged(record: ElectionRecord) -> ElectionRecord:
    ballots = list(record.ballots)
    ballots[1] = SubmittedBallot(ballots[1].ballot, "cast")
    return msgspec.structs.replace(record, ballots=tuple(ballots))


def duplicate_code(record: ElectionRecord) -> ElectionRecord:
    return with_ballot(
        record,
        2,
        lambda b: msgspec.structs.replace(b, confirmation_code=record.ballots[0].ballot.confirmation_code),
    )


def edit_manifest(record: ElectionRecord) -> ElectionRecord:
    return msgspec.structs.replace(
        record, manifest=msgspec.structs.replace(record.manifest, label="another election")
    )


def edit_generator(record: ElectionRecord) -> ElectionRecord:
    params = record.parameters
    constants = msgspec.structs.replace(params.constants, g=gr.elem_bytes(gr.g_pow(2)))
    return msgspec.structs.replace(record, parameters=msgspec.structs.replace(params, constants=constants))


TAMPERS: list[tuple[str, Callable[[ElectionRecord], ElectionRecord], str, str]] = [
    (
        "ballot ciphertext",
        lambda r: with_ballot(r, 0, edit_alpha),
        "5.D",
        "[5.D] ballot 'ballot-00000' contest 1 ('mayor') option 1 ('alice'): the challenges c_j do not sum",
    ),
    (
        "selection proof",
        lambda r: with_ballot(r, 0, edit_proof_response),
        "5.D",
        "[5.D] ballot 'ballot-00000' contest 1 ('mayor') option 2 ('bob'): the challenges c_j do not sum",
    ),
    (
        "contest limit proof",
        lambda r: with_ballot(r, 2, edit_limit_proof),
        "6.D",
        "[6.D] ballot 'ballot-00002' contest 1 ('mayor') selection limit: the challenges c_j do not sum",
    ),
    (
        "contest hash",
        lambda r: with_ballot(
            r,
            0,
            lambda b: msgspec.structs.replace(
                b,
                contests=(
                    msgspec.structs.replace(b.contests[0], contest_hash=bump(b.contests[0].contest_hash)),
                    *b.contests[1:],
                ),
            ),
        ),
        "7.A",
        "[7.A] ballot 'ballot-00000' contest 1 ('mayor'): contest hash chi_1 is wrong (eq. 57)",
    ),
    (
        "confirmation code",
        lambda r: with_ballot(
            r, 4, lambda b: msgspec.structs.replace(b, confirmation_code=bump(b.confirmation_code))
        ),
        "7.B",
        "[7.B] ballot 'ballot-00004': confirmation code H(B) is wrong (eq. 58)",
    ),
    ("duplicate confirmation code", duplicate_code, "7.C", "[7.C] ballot 'ballot-00002': confirmation code"),
    (
        "ballot deleted",
        drop_ballot,
        "7.E",
        "[7.E] device 'precinct-1/bmd-1': chain lists unknown ballot 'ballot-00002'",
    ),
    (
        "challenged ballot counted",
        cast_the_challenged,
        "8",
        "[8] the tally claims 3 cast ballots, the record has 4",
    ),
    (
        "encrypted tally",
        edit_encrypted_tally,
        "8.B",
        "[8.B] tally contest 3 ('measure-1') option 2 ('no'): B is not the product of the cast betas",
    ),
    (
        "tally value",
        edit_tally_value,
        "10.A",
        "[10.A] tally contest 1 ('mayor') option 1 ('alice'): T != K^t for the published t =",
    ),
    (
        "tally decryption proof",
        edit_tally_proof,
        "9.B",
        "[9.B] tally contest 2 ('council') option 3 ('frank'): decryption proof challenge does not match",
    ),
    (
        "guardian proof",
        edit_guardian,
        "2.C",
        "[2.C] guardian 2 coefficient 2: Schnorr challenge c_2,2 does not match (eq. 12)",
    ),
    (
        "joint key",
        lambda r: msgspec.structs.replace(r, joint_key=gr.elem_bytes(gr.g_pow(5))),
        "3.B",
        "[3.B] the joint key K is not the product of the guardian keys",
    ),
    (
        "extended base hash",
        lambda r: msgspec.structs.replace(r, extended_base_hash=bump(r.extended_base_hash)),
        "4.A",
        "[4.A] H_E != H(H_B; 0x12, K) (eq. 23)",
    ),
    ("manifest", edit_manifest, "1.G", "[1.G] H_M is "),
    ("generator", edit_generator, "1.E", "[1.E] the generator g is not the §3.1.1 standard g"),
    (
        "challenged ballot decryption",
        edit_challenged_decryption,
        "13.A",
        "[13.A] challenged ballot 'ballot-00003' contest 1 ('mayor') option 1 ('alice'): T != K^t",
    ),
    (
        "contest data proof",
        edit_contest_data_proof,
        "14.B",
        "[14.B] challenged ballot 'ballot-00003' contest 3 ('measure-1'): contest data decryption challenge",
    ),
    (
        "revealed nonce",
        edit_reveal_nonce,
        "R",
        "[R] challenged ballot 'ballot-00001' contest 1 ('mayor') option 1: the ciphertext does not encrypt",
    ),
]


@pytest.mark.parametrize("hinted", [False, True], ids=["record", "record+commitments"])
@pytest.mark.parametrize(("name", "tamper", "step", "message"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tampering_is_detected_with_a_precise_message(
    small: BuiltElection,
    name: str,
    tamper: Callable[[ElectionRecord], ElectionRecord],
    step: str,
    message: str,
    hinted: bool,
) -> None:
    """The same failure, named the same way, whether or not the devices' commitments are given
    (they still match the untampered proofs: the batched check must notice)."""
    report = verify_election(tamper(small.record), commitments=small.commitments if hinted else None)
    assert not report.ok, name
    assert step in report.steps_failed(), report.summary()
    assert any(str(f).startswith(message) for f in report.failures), report.summary()


def test_commitments_give_the_same_verdict_faster_path(small: BuiltElection) -> None:
    plain = verify_election(small.record)
    hinted = verify_election(small.record, commitments=small.commitments)
    assert plain.ok and hinted.ok, hinted.summary()
    cast_or_challenged = len(small.record.ballots)
    assert hinted.passed["H"] >= cast_or_challenged  # every ballot went through the batched path
    assert {k: v for k, v in hinted.passed.items() if k != "H"} == dict(plain.passed)


def test_a_bad_guardian_decryption_share_is_named(election_5_3: Election, small: BuiltElection) -> None:
    record, ceremony = small.record, election_5_3.ceremony
    targets = tally_targets(record.encrypted_tally)[:3]
    rng = SeededRandom(99)
    round1 = {i: decryption_share(i, ceremony.key_shares[i], targets, rng) for i in (2, 3, 4)}
    shares = [s for s, _ in round1.values()]
    joint = joint_values(shares, 3, len(targets))
    challenge = decryption_challenge(election_5_3.h_e, ceremony.joint_key, targets, joint)
    responses = [
        decryption_response(i, ceremony.key_shares[i], nonces, challenge) for i, (_, nonces) in round1.items()
    ]
    combine_decryption(targets, shares, joint, challenge, responses, ceremony.public_keys)  # honest: fine
    cheat = responses[1]
    responses[1] = msgspec.structs.replace(
        cheat, responses=(cheat.responses[0], bump(cheat.responses[1]), cheat.responses[2])
    )
    with pytest.raises(VotingError) as excinfo:
        combine_decryption(targets, shares, joint, challenge, responses, ceremony.public_keys)
    assert excinfo.value.code == "voting.bad_decryption_share"
    assert (
        excinfo.value.message
        == "guardian 3: decryption share for target 1 does not verify (a_i mismatch, eq. 74-75)"
    )
    # a partial decryption outside the order-q subgroup is refused before any challenge is issued
    bad = msgspec.structs.replace(shares[2], partials=(gr.elem_bytes(gr.P - 1), *shares[2].partials[1:]))
    with pytest.raises(
        VotingError, match="guardian 4: a partial decryption or commitment is not in the order-q"
    ):
        joint_values([shares[0], shares[1], bad], 3, len(targets))
    # a guardian's nonces answer one challenge only (a second answer would leak its key share)
    with pytest.raises(VotingError, match="already answered"):
        decryption_response(2, ceremony.key_shares[2], round1[2][1], challenge)
    with pytest.raises(VotingError, match="quorum is 3"):
        joint_values(shares[:2], 3, len(targets))


def test_verifier_imports_nothing_from_the_producers() -> None:
    tree = ast.parse((VOTING_SRC / "verify.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    voting = {m for m in imported if m.startswith("govledger.voting")}
    assert voting == {"govledger.voting", "govledger.voting.group", "govledger.voting.records"}
    from_package = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "govledger.voting"
        for alias in node.names
    }
    assert from_package == {"hash"}
    assert {m for m in imported if m.startswith("govledger") and not m.startswith("govledger.voting")} == {
        "govledger.codec"
    }


def test_voting_package_has_no_ledger_imports() -> None:
    for path in VOTING_SRC.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        outside = {m for m in modules if m.startswith("govledger") and not m.startswith("govledger.voting")}
        assert outside <= {"govledger.codec", "govledger.errors"}, (path.name, outside)
