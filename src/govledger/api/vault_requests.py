"""Signed requests to store personal data in a node's vault (`POST /v1/vault/records`).

A registry office (a hospital, a civil registrar) sends the people it registers: for each, the
subject's identifier in the office's own register, the data record id and the fields. The node's
vault derives the pseudonym, seals version 1 and returns the commitment, which the office then
registers with the privacy app (`privacy.register_data`) and uses in its registry operation.

The request is signed by the office's governance member key over this vault's id and the whole
content, so it cannot be replayed at another vault or altered; the node serves it only when the key
is an active member key of a member holding a controller role (`privacy.CONTROLLER_ROLES`), read from
committed state. Writing the same record again returns the stored commitment (`created: false`),
so a retried request is harmless. No FastAPI here: the client side imports this module.
"""

from __future__ import annotations

from govledger.codec import Record, encode
from govledger.crypto.signatures import PublicKey, SigningKey

WRITE_DOMAIN = b"govledger/vault/write/v1\x00"
MAX_RECORDS = 1000


class NewRecord(Record, frozen=True):
    subject_id: str  # the subject's identifier in the office's register (never sent to the ledger)
    record_id: str
    fields: dict[str, str]


class WriteRequest(Record, frozen=True):
    vault_id: bytes
    registry: str
    records: list[NewRecord]
    requester: PublicKey
    signature: bytes

    def message(self) -> bytes:
        return write_message(self.vault_id, self.registry, self.records, self.requester)


class StoredRecord(Record, frozen=True):
    subject_id: str
    record_id: str
    pseudonym: bytes
    version: int
    commitment: bytes
    created: bool


class WriteAnswer(Record, frozen=True):
    vault_id: bytes
    records: list[StoredRecord]


class VaultInfo(Record, frozen=True):
    vault_id: bytes


def write_message(vault_id: bytes, registry: str, records: list[NewRecord], requester: PublicKey) -> bytes:
    return WRITE_DOMAIN + encode([vault_id, registry, records, requester])


def sign_write(key: SigningKey, vault_id: bytes, registry: str, records: list[NewRecord]) -> WriteRequest:
    msg = write_message(vault_id, registry, records, key.public_key)
    return WriteRequest(vault_id, registry, records, key.public_key, key.sign(msg))
