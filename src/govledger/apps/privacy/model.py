"""Privacy records and transaction bodies (the app's wire types), vocabularies and bounds.

Nothing here holds personal data. A data subject appears only as a 32-byte pseudonym (an HMAC of the
subject's identifier under a registry key that never leaves the vault); their data appears only as
32-byte salted commitments computed by the vault.
"""

from __future__ import annotations

import msgspec

from govledger.codec import Record

DIGEST_BYTES = 32
MAX_VERSIONS = 64  # rectifications per data record: a bound, not a policy
MAX_PURPOSES = 32
MAX_TEXT = 200
ACCESS_CURRENT = 0  # `version` of an access request: the current version

# GDPR Art. 17(1) grounds for erasure, (a) to (f).
LEGAL_BASES = (
    "art17_1_a_no_longer_necessary",
    "art17_1_b_consent_withdrawn",
    "art17_1_c_objection",
    "art17_1_d_unlawful_processing",
    "art17_1_e_legal_obligation",
    "art17_1_f_child_information_society",
)


# --- state --------------------------------------------------------------------------------------------


class RolePurposes(Record, frozen=True):
    """The purposes members holding `role` may read personal data for (set by governance admins)."""

    role: str
    purposes: list[str]
    set_height: int


class Subject(Record, frozen=True):
    """A data subject as the ledger knows it: a pseudonym scoped to one registry."""

    pseudonym: bytes
    registry: str
    first_height: int
    first_time_ms: int
    records: int  # how many data records (`data/<p>/*`) exist
    accesses: int  # how many access-log entries exist: `access/<p>/1..accesses`, provably complete


class DataVersion(Record, frozen=True):
    """One version of a data record: its commitment, who registered it and when (block height, time)."""

    pseudonym: bytes
    record_id: str
    version: int
    commitment: bytes
    registered_by: bytes  # key id of the signer
    height: int
    time_ms: int
    reason: str  # "" for the first version; the rectification reason after


class CommitmentRef(Record, frozen=True):
    """Index: where a commitment lives. Commitments are unique because each has a fresh 32-byte salt."""

    pseudonym: bytes
    record_id: str
    version: int


class AccessEntry(Record, frozen=True):
    """One logged read of personal data. Committed *before* the vault serves the read (log-then-read)."""

    seq: int  # 1, 2, ... per subject
    request_id: bytes
    pseudonym: bytes
    record_id: str
    version: int  # 0: whatever is current when the vault serves it
    purpose: str
    requester_key: bytes
    requester_member: str
    height: int
    time_ms: int


class Erasure(Record, frozen=True):
    """GDPR Art. 17 erasure: recorded on the ledger, then executed by the vault (crypto-shredding)."""

    pseudonym: bytes
    legal_basis: str
    order_digest: bytes  # SHA-256 of the request or order document (kept off-ledger)
    ordered_by_key: bytes
    ordered_by_member: str
    height: int
    time_ms: int


# --- transaction bodies -----------------------------------------------------------------------------


class SetPurposes(Record, frozen=True):
    """Replace the purposes `role` may read for; an empty list removes them all."""

    role: str
    purposes: list[str]


class RegisterData(Record, frozen=True):
    """Version 1 of a subject's data record: the vault's commitment, registered by the signer."""

    registry: str
    pseudonym: bytes
    record_id: str
    commitment: bytes


class RectifyData(Record, frozen=True):
    """GDPR Art. 16: a new version with a new commitment; the old one stays on the ledger."""

    pseudonym: bytes
    record_id: str
    commitment: bytes
    reason: str


class LogAccess(Record, frozen=True):
    """Log a read before it happens; the vault serves exactly one read per committed entry."""

    request_id: bytes
    pseudonym: bytes
    record_id: str
    version: int
    purpose: str


class RecordErasure(Record, frozen=True):
    pseudonym: bytes
    legal_basis: str
    order_digest: bytes


# --- genesis and queries ------------------------------------------------------------------------------


class PrivacyGenesis(msgspec.Struct, forbid_unknown_fields=True):
    """`app_state.privacy` of genesis.json: the purposes each role may read for."""

    purposes: dict[str, list[str]] = {}


class ByRole(Record, frozen=True):
    role: str


class BySubject(Record, frozen=True):
    pseudonym: bytes


class ByRecord(Record, frozen=True):
    pseudonym: bytes
    record_id: str


class AccessPage(Record, frozen=True):
    pseudonym: bytes
    from_seq: int = 1
    limit: int = 100


class DataRecordAnswer(Record, frozen=True):
    current: DataVersion | None
    versions: list[DataVersion]
    erasure: Erasure | None


class SubjectAnswer(Record, frozen=True):
    subject: Subject | None
    erasure: Erasure | None
