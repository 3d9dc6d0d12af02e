"""The hash-input encodings of the 2023 drafts that generated the public test vectors (test-only).

The vectors in shared/vectors/electionguard-2.0 come from electionguard-kotlin-multiplatform (egk):
eleven of the thirteen files were generated on 2023-07-18 (commit 958e9057, written against the
"1.9" draft of the 2.0 specification, a month before 2.0.0 was published on 2023-08-18), and
BallotChainingTestVector.json on 2023-11-08 (commit 2ffe46ed). The *arithmetic* of those drafts
(group, ElGamal, range proofs, decryption proofs, Lagrange combination) is that of 2.0.0, and the
tests run it through the production code. Some *hash inputs* differ from 2.0.0 §5.5; this module
spells those differences out, and nothing else, using the production H (HMAC-SHA-256):

- ver in H_P: draft "v2.0" padded to 32 bytes; 2.0.0 "v2.0.0".
- H_B: draft H(H_P; 02, n (2 bytes), k (2 bytes), date, info, H_M); 2.0.0 H(H_P; 02, H_M, n, k) with
  4-byte n, k (eq. 7).
- Schnorr challenge c_ij: draft indices i, j in 2 bytes; 2.0.0 in 4 bytes (eq. 12).
- H_E: draft H(H_B; 12, K, K_1,0, ..., K_n,k-1); 2.0.0 H(H_B; 12, K) (eq. 23).
- share key k_il and its KDF: draft i, l in 2 bytes and labels "share_enc_keys", "share_encrypt";
  2.0.0 4 bytes and "share enc keys", "share encrypt" (eq. 15-17).
- selection nonce: draft H(H_E; 20, xi_B, contest label, option label), the strings without a length
  prefix; 2.0.0 H(H_E; 20, xi_B, ind_c, ind_o) (eq. 25).
- contest hash chi_l: draft hashes the contest label (no length prefix); 2.0.0 ind_c (eq. 57).
- confirmation code and H_0: draft appends B_aux without its length; 2.0.0 b(len(B_aux), 4) || B_aux
  (§5.5.3).
- contest data decryption challenge: draft hashes C1 as its hex string; 2.0.0 b(C1, 512) (§5.5.4).

(The 2023-11 chaining vector already uses 2.0.0 nonces and contest hashes, with 0-based indices,
and still appends B_aux without its length.)
"""

from __future__ import annotations

from collections.abc import Sequence

from govledger.voting import hash as eh
from govledger.voting.group import elem_bytes, exp_bytes


def b2(value: int) -> bytes:
    """The drafts encoded guardian indices, n and k as two-byte big-endian integers."""
    return value.to_bytes(2, "big")


def base_hash(h_p: bytes, n: int, k: int, date: str, info: str, h_m: bytes) -> bytes:
    """Draft eq. (6): H_B = H(H_P; 0x02, n, k, date, info, H_M)."""
    return eh.H(h_p, b"\x02" + b2(n) + b2(k) + date.encode() + info.encode() + h_m)


def coefficient_challenge(h_p: bytes, i: int, j: int, commitment: int, h: int) -> bytes:
    """Draft eq. (11): c_ij = H(H_P; 0x10, i, j, K_ij, h_ij) with two-byte i, j."""
    return eh.H(h_p, b"\x10" + b2(i) + b2(j) + elem_bytes(commitment) + elem_bytes(h))


def extended_base_hash(h_b: bytes, joint_key: int, commitments: Sequence[int]) -> bytes:
    """Draft eq. (20): H_E = H(H_B; 0x12, K, K_1,0, ..., K_n,k-1)."""
    return eh.H(h_b, b"\x12" + elem_bytes(joint_key) + b"".join(elem_bytes(c) for c in commitments))


def share_ciphertext(
    h_p: bytes, i: int, ell: int, k_ell: int, alpha: int, beta: int, share: int
) -> tuple[bytes, bytes]:
    """Draft eq. (14)-(18): (C1, C2) of the share encryption; two-byte indices, underscored labels."""
    k_il = eh.H(h_p, b"\x11" + b2(i) + b2(ell) + elem_bytes(k_ell) + elem_bytes(alpha) + elem_bytes(beta))
    tail = b"share_enc_keys\x00share_encrypt" + b2(i) + b2(ell) + b"\x02\x00"
    k0, k1 = eh.hmac_sha256(k_il, b"\x01" + tail), eh.hmac_sha256(k_il, b"\x02" + tail)
    c1 = bytes(x ^ y for x, y in zip(exp_bytes(share), k1, strict=True))
    return c1, eh.hmac_sha256(k0, elem_bytes(alpha) + c1)


def selection_nonce_by_label(h_e: bytes, ballot_nonce: bytes, contest: str, option: str) -> int:
    """Draft eq. (22): xi = H(H_E; 0x20, xi_B, contest label, option label), mod q."""
    return eh.to_q(eh.H(h_e, b"\x20" + ballot_nonce + contest.encode() + option.encode()))


def contest_hash_by_label(
    h_e: bytes, contest: str, joint_key: int, pairs: Sequence[tuple[int, int]]
) -> bytes:
    """Draft eq. (58): chi = H(H_E; 0x23, contest label, K, alpha_1, beta_1, ...)."""
    body = b"".join(elem_bytes(a) + elem_bytes(b) for a, b in pairs)
    return eh.H(h_e, b"\x23" + contest.encode() + elem_bytes(joint_key) + body)


def confirmation_code(h_e: bytes, contest_hashes: Sequence[bytes], aux: bytes) -> bytes:
    """Draft eq. (59): H(B) = H(H_E; 0x24, chi_1, ..., B_aux), B_aux appended without a length."""
    return eh.H(h_e, b"\x24" + b"".join(contest_hashes) + aux)


def chain_initial_code(h_e: bytes, aux0: bytes) -> bytes:
    """Draft H_0 = H(H_E; 0x24, B_aux,0) without the length prefix."""
    return eh.H(h_e, b"\x24" + aux0)


def contest_data_challenge(
    h_e: bytes, joint_key: int, c0: int, c1: bytes, c2: bytes, a: int, b: int, beta: int
) -> bytes:
    """Draft Verification 10.B: c = H(H_E; 0x31, K, C0, hex(C1), C2, a, b, beta)."""
    body = elem_bytes(joint_key) + elem_bytes(c0) + c1.hex().upper().encode() + c2
    return eh.H(h_e, b"\x31" + body + elem_bytes(a) + elem_bytes(b) + elem_bytes(beta))
