"""The ElectionGuard 2.0 key ceremony: n guardians, any k of whom can later decrypt (spec §3.2).

Theory of operation
-------------------
1. **Commit** (§3.2.2, eq. 9-12). Each guardian G_i picks k random coefficients
   0 < a_i,j < q of a polynomial P_i(x) = sum_j a_i,j x^j mod q, publishes the commitments
   K_i,j = g^a_i,j and, for each, a Schnorr proof of knowledge (c_i,j, v_i,j) with
   h_i,j = g^u_i,j, c_i,j = H(H_P; 0x10, i, j, K_i,j, h_i,j), v_i,j = u_i,j - c_i,j a_i,j mod q.
   s_i = a_i,0 is G_i's secret key and K_i = K_i,0 its public key.
2. **Share** (eq. 14-19). For every other guardian G_l, G_i evaluates P_i(l) and encrypts it to K_l
   with hashed ElGamal: C0 = g^xi, k = H(H_P; 0x11, i, l, K_l, g^xi, K_l^xi), a MAC key k0 and an
   encryption key k1 from an SP 800-108 KDF, C1 = b(P_i(l), 32) XOR k1, C2 = HMAC(k0, b(C0) || C1).
   The sender keeps xi until the ceremony ends, in case it must prove what it sent.
3. **Verify** (eq. 20-21). G_l recomputes k from C0^s_l, checks the MAC, decrypts, and checks the
   share against the sender's public commitments: g^P_i(l) = prod_j K_i,j^(l^j). A failure becomes
   a public :class:`~.records.ShareComplaint`.
4. **Complaints.** The accused sender answers with a :class:`~.records.ShareReveal` (P_i(l), xi);
   anyone can :func:`adjudicate_complaint`: if the revealed values reproduce the published
   ciphertext and satisfy eq. 21, the complaint is dismissed; otherwise the sender is at fault and
   the ceremony restarts with a replacement guardian.
5. **Combine.** The joint key is K = prod_i K_i (eq. 8) and the extended base hash
   H_E = H(H_B; 0x12, K) (eq. 23). Each guardian keeps s_i and its key share
   P(i) = sum_j P_j(i) mod q (eq. 22): the P(i) are a k-of-n Shamir sharing of s = sum_i s_i, which
   nobody ever computes.

Everything here is a pure function of its inputs and a :class:`~.errors.RandomSource`. Secrets live in
:class:`GuardianSecrets`, which is never a wire type: the ledger only ever sees the records.
"""

from __future__ import annotations

import hmac as _hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from govledger.voting import hash as eh
from govledger.voting.errors import SYSTEM_RANDOM, RandomSource, VotingError
from govledger.voting.group import (
    G,
    Q,
    elem_bytes,
    exp_bytes,
    from_bytes,
    g_pow,
    is_in_subgroup,
    mpz,
    mul_p,
    pow_p,
    powmod_secret,
    prod_p,
)
from govledger.voting.records import (
    MAX_GUARDIANS,
    EncryptedShare,
    GuardianPublicKey,
    SchnorrProof,
    ShareComplaint,
    ShareReveal,
)


@dataclass(frozen=True, slots=True)
class GuardianSecrets:
    """Guardian G_i's polynomial coefficients a_i,0 .. a_i,k-1 (a_i,0 = s_i). Never leaves the guardian."""

    index: int
    coefficients: tuple[int, ...]

    def __repr__(self) -> str:  # secrets must not end up in logs or tracebacks
        return f"GuardianSecrets(index={self.index}, quorum={len(self.coefficients)}, coefficients=<hidden>)"

    @property
    def secret_key(self) -> int:
        return self.coefficients[0]

    def evaluate(self, x: int) -> int:
        """P_i(x) mod q (eq. 9), by Horner's rule."""
        acc = 0
        for a in reversed(self.coefficients):
            acc = (acc * x + a) % Q
        return acc


@dataclass(frozen=True, slots=True)
class ComplaintVerdict:
    """The public outcome of a share complaint: who is at fault, and why, in one sentence."""

    sender_at_fault: bool
    reason: str


def _check_indices(index: int, quorum: int) -> None:
    if not 1 <= index <= MAX_GUARDIANS:
        raise VotingError("voting.bad_guardian_index", f"guardian index {index} outside 1..{MAX_GUARDIANS}")
    if not 1 <= quorum <= MAX_GUARDIANS:
        raise VotingError("voting.bad_quorum", f"quorum {quorum} outside 1..{MAX_GUARDIANS}")


def prove_coefficient(h_p: bytes, i: int, j: int, coefficient: int, u: int) -> SchnorrProof:
    """The Schnorr proof (c_i,j, v_i,j) of knowledge of a_i,j for K_i,j = g^a_i,j, eq. (11)-(12).

    ``u`` is the fresh secret nonce u_i,j in Z_q; reusing it for two proofs would reveal a_i,j.
    """
    commitment = powmod_secret(G, coefficient)
    h = powmod_secret(G, u)  # secret exponents: GMP's hardened powmod, not the g table
    c = eh.coefficient_proof_challenge(h_p, i, j, commitment, h)
    v = (u - eh.to_q(c) * coefficient) % Q
    return SchnorrProof(challenge=c, response=exp_bytes(v))


def generate_guardian(
    index: int, quorum: int, h_p: bytes, rng: RandomSource = SYSTEM_RANDOM
) -> tuple[GuardianSecrets, GuardianPublicKey]:
    """Step 1: G_i's k coefficients, their commitments K_i,j and Schnorr proofs (§3.2.2)."""
    _check_indices(index, quorum)
    # 0 < a_i,j < q, "sampling them uniformly at random in the range 0 < a_i,j < q" (§3.2.2)
    coefficients = tuple(mpz(1 + rng.randbelow(Q - 1)) for _ in range(quorum))
    commitments = tuple(elem_bytes(powmod_secret(G, a)) for a in coefficients)
    proofs = tuple(prove_coefficient(h_p, index, j, a, rng.randbelow(Q)) for j, a in enumerate(coefficients))
    secrets_ = GuardianSecrets(index=index, coefficients=coefficients)
    return secrets_, GuardianPublicKey(index=index, commitments=commitments, proofs=proofs)


def public_key_problems(h_p: bytes, key: GuardianPublicKey, quorum: int) -> list[str]:
    """What a guardian checks about another guardian's key before sharing with it (Verification 2)."""
    problems: list[str] = []
    if len(key.commitments) != quorum or len(key.proofs) != quorum:
        return [f"guardian {key.index} published {len(key.commitments)} commitments for quorum {quorum}"]
    for j, (raw, proof) in enumerate(zip(key.commitments, key.proofs, strict=True)):
        commitment = from_bytes(raw)
        if not is_in_subgroup(commitment) or commitment == 1:
            problems.append(
                f"guardian {key.index} commitment K_{key.index},{j} is not in the order-q subgroup"
            )
            continue
        v = from_bytes(proof.response)
        if v >= Q:
            problems.append(f"guardian {key.index} proof {j}: response not in Z_q")
            continue
        h = mul_p(g_pow(v), pow_p(commitment, from_bytes(proof.challenge)))
        if eh.coefficient_proof_challenge(h_p, key.index, j, commitment, h) != proof.challenge:
            problems.append(f"guardian {key.index} proof {j}: Schnorr challenge does not match")
    return problems


def commitment_value(key: GuardianPublicKey, x: int) -> int:
    """g^P_i(x) computed from the commitments alone: prod_j K_i,j^(x^j mod q), eq. (13) and Note 3.3."""
    return prod_p(pow_p(from_bytes(raw), pow(x, j, Q)) for j, raw in enumerate(key.commitments))


def share_matches_commitments(value: int, sender: GuardianPublicKey, receiver_index: int) -> bool:
    """Eq. (21): g^P_i(l) = prod_j (K_i,j)^(l^j) mod p."""
    return 0 <= value < Q and powmod_secret(G, value) == commitment_value(sender, receiver_index)


def _share_ciphertext(h_p: bytes, i: int, ell: int, k_ell: int, value: int, xi: int) -> EncryptedShare:
    """Eq. (14)-(19) with an explicit nonce xi (so that a reveal can be re-checked)."""
    alpha = powmod_secret(G, xi)
    beta = powmod_secret(k_ell, xi)
    k_il = eh.share_encryption_key(h_p, i, ell, k_ell, alpha, beta)
    k0, k1 = eh.share_kdf(k_il, i, ell)
    c1 = bytes(x ^ y for x, y in zip(exp_bytes(value), k1, strict=True))
    c2 = eh.hmac_sha256(k0, elem_bytes(alpha) + c1)
    return EncryptedShare(sender=i, receiver=ell, c0=elem_bytes(alpha), c1=c1, c2=c2)


def encrypt_share(
    h_p: bytes, sender: GuardianSecrets, receiver: GuardianPublicKey, rng: RandomSource = SYSTEM_RANDOM
) -> tuple[EncryptedShare, int]:
    """Step 2: E_l(P_i(l)) for receiver G_l; returns the ciphertext and the nonce xi_i,l to keep."""
    if receiver.index == sender.index:
        raise VotingError("voting.self_share", "a guardian does not encrypt a share to itself")
    xi = 1 + rng.randbelow(Q - 1)
    k_ell = from_bytes(receiver.commitments[0])
    value = sender.evaluate(receiver.index)
    return _share_ciphertext(h_p, sender.index, receiver.index, k_ell, value, xi), xi


def decrypt_share(h_p: bytes, receiver: GuardianSecrets, share: EncryptedShare) -> int:
    """Eq. (20): recompute k_i,l from C0^s_l, check the MAC, then unmask P_i(l).

    Raises ``voting.share_mac`` when the MAC does not verify (a reason to complain).
    """
    if share.receiver != receiver.index:
        raise VotingError("voting.share_not_mine", f"share addressed to guardian {share.receiver}")
    alpha = from_bytes(share.c0)
    if not is_in_subgroup(alpha):
        raise VotingError(
            "voting.share_bad_c0", f"share from guardian {share.sender}: C0 is not in the subgroup"
        )
    k_ell = powmod_secret(G, receiver.secret_key)
    beta = powmod_secret(alpha, receiver.secret_key)
    k_il = eh.share_encryption_key(h_p, share.sender, share.receiver, k_ell, alpha, beta)
    k0, k1 = eh.share_kdf(k_il, share.sender, share.receiver)
    if not _hmac.compare_digest(eh.hmac_sha256(k0, share.c0 + share.c1), share.c2):
        raise VotingError("voting.share_mac", f"share from guardian {share.sender}: MAC does not verify")
    return int.from_bytes(bytes(x ^ y for x, y in zip(share.c1, k1, strict=True)), "big")


def receive_share(
    h_p: bytes, receiver: GuardianSecrets, sender: GuardianPublicKey, share: EncryptedShare
) -> int | ShareComplaint:
    """Step 3: the share P_i(l) if it decrypts and matches the commitments, else a complaint to publish."""
    try:
        value = decrypt_share(h_p, receiver, share)
    except VotingError as exc:
        return ShareComplaint(receiver=receiver.index, sender=share.sender, reason=exc.message)
    if share.sender != sender.index:
        return ShareComplaint(receiver=receiver.index, sender=share.sender, reason="sender key mismatch")
    if not share_matches_commitments(value, sender, receiver.index):
        return ShareComplaint(
            receiver=receiver.index,
            sender=share.sender,
            reason=f"P_{share.sender}({receiver.index}) does not match the sender's commitments (eq. 21)",
        )
    return value


def reveal_share(sender: GuardianSecrets, receiver_index: int, nonce: int) -> ShareReveal:
    """Step 4, the accused sender's answer: P_i(l) and xi_i,l in the clear."""
    return ShareReveal(
        sender=sender.index,
        receiver=receiver_index,
        share=exp_bytes(sender.evaluate(receiver_index)),
        nonce=exp_bytes(nonce),
    )


def adjudicate_complaint(
    h_p: bytes,
    sender: GuardianPublicKey,
    receiver: GuardianPublicKey,
    share: EncryptedShare,
    reveal: ShareReveal,
) -> ComplaintVerdict:
    """Step 4, public: does the revealed (P_i(l), xi) reproduce the published ciphertext and eq. (21)?"""
    if (reveal.sender, reveal.receiver) != (share.sender, share.receiver) or (
        sender.index,
        receiver.index,
    ) != (share.sender, share.receiver):
        return ComplaintVerdict(True, "the reveal does not answer this complaint's (sender, receiver) pair")
    value = from_bytes(reveal.share)
    xi = from_bytes(reveal.nonce)
    if value >= Q or xi >= Q:
        return ComplaintVerdict(True, "revealed share or nonce is not in Z_q")
    expected = _share_ciphertext(
        h_p, share.sender, share.receiver, from_bytes(receiver.commitments[0]), value, xi
    )
    if expected != share:
        return ComplaintVerdict(
            True, "the revealed share and nonce do not reproduce the published ciphertext"
        )
    if not share_matches_commitments(value, sender, receiver.index):
        return ComplaintVerdict(True, f"P_{share.sender}({share.receiver}) does not satisfy eq. (21)")
    return ComplaintVerdict(False, "the share was sent correctly; the complaint is dismissed")


def joint_public_key(keys: Sequence[GuardianPublicKey]) -> int:
    """K = prod_i K_i mod p, eq. (8)."""
    return prod_p(from_bytes(k.commitments[0]) for k in keys)


def key_share(receiver: GuardianSecrets, received: Mapping[int, int]) -> int:
    """P(i) = sum_j P_j(i) mod q over all n guardians, eq. (22); ``received`` maps sender -> P_j(i)."""
    if receiver.index in received:
        raise VotingError("voting.self_share", "the guardian's own share is computed, not received")
    return (receiver.evaluate(receiver.index) + sum(received.values())) % Q


@dataclass(frozen=True, slots=True)
class CeremonyResult:
    """Outcome of :func:`run_trusted_ceremony`: public keys, secrets, key shares and the joint key."""

    public_keys: tuple[GuardianPublicKey, ...]
    secrets: tuple[GuardianSecrets, ...]
    key_shares: dict[int, int]
    joint_key: int

    def __repr__(self) -> str:
        return f"CeremonyResult(n={len(self.public_keys)}, joint_key=...{self.joint_key % 2**32:08x})"


def run_trusted_ceremony(n: int, k: int, h_p: bytes, rng: RandomSource = SYSTEM_RANDOM) -> CeremonyResult:
    """The whole ceremony in one process, every message checked: for tests, demos and benchmarks only.

    A real ceremony runs steps 1-5 on n separate machines and exchanges the records through the
    ledger; this helper holds every secret at once, which defeats the purpose in production.
    """
    if not 1 <= k <= n <= MAX_GUARDIANS:
        raise VotingError("voting.bad_quorum", f"need 1 <= k <= n <= {MAX_GUARDIANS}, got k={k}, n={n}")
    generated = [generate_guardian(i, k, h_p, rng) for i in range(1, n + 1)]
    secrets_ = tuple(s for s, _ in generated)
    keys = tuple(pk for _, pk in generated)
    for key in keys:
        problems = public_key_problems(h_p, key, k)
        if problems:
            raise VotingError("voting.bad_guardian_key", "; ".join(problems))
    received: dict[int, dict[int, int]] = {i: {} for i in range(1, n + 1)}
    for sender in secrets_:
        for receiver in keys:
            if receiver.index == sender.index:
                continue
            share, _nonce = encrypt_share(h_p, sender, receiver, rng)
            outcome = receive_share(h_p, secrets_[receiver.index - 1], keys[sender.index - 1], share)
            if isinstance(outcome, ShareComplaint):
                raise VotingError("voting.share_complaint", outcome.reason)
            received[receiver.index][sender.index] = outcome
    shares = {s.index: key_share(s, received[s.index]) for s in secrets_}
    return CeremonyResult(
        public_keys=keys, secrets=secrets_, key_shares=shares, joint_key=joint_public_key(keys)
    )
