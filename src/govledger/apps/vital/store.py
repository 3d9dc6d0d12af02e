"""The vital app's key space, and the only module that reads or writes it.

Key space (app-relative; ids never contain '/'; `<p>` is a pseudonym in lower-case hex):

    record/<id>                    -> VitalRecord    the current version (the current pointer)
    version/<id>/<v, 4 digits>     -> VitalRecord    every version, never rewritten nor deleted
    regno/<registration number>    -> record id      certificates are checked by their number
    seq/<kind>                     -> int            the last registration number issued per kind
    notification/<id>              -> Notification
    pending/<notification id>      -> height         worklist: notifications awaiting registration
    notified/<p>                   -> notification id   a child's pending notification
    birth/<p>                      -> record id      the person's (non-void) birth record
    death/<p>                      -> record id      the person's (non-void) death record
    married/<p>                    -> record id      the person's current (undissolved, non-void) marriage

Rules kept here, so that no operation can forget them:
- every change to a record writes a new version at `version/<id>/<v+1>` and the same record at
  `record/<id>`; a version, once written, is never rewritten;
- the person indexes follow status: voiding a record, or dissolving a marriage, removes the index
  entries that point at it (and only those).
"""

from __future__ import annotations

from govledger.apps.vital.model import (
    BIRTH,
    CHILD,
    DEATH,
    MARRIAGE,
    PENDING,
    REGISTRATION_PREFIX,
    SPOUSE,
    Notification,
    VitalRecord,
)
from govledger.codec import encode
from govledger.ledger.app import AppState, AppView


def record_key(record_id: str) -> bytes:
    return b"record/" + record_id.encode()


def version_key(record_id: str, version: int) -> bytes:
    return b"version/" + record_id.encode() + b"/" + b"%04d" % version


def regno_key(number: str) -> bytes:
    return b"regno/" + number.encode()


def seq_key(kind: str) -> bytes:
    return b"seq/" + kind.encode()


def notification_key(nid: str) -> bytes:
    return b"notification/" + nid.encode()


PENDING_PREFIX = b"pending/"


def pending_key(nid: str) -> bytes:
    return PENDING_PREFIX + nid.encode()


def person_key(index: str, pseudonym: bytes) -> bytes:
    return index.encode() + b"/" + pseudonym.hex().encode()


# The person index each kind maintains, and which role on the record it follows.
INDEX_OF_KIND = {BIRTH: ("birth", "child"), DEATH: ("death", "deceased"), MARRIAGE: ("married", SPOUSE)}


# --- reads --------------------------------------------------------------------------------------------


def record(view: AppView, record_id: str) -> VitalRecord | None:
    return view.get_as(record_key(record_id), VitalRecord)


def version(view: AppView, record_id: str, v: int) -> VitalRecord | None:
    return view.get_as(version_key(record_id, v), VitalRecord)


def record_by_number(view: AppView, number: str) -> str | None:
    raw = view.get(regno_key(number))
    return None if raw is None else raw.decode()


def notification(view: AppView, nid: str) -> Notification | None:
    return view.get_as(notification_key(nid), Notification)


def indexed(view: AppView, index: str, pseudonym: bytes) -> str | None:
    raw = view.get(person_key(index, pseudonym))
    return None if raw is None else raw.decode()


# --- writes -------------------------------------------------------------------------------------------


def next_registration_number(state: AppState, kind: str) -> str:
    n = (state.get_as(seq_key(kind), int) or 0) + 1
    state.put(seq_key(kind), encode(n))
    return f"{REGISTRATION_PREFIX[kind]}-{n:08d}"


def put_version(state: AppState, rec: VitalRecord) -> None:
    assert state.get(version_key(rec.record_id, rec.version)) is None, "versions are immutable"
    state.put(version_key(rec.record_id, rec.version), rec)
    state.put(record_key(rec.record_id), rec)
    if rec.version == 1:
        state.put(regno_key(rec.registration_number), rec.record_id.encode())


def put_notification(state: AppState, n: Notification) -> None:
    state.put(notification_key(n.notification_id), n)
    child = next(p.pseudonym for p in n.persons if p.role == CHILD)
    if n.status == PENDING:
        state.put(pending_key(n.notification_id), encode(n.height))
        state.put(person_key("notified", child), n.notification_id.encode())
    else:
        state.delete(pending_key(n.notification_id))
        state.delete(person_key("notified", child))


def index_persons(state: AppState, rec: VitalRecord) -> None:
    """Point the kind's person index at `rec` for every person in the indexed role."""
    if rec.kind not in INDEX_OF_KIND:
        return
    index, role = INDEX_OF_KIND[rec.kind]
    for p in rec.persons:
        if p.role == role:
            point_index(state, index, p.pseudonym, rec.record_id)


def point_index(state: AppState, index: str, pseudonym: bytes, record_id: str) -> None:
    """Point one person's `index` entry at `record_id`."""
    state.put(person_key(index, pseudonym), record_id.encode())


def unindex_persons(state: AppState, rec: VitalRecord) -> None:
    """Remove the index entries that point at `rec` (those pointing elsewhere stay)."""
    if rec.kind not in INDEX_OF_KIND:
        return
    index, role = INDEX_OF_KIND[rec.kind]
    for p in rec.persons:
        if p.role == role and indexed(state, index, p.pseudonym) == rec.record_id:
            state.delete(person_key(index, p.pseudonym))
