"""Ballot encryption, proofs of well-formedness, confirmation codes and chaining (spec §3.3-3.4).

Theory of operation
-------------------
A ballot is a vector of small integers, one per option of every contest on the voter's ballot style.
The device draws one 256-bit ballot nonce xi_B and derives everything else from it (§3.3.2), so the
whole encryption can later be re-derived from (xi_B, plaintext): that is what makes the Benaloh
challenge below cheap to check.

For contest i (index in the manifest) and option j:

- nonce xi_ij = H(H_E; 0x20, xi_B, i, j) (eq. 25);
- ciphertext (alpha, beta) = (g^xi, K^(sigma + xi)) (eq. 24): exponential ElGamal, additively
  homomorphic, decrypted as a power of K;
- a range proof that sigma is in 0..R (R the option limit; §3.3.5): a disjunctive Chaum-Pedersen
  proof, honest for the true value l and simulated for every other j, with the challenges summing
  to c = H(H_E; 0x21, K, alpha, beta, a_0, b_0, ..., a_R, b_R) (eq. 44-48).

Per contest, the product of the option ciphertexts encrypts the number of votes cast in it, under the
summed nonce; a second range proof shows it is in 0..L, L the contest selection limit (§3.3.8,
eq. 56). An overvote (more than L) is encrypted as all zeros, with the voter's marks kept in the
contest data (§3.3.7): a hashed-ElGamal ciphertext under K (eq. 50-55) of a small fixed-length record
(our layout, below). The contest hash chi_l = H(H_E; 0x23, l, K, alpha_1, beta_1, ...) (eq. 57) covers
the option ciphertexts; the confirmation code H(B) = H(H_E; 0x24, chi_1, ..., chi_m, B_aux) (eq. 58)
covers the contest hashes and B_aux. With chaining (§3.4.3), B_aux of a device's j-th ballot is
H_(j-1) || B_aux,0, H_0 = H(H_E; 0x24, B_aux,0), and the device closes its chain with
H(H_E; 0x24, H_last || B_aux,0 || "CLOSE") (eq. 59-61), so deleting or reordering a ballot breaks the
chain.

**Benaloh challenge** (cast-as-intended). The voter sees the confirmation code and only then decides.
To cast, the device forgets xi_B. To challenge, it publishes a :class:`~.records.BallotReveal`
(xi_B and the plaintext); the ballot is spoiled and the voter votes again. Because the device
committed to the code before knowing the decision, a device that cheats on a fraction f of ballots is
caught with probability f per challenge. :func:`check_reveal` is the second-device check: it re-derives
every ciphertext and the confirmation code from the reveal and compares (§3.6.5 "Verifying decryption
with nonces"); it needs no secret key and no proofs.

Contest data layout (the spec leaves the encoding to the implementation, §3.3.7): one status byte
(0 normal, 1 undervote, 2 null vote, 3 overvote), a two-byte count n, then n pairs (option index,
value) of two bytes each listing the voter's marks when (and only when) the contest is overvoted;
zero-padded to 32 * b_D bytes with b_D = ceil((3 + 4m)/32) for m options (so at most 13 blocks).
"""

from __future__ import annotations

import hmac as _hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from govledger.voting import hash as eh
from govledger.voting.errors import SYSTEM_RANDOM, RandomSource, VotingError
from govledger.voting.group import (
    FixedBase,
    Q,
    elem_bytes,
    exp_bytes,
    fixed_base,
    from_bytes,
    g_pow,
    is_in_subgroup,
    mpz,
    mul_p,
)
from govledger.voting.records import (
    MAX_AUX_BYTES,
    BallotReveal,
    Ciphertext,
    ContestDescription,
    DeviceChain,
    EncryptedBallot,
    EncryptedContest,
    EncryptedSelection,
    HashedCiphertext,
    Manifest,
    PlaintextBallot,
    PlaintextContest,
    RangeProof,
    contest_data_blocks,
    manifest_problems,
)

BALLOT_NONCE_BYTES: Final = 32


class ContestStatus(IntEnum):
    """The first byte of our contest data (§3.3.7)."""

    NORMAL = 0
    UNDERVOTE = 1
    NULL_VOTE = 2
    OVERVOTE = 3


@dataclass(frozen=True, slots=True)
class ElectionContext:
    """What an encrypting device needs: the manifest, K with its fixed-base table, and H_E.

    Build it once per election with :meth:`create` (the K table costs ~85 ms) and share it.
    """

    manifest: Manifest
    joint_key: int
    extended_base_hash: bytes
    key_table: FixedBase = field(repr=False)
    style_by_label: Mapping[str, int] = field(repr=False)

    @staticmethod
    def create(manifest: Manifest, joint_key: int, extended_base_hash: bytes) -> ElectionContext:
        problems = manifest_problems(manifest)
        if problems:
            raise VotingError("voting.bad_manifest", "; ".join(problems))
        if not is_in_subgroup(joint_key) or joint_key == 1:
            raise VotingError(
                "voting.bad_joint_key", "the joint key is not an element of the order-q subgroup"
            )
        if len(extended_base_hash) != eh.HASH_BYTES:
            raise VotingError("voting.bad_hash", "the extended base hash is 32 bytes")
        styles = {s.label: n for n, s in enumerate(manifest.ballot_styles, start=1)}
        return ElectionContext(
            manifest, mpz(joint_key), extended_base_hash, fixed_base(mpz(joint_key)), styles
        )

    def contest(self, index: int) -> ContestDescription:
        return self.manifest.contests[index - 1]

    def k_pow(self, exponent: int) -> int:
        return self.key_table.pow(exponent)


# --- Building blocks -------------------------------------------------------------------------------


def encrypt_vote(ctx: ElectionContext, value: int, nonce: int) -> tuple[int, int]:
    """Enc(sigma, xi) = (g^xi mod p, K^(sigma + xi) mod p), eq. (24)."""
    return g_pow(nonce), ctx.k_pow(value + nonce)


def prove_range(
    ctx: ElectionContext,
    alpha: int,
    beta: int,
    value: int,
    limit: int,
    nonce: int,
    rng: RandomSource = SYSTEM_RANDOM,
    *,
    fixed_nonces: tuple[Sequence[int], Sequence[int]] | None = None,
    commitments_out: list[tuple[bytes, ...]] | None = None,
) -> RangeProof:
    """Proof that (alpha, beta) = Enc(value, nonce) encrypts an integer in 0..limit (§3.3.5, eq. 44-48).

    ``fixed_nonces`` = (u_0..u_R, c_0..c_R) replaces the random u_j and simulated c_j (c_value is
    ignored): for reproducing published test vectors only. ``commitments_out``, when given, gets the
    proof's commitments (a_0, b_0, ..., a_R, b_R) appended, as a verification hint
    (:class:`~.records.ProofCommitments`).
    """
    if not 0 <= value <= limit:
        raise VotingError("voting.value_out_of_range", f"cannot prove {value} is in 0..{limit}")
    if fixed_nonces is None:
        us = [rng.randbelow(Q) for _ in range(limit + 1)]
        cs = [rng.randbelow(Q) for _ in range(limit + 1)]
    else:
        us, cs = list(fixed_nonces[0]), list(fixed_nonces[1])
        if len(us) != limit + 1 or len(cs) != limit + 1:
            raise VotingError("voting.bad_nonces", "need limit + 1 nonces u_j and c_j")
    commitments: list[tuple[int, int]] = []
    for j, u in enumerate(us):
        # eq. (44) for j = l; eq. (45) for j != l: b_j = K^(u_j + (l - j) c_j), a simulated proof for
        # "encrypts j" whose response will be v_j = u_j - c_j xi like the honest one.
        t = u if j == value else u + (value - j) * cs[j]
        commitments.append((g_pow(u), ctx.k_pow(t)))
    c = eh.to_q(eh.range_proof_challenge(ctx.extended_base_hash, ctx.joint_key, alpha, beta, commitments))
    if commitments_out is not None:
        commitments_out.append(tuple(elem_bytes(x) for pair in commitments for x in pair))
    cs[value] = (c - sum(cj for j, cj in enumerate(cs) if j != value)) % Q  # eq. (47)
    responses = [(u - cj * nonce) % Q for u, cj in zip(us, cs, strict=True)]  # eq. (48)
    return RangeProof(
        challenges=tuple(exp_bytes(cj % Q) for cj in cs),
        responses=tuple(exp_bytes(v) for v in responses),
    )


def contest_data_encode(contest: ContestDescription, votes: Sequence[int]) -> tuple[ContestStatus, bytes]:
    """Our fixed-length contest data D for a contest (layout in the module docstring), and its status."""
    total = sum(votes)
    if total > contest.selection_limit:
        status = ContestStatus.OVERVOTE
    elif total == 0:
        status = ContestStatus.NULL_VOTE
    elif total < contest.selection_limit:
        status = ContestStatus.UNDERVOTE
    else:
        status = ContestStatus.NORMAL
    marks = [(j, v) for j, v in enumerate(votes, start=1) if v] if status is ContestStatus.OVERVOTE else []
    body = bytes([status]) + len(marks).to_bytes(2, "big")
    body += b"".join(j.to_bytes(2, "big") + v.to_bytes(2, "big") for j, v in marks)
    size = 32 * contest_data_blocks(contest)
    assert len(body) <= size, "contest data layout exceeds b_D blocks"
    return status, body.ljust(size, b"\x00")


def contest_data_decode(data: bytes) -> tuple[ContestStatus, list[tuple[int, int]]]:
    """Parse our contest data: (status, overvote marks as (option index, value))."""
    if len(data) < 3 or data[0] > max(ContestStatus):
        raise VotingError("voting.bad_contest_data", "contest data does not parse")
    count = int.from_bytes(data[1:3], "big")
    if 3 + 4 * count > len(data):
        raise VotingError("voting.bad_contest_data", "contest data mark count exceeds its length")
    marks = [
        (
            int.from_bytes(data[3 + 4 * n : 5 + 4 * n], "big"),
            int.from_bytes(data[5 + 4 * n : 7 + 4 * n], "big"),
        )
        for n in range(count)
    ]
    return ContestStatus(data[0]), marks


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def encrypt_contest_data(
    ctx: ElectionContext, contest_index: int, ballot_nonce: bytes, data: bytes
) -> HashedCiphertext:
    """C_D = (C0, C1, C2) of eq. (50)-(55): hashed ElGamal of D under K with the derived nonce."""
    blocks = len(data) // 32
    if len(data) % 32 or not 1 <= blocks <= 16:
        raise VotingError("voting.bad_contest_data", "contest data is 1 to 16 blocks of 32 bytes")
    xi = eh.contest_data_nonce(ctx.extended_base_hash, ballot_nonce, contest_index)
    alpha, beta = g_pow(xi), ctx.k_pow(xi)
    keys = eh.contest_data_kdf(
        eh.contest_data_key(ctx.extended_base_hash, ctx.joint_key, alpha, beta), contest_index, blocks
    )
    c1 = b"".join(_xor(data[32 * n : 32 * n + 32], keys[n + 1]) for n in range(blocks))
    c0 = elem_bytes(alpha)
    return HashedCiphertext(c0=c0, c1=c1, c2=eh.hmac_sha256(keys[0], c0 + c1))


def open_contest_data(
    h_e: bytes, joint_key: int, contest_index: int, ciphertext: HashedCiphertext, beta: int
) -> bytes:
    """Decrypt contest data given beta = C0^s (guardians, §3.6.4) or K^xi (nonce holder): eq. (86)-(89)."""
    blocks = len(ciphertext.c1) // 32
    if len(ciphertext.c1) % 32 or not 1 <= blocks <= 16:
        raise VotingError("voting.bad_contest_data", "contest data ciphertext is 1 to 16 blocks of 32 bytes")
    c0 = from_bytes(ciphertext.c0)
    keys = eh.contest_data_kdf(eh.contest_data_key(h_e, joint_key, c0, beta), contest_index, blocks)
    if not _hmac.compare_digest(eh.hmac_sha256(keys[0], ciphertext.c0 + ciphertext.c1), ciphertext.c2):
        raise VotingError(
            "voting.contest_data_mac", f"contest {contest_index}: contest data MAC does not verify"
        )
    return b"".join(_xor(ciphertext.c1[32 * n : 32 * n + 32], keys[n + 1]) for n in range(blocks))


# --- Ballots ---------------------------------------------------------------------------------------


def plaintext_ballot(
    manifest: Manifest, ballot_id: str, style: str, choices: Mapping[str, Mapping[str, int]]
) -> PlaintextBallot:
    """A :class:`PlaintextBallot` from labels: ``{"mayor": {"alice": 1}, ...}``; unnamed options are 0."""
    styles = {s.label: s for s in manifest.ballot_styles}
    if style not in styles:
        raise VotingError("voting.unknown_style", f"no ballot style {style!r}")
    shown = sorted(styles[style].contests)
    labels = {manifest.contests[i - 1].label for i in shown}
    for name in choices:
        if name not in labels:
            raise VotingError(
                "voting.contest_not_on_style", f"contest {name!r} is not on ballot style {style!r}"
            )
    contests: list[PlaintextContest] = []
    for i in shown:
        contest = manifest.contests[i - 1]
        marks = choices.get(contest.label, {})
        unknown = set(marks) - set(contest.options)
        if unknown:
            raise VotingError(
                "voting.unknown_option", f"contest {contest.label!r} has no option {sorted(unknown)[0]!r}"
            )
        contests.append(PlaintextContest(contest.label, tuple(marks.get(o, 0) for o in contest.options)))
    return PlaintextBallot(ballot_id=ballot_id, style=style, contests=tuple(contests))


def _contest_plan(
    ctx: ElectionContext, ballot: PlaintextBallot
) -> tuple[int, list[tuple[int, PlaintextContest]]]:
    """Check a plaintext against its style; return the style index and [(contest index, contest)]."""
    style_index = ctx.style_by_label.get(ballot.style)
    if style_index is None:
        raise VotingError(
            "voting.unknown_style", f"ballot {ballot.ballot_id!r}: no ballot style {ballot.style!r}"
        )
    shown = sorted(ctx.manifest.ballot_styles[style_index - 1].contests)
    if len(ballot.contests) != len(shown):
        raise VotingError(
            "voting.ballot_shape",
            f"ballot {ballot.ballot_id!r}: style {ballot.style!r} has {len(shown)} contests, "
            f"got {len(ballot.contests)}",
        )
    plan: list[tuple[int, PlaintextContest]] = []
    for i, pc in zip(shown, ballot.contests, strict=True):
        contest = ctx.contest(i)
        if pc.label != contest.label:
            raise VotingError(
                "voting.ballot_shape",
                f"ballot {ballot.ballot_id!r}: expected contest {contest.label!r}, got {pc.label!r}",
            )
        if len(pc.votes) != len(contest.options):
            raise VotingError(
                "voting.ballot_shape",
                f"ballot {ballot.ballot_id!r} contest {contest.label!r}: {len(contest.options)} options, "
                f"got {len(pc.votes)} values",
            )
        if any(not 0 <= v <= contest.option_limit for v in pc.votes):
            raise VotingError(
                "voting.value_out_of_range",
                f"ballot {ballot.ballot_id!r} contest {contest.label!r}: "
                f"a value is outside 0..{contest.option_limit}",
            )
        plan.append((i, pc))
    return style_index, plan


def _encrypt_contest(
    ctx: ElectionContext,
    index: int,
    votes: Sequence[int],
    ballot_nonce: bytes,
    rng: RandomSource,
    commitments_out: list[tuple[bytes, ...]] | None = None,
) -> EncryptedContest:
    contest = ctx.contest(index)
    status, data = contest_data_encode(contest, votes)
    counted = (
        [0] * len(votes) if status is ContestStatus.OVERVOTE else list(votes)
    )  # §3.3.7: overvote -> zeros
    h_e = ctx.extended_base_hash
    selections: list[EncryptedSelection] = []
    pairs: list[tuple[int, int]] = []
    nonce_sum = 0
    alpha_bar, beta_bar = 1, 1
    for j, value in enumerate(counted, start=1):
        xi = eh.selection_nonce(h_e, ballot_nonce, index, j)
        alpha, beta = encrypt_vote(ctx, value, xi)
        proof = prove_range(
            ctx, alpha, beta, value, contest.option_limit, xi, rng, commitments_out=commitments_out
        )
        selections.append(EncryptedSelection(Ciphertext(elem_bytes(alpha), elem_bytes(beta)), proof))
        pairs.append((alpha, beta))
        nonce_sum += xi
        alpha_bar, beta_bar = mul_p(alpha_bar, alpha), mul_p(beta_bar, beta)
    limit_proof = prove_range(
        ctx,
        alpha_bar,
        beta_bar,
        sum(counted),
        contest.selection_limit,
        nonce_sum % Q,
        rng,
        commitments_out=commitments_out,
    )
    return EncryptedContest(
        index=index,
        selections=tuple(selections),
        proof=limit_proof,
        data=encrypt_contest_data(ctx, index, ballot_nonce, data),
        contest_hash=eh.contest_hash(h_e, index, ctx.joint_key, pairs),
    )


def encrypt_ballot(
    ctx: ElectionContext,
    ballot: PlaintextBallot,
    *,
    device: str,
    aux: bytes,
    ballot_nonce: bytes | None = None,
    rng: RandomSource = SYSTEM_RANDOM,
    commitments_out: list[tuple[bytes, ...]] | None = None,
) -> tuple[EncryptedBallot, bytes]:
    """Encrypt and prove a ballot; return it with its ballot nonce xi_B (keep it only until cast/challenge).

    ``aux`` is B_aux of eq. (58). Use :class:`EncryptionDevice` to get chaining right.
    ``commitments_out`` collects every proof's commitments in ballot order: wrap them in
    :class:`~.records.ProofCommitments` to let a verifier skip recomputing them.
    """
    if len(aux) > MAX_AUX_BYTES + eh.HASH_BYTES:
        raise VotingError("voting.aux_too_long", f"B_aux is at most {MAX_AUX_BYTES + 32} bytes")
    nonce = rng.token_bytes(BALLOT_NONCE_BYTES) if ballot_nonce is None else ballot_nonce
    if len(nonce) != BALLOT_NONCE_BYTES:
        raise VotingError("voting.bad_nonce", "a ballot nonce is 32 bytes")
    style_index, plan = _contest_plan(ctx, ballot)
    contests = tuple(_encrypt_contest(ctx, i, pc.votes, nonce, rng, commitments_out) for i, pc in plan)
    code = eh.confirmation_code(ctx.extended_base_hash, [c.contest_hash for c in contests], aux)
    encrypted = EncryptedBallot(
        ballot_id=ballot.ballot_id,
        style=style_index,
        device=device,
        contests=contests,
        aux=aux,
        confirmation_code=code,
    )
    return encrypted, nonce


def device_aux0(device: str) -> bytes:
    """B_aux,0 for a device: its identifier as an H string input, b(len, 4) || UTF-8 (§3.4.3, §5.1.4).

    The spec asks only that B_aux,0 "contain at least a unique voting device identifier"; fixing the
    encoding lets a verifier check Verification 7.D exactly.
    """
    return eh.b_str(device)


class EncryptionDevice:
    """An encrypting device with a confirmation-code chain (§3.4.3).

    State: the previous confirmation code and the ids of the ballots on the chain, in order. Call
    :meth:`encrypt` per voter and :meth:`close` once at the end of the election.
    """

    def __init__(self, ctx: ElectionContext, device_id: str) -> None:
        self.ctx = ctx
        self.device_id = device_id
        self.aux0 = device_aux0(device_id)
        if len(self.aux0) > MAX_AUX_BYTES:
            raise VotingError("voting.aux_too_long", "device identifier too long")
        self.chained = ctx.manifest.chain_confirmation_codes
        self.last_code = eh.chain_initial_code(ctx.extended_base_hash, self.aux0)  # H_0, eq. (59)
        self.ballot_ids: list[str] = []
        self.closed = False

    def encrypt(
        self,
        ballot: PlaintextBallot,
        rng: RandomSource = SYSTEM_RANDOM,
        ballot_nonce: bytes | None = None,
        commitments_out: list[tuple[bytes, ...]] | None = None,
    ) -> tuple[EncryptedBallot, bytes]:
        if self.closed:
            raise VotingError("voting.device_closed", f"device {self.device_id!r} has closed its chain")
        aux = eh.chain_aux(self.last_code, self.aux0) if self.chained else self.aux0
        encrypted, nonce = encrypt_ballot(
            self.ctx,
            ballot,
            device=self.device_id,
            aux=aux,
            ballot_nonce=ballot_nonce,
            rng=rng,
            commitments_out=commitments_out,
        )
        self.last_code = encrypted.confirmation_code
        self.ballot_ids.append(encrypted.ballot_id)
        return encrypted, nonce

    def close(self) -> DeviceChain:
        """Close the chain with H = H(H_E; 0x24, H_last || B_aux,0 || "CLOSE"), eq. (61)."""
        self.closed = True
        closing = eh.chain_closing_code(self.ctx.extended_base_hash, self.last_code, self.aux0)
        return DeviceChain(
            device=self.device_id, aux0=self.aux0, ballot_ids=tuple(self.ballot_ids), closing_code=closing
        )


def reveal(ballot: PlaintextBallot, ballot_nonce: bytes) -> BallotReveal:
    """The device's answer to a Benaloh challenge: publish xi_B and the plaintext; the ballot is spoiled."""
    return BallotReveal(ballot_id=ballot.ballot_id, ballot_nonce=ballot_nonce, plaintext=ballot)


def check_reveal(ctx: ElectionContext, ballot: EncryptedBallot, revealed: BallotReveal) -> list[str]:
    """Second-device check of a challenged ballot (§3.6.5): re-encrypt from xi_B and compare.

    Returns the mismatches (empty when the ballot encrypts exactly the revealed selections and its
    confirmation code is what the voter saw). Proofs are not re-made: they are randomised and do not
    enter the confirmation code.
    """
    problems: list[str] = []
    if revealed.ballot_id != ballot.ballot_id or revealed.plaintext.ballot_id != ballot.ballot_id:
        return [f"the reveal is for ballot {revealed.ballot_id!r}, not {ballot.ballot_id!r}"]
    try:
        style_index, plan = _contest_plan(ctx, revealed.plaintext)
    except VotingError as exc:
        return [exc.message]
    if style_index != ballot.style:
        problems.append(f"ballot style {ballot.style} differs from the revealed style {style_index}")
    if [i for i, _ in plan] != [c.index for c in ballot.contests]:
        return [*problems, "the encrypted ballot's contests differ from the revealed ballot's"]
    h_e, nonce = ctx.extended_base_hash, revealed.ballot_nonce
    hashes: list[bytes] = []
    for (i, pc), ec in zip(plan, ballot.contests, strict=True):
        contest = ctx.contest(i)
        status, data = contest_data_encode(contest, pc.votes)
        counted = [0] * len(pc.votes) if status is ContestStatus.OVERVOTE else list(pc.votes)
        if len(ec.selections) != len(counted):
            problems.append(f"contest {i}: {len(ec.selections)} encrypted options, expected {len(counted)}")
            continue
        pairs: list[tuple[int, int]] = []
        for j, (value, sel) in enumerate(zip(counted, ec.selections, strict=True), start=1):
            alpha, beta = encrypt_vote(ctx, value, eh.selection_nonce(h_e, nonce, i, j))
            pairs.append((alpha, beta))
            if (elem_bytes(alpha), elem_bytes(beta)) != (sel.ciphertext.alpha, sel.ciphertext.beta):
                problems.append(
                    f"contest {i} ({contest.label!r}) option {j}: ciphertext does not encrypt {value}"
                )
        if encrypt_contest_data(ctx, i, nonce, data) != ec.data:
            problems.append(
                f"contest {i} ({contest.label!r}): contest data does not match the revealed selections"
            )
        hashes.append(eh.contest_hash(h_e, i, ctx.joint_key, pairs))
    if not problems and eh.confirmation_code(h_e, hashes, ballot.aux) != ballot.confirmation_code:
        problems.append("the confirmation code does not match the re-encrypted ballot")
    return problems


def decrypt_with_nonce(
    ctx: ElectionContext, ballot: EncryptedBallot, ballot_nonce: bytes
) -> dict[int, list[int]]:
    """Recover a ballot's values from xi_B alone: K^sigma = beta / K^xi (§3.6.5), sigma by search in 0..R."""
    result: dict[int, list[int]] = {}
    for ec in ballot.contests:
        contest = ctx.contest(ec.index)
        values: list[int] = []
        for j, sel in enumerate(ec.selections, start=1):
            xi = eh.selection_nonce(ctx.extended_base_hash, ballot_nonce, ec.index, j)
            if g_pow(xi) != from_bytes(sel.ciphertext.alpha):
                raise VotingError("voting.wrong_nonce", f"contest {ec.index} option {j}: alpha != g^xi")
            target = from_bytes(sel.ciphertext.beta)
            value = next((v for v in range(contest.option_limit + 1) if ctx.k_pow(v + xi) == target), None)
            if value is None:
                raise VotingError("voting.wrong_nonce", f"contest {ec.index} option {j}: value outside 0..R")
            values.append(value)
        result[ec.index] = values
    return result


__all__ = [
    "BALLOT_NONCE_BYTES",
    "ContestStatus",
    "ElectionContext",
    "EncryptionDevice",
    "check_reveal",
    "contest_data_decode",
    "contest_data_encode",
    "decrypt_with_nonce",
    "device_aux0",
    "encrypt_ballot",
    "encrypt_contest_data",
    "encrypt_vote",
    "open_contest_data",
    "plaintext_ballot",
    "prove_range",
    "reveal",
]
