"""The voting app's bridge to the ElectionGuard 2.0 core (`govledger.voting`): every proof the
validators check and every value they derive goes through here, and nowhere else.

Rules
-----
- Nothing cryptographic is re-implemented: keys are checked with `keyceremony.public_key_problems`,
  complaints adjudicated with `keyceremony.adjudicate_complaint`, ballots with
  `verify.BallotChecker.verify_ballot` (given the device's proof commitments when a cast carries
  them: `check_ballot`, whose verdict never depends on them), reveals with `ballot.check_reveal`,
  the joint decryption combined with `tally.joint_values` / `decryption_challenge` /
  `combine_decryption` and the result built with `tally.build_decrypted_tally`. The one exception
  is `response_problem`, the per-guardian form of eq. (74)-(75): `combine_decryption` checks all k
  responses together, but a ledger must refuse a bad response when it arrives and name its sender,
  not fail the k-th guardian's honest one.
- A `VotingError` from the core never escapes: it becomes an `AppError` with a `voting.*` code of
  `errors.CODES`, because the executor turns only `AppError`s into receipts.
- Caches are pure memoisation, so they cannot make two nodes disagree: one `BallotChecker` /
  `ElectionContext` per election (building K's fixed-base table costs ~85 ms) and the verdict per
  ballot (mempool admission and execution check the same bytes; verifying a 3-contest ballot costs
  about 45 powmods of one core, the dominant cost of an election on the ledger). The ballot check
  is not quite a deterministic function: its subgroup tests are batched with random exponents
  (docs/voting.md §8), so two validators could disagree on an *invalid* ballot with probability at
  most 2^-64 each; a valid ballot is always accepted. Exponents derived from the ballot instead
  would make the verdict deterministic but could be ground offline by the ballot's author.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from govledger.apps.voting.model import (
    MAX_TARGETS_PER_CHUNK,
    CastBallot,
    ChallengeBallot,
    ChunkChallenge,
    ChunkResult,
    Election,
)
from govledger.codec import encode
from govledger.voting import hash as eh
from govledger.voting.ballot import ElectionContext, check_reveal, device_aux0
from govledger.voting.errors import VotingError
from govledger.voting.group import (
    LEN_P,
    LEN_Q,
    SPEC_VERSION,
    G,
    P,
    Q,
    all_in_subgroup,
    elem_bytes,
    from_bytes,
    g_pow,
    lagrange_coefficient,
    mul_p,
    pow_p,
)
from govledger.voting.keyceremony import adjudicate_complaint, joint_public_key, public_key_problems
from govledger.voting.records import (
    BallotReveal,
    Ciphertext,
    DecryptedTally,
    DecryptionChallenge,
    DecryptionProof,
    DecryptionResponse,
    DecryptionShare,
    EncryptedBallot,
    EncryptedContest,
    EncryptedSelection,
    EncryptedShare,
    EncryptedTally,
    GuardianPublicKey,
    HashedCiphertext,
    Manifest,
    PlaintextBallot,
    PlaintextContest,
    ProofCommitments,
    RangeProof,
    ShareReveal,
    contest_data_blocks,
    manifest_problems,
)
from govledger.voting.tally import (
    CombinedDecryption,
    JointValues,
    Target,
    build_decrypted_tally,
    combine_decryption,
    decryption_challenge,
    guardian_share_key,
    joint_values,
    tally_targets,
)
from govledger.voting.verify import BallotChecker, Report

# --- election setup -------------------------------------------------------------------------------------


def election_hashes(manifest: Manifest, n: int, k: int) -> tuple[bytes, bytes, bytes]:
    """(H_P, H_M, H_B) of eq. (4), (6), (7) for the standard parameters."""
    h_p = eh.parameter_base_hash(P, Q, G, SPEC_VERSION)
    h_m = eh.manifest_hash(h_p, encode(manifest))
    return h_p, h_m, eh.base_hash(h_p, h_m, n, k)


def manifest_errors(manifest: Manifest) -> list[str]:
    return manifest_problems(manifest)


_WORST_ID = "x" * 64
_ARRAY_HEADER_MAX = 3  # msgpack: a fixarray header is 1 byte, an array16 header 3


def _dummy_contest(manifest: Manifest, i: int) -> EncryptedContest:
    """Contest i as encrypted on a ballot, every field at its largest size (contents are zeros)."""
    elem, exp, digest = bytes(LEN_P), bytes(LEN_Q), bytes(32)
    c = manifest.contests[i - 1]
    proof_r = RangeProof((digest,) * (c.option_limit + 1), (exp,) * (c.option_limit + 1))
    proof_l = RangeProof((digest,) * (c.selection_limit + 1), (exp,) * (c.selection_limit + 1))
    sel = EncryptedSelection(Ciphertext(elem, elem), proof_r)
    data = HashedCiphertext(elem, bytes(32 * contest_data_blocks(c)), digest)
    return EncryptedContest(i, (sel,) * len(c.options), proof_l, data, digest)


def largest_ballot_body(manifest: Manifest) -> tuple[int, int]:
    """(bytes, style): an upper bound on the largest `challenge_ballot` body (ballot + reveal, 64-character
    ids) of any style, so that the ledger refuses a manifest whose ballots could not be submitted. Costs
    one encoding per contest, not per style."""
    empty = ChallengeBallot(
        _WORST_ID,
        bytes(32),
        EncryptedBallot(_WORST_ID, 1, _WORST_ID, (), device_aux0(_WORST_ID), bytes(32)),
        BallotReveal(_WORST_ID, bytes(32), PlaintextBallot(_WORST_ID, "", ())),
    )
    base = len(encode(empty)) + 2 * _ARRAY_HEADER_MAX
    per_contest = [
        len(encode(_dummy_contest(manifest, i)))
        + len(encode(PlaintextContest(c.label, (c.option_limit,) * len(c.options))))
        for i, c in enumerate(manifest.contests, start=1)
    ]
    worst = (0, 0)
    for n, style in enumerate(manifest.ballot_styles, start=1):
        size = base + len(style.label.encode()) + 3 + sum(per_contest[i - 1] for i in style.contests)
        worst = max(worst, (size, n))
    return worst


def largest_cast_body(manifest: Manifest) -> tuple[int, int]:
    """(bytes, style): an upper bound on the largest `cast_ballot` body *with* the device's proof
    commitments (64-character ids) of any style. Where it exceeds MAX_BODY_BYTES, devices cast some
    ballots without them (`device.cast_body`), checked the standard way."""
    empty = CastBallot(
        _WORST_ID,
        bytes(32),
        EncryptedBallot(_WORST_ID, 1, _WORST_ID, (), device_aux0(_WORST_ID), bytes(32)),
        ProofCommitments(_WORST_ID, ()),
    )
    base = len(encode(empty)) + 2 * _ARRAY_HEADER_MAX
    elem = bytes(LEN_P)
    per_contest = []
    for i, c in enumerate(manifest.contests, start=1):
        hints = ((elem,) * 2 * (c.option_limit + 1),) * len(c.options) + (
            (elem,) * 2 * (c.selection_limit + 1),
        )
        # the contests' proofs share one flat list: counting each contest's own list header too
        # overestimates by a few bytes, which keeps this an upper bound
        per_contest.append(len(encode(_dummy_contest(manifest, i))) + len(encode(hints)))
    worst = (0, 0)
    for n, style in enumerate(manifest.ballot_styles, start=1):
        size = base + sum(per_contest[i - 1] for i in style.contests)
        worst = max(worst, (size, n))
    return worst


# --- key ceremony -----------------------------------------------------------------------------------


def guardian_key_problems(h_p: bytes, key: GuardianPublicKey, quorum: int) -> list[str]:
    """Verification 2 for one guardian: k commitments in the subgroup, each with a valid Schnorr proof."""
    return public_key_problems(h_p, key, quorum)


def shares_problems(shares: Sequence[EncryptedShare]) -> list[str]:
    """What anyone can check about encrypted shares: C0 in the order-q subgroup (the receiver checks
    the rest, and complains publicly if the share does not decrypt or verify)."""
    members = all_in_subgroup([from_bytes(s.c0) for s in shares])
    return [
        f"share to guardian {s.receiver}: C0 is not in the subgroup"
        for s, ok in zip(shares, members, strict=True)
        if not ok
    ]


def adjudicate(
    h_p: bytes,
    sender: GuardianPublicKey,
    receiver: GuardianPublicKey,
    share: EncryptedShare,
    reveal: ShareReveal,
) -> tuple[bool, str]:
    """(sender at fault, reason): does the revealed (P_i(l), xi) reproduce the posted share and eq. (21)?"""
    verdict = adjudicate_complaint(h_p, sender, receiver, share, reveal)
    return verdict.sender_at_fault, verdict.reason


def joint_key(keys: Sequence[GuardianPublicKey], base_hash: bytes) -> tuple[bytes, bytes]:
    """(b(K, 512), H_E): the joint key (eq. 8) and the extended base hash (eq. 23)."""
    k = joint_public_key(keys)
    return elem_bytes(k), eh.extended_base_hash(base_hash, k)


# --- ballots --------------------------------------------------------------------------------------------

_CHECKERS: dict[bytes, BallotChecker] = {}
_CONTEXTS: dict[bytes, ElectionContext] = {}
_VERDICTS: dict[bytes, tuple[str, ...]] = {}
_MAX_ELECTIONS_CACHED = 8
_MAX_VERDICTS = 8192
_HOSTILE_INPUT = (VotingError, ValueError, IndexError, KeyError)


def _checker(election: Election) -> BallotChecker:
    key = election.extended_base_hash + election.joint_key
    found = _CHECKERS.get(key)
    if found is None:
        if len(_CHECKERS) >= _MAX_ELECTIONS_CACHED:
            _CHECKERS.clear()
        found = BallotChecker(election.manifest, from_bytes(election.joint_key), election.extended_base_hash)
        _CHECKERS[key] = found
    return found


def context(election: Election) -> ElectionContext:
    """The shared encryption context of an election whose key ceremony is complete."""
    key = election.extended_base_hash + election.joint_key
    found = _CONTEXTS.get(key)
    if found is None:
        if len(_CONTEXTS) >= _MAX_ELECTIONS_CACHED:
            _CONTEXTS.clear()
        found = ElectionContext.create(
            election.manifest, from_bytes(election.joint_key), election.extended_base_hash
        )
        _CONTEXTS[key] = found
    return found


def device_ok(ballot: EncryptedBallot) -> bool:
    """Without chaining, B_aux of every ballot is its device's B_aux,0 (Verification 7.D-7.E)."""
    return ballot.aux == device_aux0(ballot.device)


def check_ballot(
    checker: BallotChecker, ballot: EncryptedBallot, commitments: ProofCommitments | None = None
) -> tuple[str, ...]:
    """Verification 5, 6, 7.A and 7.B and shape for one ballot, uncached: the failures as
    `[step] message`, empty when the ballot is valid.

    With the device's ``commitments`` the batched path runs first; whenever it does not accept (a
    wrong or malformed hint, an invalid ballot), `verify_ballot` reports the standard path's own
    verdict, so the failures never depend on the hint. A hint hostile enough to raise is dropped
    and the ballot checked without it, for the same reason.
    """
    if commitments is not None:
        try:
            return _failures(checker.verify_ballot(ballot, commitments=commitments))
        except _HOSTILE_INPUT:
            pass
    try:
        return _failures(checker.verify_ballot(ballot))
    except _HOSTILE_INPUT as exc:  # a hostile ballot must never crash a validator
        return (f"[S] the ballot cannot be checked: {type(exc).__name__}: {exc}",)


def _failures(report: Report) -> tuple[str, ...]:
    verdict = tuple(str(f) for f in report.failures)
    if not report.ok and not verdict:
        verdict = (f"{report.failure_count} check(s) failed",)
    return verdict


def ballot_problems(
    election: Election, ballot: EncryptedBallot, commitments: ProofCommitments | None = None
) -> tuple[str, ...]:
    """`check_ballot` memoised per ballot: mempool admission and execution pay once. The key is the
    ballot alone, not the hint: the verdict does not depend on it (except with probability 2^-64
    for an invalid ballot, the batched checks' soundness error)."""
    digest = hashlib.sha256(election.extended_base_hash + encode(ballot)).digest()
    verdict = _VERDICTS.get(digest)
    if verdict is None:
        verdict = check_ballot(_checker(election), ballot, commitments)
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
        _VERDICTS[digest] = verdict
    return verdict


def reveal_problems(election: Election, ballot: EncryptedBallot, reveal: BallotReveal) -> list[str]:
    """The Benaloh second-device check (§3.6.5): re-encrypt from xi_B and the plaintext, compare."""
    try:
        return check_reveal(context(election), ballot, reveal)
    except VotingError as exc:
        return [exc.message]
    except _HOSTILE_INPUT as exc:
        return [f"the reveal cannot be checked: {type(exc).__name__}: {exc}"]


# --- counting -----------------------------------------------------------------------------------------


def chunk_targets(tally: EncryptedTally, chunk: int) -> list[Target]:
    """The tally options of chunk `chunk` (0-based), in `tally_targets` order."""
    targets = tally_targets(tally)
    return targets[chunk * MAX_TARGETS_PER_CHUNK : (chunk + 1) * MAX_TARGETS_PER_CHUNK]


def chunk_count(targets: int) -> int:
    return max(1, -(-targets // MAX_TARGETS_PER_CHUNK))


def decryption_share_problem(share: DecryptionShare, count: int) -> str:
    """Shape and group membership of a round-1 share ("" when fine). The proof comes in round 3."""
    if not len(share.partials) == len(share.commitments_g) == len(share.commitments_a) == count:
        return f"the share covers {len(share.partials)} targets, the chunk has {count}"
    values = [from_bytes(x) for x in (*share.partials, *share.commitments_g, *share.commitments_a)]
    if not all(all_in_subgroup(values)):
        return "a partial decryption or commitment is not in the order-q subgroup"
    return ""


def start_chunk(
    election: Election, targets: Sequence[Target], shares: Sequence[DecryptionShare], height: int
) -> ChunkChallenge:
    """Round 2, computed by every validator when the k-th share arrives: M = prod M_i^w_i with the
    Lagrange weights of the guardians present (eq. 67-68), and the joint challenges (eq. 70-71)."""
    try:
        joint = joint_values(shares, election.quorum, len(targets))
        challenge = decryption_challenge(
            election.extended_base_hash, from_bytes(election.joint_key), targets, joint
        )
    except VotingError as exc:  # every share was checked on arrival: this is a bug, not bad input
        raise AssertionError(f"joint decryption of checked shares failed: {exc}") from None
    return ChunkChallenge(challenge=challenge, m=tuple(elem_bytes(m) for m in joint.m), height=height)


def response_problem(
    keys: Sequence[GuardianPublicKey],
    targets: Sequence[Target],
    share: DecryptionShare,
    challenge: DecryptionChallenge,
    response: DecryptionResponse,
) -> str:
    """Eq. (74)-(75) for guardian i alone: g^v_i (g^P(i))^c_i = a_i and A^v_i M_i^c_i = b_i per target,
    with c_i = c w_i and g^P(i) from the public commitments (eq. 74). "" when the response verifies."""
    i = share.guardian
    if len(response.responses) != len(targets):
        return f"the response covers {len(response.responses)} targets, the chunk has {len(targets)}"
    public_share = guardian_share_key(i, keys)
    w = lagrange_coefficient(i, challenge.guardians)
    for n, target in enumerate(targets):
        v = from_bytes(response.responses[n])
        c_i = eh.to_q(challenge.challenges[n]) * w % Q
        m_i = from_bytes(share.partials[n])
        if v >= Q:
            return f"target {n}: v_i is not in Z_q"
        if mul_p(g_pow(v), pow_p(public_share, c_i)) != from_bytes(share.commitments_g[n]):
            return f"target {n}: g^v_i (g^P({i}))^c_i != a_i (eq. 74)"
        if mul_p(pow_p(target.base, v), pow_p(m_i, c_i)) != from_bytes(share.commitments_a[n]):
            return f"target {n}: A^v_i M_i^c_i != b_i (eq. 75)"
    return ""


def finish_chunk(
    keys: Sequence[GuardianPublicKey],
    targets: Sequence[Target],
    shares: Sequence[DecryptionShare],
    chunk: ChunkChallenge,
    responses: Sequence[DecryptionResponse],
    height: int,
) -> ChunkResult:
    """Round 4 with the core's `combine_decryption`: every response re-checked, v = sum v_i (eq. 76)."""
    joint = JointValues(guardians=chunk.challenge.guardians, m=[from_bytes(m) for m in chunk.m], a=[], b=[])
    try:
        combined = combine_decryption(targets, shares, joint, chunk.challenge, responses, keys)
    except VotingError as exc:  # every response was checked on arrival
        raise AssertionError(f"combining checked responses failed: {exc}") from None
    return ChunkResult(
        m=tuple(elem_bytes(c.m) for c in combined), proofs=tuple(c.proof for c in combined), height=height
    )


def decrypted_tally(
    election: Election, tally: EncryptedTally, chunks: Sequence[ChunkResult]
) -> DecryptedTally:
    """T = B / M and t by discrete log for every option (eq. 64), with the chunks' proofs."""
    results = [
        CombinedDecryption(m=from_bytes(m), proof=DecryptionProof(p.challenge, p.response))
        for chunk in chunks
        for m, p in zip(chunk.m, chunk.proofs, strict=True)
    ]
    try:
        return build_decrypted_tally(election.manifest, tally, from_bytes(election.joint_key), results)
    except VotingError as exc:  # proofs bind M = A^s, so t lies in 0..ballots x R
        raise AssertionError(f"decryption of a verified tally failed: {exc}") from None
