"""Shareholder resolutions: record height, weighted votes, quorum and majority, closing by block time."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import (
    CastVote,
    IssueShares,
    ProposeResolution,
    ResolutionsPage,
    TransferShares,
    VoteRef,
)
from govledger.apps.company.ops_resolutions import RESOLUTION_RULES, outcome
from govledger.apps.company.queries import resolutions
from govledger.apps.company.queries import vote as vote_query

from .harness import BOARD, DAY_MS, A, Ledger, attrs, propose, sha, vote

FORM = sha("form")


def _body(led: Ledger, rid: str = "R1", **kw: object) -> ProposeResolution:
    base = {
        "company_id": "ACME",
        "resolution_id": rid,
        "kind": "ordinary",
        "motion_sha256": sha("m"),
        "record_height": led.height + 1,
        "deadline_ms": led.time_ms + 10 * DAY_MS,
    }
    base.update(kw)
    return ProposeResolution(**base)  # type: ignore[arg-type]


def test_propose_opens_a_resolution(led: Ledger) -> None:
    r = propose(led, "R1", record_ahead=3)
    a = attrs(r, "resolution_proposed")
    assert (a["kind"], a["record_height"]) == ("ordinary", led.height + 3)
    c = led.company()
    assert c.open_resolutions == ["R1"] and c.resolutions == 1 and c.entry.op == "propose_resolution"
    res = led.resolution("R1")
    assert (res.status, res.yes, res.voters) == ("open", 0, 0)


def test_propose_needs_the_board(led: Ledger) -> None:
    led.refused("propose_resolution", _body(led), A.alice, code="auth.missing_signers")
    led.refused("propose_resolution", _body(led), A.alice, A.carol, code="auth.missing_signers")


def test_propose_rules(led: Ledger) -> None:
    h, t = led.height, led.time_ms
    for body, code in [
        (_body(led, kind="unanimous"), "company.bad_vocabulary"),
        (_body(led, motion_sha256=b"m"), "company.bad_digest"),
        (_body(led, record_height=h), "company.bad_time"),  # before the proposal's own block
        (_body(led, record_height=h + 200_000), "company.bad_time"),
        (_body(led, deadline_ms=t), "company.bad_time"),
        (_body(led, deadline_ms=t + 400 * DAY_MS), "company.bad_time"),
        (_body(led, resolution_id="bad id"), "company.bad_identifier"),
    ]:
        led.refused("propose_resolution", body, *BOARD, code=code)
    propose(led, "R1")
    led.refused("propose_resolution", _body(led, "R1"), *BOARD, code="company.resolution_exists")
    for i in range(2, 9):
        propose(led, f"R{i}")
    led.refused("propose_resolution", _body(led, "R9"), *BOARD, code="company.too_many")


def test_votes_are_weighted_and_closed_at_the_deadline(led: Ledger) -> None:
    propose(led, "R1")
    assert vote(led, "R1", "alice", "yes").code == "ok"
    r = vote(led, "R1", "bob", "no")
    assert attrs(r, "vote_cast") == {"choice": "no", "party_id": "bob", "resolution_id": "R1", "weight": 400}
    res = led.resolution("R1")
    assert (res.yes, res.no, res.abstain, res.voters) == (600, 400, 0, 2)
    v = vote_query(led.view, VoteRef("ACME", "R1", "alice"))
    assert v is not None and v.weight == 600
    events = led.tick(10 * DAY_MS)
    (e,) = events
    assert (e.kind, e.subject, e.attributes["status"], e.attributes["outstanding"]) == (
        "resolution_closed",
        "ACME",
        "passed",
        1000,
    )
    c = led.company()
    assert c.open_resolutions == [] and c.entry.op == "resolution_closed" and c.entry.tx_id == b""
    assert [x.status for x in resolutions(led.view, ResolutionsPage("ACME"))] == ["passed"]


def test_vote_rules(led: Ledger) -> None:
    propose(led, "R1", record_ahead=2)
    assert vote(led, "R1", "alice").code == "company.voting_not_open"
    led.tick(1000)
    led.tick(1000)
    for body, signer, code in [
        (CastVote("ACME", "R1", "alice", "maybe"), A.alice, "company.bad_vocabulary"),
        (CastVote("ACME", "R9", "alice", "yes"), A.alice, "company.unknown_resolution"),
        (CastVote("ACME", "R1", "dave", "yes"), A.dave, "company.no_voting_shares"),  # PREF: 0 votes
        (CastVote("ACME", "R1", "erin", "yes"), A.erin, "company.no_voting_shares"),
        (CastVote("ACME", "R1", "alice", "yes"), A.bob, "auth.missing_signers"),
        (CastVote("ACME", "R1", "nobody", "yes"), A.bob, "company.unknown_party"),
    ]:
        led.refused("cast_vote", body, signer, code=code)
    assert vote(led, "R1", "alice").code == "ok"
    led.refused("cast_vote", CastVote("ACME", "R1", "alice", "no"), A.alice, code="company.already_voted")
    led.tick(10 * DAY_MS)
    led.refused("cast_vote", CastVote("ACME", "R1", "bob", "yes"), A.bob, code="company.voting_closed")


def test_a_vote_after_the_deadline_but_before_the_sweep_is_refused(led: Ledger) -> None:
    propose(led, "R1", voting_ms=5000)
    r = led.do("cast_vote", CastVote("ACME", "R1", "alice", "yes"), A.alice, advance_ms=10_000)
    assert r.code == "company.voting_closed"


def test_shares_sold_after_the_record_height_still_vote_with_the_seller(led: Ledger) -> None:
    propose(led, "R1")  # record height: this block
    led.ok("transfer_shares", TransferShares("ACME", "ORD", "alice", "erin", 600, FORM), A.alice, A.erin)
    assert vote(led, "R1", "erin").code == "company.no_voting_shares"
    r = vote(led, "R1", "alice")
    assert r.code == "ok" and attrs(r, "vote_cast")["weight"] == 600
    assert led.holding("alice") == 0


def test_shares_bought_before_the_record_height_vote_with_the_buyer(led: Ledger) -> None:
    led.ok("transfer_shares", TransferShares("ACME", "ORD", "alice", "erin", 100, FORM), A.alice, A.erin)
    propose(led, "R1", record_ahead=1)
    led.ok("transfer_shares", TransferShares("ACME", "ORD", "erin", "frank", 50, FORM), A.erin, A.frank)
    led.tick(1000)  # record height passes: erin held 50 at its end
    led.ok("transfer_shares", TransferShares("ACME", "ORD", "erin", "frank", 50, FORM), A.erin, A.frank)
    assert attrs(vote(led, "R1", "erin"), "vote_cast")["weight"] == 50
    assert attrs(vote(led, "R1", "frank"), "vote_cast")["weight"] == 50
    assert attrs(vote(led, "R1", "alice"), "vote_cast")["weight"] == 500


def test_issuance_after_the_record_height_does_not_change_the_outstanding_votes(led: Ledger) -> None:
    propose(led, "R1", "dissolution")
    led.ok("issue_shares", IssueShares("ACME", "ORD", "frank", 100_000, FORM), *BOARD)
    assert vote(led, "R1", "frank").code == "company.no_voting_shares"
    assert vote(led, "R1", "alice").code == "ok"  # 600 of 1000 outstanding at the record height
    led.tick(10 * DAY_MS)
    res = led.resolution("R1")
    assert (res.status, res.outstanding) == ("passed", 1000)


@pytest.mark.parametrize(
    ("kind", "votes", "status", "quorum"),
    [
        ("ordinary", {"bob": "yes"}, "failed", False),  # 40 % turnout
        ("ordinary", {"alice": "abstain", "bob": "yes"}, "passed", True),
        ("ordinary", {"alice": "no", "bob": "yes"}, "failed", True),
        ("special", {"alice": "yes", "bob": "no"}, "failed", True),  # 60 % < 75 %
        ("special", {"alice": "yes", "bob": "abstain"}, "passed", True),
        ("dissolution", {"alice": "yes"}, "passed", True),  # 600 of 1000 outstanding
        ("dissolution", {"alice": "abstain", "bob": "yes"}, "failed", True),  # 400 of 1000
        ("ordinary", {}, "failed", False),
    ],
)
def test_quorum_and_majority(
    led: Ledger, kind: str, votes: dict[str, str], status: str, quorum: bool
) -> None:
    propose(led, "R1", kind)
    for party, choice in votes.items():
        assert vote(led, "R1", party, choice).code == "ok"
    led.tick(10 * DAY_MS)
    res = led.resolution("R1")
    assert (res.status, res.quorum_met) == (status, quorum)


def test_outcome_table_is_integer_exact() -> None:
    special = RESOLUTION_RULES["special"]
    assert outcome(special, 75, 25, 0, 100) == (True, True)
    assert outcome(special, 74, 25, 0, 100) == (True, False)
    assert outcome(special, 0, 0, 0, 0) == (False, False)
    ordinary = RESOLUTION_RULES["ordinary"]
    assert outcome(ordinary, 50, 50, 0, 100) == (True, False), "a tie fails"
    assert outcome(ordinary, 1, 0, 49, 100) == (True, True)
    assert outcome(ordinary, 1, 0, 48, 100) == (False, False)


def test_resolutions_page_in_id_order_after_start_after(led: Ledger) -> None:
    for rid in ("R3", "R1", "R2"):
        assert propose(led, rid).code == "ok"

    def page(after: str, limit: int) -> list[str]:
        return [r.resolution_id for r in resolutions(led.view, ResolutionsPage("ACME", after, limit))]

    assert page("", 500) == ["R1", "R2", "R3"]
    assert page("", 2) == ["R1", "R2"] and page("R2", 2) == ["R3"] and page("R3", 2) == []
    assert page("a/b", 2) == [], "an impossible start reads nothing"
