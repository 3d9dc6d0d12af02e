"""Crypto-agile signatures: every public key and signature names its scheme.

This module owns the signature schemes the ledger accepts and the one place where they are verified.
Design choices:

- A `PublicKey` is a wire `Record` of (scheme, key bytes), so a quantum-safe scheme can be rolled in
  next to Ed25519 without a format change; its `key_id` hashes the scheme too, so equal bytes under
  two schemes never collide.
- Ed25519 goes through PyNaCl (libsodium): it verifies strictly (canonical S, no small-order keys),
  so every node agrees on validity, and the cffi call releases the GIL, which `BatchVerifier` uses.
  ML-DSA-65 (FIPS 204) goes through pyca/cryptography.
- The hybrid scheme needs both halves to verify. Its halves are domain-separated (the Ed25519 half
  signs `HYBRID_DOMAIN || message`, the ML-DSA half signs `message` with context `HYBRID_DOMAIN`),
  so neither half can be stripped off and passed off as a plain single-scheme signature.
- `verify` never raises on bad input: it is fed attacker-controlled bytes on hot paths, so
  schemes and lengths are checked before any library call and every failure is a plain `False`.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import nacl.bindings
import nacl.exceptions
import nacl.signing
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import mldsa

from govledger.codec import Record
from govledger.errors import GovledgerError

__all__ = [
    "HYBRID_DOMAIN",
    "PRIVATE_KEY_SIZES",
    "PUBLIC_KEY_SIZES",
    "SIGNATURE_SIZES",
    "BatchVerifier",
    "PublicKey",
    "Scheme",
    "SigningKey",
    "verify",
]


class Scheme(enum.IntEnum):
    ED25519 = 1
    ML_DSA_65 = 2
    # Both signatures must verify; key = ed25519 pub (32) || ml-dsa pub; sig = ed25519 sig (64) || ml-dsa sig.
    HYBRID_ED25519_ML_DSA_65 = 3


_ED_PUB = 32
_ED_SIG = 64
_ED_SEED = 32
_MLDSA_PUB = 1952
_MLDSA_SIG = 3309
_MLDSA_SEED = 32

PUBLIC_KEY_SIZES: dict[Scheme, int] = {
    Scheme.ED25519: _ED_PUB,
    Scheme.ML_DSA_65: _MLDSA_PUB,
    Scheme.HYBRID_ED25519_ML_DSA_65: _ED_PUB + _MLDSA_PUB,
}
SIGNATURE_SIZES: dict[Scheme, int] = {
    Scheme.ED25519: _ED_SIG,
    Scheme.ML_DSA_65: _MLDSA_SIG,
    Scheme.HYBRID_ED25519_ML_DSA_65: _ED_SIG + _MLDSA_SIG,
}
PRIVATE_KEY_SIZES: dict[Scheme, int] = {
    Scheme.ED25519: _ED_SEED,
    Scheme.ML_DSA_65: _MLDSA_SEED,
    Scheme.HYBRID_ED25519_ML_DSA_65: _ED_SEED + _MLDSA_SEED,
}

# Separates the hybrid halves from plain Ed25519 / ML-DSA-65 signatures (see module docstring).
HYBRID_DOMAIN = b"govledger/sig/hybrid-ed25519-ml-dsa-65/v1"
_KEY_ID_DOMAIN = b"govledger/key-id/v1"
_BYTES_LIKE = (bytes, bytearray, memoryview)


@lru_cache(maxsize=4096)
def _key_id(scheme: int, key: bytes) -> bytes:
    # Key ids are recomputed for every transaction's signer lookup; a hit costs a dict probe, and
    # bounding the cache bounds memory even for ML-DSA keys (~2 KB each, so at most ~8 MB).
    return hashlib.sha256(_KEY_ID_DOMAIN + bytes([scheme]) + key).digest()[:20]


class PublicKey(Record, frozen=True):
    """A public key tagged with its scheme; `scheme` stays an int so unknown schemes still decode."""

    scheme: int
    key: bytes

    def key_id(self) -> bytes:
        """20 bytes: sha256(b"govledger/key-id/v1" || scheme byte || key)[:20].

        Raises ValueError for a scheme outside 0..255, which has no one-byte encoding.
        """
        if not 0 <= self.scheme <= 255:
            raise ValueError(f"scheme {self.scheme} has no key id")
        return _key_id(self.scheme, bytes(self.key))

    def hex_id(self) -> str:
        return self.key_id().hex()


def _scheme(scheme: int) -> Scheme:
    try:
        return Scheme(scheme)
    except ValueError:
        raise GovledgerError("crypto.unknown_scheme", f"unknown signature scheme {scheme!r}") from None


class SigningKey:
    """A private key of one scheme. Its repr never shows secret material."""

    __slots__ = ("_ed", "_mldsa", "_public_key", "_scheme")

    def __init__(
        self,
        scheme: Scheme,
        ed: nacl.signing.SigningKey | None,
        ml: mldsa.MLDSA65PrivateKey | None,
    ) -> None:
        # Private: use generate() or from_private_bytes(), which guarantee the halves match the scheme.
        self._scheme = scheme
        self._ed = ed
        self._mldsa = ml
        pub = b""
        if ed is not None:
            pub += bytes(ed.verify_key)
        if ml is not None:
            pub += ml.public_key().public_bytes_raw()
        self._public_key = PublicKey(scheme=int(scheme), key=pub)

    @classmethod
    def generate(cls, scheme: Scheme = Scheme.ED25519) -> SigningKey:
        scheme = _scheme(scheme)
        ed = nacl.signing.SigningKey.generate() if scheme != Scheme.ML_DSA_65 else None
        ml = _mldsa_generate() if scheme != Scheme.ED25519 else None
        return cls(scheme, ed, ml)

    @classmethod
    def from_private_bytes(cls, scheme: Scheme, data: bytes) -> SigningKey:
        """Seeds: 32-byte Ed25519 seed, 32-byte ML-DSA seed (FIPS 204 xi), hybrid = both (64 bytes)."""
        scheme = _scheme(scheme)
        want = PRIVATE_KEY_SIZES[scheme]
        if not isinstance(data, _BYTES_LIKE) or len(data) != want:
            raise GovledgerError("crypto.bad_private_key", f"{scheme.name} private key must be {want} bytes")
        data = bytes(data)
        ed: nacl.signing.SigningKey | None = None
        ml: mldsa.MLDSA65PrivateKey | None = None
        if scheme == Scheme.ED25519:
            ed = nacl.signing.SigningKey(data)
        elif scheme == Scheme.ML_DSA_65:
            ml = _mldsa_from_seed(data)
        else:
            ed = nacl.signing.SigningKey(data[:_ED_SEED])
            ml = _mldsa_from_seed(data[_ED_SEED:])
        return cls(scheme, ed, ml)

    @property
    def scheme(self) -> Scheme:
        return self._scheme

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    def private_bytes(self) -> bytes:
        out = b""
        if self._ed is not None:
            out += bytes(self._ed)
        if self._mldsa is not None:
            out += self._mldsa.private_bytes_raw()
        return out

    def sign(self, message: bytes) -> bytes:
        message = bytes(message)
        if self._scheme == Scheme.ED25519:
            assert self._ed is not None
            return self._ed.sign(message).signature
        if self._scheme == Scheme.ML_DSA_65:
            assert self._mldsa is not None
            return self._mldsa.sign(message)
        assert self._ed is not None and self._mldsa is not None
        return self._ed.sign(HYBRID_DOMAIN + message).signature + self._mldsa.sign(message, HYBRID_DOMAIN)

    def __repr__(self) -> str:
        return f"SigningKey({self._scheme.name}, id={self._public_key.hex_id()})"


def _mldsa_generate() -> mldsa.MLDSA65PrivateKey:
    try:
        return mldsa.MLDSA65PrivateKey.generate()
    except UnsupportedAlgorithm:
        raise GovledgerError("crypto.unsupported_scheme", "this OpenSSL build has no ML-DSA-65") from None


def _mldsa_from_seed(seed: bytes) -> mldsa.MLDSA65PrivateKey:
    try:
        return mldsa.MLDSA65PrivateKey.from_seed_bytes(seed)
    except UnsupportedAlgorithm:
        raise GovledgerError("crypto.unsupported_scheme", "this OpenSSL build has no ML-DSA-65") from None


def _ed25519_ok(key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        nacl.bindings.crypto_sign_open(signature + message, key)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        # BadSignatureError is a CryptoError; libsodium also rejects non-canonical or small-order keys.
        return False
    return True


def _mldsa_ok(key: bytes, message: bytes, signature: bytes, context: bytes | None) -> bool:
    try:
        mldsa.MLDSA65PublicKey.from_public_bytes(key).verify(signature, message, context)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def verify(public_key: PublicKey, message: bytes, signature: bytes) -> bool:
    """True iff `signature` is valid for `message` under `public_key`; never raises on bad input."""
    if (
        not isinstance(public_key, PublicKey)
        or not isinstance(public_key.key, bytes)
        or not isinstance(message, _BYTES_LIKE)
        or not isinstance(signature, _BYTES_LIKE)
    ):
        return False
    scheme = public_key.scheme
    # bool is an int subclass; a True scheme is garbage, not Ed25519.
    if type(scheme) is not int and not isinstance(scheme, Scheme):
        return False
    key = public_key.key
    if scheme == Scheme.ED25519:
        if len(key) != _ED_PUB or len(signature) != _ED_SIG:
            return False
        return _ed25519_ok(key, bytes(message), bytes(signature))
    if scheme == Scheme.ML_DSA_65:
        if len(key) != _MLDSA_PUB or len(signature) != _MLDSA_SIG:
            return False
        return _mldsa_ok(key, bytes(message), bytes(signature), None)
    if scheme == Scheme.HYBRID_ED25519_ML_DSA_65:
        if len(key) != _ED_PUB + _MLDSA_PUB or len(signature) != _ED_SIG + _MLDSA_SIG:
            return False
        message = bytes(message)
        signature = bytes(signature)
        # Inputs are public, so exiting early leaks nothing and saves the ML-DSA work on forgeries.
        return _ed25519_ok(key[:_ED_PUB], HYBRID_DOMAIN + message, signature[:_ED_SIG]) and _mldsa_ok(
            key[_ED_PUB:], message, signature[_ED_SIG:], HYBRID_DOMAIN
        )
    return False


def _verify_chunk(items: Sequence[tuple[PublicKey, bytes, bytes]]) -> list[bool]:
    out: list[bool] = []
    for item in items:
        try:
            public_key, message, signature = item
        except (TypeError, ValueError):
            out.append(False)
            continue
        out.append(verify(public_key, message, signature))
    return out


class BatchVerifier:
    """Verifies many signatures using a thread pool; PyNaCl releases the GIL so 2 threads ~2x."""

    def __init__(self, threads: int = 2, chunk: int = 256) -> None:
        if threads < 1 or chunk < 1:
            raise ValueError("threads and chunk must be >= 1")
        self._threads = threads
        self._chunk = chunk
        # A single thread gains nothing over running inline, so it gets no pool.
        self._pool: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="govledger-verify")
            if threads > 1
            else None
        )
        self._closed = False

    def verify_many(self, items: Sequence[tuple[PublicKey, bytes, bytes]]) -> list[bool]:
        """One result per item, in order; equal to `[verify(*item) for item in items]`."""
        if self._closed:
            raise RuntimeError("BatchVerifier is closed")
        n = len(items)
        if self._pool is None or n < self._chunk:
            # Handing a small batch to the pool costs more than it saves.
            return _verify_chunk(items)
        # At least one chunk per thread so both threads work even when n is just above `chunk`.
        size = max(1, min(self._chunk, -(-n // self._threads)))
        chunks = [items[i : i + size] for i in range(0, n, size)]
        out: list[bool] = []
        for part in self._pool.map(_verify_chunk, chunks):
            out.extend(part)
        return out

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> BatchVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
