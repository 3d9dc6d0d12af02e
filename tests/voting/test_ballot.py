"""Ballot encryption (§3.3), range proofs, contest data, confirmation codes (§3.4) and the Benaloh
challenge: round trips and soundness on small cases, with Hypothesis."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.voting import group as gr
from govledger.voting import hash as eh
from govledger.voting.ballot import (
    ContestStatus,
    ElectionContext,
    EncryptionDevice,
    check_reveal,
    contest_data_decode,
    decrypt_with_nonce,
    encrypt_ballot,
    encrypt_vote,
    open_contest_data,
    plaintext_ballot,
    prove_range,
    reveal,
)
from govledger.voting.errors import VotingError
from govledger.voting.records import (
    BallotStyle,
    ContestDescription,
    EncryptedBallot,
    EncryptedContest,
    Manifest,
    PlaintextBallot,
    PlaintextContest,
    RangeProof,
    manifest_problems,
)
from govledger.voting.verify import BallotChecker, Report, verify_ballot_reveal

from .conftest import Election, SeededRandom

FAST = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def checker(election_5_3: Election) -> BallotChecker:
    return BallotChecker(election_5_3.manifest, election_5_3.ceremony.joint_key, election_5_3.h_e)


def contest_votes(options: int, limit: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.integers(min_value=0, max_value=limit), min_size=options, max_size=options).map(tuple)


@FAST
@given(
    mayor=contest_votes(3, 1),
    council=contest_votes(4, 1),
    measure=contest_votes(2, 1),
    seed=st.integers(0, 2**32),
)
def test_encrypt_verify_reveal_round_trip(
    election_5_3: Election,
    checker: BallotChecker,
    mayor: tuple[int, ...],
    council: tuple[int, ...],
    measure: tuple[int, ...],
    seed: int,
) -> None:
    ctx = election_5_3.ctx
    plain = PlaintextBallot(
        ballot_id="b-1",
        style="all",
        contests=(
            PlaintextContest("mayor", mayor),
            PlaintextContest("council", council),
            PlaintextContest("measure-1", measure),
        ),
    )
    encrypted, nonce = encrypt_ballot(ctx, plain, device="d", aux=b"aux", rng=SeededRandom(seed))
    report = checker.verify_ballot(encrypted)
    assert report.ok, report.summary()
    assert report.passed["5.D"] == 9 and report.passed["6.D"] == 3 and report.passed["7.B"] == 1

    limits = [c.selection_limit for c in election_5_3.manifest.contests]
    counted = [
        [0] * len(v) if sum(v) > lim else list(v)
        for v, lim in zip((mayor, council, measure), limits, strict=True)
    ]
    assert decrypt_with_nonce(ctx, encrypted, nonce) == {1: counted[0], 2: counted[1], 3: counted[2]}

    # The contest data records the overvote marks (§3.3.7), decryptable with K^xi by the nonce holder.
    for contest, votes, lim in zip(encrypted.contests, (mayor, council, measure), limits, strict=True):
        xi = eh.contest_data_nonce(ctx.extended_base_hash, nonce, contest.index)
        status, marks = contest_data_decode(
            open_contest_data(
                ctx.extended_base_hash, ctx.joint_key, contest.index, contest.data, ctx.k_pow(xi)
            )
        )
        if sum(votes) > lim:
            assert status is ContestStatus.OVERVOTE
            assert marks == [(j, v) for j, v in enumerate(votes, start=1) if v]
        else:
            assert marks == []
            assert status is {0: ContestStatus.NULL_VOTE, lim: ContestStatus.NORMAL}.get(
                sum(votes), ContestStatus.UNDERVOTE
            )

    # Benaloh: the reveal re-encrypts to the same confirmation code, by both implementations.
    revealed = reveal(plain, nonce)
    assert check_reveal(ctx, encrypted, revealed) == []
    assert verify_ballot_reveal(
        election_5_3.manifest, ctx.joint_key, ctx.extended_base_hash, encrypted, revealed
    ).ok


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=4),
    seed=st.integers(1, 2**64),
)
def test_exponential_elgamal_round_trip_and_homomorphism(values: list[int], seed: int) -> None:
    rng = SeededRandom(seed)
    s = 1 + rng.randbelow(gr.Q - 1)
    k = gr.g_pow(s)
    alpha_sum, beta_sum = 1, 1
    for value in values:
        xi = rng.randbelow(gr.Q)
        alpha, beta = gr.g_pow(xi), gr.pow_p(k, value + xi)  # eq. (24)
        assert gr.mul_p(beta, gr.inv_p(gr.pow_p(alpha, s))) == gr.pow_p(
            k, value
        )  # eq. (1): beta / alpha^s = K^m
        alpha_sum, beta_sum = gr.mul_p(alpha_sum, alpha), gr.mul_p(beta_sum, beta)
    assert gr.mul_p(beta_sum, gr.inv_p(gr.pow_p(alpha_sum, s))) == gr.pow_p(k, sum(values))  # eq. (2)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limit=st.integers(1, 3), data=st.data())
def test_range_proof_sound_on_small_cases(
    election_5_3: Election, checker: BallotChecker, limit: int, data: st.DataObject
) -> None:
    """A proof verifies exactly when the claimed value is the encrypted one and lies in 0..limit."""
    ctx = election_5_3.ctx
    true_value = data.draw(st.integers(0, limit + 1), label="encrypted value")
    claimed = data.draw(st.integers(0, limit), label="claimed value")
    xi = data.draw(st.integers(0, gr.Q - 1), label="nonce")
    alpha, beta = encrypt_vote(ctx, true_value, xi)
    proof = prove_range(ctx, alpha, beta, claimed, limit, xi, SeededRandom(xi))
    report = Report()
    checker.check_range_proof(report, "5", "case", alpha, beta, proof, limit)
    assert report.ok == (claimed == true_value), (true_value, claimed, limit)


def test_every_proof_component_matters(election_5_3: Election, checker: BallotChecker) -> None:
    ctx = election_5_3.ctx
    xi = 987654321
    alpha, beta = encrypt_vote(ctx, 1, xi)
    proof = prove_range(ctx, alpha, beta, 1, 2, xi, SeededRandom(9))
    report = Report()
    checker.check_range_proof(report, "5", "good", alpha, beta, proof, 2)
    assert report.ok
    for field in ("challenges", "responses"):
        for j in range(3):
            values = list(getattr(proof, field))
            values[j] = gr.exp_bytes((gr.from_bytes(values[j]) + 1) % gr.Q)
            tampered = msgspec.structs.replace(proof, **{field: tuple(values)})
            report = Report()
            checker.check_range_proof(report, "5", f"{field}[{j}]", alpha, beta, tampered, 2)
            assert [str(f) for f in report.failures] == [
                f"[5.D] {field}[{j}]: the challenges c_j do not sum to the hash of the commitments (eq. 46)"
            ]
    report = Report()
    checker.check_range_proof(
        report, "5", "short", alpha, beta, RangeProof(proof.challenges[:2], proof.responses[:2]), 2
    )
    assert [str(f) for f in report.failures] == ["[5.B] short: the range proof has 2 parts, expected 3"]
    out_of_range = msgspec.structs.replace(
        proof, responses=(gr.exp_bytes(0), (gr.Q).to_bytes(32, "big"), gr.exp_bytes(0))
    )
    report = Report()
    checker.check_range_proof(report, "5", "big v", alpha, beta, out_of_range, 2)
    assert [str(f) for f in report.failures] == ["[5.C] big v: response v_1 is not in Z_q"]


def test_swapped_ciphertexts_are_caught(election_5_3: Election, checker: BallotChecker) -> None:
    ctx = election_5_3.ctx
    plain = plaintext_ballot(ctx.manifest, "b-swap", "city", {"mayor": {"alice": 1}, "measure-1": {"no": 1}})
    ballot, _ = encrypt_ballot(ctx, plain, device="d", aux=b"", rng=SeededRandom(11))
    contest = ballot.contests[0]
    selections = list(contest.selections)
    selections[0], selections[1] = selections[1], selections[0]  # move Alice's vote to Bob, proofs and all
    tampered = _replace_contest(ballot, 0, msgspec.structs.replace(contest, selections=tuple(selections)))
    report = checker.verify_ballot(tampered)
    assert report.steps_failed() == {"7.A", "7.B"}
    assert "[7.A] ballot 'b-swap' contest 1 ('mayor'): contest hash chi_1 is wrong (eq. 57)" in map(
        str, report.failures
    )


def test_beta_outside_the_subgroup(election_5_3: Election, checker: BallotChecker) -> None:
    ctx = election_5_3.ctx
    plain = plaintext_ballot(ctx.manifest, "b-sub", "city", {"mayor": {"bob": 1}})
    ballot, _ = encrypt_ballot(ctx, plain, device="d", aux=b"", rng=SeededRandom(12))
    contest = ballot.contests[1]
    sel = contest.selections[0]
    bad = msgspec.structs.replace(
        sel, ciphertext=msgspec.structs.replace(sel.ciphertext, beta=gr.elem_bytes(gr.P - 1))
    )
    tampered = _replace_contest(
        ballot, 1, msgspec.structs.replace(contest, selections=(bad, *contest.selections[1:]))
    )
    report = checker.verify_ballot(tampered)
    expected = (
        "[5.A] ballot 'b-sub' contest 3 ('measure-1') option 1 ('yes'): alpha or beta is not in the order-q"
    )
    assert any(str(f).startswith(expected) for f in report.failures)
    assert {"5.A", "6.A", "7.A", "7.B"} <= report.steps_failed()


def _replace_contest(ballot: EncryptedBallot, position: int, contest: EncryptedContest) -> EncryptedBallot:
    contests = list(ballot.contests)
    contests[position] = contest
    return msgspec.structs.replace(ballot, contests=tuple(contests))


def test_benaloh_challenge_catches_a_cheating_device(election_5_3: Election) -> None:
    ctx = election_5_3.ctx
    intended = plaintext_ballot(ctx.manifest, "b-2", "city", {"mayor": {"alice": 1}, "measure-1": {"yes": 1}})
    recorded = plaintext_ballot(ctx.manifest, "b-2", "city", {"mayor": {"bob": 1}, "measure-1": {"yes": 1}})
    # The device encrypts what it wants (Bob), shows the code, and on challenge claims it encrypted Alice.
    ballot, nonce = encrypt_ballot(ctx, recorded, device="d", aux=b"", rng=SeededRandom(13))
    lie = reveal(intended, nonce)
    problems = check_reveal(ctx, ballot, lie)
    assert problems == [
        "contest 1 ('mayor') option 1: ciphertext does not encrypt 1",
        "contest 1 ('mayor') option 2: ciphertext does not encrypt 0",
    ]
    report = verify_ballot_reveal(ctx.manifest, ctx.joint_key, ctx.extended_base_hash, ballot, lie)
    assert report.steps_failed() == {"R"} and report.failure_count == 3  # two ciphertexts and the code
    wrong_nonce = reveal(recorded, bytes(32))
    assert check_reveal(ctx, ballot, wrong_nonce)[0].startswith("contest 1 ('mayor') option 1")
    assert check_reveal(ctx, ballot, reveal(recorded, nonce)) == []


def test_device_chain(election_5_3: Election) -> None:
    ctx = election_5_3.ctx
    device = EncryptionDevice(ctx, "precinct-4/bmd-2")
    codes: list[bytes] = []
    for n in range(3):
        plain = plaintext_ballot(ctx.manifest, f"c-{n}", "city", {"mayor": {"carol": 1}})
        ballot, _ = device.encrypt(plain, SeededRandom(n))
        previous = codes[-1] if codes else eh.chain_initial_code(ctx.extended_base_hash, device.aux0)
        assert ballot.aux == previous + eh.b_str("precinct-4/bmd-2")  # eq. (60)
        codes.append(ballot.confirmation_code)
    chain = device.close()
    assert chain.ballot_ids == ("c-0", "c-1", "c-2")
    assert chain.closing_code == eh.chain_closing_code(ctx.extended_base_hash, codes[-1], device.aux0)
    with pytest.raises(VotingError):
        device.encrypt(plaintext_ballot(ctx.manifest, "late", "city", {}))


def test_plaintext_and_manifest_errors(election_5_3: Election) -> None:
    manifest = election_5_3.manifest
    with pytest.raises(VotingError, match="no ballot style"):
        plaintext_ballot(manifest, "x", "nowhere", {})
    with pytest.raises(VotingError, match="not on ballot style"):
        plaintext_ballot(manifest, "x", "city", {"council": {"dan": 1}})
    with pytest.raises(VotingError, match="has no option"):
        plaintext_ballot(manifest, "x", "city", {"mayor": {"zed": 1}})
    bad_value = PlaintextBallot(
        "x", "city", (PlaintextContest("mayor", (2, 0, 0)), PlaintextContest("measure-1", (0, 0)))
    )
    with pytest.raises(VotingError, match=r"outside 0\.\.1"):
        encrypt_ballot(election_5_3.ctx, bad_value, device="d", aux=b"")
    broken = Manifest(
        label="m",
        contests=(ContestDescription("a", ("x", "x"), selection_limit=0), ContestDescription("a", ("y",))),
        ballot_styles=(BallotStyle("s", (1, 3)),),
    )
    assert manifest_problems(broken) == [
        "contest label 'a' is not unique",
        "contest 1 ('a'): option label 'x' is not unique",
        "contest 1 ('a'): selection limit 0 outside 1..64",
        "contest 1 ('a'): option limit 1 outside 1..selection limit 0",
        "ballot style 's' names contest index 3, which does not exist",
    ]
    with pytest.raises(VotingError) as excinfo:
        ElectionContext.create(broken, election_5_3.ceremony.joint_key, election_5_3.h_e)
    assert excinfo.value.code == "voting.bad_manifest"
