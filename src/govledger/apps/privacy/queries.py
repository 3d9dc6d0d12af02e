"""Privacy queries: read-only, key by key, so the node proves every value (or absence) it returns."""

from __future__ import annotations

from typing import Any

from govledger.apps.privacy import store
from govledger.apps.privacy.model import (
    AccessEntry,
    AccessPage,
    ByRecord,
    ByRole,
    BySubject,
    DataRecordAnswer,
    RolePurposes,
    SubjectAnswer,
)
from govledger.ledger.app import AppView, Query

MAX_PAGE = 200


def purposes(view: AppView, p: ByRole) -> RolePurposes | None:
    return store.role_purposes(view, p.role)


def subject(view: AppView, p: BySubject) -> SubjectAnswer:
    return SubjectAnswer(store.subject(view, p.pseudonym), store.erasure(view, p.pseudonym))


def data_record(view: AppView, p: ByRecord) -> DataRecordAnswer:
    """The current version, every version (oldest first) and the erasure, if any."""
    cur = store.current(view, p.pseudonym, p.record_id)
    versions = []
    for v in range(1, (cur.version if cur else 0) + 1):
        dv = store.version(view, p.pseudonym, p.record_id, v)
        assert dv is not None, "a data record's versions are never deleted"
        versions.append(dv)
    return DataRecordAnswer(cur, versions, store.erasure(view, p.pseudonym))


def access_log(view: AppView, p: AccessPage) -> list[AccessEntry]:
    """Entries `from_seq`.. in log order (a data subject's Art. 15 view of who read what, when).

    Read key by key up to the subject's proved `accesses` counter, so a page is provably complete.
    """
    s = store.subject(view, p.pseudonym)
    if s is None:
        return []
    first = max(p.from_seq, 1)
    last = min(s.accesses, first + min(max(p.limit, 1), MAX_PAGE) - 1)
    out = []
    for seq in range(first, last + 1):
        e = store.access_at(view, p.pseudonym, seq)
        assert e is not None, "the access log has no gaps"
        out.append(e)
    return out


QUERIES: dict[str, Query[Any]] = {
    "purposes": Query(ByRole, purposes, "The purposes a role may read personal data for."),
    "subject": Query(BySubject, subject, "A pseudonymous subject: registry, record count, erasure."),
    "data_record": Query(ByRecord, data_record, "A data record's commitments, every version."),
    "access_log": Query(AccessPage, access_log, "Who read a subject's data, for what, when."),
}
