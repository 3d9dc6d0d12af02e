"""The one error type users see: a stable machine-readable code and a human message.

Codes are dotted, lower-case and stable across releases (`codec.unknown_field`, `tx.bad_signature`,
`land.not_current_owner`). The API maps them to HTTP 4xx, the CLI to exit code 2.
"""

from __future__ import annotations


class GovledgerError(Exception):
    """An expected failure caused by input or state, never by a bug."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class CodecError(GovledgerError):
    """Bytes that do not decode to exactly one canonical value of the expected type."""


class TxRejected(GovledgerError):
    """A transaction that fails an admission or execution check."""


class AppError(GovledgerError):
    """A business rule of an app refused the operation; nothing was written."""
