"""Deaths, marriages and divorces.

Rules
-----
- `register_death` (a `medical_certifier` and a `registrar` sign): one `deceased` person with a
  current commitment (the cause of death is a vault field of it); not already dead
  (`vital.already_deceased`); time not in the future. If it names the person's birth record, that
  record is a live birth record of the same person (`vital.wrong_kind`, `vital.record_void`,
  `vital.subject_mismatch`) and the death is not before the birth (`vital.bad_time`).
- `register_marriage` (both spouses with their *own* keys, listed in `spouse_keys`, plus an
  `officiant` and a `registrar`): two distinct `spouse` persons and two distinct 20-byte key ids
  (`vital.bad_persons`); neither is registered dead (`vital.deceased`) nor in a current marriage
  (`vital.already_married`), a marriage ending when dissolved, voided, or by the other spouse's death.
  The ledger cannot know that a key belongs to a spouse: the officiant checks identity and keys in
  person, and the record keeps the key ids as evidence of who consented.
- `register_divorce` (a `court` member): the marriage exists, is a marriage, is not void and not yet
  dissolved (`vital.unknown_record`, `vital.wrong_kind`, `vital.record_void`,
  `vital.already_dissolved`); the decree's digest; effective time not in the future nor before the
  marriage. The divorce record lists the spouses as the marriage does; the marriage gets a new
  version (change `dissolution`, `dissolved_by`), and the spouses are free to marry again.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.vital import rules, store
from govledger.apps.vital.errors import fail
from govledger.apps.vital.model import (
    BIRTH,
    DEATH,
    DECEASED,
    DISSOLUTION,
    DIVORCE,
    KEY_ID_BYTES,
    MARRIAGE,
    REGISTERED,
    REGISTRATION,
    SPOUSE,
    Person,
    RegisterDeath,
    RegisterDivorce,
    RegisterMarriage,
    VitalRecord,
)
from govledger.ledger.app import (
    NOBODY_ELSE,
    AllOf,
    AppState,
    AppView,
    Operation,
    Requirement,
    SignedBy,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "vital"


def new_record(
    state: AppState, ctx: TxContext, role: str, kind: str, record_id: str, persons: list[Person], **extra: Any
) -> VitalRecord:
    """Version 1 of a record, with its registration number and the signer holding `role`."""
    kid, member = rules.holder(state, ctx, role)
    fields: dict[str, Any] = {
        "record_id": record_id,
        "kind": kind,
        "registration_number": store.next_registration_number(state, kind),
        "version": 1,
        "status": REGISTERED,
        "persons": persons,
        "party_keys": [],
        "event_ms": 0,
        "place": "",
        "notification_id": "",
        "court_order": None,
        "related": "",
        "dissolved_by": "",
        "registrar_key": kid,
        "registrar_member": member,
        "registered_height": ctx.height,
        "registered_ms": ctx.time_ms,
        "change": REGISTRATION,
        "reason": "",
        "document_sha256": b"",
        "changed_by": kid,
        "height": ctx.height,
        "time_ms": ctx.time_ms,
    }
    fields.update(extra)
    rec = VitalRecord(**fields)
    store.put_version(state, rec)
    store.index_persons(state, rec)
    return rec


# --- death --------------------------------------------------------------------------------------------


def _check_death(view: AppView, b: RegisterDeath, ctx: TxContext) -> None:
    rules.new_record_id(view, b.record_id)
    rules.text(b.place, "place")
    rules.persons_shape([b.deceased], {DECEASED: (1, 1)})
    rules.not_future(b.died_at_ms, ctx, "died_at_ms")
    if store.indexed(view, "death", b.deceased.pseudonym) is not None:
        fail("vital.already_deceased", "a death is already registered for that person")
    if b.birth_record_id:
        birth = rules.require_live(view, b.birth_record_id, BIRTH)
        if rules.child_of(birth.persons).pseudonym != b.deceased.pseudonym:
            fail("vital.subject_mismatch", "the birth record is not the deceased's")
        if b.died_at_ms < birth.event_ms:
            fail("vital.bad_time", "the death is before the birth")
    rules.commitments_current(view, [b.deceased])


def _apply_death(state: AppState, b: RegisterDeath, ctx: TxContext) -> list[Event]:
    rec = new_record(
        state,
        ctx,
        "registrar",
        DEATH,
        b.record_id,
        [b.deceased],
        event_ms=b.died_at_ms,
        place=b.place,
        related=b.birth_record_id,
    )
    certifier = rules.holder(state, ctx, "medical_certifier")[0]
    return [
        event(
            NAME,
            "death_registered",
            b.record_id,
            registration_number=rec.registration_number,
            registrar=rec.registrar_key,
            certifier=certifier,
        )
    ]


# --- marriage -----------------------------------------------------------------------------------------


def _signers_marriage(view: AppView, b: RegisterMarriage, ctx: TxContext) -> Requirement:
    if not b.spouse_keys:
        return NOBODY_ELSE  # the check refuses it; nothing to ask signatures for
    return AllOf(of=[SignedBy(k) for k in b.spouse_keys[:2]])


def married_now(view: AppView, person: bytes) -> str | None:
    """The person's current marriage, unless the other spouse has died (which ends it)."""
    rid = store.indexed(view, "married", person)
    if rid is None:
        return None
    m = store.record(view, rid)
    assert m is not None, "the marriage index points at a record"
    others = [p.pseudonym for p in m.persons if p.role == SPOUSE and p.pseudonym != person]
    if any(store.indexed(view, "death", o) is not None for o in others):
        return None
    return rid


def _check_marriage(view: AppView, b: RegisterMarriage, ctx: TxContext) -> None:
    rules.new_record_id(view, b.record_id)
    rules.text(b.place, "place")
    rules.persons_shape(b.spouses, {SPOUSE: (2, 2)})
    if (
        len(b.spouse_keys) != 2
        or len(set(b.spouse_keys)) != 2
        or any(len(k) != KEY_ID_BYTES for k in b.spouse_keys)
    ):
        fail("vital.bad_persons", f"two distinct {KEY_ID_BYTES}-byte spouse key ids, one per spouse")
    rules.not_future(b.married_at_ms, ctx, "married_at_ms")
    for s in b.spouses:
        if store.indexed(view, "death", s.pseudonym) is not None:
            fail("vital.deceased", "a spouse is registered as deceased")
        current = married_now(view, s.pseudonym)
        if current is not None:
            fail("vital.already_married", f"a spouse is married (record {current!r})")
    rules.commitments_current(view, b.spouses)


def _apply_marriage(state: AppState, b: RegisterMarriage, ctx: TxContext) -> list[Event]:
    rec = new_record(
        state,
        ctx,
        "registrar",
        MARRIAGE,
        b.record_id,
        list(b.spouses),
        party_keys=list(b.spouse_keys),
        event_ms=b.married_at_ms,
        place=b.place,
    )
    officiant = rules.holder(state, ctx, "officiant")[0]
    return [
        event(
            NAME,
            "marriage_registered",
            b.record_id,
            registration_number=rec.registration_number,
            registrar=rec.registrar_key,
            officiant=officiant,
        )
    ]


# --- divorce ------------------------------------------------------------------------------------------


def _check_divorce(view: AppView, b: RegisterDivorce, ctx: TxContext) -> None:
    rules.new_record_id(view, b.record_id)
    rules.digest(b.decree_sha256, "decree_sha256")
    m = rules.require_live(view, b.marriage_record_id, MARRIAGE)
    if m.dissolved_by:
        fail("vital.already_dissolved", f"the marriage was dissolved by {m.dissolved_by!r}")
    rules.not_future(b.effective_ms, ctx, "effective_ms")
    if b.effective_ms < m.event_ms:
        fail("vital.bad_time", "the divorce takes effect before the marriage")


def _apply_divorce(state: AppState, b: RegisterDivorce, ctx: TxContext) -> list[Event]:
    m = rules.require_live(state, b.marriage_record_id, MARRIAGE)
    rec = new_record(
        state,
        ctx,
        "court",
        DIVORCE,
        b.record_id,
        list(m.persons),
        event_ms=b.effective_ms,
        related=m.record_id,
        document_sha256=b.decree_sha256,
    )
    dissolved = msgspec.structs.replace(
        m,
        version=m.version + 1,
        dissolved_by=b.record_id,
        change=DISSOLUTION,
        reason="divorce",
        document_sha256=b.decree_sha256,
        changed_by=rec.registrar_key,
        height=ctx.height,
        time_ms=ctx.time_ms,
    )
    store.put_version(state, dissolved)
    store.unindex_persons(state, m)
    return [
        event(
            NAME,
            "divorce_registered",
            b.record_id,
            registration_number=rec.registration_number,
            marriage=m.record_id,
            court=rec.registrar_key,
        ),
        event(NAME, "marriage_dissolved", m.record_id, divorce=b.record_id, version=dissolved.version),
    ]


def _nobody_else(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return NOBODY_ELSE


OPERATIONS: dict[str, Operation[Any]] = {
    "register_death": Operation(
        RegisterDeath,
        _nobody_else,
        _check_death,
        _apply_death,
        "A medical certifier and a registrar register a death.",
    ),
    "register_marriage": Operation(
        RegisterMarriage,
        _signers_marriage,
        _check_marriage,
        _apply_marriage,
        "Both spouses (own keys), an officiant and a registrar register a marriage.",
    ),
    "register_divorce": Operation(
        RegisterDivorce,
        _nobody_else,
        _check_divorce,
        _apply_divorce,
        "A court registers a divorce; the marriage is marked dissolved.",
    ),
}
