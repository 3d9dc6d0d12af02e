"""Keccak-256 (Ethereum's pre-standard SHA-3 padding), which every OpenAttestation hash uses.

Not `hashlib.sha3_256`: FIPS 202 changed the padding byte, so the two differ on every input.
Two backends compute the same function: `safe-pysha3` (a C extension, about 2 us per short message
here) when installed, else pycryptodome (about 10 us: its per-call overhead dominates short inputs,
and a document verification hashes one short message per field). The tests check both against the
empty-string vector and each other.
"""

from __future__ import annotations

from collections.abc import Callable

EMPTY_HEX = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def _pycryptodome(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=data).digest()


def _load() -> tuple[str, Callable[[bytes], bytes]]:
    try:
        import sha3  # safe-pysha3

        k = sha3.keccak_256

        def fast(data: bytes) -> bytes:
            return k(data).digest()  # type: ignore[no-any-return]

        return "safe-pysha3", fast
    except ImportError:  # pragma: no cover - depends on the environment
        return "pycryptodome", _pycryptodome


BACKEND, keccak256 = _load()


def keccak256_hex(data: bytes) -> str:
    return keccak256(data).hex()


def keccak256_pycryptodome(data: bytes) -> bytes:
    """The fallback backend, exposed so tests can compare it with the fast one."""
    return _pycryptodome(data)
