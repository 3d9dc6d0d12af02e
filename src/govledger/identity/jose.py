"""A small, strict JOSE layer: JWKs, compact JWS signing and verification, RFC 7638 thumbprints.

Why not a general JOSE library here: every credential format in this package needs the same four
things (parse a compact JWS, refuse what is not on an allow list, find the key, verify), and needs
each refusal as a stable code. The cryptography is pyca/cryptography's; this module only decides
what is acceptable. The interop tests check it against jwcrypto (through the `sd-jwt` reference
implementation) in both directions.

Rules
-----
- Algorithms: EdDSA and Ed25519 (RFC 8037 / RFC 9864, Ed25519 keys), ES256 (P-256), ES384 (P-384).
  `alg: none` is `jose.alg_none`; anything else `jose.unsupported_alg`. The algorithm must fit the
  key's type and curve (no algorithm confusion): the key decides, the header only confirms.
- ECDSA signatures are the fixed-size JOSE form r||s (RFC 7518 §3.4), converted to DER only at the
  library call; a DER or wrong-length signature is simply a bad signature.
- A `crit` header is refused: no extension is understood.
- A JWK given as a public key must not carry private members (`d`): `jose.private_key`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from govledger.identity.encoding import (
    MAX_TOKEN_BYTES,
    b64url_decode,
    b64url_encode,
    json_dumps,
    json_object,
)
from govledger.identity.errors import fail

PublicKeyT = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKeyT = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

ALGORITHMS = ("EdDSA", "Ed25519", "ES256", "ES384")
_CURVES: dict[str, tuple[ec.EllipticCurve, int, hashes.HashAlgorithm, str]] = {
    # crv: (curve, coordinate bytes, hash, alg)
    "P-256": (ec.SECP256R1(), 32, hashes.SHA256(), "ES256"),
    "P-384": (ec.SECP384R1(), 48, hashes.SHA384(), "ES384"),
}
_ALG_CURVE = {alg: crv for crv, (_, _, _, alg) in _CURVES.items()}


# --- JWKs ---------------------------------------------------------------------------------------------


def public_key_from_jwk(jwk: Any) -> PublicKeyT:
    """The public key of a JWK (OKP/Ed25519 or EC P-256/P-384); refuses private members."""
    if not isinstance(jwk, dict):
        fail("jose.bad_key", "a JWK must be a JSON object")
    if "d" in jwk:
        fail("jose.private_key", "the JWK carries a private key")
    kty, crv, x, y = jwk.get("kty"), jwk.get("crv"), jwk.get("x"), jwk.get("y")
    if not all(v is None or isinstance(v, str) for v in (kty, crv, x, y)):
        fail("jose.bad_key", "JWK members are strings")
    return _public_key(kty, crv, x, y)


@lru_cache(maxsize=4096)
def _public_key(kty: str | None, crv: str | None, x: str | None, y: str | None) -> PublicKeyT:
    # Cached: point decoding and validation cost ~50 us, and verifiers meet the same issuer and
    # holder keys again and again. Keys are immutable; failures raise and are not cached.
    try:
        if kty == "OKP" and crv == "Ed25519":
            xb = b64url_decode(x or "", what="JWK x", max_chars=64)
            if len(xb) != 32:
                fail("jose.bad_key", "an Ed25519 key is 32 bytes")
            return ed25519.Ed25519PublicKey.from_public_bytes(xb)
        if kty == "EC" and isinstance(crv, str) and crv in _CURVES:
            curve, size, _, _ = _CURVES[crv]
            xb = b64url_decode(x or "", what="JWK x", max_chars=128)
            yb = b64url_decode(y or "", what="JWK y", max_chars=128)
            if len(xb) != size or len(yb) != size:
                fail("jose.bad_key", f"{crv} coordinates are {size} bytes")
            nums = ec.EllipticCurvePublicNumbers(int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), curve)
            return nums.public_key()
    except ValueError as exc:  # not on the curve, or a bad encoding
        fail("jose.bad_key", f"invalid JWK: {exc}")
    fail("jose.bad_key", f"unsupported JWK type {kty!r}/{crv!r}")


def jwk_of(key: PublicKeyT) -> dict[str, str]:
    """The public JWK of a key, members in RFC 7638 order."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return {
            "crv": "Ed25519",
            "kty": "OKP",
            "x": b64url_encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
        }
    nums = key.public_numbers()
    crv = {"secp256r1": "P-256", "secp384r1": "P-384"}.get(key.curve.name)
    if crv is None:
        fail("jose.bad_key", f"unsupported curve {key.curve.name}")
    size = _CURVES[crv][1]
    return {
        "crv": crv,
        "kty": "EC",
        "x": b64url_encode(nums.x.to_bytes(size, "big")),
        "y": b64url_encode(nums.y.to_bytes(size, "big")),
    }


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) over the required members only."""
    key = public_key_from_jwk(jwk)
    canonical = jwk_of(key)  # already only the required members, in lexicographic order
    return b64url_encode(hashlib.sha256(json_dumps(canonical).encode()).digest())


def alg_fits(alg: str, key: PublicKeyT) -> bool:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return alg in ("EdDSA", "Ed25519")
    crv = {"secp256r1": "P-256", "secp384r1": "P-384"}.get(key.curve.name)
    return crv is not None and _ALG_CURVE.get(alg) == crv


# --- signing keys -------------------------------------------------------------------------------------


class JwsSigner:
    """A private key that signs compact JWS; `kid` is what goes into the header (a DID URL)."""

    __slots__ = ("_key", "alg", "kid")

    def __init__(self, key: PrivateKeyT, kid: str = "", alg: str = "") -> None:
        self._key = key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            default = "EdDSA"
        else:
            crv = {"secp256r1": "P-256", "secp384r1": "P-384"}.get(key.curve.name)
            if crv is None:
                fail("jose.bad_key", f"unsupported curve {key.curve.name}")
            default = _CURVES[crv][3]
        self.alg = alg or default
        if not alg_fits(self.alg, key.public_key()):
            fail("jose.unsupported_alg", f"{self.alg} does not fit the key")
        self.kid = kid

    def __repr__(self) -> str:
        return f"JwsSigner(alg={self.alg!r}, kid={self.kid!r})"

    @classmethod
    def generate(cls, alg: str = "ES256", kid: str = "") -> JwsSigner:
        if alg in ("EdDSA", "Ed25519"):
            return cls(ed25519.Ed25519PrivateKey.generate(), kid, alg)
        if alg in _ALG_CURVE:
            return cls(ec.generate_private_key(_CURVES[_ALG_CURVE[alg]][0]), kid, alg)
        fail("jose.unsupported_alg", f"cannot generate a key for {alg!r}")

    @classmethod
    def from_ed25519_seed(cls, seed: bytes, kid: str = "") -> JwsSigner:
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed), kid)

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any], kid: str = "") -> JwsSigner:
        public = public_key_from_jwk({k: v for k, v in jwk.items() if k != "d"})
        d = b64url_decode(jwk.get("d", ""), what="JWK d", max_chars=128)
        if isinstance(public, ed25519.Ed25519PublicKey):
            key: PrivateKeyT = ed25519.Ed25519PrivateKey.from_private_bytes(d)
        else:
            key = ec.derive_private_key(int.from_bytes(d, "big"), public.curve)
        if jwk_of(key.public_key()) != jwk_of(public):
            fail("jose.bad_key", "the private JWK's d does not match x/y")
        return cls(key, kid or str(jwk.get("kid", "")))

    def with_kid(self, kid: str) -> JwsSigner:
        """The same key under another `kid` ("" for none)."""
        return JwsSigner(self._key, kid, self.alg)

    @property
    def public_key(self) -> PublicKeyT:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, str]:
        return jwk_of(self._key.public_key())

    def private_jwk(self) -> dict[str, str]:
        """For tests and key files; never logged."""
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        out = self.public_jwk()
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            raw = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        else:
            size = (self._key.curve.key_size + 7) // 8
            raw = self._key.private_numbers().private_value.to_bytes(size, "big")
        return {**out, "d": b64url_encode(raw)}

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        _, size, hash_alg, _ = _CURVES[_ALG_CURVE[self.alg]]
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hash_alg)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# --- compact JWS --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jws:
    """A parsed compact JWS whose signature has NOT been checked yet."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    def payload_json(self, what: str = "JWT payload") -> dict[str, Any]:
        return json_object(self.payload, what=what)


def encode_jws(header: dict[str, Any], payload: dict[str, Any] | bytes, signer: JwsSigner) -> str:
    """Sign `payload` (a JSON object, serialised compactly, or raw bytes) with `signer`."""
    full = {"alg": signer.alg, **({"kid": signer.kid} if signer.kid else {}), **header}
    body = payload if isinstance(payload, bytes) else json_dumps(payload).encode()
    signing_input = b64url_encode(json_dumps(full).encode()) + "." + b64url_encode(body)
    return signing_input + "." + b64url_encode(signer.sign(signing_input.encode("ascii")))


def decode_jws(token: Any, *, what: str = "JWS", max_bytes: int = MAX_TOKEN_BYTES) -> Jws:
    """Parse a compact JWS and check its header against the allow list (not its signature)."""
    if not isinstance(token, str):
        fail("input.malformed", f"{what} is not a string")
    if len(token) > max_bytes:
        fail("input.too_large", f"{what} is larger than {max_bytes} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        fail("input.malformed", f"{what} is not a compact JWS (three dot-separated parts)")
    header = json_object(b64url_decode(parts[0], what=f"{what} header"), what=f"{what} header")
    alg = header.get("alg")
    if not isinstance(alg, str):
        fail("input.wrong_type", f"{what} header has no `alg`")
    if alg.lower() == "none":
        fail("jose.alg_none", f"{what} is unsigned (alg none)")
    if alg not in ALGORITHMS:
        fail("jose.unsupported_alg", f"{what} uses {alg!r}; allowed: {', '.join(ALGORITHMS)}")
    if "crit" in header:
        fail("jose.crit", f"{what} has critical header parameters {header['crit']!r}")
    payload = b64url_decode(parts[1], what=f"{what} payload")
    signature = b64url_decode(parts[2], what=f"{what} signature", max_chars=256)
    return Jws(header, payload, (parts[0] + "." + parts[1]).encode("ascii"), signature)


def verify_signature(alg: str, key: PublicKeyT, signing_input: bytes, signature: bytes) -> bool:
    """True when `signature` is valid; False for any mismatch (never raises for bad input)."""
    if not alg_fits(alg, key):
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signing_input)
            return True
        _, size, hash_alg, _ = _CURVES[_ALG_CURVE[alg]]
        if len(signature) != 2 * size:
            return False
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hash_alg))
        return True
    except InvalidSignature:
        return False


def verify_jws(jws: Jws, key: PublicKeyT, *, what: str = "JWS") -> None:
    if not alg_fits(jws.alg, key):
        fail("jose.bad_key", f"{what}: {jws.alg} does not fit the issuer's key type")
    if not verify_signature(jws.alg, key, jws.signing_input, jws.signature):
        fail("jose.bad_signature", f"{what}: the signature does not verify")
