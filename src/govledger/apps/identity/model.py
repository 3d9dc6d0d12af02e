"""Wire types of the identity app: transaction bodies, stored records, query parameters."""

from __future__ import annotations

from govledger.codec import Record
from govledger.crypto.signatures import PublicKey

# --- DIDs ---------------------------------------------------------------------------------------------


class DidKey(Record, frozen=True):
    """A verification method: a ledger Ed25519 key, its fragment (`key-1`) and its purposes."""

    fragment: str
    public_key: PublicKey
    purposes: list[str]


class DidService(Record, frozen=True):
    fragment: str
    type: str
    endpoint: str


class DidCreate(Record, frozen=True):
    did_id: str
    keys: list[DidKey]
    services: list[DidService]
    threshold: int = 1  # controller (capabilityInvocation) signatures an update needs


class DidUpdate(Record, frozen=True):
    did_id: str
    version: int  # the version being replaced: a stale update fails instead of undoing another
    keys: list[DidKey]
    services: list[DidService]
    threshold: int = 1


class DidDeactivate(Record, frozen=True):
    did_id: str
    version: int


class DidRecord(Record, frozen=True):
    did_id: str
    did: str
    version: int
    keys: list[DidKey]
    services: list[DidService]
    threshold: int
    deactivated: bool
    created_height: int
    created_ms: int
    height: int  # of this version
    time_ms: int
    tx_id: bytes


# --- trusted-issuer registry --------------------------------------------------------------------------


class Accredit(Record, frozen=True):
    issuer_did: str
    credential_type: str  # an SD-JWT VC vct or a W3C VC type
    valid_from_ms: int
    valid_until_ms: int = 0  # 0: open-ended
    note: str = ""


class WithdrawAccreditation(Record, frozen=True):
    issuer_did: str
    credential_type: str
    reason: str


class Accreditation(Record, frozen=True):
    issuer_did: str
    credential_type: str
    valid_from_ms: int
    valid_until_ms: int
    withdrawn: bool
    reason: str
    note: str
    version: int
    accredited_by: list[bytes]  # signer key ids of this version
    height: int
    time_ms: int


# --- status lists -------------------------------------------------------------------------------------


class StatusListCreate(Record, frozen=True):
    list_id: str
    issuer_did: str
    uri: str  # where the published list is served; credentials name it
    size: int
    bits: int  # 1: valid/revoked; 2: valid/revoked/suspended


class StatusAllocate(Record, frozen=True):
    list_id: str
    count: int
    subject_ref: bytes = b""  # opaque 32-byte handle of the registry record, or empty


class StatusSet(Record, frozen=True):
    list_id: str
    indices: list[int]
    status: int  # 0 valid (reinstate), 1 revoked (final), 2 suspended
    reason: str = ""


class StatusList(Record, frozen=True):
    list_id: str
    issuer_did: str
    uri: str
    size: int
    bits: int
    owners: list[bytes]  # key ids allowed to allocate and change statuses
    allocated: int
    version: int  # bumps on every status change: caches of published lists key on it
    created_height: int
    height: int
    time_ms: int


# --- queries ------------------------------------------------------------------------------------------


class ByDid(Record, frozen=True):
    did: str


class ByDidId(Record, frozen=True):
    did_id: str


class DidAt(Record, frozen=True):
    did_id: str
    version: int


class AccreditationRef(Record, frozen=True):
    issuer_did: str
    credential_type: str


class TrustedAt(Record, frozen=True):
    issuer_did: str
    credential_type: str
    at_ms: int


class TrustAnswer(Record, frozen=True):
    trusted: bool
    accreditation: Accreditation | None


class ByListId(Record, frozen=True):
    list_id: str


class StatusAt(Record, frozen=True):
    list_id: str
    index: int


class StatusAnswer(Record, frozen=True):
    list_id: str
    index: int
    allocated: bool
    status: int
    list_version: int


class ListValues(Record, frozen=True):
    """The packed values of a list (IETF layout), read chunk by chunk so each chunk is proved."""

    list: StatusList
    data: bytes


class SubjectRef(Record, frozen=True):
    list_id: str
    subject_ref: bytes


class SubjectIndices(Record, frozen=True):
    list_id: str
    subject_ref: bytes
    indices: list[int]
