"""Birth register rows: each person's data registered with the privacy app, then the birth (`vital`).

`births`: row_id, record_id, born_on, facility, child_pseudonym, child_commitment, mother_pseudonym,
          mother_commitment, father_pseudonym, father_commitment, order_sha256, case_ref
    born_on: `YYYY-MM-DD` (UTC midnight; the ledger's time starts in 1970, so earlier births cannot
    be registered); pseudonyms and commitments: 64 hex digits from the vault (a parent's columns may
    both be empty); order_sha256 and case_ref: the court order (or migration decree) under which the
    legacy register is taken over, the legal basis the vital app requires for a birth registered
    without a hospital notification.
Per row, first `privacy.register_data` for every person (registry `vital`, data record
`birth-<record_id>`: a parent's record per child, so commitments stay unique), then
`vital.register_birth` on the court order. The operator signs as a civil `registrar` and a `court`
member. A row is already present when `record/<record_id>` holds the same people and birth time
(and each person's data record the same commitment).
"""

from __future__ import annotations

from govledger.apps.privacy.model import DataVersion, RegisterData
from govledger.apps.privacy.store import head_key
from govledger.apps.vital.model import CourtOrder, Person, RegisterBirth, VitalRecord
from govledger.apps.vital.store import record_key
from govledger.codec import decode_trusted
from govledger.importer.adapters.base import Adapter, Fields, Plan, date_ms, hex32, text
from govledger.importer.custody import Custody

REGISTRY = "vital"


def _person(f: Fields, role: str, column: str, *, required: bool) -> Person | None:
    pseudonym, commitment = f[f"{column}_pseudonym"], f[f"{column}_commitment"]
    if not required and not pseudonym and not commitment:
        return None
    return Person(role, hex32(f, f"{column}_pseudonym"), hex32(f, f"{column}_commitment"))


def _register_data(p: Person, data_record: str) -> Plan:
    body = RegisterData(REGISTRY, p.pseudonym, data_record, p.commitment)

    def same(raw: bytes) -> bool:
        return decode_trusted(raw, DataVersion).commitment == p.commitment

    return Plan("privacy", "register_data", body, (), head_key(p.pseudonym, data_record), same)


def plan_birth(f: Fields, custody: Custody) -> Plan:
    record_id = text(f, "record_id")
    born_ms = date_ms(text(f, "born_on"), "born_on")
    people = [_person(f, "child", "child", required=True)]
    people += [_person(f, role, role, required=False) for role in ("mother", "father")]
    persons = [p for p in people if p is not None]
    order = CourtOrder(hex32(f, "order_sha256"), text(f, "case_ref"))
    body = RegisterBirth(record_id, persons, born_ms, text(f, "facility"), "", order)

    def same(raw: bytes) -> bool:
        rec = decode_trusted(raw, VitalRecord)
        return (rec.kind, rec.persons, rec.event_ms) == ("birth", persons, born_ms)

    before = tuple(_register_data(p, f"birth-{record_id}") for p in persons)
    return Plan("vital", "register_birth", body, (), record_key(record_id), same, before)


BIRTHS = Adapter(
    name="births",
    app="vital",
    columns=(
        "row_id",
        "record_id",
        "born_on",
        "facility",
        "child_pseudonym",
        "child_commitment",
        "mother_pseudonym",
        "mother_commitment",
        "father_pseudonym",
        "father_commitment",
        "order_sha256",
        "case_ref",
    ),
    plan=plan_birth,
    exists_codes=frozenset(
        {"vital.record_exists", "privacy.already_registered", "privacy.commitment_exists"}
    ),
    doc="Births on a court order, each person's data registered first; sign as a registrar and a court.",
)
