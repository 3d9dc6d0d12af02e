"""Privacy operations: who signs, the rules, and what each writes.

Rules
-----
- `set_purposes(role, purposes)`: purposes are identifiers, distinct, at most MAX_PURPOSES; an empty
  list removes the role's purposes. Governance decides who may (default: an `admin`).
- `register_data(registry, pseudonym, record_id, commitment)`: version 1 of a subject's data record.
  The signer is recorded as `registered_by`. A pseudonym belongs to the registry that first used it
  (`privacy.registry_mismatch`); the record id is new for the subject (`privacy.already_registered`);
  the commitment is new on the ledger (`privacy.commitment_exists`); an erased subject takes no new
  data (`privacy.subject_erased`).
- `rectify_data(pseudonym, record_id, commitment, reason)` (GDPR Art. 16): the record exists
  (`privacy.unknown_record`), is not erased, the commitment is new and differs from the current one
  (`privacy.unchanged`), a reason is given; writes version n+1, older versions stay.
- `log_access(request_id, pseudonym, record_id, version, purpose)`: signed by the requester alone.
  Their key must be an active member key (`privacy.not_a_member`) whose member holds a role allowed the
  purpose (`privacy.purpose_not_allowed`); the record and version exist; the subject is not erased;
  the request id is new for the subject (`privacy.request_exists`). The entry is what lets the vault
  serve exactly one read (see govledger.vault.access).
- `record_erasure(pseudonym, legal_basis, order_digest)` (GDPR Art. 17): the subject is known and not
  yet erased; the legal basis is one of Art. 17(1)(a)-(f). Nothing else is deleted or rewritten: the
  commitments stay (they reveal nothing once the vault destroys the key), so every past root, proof and
  `verify-chain` still holds. After it, no register, rectify or log_access for the subject succeeds.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.governance.app import member_of_key
from govledger.apps.privacy import store
from govledger.apps.privacy.errors import fail
from govledger.apps.privacy.model import (
    ACCESS_CURRENT,
    DIGEST_BYTES,
    LEGAL_BASES,
    MAX_PURPOSES,
    MAX_TEXT,
    MAX_VERSIONS,
    AccessEntry,
    DataVersion,
    Erasure,
    LogAccess,
    RecordErasure,
    RectifyData,
    RegisterData,
    RolePurposes,
    SetPurposes,
    Subject,
)
from govledger.apps.privacy.store import NAME
from govledger.ledger.app import (
    NOBODY_ELSE,
    AppState,
    AppView,
    Operation,
    Requirement,
    SignedBy,
    TxContext,
    event,
)
from govledger.ledger.block import Event

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


# --- shared checks ------------------------------------------------------------------------------------


def check_identifier(value: str, what: str, max_len: int = 64) -> None:
    ok = 0 < len(value) <= max_len and all(c in _ID_CHARS for c in value) and value[0].isalnum()
    if not ok:
        fail("privacy.bad_identifier", f"{what} {value!r} must be 1-{max_len} of [A-Za-z0-9._:-]")


def check_digest(value: bytes, what: str) -> None:
    if len(value) != DIGEST_BYTES:
        fail("privacy.bad_digest", f"{what} must be {DIGEST_BYTES} bytes, got {len(value)}")


def check_text(value: str, what: str, *, required: bool) -> None:
    if len(value) > MAX_TEXT or (required and not value.strip()):
        fail("privacy.bad_text", f"{what} must be {'1' if required else '0'}-{MAX_TEXT} characters")


def _not_erased(view: AppView, pseudonym: bytes) -> None:
    e = store.erasure(view, pseudonym)
    if e is not None:
        fail("privacy.subject_erased", f"the subject's data was erased at height {e.height}")


def _first_signer(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return SignedBy(ctx.first_signer_id)


def _nobody_else(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return NOBODY_ELSE


def _signer_member(view: AppView, ctx: TxContext) -> str:
    return member_of_key(view, ctx.first_signer_id) or ""


# --- set_purposes -------------------------------------------------------------------------------------


def _check_set_purposes(view: AppView, b: SetPurposes, ctx: TxContext) -> None:
    check_identifier(b.role, "role")
    if len(b.purposes) > MAX_PURPOSES or len(set(b.purposes)) != len(b.purposes):
        fail("privacy.bad_purposes", f"at most {MAX_PURPOSES} distinct purposes")
    for p in b.purposes:
        check_identifier(p, "purpose")


def _apply_set_purposes(state: AppState, b: SetPurposes, ctx: TxContext) -> list[Event]:
    store.put_purposes(state, RolePurposes(b.role, sorted(b.purposes), ctx.height))
    return [event(NAME, "purposes_set", f"role:{b.role}", purposes=",".join(sorted(b.purposes)))]


# --- register_data / rectify_data ---------------------------------------------------------------------


def _check_new_commitment(view: AppView, commitment: bytes) -> None:
    check_digest(commitment, "commitment")
    if store.commitment_ref(view, commitment) is not None:
        fail("privacy.commitment_exists", "that commitment is already registered")


def _check_register(view: AppView, b: RegisterData, ctx: TxContext) -> None:
    check_identifier(b.registry, "registry", 32)
    check_digest(b.pseudonym, "pseudonym")
    check_identifier(b.record_id, "record_id")
    _check_new_commitment(view, b.commitment)
    _not_erased(view, b.pseudonym)
    s = store.subject(view, b.pseudonym)
    if s is not None and s.registry != b.registry:
        fail("privacy.registry_mismatch", f"the pseudonym belongs to registry {s.registry!r}")
    if store.current(view, b.pseudonym, b.record_id) is not None:
        fail("privacy.already_registered", f"the subject already has data record {b.record_id!r}")


def _apply_register(state: AppState, b: RegisterData, ctx: TxContext) -> list[Event]:
    s = store.subject(state, b.pseudonym)
    if s is None:
        s = Subject(b.pseudonym, b.registry, ctx.height, ctx.time_ms, 0, 0)
    store.put_subject(state, msgspec.structs.replace(s, records=s.records + 1))
    by = ctx.first_signer_id
    store.put_version(
        state, DataVersion(b.pseudonym, b.record_id, 1, b.commitment, by, ctx.height, ctx.time_ms, "")
    )
    return [
        event(
            NAME,
            "data_registered",
            b.pseudonym.hex(),
            record_id=b.record_id,
            version=1,
            by=by,
            commitment=b.commitment,
        )
    ]


def _require_current(view: AppView, pseudonym: bytes, record_id: str) -> DataVersion:
    dv = store.current(view, pseudonym, record_id)
    if dv is None:
        fail("privacy.unknown_record", f"the subject has no data record {record_id!r}")
    return dv


def _check_rectify(view: AppView, b: RectifyData, ctx: TxContext) -> None:
    check_digest(b.pseudonym, "pseudonym")
    check_identifier(b.record_id, "record_id")
    check_text(b.reason, "reason", required=True)
    cur = _require_current(view, b.pseudonym, b.record_id)
    _not_erased(view, b.pseudonym)
    if b.commitment == cur.commitment:
        fail("privacy.unchanged", "the new commitment equals the current one")
    _check_new_commitment(view, b.commitment)
    if cur.version >= MAX_VERSIONS:
        fail("privacy.too_many_versions", f"a data record has at most {MAX_VERSIONS} versions")


def _apply_rectify(state: AppState, b: RectifyData, ctx: TxContext) -> list[Event]:
    cur = _require_current(state, b.pseudonym, b.record_id)
    by = ctx.first_signer_id
    v = cur.version + 1
    store.put_version(
        state, DataVersion(b.pseudonym, b.record_id, v, b.commitment, by, ctx.height, ctx.time_ms, b.reason)
    )
    return [
        event(
            NAME,
            "data_rectified",
            b.pseudonym.hex(),
            record_id=b.record_id,
            version=v,
            by=by,
            commitment=b.commitment,
        )
    ]


# --- log_access ---------------------------------------------------------------------------------------


def _check_log_access(view: AppView, b: LogAccess, ctx: TxContext) -> None:
    check_digest(b.request_id, "request_id")
    check_digest(b.pseudonym, "pseudonym")
    check_identifier(b.record_id, "record_id")
    check_identifier(b.purpose, "purpose")
    key_id = ctx.first_signer_id
    if not store.is_member_key(view, key_id):
        fail("privacy.not_a_member", f"key {key_id.hex()} is not an active member key")
    if store.read_allowed(view, key_id, b.purpose) is None:
        fail("privacy.purpose_not_allowed", f"no role of the requester may read for {b.purpose!r}")
    cur = _require_current(view, b.pseudonym, b.record_id)
    if b.version != ACCESS_CURRENT and not 1 <= b.version <= cur.version:
        fail("privacy.unknown_version", f"record {b.record_id!r} has versions 1..{cur.version}")
    _not_erased(view, b.pseudonym)
    if store.access_entry(view, b.pseudonym, b.request_id) is not None:
        fail("privacy.request_exists", f"request {b.request_id.hex()} is already logged")


def _apply_log_access(state: AppState, b: LogAccess, ctx: TxContext) -> list[Event]:
    key_id = ctx.first_signer_id
    member = store.read_allowed(state, key_id, b.purpose) or ""
    s = store.subject(state, b.pseudonym)
    assert s is not None, "a registered record has a subject"
    seq = s.accesses + 1
    store.put_subject(state, msgspec.structs.replace(s, accesses=seq))
    store.put_access(
        state,
        AccessEntry(
            seq,
            b.request_id,
            b.pseudonym,
            b.record_id,
            b.version,
            b.purpose,
            key_id,
            member,
            ctx.height,
            ctx.time_ms,
        ),
    )
    return [
        event(
            NAME,
            "access_logged",
            b.pseudonym.hex(),
            request_id=b.request_id,
            record_id=b.record_id,
            purpose=b.purpose,
            requester=key_id,
            member=member,
            seq=seq,
        )
    ]


# --- record_erasure -----------------------------------------------------------------------------------


def _check_erasure(view: AppView, b: RecordErasure, ctx: TxContext) -> None:
    check_digest(b.pseudonym, "pseudonym")
    check_digest(b.order_digest, "order_digest")
    if b.legal_basis not in LEGAL_BASES:
        fail("privacy.bad_legal_basis", f"legal_basis must be one of {', '.join(LEGAL_BASES)}")
    if store.subject(view, b.pseudonym) is None:
        fail("privacy.unknown_subject", "no data is registered for that pseudonym")
    if store.erasure(view, b.pseudonym) is not None:
        fail("privacy.already_erased", "an erasure is already recorded for that subject")


def _apply_erasure(state: AppState, b: RecordErasure, ctx: TxContext) -> list[Event]:
    key_id = ctx.first_signer_id
    member = _signer_member(state, ctx)
    store.put_erasure(
        state, Erasure(b.pseudonym, b.legal_basis, b.order_digest, key_id, member, ctx.height, ctx.time_ms)
    )
    return [event(NAME, "erasure_recorded", b.pseudonym.hex(), legal_basis=b.legal_basis, by=key_id)]


OPERATIONS: dict[str, Operation[Any]] = {
    "set_purposes": Operation(
        SetPurposes,
        _nobody_else,
        _check_set_purposes,
        _apply_set_purposes,
        "Set the purposes a role may read personal data for.",
    ),
    "register_data": Operation(
        RegisterData,
        _first_signer,
        _check_register,
        _apply_register,
        "Register version 1 of a subject's data record (its commitment).",
    ),
    "rectify_data": Operation(
        RectifyData,
        _first_signer,
        _check_rectify,
        _apply_rectify,
        "GDPR Art. 16: a new version with a new commitment; the old one stays.",
    ),
    "log_access": Operation(
        LogAccess,
        _first_signer,
        _check_log_access,
        _apply_log_access,
        "Log a read of personal data before the vault serves it (signed by the requester).",
    ),
    "record_erasure": Operation(
        RecordErasure,
        _first_signer,
        _check_erasure,
        _apply_erasure,
        "GDPR Art. 17: record the erasure the vault then executes by destroying the subject's key.",
    ),
}
