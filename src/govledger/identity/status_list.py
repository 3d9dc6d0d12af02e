"""Status lists: IETF Token Status List and W3C Bitstring Status List, and unlinkable index allocation.

Theory of operation
-------------------
One ledger status list stores, per index, a status value in the IETF layout (`bits` per entry,
1 or 2; index 0 in the LEAST significant bits of byte 0): 0 VALID, 1 INVALID (revoked, final),
2 SUSPENDED. Both published forms are computed from those bytes, never stored separately:

- IETF Token Status List (draft-ietf-oauth-status-list): `status_list: {bits, lst}` with `lst` =
  base64url(zlib(bytes)), inside a `statuslist+jwt` signed by the issuer; a credential refers to it
  with `status: {status_list: {idx, uri}}`.
- W3C Bitstring Status List v1.0: one bit per entry, index 0 the MOST significant bit of byte 0,
  `encodedList` = multibase base64url (`u`) of GZIP(bitstring), at least 131,072 entries (16 KiB,
  the herd a holder hides in). A 2-bit ledger list publishes two W3C lists from the same state: the
  `revocation` list (value == 1) and the `suspension` list (value == 2).

The opposite bit orders are the classic trap; `to_w3c` converts with translation tables (no per-bit
Python loop), and tests pin known bit positions in both conventions.

Index allocation must not leak issuance order (a verifier who sees index 17 should not learn it was
the 17th credential). Two tools: `ledger_index` derives a pseudorandom index from the allocating
transaction's id (deterministic on every node, retried on collision by the ledger app), and
`FeistelPermutation` is a keyed pseudorandom permutation of [0, size) for issuers that allocate off
the ledger from a secret key and a counter (uniqueness without storing the allocated set).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import zlib
from dataclasses import dataclass
from typing import Any

from govledger.identity.encoding import b64url_decode, b64url_encode, multibase_decode
from govledger.identity.errors import fail
from govledger.identity.jose import JwsSigner, PublicKeyT, decode_jws, encode_jws, verify_jws
from govledger.identity.sdjwt import check_times

VALID, INVALID, SUSPENDED = 0, 1, 2
STATUS_NAMES = {VALID: "valid", INVALID: "invalid", SUSPENDED: "suspended"}
W3C_MIN_ENTRIES = 131_072
MAX_ENTRIES = 1 << 22  # 4,194,304 entries; 1 MiB at 2 bits
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
TOKEN_TYP = "statuslist+jwt"
V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"


# --- packed values (IETF layout) ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatusBits:
    """`size` entries of `bits` bits each, IETF layout (index 0 = least significant bits of byte 0)."""

    bits: int
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def get(self, index: int) -> int:
        if not 0 <= index < self.size:
            fail("status.bad_index", f"index {index} is outside a list of {self.size}")
        pos = index * self.bits
        return (self.data[pos // 8] >> (pos % 8)) & ((1 << self.bits) - 1)

    def with_value(self, index: int, value: int) -> StatusBits:
        if not 0 <= value < (1 << self.bits):
            fail("status.bad_list", f"value {value} does not fit {self.bits} bits")
        pos = index * self.bits
        if not 0 <= index < self.size:
            fail("status.bad_index", f"index {index} is outside a list of {self.size}")
        buf = bytearray(self.data)
        mask = ((1 << self.bits) - 1) << (pos % 8)
        buf[pos // 8] = (buf[pos // 8] & ~mask) | (value << (pos % 8))
        return StatusBits(self.bits, bytes(buf))

    @classmethod
    def empty(cls, size: int, bits: int) -> StatusBits:
        check_shape(size, bits)
        return cls(bits, bytes(size * bits // 8))


def check_shape(size: int, bits: int) -> None:
    if bits not in (1, 2, 4, 8):
        fail("status.bad_list", "bits is 1, 2, 4 or 8")
    if not 8 <= size <= MAX_ENTRIES or (size * bits) % 8:
        fail("status.bad_list", f"size must be 8..{MAX_ENTRIES} and fill whole bytes")


# --- IETF Token Status List ---------------------------------------------------------------------------


def encode_token_list(values: StatusBits) -> dict[str, Any]:
    return {"bits": values.bits, "lst": b64url_encode(zlib.compress(values.data, 9))}


def _inflate(data: bytes, inflater: Any) -> bytes:
    """Decompress with a hard output bound (a zip bomb stops at MAX_ENTRIES bytes, not at memory)."""
    limit = MAX_ENTRIES  # bytes: the largest list at 8 bits per entry
    try:
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            fail("status.bad_list", "the status list inflates beyond the bound")
        return bytes(out)
    except (zlib.error, OSError, EOFError) as exc:
        fail("status.bad_list", f"not a valid compressed list: {exc}")


def decode_token_list(obj: Any) -> StatusBits:
    if (
        not isinstance(obj, dict)
        or obj.get("bits") not in (1, 2, 4, 8)
        or not isinstance(obj.get("lst"), str)
    ):
        fail("status.bad_list", "status_list is {bits: 1|2|4|8, lst: base64url}")
    data = _inflate(
        b64url_decode(obj["lst"], what="lst", max_chars=MAX_COMPRESSED_BYTES), zlib.decompressobj()
    )
    return StatusBits(int(obj["bits"]), data)


def status_list_token(
    values: StatusBits,
    *,
    uri: str,
    signer: JwsSigner,
    iat: int,
    ttl_s: int = 300,
    exp: int = 0,
    iss: str = "",
) -> str:
    """A `statuslist+jwt` (the issuer signs it; `sub` is the list's URI, as credentials name it)."""
    payload: dict[str, Any] = {"sub": uri, "iat": iat, "ttl": ttl_s, "status_list": encode_token_list(values)}
    if iss:
        payload["iss"] = iss
    if exp:
        payload["exp"] = exp
    return encode_jws({"typ": TOKEN_TYP}, payload, signer)


def verify_status_list_token(
    token: str, *, uri: str, key: PublicKeyT, now_s: int, skew_s: int = 60
) -> StatusBits:
    """The values of a status list token; raises CheckFailed (typ, signature, sub, exp)."""
    jws = decode_jws(token, what="status list token", max_bytes=MAX_COMPRESSED_BYTES * 2)
    if jws.header.get("typ") != TOKEN_TYP:
        fail("jose.bad_typ", f"a status list token has typ {TOKEN_TYP}")
    verify_jws(jws, key, what="status list token")
    payload = jws.payload_json("status list token")
    if payload.get("sub") != uri:
        fail("status.bad_list", "the token's sub is not the URI the credential names")
    check_times(payload, now_s, skew_s)
    return decode_token_list(payload.get("status_list"))


def token_status_reference(uri: str, index: int) -> dict[str, Any]:
    """The `status` claim of a referenced token (SD-JWT VC)."""
    return {"status_list": {"idx": index, "uri": uri}}


# --- W3C Bitstring Status List ------------------------------------------------------------------------

_REVERSE = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _nibble_table(wanted: int, shift: int) -> bytes:
    """For a byte of four 2-bit IETF entries: a 4-bit MSB-first mask of entries equal to `wanted`."""
    out = []
    for b in range(256):
        nib = 0
        for k in range(4):
            if (b >> (2 * k)) & 3 == wanted:
                nib |= 1 << (3 - k)
        out.append(nib << shift)
    return bytes(out)


_NIB = {(w, s): _nibble_table(w, s) for w in (INVALID, SUSPENDED) for s in (0, 4)}


def to_w3c(values: StatusBits, wanted: int) -> bytes:
    """The W3C bitstring (MSB first) whose bit i is set when entry i has status `wanted`."""
    if values.bits == 1:
        if wanted != INVALID:
            return bytes(len(values.data))
        return values.data.translate(_REVERSE)
    if values.bits != 2:
        fail("status.bad_list", "only 1- and 2-bit lists publish as W3C bitstrings")
    hi = values.data[0::2].translate(_NIB[(wanted, 4)])
    lo = values.data[1::2].translate(_NIB[(wanted, 0)])
    return bytes(a | b for a, b in zip(hi, lo, strict=True))


def encode_bitstring(bitstring: bytes) -> str:
    """`encodedList`: multibase base64url (`u`) of the GZIP-compressed bitstring."""
    if len(bitstring) * 8 < W3C_MIN_ENTRIES:
        fail("status.bad_list", f"a bitstring status list has at least {W3C_MIN_ENTRIES} entries")
    return "u" + b64url_encode(gzip.compress(bitstring, compresslevel=9, mtime=0))


def decode_bitstring(encoded: Any) -> bytes:
    raw = multibase_decode(encoded, what="encodedList", max_chars=MAX_COMPRESSED_BYTES)
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        fail("status.bad_list", "encodedList is multibase base64url ('u')")
    data = _inflate(raw, zlib.decompressobj(16 + zlib.MAX_WBITS))
    if len(data) * 8 < W3C_MIN_ENTRIES:
        fail("status.bad_list", f"the bitstring has fewer than {W3C_MIN_ENTRIES} entries")
    return data


def bitstring_get(bitstring: bytes, index: int) -> int:
    if not 0 <= index < len(bitstring) * 8:
        fail("status.bad_index", f"index {index} is outside the bitstring")
    return (bitstring[index // 8] >> (7 - index % 8)) & 1


def bitstring_status_list_credential(
    *, list_id: str, issuer: str, purpose: str, bitstring: bytes, valid_from: str, valid_until: str = ""
) -> dict[str, Any]:
    """An unsecured BitstringStatusListCredential (secure it with vc.sign_jcs or vc.sign_jose)."""
    cred: dict[str, Any] = {
        "@context": [V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bitstring(bitstring),
        },
    }
    if valid_until:
        cred["validUntil"] = valid_until
    return cred


def bitstring_status_entry(list_credential: str, purpose: str, index: int) -> dict[str, Any]:
    """A `credentialStatus` entry (statusListIndex is a string, as the spec defines it)."""
    return {
        "id": f"{list_credential}#{purpose}-{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential,
    }


# --- index allocation ---------------------------------------------------------------------------------


def ledger_index(tx_id: bytes, list_id: str, ordinal: int, attempt: int, size: int) -> int:
    """A pseudorandom index for the `ordinal`-th allocation of a transaction (`attempt` on collision).

    Deterministic (every node computes the same), unpredictable before the transaction exists, and
    unrelated to how many credentials came before. The modulo bias of a 64-bit value over at most
    2^22 entries is below 2^-41: immaterial.
    """
    h = hashlib.sha256(
        b"govledger/status-index/v1" + tx_id + list_id.encode() + b"%d/%d" % (ordinal, attempt)
    )
    return int.from_bytes(h.digest()[:8], "big") % size


class FeistelPermutation:
    """A keyed pseudorandom permutation of [0, size): balanced Feistel over HMAC-SHA256, cycle-walked.

    `index(n)` for the issuer's n-th credential is unique for n < size and, without the key, says
    nothing about n. Four rounds over the next even power of two; cycle walking stays inside [0, size).
    """

    def __init__(self, key: bytes, size: int, rounds: int = 4) -> None:
        if len(key) < 16 or size < 2:
            raise ValueError("a permutation needs a 16-byte key and at least two elements")
        self._key, self.size, self._rounds = key, size, rounds
        half = ((size - 1).bit_length() + 1) // 2
        self._half_bits = max(half, 1)
        self._mask = (1 << self._half_bits) - 1

    def _round(self, r: int, value: int) -> int:
        mac = hmac.new(self._key, b"%d:%d" % (r, value), hashlib.sha256).digest()
        return int.from_bytes(mac[:8], "big") & self._mask

    def _encrypt(self, x: int) -> int:
        left, right = x >> self._half_bits, x & self._mask
        for r in range(self._rounds):
            left, right = right, left ^ self._round(r, right)
        return (left << self._half_bits) | right

    def index(self, n: int) -> int:
        if not 0 <= n < self.size:
            raise ValueError(f"{n} is outside [0, {self.size})")
        x = self._encrypt(n)
        while x >= self.size:  # cycle walking: terminates because the Feistel map is a bijection
            x = self._encrypt(x)
        return x
