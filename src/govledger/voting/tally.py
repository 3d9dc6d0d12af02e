"""Homomorphic tally and threshold decryption by any k of the n guardians (spec §3.5-3.6).

Theory of operation
-------------------
**Aggregation** (§3.5, eq. 62). Multiplying the ciphertexts of one option across all cast ballots,
component by component, gives (A, B) = (g^(sum xi), K^(sum sigma + sum xi)): an encryption of the
option's tally t. Nothing secret is involved; anyone can recompute it (Verification 8).

**Decryption without the key** (§3.6.1-3.6.2). Nobody holds s = sum s_i. Each available guardian
i in U (|U| >= k) publishes the partial decryption M_i = A^P(i) with its key share P(i) (eq. 66);
with the Lagrange coefficients w_i = prod_(l in U, l != i) l / (l - i) mod q (eq. 67),
M = prod M_i^w_i = A^s (eq. 68), because s = sum_(i in U) w_i P(i) mod q. Then T = B / M = K^t
(eq. 64) and t follows by a bounded discrete-log search (baby-step giant-step, :class:`DiscreteLog`).
This is 2.x decryption: missing guardians need no "compensated" shares, any quorum will do, and no
missing guardian's secret is ever reconstructed (Note 3.5).

**Proof** (§3.6.3, eq. 69-76). The guardians jointly prove M = A^s for K = g^s with one
Chaum-Pedersen proof, in three rounds:

1. guardian i: commitments (a_i, b_i) = (g^u_i, A^u_i) with fresh u_i, published with M_i
   (:func:`decryption_share`, a :class:`~.records.DecryptionShare`);
2. combiner: a = prod a_i, b = prod b_i, c = H(H_E; 0x30, K, A, B, a, b, M)
   (:func:`decryption_challenge`, a :class:`~.records.DecryptionChallenge`);
3. guardian i: v_i = u_i - (c w_i) P(i) mod q (:func:`decryption_response`);

then the combiner checks each v_i against g^P(i), which it computes from the published coefficient
commitments alone (eq. 74: prod_j prod_m K_j,m^(i^m)), and M_i (eq. 75), names any guardian whose
share fails, and publishes (c, v = sum v_i) (:func:`combine_decryption`). The same protocol, with
base C0 and challenge tag 0x31, decrypts contest data (§3.6.4); a challenged ballot is decrypted
target by target exactly like a tally (§3.6.5).

A guardian's round-1 nonces are single-use: answering two different challenges with one u_i would
reveal P(i). :class:`GuardianNonces` enforces it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from govledger.voting import hash as eh
from govledger.voting.ballot import open_contest_data
from govledger.voting.errors import SYSTEM_RANDOM, RandomSource, VotingError
from govledger.voting.group import (
    G,
    Q,
    all_in_subgroup,
    elem_bytes,
    exp_bytes,
    from_bytes,
    g_pow,
    inv_p,
    lagrange_coefficient,
    mpz,
    mul_p,
    pow_p,
    powmod_secret,
    prod_p,
)
from govledger.voting.keyceremony import commitment_value
from govledger.voting.records import (
    Ciphertext,
    ContestDataDecryption,
    DecryptedBallot,
    DecryptedBallotContest,
    DecryptedContest,
    DecryptedTally,
    DecryptedValue,
    DecryptionChallenge,
    DecryptionProof,
    DecryptionResponse,
    DecryptionShare,
    EncryptedBallot,
    EncryptedTally,
    EncryptedTallyContest,
    GuardianPublicKey,
    HashedCiphertext,
    Manifest,
)

# --- Aggregation, §3.5 -----------------------------------------------------------------------------


def aggregate(manifest: Manifest, cast_ballots: Iterable[EncryptedBallot]) -> EncryptedTally:
    """(A, B) per option of every manifest contest over the cast ballots (eq. 62).

    Ballots must already have passed verification; this only checks their shape against the
    manifest. A contest that no cast ballot shows aggregates to (1, 1), an encryption of 0.
    """
    products = [[[1, 1] for _ in c.options] for c in manifest.contests]
    counts = [0] * len(manifest.contests)
    total = 0
    for ballot in cast_ballots:
        total += 1
        for contest in ballot.contests:
            if not 1 <= contest.index <= len(manifest.contests):
                raise VotingError(
                    "voting.ballot_shape", f"ballot {ballot.ballot_id!r}: no contest {contest.index}"
                )
            row = products[contest.index - 1]
            if len(contest.selections) != len(row):
                raise VotingError(
                    "voting.ballot_shape",
                    f"ballot {ballot.ballot_id!r} contest {contest.index}: wrong option count",
                )
            counts[contest.index - 1] += 1
            for acc, sel in zip(row, contest.selections, strict=True):
                acc[0] = mul_p(acc[0], from_bytes(sel.ciphertext.alpha))
                acc[1] = mul_p(acc[1], from_bytes(sel.ciphertext.beta))
    contests = tuple(
        EncryptedTallyContest(
            index=i,
            ciphertexts=tuple(Ciphertext(elem_bytes(a), elem_bytes(b)) for a, b in row),
            ballot_count=counts[i - 1],
        )
        for i, row in enumerate(products, start=1)
    )
    return EncryptedTally(contests=contests, ballot_count=total)


# --- Discrete logarithm ----------------------------------------------------------------------------


class DiscreteLog:
    """t from K^t for 0 <= t <= bound, by baby-step giant-step (spec footnote 10, §3.6).

    Baby steps: a table of K^j for j < m = ceil(sqrt(bound + 1)); giant steps: multiply by K^-m at
    most m times. Memory and time are O(sqrt(bound)); for a million votes that is 1,000 entries.
    """

    def __init__(self, base: int, bound: int) -> None:
        if bound < 0:
            raise ValueError("bound must be non-negative")
        self.bound = bound
        self.m = math.isqrt(bound) + 1
        self._baby: dict[int, int] = {}
        acc = mpz(1)
        for j in range(self.m):
            self._baby.setdefault(acc, j)
            acc = mul_p(acc, base)
        self._giant = inv_p(acc)  # K^-m

    def solve(self, target: int) -> int | None:
        gamma = mpz(target)
        for i in range(self.m + 1):
            j = self._baby.get(gamma)
            if j is not None:
                t = i * self.m + j
                return t if t <= self.bound else None
            gamma = mul_p(gamma, self._giant)
        return None


# --- The joint decryption protocol, §3.6.3 ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to decrypt: a vote ciphertext (A, B), challenge tag 0x30; or contest data
    (C0, C1, C2), tag 0x31. ``base`` is what the guardians raise to P(i): A or C0."""

    base: int
    data: int = 0  # B for a vote ciphertext
    hashed: HashedCiphertext | None = None

    @staticmethod
    def of_ciphertext(ct: Ciphertext) -> Target:
        return Target(base=from_bytes(ct.alpha), data=from_bytes(ct.beta))

    @staticmethod
    def of_contest_data(ct: HashedCiphertext) -> Target:
        return Target(base=from_bytes(ct.c0), hashed=ct)


@dataclass(slots=True)
class GuardianNonces:
    """Guardian i's secret u_i per target between rounds 1 and 3; usable for exactly one response."""

    guardian: int
    nonces: list[int] = field(repr=False)
    used: bool = False


def decryption_share(
    guardian: int, key_share: int, targets: Sequence[Target], rng: RandomSource = SYSTEM_RANDOM
) -> tuple[DecryptionShare, GuardianNonces]:
    """Round 1 for guardian i: M_i = base^P(i) (eq. 66, 77), (a_i, b_i) = (g^u_i, base^u_i) (eq. 69, 79)."""
    us = [rng.randbelow(Q) for _ in targets]
    # P(i) and every u_i are secret (u_i and v_i together reveal P(i)): GMP's hardened powmod only.
    share = DecryptionShare(
        guardian=guardian,
        partials=tuple(elem_bytes(powmod_secret(t.base, key_share)) for t in targets),
        commitments_g=tuple(elem_bytes(powmod_secret(G, u)) for u in us),
        commitments_a=tuple(elem_bytes(powmod_secret(t.base, u)) for t, u in zip(targets, us, strict=True)),
    )
    return share, GuardianNonces(guardian=guardian, nonces=us)


@dataclass(frozen=True, slots=True)
class JointValues:
    """The combiner's per-target M (or beta), a and b, from the shares of the guardians in U."""

    guardians: tuple[int, ...]
    m: list[int]
    a: list[int]
    b: list[int]


def _check_shares(shares: Sequence[DecryptionShare], quorum: int, count: int) -> tuple[int, ...]:
    guardians = tuple(sorted(s.guardian for s in shares))
    if len(set(guardians)) != len(guardians):
        raise VotingError("voting.duplicate_guardian", "a guardian sent two decryption shares")
    if len(guardians) < quorum:
        raise VotingError("voting.no_quorum", f"{len(guardians)} guardians available, quorum is {quorum}")
    for s in shares:
        if not len(s.partials) == len(s.commitments_g) == len(s.commitments_a) == count:
            raise VotingError(
                "voting.share_shape", f"guardian {s.guardian}'s share covers the wrong number of targets"
            )
        # A value outside the order-q subgroup (an order-2 component) could pass the response check
        # for half of the challenges and then spoil M without the guardian being named.
        values = [from_bytes(x) for x in (*s.partials, *s.commitments_g, *s.commitments_a)]
        if not all(all_in_subgroup(values)):
            raise VotingError(
                "voting.bad_decryption_share",
                f"guardian {s.guardian}: a partial decryption or commitment is not in the order-q subgroup",
            )
    return guardians


def joint_values(shares: Sequence[DecryptionShare], quorum: int, count: int) -> JointValues:
    """M = prod M_i^w_i (eq. 68, 78) and a = prod a_i, b = prod b_i (eq. 70, 80), per target."""
    guardians = _check_shares(shares, quorum, count)
    ordered = sorted(shares, key=lambda s: s.guardian)
    weights = [lagrange_coefficient(s.guardian, guardians) for s in ordered]
    m = [
        prod_p(pow_p(from_bytes(s.partials[n]), w) for s, w in zip(ordered, weights, strict=True))
        for n in range(count)
    ]
    a = [prod_p(from_bytes(s.commitments_g[n]) for s in ordered) for n in range(count)]
    b = [prod_p(from_bytes(s.commitments_a[n]) for s in ordered) for n in range(count)]
    return JointValues(guardians=guardians, m=m, a=a, b=b)


def _challenge(h_e: bytes, joint_key: int, target: Target, m: int, a: int, b: int) -> bytes:
    if target.hashed is None:
        return eh.decryption_proof_challenge(h_e, joint_key, target.base, target.data, a, b, m)  # eq. (71)
    h = target.hashed
    return eh.contest_data_decryption_challenge(h_e, joint_key, target.base, h.c1, h.c2, a, b, m)  # eq. (81)


def decryption_challenge(
    h_e: bytes, joint_key: int, targets: Sequence[Target], joint: JointValues
) -> DecryptionChallenge:
    """Round 2: the joint challenge c per target (eq. 71 or 81) and the set U it was computed for."""
    challenges = tuple(
        _challenge(h_e, joint_key, t, m, a, b)
        for t, m, a, b in zip(targets, joint.m, joint.a, joint.b, strict=True)
    )
    return DecryptionChallenge(guardians=joint.guardians, challenges=challenges)


def decryption_response(
    guardian: int, key_share: int, nonces: GuardianNonces, challenge: DecryptionChallenge
) -> DecryptionResponse:
    """Round 3 for guardian i: v_i = u_i - c_i P(i) mod q with c_i = c w_i mod q (eq. 72-73, 82)."""
    if nonces.used:
        raise VotingError("voting.nonce_reuse", "these decryption nonces have already answered a challenge")
    if nonces.guardian != guardian or guardian not in challenge.guardians:
        raise VotingError("voting.not_in_quorum", f"guardian {guardian} is not in this challenge's set U")
    if len(challenge.challenges) != len(nonces.nonces):
        raise VotingError("voting.share_shape", "challenge count differs from the committed targets")
    nonces.used = True  # before computing anything: a failure below must not leave them reusable
    w = lagrange_coefficient(guardian, challenge.guardians)
    responses = tuple(
        exp_bytes((u - eh.to_q(c) * w % Q * key_share) % Q)
        for u, c in zip(nonces.nonces, challenge.challenges, strict=True)
    )
    nonces.nonces = []
    return DecryptionResponse(guardian=guardian, responses=responses)


def guardian_share_key(index: int, guardian_keys: Sequence[GuardianPublicKey]) -> int:
    """g^P(i) = prod_j prod_m K_j,m^(i^m) mod p, from public commitments only (inner term of eq. 74)."""
    return prod_p(commitment_value(k, index) for k in guardian_keys)


@dataclass(frozen=True, slots=True)
class CombinedDecryption:
    """A verified joint decryption of one target: M = base^s (beta for contest data) and the proof."""

    m: int
    proof: DecryptionProof


def combine_decryption(
    targets: Sequence[Target],
    shares: Sequence[DecryptionShare],
    joint: JointValues,
    challenge: DecryptionChallenge,
    responses: Sequence[DecryptionResponse],
    guardian_keys: Sequence[GuardianPublicKey],
) -> list[CombinedDecryption]:
    """Round 4: check every v_i (eq. 74-75, 83-84), naming the guardian at fault, and sum them (eq. 76)."""
    by_guardian = {r.guardian: r for r in responses}
    if tuple(sorted(by_guardian)) != joint.guardians or len(responses) != len(joint.guardians):
        raise VotingError("voting.missing_response", "responses do not come from exactly the guardians in U")
    count = len(targets)
    totals = [0] * count
    for share in sorted(shares, key=lambda s: s.guardian):
        i = share.guardian
        response = by_guardian[i]
        if len(response.responses) != count:
            raise VotingError(
                "voting.share_shape", f"guardian {i}'s response covers the wrong number of targets"
            )
        public_share = guardian_share_key(i, guardian_keys)
        w = lagrange_coefficient(i, joint.guardians)
        for n, target in enumerate(targets):
            v = from_bytes(response.responses[n])
            c_i = eh.to_q(challenge.challenges[n]) * w % Q
            m_i = from_bytes(share.partials[n])
            a_ok = mul_p(g_pow(v), pow_p(public_share, c_i)) == from_bytes(share.commitments_g[n])
            b_ok = mul_p(pow_p(target.base, v), pow_p(m_i, c_i)) == from_bytes(share.commitments_a[n])
            if not (v < Q and a_ok and b_ok):
                raise VotingError(
                    "voting.bad_decryption_share",
                    f"guardian {i}: decryption share for target {n} does not verify "
                    f"({'a_i' if not a_ok else 'b_i'} mismatch, eq. 74-75)",
                )
            totals[n] = (totals[n] + v) % Q
    return [
        CombinedDecryption(m=m, proof=DecryptionProof(challenge=c, response=exp_bytes(v)))
        for m, c, v in zip(joint.m, challenge.challenges, totals, strict=True)
    ]


def run_decryption(
    h_e: bytes,
    joint_key: int,
    quorum: int,
    targets: Sequence[Target],
    key_shares: Mapping[int, int],
    guardian_keys: Sequence[GuardianPublicKey],
    rng: RandomSource = SYSTEM_RANDOM,
) -> list[CombinedDecryption]:
    """All four rounds in one process, with the available guardians' key shares: tests and demos.

    The ledger app runs the rounds as separate transactions, each guardian on its own machine.
    """
    round1 = [decryption_share(i, p_i, targets, rng) for i, p_i in sorted(key_shares.items())]
    shares = [s for s, _ in round1]
    joint = joint_values(shares, quorum, len(targets))
    challenge = decryption_challenge(h_e, joint_key, targets, joint)
    responses = [
        decryption_response(i, key_shares[i], n, challenge)
        for (i, _), (_, n) in zip(sorted(key_shares.items()), round1, strict=True)
    ]
    return combine_decryption(targets, shares, joint, challenge, responses, guardian_keys)


# --- Tally and challenged ballots ------------------------------------------------------------------


def tally_targets(tally: EncryptedTally) -> list[Target]:
    """Every (A, B) of the tally, contest by contest, option by option."""
    return [Target.of_ciphertext(ct) for contest in tally.contests for ct in contest.ciphertexts]


def _decrypted_value(
    label: str, target: Target, result: CombinedDecryption, dlog: DiscreteLog
) -> DecryptedValue:
    t_value = mul_p(target.data, inv_p(result.m))  # T = B M^-1, eq. (64)
    value = dlog.solve(t_value)
    if value is None:
        raise VotingError(
            "voting.dlog_out_of_range", f"option {label!r}: decrypted value exceeds {dlog.bound}"
        )
    return DecryptedValue(label=label, value=value, t_value=elem_bytes(t_value), proof=result.proof)


def build_decrypted_tally(
    manifest: Manifest, tally: EncryptedTally, joint_key: int, results: Sequence[CombinedDecryption]
) -> DecryptedTally:
    """T and t for every option from the combined decryptions (in :func:`tally_targets` order)."""
    max_limit = max(c.option_limit for c in manifest.contests)
    dlog = DiscreteLog(joint_key, tally.ballot_count * max_limit)
    targets = tally_targets(tally)
    if len(results) != len(targets):
        raise VotingError("voting.share_shape", "one decryption per tally option is needed")
    contests: list[DecryptedContest] = []
    n = 0
    for tc in tally.contests:
        description = manifest.contests[tc.index - 1]
        options = []
        for label in description.options:
            options.append(_decrypted_value(label, targets[n], results[n], dlog))
            n += 1
        contests.append(DecryptedContest(index=tc.index, label=description.label, options=tuple(options)))
    return DecryptedTally(contests=tuple(contests))


def decrypt_tally(
    h_e: bytes,
    joint_key: int,
    manifest: Manifest,
    tally: EncryptedTally,
    quorum: int,
    key_shares: Mapping[int, int],
    guardian_keys: Sequence[GuardianPublicKey],
    rng: RandomSource = SYSTEM_RANDOM,
) -> DecryptedTally:
    """Decrypt a tally with the key shares of any quorum of guardians, in one process (tests, demos)."""
    targets = tally_targets(tally)
    results = run_decryption(h_e, joint_key, quorum, targets, key_shares, guardian_keys, rng)
    return build_decrypted_tally(manifest, tally, joint_key, results)


def ballot_targets(ballot: EncryptedBallot) -> list[Target]:
    """Every selection ciphertext of a ballot, then each contest's contest data, contest by contest."""
    targets: list[Target] = []
    for contest in ballot.contests:
        targets += [Target.of_ciphertext(s.ciphertext) for s in contest.selections]
        targets.append(Target.of_contest_data(contest.data))
    return targets


def build_decrypted_ballot(
    h_e: bytes,
    joint_key: int,
    manifest: Manifest,
    ballot: EncryptedBallot,
    results: Sequence[CombinedDecryption],
) -> DecryptedBallot:
    """S = beta M^-1 and sigma per selection (eq. 90), and the opened contest data (eq. 86-89)."""
    targets = ballot_targets(ballot)
    if len(results) != len(targets):
        raise VotingError("voting.share_shape", "one decryption per ballot target is needed")
    contests: list[DecryptedBallotContest] = []
    n = 0
    for contest in ballot.contests:
        description = manifest.contests[contest.index - 1]
        dlog = DiscreteLog(joint_key, description.option_limit)
        options = []
        for label in description.options:
            options.append(_decrypted_value(label, targets[n], results[n], dlog))
            n += 1
        data_result = results[n]
        data = open_contest_data(h_e, joint_key, contest.index, contest.data, data_result.m)
        n += 1
        contests.append(
            DecryptedBallotContest(
                index=contest.index,
                label=description.label,
                options=tuple(options),
                data=ContestDataDecryption(
                    beta=elem_bytes(data_result.m), proof=data_result.proof, data=data
                ),
            )
        )
    return DecryptedBallot(ballot_id=ballot.ballot_id, contests=tuple(contests))


def decrypt_ballot(
    h_e: bytes,
    joint_key: int,
    manifest: Manifest,
    ballot: EncryptedBallot,
    quorum: int,
    key_shares: Mapping[int, int],
    guardian_keys: Sequence[GuardianPublicKey],
    rng: RandomSource = SYSTEM_RANDOM,
) -> DecryptedBallot:
    """Decrypt a challenged ballot with a quorum of guardians (§3.6.5), in one process (tests, demos)."""
    results = run_decryption(h_e, joint_key, quorum, ballot_targets(ballot), key_shares, guardian_keys, rng)
    return build_decrypted_ballot(h_e, joint_key, manifest, ballot, results)
