"""Shape rules shared by the documents app's operations (each raises a documented code)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from govledger.apps.documents.errors import fail
from govledger.apps.documents.model import MAX_NAME_CHARS, MAX_REASON_CHARS

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_REASON = re.compile(r"^[a-z0-9_]{1,32}$")


def name(value: str) -> None:
    if not _NAME.match(value):
        fail(
            "documents.bad_name", f"a name is 1-{MAX_NAME_CHARS} characters of [A-Za-z0-9._:-], got {value!r}"
        )


def reason(value: str) -> None:
    if not _REASON.match(value):
        fail(
            "documents.bad_reason", f"a reason is 1-{MAX_REASON_CHARS} characters of [a-z0-9_], got {value!r}"
        )


def hash32(value: bytes, what: str) -> None:
    if len(value) != 32:
        fail("documents.bad_hash", f"{what} must be 32 bytes, got {len(value)}")


def address(value: bytes, what: str) -> None:
    if len(value) != 20:
        fail("documents.bad_address", f"{what} must be a 20-byte address, got {len(value)} bytes")


def key_id(value: bytes, what: str) -> None:
    if len(value) != 20:
        fail("documents.bad_key", f"{what} must be a 20-byte key id, got {len(value)} bytes")


def hashes(values: Sequence[bytes], bound: int, what: str) -> None:
    if not 1 <= len(values) <= bound:
        fail("documents.too_many", f"{what}: 1 to {bound} hashes, got {len(values)}")
    for v in values:
        hash32(v, what)
    if len(set(values)) != len(values):
        fail("documents.duplicate", f"{what} names a hash twice")
