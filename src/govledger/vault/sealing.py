"""Sealing one version of one record: AES-256-GCM under the subject's data key, bound to its place.

    associated data = SEAL_DOMAIN || canonical([pseudonym, record id, version])
    plaintext       = canonical(Opening(salt, fields))

Binding the pseudonym, record id and version as associated data means a ciphertext moved anywhere
else (another subject, another record, version 1 swapped into version 2's place) fails to
authenticate, as does any flipped bit. After decryption the opening must reproduce the commitment
stored beside it: the check on both sides of the boundary that TigerBeetle's style asks for.

Each seal draws a fresh random 96-bit nonce; a data key seals a handful of versions over its life,
far below the 2^32 messages at which random GCM nonces start to matter.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govledger.codec import Record, decode, encode
from govledger.errors import CodecError
from govledger.vault.commitment import commitment
from govledger.vault.errors import fail

SEAL_DOMAIN = b"govledger/vault/record/v1\x00"
NONCE_BYTES = 12
MAX_PLAINTEXT_BYTES = 128 * 1024


class Opening(Record, frozen=True):
    """What a commitment commits to: the salt and the fields. Handing it over is a selective proof."""

    salt: bytes
    fields: dict[str, str]

    def commitment(self) -> bytes:
        return commitment(self.fields, self.salt)


def _ad(pseudonym: bytes, record_id: str, version: int) -> bytes:
    return SEAL_DOMAIN + encode([pseudonym, record_id, version])


def seal(
    data_key: bytes, pseudonym: bytes, record_id: str, version: int, opening: Opening
) -> tuple[bytes, bytes]:
    """(nonce, ciphertext) of `opening` at (pseudonym, record id, version)."""
    nonce = os.urandom(NONCE_BYTES)
    plaintext = encode(opening)
    if len(plaintext) > MAX_PLAINTEXT_BYTES:
        fail("vault.bad_fields", f"a record encodes to at most {MAX_PLAINTEXT_BYTES} bytes")
    return nonce, AESGCM(data_key).encrypt(nonce, plaintext, _ad(pseudonym, record_id, version))


def unseal(
    data_key: bytes, pseudonym: bytes, record_id: str, version: int, nonce: bytes, ciphertext: bytes
) -> Opening:
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, ciphertext, _ad(pseudonym, record_id, version))
    except (InvalidTag, ValueError):
        fail("vault.integrity", f"record {record_id!r} version {version} does not authenticate")
    try:
        return decode(plaintext, Opening, max_bytes=MAX_PLAINTEXT_BYTES)
    except CodecError as exc:
        fail("vault.corrupt", f"record {record_id!r} version {version}: {exc.message}")
