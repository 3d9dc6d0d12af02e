"""Transferable records (TradeTrust title documents, electronic bills of lading) in token registries.

A transferable document is wrapped alone, so its merkleRoot is its id: minting it in a registry
creates its title escrow, with a **beneficiary** (who owns the goods or title) and a **holder** (who
holds the document now: the shipper, a bank, the consignee). Each change writes the next entry of its
endorsement chain (`store.write_token`), which is the record's history.

Rules (TradeTrust TitleEscrow semantics; the registry's own keys decide nothing but mint and burn)
-----
- `create_registry` (owner key + one `issuer`): as `create_store` (`documents.registry_exists`).
- `mint` (registry owner + `issuer`): a new 32-byte token id, never minted before, even if burned
  since (`documents.token_exists`); beneficiary and holder are 20-byte key ids.
- `transfer_holder` (the holder): to another key (`documents.same_party`).
- `nominate` (the beneficiary): names the next beneficiary (not itself: `documents.same_party`).
- `endorse_beneficiary` (the holder): makes the nominee beneficiary (`documents.not_nominated` for
  anyone else); a holder who is also the beneficiary may endorse anyone. Clears the nomination.
- `transfer_owners` (beneficiary and holder): new beneficiary and holder at once (at least one differs).
- `surrender` (beneficiary and holder): returns the record to the issuer: state `surrendered`.
- `accept_surrender` (registry owner): burns it (state `burned`, final: the goods were delivered or the
  title cancelled). `reject_surrender` (registry owner): back to `active` with the same parties.
Every operation but the registry's needs the record `active` (`documents.token_not_active`); accept
and reject need it `surrendered` (`documents.not_surrendered`). Unknown: `documents.unknown_registry`,
`documents.unknown_token`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.documents import rules, store
from govledger.apps.documents.errors import fail
from govledger.apps.documents.model import (
    ACTIVE,
    BURNED,
    SURRENDERED,
    CreateRegistry,
    EndorseBeneficiary,
    Mint,
    Nominate,
    Token,
    TokenRef,
    TokenRegistry,
    TransferHolder,
    TransferOwners,
)
from govledger.apps.documents.ops_stores import ISSUER, NAME
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, SignedBy, TxContext, event
from govledger.ledger.block import Event


def _subject(t: Token | TokenRef) -> str:
    return "0x" + t.registry.hex() + "/" + t.token_id.hex()


def _ref(registry: bytes, token_id: bytes) -> None:
    rules.address(registry, "registry")
    rules.hash32(token_id, "token_id")


def _active(view: AppView, registry: bytes, token_id: bytes) -> Token:
    _ref(registry, token_id)
    t = store.load_token(view, registry, token_id)
    if t.state != ACTIVE:
        fail("documents.token_not_active", f"the record is {t.state}")
    return t


def _changed(t: Token, **changes: Any) -> Token:
    return msgspec.structs.replace(t, version=t.version + 1, **changes)


def _emit(t: Token, action: str) -> list[Event]:
    return [event(NAME, action, _subject(t), beneficiary=t.beneficiary, holder=t.holder, state=t.state)]


# --- create_registry and mint (the registry's owner) ------------------------------------------------


def _signers_create(view: AppView, b: CreateRegistry, ctx: TxContext) -> Requirement:
    rules.name(b.name)
    rules.key_id(b.owner, "owner")
    return AllOf(of=[SignedBy(b.owner), ISSUER])


def _check_create(view: AppView, b: CreateRegistry, ctx: TxContext) -> None:
    rules.name(b.name)
    rules.key_id(b.owner, "owner")
    address = store.derive_address(ctx.chain_id, store.REGISTRY_KIND, b.name)
    if store.get_registry(view, address) is not None:
        fail("documents.registry_exists", f"registry {b.name!r} (0x{address.hex()}) exists")


def _apply_create(state: AppState, b: CreateRegistry, ctx: TxContext) -> list[Event]:
    address = store.derive_address(ctx.chain_id, store.REGISTRY_KIND, b.name)
    store.put_registry(state, TokenRegistry(address, b.name, b.owner, ctx.height, ctx.time_ms))
    return [event(NAME, "registry_created", "0x" + address.hex(), name=b.name, owner=b.owner)]


def _signers_mint(view: AppView, b: Mint, ctx: TxContext) -> Requirement:
    rules.address(b.registry, "registry")
    return AllOf(of=[SignedBy(store.load_registry(view, b.registry).owner), ISSUER])


def _check_mint(view: AppView, b: Mint, ctx: TxContext) -> None:
    _ref(b.registry, b.token_id)
    rules.key_id(b.beneficiary, "beneficiary")
    rules.key_id(b.holder, "holder")
    store.load_registry(view, b.registry)
    if store.get_token(view, b.registry, b.token_id) is not None:
        fail("documents.token_exists", f"token {b.token_id.hex()} was minted before")


def _apply_mint(state: AppState, b: Mint, ctx: TxContext) -> list[Event]:
    r = store.load_registry(state, b.registry)
    t = Token(b.registry, b.token_id, ACTIVE, b.beneficiary, b.holder, b"", 1, ctx.height)
    store.write_token(state, t, "minted", ctx)
    store.put_registry(state, msgspec.structs.replace(r, minted_count=r.minted_count + 1))
    return _emit(t, "minted")


# --- the holder and the beneficiary -----------------------------------------------------------------


def _signers_holder(view: AppView, b: TransferHolder | EndorseBeneficiary, ctx: TxContext) -> Requirement:
    _ref(b.registry, b.token_id)
    return SignedBy(store.load_token(view, b.registry, b.token_id).holder)


def _signers_beneficiary(view: AppView, b: Nominate, ctx: TxContext) -> Requirement:
    _ref(b.registry, b.token_id)
    return SignedBy(store.load_token(view, b.registry, b.token_id).beneficiary)


def _signers_both(view: AppView, b: TransferOwners | TokenRef, ctx: TxContext) -> Requirement:
    _ref(b.registry, b.token_id)
    t = store.load_token(view, b.registry, b.token_id)
    return AllOf(of=[SignedBy(t.beneficiary), SignedBy(t.holder)])


def _check_transfer_holder(view: AppView, b: TransferHolder, ctx: TxContext) -> None:
    t = _active(view, b.registry, b.token_id)
    rules.key_id(b.new_holder, "new_holder")
    if b.new_holder == t.holder:
        fail("documents.same_party", "the new holder is the current holder")


def _apply_transfer_holder(state: AppState, b: TransferHolder, ctx: TxContext) -> list[Event]:
    t = _changed(store.load_token(state, b.registry, b.token_id), holder=b.new_holder)
    store.write_token(state, t, "holder_transferred", ctx)
    return _emit(t, "holder_transferred")


def _check_nominate(view: AppView, b: Nominate, ctx: TxContext) -> None:
    t = _active(view, b.registry, b.token_id)
    rules.key_id(b.nominee, "nominee")
    if b.nominee in (t.beneficiary, t.nominee):
        fail("documents.same_party", "the nominee is already the beneficiary or the nominee")


def _apply_nominate(state: AppState, b: Nominate, ctx: TxContext) -> list[Event]:
    t = _changed(store.load_token(state, b.registry, b.token_id), nominee=b.nominee)
    store.write_token(state, t, "nominated", ctx)
    return _emit(t, "nominated")


def _check_endorse(view: AppView, b: EndorseBeneficiary, ctx: TxContext) -> None:
    t = _active(view, b.registry, b.token_id)
    rules.key_id(b.new_beneficiary, "new_beneficiary")
    if b.new_beneficiary == t.beneficiary:
        fail("documents.same_party", "the new beneficiary is the current beneficiary")
    if t.holder != t.beneficiary and b.new_beneficiary != t.nominee:
        fail("documents.not_nominated", "the beneficiary has not nominated that key")


def _apply_endorse(state: AppState, b: EndorseBeneficiary, ctx: TxContext) -> list[Event]:
    t = store.load_token(state, b.registry, b.token_id)
    t = _changed(t, beneficiary=b.new_beneficiary, nominee=b"")
    store.write_token(state, t, "beneficiary_endorsed", ctx)
    return _emit(t, "beneficiary_endorsed")


def _check_transfer_owners(view: AppView, b: TransferOwners, ctx: TxContext) -> None:
    t = _active(view, b.registry, b.token_id)
    rules.key_id(b.new_beneficiary, "new_beneficiary")
    rules.key_id(b.new_holder, "new_holder")
    if (b.new_beneficiary, b.new_holder) == (t.beneficiary, t.holder):
        fail("documents.same_party", "the new beneficiary and holder are the current ones")


def _apply_transfer_owners(state: AppState, b: TransferOwners, ctx: TxContext) -> list[Event]:
    t = store.load_token(state, b.registry, b.token_id)
    t = _changed(t, beneficiary=b.new_beneficiary, holder=b.new_holder, nominee=b"")
    store.write_token(state, t, "owners_transferred", ctx)
    return _emit(t, "owners_transferred")


# --- surrender, and the registry's answer -----------------------------------------------------------


def _check_surrender(view: AppView, b: TokenRef, ctx: TxContext) -> None:
    _active(view, b.registry, b.token_id)


def _apply_surrender(state: AppState, b: TokenRef, ctx: TxContext) -> list[Event]:
    t = _changed(store.load_token(state, b.registry, b.token_id), state=SURRENDERED)
    store.write_token(state, t, "surrendered", ctx)
    return _emit(t, "surrendered")


def _signers_registry(view: AppView, b: TokenRef, ctx: TxContext) -> Requirement:
    _ref(b.registry, b.token_id)
    return SignedBy(store.load_registry(view, b.registry).owner)


def _check_surrendered(view: AppView, b: TokenRef, ctx: TxContext) -> None:
    _ref(b.registry, b.token_id)
    t = store.load_token(view, b.registry, b.token_id)
    if t.state != SURRENDERED:
        fail("documents.not_surrendered", f"the record is {t.state}, not surrendered")


def _apply_accept(state: AppState, b: TokenRef, ctx: TxContext) -> list[Event]:
    t = _changed(store.load_token(state, b.registry, b.token_id), state=BURNED)
    store.write_token(state, t, "surrender_accepted", ctx)
    return _emit(t, "surrender_accepted")


def _apply_reject(state: AppState, b: TokenRef, ctx: TxContext) -> list[Event]:
    t = store.load_token(state, b.registry, b.token_id)
    t = _changed(t, state=ACTIVE, nominee=b"")
    store.write_token(state, t, "surrender_rejected", ctx)
    return _emit(t, "surrender_rejected")


OPERATIONS: dict[str, Operation[Any]] = {
    "create_registry": Operation(
        CreateRegistry, _signers_create, _check_create, _apply_create, "Create a token registry."
    ),
    "mint": Operation(Mint, _signers_mint, _check_mint, _apply_mint, "Mint a transferable record."),
    "transfer_holder": Operation(
        TransferHolder,
        _signers_holder,
        _check_transfer_holder,
        _apply_transfer_holder,
        "Pass the document on.",
    ),
    "nominate": Operation(
        Nominate, _signers_beneficiary, _check_nominate, _apply_nominate, "Nominate the next beneficiary."
    ),
    "endorse_beneficiary": Operation(
        EndorseBeneficiary, _signers_holder, _check_endorse, _apply_endorse, "Endorse the nominee."
    ),
    "transfer_owners": Operation(
        TransferOwners,
        _signers_both,
        _check_transfer_owners,
        _apply_transfer_owners,
        "New beneficiary and holder at once.",
    ),
    "surrender": Operation(
        TokenRef, _signers_both, _check_surrender, _apply_surrender, "Return to the issuer."
    ),
    "accept_surrender": Operation(
        TokenRef, _signers_registry, _check_surrendered, _apply_accept, "Accept a surrender (burn)."
    ),
    "reject_surrender": Operation(
        TokenRef, _signers_registry, _check_surrendered, _apply_reject, "Reject a surrender (restore)."
    ),
}
