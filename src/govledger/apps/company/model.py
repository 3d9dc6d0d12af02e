"""Company registry wire types: records kept in state, transaction bodies, query parameters and answers.

Everything here is integers, ids, short codes and hashes, plus one piece of free text: the company's
`name`, which is public registry data by law (as are its legal form and its share capital). People
(founders, officers, shareholders) are party ids bound to keys and to a `commitment`, the vault's
salted SHA-256 of their personal data; the registered office is a commitment too (an address may be
a person's home). Documents (articles, annual returns, transfer instruments, notices) are SHA-256
digests of files kept elsewhere.

Money is integer minor units (fils, centimes, cents) with an ISO 4217 currency; shares are whole
numbers; time is block time in milliseconds since 1970 UTC. No floats anywhere.
"""

from __future__ import annotations

from govledger.codec import Record

# --- bounds (every list in state or in a body has one) ----------------------------------------------

MAX_ID_CHARS = 64
MAX_RESOLUTIONS_PAGE = 500  # with the company's own key, well inside the node's 1,000 proved keys
MAX_CODE_CHARS = 32
MAX_NAME_CHARS = 160
MAX_KEYS_PER_PARTY = 8
MAX_FOUNDERS = 8
MAX_INITIAL_OFFICERS = 8  # founders + initial officers sign one transaction: at most 16 signers in all
MAX_OFFICERS = 32  # current and scheduled appointments listed on the company record
MAX_DIRECTORS = 15  # the board signs by majority: 8 of 15 signatures fit in one transaction
MAX_CLASSES = 8
MAX_ALLOTMENTS = 64
MAX_LICENCES = 16
MAX_ACTIVITIES = 16
MAX_OPEN_RESOLUTIONS = 8
MAX_SHARES = 10**14  # per class and per holding
MAX_VOTES_PER_SHARE = 100  # so a tally (8 classes x 1e14 shares x 100) stays below 2^63
MAX_MINOR_UNITS = 10**15  # money: par values, fees
MAX_TIME_MS = 10**16 - 1  # due keys hold 16 decimal digits
MAX_PAGE = 100
MAX_DUE_PER_BLOCK = 256

DAY_MS = 24 * 3600 * 1000
YEAR_MS = 365 * DAY_MS
FILING_PERIOD_MS = YEAR_MS  # annual return periods run from the incorporation block time
FILING_GRACE_MS = 90 * DAY_MS  # a return is late once this long after its period ended
MIN_LICENCE_TERM_MS = 30 * DAY_MS
MAX_LICENCE_TERM_MS = 5 * YEAR_MS
MAX_APPOINTMENT_AHEAD_MS = YEAR_MS  # an appointment or resignation takes effect within a year
MAX_VOTING_MS = YEAR_MS  # a resolution's deadline is at most a year after its proposal
MAX_RECORD_AHEAD_BLOCKS = 100_000
MIN_STRIKE_OFF_NOTICE_MS = 30 * DAY_MS
MAX_STRIKE_OFF_NOTICE_MS = YEAR_MS

# --- vocabularies -------------------------------------------------------------------------------------

PERSON = "person"
ORGANISATION = "organisation"
PARTY_KINDS = (PERSON, ORGANISATION)

# Dubai (LLC, FZE, FZCO, PJSC, PrJSC, branch), France (SA, SAS, SASU, SARL, EURL, SNC, SCI),
# Delaware (corporation, LLC, LP, LLP), and a catch-all.
LEGAL_FORMS = (
    "llc",
    "fze",
    "fzco",
    "pjsc",
    "prjsc",
    "branch",
    "sa",
    "sas",
    "sasu",
    "sarl",
    "eurl",
    "snc",
    "sci",
    "corporation",
    "lp",
    "llp",
    "other",
)

ACTIVE = "active"
STRUCK_OFF = "struck_off"
DISSOLVED = "dissolved"

DIRECTOR = "director"
SECRETARY = "secretary"
OFFICER_ROLES = (DIRECTOR, SECRETARY)
END_REASONS = ("resignation", "removal", "death", "disqualification")

LICENCE_ACTIVE = "active"
LICENCE_SUSPENDED = "suspended"
LICENCE_LAPSED = "lapsed"
SUSPENSION_GROUNDS = ("licensing_decision", "court_order", "inspection_failed", "activity_violation")

OPEN = "open"
PASSED = "passed"
FAILED = "failed"
CANCELLED = "cancelled"
CHOICES = ("yes", "no", "abstain")

STRIKE_OFF_GROUNDS = ("missing_filings", "no_registered_office", "registrar_decision", "court_order")
NOTICE_WITHDRAWAL_REASONS = ("filings_received", "office_registered", "registrar_decision", "court_order")


# --- state records ------------------------------------------------------------------------------------


class Party(Record, frozen=True):
    """A person or organisation that founds, directs or holds shares. No personal data: a commitment.

    It signs with any `threshold` of its `key_ids` (each bound to this party alone).
    """

    party_id: str
    kind: str
    commitment: bytes
    key_ids: list[bytes]
    threshold: int
    registered_height: int
    updated_height: int


class Appointment(Record, frozen=True):
    """An officer's appointment: serving while `appointed_ms <= block time < ended_ms` (0: no end set)."""

    seq: int
    party_id: str
    role: str
    appointed_ms: int
    appointed_height: int
    ended_ms: int = 0
    end_reason: str = ""
    ended_height: int = 0


class StrikeOffNotice(Record, frozen=True):
    """The registrar's published notice that the company will be struck off after `effective_ms`."""

    ground: str
    notice_sha256: bytes
    given_ms: int
    given_height: int
    effective_ms: int


class Entry(Record, frozen=True):
    """Why a company version exists: the operation, what it concerned, who signed, when.

    Versions written by `end_block` (overdue filings, closed resolutions) have no signers and no tx id.
    """

    op: str
    refs: list[str]
    signer_ids: list[bytes]
    tx_id: bytes
    height: int
    time_ms: int


class CompanyVersion(Record, frozen=True):
    """The company's register entry as it stood after one registrable act (never rewritten)."""

    company_id: str
    version: int
    name: str
    legal_form: str
    status: str
    articles_sha256: bytes
    articles_version: int
    office_commitment: bytes
    incorporated_height: int
    incorporated_ms: int
    original_incorporation_ms: int  # 0, or the date in a predecessor register (migrated companies)
    officers: list[Appointment]  # current and scheduled; an appointment drops out once it has ended
    appointments: int  # appointments ever made: `appointment/<company>/<1..n>`
    classes: list[str]
    licences: list[str]
    filed_through: int  # annual returns are filed in order; periods 1..filed_through are filed
    next_filing_due_ms: int  # when period filed_through+1 becomes late
    in_default: bool  # end_block found a return overdue (cleared by filing it)
    open_resolutions: list[str]
    resolutions: int
    strike_off_notice: StrikeOffNotice | None
    ended_ms: int  # block time of strike-off or dissolution
    entry: Entry


class ShareClass(Record, frozen=True):
    """A class of shares: `issued` equals the sum of its holdings, always; `holders` counts them."""

    class_id: str
    votes_per_share: int
    par_value_minor: int
    currency: str
    authorised: int
    issued: int
    holders: int
    created_height: int


class Shares(Record, frozen=True):
    """A number of shares: a holding, or a snapshot of a holding or of `issued` at a record height."""

    amount: int


class Licence(Record, frozen=True):
    """A trade licence for listed activities, renewed term by term at `expires_ms` (see timers.py)."""

    licence_id: str
    company_id: str
    activities: list[str]
    term_ms: int
    fee_minor: int
    currency: str
    term: int  # the current term, 1 at issue
    paid_term: int  # the last term whose fee is paid; renewal needs term + 1
    issued_ms: int
    expires_ms: int
    status: str
    reason: str  # why suspended or lapsed (comma-separated codes), else ""
    updated_height: int


class FeePayment(Record, frozen=True):
    licence_id: str
    term: int
    payment_ref: str
    amount_minor: int
    currency: str
    height: int
    time_ms: int


class Filing(Record, frozen=True):
    period: int
    document_sha256: bytes
    period_end_ms: int
    due_ms: int
    filed_ms: int
    height: int
    late: bool


class Resolution(Record, frozen=True):
    """A shareholder resolution. Votes weigh `votes_per_share x shares held at record_height`."""

    resolution_id: str
    kind: str
    motion_sha256: bytes
    proposed_height: int
    proposed_ms: int
    record_height: int
    deadline_ms: int
    status: str
    yes: int
    no: int
    abstain: int
    voters: int
    outstanding: int  # votes of all issued shares at the record height, set at closing
    quorum_met: bool
    closed_height: int
    closed_ms: int
    used_by: str  # the operation that acted on it (amend_articles, dissolve), once


class Vote(Record, frozen=True):
    party_id: str
    choice: str
    weight: int
    height: int


# --- transaction bodies -------------------------------------------------------------------------------


class RegisterParty(Record, frozen=True):
    """1..8 `key_ids`, each of which must sign (proof of possession); sign with `threshold` of them."""

    party_id: str
    kind: str
    commitment: bytes
    key_ids: list[bytes]
    threshold: int


class RebindPartyKeys(Record, frozen=True):
    """New keys for a party that lost its own (or claims a custodial binding after a migration)."""

    party_id: str
    key_ids: list[bytes]
    threshold: int
    identity_check_sha256: bytes


class NewOfficer(Record, frozen=True):
    party_id: str
    role: str


class NewShareClass(Record, frozen=True):
    class_id: str
    votes_per_share: int
    par_value_minor: int
    currency: str
    authorised: int


class Allotment(Record, frozen=True):
    class_id: str
    party_id: str
    amount: int


class Incorporate(Record, frozen=True):
    company_id: str
    name: str
    legal_form: str
    articles_sha256: bytes
    office_commitment: bytes
    founders: list[str]
    officers: list[NewOfficer]
    share_classes: list[NewShareClass]
    allotments: list[Allotment]
    original_incorporation_ms: int = 0


class ChangeRegisteredOffice(Record, frozen=True):
    company_id: str
    office_commitment: bytes


class AmendArticles(Record, frozen=True):
    """New articles, adopted by a passed `special` resolution whose motion is this document."""

    company_id: str
    articles_sha256: bytes
    resolution_id: str


class AppointOfficer(Record, frozen=True):
    company_id: str
    party_id: str
    role: str
    effective_ms: int


class EndAppointment(Record, frozen=True):
    company_id: str
    party_id: str
    role: str
    effective_ms: int
    reason: str


class CreateShareClass(Record, frozen=True):
    company_id: str
    share_class: NewShareClass


class IssueShares(Record, frozen=True):
    company_id: str
    class_id: str
    party_id: str
    amount: int
    board_minutes_sha256: bytes


class CancelShares(Record, frozen=True):
    company_id: str
    class_id: str
    party_id: str
    amount: int
    board_minutes_sha256: bytes


class TransferShares(Record, frozen=True):
    company_id: str
    class_id: str
    seller: str
    buyer: str
    amount: int
    instrument_sha256: bytes


class FileAnnualReturn(Record, frozen=True):
    company_id: str
    period: int
    document_sha256: bytes


class IssueLicence(Record, frozen=True):
    """The first term's fee is paid on application (`payment_ref`, `fee_minor`)."""

    company_id: str
    licence_id: str
    activities: list[str]
    term_ms: int
    fee_minor: int
    currency: str
    payment_ref: str


class PayLicenceFee(Record, frozen=True):
    """Payment received for the coming term (`term` = the licence's current term + 1)."""

    company_id: str
    licence_id: str
    term: int
    payment_ref: str
    amount_minor: int
    currency: str


class SuspendLicence(Record, frozen=True):
    company_id: str
    licence_id: str
    ground: str


class ReinstateLicence(Record, frozen=True):
    company_id: str
    licence_id: str


class ProposeResolution(Record, frozen=True):
    company_id: str
    resolution_id: str
    kind: str
    motion_sha256: bytes
    record_height: int
    deadline_ms: int


class CastVote(Record, frozen=True):
    company_id: str
    resolution_id: str
    party_id: str
    choice: str


class GiveStrikeOffNotice(Record, frozen=True):
    company_id: str
    ground: str
    notice_sha256: bytes
    effective_ms: int


class WithdrawStrikeOffNotice(Record, frozen=True):
    company_id: str
    reason: str


class StrikeOff(Record, frozen=True):
    company_id: str


class Dissolve(Record, frozen=True):
    """Voluntary dissolution: a passed `dissolution` resolution and the board's declaration."""

    company_id: str
    resolution_id: str
    declaration_sha256: bytes


# --- query parameters and answers ---------------------------------------------------------------------


class CompanyId(Record, frozen=True):
    company_id: str


class CompanyAt(Record, frozen=True):
    company_id: str
    version: int


class HistoryPage(Record, frozen=True):
    company_id: str
    from_version: int = 1
    limit: int = 50


class AppointmentsPage(Record, frozen=True):
    company_id: str
    from_seq: int = 1
    limit: int = 50


class ClassRef(Record, frozen=True):
    company_id: str
    class_id: str


class ShareholdersPage(Record, frozen=True):
    company_id: str
    class_id: str
    start_after: str = ""
    limit: int = 100


class ResolutionsPage(Record, frozen=True):
    """Resolutions in id order after `start_after`; a page shorter than `limit` is the last."""

    company_id: str
    start_after: str = ""
    limit: int = MAX_RESOLUTIONS_PAGE


class HoldingRef(Record, frozen=True):
    company_id: str
    class_id: str
    party_id: str


class LicenceRef(Record, frozen=True):
    company_id: str
    licence_id: str


class ResolutionRef(Record, frozen=True):
    company_id: str
    resolution_id: str


class VoteRef(Record, frozen=True):
    company_id: str
    resolution_id: str
    party_id: str


class FilingRef(Record, frozen=True):
    company_id: str
    period: int


class PartyId(Record, frozen=True):
    party_id: str


class KeyId(Record, frozen=True):
    key_id: bytes


class Shareholder(Record, frozen=True):
    party_id: str
    amount: int


class Shareholders(Record, frozen=True):
    """`holders` is the class's own count: `complete` says whether `items` lists every holder after
    `start_after` (a page shorter than the rest is not complete)."""

    company_id: str
    class_id: str
    issued: int
    holders: int
    items: list[Shareholder]
    complete: bool


class CertificateOfficer(Record, frozen=True):
    """An officer as a certificate shows them: the vault resolves `commitment` to a name for the reader."""

    party_id: str
    role: str
    appointed_ms: int
    commitment: bytes


class CertificateLicence(Record, frozen=True):
    licence_id: str
    activities: list[str]
    status: str
    expires_ms: int


class CompanyCertificate(Record, frozen=True):
    """What a certificate of incorporation / good standing states, as of the answer's height.

    `good_standing`: active, no return overdue (as last recorded by the per-block sweep), no strike-off
    notice. `next_filing_due_ms` lets a verifier compare with the header's block time.
    """

    company_id: str
    name: str
    legal_form: str
    status: str
    good_standing: bool
    incorporated_ms: int
    original_incorporation_ms: int
    articles_sha256: bytes
    office_commitment: bytes
    officers: list[CertificateOfficer]
    share_classes: list[ShareClass]
    licences: list[CertificateLicence]
    filed_through: int
    next_filing_due_ms: int
    in_default: bool
    strike_off_notice: StrikeOffNotice | None
    ended_ms: int
    version: int
    last_entry: Entry
