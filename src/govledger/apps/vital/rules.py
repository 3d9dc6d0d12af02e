"""Checks shared by the vital operations: shapes, times, the people on a record, their commitments.

Commitments are checked against the privacy app (read-only, `view.other("privacy")`): a person's
commitment must be registered for their pseudonym and be the *current* version of its data record,
and the person must not have been erased. So every commitment on a vital record points at data the
vault holds and the privacy app accounts for, and a rectified record cannot be re-used stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from govledger.apps.governance.app import get_member, member_of_key
from govledger.apps.privacy import store as privacy
from govledger.apps.vital import store
from govledger.apps.vital.errors import fail
from govledger.apps.vital.model import (
    CHILD,
    DIGEST_BYTES,
    MAX_PARENTS,
    MAX_TEXT,
    PARENT_ROLES,
    VOID,
    Person,
    VitalRecord,
)
from govledger.ledger.app import AppView, TxContext

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


def identifier(value: str, what: str) -> None:
    if not (0 < len(value) <= 64 and not set(value) - _ID_CHARS and value[0].isalnum()):
        fail("vital.bad_identifier", f"{what} {value!r} must be 1-64 of [A-Za-z0-9._:-]")


def text(value: str, what: str) -> None:
    if not value.strip() or len(value) > MAX_TEXT:
        fail("vital.bad_text", f"{what} must be 1-{MAX_TEXT} characters")


def digest(value: bytes, what: str) -> None:
    if len(value) != DIGEST_BYTES:
        fail("vital.bad_digest", f"{what} must be {DIGEST_BYTES} bytes (SHA-256)")


def not_future(time_ms: int, ctx: TxContext, what: str) -> None:
    if not 0 <= time_ms <= ctx.time_ms:
        fail("vital.bad_time", f"{what} {time_ms} is negative or after the block time {ctx.time_ms}")


def persons_shape(persons: Sequence[Person], roles: dict[str, tuple[int, int]]) -> None:
    """Each role's count within its (min, max); no other roles; no person twice; 32-byte values."""
    counts = {r: 0 for r in roles}
    for p in persons:
        if p.role not in counts:
            fail("vital.bad_persons", f"role {p.role!r} does not belong on this record")
        counts[p.role] += 1
        if len(p.pseudonym) != DIGEST_BYTES or len(p.commitment) != DIGEST_BYTES:
            fail("vital.bad_persons", "pseudonyms and commitments are 32 bytes")
    for r, (lo, hi) in roles.items():
        if not lo <= counts[r] <= hi:
            fail("vital.bad_persons", f"a record has {lo}..{hi} people as {r!r}")
    if len({p.pseudonym for p in persons}) != len(persons):
        fail("vital.bad_persons", "the same person appears twice")


def birth_persons(persons: Sequence[Person]) -> None:
    persons_shape(persons, {CHILD: (1, 1), **{r: (0, MAX_PARENTS) for r in PARENT_ROLES}})
    if sum(1 for p in persons if p.role in PARENT_ROLES) > MAX_PARENTS:
        fail("vital.bad_persons", f"a birth record names at most {MAX_PARENTS} parents")


def child_of(persons: Sequence[Person]) -> Person:
    return next(p for p in persons if p.role == CHILD)


def commitments_current(view: AppView, persons: Sequence[Person]) -> None:
    for p in persons:
        ref = privacy.commitment_ref(view, p.commitment)
        if ref is None or ref.pseudonym != p.pseudonym:
            fail("vital.commitment_unknown", f"the {p.role}'s commitment is not registered for them")
        if privacy.erasure(view, p.pseudonym) is not None:
            fail("vital.subject_erased", f"the {p.role}'s data was erased")
        cur = privacy.current(view, p.pseudonym, ref.record_id)
        if cur is None or cur.commitment != p.commitment:
            fail("vital.commitment_not_current", f"the {p.role}'s commitment was rectified since")


def require_record(view: AppView, record_id: str) -> VitalRecord:
    rec = store.record(view, record_id)
    if rec is None:
        fail("vital.unknown_record", f"no record {record_id!r}")
    return rec


def require_live(view: AppView, record_id: str, kind: str | None = None) -> VitalRecord:
    rec = require_record(view, record_id)
    if kind is not None and rec.kind != kind:
        fail("vital.wrong_kind", f"record {record_id!r} is a {rec.kind} record, not {kind}")
    if rec.status == VOID:
        fail("vital.record_void", f"record {record_id!r} is void")
    return rec


def new_record_id(view: AppView, record_id: str) -> None:
    identifier(record_id, "record_id")
    if store.record(view, record_id) is not None:
        fail("vital.record_exists", f"record {record_id!r} already exists")


def holder(view: AppView, ctx: TxContext, role: str) -> tuple[bytes, str]:
    """(key id, member id) of the first signer whose member holds `role`; else the first signer.

    Governance policies make sure such a signer exists; the fallback keeps `apply` total if a network
    chose other roles.
    """
    for pk in ctx.signers:
        kid = pk.key_id()
        mid = member_of_key(view, kid)
        m = None if mid is None else get_member(view, mid)
        if m is not None and role in m.roles:
            return kid, m.member_id
    first = ctx.first_signer_id
    return first, member_of_key(view, first) or ""
