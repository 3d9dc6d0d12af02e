"""Amendments, corrections and voiding: every change is a new version, nothing is rewritten.

Rules
-----
- `amend` (a `registrar` signs): the record exists and is not void (`vital.unknown_record`,
  `vital.record_void`); `change` is `amendment` (a legal change: adoption, legitimation, a court's
  or registrar's decision; its document's digest is required, `vital.document_required`) or
  `correction` (a clerical error; the reason suffices) (`vital.bad_change`); a reason is given
  (`vital.reason_required`). The same people keep the same roles in the same order
  (`vital.subject_mismatch`): an amendment changes what is recorded about them (new commitments
  after a rectification in the vault, the event time, the place), never who the record is about.
  Commitments must be current; at least one thing must change (`vital.unchanged`); a record has at
  most MAX_VERSIONS versions (`vital.too_many_versions`). Status becomes `amended`.
- `void` (a `registrar` and a `court` member sign): a record registered in error or by fraud. Not
  already void; not a divorce (a divorce is undone by a court's new decree, not by voiding it:
  `vital.wrong_kind`); a reason and the order's digest. Status becomes `void`; the person indexes
  that pointed at it are removed, so the person can be registered correctly.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.vital import rules, store
from govledger.apps.vital.errors import fail
from govledger.apps.vital.model import (
    AMENDED,
    AMENDMENT,
    CORRECTION,
    DEATH,
    DECEASED,
    DIVORCE,
    MAX_VERSIONS,
    SPOUSE,
    VOID,
    VOIDING,
    Amend,
    VitalRecord,
    Void,
)
from govledger.ledger.app import NOBODY_ELSE, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "vital"


def _check_amend(view: AppView, b: Amend, ctx: TxContext) -> None:
    cur = rules.require_live(view, b.record_id)
    if b.change not in (AMENDMENT, CORRECTION):
        fail("vital.bad_change", f"change must be {AMENDMENT!r} or {CORRECTION!r}")
    if not b.reason.strip():
        fail("vital.reason_required", "say why the record changes")
    rules.text(b.reason, "reason")
    if b.change == AMENDMENT and not b.document_sha256:
        fail("vital.document_required", "an amendment needs its document's digest")
    if b.document_sha256:
        rules.digest(b.document_sha256, "document_sha256")
    if [(p.role, p.pseudonym) for p in b.persons] != [(p.role, p.pseudonym) for p in cur.persons]:
        fail("vital.subject_mismatch", "an amendment keeps the same people in the same roles and order")
    if cur.place or b.place:
        rules.text(b.place, "place")
    rules.not_future(b.event_ms, ctx, "event_ms")
    if (b.persons, b.event_ms, b.place) == (cur.persons, cur.event_ms, cur.place):
        fail("vital.unchanged", "the amendment changes nothing")
    if cur.version >= MAX_VERSIONS:
        fail("vital.too_many_versions", f"a record has at most {MAX_VERSIONS} versions")
    rules.commitments_current(view, b.persons)


def _next_version(cur: VitalRecord, ctx: TxContext, kid: bytes, **changes: Any) -> VitalRecord:
    return msgspec.structs.replace(
        cur, version=cur.version + 1, changed_by=kid, height=ctx.height, time_ms=ctx.time_ms, **changes
    )


def _apply_amend(state: AppState, b: Amend, ctx: TxContext) -> list[Event]:
    cur = rules.require_live(state, b.record_id)
    kid = rules.holder(state, ctx, "registrar")[0]
    rec = _next_version(
        cur,
        ctx,
        kid,
        status=AMENDED,
        persons=list(b.persons),
        event_ms=b.event_ms,
        place=b.place,
        change=b.change,
        reason=b.reason,
        document_sha256=b.document_sha256,
    )
    store.put_version(state, rec)
    return [event(NAME, "record_amended", b.record_id, change=b.change, version=rec.version, by=kid)]


def _check_void(view: AppView, b: Void, ctx: TxContext) -> None:
    cur = rules.require_live(view, b.record_id)
    if cur.kind == DIVORCE:
        fail("vital.wrong_kind", "a divorce is undone by a new court decree, not voided")
    if not b.reason.strip():
        fail("vital.reason_required", "say why the record is void")
    rules.text(b.reason, "reason")
    rules.digest(b.order_sha256, "order_sha256")
    for marriage, survivor in _widowed_by(view, cur):
        current = store.indexed(view, "married", survivor)
        if current is not None and current != marriage:
            fail(
                "vital.void_conflict",
                f"the surviving spouse of marriage {marriage!r} married again ({current!r}) after this "
                "death: void or dissolve that marriage first",
            )


def _widowed_by(view: AppView, rec: VitalRecord) -> list[tuple[str, bytes]]:
    """(marriage, surviving spouse) for each marriage this death record ended; voiding it revives them."""
    if rec.kind != DEATH:
        return []
    out: list[tuple[str, bytes]] = []
    for p in rec.persons:
        marriage = store.indexed(view, "married", p.pseudonym) if p.role == DECEASED else None
        m = None if marriage is None else store.record(view, marriage)
        if marriage is not None and m is not None:
            others = [s.pseudonym for s in m.persons if s.role == SPOUSE and s.pseudonym != p.pseudonym]
            out += [(marriage, other) for other in others]
    return out


def _apply_void(state: AppState, b: Void, ctx: TxContext) -> list[Event]:
    cur = rules.require_live(state, b.record_id)
    kid = rules.holder(state, ctx, "registrar")[0]
    rec = _next_version(
        cur, ctx, kid, status=VOID, change=VOIDING, reason=b.reason, document_sha256=b.order_sha256
    )
    store.put_version(state, rec)
    # A death registered in error never ended the marriage: a survivor who has not married since is
    # its spouse again (the check refused the void if they have).
    for marriage, survivor in _widowed_by(state, cur):
        if store.indexed(state, "married", survivor) is None:
            store.point_index(state, "married", survivor, marriage)
    store.unindex_persons(state, cur)
    return [event(NAME, "record_voided", b.record_id, version=rec.version, by=kid)]


def _nobody_else(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return NOBODY_ELSE


OPERATIONS: dict[str, Operation[Any]] = {
    "amend": Operation(
        Amend,
        _nobody_else,
        _check_amend,
        _apply_amend,
        "A registrar amends or corrects a record: a new version, the old ones kept.",
    ),
    "void": Operation(
        Void,
        _nobody_else,
        _check_void,
        _apply_void,
        "A registrar and a court void a record registered in error; its indexes are released.",
    ),
}
