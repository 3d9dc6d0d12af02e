"""The errors the voting crypto raises, and the randomness interface it consumes.

Every expected failure (malformed manifest, a ballot that does not fit its style, a share whose MAC
fails, a guardian whose decryption share does not verify) is a :class:`VotingError` with a stable
dotted code, like the rest of govledger (``errors.GovledgerError``). Bugs stay ``AssertionError``.

Randomness is handed in, never reached for: every function that needs fresh secrets takes a
:class:`RandomSource`. Production code passes :data:`SYSTEM_RANDOM` (the OS CSPRNG through
:mod:`secrets`); tests pass a seeded source so that a failure reproduces exactly.
"""

from __future__ import annotations

import secrets
from typing import Final, Protocol

from govledger.errors import GovledgerError


class VotingError(GovledgerError):
    """An ElectionGuard input or protocol message was refused; the code says which rule failed."""


class RandomSource(Protocol):
    """Where nonces, polynomial coefficients and ballot nonces come from."""

    def randbelow(self, exclusive_upper_bound: int) -> int:
        """A uniform integer in [0, exclusive_upper_bound)."""
        ...

    def token_bytes(self, nbytes: int) -> bytes:
        """nbytes uniform random bytes."""
        ...


class _SystemRandom:
    """The operating system's CSPRNG (``secrets``); the only source production code should use."""

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return secrets.randbelow(exclusive_upper_bound)

    def token_bytes(self, nbytes: int) -> bytes:
        return secrets.token_bytes(nbytes)


SYSTEM_RANDOM: Final[RandomSource] = _SystemRandom()
