"""Vital queries and the certificate hook. Reads go key by key, so the node proves each one.

`certificate_data(view, record_id)` is the hook the credentials team turns into a verifiable
credential: it returns what a certified copy shows (kind, registration number, dates, place, status,
version, the registering official, and for each person their role, pseudonym and commitment) and
nothing personal. The issuer reads the names from the vault (a logged read for the purpose
`certificate_issuance`) and can prove they match: `verify_commitment(fields, salt, commitment)`.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.privacy import store as privacy
from govledger.apps.vital import store
from govledger.apps.vital.model import (
    ById,
    Certificate,
    CertificatePerson,
    Notification,
    Page,
    Person,
    RecordCommitments,
    RecordHistory,
    RecordStatusAnswer,
)
from govledger.ledger.app import AppView, Query

MAX_PAGE = 200


def record(view: AppView, p: ById) -> RecordHistory:
    """The current version and every version, oldest first."""
    cur = store.record(view, p.id)
    versions = []
    for v in range(1, (cur.version if cur else 0) + 1):
        rec = store.version(view, p.id, v)
        assert rec is not None, "a record's versions are never deleted"
        versions.append(rec)
    return RecordHistory(cur, versions)


def status(view: AppView, p: ById) -> RecordStatusAnswer | None:
    rec = store.record(view, p.id)
    if rec is None:
        return None
    return RecordStatusAnswer(rec.record_id, rec.kind, rec.status, rec.version, rec.dissolved_by)


def commitments(view: AppView, p: ById) -> RecordCommitments | None:
    """The current version's status and persons' commitments: what a public lookup may show."""
    rec = store.record(view, p.id)
    if rec is None:
        return None
    return RecordCommitments(
        rec.record_id, rec.kind, rec.registration_number, rec.status, rec.version, _persons(view, rec.persons)
    )


def _persons(view: AppView, persons: list[Person]) -> list[CertificatePerson]:
    return [
        CertificatePerson(p.role, p.pseudonym, p.commitment, privacy.erasure(view, p.pseudonym) is not None)
        for p in persons
    ]


def by_registration_number(view: AppView, p: ById) -> RecordStatusAnswer | None:
    rid = store.record_by_number(view, p.id)
    return None if rid is None else status(view, ById(rid))


def notification(view: AppView, p: ById) -> Notification | None:
    return store.notification(view, p.id)


def pending_notifications(view: AppView, p: Page) -> list[Notification]:
    """Notifications awaiting registration, in id order after `start_after` (a worklist; each entry
    carries its proof). The next page starts after the last id of this one."""
    limit = min(max(p.limit, 1), MAX_PAGE)
    start = store.pending_key(p.start_after) if p.start_after else None
    out: list[Notification] = []
    for k, _ in view.scan(store.PENDING_PREFIX, limit=limit, start_after=start):
        n = store.notification(view, k[len(store.PENDING_PREFIX) :].decode())
        assert n is not None, "a pending entry names a notification"
        out.append(n)
    return out


def certificate_data(view: AppView, record_id: str) -> Certificate | None:
    """What a certified copy of the record's current version shows; None if there is no record."""
    rec = store.record(view, record_id)
    if rec is None:
        return None
    persons = _persons(view, rec.persons)
    return Certificate(
        record_id=rec.record_id,
        kind=rec.kind,
        registration_number=rec.registration_number,
        status=rec.status,
        version=rec.version,
        event_ms=rec.event_ms,
        place=rec.place,
        registered_height=rec.registered_height,
        registered_ms=rec.registered_ms,
        version_height=rec.height,
        version_ms=rec.time_ms,
        persons=persons,
        registrar_key=rec.registrar_key,
        registrar_member=rec.registrar_member,
        related=rec.related,
        dissolved_by=rec.dissolved_by,
        court_order=rec.court_order,
    )


def _certificate(view: AppView, p: ById) -> Certificate | None:
    return certificate_data(view, p.id)


QUERIES: dict[str, Query[Any]] = {
    "record": Query(ById, record, "A record by id, with every version."),
    "status": Query(ById, status, "A record's status (registered, amended, void), version, dissolution."),
    "by_registration_number": Query(
        ById, by_registration_number, "A record's status by registration number."
    ),
    "commitments": Query(
        ById, commitments, "A record's status and its persons' roles, pseudonyms and commitments only."
    ),
    "notification": Query(ById, notification, "A birth notification by id."),
    "pending_notifications": Query(Page, pending_notifications, "Birth notifications awaiting registration."),
    "certificate": Query(ById, _certificate, "What a certified copy shows (no personal data)."),
}
