"""Annual returns (late ones by block time) and licences (issue, fees, suspension, automatic renewal)."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import (
    FILING_GRACE_MS,
    CompanyId,
    FileAnnualReturn,
    FilingRef,
    IssueLicence,
    PayLicenceFee,
    ReinstateLicence,
    SuspendLicence,
)
from govledger.apps.company.queries import certificate_data, filing
from govledger.crypto.signatures import SigningKey

from .harness import BOARD, DAY_MS, YEAR_MS, A, Ledger, attrs, sha

RETURN = sha("annual-return")
TERM_MS = 30 * DAY_MS


def _file(led: Ledger, period: int, *signers: SigningKey) -> str:
    return led.do(
        "file_annual_return", FileAnnualReturn("ACME", period, RETURN), *(signers or (A.carol,))
    ).code


def _to_period_end(led: Ledger, period: int = 1, extra_ms: int = 1) -> None:
    c = led.company()
    led.tick(c.incorporated_ms + period * YEAR_MS + extra_ms - led.time_ms - 1000)


# --- annual returns --------------------------------------------------------------------------------


def test_filing_waits_for_the_period_end_and_goes_in_order(led: Ledger) -> None:
    assert _file(led, 1) == "company.period_not_ended"
    assert _file(led, 2) == "company.filing_out_of_order"
    _to_period_end(led)
    r = led.ok("file_annual_return", FileAnnualReturn("ACME", 1, RETURN), A.carol)
    assert attrs(r, "annual_return_filed") == {
        "document": RETURN.hex(),
        "late": False,
        "period": 1,
        "version": 2,
    }
    c = led.company()
    assert c.filed_through == 1 and not c.in_default
    assert c.next_filing_due_ms == c.incorporated_ms + 2 * YEAR_MS + FILING_GRACE_MS
    f = filing(led.view, FilingRef("ACME", 1))
    assert f is not None and not f.late and f.document_sha256 == RETURN
    assert _file(led, 1) == "company.filing_out_of_order"


@pytest.mark.parametrize(
    ("signer", "code"), [(A.alice, "ok"), (A.carol, "ok"), (A.dave, "auth.missing_signers")]
)
def test_any_one_officer_files(led: Ledger, signer: SigningKey, code: str) -> None:
    _to_period_end(led)
    assert _file(led, 1, signer) == code


def test_filing_rules(led: Ledger) -> None:
    _to_period_end(led)
    led.refused("file_annual_return", FileAnnualReturn("ACME", 1, b"x"), A.carol, code="company.bad_digest")
    led.refused(
        "file_annual_return", FileAnnualReturn("ACME", 0, RETURN), A.carol, code="company.filing_out_of_order"
    )
    led.refused(
        "file_annual_return", FileAnnualReturn("NOPE", 1, RETURN), A.carol, code="company.unknown_company"
    )


def test_an_overdue_return_is_detected_by_block_time(led: Ledger) -> None:
    c = led.company()
    due = c.next_filing_due_ms
    led.tick(due - led.time_ms - 1)  # one millisecond early: nothing
    assert not led.company().in_default
    events = led.tick(1)
    assert [(e.kind, e.subject, e.attributes["period"]) for e in events] == [("filing_overdue", "ACME", 1)]
    c = led.company()
    assert c.in_default and c.entry.op == "filing_overdue" and c.entry.signer_ids == []
    cert = certificate_data(led.view, "ACME")
    assert cert is not None and not cert.good_standing and cert.in_default
    assert led.tick(DAY_MS) == [], "reported once"
    r = led.ok("file_annual_return", FileAnnualReturn("ACME", 1, RETURN), A.carol)
    assert attrs(r, "annual_return_filed")["late"] is True
    assert not led.company().in_default
    cert = certificate_data(led.view, "ACME")
    assert cert is not None and cert.good_standing


def test_years_behind_stays_in_default_until_caught_up(led: Ledger) -> None:
    led.tick(3 * YEAR_MS)
    assert led.company().in_default
    assert _file(led, 1) == "ok"
    assert led.company().in_default, "period 2 is overdue too"
    assert _file(led, 2) == "ok"
    c = led.company()
    assert not c.in_default and c.filed_through == 2


# --- licences --------------------------------------------------------------------------------------


def _issue(term_ms: int = TERM_MS, licence_id: str = "L1") -> IssueLicence:
    return IssueLicence(
        "ACME", licence_id, ["general_trading", "import_export"], term_ms, 500_000, "AED", "PAY-1"
    )


def test_issue_licence(led: Ledger) -> None:
    r = led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    assert attrs(r, "licence_issued")["activities"] == "general_trading,import_export"
    lic = led.licence()
    assert (lic.term, lic.paid_term, lic.status, lic.expires_ms) == (1, 1, "active", led.time_ms + TERM_MS)
    assert led.company().licences == ["L1"]


@pytest.mark.parametrize("signers", [BOARD, (A.alice, A.licensing), (A.licensing,)])
def test_issue_licence_needs_board_and_licensing(led: Ledger, signers: tuple[SigningKey, ...]) -> None:
    led.refused("issue_licence", _issue(), *signers, code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (IssueLicence("ACME", "L1", ["Trading"], TERM_MS, 1, "AED", "P"), "company.bad_code"),
        (IssueLicence("ACME", "L1", [], TERM_MS, 1, "AED", "P"), "company.too_many"),
        (IssueLicence("ACME", "L1", ["a", "a"], TERM_MS, 1, "AED", "P"), "company.duplicate"),
        (IssueLicence("ACME", "L1", ["a"], DAY_MS, 1, "AED", "P"), "company.bad_time"),
        (IssueLicence("ACME", "L1", ["a"], TERM_MS, 0, "AED", "P"), "company.bad_amount"),
        (IssueLicence("ACME", "L1", ["a"], TERM_MS, 1, "dirham", "P"), "company.bad_currency"),
        (IssueLicence("ACME", "L1", ["a"], TERM_MS, 1, "AED", ""), "company.bad_identifier"),
    ],
)
def test_issue_licence_rules(led: Ledger, body: IssueLicence, code: str) -> None:
    led.refused("issue_licence", body, *BOARD, A.licensing, code=code)


def test_issue_licence_state_rules(led: Ledger) -> None:
    led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    led.refused("issue_licence", _issue(), *BOARD, A.licensing, code="company.licence_exists")
    led.tick(2 * YEAR_MS)
    led.refused("issue_licence", _issue(licence_id="L2"), *BOARD, A.licensing, code="company.filings_overdue")


def test_fee_payment_rules(led: Ledger) -> None:
    led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    ok = PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED")
    led.refused("pay_licence_fee", ok, *BOARD, code="auth.missing_signers")
    for body, code in [
        (PayLicenceFee("ACME", "L1", 3, "PAY-2", 500_000, "AED"), "company.wrong_term"),
        (PayLicenceFee("ACME", "L1", 2, "PAY-2", 499_999, "AED"), "company.wrong_fee"),
        (PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "USD"), "company.wrong_fee"),
        (PayLicenceFee("ACME", "L9", 2, "PAY-2", 500_000, "AED"), "company.unknown_licence"),
    ]:
        led.refused("pay_licence_fee", body, A.licensing, code=code)
    r = led.ok("pay_licence_fee", ok, A.licensing)
    assert attrs(r, "licence_fee_paid")["payment_ref"] == "PAY-2"
    assert led.licence().paid_term == 2
    led.refused("pay_licence_fee", ok, A.licensing, code="company.fee_already_paid")


def test_automatic_renewal_then_suspension_then_reinstatement(led: Ledger) -> None:
    led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    expires = led.licence().expires_ms
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED"), A.licensing)
    assert led.tick(expires - led.time_ms - 1) == []
    events = led.tick(1)
    assert [(e.kind, e.attributes["term"]) for e in events] == [("licence_renewed", 2)]
    lic = led.licence()
    assert (lic.term, lic.status, lic.expires_ms) == (2, "active", expires + TERM_MS)
    events = led.tick(TERM_MS + 5 * DAY_MS)  # term 3 unpaid; late block: still decided at expiry
    assert [(e.kind, e.attributes["reason"]) for e in events] == [("licence_suspended", "fee_unpaid")]
    lic = led.licence()
    assert (lic.status, lic.reason, lic.term) == ("suspended", "fee_unpaid", 2)
    led.refused("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing, code="company.fee_unpaid")
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 3, "PAY-3", 500_000, "AED"), A.licensing)
    r = led.ok("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing)
    lic = led.licence()
    assert (lic.status, lic.term, lic.expires_ms) == ("active", 3, led.time_ms + TERM_MS)
    assert attrs(r, "licence_reinstated")["term"] == 3


def test_renewal_needs_the_filings(led: Ledger) -> None:
    term = YEAR_MS + 100 * DAY_MS  # expires after the first return's due time
    led.ok("issue_licence", _issue(term), *BOARD, A.licensing)
    events = led.tick(term)
    assert [(e.kind, e.attributes.get("reason")) for e in events] == [
        ("filing_overdue", None),
        ("licence_suspended", "fee_unpaid,filings_missing"),
    ]


def test_renewal_with_fee_paid_but_filings_missing(led: Ledger) -> None:
    term = YEAR_MS + 100 * DAY_MS
    led.ok("issue_licence", _issue(term), *BOARD, A.licensing)
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED"), A.licensing)
    led.tick(term)
    assert (led.licence().status, led.licence().reason) == ("suspended", "filings_missing")
    led.refused(
        "reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing, code="company.filings_overdue"
    )
    assert _file(led, 1) == "ok"
    led.ok("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing)
    assert led.licence().status == "active"


def test_filing_in_the_expiry_block_counts(led: Ledger) -> None:
    term = YEAR_MS + 100 * DAY_MS
    led.ok("issue_licence", _issue(term), *BOARD, A.licensing)
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED"), A.licensing)
    _to_period_end(led, 1, extra_ms=5 * DAY_MS)
    expires = led.licence().expires_ms
    r = led.do(
        "file_annual_return", FileAnnualReturn("ACME", 1, RETURN), A.carol, advance_ms=expires - led.time_ms
    )
    assert r.code == "ok"
    assert led.last is not None
    assert [e.kind for e in led.last.end_block_events] == ["licence_renewed"]


def test_suspend_and_reinstate_by_licensing(led: Ledger) -> None:
    led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    led.refused(
        "suspend_licence", SuspendLicence("ACME", "L1", "court_order"), *BOARD, code="auth.missing_signers"
    )
    led.refused(
        "suspend_licence", SuspendLicence("ACME", "L1", "whim"), A.licensing, code="company.bad_vocabulary"
    )
    led.refused(
        "reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing, code="company.licence_not_suspended"
    )
    r = led.ok("suspend_licence", SuspendLicence("ACME", "L1", "court_order"), A.licensing)
    assert attrs(r, "licence_suspended")["reason"] == "court_order"
    led.refused(
        "suspend_licence",
        SuspendLicence("ACME", "L1", "court_order"),
        A.licensing,
        code="company.licence_not_active",
    )
    assert led.tick(TERM_MS) == [], "a suspended licence is not renewed"
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED"), A.licensing)
    led.ok("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing)
    assert certificate_data(led.view, "ACME") is not None
    cert = certificate_data(led.view, "ACME")
    assert cert is not None and [(x.licence_id, x.status) for x in cert.licences] == [("L1", "active")]


def test_licence_limits(led: Ledger) -> None:
    for i in range(16):
        led.ok("issue_licence", _issue(licence_id=f"L{i}"), *BOARD, A.licensing)
    led.refused("issue_licence", _issue(licence_id="L99"), *BOARD, A.licensing, code="company.too_many")
    assert len(led.company(CompanyId("ACME").company_id).licences) == 16


def test_reinstatement_needs_licensing(led: Ledger) -> None:
    led.ok("issue_licence", _issue(), *BOARD, A.licensing)
    led.ok("suspend_licence", SuspendLicence("ACME", "L1", "court_order"), A.licensing)
    led.ok("pay_licence_fee", PayLicenceFee("ACME", "L1", 2, "PAY-2", 500_000, "AED"), A.licensing)
    led.refused(
        "reinstate_licence", ReinstateLicence("ACME", "L1"), *BOARD, A.clerk, code="auth.missing_signers"
    )
