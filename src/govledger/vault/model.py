"""The vault's stored records (local, never on the wire) and what its API hands back.

Stored records are canonical msgpack `Record`s like every other value in govledger, so a corrupt
byte is a decode error (`vault.corrupt`), never a silently wrong value.
"""

from __future__ import annotations

from govledger.apps.privacy.model import RectifyData, RegisterData
from govledger.codec import Record


class KdfParams(Record, frozen=True):
    """How a passphrase vault derives its master key (stored in the vault's metadata)."""

    salt: bytes
    n: int


class SubjectEntry(Record, frozen=True):
    """One data subject: its registry, the slot of its wrapped data key, and whether it was erased."""

    registry: str
    slot: int  # -1 once erased: the key is gone and the slot freed
    created_ms: int
    erased_ms: int = 0


class VersionEntry(Record, frozen=True):
    """One sealed version. `commitment` is public (it is on the ledger); the rest is ciphertext."""

    version: int
    commitment: bytes
    nonce: bytes
    ciphertext: bytes
    created_ms: int
    superseded_ms: int = 0  # 0: current
    purged_ms: int = 0  # the ciphertext was removed after the audit period


class Sealed(Record, frozen=True):
    """What a write returns: where the version lives and its commitment (what goes on the ledger)."""

    registry: str
    pseudonym: bytes
    record_id: str
    version: int
    commitment: bytes

    def register_body(self) -> RegisterData:
        """The `privacy.register_data` body for version 1."""
        assert self.version == 1, "only version 1 is registered; later versions are rectified"
        return RegisterData(self.registry, self.pseudonym, self.record_id, self.commitment)

    def rectify_body(self, reason: str) -> RectifyData:
        """The `privacy.rectify_data` body for this new version (GDPR Art. 16)."""
        return RectifyData(self.pseudonym, self.record_id, self.commitment, reason)


class PersonalRecord(Record, frozen=True):
    """An authorised, logged read: the fields, and the salt that opens the ledger's commitment."""

    pseudonym: bytes
    record_id: str
    version: int
    fields: dict[str, str]
    salt: bytes
    commitment: bytes
    request_id: bytes


class RecordStatus(Record, frozen=True):
    record_id: str
    current: int
    versions: list[int]  # retained (not purged) versions
    commitments: list[bytes]


class SubjectStatus(Record, frozen=True):
    """Metadata only, for operators and audits: no personal data."""

    pseudonym: bytes
    registry: str
    erased: bool
    records: list[RecordStatus]


class ErasureReport(Record, frozen=True):
    pseudonym: bytes
    versions_destroyed: int
    already_erased: bool
