"""The simulator's stand-ins for keys and for the ledger: cheap, deterministic, checkable.

Keys: each validator's secret is derived from the run's seed and its id; a signature is a keyed
BLAKE2b MAC over the sign bytes. Only the simulator holds the secrets, so a node cannot forge
another's signature unless the adversary code does so on purpose (it never does: Byzantine nodes
sign with their own keys). This is ~1 us per operation, against ~100 us for Ed25519, which is what
lets hundreds of seeds run in a minute; the core only sees the `sign`/`verify` ports either way.

Values: `b"ok|<height>|<round>|<node>|<epoch>|<nonce>"` is valid at <height>; anything else (the
invalid-value proposer's `b"bad|..."`) is not. `valid` is deterministic, as the core requires.
"""

from __future__ import annotations

import hashlib
import hmac


class SimKeys:
    def __init__(self, seed: int, ids: list[bytes]) -> None:
        self._secrets = {
            vid: hashlib.sha256(b"govledger-sim-key|" + str(seed).encode() + b"|" + vid).digest()
            for vid in ids
        }

    def sign_fn(self, vid: bytes) -> SignFn:
        return SignFn(self._secrets[vid])

    def verify(self, vid: bytes, message: bytes, signature: bytes) -> bool:
        secret = self._secrets.get(vid)
        if secret is None:
            return False
        return hmac.compare_digest(hashlib.blake2b(message, key=secret, digest_size=32).digest(), signature)


class SignFn:
    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, message: bytes) -> bytes:
        return hashlib.blake2b(message, key=self._secret, digest_size=32).digest()


def make_value(height: int, round_: int, node: int, epoch: int, nonce: int, valid: bool = True) -> bytes:
    prefix = b"ok" if valid else b"bad"
    return b"%s|%d|%d|%d|%d|%d" % (prefix, height, round_, node, epoch, nonce)


def is_valid_value(height: int, value: bytes) -> bool:
    return value.startswith(b"ok|%d|" % height)


def alternative_value(value: bytes) -> bytes:
    """A different value, still valid at the same height (the equivocating proposer's second)."""
    return value + b"|alt"
