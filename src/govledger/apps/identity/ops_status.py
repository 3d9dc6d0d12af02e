"""Status lists as ledger state: create, allocate indices, revoke / suspend / reinstate.

Rules
-----
- `status_list_create`: a new id (`identity.list_exists`); issuer a DID (`identity.bad_did`); URI
  1-200 characters; `bits` 1 (valid/revoked) or 2 (also suspended); 131,072 <= size <= 1,048,576,
  a multiple of 8 (`identity.bad_list`). The signers become the list's owners. When the issuer is a
  did:govledger DID of this chain, its controllers (threshold) must sign (`identity.not_list_issuer`
  when it does not exist or is deactivated), so nobody else can open a list in its name.
- `status_allocate`: 1-256 new indices (`identity.bad_count`), one owner signs. Indices are
  pseudorandom, derived from the transaction id (`status_list.ledger_index`), retried on collision
  and, after 256 tries, probed linearly, so allocation never fails while the list is below 7/8
  full (`identity.list_full`): a verifier seeing an index learns nothing about issuance order. An
  optional 32-byte `subject_ref` binds the entries to a registry record (at most 64 per record,
  `identity.subject_full`), for "revoke when the record changes".
- `status_set`: 1-256 distinct allocated indices (`identity.bad_indices`, `identity.not_allocated`)
  to 0 valid (reinstate), 1 revoked, 2 suspended (2-bit lists only, `identity.bad_status`). Revoked
  is final (`identity.status_final`). One owner signs. The list's version bumps, so published
  copies can be cached by version.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.identity import store
from govledger.apps.identity.errors import fail
from govledger.apps.identity.model import (
    StatusAllocate,
    StatusList,
    StatusListCreate,
    StatusSet,
    SubjectIndices,
)
from govledger.apps.identity.ops_did import check_id, controllers, valid_id
from govledger.identity.did import is_did
from govledger.identity.status_list import INVALID, W3C_MIN_ENTRIES, ledger_index
from govledger.ledger.app import (
    NOBODY_ELSE,
    AppState,
    AppView,
    Operation,
    Requirement,
    SignedBy,
    Threshold,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "identity"
MAX_LIST_ENTRIES = 1 << 20
MAX_BATCH = 256
MAX_PER_SUBJECT = 64
RANDOM_TRIES = 256


def _ledger_did_id(issuer_did: str, chain_id: str) -> str | None:
    prefix = f"did:govledger:{chain_id}:"
    return issuer_did[len(prefix) :] if issuer_did.startswith(prefix) else None


def _signers_create(view: AppView, b: StatusListCreate, ctx: TxContext) -> Requirement:
    did_id = _ledger_did_id(b.issuer_did, ctx.chain_id)
    if did_id is None:
        return NOBODY_ELSE  # an off-ledger issuer DID: the signers become the owners
    rec = store.get_did(view, did_id) if valid_id(did_id) else None
    if rec is None or rec.deactivated:
        fail("identity.not_list_issuer", f"{b.issuer_did[:80]} is not an active DID of this ledger")
    return Threshold(k=rec.threshold, of=[SignedBy(kid) for kid in controllers(rec.keys)])


def _check_create(view: AppView, b: StatusListCreate, ctx: TxContext) -> None:
    check_id(b.list_id, "list id")
    if not is_did(b.issuer_did):
        fail("identity.bad_did", f"{b.issuer_did[:80]!r} is not a DID")
    if not 0 < len(b.uri) <= 200:
        fail("identity.bad_text", "a list URI is 1-200 characters")
    if b.bits not in (1, 2) or not W3C_MIN_ENTRIES <= b.size <= MAX_LIST_ENTRIES or b.size % 8:
        fail(
            "identity.bad_list",
            f"bits is 1 or 2; size a multiple of 8 in {W3C_MIN_ENTRIES}..{MAX_LIST_ENTRIES}",
        )
    if store.get_list(view, b.list_id) is not None:
        fail("identity.list_exists", f"status list {b.list_id!r} exists")


def _apply_create(state: AppState, b: StatusListCreate, ctx: TxContext) -> list[Event]:
    lst = StatusList(
        b.list_id,
        b.issuer_did,
        b.uri,
        b.size,
        b.bits,
        sorted(ctx.signer_ids),
        0,
        1,
        ctx.height,
        ctx.height,
        ctx.time_ms,
    )
    store.put_list(state, lst)
    return [event(NAME, "status_list_created", b.list_id, issuer=b.issuer_did, size=b.size, bits=b.bits)]


def _load(view: AppView, list_id: str) -> StatusList:
    lst = store.get_list(view, list_id) if valid_id(list_id) else None
    if lst is None:
        fail("identity.unknown_list", f"no status list {list_id[:80]!r}")
    return lst


def _owner_signs(view: AppView, b: StatusAllocate | StatusSet, ctx: TxContext) -> Requirement:
    lst = _load(view, b.list_id)
    return Threshold(k=1, of=[SignedBy(kid) for kid in lst.owners])


# --- allocate -----------------------------------------------------------------------------------------


def _check_allocate(view: AppView, b: StatusAllocate, ctx: TxContext) -> None:
    lst = _load(view, b.list_id)
    if not 1 <= b.count <= MAX_BATCH:
        fail("identity.bad_count", f"allocate 1-{MAX_BATCH} indices at a time")
    if len(b.subject_ref) not in (0, 32):
        fail("identity.bad_subject_ref", "a subject reference is empty or 32 bytes")
    if lst.allocated + b.count > lst.size * 7 // 8:
        fail("identity.list_full", f"{lst.list_id} has {lst.allocated} of {lst.size} entries allocated")
    if b.subject_ref:
        bound = store.get_binding(view, b.list_id, b.subject_ref)
        if (len(bound.indices) if bound else 0) + b.count > MAX_PER_SUBJECT:
            fail("identity.subject_full", f"a record is bound to at most {MAX_PER_SUBJECT} entries")


def pick_index(view: AppView, lst: StatusList, tx_id: bytes, ordinal: int) -> int:
    """The index the ordinal-th allocation of a transaction gets (deterministic, pseudorandom)."""
    candidate = 0
    for attempt in range(RANDOM_TRIES):
        candidate = ledger_index(tx_id, lst.list_id, ordinal, attempt, lst.size)
        if not store.is_allocated(view, lst.list_id, candidate):
            return candidate
    # Below 7/8 full, 256 misses in a row happen with probability < 1e-14; probe so it never fails.
    for step in range(1, lst.size):
        probe = (candidate + step) % lst.size
        if not store.is_allocated(view, lst.list_id, probe):
            return probe
    raise AssertionError("check guarantees a free index")


def _apply_allocate(state: AppState, b: StatusAllocate, ctx: TxContext) -> list[Event]:
    lst = _load(state, b.list_id)
    indices = []
    for ordinal in range(b.count):
        idx = pick_index(state, lst, ctx.tx_id, ordinal)
        store.mark_allocated(state, lst.list_id, idx)
        indices.append(idx)
    store.put_list(
        state,
        StatusList(
            lst.list_id, lst.issuer_did, lst.uri, lst.size, lst.bits, lst.owners, lst.allocated + b.count,
            lst.version, lst.created_height, ctx.height, ctx.time_ms,
        ),
    )  # fmt: skip
    if b.subject_ref:
        bound = store.get_binding(state, b.list_id, b.subject_ref)
        store.put_binding(
            state, SubjectIndices(b.list_id, b.subject_ref, [*(bound.indices if bound else []), *indices])
        )
    return [event(NAME, "allocated", b.list_id, indices=",".join(map(str, indices)), uri=lst.uri)]


# --- set ----------------------------------------------------------------------------------------------


def _check_set(view: AppView, b: StatusSet, ctx: TxContext) -> None:
    lst = _load(view, b.list_id)
    if not 1 <= len(b.indices) <= MAX_BATCH or len(set(b.indices)) != len(b.indices):
        fail("identity.bad_indices", f"1-{MAX_BATCH} distinct indices")
    if any(not 0 <= i < lst.size for i in b.indices):
        fail("identity.bad_indices", f"indices are in 0..{lst.size - 1}")
    if not 0 <= b.status < (1 << lst.bits) or b.status > 2:
        fail("identity.bad_status", f"a {lst.bits}-bit list holds statuses 0..{min(2, (1 << lst.bits) - 1)}")
    if len(b.reason) > 200:
        fail("identity.bad_text", "a reason is at most 200 characters")
    for i in b.indices:
        if not store.is_allocated(view, lst.list_id, i):
            fail("identity.not_allocated", f"index {i} was never allocated")
        if store.status_value(view, lst, i) == INVALID:
            fail("identity.status_final", f"index {i} is revoked")


def _apply_set(state: AppState, b: StatusSet, ctx: TxContext) -> list[Event]:
    lst = _load(state, b.list_id)
    for i in b.indices:
        store.set_status(state, lst, i, b.status)
    store.put_list(
        state,
        StatusList(
            lst.list_id, lst.issuer_did, lst.uri, lst.size, lst.bits, lst.owners, lst.allocated,
            lst.version + 1, lst.created_height, ctx.height, ctx.time_ms,
        ),
    )  # fmt: skip
    kind = {0: "reinstated", 1: "revoked", 2: "suspended"}[b.status]
    return [event(NAME, kind, b.list_id, indices=",".join(map(str, b.indices)), reason=b.reason)]


OPERATIONS: dict[str, Operation[Any]] = {
    "status_list_create": Operation(
        StatusListCreate, _signers_create, _check_create, _apply_create, "Open a status list for an issuer."
    ),
    "status_allocate": Operation(
        StatusAllocate, _owner_signs, _check_allocate, _apply_allocate, "Allocate unlinkable status indices."
    ),
    "status_set": Operation(
        StatusSet, _owner_signs, _check_set, _apply_set, "Revoke, suspend or reinstate entries."
    ),
}
