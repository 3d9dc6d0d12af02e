"""The verifier's batch tests: subgroup membership by Jacobi symbol plus small-exponent product,
multi-exponentiation, and ballots checked against the prover's commitments (with fallback)."""

from __future__ import annotations

import random

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.voting import group as gr
from govledger.voting.ballot import encrypt_ballot, plaintext_ballot
from govledger.voting.records import EncryptedBallot, ProofCommitments
from govledger.voting.verify import BallotChecker, _Claims

from .conftest import Election, SeededRandom

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# An element of order r/2: in the quadratic residues (Jacobi symbol 1) but not in the order-q subgroup.
ORDER_R2 = gr.powmod(3, 2 * gr.Q, gr.P)


def members(n: int, seed: int) -> list[int]:
    rnd = random.Random(seed)
    return [gr.g_pow(rnd.randrange(1, gr.Q)) for _ in range(n)]


def test_order_r2_element_is_a_residue_outside_the_subgroup() -> None:
    assert ORDER_R2 != 1 and gr.all_quadratic_residues([ORDER_R2]) and not gr.is_in_subgroup(ORDER_R2)


@FAST
@given(
    bits=st.lists(st.integers(0, 300), min_size=0, max_size=6),
    seed=st.integers(0, 2**32),
)
def test_multi_pow_matches_separate_exponentiations(bits: list[int], seed: int) -> None:
    rnd = random.Random(seed)
    bases = [rnd.randrange(1, gr.P) for _ in bits]
    exponents = [rnd.getrandbits(b) for b in bits]
    expected = 1
    for b, e in zip(bases, exponents, strict=True):
        expected = expected * pow(b, e, gr.P) % gr.P
    assert gr.multi_pow(bases, exponents) == expected


def test_multi_pow_refuses_negative_exponents_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        gr.multi_pow([gr.G], [-1])
    with pytest.raises(ValueError):
        gr.multi_pow([gr.G, gr.G], [1])


@FAST
@given(n=st.integers(0, 20), seed=st.integers(0, 2**32))
def test_batch_accepts_members(n: int, seed: int) -> None:
    assert gr.batch_in_subgroup(members(n, seed))


@FAST
@given(
    n=st.integers(1, 20),
    seed=st.integers(0, 2**32),
    kind=st.sampled_from(["negated", "order-r/2", "zero", "p", "above p", "two negated"]),
)
def test_batch_rejects_any_non_member(n: int, seed: int, kind: str) -> None:
    xs = members(n, seed)
    k = random.Random(seed).randrange(n)
    if kind == "negated":
        xs[k] = gr.P - xs[k]
    elif kind == "order-r/2":
        xs[k] = xs[k] * ORDER_R2 % gr.P
    elif kind == "zero":
        xs[k] = 0
    elif kind == "p":
        xs[k] = gr.P
    elif kind == "above p":
        xs[k] += gr.P
    else:  # two order-2 components cancel in a product: only the Jacobi symbols catch them
        xs[k] = gr.P - xs[k]
        xs.append(gr.P - gr.G)
    assert not gr.batch_in_subgroup(xs)
    assert not all(gr.all_in_subgroup(xs))


def test_jacobi_half_is_needed_for_negated_values() -> None:
    """With even random exponents, -x passes the product test alone: why the Jacobi symbols are there."""
    xs = members(4, 1)
    xs[2] = gr.P - xs[2]
    product = gr.multi_pow(xs, [2, 4, 6, 8])
    assert gr.powmod(product, gr.Q) == 1  # the product half alone would accept
    assert not gr.batch_in_subgroup(xs, lambda _bits: 2)


# --- ballots with the prover's commitments ----------------------------------------------------------


@pytest.fixture(scope="module")
def checker(election_5_3: Election) -> BallotChecker:
    return BallotChecker(election_5_3.manifest, election_5_3.ceremony.joint_key, election_5_3.h_e)


@pytest.fixture(scope="module")
def hinted(election_5_3: Election) -> tuple[EncryptedBallot, ProofCommitments]:
    manifest = election_5_3.manifest
    plain = plaintext_ballot(
        manifest, "hinted-1", "all", {"mayor": {"bob": 1}, "council": {"dan": 1, "grace": 1}, "measure-1": {}}
    )
    out: list[tuple[bytes, ...]] = []
    ballot, _ = encrypt_ballot(
        election_5_3.ctx, plain, device="d", aux=b"aux", rng=SeededRandom(7), commitments_out=out
    )
    return ballot, ProofCommitments(ballot.ballot_id, tuple(out))


def _bump_response(ballot: EncryptedBallot, contest: int, option: int) -> EncryptedBallot:
    contests = list(ballot.contests)
    selections = list(contests[contest].selections)
    proof = selections[option].proof
    v = (gr.from_bytes(proof.responses[0]) + 1) % gr.Q
    proof = msgspec.structs.replace(proof, responses=(gr.exp_bytes(v), *proof.responses[1:]))
    selections[option] = msgspec.structs.replace(selections[option], proof=proof)
    contests[contest] = msgspec.structs.replace(contests[contest], selections=tuple(selections))
    return msgspec.structs.replace(ballot, contests=tuple(contests))


def test_commitments_cover_every_proof(hinted: tuple[EncryptedBallot, ProofCommitments]) -> None:
    ballot, hint = hinted
    assert len(hint.proofs) == sum(len(c.selections) + 1 for c in ballot.contests)
    assert [len(p) for p in hint.proofs[:4]] == [4, 4, 4, 4]  # 0/1 options, then the 1-of-3 limit
    assert len(hint.proofs[4 + 4]) == 6  # after 4 council options, its 2-of-4 limit proof: three parts


def test_valid_ballot_passes_on_the_fast_path(
    checker: BallotChecker, hinted: tuple[EncryptedBallot, ProofCommitments]
) -> None:
    ballot, hint = hinted
    fast = checker.verify_ballot(ballot, commitments=hint)
    standard = checker.verify_ballot(ballot)
    assert fast.ok and standard.ok
    assert fast.passed["H"] > 0 and "H" not in standard.passed
    assert {k: v for k, v in fast.passed.items() if k != "H"} == dict(standard.passed)


def test_wrong_hint_falls_back_and_still_accepts_a_valid_ballot(
    checker: BallotChecker, hinted: tuple[EncryptedBallot, ProofCommitments]
) -> None:
    ballot, hint = hinted
    proofs = list(hint.proofs)
    proofs[2] = (proofs[2][1], proofs[2][0], *proofs[2][2:])
    for bad in (
        ProofCommitments(ballot.ballot_id, tuple(proofs)),
        ProofCommitments("another", hint.proofs),
        ProofCommitments(ballot.ballot_id, hint.proofs[:-1]),
    ):
        report = checker.verify_ballot(ballot, commitments=bad)
        assert report.ok, report.summary()
        assert "H" not in report.passed  # the standard path decided


def test_altered_proof_with_its_old_commitments_fails_precisely(
    checker: BallotChecker, hinted: tuple[EncryptedBallot, ProofCommitments]
) -> None:
    """The commitments still hash to the challenges; only the batched equations can notice."""
    ballot, hint = hinted
    altered = _bump_response(ballot, 1, 2)
    report = checker.verify_ballot(altered, commitments=hint)
    assert not report.ok
    assert [str(f) for f in report.failures] == [
        "[5.D] ballot 'hinted-1' contest 2 ('council') option 3 ('frank'): "
        "the challenges c_j do not sum to the hash of the commitments (eq. 46)"
    ]


def test_claims_reject_a_false_equation_and_a_non_residue(
    election_5_3: Election, hinted: tuple[EncryptedBallot, ProofCommitments]
) -> None:
    ballot, hint = hinted
    k_table = gr.fixed_base(election_5_3.ceremony.joint_key)
    sel = ballot.contests[0].selections[0]
    alpha, beta = gr.from_bytes(sel.ciphertext.alpha), gr.from_bytes(sel.ciphertext.beta)
    cs = [gr.from_bytes(c) for c in sel.proof.challenges]
    vs = [gr.from_bytes(v) for v in sel.proof.responses]
    given = [gr.from_bytes(x) for x in hint.proofs[0]]
    pairs = list(zip(given[::2], given[1::2], strict=True))

    def claims(commitments: list[tuple[int, int]]) -> bool:
        c = _Claims()
        c.add_range_proof(alpha, beta, cs, vs, commitments)
        return c.hold(k_table)

    assert claims(pairs)
    a0, b0 = pairs[0]
    assert not claims([(a0 * ORDER_R2 % gr.P, b0), pairs[1]])  # a residue, but not g^v alpha^c
    assert not claims([(a0, gr.P - b0), pairs[1]])  # -b: caught by the Jacobi symbol
    assert not claims([pairs[0], (pairs[1][0], pairs[1][1] * gr.G % gr.P)])
