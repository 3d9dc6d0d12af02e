"""Document store operations: OpenAttestation's DocumentStore contract, as ledger transactions.

Rules
-----
- `create_store` (the future owner key + one `issuer` member): a valid name (`documents.bad_name`)
  whose derived address is new (`documents.store_exists`); owner is a 20-byte key id.
- `issue` (the store's owner key + one `issuer`): 1-256 distinct 32-byte merkleRoots
  (`documents.too_many`, `documents.duplicate`, `documents.bad_hash`), none issued before
  (`documents.already_issued`). Issuing a root covers every document of its batch.
- `revoke_document` (owner + `issuer`): 1-256 distinct hashes, each a document's targetHash or a node
  on a batch's proof path (revoking a node revokes its subtree), none revoked before
  (`documents.already_revoked`); a short reason code (`documents.bad_reason`). A targetHash is not
  known to the ledger (only roots are), so it need not be issued: revoking early is allowed.
- `revoke_batch` (owner + `issuer`): the merkleRoot must have been issued here (`documents.not_issued`)
  and not revoked yet.
- `transfer_store_owner` (current owner + new owner + `issuer`): to a different key (`documents.same_owner`).
Unknown store: `documents.unknown_store`. Every rule is checked in `signers` or `check`; `apply` only
writes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.documents import rules, store
from govledger.apps.documents.errors import fail
from govledger.apps.documents.model import (
    BATCH,
    DOCUMENT,
    MAX_HASHES_PER_REVOKE,
    MAX_ROOTS_PER_ISSUE,
    CreateStore,
    DocumentStore,
    Issuance,
    Issue,
    Revocation,
    RevokeBatch,
    RevokeDocument,
    TransferStoreOwner,
)
from govledger.ledger.app import (
    AllOf,
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

NAME = "documents"
# The app itself demands an issuer (fail closed if a network forgot the governance policy).
ISSUER = HasRole(role="issuer")


def _owner_and_issuer(owner: bytes) -> Requirement:
    return AllOf(of=[SignedBy(owner), ISSUER])


# --- create_store -----------------------------------------------------------------------------------


def _shape_create(b: CreateStore) -> None:
    rules.name(b.name)
    rules.key_id(b.owner, "owner")


def _signers_create(view: AppView, b: CreateStore, ctx: TxContext) -> Requirement:
    _shape_create(b)
    return _owner_and_issuer(b.owner)


def _check_create(view: AppView, b: CreateStore, ctx: TxContext) -> None:
    _shape_create(b)
    address = store.derive_address(ctx.chain_id, store.STORE_KIND, b.name)
    if store.get_store(view, address) is not None:
        fail("documents.store_exists", f"store {b.name!r} (0x{address.hex()}) exists")


def _apply_create(state: AppState, b: CreateStore, ctx: TxContext) -> list[Event]:
    address = store.derive_address(ctx.chain_id, store.STORE_KIND, b.name)
    store.put_store(state, DocumentStore(address, b.name, b.owner, ctx.height, ctx.time_ms))
    return [event(NAME, "store_created", "0x" + address.hex(), name=b.name, owner=b.owner)]


# --- issue ------------------------------------------------------------------------------------------


def _signers_store_owner(
    view: AppView, b: Issue | RevokeDocument | RevokeBatch, ctx: TxContext
) -> Requirement:
    rules.address(b.store, "store")
    return _owner_and_issuer(store.load_store(view, b.store).owner)


def _check_issue(view: AppView, b: Issue, ctx: TxContext) -> None:
    rules.address(b.store, "store")
    rules.hashes(b.merkle_roots, MAX_ROOTS_PER_ISSUE, "merkle_roots")
    store.load_store(view, b.store)
    for root in b.merkle_roots:
        if store.get_issuance(view, b.store, root) is not None:
            fail("documents.already_issued", f"merkleRoot {root.hex()} is already issued")


def _apply_issue(state: AppState, b: Issue, ctx: TxContext) -> list[Event]:
    s = store.load_store(state, b.store)
    signer_ids = sorted(ctx.signer_ids)
    for root in b.merkle_roots:
        store.put_issuance(state, b.store, Issuance(root, ctx.height, ctx.time_ms, ctx.tx_id, signer_ids))
    store.put_store(state, msgspec.structs.replace(s, issued_count=s.issued_count + len(b.merkle_roots)))
    subject = "0x" + b.store.hex()
    return [event(NAME, "issued", subject, merkle_root=root) for root in b.merkle_roots]


# --- revoke -----------------------------------------------------------------------------------------


def _check_revoke_document(view: AppView, b: RevokeDocument, ctx: TxContext) -> None:
    rules.address(b.store, "store")
    rules.hashes(b.hashes, MAX_HASHES_PER_REVOKE, "hashes")
    rules.reason(b.reason)
    store.load_store(view, b.store)
    for h in b.hashes:
        if store.get_revocation(view, b.store, h) is not None:
            fail("documents.already_revoked", f"hash {h.hex()} is already revoked")


def _revoke(
    state: AppState, address: bytes, hashes: list[bytes], kind: str, reason: str, ctx: TxContext
) -> list[Event]:
    s = store.load_store(state, address)
    for h in hashes:
        store.put_revocation(state, address, Revocation(h, kind, reason, ctx.height, ctx.time_ms, ctx.tx_id))
    store.put_store(state, msgspec.structs.replace(s, revoked_count=s.revoked_count + len(hashes)))
    subject = "0x" + address.hex()
    return [event(NAME, "revoked", subject, hash=h, kind=kind, reason=reason) for h in hashes]


def _apply_revoke_document(state: AppState, b: RevokeDocument, ctx: TxContext) -> list[Event]:
    return _revoke(state, b.store, b.hashes, DOCUMENT, b.reason, ctx)


def _check_revoke_batch(view: AppView, b: RevokeBatch, ctx: TxContext) -> None:
    rules.address(b.store, "store")
    rules.hash32(b.merkle_root, "merkle_root")
    rules.reason(b.reason)
    store.load_store(view, b.store)
    if store.get_issuance(view, b.store, b.merkle_root) is None:
        fail("documents.not_issued", f"merkleRoot {b.merkle_root.hex()} was never issued here")
    if store.get_revocation(view, b.store, b.merkle_root) is not None:
        fail("documents.already_revoked", f"merkleRoot {b.merkle_root.hex()} is already revoked")


def _apply_revoke_batch(state: AppState, b: RevokeBatch, ctx: TxContext) -> list[Event]:
    return _revoke(state, b.store, [b.merkle_root], BATCH, b.reason, ctx)


# --- transfer_store_owner ---------------------------------------------------------------------------


def _signers_transfer(view: AppView, b: TransferStoreOwner, ctx: TxContext) -> Requirement:
    rules.address(b.store, "store")
    rules.key_id(b.new_owner, "new_owner")
    return AllOf(of=[SignedBy(store.load_store(view, b.store).owner), SignedBy(b.new_owner), ISSUER])


def _check_transfer(view: AppView, b: TransferStoreOwner, ctx: TxContext) -> None:
    rules.address(b.store, "store")
    rules.key_id(b.new_owner, "new_owner")
    if store.load_store(view, b.store).owner == b.new_owner:
        fail("documents.same_owner", "the new owner is the current owner")


def _apply_transfer(state: AppState, b: TransferStoreOwner, ctx: TxContext) -> list[Event]:
    s = store.load_store(state, b.store)
    store.put_store(state, msgspec.structs.replace(s, owner=b.new_owner))
    return [event(NAME, "store_owner_changed", "0x" + b.store.hex(), owner=b.new_owner)]


OPERATIONS: dict[str, Operation[Any]] = {
    "create_store": Operation(
        CreateStore, _signers_create, _check_create, _apply_create, "Create a document store."
    ),
    "issue": Operation(
        Issue, _signers_store_owner, _check_issue, _apply_issue, "Issue batches by merkleRoot."
    ),
    "revoke_document": Operation(
        RevokeDocument,
        _signers_store_owner,
        _check_revoke_document,
        _apply_revoke_document,
        "Revoke documents by targetHash (or subtrees by node hash).",
    ),
    "revoke_batch": Operation(
        RevokeBatch, _signers_store_owner, _check_revoke_batch, _apply_revoke_batch, "Revoke an issued batch."
    ),
    "transfer_store_owner": Operation(
        TransferStoreOwner,
        _signers_transfer,
        _check_transfer,
        _apply_transfer,
        "Hand a store to a new owner key.",
    ),
}
