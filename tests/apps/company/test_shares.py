"""Share capital: classes, issuance, cancellation, transfers; totals conserved; holders listed."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import (
    CancelShares,
    CreateShareClass,
    IssueShares,
    NewShareClass,
    ShareholdersPage,
    TransferShares,
)
from govledger.apps.company.queries import shareholders
from govledger.crypto.signatures import SigningKey

from .harness import BOARD, A, Ledger, attrs, sha

MINUTES = sha("board-minutes")
FORM = sha("transfer-form")

# --- classes ---------------------------------------------------------------------------------------


def test_create_share_class(led: Ledger) -> None:
    body = CreateShareClass("ACME", NewShareClass("B", 10, 1, "USD", 5000))
    r = led.ok("create_share_class", body, *BOARD)
    assert attrs(r, "share_class_created")["class_id"] == "B"
    assert led.company().classes == ["ORD", "PREF", "B"]
    cls = led.share_class("B")
    assert (cls.issued, cls.holders, cls.votes_per_share) == (0, 0, 10)


def test_create_share_class_rules(led: Ledger) -> None:
    led.refused(
        "create_share_class", CreateShareClass("ACME", NewShareClass("B", 1, 1, "USD", 5)), A.alice,
        code="auth.missing_signers",
    )  # fmt: skip
    led.refused(
        "create_share_class", CreateShareClass("ACME", NewShareClass("ORD", 1, 1, "USD", 5)), *BOARD,
        code="company.class_exists",
    )  # fmt: skip
    led.refused(
        "create_share_class", CreateShareClass("ACME", NewShareClass("B", 1, -1, "USD", 5)), *BOARD,
        code="company.bad_amount",
    )  # fmt: skip
    led.refused(
        "create_share_class", CreateShareClass("ACME", NewShareClass("B", 1, 1, "USD", 0)), *BOARD,
        code="company.bad_amount",
    )  # fmt: skip
    for i in range(6):
        led.ok("create_share_class", CreateShareClass("ACME", NewShareClass(f"C{i}", 1, 1, "USD", 5)), *BOARD)
    led.refused(
        "create_share_class", CreateShareClass("ACME", NewShareClass("C9", 1, 1, "USD", 5)), *BOARD,
        code="company.too_many",
    )  # fmt: skip


# --- issue / cancel --------------------------------------------------------------------------------


def test_issue_shares_writes_a_version(led: Ledger) -> None:
    r = led.ok("issue_shares", IssueShares("ACME", "ORD", "erin", 250, MINUTES), *BOARD)
    assert attrs(r, "shares_issued") == {
        "amount": 250,
        "class_id": "ORD",
        "issued": 1250,
        "party_id": "erin",
        "version": 2,
    }
    assert led.holding("erin") == 250 and led.share_class("ORD").holders == 3
    assert led.company().entry.refs == ["ORD", "erin", "250"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (IssueShares("ACME", "ORD", "erin", 999_001, MINUTES), "company.exceeds_authorised"),
        (IssueShares("ACME", "XYZ", "erin", 1, MINUTES), "company.unknown_class"),
        (IssueShares("ACME", "ORD", "nobody", 1, MINUTES), "company.unknown_party"),
        (IssueShares("ACME", "ORD", "erin", 0, MINUTES), "company.bad_amount"),
        (IssueShares("ACME", "ORD", "erin", 1, b""), "company.bad_digest"),
        (IssueShares("NOPE", "ORD", "erin", 1, MINUTES), "company.unknown_company"),
    ],
)
def test_issue_rules(led: Ledger, body: IssueShares, code: str) -> None:
    led.refused("issue_shares", body, *BOARD, code=code)


def test_issue_needs_the_board(led: Ledger) -> None:
    led.refused("issue_shares", IssueShares("ACME", "ORD", "erin", 1, MINUTES), A.alice, A.erin,
                code="auth.missing_signers")  # fmt: skip


def test_cancel_needs_board_and_holder(led: Ledger) -> None:
    body = CancelShares("ACME", "ORD", "bob", 100, MINUTES)
    led.refused("cancel_shares", body, A.bob, code="auth.missing_signers")  # a board of 2 needs both
    led.refused("cancel_shares", CancelShares("ACME", "ORD", "alice", 100, MINUTES), A.bob, A.carol,
                code="auth.missing_signers")  # fmt: skip
    carol_cancel = CancelShares("ACME", "PREF", "dave", 100, MINUTES)
    led.refused("cancel_shares", carol_cancel, *BOARD, code="auth.missing_signers")  # dave must sign
    r = led.ok("cancel_shares", carol_cancel, *BOARD, A.dave)
    assert attrs(r, "shares_cancelled")["issued"] == 0
    assert led.share_class("PREF").holders == 0 and led.holding("dave", "PREF") == 0


def test_cancel_more_than_held_is_refused(led: Ledger) -> None:
    led.refused("cancel_shares", CancelShares("ACME", "ORD", "bob", 401, MINUTES), *BOARD,
                code="company.insufficient_shares")  # fmt: skip


# --- transfers -------------------------------------------------------------------------------------


def test_transfer_moves_shares_and_keeps_totals(led: Ledger) -> None:
    r = led.ok("transfer_shares", TransferShares("ACME", "ORD", "alice", "erin", 600, FORM), A.alice, A.erin)
    assert attrs(r, "shares_transferred")["amount"] == 600 and r.events[0].subject == "ACME"
    assert (led.holding("alice"), led.holding("erin")) == (0, 600)
    cls = led.share_class("ORD")
    assert (cls.issued, cls.holders) == (1000, 2)
    assert led.company().version == 1, "a transfer writes no company version"
    page = shareholders(led.view, ShareholdersPage("ACME", "ORD"))
    assert page is not None and page.complete
    assert [(h.party_id, h.amount) for h in page.items] == [("bob", 400), ("erin", 600)]


@pytest.mark.parametrize(
    ("signers", "code"),
    [
        ((A.alice,), "auth.missing_signers"),
        ((A.erin,), "auth.missing_signers"),
        ((A.bob, A.erin), "auth.missing_signers"),
    ],
)
def test_transfer_needs_seller_and_buyer(led: Ledger, signers: tuple[SigningKey, ...], code: str) -> None:
    led.refused(
        "transfer_shares", TransferShares("ACME", "ORD", "alice", "erin", 10, FORM), *signers, code=code
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (TransferShares("ACME", "ORD", "alice", "erin", 601, FORM), "company.insufficient_shares"),
        (TransferShares("ACME", "ORD", "alice", "alice", 1, FORM), "company.same_party"),
        (TransferShares("ACME", "ORD", "alice", "nobody", 1, FORM), "company.unknown_party"),
        (TransferShares("ACME", "XYZ", "alice", "erin", 1, FORM), "company.unknown_class"),
        (TransferShares("ACME", "ORD", "alice", "erin", 0, FORM), "company.bad_amount"),
        (TransferShares("ACME", "ORD", "alice", "erin", 1, b"x" * 31), "company.bad_digest"),
    ],
)
def test_transfer_rules(led: Ledger, body: TransferShares, code: str) -> None:
    led.refused("transfer_shares", body, A.alice, A.erin, code=code)


def test_two_sales_of_the_same_shares_in_one_block(led: Ledger) -> None:
    txs = [
        led.tx("transfer_shares", TransferShares("ACME", "ORD", "bob", buyer, 400, FORM), A.bob, key)
        for buyer, key in (("erin", A.erin), ("frank", A.frank))
    ]
    assert [r.code for r in led.block(txs)] == ["ok", "company.insufficient_shares"]
    assert led.holding("erin") == 400 and led.holding("frank") == 0


def test_shareholders_paging(led: Ledger) -> None:
    page = shareholders(led.view, ShareholdersPage("ACME", "ORD", start_after="", limit=1))
    assert page is not None and [h.party_id for h in page.items] == ["alice"] and not page.complete
    page = shareholders(led.view, ShareholdersPage("ACME", "ORD", start_after="alice", limit=5))
    assert page is not None and [h.party_id for h in page.items] == ["bob"] and page.complete
    assert shareholders(led.view, ShareholdersPage("ACME", "NOPE")) is None
