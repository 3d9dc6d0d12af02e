"""The privacy app's key space, and the only module that reads or writes it.

Key space (app-relative; record ids, roles and purposes never contain '/'; `<p>` is the pseudonym
and `<c>`, `<r>` a commitment and a request id, all in lower-case hex):

    purposes/<role>                   -> RolePurposes   which purposes a role may read for
    subject/<p>                       -> Subject        registry scope, first registration, record count
    data/<p>/<record id>              -> DataVersion    the current version (the current pointer)
    version/<p>/<record id>/<v, 4 d>  -> DataVersion    every version, never rewritten nor deleted
    commitment/<c>                    -> CommitmentRef  where a commitment lives (uniqueness index)
    access/<p>/<seq, 10 digits>       -> AccessEntry    the access log, per subject, in order
    request/<p>/<r>                   -> seq            index: the vault finds an entry by request id
    erasure/<p>                       -> Erasure        the subject's data was ordered erased

`read_allowed` is the one definition of "may this key read for this purpose": the app's `log_access`
check and the vault's read path both call it, so the ledger and the vault cannot disagree.
"""

from __future__ import annotations

from govledger.apps.governance.app import get_member, member_of_key
from govledger.apps.privacy.model import (
    AccessEntry,
    CommitmentRef,
    DataVersion,
    Erasure,
    RolePurposes,
    Subject,
)
from govledger.codec import encode
from govledger.ledger.app import AppState, AppView

NAME = "privacy"


def _hex(b: bytes) -> bytes:
    return b.hex().encode()


def purposes_key(role: str) -> bytes:
    return b"purposes/" + role.encode()


def subject_key(pseudonym: bytes) -> bytes:
    return b"subject/" + _hex(pseudonym)


def head_key(pseudonym: bytes, record_id: str) -> bytes:
    return b"data/" + _hex(pseudonym) + b"/" + record_id.encode()


def version_key(pseudonym: bytes, record_id: str, version: int) -> bytes:
    return b"version/" + _hex(pseudonym) + b"/" + record_id.encode() + b"/" + b"%04d" % version


def commitment_key(commitment: bytes) -> bytes:
    return b"commitment/" + _hex(commitment)


def access_key(pseudonym: bytes, seq: int) -> bytes:
    return b"access/" + _hex(pseudonym) + b"/" + b"%010d" % seq


def request_key(pseudonym: bytes, request_id: bytes) -> bytes:
    return b"request/" + _hex(pseudonym) + b"/" + _hex(request_id)


def erasure_key(pseudonym: bytes) -> bytes:
    return b"erasure/" + _hex(pseudonym)


# --- reads (any app's view: `view.other(NAME)` is taken here) -----------------------------------------


def _v(view: AppView) -> AppView:
    return view if view.app == NAME else view.other(NAME)


def role_purposes(view: AppView, role: str) -> RolePurposes | None:
    return _v(view).get_as(purposes_key(role), RolePurposes)


def subject(view: AppView, pseudonym: bytes) -> Subject | None:
    return _v(view).get_as(subject_key(pseudonym), Subject)


def current(view: AppView, pseudonym: bytes, record_id: str) -> DataVersion | None:
    return _v(view).get_as(head_key(pseudonym, record_id), DataVersion)


def version(view: AppView, pseudonym: bytes, record_id: str, v: int) -> DataVersion | None:
    return _v(view).get_as(version_key(pseudonym, record_id, v), DataVersion)


def commitment_ref(view: AppView, commitment: bytes) -> CommitmentRef | None:
    return _v(view).get_as(commitment_key(commitment), CommitmentRef)


def access_at(view: AppView, pseudonym: bytes, seq: int) -> AccessEntry | None:
    return _v(view).get_as(access_key(pseudonym, seq), AccessEntry)


def access_entry(view: AppView, pseudonym: bytes, request_id: bytes) -> AccessEntry | None:
    """The entry logged under `request_id` for the subject (two proved keys: the index, the entry)."""
    seq = _v(view).get_as(request_key(pseudonym, request_id), int)
    return None if seq is None else access_at(view, pseudonym, seq)


def erasure(view: AppView, pseudonym: bytes) -> Erasure | None:
    return _v(view).get_as(erasure_key(pseudonym), Erasure)


def read_allowed(view: AppView, key_id: bytes, purpose: str) -> str | None:
    """The member id if `key_id` is an active member key with a role allowed `purpose`, else None.

    Roles are visited in the member's (sorted) order, so the answer never depends on dict order.
    """
    member_id = member_of_key(view, key_id)
    if member_id is None:
        return None
    member = get_member(view, member_id)
    if member is None:
        return None
    for role in member.roles:
        rp = role_purposes(view, role)
        if rp is not None and purpose in rp.purposes:
            return member_id
    return None


def is_member_key(view: AppView, key_id: bytes) -> bool:
    return member_of_key(view, key_id) is not None


# --- writes -------------------------------------------------------------------------------------------


def put_purposes(state: AppState, rp: RolePurposes) -> None:
    if rp.purposes:
        state.put(purposes_key(rp.role), rp)
    else:
        state.delete(purposes_key(rp.role))


def put_subject(state: AppState, s: Subject) -> None:
    state.put(subject_key(s.pseudonym), s)


def put_version(state: AppState, dv: DataVersion) -> None:
    """A new version: written once at its own key and as the current pointer, plus the commitment index."""
    assert state.get(version_key(dv.pseudonym, dv.record_id, dv.version)) is None, "versions are immutable"
    state.put(version_key(dv.pseudonym, dv.record_id, dv.version), dv)
    state.put(head_key(dv.pseudonym, dv.record_id), dv)
    state.put(commitment_key(dv.commitment), CommitmentRef(dv.pseudonym, dv.record_id, dv.version))


def put_access(state: AppState, entry: AccessEntry) -> None:
    state.put(access_key(entry.pseudonym, entry.seq), entry)
    state.put(request_key(entry.pseudonym, entry.request_id), encode(entry.seq))


def put_erasure(state: AppState, e: Erasure) -> None:
    state.put(erasure_key(e.pseudonym), e)
