"""Commitments and pseudonyms: the only two things about personal data the ledger ever sees.

    commitment = SHA-256(COMMITMENT_DOMAIN || salt || canonical(fields))

- `fields` is a flat map of identifier -> text (`{"given_name": "Ama", "birth_date": "2026-01-02"}`);
  `canonical` is its canonical MessagePack (keys sorted, one byte string per value), so the same
  fields always commit to the same bytes whatever order a caller built them in. Text must be in
  Unicode NFC, so a name typed with composed or decomposed accents cannot commit two ways.
- `salt` is 32 fresh random bytes per version, kept encrypted in the vault next to the data. Without
  it a commitment cannot be tested against guesses (a birth date and a common name are guessable);
  with it, the holder can prove the record to anyone (selective proof): give the fields and the salt,
  the verifier recomputes the commitment and compares it with the one on the ledger.
- The domain separates these hashes from every other SHA-256 in the system.

    pseudonym = HMAC-SHA256(registry_key, PSEUDONYM_DOMAIN || subject identifier)

The registry key never leaves the vault, so nobody without the vault can go from a national id to a
pseudonym (or test a guess); two registries give one person two unlinkable pseudonyms.

Pure functions, no I/O: the ledger side, the vault and an offline verifier all use this module.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping

from govledger.codec import encode
from govledger.errors import GovledgerError
from govledger.vault.errors import fail

COMMITMENT_DOMAIN = b"govledger/vault/commitment/v1\x00"
PSEUDONYM_DOMAIN = b"govledger/vault/pseudonym/v1\x00"
SALT_BYTES = 32
MAX_FIELDS = 64
MAX_FIELD_NAME_CHARS = 64
MAX_FIELD_VALUE_CHARS = 1024
MAX_SUBJECT_ID_CHARS = 256

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def check_fields(fields: Mapping[str, str]) -> None:
    """Refuse anything but 1..MAX_FIELDS fields of `[a-z0-9_]` name -> bounded text."""
    if not isinstance(fields, Mapping) or not 1 <= len(fields) <= MAX_FIELDS:
        fail("vault.bad_fields", f"a record has 1..{MAX_FIELDS} fields")
    for name, value in fields.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_FIELD_NAME_CHARS or set(name) - _NAME_CHARS:
            fail("vault.bad_fields", f"field name {name!r} must be 1-{MAX_FIELD_NAME_CHARS} of [a-z0-9_]")
        if not isinstance(value, str) or len(value) > MAX_FIELD_VALUE_CHARS:
            fail("vault.bad_fields", f"field {name!r} must be text of at most {MAX_FIELD_VALUE_CHARS} chars")
        if not unicodedata.is_normalized("NFC", value):
            # One text, one byte string: "é" typed composed or decomposed must not commit differently.
            fail("vault.bad_fields", f"field {name!r} is not in Unicode NFC form")


def canonical(fields: Mapping[str, str]) -> bytes:
    """The canonical bytes of a record's fields (sorted-key MessagePack map)."""
    check_fields(fields)
    return encode(dict(fields))


def commitment(fields: Mapping[str, str], salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes")
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + canonical(fields)).digest()


def verify_commitment(fields: Mapping[str, str], salt: bytes, expected: bytes) -> bool:
    """True when `fields` and `salt` open `expected`. Never raises on malformed input."""
    try:
        got = commitment(fields, salt)
    except (ValueError, TypeError, GovledgerError):
        return False
    return hmac.compare_digest(got, expected)


def pseudonym(registry_key: bytes, subject_id: str) -> bytes:
    """The subject's pseudonym in the registry whose key is `registry_key`."""
    if not 0 < len(subject_id) <= MAX_SUBJECT_ID_CHARS:
        fail("vault.bad_identifier", f"a subject identifier is 1-{MAX_SUBJECT_ID_CHARS} characters")
    return hmac.new(registry_key, PSEUDONYM_DOMAIN + subject_id.encode("utf-8"), hashlib.sha256).digest()
