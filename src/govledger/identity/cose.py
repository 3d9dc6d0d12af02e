"""Strict CBOR decoding and the COSE pieces ISO/IEC 18013-5 mdocs use: COSE_Sign1 (RFC 9052) with an
attached or detached payload, COSE_Key (EC2 P-256/P-384, OKP Ed25519), and the failure codes of both.

Rules
-----
- CBOR input is bounded (`MAX_CBOR_BYTES`, nesting `MAX_DEPTH`); duplicate map keys, indefinite
  lengths, trailing bytes and tags no mdoc uses (`_REFUSED_TAGS`) are refused (`input.malformed`); tdate
  (tag 0) and full-date (tag 1004) decode to datetime / date; what we encode is deterministic (RFC 8949 core
  deterministic encoding, cbor2's `canonical=True`).
- Algorithms: ES256 (-7), ES384 (-35), EdDSA (-8); the key decides, the header only confirms (the
  JOSE layer's rule, and its signature code: COSE ECDSA signatures are the same fixed-size r||s).
  Anything else is `cose.unsupported_alg`; a `crit` header is `cose.crit`.
- The algorithm must be in the protected header (RFC 9052 §3.1 allows either bucket; ISO 18013-5
  requires protected), so nobody can swap it without breaking the signature.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govledger.identity.errors import CODES as IDENTITY_CODES
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import JwsSigner, PublicKeyT, alg_fits, verify_signature

MAX_CBOR_BYTES = 256 * 1024
MAX_DEPTH = 32

# Codes of this module and of `mdoc`, beside the identity package's (docs/apps/identity.md lists them).
CODES: dict[str, str] = {
    "cose.malformed": "not a COSE_Sign1 [protected bstr, unprotected map, payload, signature bstr]",
    "cose.unsupported_alg": "the COSE algorithm is not ES256 (-7), ES384 (-35) or EdDSA (-8), "
    "or not in the protected header",
    "cose.crit": "the COSE message has a `crit` header this implementation does not understand",
    "cose.bad_key": "a COSE_Key is malformed, of an unsupported type or curve, or not on its curve",
    "mdoc.bad_response": "a DeviceResponse or Document is malformed (version, status, members)",
    "mdoc.bad_signature": "the issuerAuth (MSO) signature does not verify under the x5chain's first key",
    "mdoc.untrusted_issuer": "the x5chain does not lead to one of the verifier's trusted IACA certificates",
    "mdoc.bad_certificate": "a certificate is malformed, outside its validity, or the document signer "
    "lacks the mdlDS extended key usage / digitalSignature, or signed the MSO outside its validity",
    "mdoc.unsupported_digest": "the MSO digestAlgorithm is not SHA-256, SHA-384 or SHA-512",
    "mdoc.digest_mismatch": "a returned element's digest is not the one the MSO signed for its digestID",
    "mdoc.duplicate_element": "two returned elements of one namespace share a digestID or identifier",
    "mdoc.doc_type_mismatch": "the Document's docType differs from the docType the MSO signed",
    "mdoc.wrong_doc_type": "the docType is not one the verifier accepts",
    "mdoc.device_auth_missing": "the verifier requires device authentication and there is none",
    "mdoc.device_mac_unsupported": "deviceMac needs the proximity session's keys; only deviceSignature "
    "is supported",
    "mdoc.bad_device_signature": "the DeviceAuth signature does not verify under the MSO's device key "
    "for this SessionTranscript",
    "mdoc.unauthorized_device_element": "a device-signed element is not authorised by the MSO's "
    "keyAuthorizations",
}
ALGS: dict[int, str] = {-7: "ES256", -35: "ES384", -8: "EdDSA"}
COSE_ALG = {v: k for k, v in ALGS.items()}
ALG, CRIT, KID, X5CHAIN = 1, 2, 4, 33
_CRV_EC2 = {1: ("P-256", ec.SECP256R1(), 32), 2: ("P-384", ec.SECP384R1(), 48)}
_CRV_BY_NAME = {"secp256r1": 1, "secp384r1": 2}
_OKP_ED25519 = 6


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES or code in IDENTITY_CODES, f"undocumented identity code {code}"
    raise CheckFailed(code, message)


# --- CBOR ----------------------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def _refuse_tag(decoder: Any) -> NoReturn:
    raise cbor2.CBORDecodeError("a CBOR tag mdocs do not use")


# Tags cbor2 would interpret that no mdoc structure uses: decimal fractions and bigfloats (costly
# arithmetic on attacker-chosen exponents), rationals, regular expressions (compiled on decode), MIME,
# value sharing and string references (aliasing), sets. Refused at decode time.
_REFUSED_TAGS = {tag: _refuse_tag for tag in (4, 5, 25, 28, 29, 30, 35, 36, 256, 258)}


def loads(data: Any, *, what: str, max_bytes: int = MAX_CBOR_BYTES) -> Any:
    """One CBOR item, strictly: bounded size and depth, no duplicate keys, nothing after it."""
    if not isinstance(data, bytes | bytearray | memoryview):
        fail("input.malformed", f"{what} is not bytes")
    if len(data) > max_bytes:
        fail("input.too_large", f"{what} is larger than {max_bytes} bytes")
    stream = io.BytesIO(bytes(data))
    try:
        value = cbor2.CBORDecoder(
            stream,
            max_depth=MAX_DEPTH,
            allow_duplicate_keys=False,
            allow_indefinite=False,
            semantic_decoders=_REFUSED_TAGS,
        ).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        fail("input.malformed", f"{what} is not valid CBOR: {str(exc)[:200]}")
    if stream.tell() != len(data):
        fail("input.malformed", f"{what} has trailing bytes after its CBOR item")
    return value


def embedded(value: Any, *, what: str) -> tuple[bytes, Any]:
    """A `#6.24(bstr .cbor X)` item: (the item's own encoding, X decoded)."""
    if not isinstance(value, cbor2.CBORTag) or value.tag != 24 or not isinstance(value.value, bytes):
        fail("input.wrong_type", f"{what} is not an embedded CBOR item (tag 24 over a byte string)")
    return dumps(value), loads(value.value, what=what)


def embed(value: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(24, dumps(value))


def as_map(value: Any, what: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        fail("input.wrong_type", f"{what} is not a CBOR map")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        fail("input.wrong_type", f"{what} is not a CBOR array")
    return list(value)


# --- COSE_Key ------------------------------------------------------------------------------------------


def cose_key(key: PublicKeyT) -> dict[int, Any]:
    """The COSE_Key of a public key (EC2 P-256/P-384 or OKP Ed25519)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {1: 1, -1: _OKP_ED25519, -2: key.public_bytes(Encoding.Raw, PublicFormat.Raw)}
    crv = _CRV_BY_NAME.get(key.curve.name)
    if crv is None:
        fail("cose.bad_key", f"unsupported curve {key.curve.name}")
    size = _CRV_EC2[crv][2]
    nums = key.public_numbers()
    return {1: 2, -1: crv, -2: nums.x.to_bytes(size, "big"), -3: nums.y.to_bytes(size, "big")}


def public_key(value: Any) -> PublicKeyT:
    """The public key of a COSE_Key map; refuses private members (-4) and unsupported curves."""
    m = as_map(value, "COSE_Key")
    if -4 in m:
        fail("cose.bad_key", "the COSE_Key carries a private key")
    kty, crv, x = m.get(1), m.get(-1), m.get(-2)
    try:
        if kty == 1 and crv == _OKP_ED25519 and isinstance(x, bytes) and len(x) == 32:
            return ed25519.Ed25519PublicKey.from_public_bytes(x)
        if kty == 2 and crv in _CRV_EC2:
            _, curve, size = _CRV_EC2[crv]
            y = m.get(-3)
            if isinstance(x, bytes) and isinstance(y, bytes) and len(x) == len(y) == size:
                nums = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve
                )
                return nums.public_key()
    except ValueError as exc:  # not on the curve
        fail("cose.bad_key", f"invalid COSE_Key: {exc}")
    fail("cose.bad_key", f"unsupported or malformed COSE_Key (kty {kty!r}, crv {crv!r})")


# --- COSE_Sign1 ----------------------------------------------------------------------------------------


def _sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    return dumps(["Signature1", protected, external_aad, payload])


def sign1(
    signer: JwsSigner,
    payload: bytes | None,
    *,
    unprotected: Mapping[int, Any] | None = None,
    detached: bytes = b"",
) -> list[Any]:
    """An untagged COSE_Sign1 array. With `payload` None the payload is detached: `detached` is signed."""
    protected = dumps({ALG: COSE_ALG[signer.alg]})
    to_sign = payload if payload is not None else detached
    signature = signer.sign(_sig_structure(protected, to_sign))
    return [protected, dict(unprotected or {}), payload, signature]


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1 whose signature has NOT been checked yet."""

    protected_bytes: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes | None
    signature: bytes
    alg: str

    def header(self, label: int) -> Any:
        return self.protected.get(label, self.unprotected.get(label))

    def verifies(self, key: PublicKeyT, detached: bytes | None = None) -> bool:
        payload = self.payload if self.payload is not None else detached
        if payload is None or not alg_fits(self.alg, key):
            return False
        return verify_signature(self.alg, key, _sig_structure(self.protected_bytes, payload), self.signature)


def parse_sign1(value: Any, *, what: str) -> Sign1:
    """Parse a COSE_Sign1 (untagged, or tag 18) and check its headers against the allow list."""
    if isinstance(value, cbor2.CBORTag) and value.tag == 18:
        value = value.value
    if not isinstance(value, list | tuple) or len(value) != 4:
        fail("cose.malformed", f"{what} is not a four-element COSE_Sign1 array")
    protected_bytes, unprotected, payload, signature = value
    if not isinstance(protected_bytes, bytes) or not isinstance(signature, bytes):
        fail("cose.malformed", f"{what}: the protected header and the signature are byte strings")
    if not isinstance(unprotected, Mapping) or not (payload is None or isinstance(payload, bytes)):
        fail("cose.malformed", f"{what}: the unprotected header is a map and the payload bytes or nil")
    protected: Mapping[Any, Any] = {}
    if protected_bytes:  # a zero-length bstr is the empty protected header
        protected = as_map(
            loads(protected_bytes, what=f"{what} protected header"), f"{what} protected header"
        )
    if CRIT in protected or CRIT in unprotected:
        fail("cose.crit", f"{what} has critical header parameters")
    label = protected.get(ALG)
    alg = ALGS.get(label) if isinstance(label, int) and not isinstance(label, bool) else None
    if alg is None:
        fail("cose.unsupported_alg", f"{what}: alg {protected.get(ALG)!r} (protected header) is not allowed")
    return Sign1(protected_bytes, protected, unprotected, payload, signature, alg)
