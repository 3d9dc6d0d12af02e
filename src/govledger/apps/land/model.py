"""Land registry wire types: the records kept in state, the transaction bodies and the query parameters.

Mapping to ISO 19152 LADM (the conceptual model every cadastre speaks):

| LADM class                         | here                                                        |
|------------------------------------|-------------------------------------------------------------|
| LA_Party                           | `Party` (kind `person` or `organisation`)                   |
| LA_GroupParty + LA_PartyMember     | `Party` (kind `group`) with `members` and their shares       |
| LA_SpatialUnit (parcel)            | `Parcel`: `Boundary` polygon + legal `area_m2` + land use    |
| LA_BuildingUnit                    | `Building`                                                  |
| LA_BAUnit (basic admin. unit)      | the parcel's title, `TitleVersion` (one BAUnit per parcel)  |
| LA_Right (ownership)               | `Holding` in `TitleVersion.owners`, exact rational `Share`   |
| LA_Right (lease)                   | `Lease` inside an `RRR`                                     |
| LA_Restriction                     | `Mortgage`, `Caveat`, `Servitude` inside an `RRR`;          |
|                                    | `PriorityNotice` (a time-limited reservation)               |
| LA_AdministrativeSource            | `Source`: SHA-256 of the document, never the document       |
| LA_SpatialSource                   | `Source` of kind `survey_plan`                              |
| VersionedObject (beginLifespan...) | `TitleVersion.version` + `Entry` (height, time, signers)    |

Everything here is integers, short codes, identifiers and hashes: no floats, and no free text, so that
no personal data can slip onto the ledger through a "remarks" field. Names, birth dates and addresses
live in the off-ledger vault; a party carries only `commitment`, a salted SHA-256 of that data.
"""

from __future__ import annotations

import msgspec

from govledger.codec import Record

# --- bounds (every list in state or in a body has one) ----------------------------------------------

MAX_ID_CHARS = 64
MAX_CODE_CHARS = 32
MAX_KEYS_PER_PARTY = 8
MAX_GROUP_MEMBERS = 16
MAX_OWNERS = 16  # a transfer needs every owner's signature; a transaction carries at most 16 signers
MAX_BUYERS = 8
MAX_HEIRS = 16
MAX_LESSEES = 8
MAX_ENCUMBRANCES = 32  # active RRRs on one parcel
MAX_BUILDINGS = 32
MAX_SOURCES = 8
MAX_CHILDREN = 16  # subdivision
MAX_MERGED = 16
MAX_SUCCESSION_PARCELS = 16
MAX_RINGS = 8
MAX_VERTICES = 256  # per polygon, all rings together
MAX_COORDINATE = 10**12  # centimetres: far beyond any projected CRS's extent
MAX_AREA_M2 = 10**13
MAX_DENOMINATOR = 10**12
MAX_AMOUNT_CENTS = 10**15
MAX_TIME_MS = 10**16 - 1  # expiry keys hold 16 decimal digits
MAX_NOTICE_MS = 90 * 24 * 3600 * 1000  # a priority notice lasts at most 90 days
MAX_FLOORS = 300
MAX_HISTORY_PAGE = 100
MAX_PARTY_PARCELS_PAGE = 500
MAX_EXPIRIES_PER_BLOCK = 256

# --- vocabularies -------------------------------------------------------------------------------------

PERSON = "person"
ORGANISATION = "organisation"
GROUP = "group"
PARTY_KINDS = (PERSON, ORGANISATION, GROUP)

ACTIVE = "active"
RETIRED = "retired"

# RRR statuses: only `active` ones are listed on the title.
RELEASED = "released"
EXPIRED = "expired"
TERMINATED = "terminated"
CARRIED = "carried"  # moved to the successor parcels by subdivision or merge

STANDING = "standing"
DEMOLISHED = "demolished"

SOURCE_KINDS = (
    "deed",
    "sale_contract",
    "court_order",
    "registrar_decision",
    "survey_plan",
    "succession_certificate",
    "mortgage_deed",
    "discharge",
    "lease_contract",
    "servitude_deed",
    "permit",
    "identity_check",
    "other",
)
CAVEAT_AUTHORITIES = ("court", "registrar")
CAVEAT_GROUNDS = (
    "court_order",
    "pending_litigation",
    "fraud_investigation",
    "insolvency",
    "registrar_correction",
    "expropriation",
)
SERVITUDE_KINDS = ("right_of_way", "utility", "water", "light_and_view", "support", "other")
RENT_PERIODS = ("week", "month", "quarter", "year")


# --- values -------------------------------------------------------------------------------------------


class Share(Record, frozen=True):
    """An exact rational in (0, 1], in lowest terms: `num`/`den`."""

    num: int
    den: int


class Holding(Record, frozen=True):
    """A party and its share (of a title, of a sale, of an estate, of a group)."""

    party_id: str
    share: Share


class Source(Record, frozen=True):
    """An administrative or spatial source: the SHA-256 of the document, kept off-ledger.

    `attest_digest`, if not empty, names a record of the `attest` app that must exist and not be revoked
    (the notary's or court's seal on the document).
    """

    kind: str
    sha256: bytes
    attest_digest: bytes = b""


class Boundary(Record, frozen=True):
    """A GeoJSON-shaped polygon in integer centimetres of a named projected CRS ("EPSG:3006").

    `rings[0]` is the exterior ring, counter-clockwise; further rings are holes, clockwise (the right-hand
    rule of RFC 7946). Every ring is closed: its last point repeats its first.
    """

    crs: str
    rings: list[list[tuple[int, int]]]


# --- parties ------------------------------------------------------------------------------------------


class Party(Record, frozen=True):
    """A person, organisation or group that can hold rights. No personal data: only its commitment.

    Persons and organisations sign with any `threshold` of their `key_ids`; a group signs when every
    member does. `parcels_held` counts the `party/<id>/parcel/*` index so a reader can check a listing
    is complete.
    """

    party_id: str
    kind: str
    commitment: bytes
    key_ids: list[bytes]
    threshold: int
    members: list[Holding]
    registered_height: int
    updated_height: int
    parcels_held: int


# --- spatial units ------------------------------------------------------------------------------------


class Parcel(Record, frozen=True):
    """The spatial unit: boundary, legal area, land use and lineage. Changes only when born or retired."""

    parcel_id: str
    boundary: Boundary
    area_m2: int
    land_use: str
    status: str
    created_height: int
    predecessors: list[str]
    successors: list[str]
    retired_height: int = 0


class Building(Record, frozen=True):
    building_id: str
    parcel_id: str
    use: str
    floors: int
    floor_area_m2: int
    footprint: Boundary
    status: str
    registered_height: int
    demolished_height: int = 0


# --- rights, restrictions, responsibilities ---------------------------------------------------------


class Mortgage(Record, frozen=True, tag="mortgage"):
    lender: str
    amount_cents: int
    currency: str


class Caveat(Record, frozen=True, tag="caveat"):
    authority: str
    ground: str


class Lease(Record, frozen=True, tag="lease"):
    lessors: list[str]
    lessees: list[str]
    start_ms: int
    end_ms: int
    rent_cents: int
    currency: str
    rent_period: str


class Servitude(Record, frozen=True, tag="servitude"):
    """A burden on this (servient) parcel for a dominant parcel's owners, or for one party."""

    kind: str
    dominant_parcel: str
    beneficiary: str


Terms = Mortgage | Caveat | Lease | Servitude


class RRR(Record, frozen=True):
    """One right, restriction or responsibility on one parcel, kept after it ends (status changes)."""

    parcel_id: str
    rrr_id: str
    terms: Terms
    sources: list[Source]
    status: str
    registered_height: int
    registered_time_ms: int
    ended_height: int = 0
    carried_from: list[str] = msgspec.field(default_factory=list)


class EncumbranceRef(Record, frozen=True):
    """What a title lists for an active RRR: its kind ("mortgage", ...) and id."""

    kind: str
    rrr_id: str


class PriorityNotice(Record, frozen=True):
    """A notary's reservation of a parcel for the buyers of a signed sale contract, until `expires_ms`."""

    parcel_id: str
    notice_id: str
    sellers: list[Holding]
    buyers: list[Holding]
    contract: Source
    placed_height: int
    placed_time_ms: int
    expires_ms: int


# --- the title: one version per change ------------------------------------------------------------


class Entry(Record, frozen=True):
    """Why a title version exists: the operation, what it concerned, its documents, who signed, when."""

    op: str
    refs: list[str]
    sources: list[Source]
    signer_ids: list[bytes]
    tx_id: bytes
    height: int
    time_ms: int


class TitleVersion(Record, frozen=True):
    """The parcel's register entry as it stood after one change (LADM BAUnit + its RRRs)."""

    parcel_id: str
    version: int
    status: str
    owners: list[Holding]
    encumbrances: list[EncumbranceRef]
    buildings: list[str]
    notice: str
    entry: Entry


# --- transaction bodies -------------------------------------------------------------------------------


class RegisterParty(Record, frozen=True):
    """Persons/organisations: 1..8 `key_ids`, each of which must sign (proof of possession).
    Groups: no keys, `threshold` 0, `members` with shares summing to 1, each member signs."""

    party_id: str
    kind: str
    commitment: bytes
    key_ids: list[bytes]
    threshold: int
    members: list[Holding]


class UpdateParty(Record, frozen=True):
    """New commitment and key binding (or members, for a group); the party and every new key sign."""

    party_id: str
    commitment: bytes
    key_ids: list[bytes]
    threshold: int
    members: list[Holding]


class RecoverPartyKeys(Record, frozen=True):
    """Rebind a person's or organisation's keys after loss, on an in-person identity check."""

    party_id: str
    key_ids: list[bytes]
    threshold: int
    sources: list[Source]


class NewBuilding(Record, frozen=True):
    building_id: str
    use: str
    floors: int
    floor_area_m2: int
    footprint: Boundary


class FirstRegistration(Record, frozen=True):
    parcel_id: str
    boundary: Boundary
    area_m2: int
    land_use: str
    owners: list[Holding]
    buildings: list[NewBuilding]
    sources: list[Source]


class Transfer(Record, frozen=True):
    """Each seller gives up `share` of the parcel; buyers receive shares summing to the same amount."""

    parcel_id: str
    sellers: list[Holding]
    buyers: list[Holding]
    sources: list[Source]


class PlacePriorityNotice(Record, frozen=True):
    parcel_id: str
    notice_id: str
    sellers: list[Holding]
    buyers: list[Holding]
    contract: Source
    expires_ms: int


class CancelPriorityNotice(Record, frozen=True):
    parcel_id: str
    notice_id: str


class RegisterMortgage(Record, frozen=True):
    parcel_id: str
    mortgage_id: str
    lender: str
    amount_cents: int
    currency: str
    sources: list[Source]


class ReleaseMortgage(Record, frozen=True):
    parcel_id: str
    mortgage_id: str
    sources: list[Source]


class RegisterCaveat(Record, frozen=True):
    parcel_id: str
    caveat_id: str
    authority: str
    ground: str
    sources: list[Source]


class RemoveCaveat(Record, frozen=True):
    parcel_id: str
    caveat_id: str
    sources: list[Source]


class RegisterLease(Record, frozen=True):
    """The lessors are the parcel's current owners (all of them); the lessees sign too."""

    parcel_id: str
    lease_id: str
    lessees: list[str]
    start_ms: int
    end_ms: int
    rent_cents: int
    currency: str
    rent_period: str
    sources: list[Source]


class TerminateLease(Record, frozen=True):
    parcel_id: str
    lease_id: str
    sources: list[Source]


class RegisterServitude(Record, frozen=True):
    """Exactly one of `dominant_parcel` (a praedial servitude) and `beneficiary` (a personal one)."""

    parcel_id: str
    servitude_id: str
    kind: str
    dominant_parcel: str
    beneficiary: str
    sources: list[Source]


class ReleaseServitude(Record, frozen=True):
    parcel_id: str
    servitude_id: str
    sources: list[Source]


class NewParcel(Record, frozen=True):
    """A parcel born of a subdivision or merge; `buildings` lists the existing buildings it takes."""

    parcel_id: str
    boundary: Boundary
    area_m2: int
    land_use: str
    buildings: list[str]


class Subdivide(Record, frozen=True):
    parcel_id: str
    children: list[NewParcel]
    sources: list[Source]


class Merge(Record, frozen=True):
    parcel_ids: list[str]
    merged: NewParcel
    sources: list[Source]


class Succession(Record, frozen=True):
    """`heirs` shares are fractions of the deceased's holding (of the estate) and sum to 1."""

    deceased: str
    heirs: list[Holding]
    parcel_ids: list[str]
    sources: list[Source]


class RegisterBuilding(Record, frozen=True):
    parcel_id: str
    building: NewBuilding
    sources: list[Source]


class DemolishBuilding(Record, frozen=True):
    parcel_id: str
    building_id: str
    sources: list[Source]


# --- query parameters and answers ---------------------------------------------------------------------


class ParcelId(Record, frozen=True):
    parcel_id: str


class PartyId(Record, frozen=True):
    party_id: str


class KeyId(Record, frozen=True):
    key_id: bytes


class BuildingId(Record, frozen=True):
    building_id: str


class RRRId(Record, frozen=True):
    parcel_id: str
    rrr_id: str


class TitleAt(Record, frozen=True):
    parcel_id: str
    version: int


class HistoryPage(Record, frozen=True):
    parcel_id: str
    from_version: int = 1
    limit: int = 50


class PartyParcelsPage(Record, frozen=True):
    party_id: str
    start_after: str = ""
    limit: int = 100


class PartyParcel(Record, frozen=True):
    parcel_id: str
    share: Share


class PartyParcels(Record, frozen=True):
    """`parcels_held` is the party's own count. `complete`: no parcel follows this page (and a page
    from the start, `start_after` empty, lists all `parcels_held`); otherwise ask again with
    `start_after` set to the last parcel id listed."""

    party_id: str
    parcels_held: int
    parcels: list[PartyParcel]
    complete: bool


class CertificateOwner(Record, frozen=True):
    """An owner as a certificate shows it: the vault resolves `commitment` to a name for the reader."""

    party_id: str
    kind: str
    share: Share
    commitment: bytes


class TitleCertificate(Record, frozen=True):
    """What a certified copy of the register shows for one parcel, at one title version."""

    parcel_id: str
    status: str
    title_version: int
    land_use: str
    area_m2: int
    boundary: Boundary
    owners: list[CertificateOwner]
    encumbrances: list[RRR]
    buildings: list[Building]
    priority_notice: PriorityNotice | None
    last_entry: Entry
