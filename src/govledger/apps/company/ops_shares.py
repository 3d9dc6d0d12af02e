"""Share capital: classes, issuance, cancellation and transfers, with totals conserved.

Rules
-----
- A class's `issued` always equals the sum of its holdings (`store.move_shares` asserts it). Only
  `issue_shares` and `cancel_shares`, both signed by the board, change `issued`; a transfer moves
  shares between two holders and changes nothing else.
- `create_share_class` (the board): a new class id (`company.class_exists`), at most 8 classes
  (`company.too_many`); votes per share 0..100, par value in integer minor units, an authorised number.
- `issue_shares` (the board; board minutes' digest): to a registered party, within the class's
  authorised number (`company.exceeds_authorised`).
- `cancel_shares` (the board and the holder, whose property it is; board minutes' digest): at most
  what the holder holds (`company.insufficient_shares`).
- `transfer_shares` (the seller and the buyer, each with its own keys; the transfer instrument's
  digest): seller and buyer differ (`company.same_party`) and are registered; the seller holds at
  least `amount` (`company.insufficient_shares`). Transfers write no company version (they are the
  members' register, read by `shareholders` and `holding`), only an event.
Issuance and cancellation are registrable acts and write a company version. Every change to a holding
after an open resolution's record height keeps the record-height amount (store.py: snapshots).
"""

from __future__ import annotations

from typing import Any

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    MAX_CLASSES,
    CancelShares,
    CreateShareClass,
    IssueShares,
    TransferShares,
)
from govledger.apps.company.ops_company import class_shape, new_class
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"


def _signers_board(view: AppView, b: Any, ctx: TxContext) -> Requirement:
    return rules.board_of(view, b.company_id, ctx.time_ms)


# --- create_share_class ----------------------------------------------------------------------------


def _check_create(view: AppView, b: CreateShareClass, ctx: TxContext) -> None:
    class_shape(b.share_class)
    company = rules.active_company(view, b.company_id)
    if b.share_class.class_id in company.classes:
        fail("company.class_exists", f"class {b.share_class.class_id!r} exists")
    if len(company.classes) >= MAX_CLASSES:
        fail("company.too_many", f"a company has at most {MAX_CLASSES} share classes")


def _apply_create(state: AppState, b: CreateShareClass, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    cls = new_class(b.share_class, ctx.height)
    store.put_class(state, b.company_id, cls)
    entry = store.tx_entry(ctx, "create_share_class", [cls.class_id])
    c = store.next_version(state, company, entry, classes=[*company.classes, cls.class_id])
    return [
        event(
            NAME,
            "share_class_created",
            b.company_id,
            version=c.version,
            class_id=cls.class_id,
            votes_per_share=cls.votes_per_share,
            authorised=cls.authorised,
        )
    ]


# --- issue_shares / cancel_shares ------------------------------------------------------------------


def _shape_capital(b: IssueShares | CancelShares) -> None:
    rules.identifier(b.company_id, "company_id")
    rules.identifier(b.class_id, "class_id")
    rules.identifier(b.party_id, "party_id")
    rules.shares(b.amount, "amount")
    rules.digest(b.board_minutes_sha256, "board_minutes_sha256")


def _check_issue(view: AppView, b: IssueShares, ctx: TxContext) -> None:
    _shape_capital(b)
    rules.active_company(view, b.company_id)
    cls = store.load_class(view, b.company_id, b.class_id)
    store.load_party(view, b.party_id)
    if cls.issued + b.amount > cls.authorised:
        fail(
            "company.exceeds_authorised",
            f"class {b.class_id!r}: {cls.issued} + {b.amount} issued would exceed {cls.authorised}",
        )


def _capital_change(
    state: AppState, b: IssueShares | CancelShares, ctx: TxContext, op: str, sign: int
) -> Event:
    company = store.load_company(state, b.company_id)
    cls = store.move_shares(state, company, b.class_id, {b.party_id: sign * b.amount}, ctx.height)
    entry = store.tx_entry(ctx, op, [b.class_id, b.party_id, str(b.amount)])
    c = store.next_version(state, company, entry)
    kind = "shares_issued" if sign > 0 else "shares_cancelled"
    return event(
        NAME,
        kind,
        b.company_id,
        version=c.version,
        class_id=b.class_id,
        party_id=b.party_id,
        amount=b.amount,
        issued=cls.issued,
    )


def _apply_issue(state: AppState, b: IssueShares, ctx: TxContext) -> list[Event]:
    return [_capital_change(state, b, ctx, "issue_shares", +1)]


def _signers_cancel(view: AppView, b: CancelShares, ctx: TxContext) -> Requirement:
    _shape_capital(b)
    return AllOf(
        of=[rules.board_of(view, b.company_id, ctx.time_ms), rules.parties_requirement(view, [b.party_id])]
    )


def _check_cancel(view: AppView, b: CancelShares, ctx: TxContext) -> None:
    _shape_capital(b)
    rules.active_company(view, b.company_id)
    store.load_class(view, b.company_id, b.class_id)
    store.load_party(view, b.party_id)
    held = store.holding(view, b.company_id, b.class_id, b.party_id)
    if held < b.amount:
        fail("company.insufficient_shares", f"party {b.party_id!r} holds {held} {b.class_id} shares")


def _apply_cancel(state: AppState, b: CancelShares, ctx: TxContext) -> list[Event]:
    return [_capital_change(state, b, ctx, "cancel_shares", -1)]


# --- transfer_shares -------------------------------------------------------------------------------


def _shape_transfer(b: TransferShares) -> None:
    rules.identifier(b.company_id, "company_id")
    rules.identifier(b.class_id, "class_id")
    rules.identifier(b.seller, "seller")
    rules.identifier(b.buyer, "buyer")
    if b.seller == b.buyer:
        fail("company.same_party", "seller and buyer are the same party")
    rules.shares(b.amount, "amount")
    rules.digest(b.instrument_sha256, "instrument_sha256")


def _signers_transfer(view: AppView, b: TransferShares, ctx: TxContext) -> Requirement:
    _shape_transfer(b)
    return rules.parties_requirement(view, [b.seller, b.buyer])


def _check_transfer(view: AppView, b: TransferShares, ctx: TxContext) -> None:
    _shape_transfer(b)
    rules.active_company(view, b.company_id)
    store.load_class(view, b.company_id, b.class_id)
    store.load_party(view, b.seller)
    store.load_party(view, b.buyer)
    held = store.holding(view, b.company_id, b.class_id, b.seller)
    if held < b.amount:
        fail("company.insufficient_shares", f"seller {b.seller!r} holds {held} {b.class_id} shares")


def _apply_transfer(state: AppState, b: TransferShares, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    store.move_shares(state, company, b.class_id, {b.seller: -b.amount, b.buyer: b.amount}, ctx.height)
    return [
        event(
            NAME,
            "shares_transferred",
            b.company_id,
            class_id=b.class_id,
            seller=b.seller,
            buyer=b.buyer,
            amount=b.amount,
            instrument=b.instrument_sha256,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "create_share_class": Operation(
        CreateShareClass,
        _signers_board,
        _check_create,
        _apply_create,
        "Create a share class (votes per share, par value, authorised number): the board.",
    ),
    "issue_shares": Operation(
        IssueShares,
        _signers_board,
        _check_issue,
        _apply_issue,
        "Issue shares of a class to a party, within the authorised number: the board.",
    ),
    "cancel_shares": Operation(
        CancelShares,
        _signers_cancel,
        _check_cancel,
        _apply_cancel,
        "Cancel (buy back, redeem) a holder's shares: the board + the holder.",
    ),
    "transfer_shares": Operation(
        TransferShares,
        _signers_transfer,
        _check_transfer,
        _apply_transfer,
        "Transfer shares between two parties: the seller + the buyer.",
    ),
}
