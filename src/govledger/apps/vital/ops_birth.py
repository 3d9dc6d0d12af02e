"""Births: a hospital's notification, then the registrar's registration (the two-step check).

Rules
-----
- `notify_birth` (a `hospital` member signs; the signer is recorded as notifier):
  exactly one `child`, at most two parents (`mother`/`father`/`parent`), no one twice
  (`vital.bad_persons`); every commitment registered with the privacy app and current
  (`vital.commitment_unknown`, `vital.commitment_not_current`, `vital.subject_erased`); the birth is
  not after the block time (`vital.bad_time`) nor more than 30 days before it
  (`vital.late_notification`); new id (`vital.notification_exists`); the child has no pending
  notification (`vital.duplicate_notification`) and no birth record (`vital.duplicate_registration`).
- `register_birth` (a `registrar`; plus a `court` member when it carries a court order): exactly one
  basis (`vital.bad_basis`, `vital.court_order_required`):
  * a notification: it exists (`vital.unknown_notification`), is pending (`vital.notification_used`)
    and says exactly what the registration says: the same people with the same commitments, birth
    time and facility (`vital.notification_mismatch`): the two-step check, so a registrar cannot
    register a birth the hospital did not report, nor change it on the way; within a year of the
    birth (`vital.late_registration`);
  * a court order (late registration, or a birth outside a facility): its document digest and case
    reference; the court's signature is the app's own requirement. A pending notification for the
    child, if any, is closed by it.
  Either way: new record id, the child has no birth record yet (`vital.duplicate_registration`),
  commitments current. The registration number (B-00000001, ...) is issued by the ledger in order.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.vital import rules, store
from govledger.apps.vital.errors import fail
from govledger.apps.vital.model import (
    BIRTH,
    NOTIFY_WINDOW_MS,
    PENDING,
    REGISTERED,
    REGISTRATION,
    REGISTRATION_WINDOW_MS,
    USED,
    Notification,
    NotifyBirth,
    RegisterBirth,
    VitalRecord,
)
from govledger.ledger.app import (
    NOBODY_ELSE,
    AppState,
    AppView,
    HasRole,
    Operation,
    Requirement,
    SignedBy,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "vital"


def _child_free(view: AppView, persons: list[Any]) -> None:
    child = rules.child_of(persons)
    if store.indexed(view, "birth", child.pseudonym) is not None:
        fail("vital.duplicate_registration", "the child's birth is already registered")


# --- notify_birth -------------------------------------------------------------------------------------


def _signers_notify(view: AppView, b: NotifyBirth, ctx: TxContext) -> Requirement:
    return SignedBy(ctx.first_signer_id)


def _check_notify(view: AppView, b: NotifyBirth, ctx: TxContext) -> None:
    rules.identifier(b.notification_id, "notification_id")
    rules.text(b.facility, "facility")
    rules.birth_persons(b.persons)
    rules.not_future(b.born_at_ms, ctx, "born_at_ms")
    if ctx.time_ms - b.born_at_ms > NOTIFY_WINDOW_MS:
        fail("vital.late_notification", "a notification comes within 30 days of the birth")
    if store.notification(view, b.notification_id) is not None:
        fail("vital.notification_exists", f"notification {b.notification_id!r} already exists")
    if store.indexed(view, "notified", rules.child_of(b.persons).pseudonym) is not None:
        fail("vital.duplicate_notification", "the child already has a pending notification")
    _child_free(view, b.persons)
    rules.commitments_current(view, b.persons)


def _apply_notify(state: AppState, b: NotifyBirth, ctx: TxContext) -> list[Event]:
    kid, member = rules.holder(state, ctx, "hospital")
    n = Notification(
        b.notification_id, b.persons, b.born_at_ms, b.facility, kid, member, ctx.height, ctx.time_ms
    )
    store.put_notification(state, n)
    return [event(NAME, "birth_notified", f"notification:{b.notification_id}", notifier=kid, member=member)]


# --- register_birth -----------------------------------------------------------------------------------


def _signers_register(view: AppView, b: RegisterBirth, ctx: TxContext) -> Requirement:
    return HasRole(role="court") if b.court_order is not None else NOBODY_ELSE


def _check_basis(view: AppView, b: RegisterBirth, ctx: TxContext) -> None:
    if b.notification_id and b.court_order is not None:
        fail("vital.bad_basis", "give a notification or a court order, not both")
    if b.court_order is not None:
        rules.digest(b.court_order.document_sha256, "court_order.document_sha256")
        rules.text(b.court_order.case_ref, "court_order.case_ref")
        return
    if not b.notification_id:
        fail("vital.court_order_required", "a birth without a notification needs a court order")
    n = store.notification(view, b.notification_id)
    if n is None:
        fail("vital.unknown_notification", f"no notification {b.notification_id!r}")
    if n.status != PENDING:
        fail(
            "vital.notification_used", f"notification {b.notification_id!r} was registered as {n.record_id!r}"
        )
    if (n.persons, n.born_at_ms, n.facility) != (b.persons, b.born_at_ms, b.facility):
        fail("vital.notification_mismatch", "the registration must say what the notification says")
    if ctx.time_ms - b.born_at_ms > REGISTRATION_WINDOW_MS:
        fail("vital.late_registration", "more than a year after the birth: a court order is needed")


def _check_register(view: AppView, b: RegisterBirth, ctx: TxContext) -> None:
    rules.new_record_id(view, b.record_id)
    rules.text(b.facility, "facility")
    rules.birth_persons(b.persons)
    rules.not_future(b.born_at_ms, ctx, "born_at_ms")
    _check_basis(view, b, ctx)
    _child_free(view, b.persons)
    rules.commitments_current(view, b.persons)


def _close_notification(state: AppState, nid: str, record_id: str) -> None:
    n = store.notification(state, nid)
    if n is not None and n.status == PENDING:
        store.put_notification(
            state,
            Notification(
                n.notification_id,
                n.persons,
                n.born_at_ms,
                n.facility,
                n.notifier_key,
                n.notifier_member,
                n.height,
                n.time_ms,
                USED,
                record_id,
            ),
        )


def _apply_register(state: AppState, b: RegisterBirth, ctx: TxContext) -> list[Event]:
    kid, member = rules.holder(state, ctx, "registrar")
    number = store.next_registration_number(state, BIRTH)
    nid = b.notification_id
    if not nid:  # a court-ordered registration closes the child's pending notification, if any
        nid = store.indexed(state, "notified", rules.child_of(b.persons).pseudonym) or ""
    if nid:
        _close_notification(state, nid, b.record_id)
    court_kid = rules.holder(state, ctx, "court")[0] if b.court_order is not None else b""
    rec = VitalRecord(
        record_id=b.record_id,
        kind=BIRTH,
        registration_number=number,
        version=1,
        status=REGISTERED,
        persons=list(b.persons),
        party_keys=[],
        event_ms=b.born_at_ms,
        place=b.facility,
        notification_id=nid,
        court_order=b.court_order,
        related="",
        dissolved_by="",
        registrar_key=kid,
        registrar_member=member,
        registered_height=ctx.height,
        registered_ms=ctx.time_ms,
        change=REGISTRATION,
        reason="",
        document_sha256=b"",
        changed_by=kid,
        height=ctx.height,
        time_ms=ctx.time_ms,
    )
    store.put_version(state, rec)
    store.index_persons(state, rec)
    attrs: dict[str, str | bytes] = {"notification": nid} if b.court_order is None else {"court": court_kid}
    return [event(NAME, "birth_registered", b.record_id, registration_number=number, registrar=kid, **attrs)]


OPERATIONS: dict[str, Operation[Any]] = {
    "notify_birth": Operation(
        NotifyBirth,
        _signers_notify,
        _check_notify,
        _apply_notify,
        "A hospital notifies a birth (commitments of the child's and parents' data).",
    ),
    "register_birth": Operation(
        RegisterBirth,
        _signers_register,
        _check_register,
        _apply_register,
        "The registrar registers a birth matching a notification, or on a court order.",
    ),
}
