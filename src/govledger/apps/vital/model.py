"""Vital records and transaction bodies (the app's wire types), vocabularies and bounds.

No personal data: a person on a record is a `Person` (their role on the record, their pseudonym, and
the commitment of their data in the vault, registered with the privacy app). Names, dates of birth of
parents, causes of death and the like are vault fields behind those commitments.
"""

from __future__ import annotations

from govledger.codec import Record

BIRTH = "birth"
DEATH = "death"
MARRIAGE = "marriage"
DIVORCE = "divorce"
KINDS = (BIRTH, DEATH, MARRIAGE, DIVORCE)
REGISTRATION_PREFIX = {BIRTH: "B", DEATH: "D", MARRIAGE: "M", DIVORCE: "V"}

REGISTERED = "registered"
AMENDED = "amended"
VOID = "void"
STATUSES = (REGISTERED, AMENDED, VOID)

# What made a version: the first registration, then amendments, corrections, dissolution, voiding.
REGISTRATION = "registration"
AMENDMENT = "amendment"  # a legal change (adoption, legitimation, name change): needs a document
CORRECTION = "correction"  # a clerical error at registration: the reason suffices
DISSOLUTION = "dissolution"  # a marriage dissolved by a divorce record
VOIDING = "void"

PENDING = "pending"
USED = "registered"

CHILD = "child"
PARENT_ROLES = ("mother", "father", "parent")
DECEASED = "deceased"
SPOUSE = "spouse"

MAX_TEXT = 200
MAX_VERSIONS = 100
MAX_PARENTS = 2
DAY_MS = 24 * 3600 * 1000
NOTIFY_WINDOW_MS = 30 * DAY_MS  # a hospital notifies within 30 days of the birth (block time)
REGISTRATION_WINDOW_MS = 365 * DAY_MS  # after a year, registration needs a court order
DIGEST_BYTES = 32
KEY_ID_BYTES = 20


class Person(Record, frozen=True):
    """Someone a record is about: role on it, pseudonym, and the commitment of their vault data."""

    role: str
    pseudonym: bytes
    commitment: bytes


class CourtOrder(Record, frozen=True):
    """A court's order for a late registration: the document's SHA-256 and the court's case number."""

    document_sha256: bytes
    case_ref: str


class Notification(Record, frozen=True):
    """A hospital's birth notification, waiting for (or matched by) a registration."""

    notification_id: str
    persons: list[Person]
    born_at_ms: int
    facility: str
    notifier_key: bytes
    notifier_member: str
    height: int
    time_ms: int
    status: str = PENDING
    record_id: str = ""


class VitalRecord(Record, frozen=True):
    """One version of a registered vital event. `record/<id>` holds the current version."""

    record_id: str
    kind: str
    registration_number: str
    version: int
    status: str
    persons: list[Person]
    party_keys: list[bytes]  # marriage: the spouses' own key ids, in `persons` order
    event_ms: int  # birth, death, marriage, or divorce effective time (ms since epoch)
    place: str  # facility or place, as text (no addresses of persons)
    notification_id: str  # birth registered from a notification
    court_order: CourtOrder | None  # late birth registration
    related: str  # death: the birth record; divorce: the marriage record
    dissolved_by: str  # marriage: the divorce record
    registrar_key: bytes
    registrar_member: str
    registered_height: int
    registered_ms: int
    change: str
    reason: str
    document_sha256: bytes  # the amendment's, voiding's or divorce decree's document, if any
    changed_by: bytes  # key id of the signer holding the role that made this version
    height: int
    time_ms: int


# --- transaction bodies -----------------------------------------------------------------------------


class NotifyBirth(Record, frozen=True):
    notification_id: str
    persons: list[Person]
    born_at_ms: int
    facility: str


class RegisterBirth(Record, frozen=True):
    """Exactly one basis: a pending notification (`notification_id`), or a court order (late)."""

    record_id: str
    persons: list[Person]
    born_at_ms: int
    facility: str
    notification_id: str = ""
    court_order: CourtOrder | None = None


class RegisterDeath(Record, frozen=True):
    record_id: str
    deceased: Person
    died_at_ms: int
    place: str
    birth_record_id: str = ""


class RegisterMarriage(Record, frozen=True):
    record_id: str
    spouses: list[Person]
    spouse_keys: list[bytes]  # each spouse's own key id, in `spouses` order; each must sign
    married_at_ms: int
    place: str


class RegisterDivorce(Record, frozen=True):
    record_id: str
    marriage_record_id: str
    decree_sha256: bytes
    effective_ms: int


class Amend(Record, frozen=True):
    """A new version: same people in the same roles, any of the mutable parts changed."""

    record_id: str
    change: str  # "amendment" or "correction"
    persons: list[Person]
    event_ms: int
    place: str
    reason: str
    document_sha256: bytes = b""


class Void(Record, frozen=True):
    record_id: str
    reason: str
    order_sha256: bytes


# --- queries ------------------------------------------------------------------------------------------


class ById(Record, frozen=True):
    id: str


class Page(Record, frozen=True):
    start_after: str = ""
    limit: int = 100


class RecordHistory(Record, frozen=True):
    current: VitalRecord | None
    versions: list[VitalRecord]


class RecordStatusAnswer(Record, frozen=True):
    record_id: str
    kind: str
    status: str
    version: int
    dissolved_by: str


class CertificatePerson(Record, frozen=True):
    role: str
    pseudonym: bytes
    commitment: bytes
    erased: bool  # the subject's data was erased: the vault can no longer fill in this person


class RecordCommitments(Record, frozen=True):
    """A record as the ledger holds it with nothing personal: status and, per person, the role,
    pseudonym and commitment of the vault record (no dates, no places)."""

    record_id: str
    kind: str
    registration_number: str
    status: str
    version: int
    persons: list[CertificatePerson]


class Certificate(Record, frozen=True):
    """What a certified copy shows, without personal data: the credentials team turns it into a
    verifiable credential, filling names from the vault (a logged read) and binding them to
    `persons[i].commitment`."""

    record_id: str
    kind: str
    registration_number: str
    status: str
    version: int
    event_ms: int
    place: str
    registered_height: int
    registered_ms: int
    version_height: int
    version_ms: int
    persons: list[CertificatePerson]
    registrar_key: bytes
    registrar_member: str
    related: str
    dissolved_by: str
    court_order: CourtOrder | None
