"""Strike-off after notice, voluntary dissolution, and the lifecycle from registration to the end."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import (
    MIN_STRIKE_OFF_NOTICE_MS,
    ChangeRegisteredOffice,
    CompanyAt,
    Dissolve,
    FileAnnualReturn,
    GiveStrikeOffNotice,
    HistoryPage,
    IssueLicence,
    StrikeOff,
    TransferShares,
    WithdrawStrikeOffNotice,
)
from govledger.apps.company.queries import certificate_data, company_at, history

from .harness import BOARD, DAY_MS, YEAR_MS, A, Ledger, attrs, pass_resolution, propose, sha

NOTICE = sha("gazette-notice")


def _notice(led: Ledger, ground: str = "registrar_decision", days: int = 30) -> GiveStrikeOffNotice:
    return GiveStrikeOffNotice("ACME", ground, NOTICE, led.time_ms + days * DAY_MS + 1000)


def test_strike_off_after_notice(led: Ledger) -> None:
    led.ok(
        "issue_licence",
        IssueLicence("ACME", "L1", ["trading"], 90 * DAY_MS, 1, "AED", "P1"),
        *BOARD,
        A.licensing,
    )
    propose(led, "R1", voting_ms=60 * DAY_MS)
    r = led.ok("give_strike_off_notice", _notice(led), A.clerk)
    assert attrs(r, "strike_off_notice_given")["ground"] == "registrar_decision"
    cert = certificate_data(led.view, "ACME")
    assert cert is not None and not cert.good_standing and cert.strike_off_notice is not None
    led.refused("strike_off", StrikeOff("ACME"), A.clerk, code="company.notice_period_running")
    led.tick(MIN_STRIKE_OFF_NOTICE_MS)
    r = led.ok("strike_off", StrikeOff("ACME"), A.clerk)
    assert [e.kind for e in r.events] == ["licence_lapsed", "resolution_cancelled", "struck_off"]
    c = led.company()
    assert (c.status, c.ended_ms, c.open_resolutions) == ("struck_off", led.time_ms, [])
    assert led.licence().status == "lapsed" and led.resolution("R1").status == "cancelled"
    assert led.tick(YEAR_MS * 2) == [], "no timers survive"
    led.refused(
        "change_registered_office",
        ChangeRegisteredOffice("ACME", sha("o2")),
        *BOARD,
        code="company.not_active",
    )
    led.refused(
        "transfer_shares",
        TransferShares("ACME", "ORD", "alice", "erin", 1, sha("f")),
        A.alice,
        A.erin,
        code="company.not_active",
    )


@pytest.mark.parametrize("op", ["give_strike_off_notice", "strike_off", "withdraw_strike_off_notice"])
def test_strike_off_needs_a_company_registrar(led: Ledger, op: str) -> None:
    body = {
        "give_strike_off_notice": _notice(led),
        "strike_off": StrikeOff("ACME"),
        "withdraw_strike_off_notice": WithdrawStrikeOffNotice("ACME", "registrar_decision"),
    }[op]
    led.refused(op, body, *BOARD, A.land_registrar, code="auth.missing_signers")


def test_notice_rules(led: Ledger) -> None:
    for body, code in [
        (_notice(led, days=10), "company.bad_time"),
        (_notice(led, days=400), "company.bad_time"),
        (_notice(led, ground="bankruptcy"), "company.bad_vocabulary"),
        (_notice(led, ground="missing_filings"), "company.not_in_default"),
        (GiveStrikeOffNotice("ACME", "court_order", b"", led.time_ms + 40 * DAY_MS), "company.bad_digest"),
        (
            GiveStrikeOffNotice("NOPE", "court_order", NOTICE, led.time_ms + 40 * DAY_MS),
            "company.unknown_company",
        ),
    ]:
        led.refused("give_strike_off_notice", body, A.clerk, code=code)
    led.refused("strike_off", StrikeOff("ACME"), A.clerk, code="company.no_notice")
    led.refused(
        "withdraw_strike_off_notice",
        WithdrawStrikeOffNotice("ACME", "registrar_decision"),
        A.clerk,
        code="company.no_notice",
    )
    led.ok("give_strike_off_notice", _notice(led), A.clerk)
    led.refused("give_strike_off_notice", _notice(led), A.clerk, code="company.notice_exists")
    led.refused(
        "withdraw_strike_off_notice",
        WithdrawStrikeOffNotice("ACME", "whim"),
        A.clerk,
        code="company.bad_vocabulary",
    )
    r = led.ok("withdraw_strike_off_notice", WithdrawStrikeOffNotice("ACME", "registrar_decision"), A.clerk)
    assert r.events[0].kind == "strike_off_notice_withdrawn" and led.company().strike_off_notice is None


def test_filing_during_the_notice_period_saves_the_company(led: Ledger) -> None:
    led.tick(YEAR_MS + 91 * DAY_MS)
    led.ok("give_strike_off_notice", _notice(led, ground="missing_filings"), A.clerk)
    led.tick(31 * DAY_MS)
    led.ok("file_annual_return", FileAnnualReturn("ACME", 1, sha("r1")), A.carol)
    led.refused("strike_off", StrikeOff("ACME"), A.clerk, code="company.not_in_default")
    led.tick(YEAR_MS)  # period 2 now overdue as well
    r = led.ok("strike_off", StrikeOff("ACME"), A.clerk)
    assert r.events[-1].kind == "struck_off"


def test_voluntary_dissolution(led: Ledger) -> None:
    body = Dissolve("ACME", "R1", sha("declaration"))
    led.refused("dissolve", body, *BOARD, A.clerk, code="company.unknown_resolution")
    pass_resolution(led, "R1", "dissolution")
    led.refused("dissolve", body, *BOARD, code="auth.missing_signers")  # the registrar, by default policy
    led.refused("dissolve", body, A.alice, A.clerk, code="auth.missing_signers")  # the board's majority
    led.refused("dissolve", Dissolve("ACME", "R1", b""), *BOARD, A.clerk, code="company.bad_digest")
    r = led.ok("dissolve", body, *BOARD, A.clerk)
    assert r.events[-1].kind == "dissolved"
    assert led.company().status == "dissolved" and led.resolution("R1").used_by == "dissolve"
    led.refused("dissolve", body, *BOARD, A.clerk, code="company.not_active")


def test_dissolution_needs_a_dissolution_resolution(led: Ledger) -> None:
    pass_resolution(led, "R1", "ordinary")
    led.refused(
        "dissolve", Dissolve("ACME", "R1", sha("d")), *BOARD, A.clerk, code="company.resolution_mismatch"
    )


def test_the_lifecycle_is_queryable_from_registration_to_dissolution(led: Ledger) -> None:
    led.ok("change_registered_office", ChangeRegisteredOffice("ACME", sha("office:2")), *BOARD)
    pass_resolution(led, "R1", "dissolution")
    led.ok("dissolve", Dissolve("ACME", "R1", sha("declaration")), *BOARD, A.clerk)
    versions = history(led.view, HistoryPage("ACME"))
    assert [v.entry.op for v in versions] == [
        "incorporate",
        "change_registered_office",
        "propose_resolution",
        "resolution_closed",
        "dissolve",
    ]
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    assert [v.status for v in versions] == ["active"] * 4 + ["dissolved"]
    first = company_at(led.view, CompanyAt("ACME", 1))
    assert first is not None and first.office_commitment == sha("office:ACME")
    assert history(led.view, HistoryPage("ACME", from_version=4, limit=1))[0].entry.op == "resolution_closed"
    cert = certificate_data(led.view, "ACME")
    assert cert is not None and cert.status == "dissolved" and not cert.good_standing and cert.ended_ms


def test_a_lapsed_licence_cannot_be_paid_or_reinstated(led: Ledger) -> None:
    from govledger.apps.company.model import PayLicenceFee, ReinstateLicence

    led.ok(
        "issue_licence",
        IssueLicence("ACME", "L1", ["trading"], 90 * DAY_MS, 1, "AED", "P1"),
        *BOARD,
        A.licensing,
    )
    pass_resolution(led, "R1", "dissolution")
    led.ok("dissolve", Dissolve("ACME", "R1", sha("declaration")), *BOARD, A.clerk)
    assert (led.licence().status, led.licence().reason) == ("lapsed", "company_dissolved")
    pay = PayLicenceFee("ACME", "L1", 2, "P2", 1, "AED")
    led.refused("pay_licence_fee", pay, A.licensing, code="company.not_active")
    led.refused("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing, code="company.not_active")
