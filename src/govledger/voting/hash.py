"""The ElectionGuard 2.0 hash function H, its input encodings and every domain-separated use of it.

Theory of operation
-------------------
H is HMAC-SHA-256 (spec §5.2, eq. 105): ``H(B0; B1) = HMAC-SHA-256(B0, B1)``, where the key B0 is
always exactly 32 bytes (a version string or an earlier hash: H_P, H_B or H_E) and binds the output
to one election, and B1 is a one-byte domain-separation tag followed by the fixed-length encodings of
the inputs (§5.3). HMAC here is a random oracle, not a MAC: nothing about it is secret.

Input encodings (§5.1), all big-endian:

- an element of Z_p: b(x, 512) (§5.1.1); an element of Z_q: b(x, 32) (§5.1.2);
- a small integer (index, n, k, length): b(x, 4) (§5.1.3), 0 <= x < 2^31;
- a string or a file: its byte length as b(len, 4), then its bytes (§5.1.4, §5.1.5);
- an earlier hash output: its 32 bytes, unchanged (§5.4).

Because every field has a fixed length or a length prefix, concatenation is unambiguous and no
separators are needed (§5.3). The functions below are the rows of the tables in §5.5, one function
per row, named after what they compute and citing the equation. They build B1 exactly as the
"B1 = ..." line of their row. Hash outputs stay 32-byte strings; callers reduce them mod q only when
they use them as exponents (§5.4: "they are not reduced modulo q by default").

Where the 2.0.0 text disagrees with itself we follow the explicit byte layouts of §5.5, and say so
in the function's docstring (docs/voting.md lists every such reading).

This module, with :mod:`.group`, is all the independent verifier (:mod:`.verify`) shares with the
producing code.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from typing import Final

from govledger.voting.group import LEN_P, LEN_Q, SPEC_VERSION, Q, elem_bytes, exp_bytes

HASH_BYTES: Final = 32
"""Length of every H output and of every key B0, §5.2."""

# Domain-separation tags, one per row of the §5.5 tables.
DS_PARAMETER_BASE: Final = b"\x00"  # eq. (4)
DS_MANIFEST: Final = b"\x01"  # eq. (6)
DS_BASE: Final = b"\x02"  # eq. (7)
DS_COEFFICIENT_PROOF: Final = b"\x10"  # eq. (12)
DS_SHARE_KEY: Final = b"\x11"  # eq. (15)
DS_EXTENDED_BASE: Final = b"\x12"  # eq. (23)
DS_NONCE: Final = b"\x20"  # eq. (25), (50)
DS_RANGE_PROOF: Final = b"\x21"  # eq. (28), (46), (56)
DS_CONTEST_DATA_KEY: Final = b"\x22"  # eq. (51)
DS_CONTEST_HASH: Final = b"\x23"  # eq. (57)
DS_CONFIRMATION: Final = b"\x24"  # eq. (58), (59), (61)
DS_DECRYPTION_PROOF: Final = b"\x30"  # eq. (71)
DS_CONTEST_DATA_DECRYPTION_PROOF: Final = b"\x31"  # eq. (81)

SMALL_INT_MAX: Final = 2**31 - 1
"""Indices, counts and lengths are below 2^31 (§5.1.3, footnote 39)."""

CONTEST_DATA_NONCE_LABEL: Final = b"\x00\x00\x00\x0ccontest_data"
"""The encoded string in eq. (50) exactly as the §5.5.3 table spells it: 0x0000000C636F6E746573745F64617461.

The prose of eq. (50) writes "contest data" with a space; the byte table, which we follow, has an
underscore. Both are 12 bytes long.
"""

SHARE_KDF_LABEL: Final = b"share enc keys"  # Label of eq. (16), (17), 14 bytes
SHARE_KDF_CONTEXT: Final = b"share encrypt"  # Context prefix of eq. (16), (17), 13 bytes
DATA_KDF_LABEL: Final = b"data enc keys"  # Label of eq. (52), 13 bytes
DATA_KDF_CONTEXT: Final = b"contest data"  # Context prefix of eq. (52), 12 bytes
CLOSE_MARKER: Final = b"CLOSE"  # eq. (61)


def H(key: bytes, data: bytes) -> bytes:
    """The ElectionGuard hash H(B0; B1) = HMAC-SHA-256(B0, B1), spec §5.2 eq. (105)."""
    if len(key) != HASH_BYTES:
        raise ValueError(f"the first input of H must be 32 bytes, got {len(key)}")
    return hmac.digest(key, data, "sha256")


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """Plain HMAC-SHA-256 (the KDF and the MACs of §3.2.2 and §3.3.6, which name HMAC, not H)."""
    return hmac.digest(key, data, "sha256")


def to_q(digest: bytes) -> int:
    """A hash output read as a big-endian integer (§5.4 eq. 106) and reduced mod q for use as an exponent."""
    return int.from_bytes(digest, "big") % Q


def b_int(value: int) -> bytes:
    """b(x, 4) for a small non-negative integer (index, count, length), spec §5.1.3."""
    if not 0 <= value <= SMALL_INT_MAX:
        raise ValueError(f"small integer out of range [0, 2^31): {value}")
    return value.to_bytes(4, "big")


def b_str(text: str) -> bytes:
    """A string input to H: b(len, 4) followed by its UTF-8 bytes, spec §5.1.4."""
    raw = text.encode("utf-8")
    return b_int(len(raw)) + raw


def b_file(data: bytes) -> bytes:
    """A file input to H: b(len, 4) followed by the bytes, spec §5.1.5."""
    return b_int(len(data)) + data


def b_elems(values: Iterable[int]) -> bytes:
    """Concatenated b(x, 512) of elements of Z_p."""
    return b"".join(elem_bytes(v) for v in values)


def version_bytes(version: str = SPEC_VERSION) -> bytes:
    """ver: the UTF-8 version string padded with 0x00 to 32 bytes, §3.1.2.

    The spec writes ver = 0x76322E302E30 || b(0, 27), which is 33 bytes; the published H_P of
    eq. (5) is reproduced with 32 bytes ("v2.0.0" and 26 zero bytes), so that is what we use.
    """
    raw = version.encode("utf-8")
    if len(raw) > HASH_BYTES:
        raise ValueError("a version string must fit in 32 bytes")
    return raw.ljust(HASH_BYTES, b"\x00")


# --- §5.5.1 Parameter base, manifest and base hashes -----------------------------------------------


def parameter_base_hash(p: int, q: int, g: int, version: str = SPEC_VERSION) -> bytes:
    """H_P = H(ver; 0x00, p, q, g), eq. (4)."""
    return H(version_bytes(version), DS_PARAMETER_BASE + elem_bytes(p) + exp_bytes(q) + elem_bytes(g))


def manifest_hash(h_p: bytes, manifest: bytes) -> bytes:
    """H_M = H(H_P; 0x01, manifest), eq. (6), the manifest hashed as a file (length-prefixed)."""
    return H(h_p, DS_MANIFEST + b_file(manifest))


def base_hash(h_p: bytes, h_m: bytes, n: int, k: int) -> bytes:
    """H_B = H(H_P; 0x02, H_M, n, k), eq. (7)."""
    return H(h_p, DS_BASE + h_m + b_int(n) + b_int(k))


# --- §5.5.2 Key generation and extended base hash --------------------------------------------------


def coefficient_proof_challenge(h_p: bytes, i: int, j: int, commitment: int, h: int) -> bytes:
    """c_ij = H(H_P; 0x10, i, j, K_ij, h_ij), eq. (12)."""
    return H(h_p, DS_COEFFICIENT_PROOF + b_int(i) + b_int(j) + elem_bytes(commitment) + elem_bytes(h))


def share_encryption_key(h_p: bytes, i: int, ell: int, k_ell: int, alpha: int, beta: int) -> bytes:
    """k_il = H(H_P; 0x11, i, l, K_l, alpha_il, beta_il), eq. (15)."""
    return H(h_p, DS_SHARE_KEY + b_int(i) + b_int(ell) + b_elems((k_ell, alpha, beta)))


def share_kdf(k_il: bytes, i: int, ell: int) -> tuple[bytes, bytes]:
    """(k0, k1): the MAC key and the encryption key of eq. (16) and (17).

    SP 800-108 counter mode with a one-byte counter (0x01, 0x02), Label "share enc keys", a 0x00
    separator, Context "share encrypt" || b(i, 4) || b(l, 4) and the two-byte output length 0x0200
    (512 bits), exactly as written in eq. (16)-(17) and footnote 27. The strings are not
    length-prefixed here: these are HMAC inputs, not H inputs.
    """
    tail = SHARE_KDF_LABEL + b"\x00" + SHARE_KDF_CONTEXT + b_int(i) + b_int(ell) + b"\x02\x00"
    return hmac_sha256(k_il, b"\x01" + tail), hmac_sha256(k_il, b"\x02" + tail)


def extended_base_hash(h_b: bytes, joint_key: int) -> bytes:
    """H_E = H(H_B; 0x12, K), eq. (23)."""
    return H(h_b, DS_EXTENDED_BASE + elem_bytes(joint_key))


# --- §5.5.3 Ballot encryption and confirmation codes -----------------------------------------------


def selection_nonce(h_e: bytes, ballot_nonce: bytes, contest_index: int, option_index: int) -> int:
    """xi_ij = H(H_E; 0x20, xi_B, ind_c(Lambda_i), ind_o(lambda_j)), eq. (25), reduced mod q."""
    if len(ballot_nonce) != HASH_BYTES:
        raise ValueError("a ballot nonce is 32 bytes")
    return to_q(H(h_e, DS_NONCE + ballot_nonce + b_int(contest_index) + b_int(option_index)))


def contest_data_nonce(h_e: bytes, ballot_nonce: bytes, contest_index: int) -> int:
    """xi = H(H_E; 0x20, xi_B, ind_c(Lambda), "contest_data"), eq. (50) with the §5.5.3 bytes, mod q."""
    if len(ballot_nonce) != HASH_BYTES:
        raise ValueError("a ballot nonce is 32 bytes")
    return to_q(H(h_e, DS_NONCE + ballot_nonce + b_int(contest_index) + CONTEST_DATA_NONCE_LABEL))


def range_proof_challenge(
    h_e: bytes, joint_key: int, alpha: int, beta: int, commitments: Sequence[tuple[int, int]]
) -> bytes:
    """c = H(H_E; 0x21, K, alpha, beta, a_0, b_0, ..., a_R, b_R), eq. (28), (46), (56)."""
    body = b_elems((joint_key, alpha, beta)) + b"".join(elem_bytes(a) + elem_bytes(b) for a, b in commitments)
    return H(h_e, DS_RANGE_PROOF + body)


def contest_data_key(h_e: bytes, joint_key: int, alpha: int, beta: int) -> bytes:
    """k = H(H_E; 0x22, K, alpha, beta), eq. (51) (and, with beta = C0^s, the decryption key of §3.6.4)."""
    return H(h_e, DS_CONTEST_DATA_KEY + b_elems((joint_key, alpha, beta)))


def contest_data_kdf(key: bytes, contest_index: int, blocks: int) -> list[bytes]:
    """[k_0, k_1, ..., k_bD], eq. (52): k_i = HMAC(k, b(i,4) || Label || 0x00 || Context || b((bD+1)*256, 4)).

    Label = "data enc keys", Context = "contest data" || b(ind_c(Lambda), 4). k_0 is the MAC key,
    k_1..k_bD encrypt the 32-byte blocks of the contest data.
    """
    if not 1 <= blocks + 1 < 2**24:
        raise ValueError("contest data block count out of range")
    tail = DATA_KDF_LABEL + b"\x00" + DATA_KDF_CONTEXT + b_int(contest_index) + b_int((blocks + 1) * 256)
    return [hmac_sha256(key, b_int(i) + tail) for i in range(blocks + 1)]


def contest_hash(
    h_e: bytes, contest_index: int, joint_key: int, ciphertexts: Sequence[tuple[int, int]]
) -> bytes:
    """chi_l = H(H_E; 0x23, ind_c(Lambda_l), K, alpha_1, beta_1, ..., alpha_m, beta_m), eq. (57)."""
    body = b"".join(elem_bytes(a) + elem_bytes(b) for a, b in ciphertexts)
    return H(h_e, DS_CONTEST_HASH + b_int(contest_index) + elem_bytes(joint_key) + body)


def confirmation_code(h_e: bytes, contest_hashes: Sequence[bytes], aux: bytes) -> bytes:
    """H(B) = H(H_E; 0x24, chi_1, ..., chi_mB, B_aux), eq. (58); B_aux hashed length-prefixed (§5.5.3)."""
    if any(len(chi) != HASH_BYTES for chi in contest_hashes):
        raise ValueError("contest hashes are 32 bytes")
    return H(h_e, DS_CONFIRMATION + b"".join(contest_hashes) + b_file(aux))


def chain_initial_code(h_e: bytes, aux0: bytes) -> bytes:
    """H_0 = H(H_E; 0x24, B_aux,0), eq. (59): B1 = 0x24 || b(len(B_aux,0), 4) || B_aux,0."""
    return H(h_e, DS_CONFIRMATION + b_file(aux0))


def chain_aux(previous_code: bytes, aux0: bytes) -> bytes:
    """B_aux,j = H_(j-1) || B_aux,0, eq. (60)."""
    if len(previous_code) != HASH_BYTES:
        raise ValueError("a confirmation code is 32 bytes")
    return previous_code + aux0


def chain_closing_code(h_e: bytes, last_code: bytes, aux0: bytes) -> bytes:
    """H = H(H_E; 0x24, B_aux) with B_aux = H(B_l) || B_aux,0 || b("CLOSE", 5), eq. (61).

    Byte layout of §5.5.3: 0x24 || H(B_l) || b(len(B_aux,0), 4) || B_aux,0 || 0x00000005434C4F5345,
    i.e. the two strings are length-prefixed and the whole B_aux is not.
    """
    if len(last_code) != HASH_BYTES:
        raise ValueError("a confirmation code is 32 bytes")
    return H(h_e, DS_CONFIRMATION + last_code + b_file(aux0) + b_file(CLOSE_MARKER))


# --- §5.5.4 Verifiable decryption ------------------------------------------------------------------


def decryption_proof_challenge(
    h_e: bytes, joint_key: int, a_big: int, b_big: int, a: int, b: int, m: int
) -> bytes:
    """c = H(H_E; 0x30, K, A, B, a, b, M), eq. (71)."""
    return H(h_e, DS_DECRYPTION_PROOF + b_elems((joint_key, a_big, b_big, a, b, m)))


def contest_data_decryption_challenge(
    h_e: bytes, joint_key: int, c0: int, c1: bytes, c2: bytes, a: int, b: int, beta: int
) -> bytes:
    """c = H(H_E; 0x31, K, C0, C1, C2, a, b, beta), eq. (81).

    The §5.5.4 table encodes every input, C1 and C2 included, as b(x, 512): the byte strings C1
    (32 * bD bytes) and C2 (32 bytes) are read as big-endian integers and left-padded with zeros to
    512 bytes (len(B1) = 3585). That is only defined for bD <= 16, which the manifest enforces.
    """
    if len(c1) > LEN_P or len(c2) > LEN_P:
        raise ValueError("contest data ciphertext longer than 512 bytes")
    body = (
        b_elems((joint_key, c0)) + c1.rjust(LEN_P, b"\x00") + c2.rjust(LEN_P, b"\x00") + b_elems((a, b, beta))
    )
    return H(h_e, DS_CONTEST_DATA_DECRYPTION_PROOF + body)


__all__ = [
    "CLOSE_MARKER",
    "HASH_BYTES",
    "LEN_P",
    "LEN_Q",
    "H",
    "b_elems",
    "b_file",
    "b_int",
    "b_str",
    "base_hash",
    "chain_aux",
    "chain_closing_code",
    "chain_initial_code",
    "coefficient_proof_challenge",
    "confirmation_code",
    "contest_data_decryption_challenge",
    "contest_data_kdf",
    "contest_data_key",
    "contest_data_nonce",
    "contest_hash",
    "decryption_proof_challenge",
    "extended_base_hash",
    "hmac_sha256",
    "manifest_hash",
    "parameter_base_hash",
    "range_proof_challenge",
    "selection_nonce",
    "share_encryption_key",
    "share_kdf",
    "to_q",
    "version_bytes",
]
