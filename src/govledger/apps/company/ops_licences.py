"""Trade licences: issue, fee payments, suspension and reinstatement (renewal itself is in timers.py).

Rules
-----
- A licence lists 1..16 activity codes and runs term by term (30 days..5 years, `company.bad_time`);
  term 1 starts at issue. Its renewal fee (integer minor units, ISO 4217 currency) is fixed at issue.
- `issue_licence` (the board applies; a `licensing` member grants): a new licence id
  (`company.licence_exists`), at most 16 per company (`company.too_many`), no annual return overdue
  (`company.filings_overdue`). The first term's fee is paid with the application (`payment_ref`).
- `pay_licence_fee` (a `licensing` member, confirming the payment it received; the company cannot
  certify its own payment): for the coming term only, `term = current term + 1`
  (`company.wrong_term`), once (`company.fee_already_paid`), of exactly the fee and currency
  (`company.wrong_fee`). A suspended licence can be paid for, to be reinstated.
- `suspend_licence` (`licensing`): an active licence (`company.licence_not_active`), with a ground.
- `reinstate_licence` (`licensing`): a suspended licence (`company.licence_not_suspended`) whose coming
  term is paid (`company.fee_unpaid`) and whose company has no return overdue
  (`company.filings_overdue`): it starts that term now.
- Automatic renewal at expiry (timers.py): renewed for one more term if the coming term is paid and no
  return was overdue at the expiry time; otherwise suspended with the reasons recorded.
- A licence lapses with its company (strike-off, dissolution); nothing changes it afterwards
  (`company.not_active`).
Licence operations write the licence record and emit events; issuing one also writes a company version.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    LICENCE_ACTIVE,
    LICENCE_LAPSED,
    LICENCE_SUSPENDED,
    MAX_ACTIVITIES,
    MAX_LICENCE_TERM_MS,
    MAX_LICENCES,
    MIN_LICENCE_TERM_MS,
    SUSPENSION_GROUNDS,
    FeePayment,
    IssueLicence,
    Licence,
    PayLicenceFee,
    ReinstateLicence,
    SuspendLicence,
)
from govledger.apps.company.roles import LICENSING
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"
MAX_TERM = 999_999


def _licensing(view: AppView, b: Any, ctx: TxContext) -> Requirement:
    return LICENSING


def _ids(company_id: str, licence_id: str) -> None:
    rules.identifier(company_id, "company_id")
    rules.identifier(licence_id, "licence_id")


def _live_licence(view: AppView, company_id: str, licence_id: str) -> Licence:
    """A licence of an active company (licences lapse only with their company)."""
    _ids(company_id, licence_id)
    rules.active_company(view, company_id)
    lic = store.load_licence(view, company_id, licence_id)
    assert lic.status != LICENCE_LAPSED, "a licence lapses only when its company ends"
    return lic


def _fee(state: AppState, lic: Licence, term: int, ref: str, amount: int, ctx: TxContext) -> None:
    payment = FeePayment(lic.licence_id, term, ref, amount, lic.currency, ctx.height, ctx.time_ms)
    state.put(store.fee_key(lic.company_id, lic.licence_id, term), payment)


def _no_overdue_return(view: AppView, company_id: str, now_ms: int) -> None:
    company = store.load_company(view, company_id)
    if store.overdue(company, now_ms):
        fail("company.filings_overdue", f"the return for period {company.filed_through + 1} is overdue")


# --- issue_licence ---------------------------------------------------------------------------------


def _shape_issue(b: IssueLicence) -> None:
    _ids(b.company_id, b.licence_id)
    rules.bounded(b.activities, 1, MAX_ACTIVITIES, "activities")
    for a in b.activities:
        rules.code(a, "activity")
    rules.distinct(b.activities, "activities")
    if not MIN_LICENCE_TERM_MS <= b.term_ms <= MAX_LICENCE_TERM_MS:
        fail("company.bad_time", f"a term is {MIN_LICENCE_TERM_MS}..{MAX_LICENCE_TERM_MS} ms")
    rules.money(b.fee_minor, "fee")
    rules.currency(b.currency)
    rules.identifier(b.payment_ref, "payment_ref")


def _signers_issue(view: AppView, b: IssueLicence, ctx: TxContext) -> Requirement:
    _shape_issue(b)
    return AllOf(of=[rules.board_of(view, b.company_id, ctx.time_ms), LICENSING])


def _check_issue(view: AppView, b: IssueLicence, ctx: TxContext) -> None:
    _shape_issue(b)
    company = rules.active_company(view, b.company_id)
    if store.get_licence(view, b.company_id, b.licence_id) is not None:
        fail("company.licence_exists", f"licence {b.licence_id!r} exists")
    if len(company.licences) >= MAX_LICENCES:
        fail("company.too_many", f"a company holds at most {MAX_LICENCES} licences")
    rules.time_ms(ctx.time_ms + b.term_ms, "expiry")
    _no_overdue_return(view, b.company_id, ctx.time_ms)


def _apply_issue(state: AppState, b: IssueLicence, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    lic = Licence(
        licence_id=b.licence_id,
        company_id=b.company_id,
        activities=sorted(b.activities),
        term_ms=b.term_ms,
        fee_minor=b.fee_minor,
        currency=b.currency,
        term=1,
        paid_term=1,
        issued_ms=ctx.time_ms,
        expires_ms=ctx.time_ms + b.term_ms,
        status=LICENCE_ACTIVE,
        reason="",
        updated_height=ctx.height,
    )
    store.put_licence(state, lic)
    _fee(state, lic, 1, b.payment_ref, b.fee_minor, ctx)
    store.schedule(state, lic.expires_ms, "licence", b.company_id, b.licence_id)
    entry = store.tx_entry(ctx, "issue_licence", [b.licence_id])
    c = store.next_version(state, company, entry, licences=[*company.licences, b.licence_id])
    return [
        event(
            NAME,
            "licence_issued",
            b.company_id,
            version=c.version,
            licence_id=b.licence_id,
            activities=",".join(lic.activities),
            expires_ms=lic.expires_ms,
        )
    ]


# --- pay_licence_fee -------------------------------------------------------------------------------


def _check_pay(view: AppView, b: PayLicenceFee, ctx: TxContext) -> None:
    rules.identifier(b.payment_ref, "payment_ref")
    rules.money(b.amount_minor, "amount")
    rules.currency(b.currency)
    lic = _live_licence(view, b.company_id, b.licence_id)
    if b.term != lic.term + 1:
        fail("company.wrong_term", f"the coming term of licence {b.licence_id!r} is {lic.term + 1}")
    if lic.paid_term >= b.term:
        fail("company.fee_already_paid", f"term {b.term} is already paid")
    if (b.amount_minor, b.currency) != (lic.fee_minor, lic.currency):
        fail("company.wrong_fee", f"the fee is {lic.fee_minor} {lic.currency} (minor units)")


def _apply_pay(state: AppState, b: PayLicenceFee, ctx: TxContext) -> list[Event]:
    lic = store.load_licence(state, b.company_id, b.licence_id)
    _fee(state, lic, b.term, b.payment_ref, b.amount_minor, ctx)
    store.put_licence(state, msgspec.structs.replace(lic, paid_term=b.term, updated_height=ctx.height))
    return [
        event(
            NAME,
            "licence_fee_paid",
            b.company_id,
            licence_id=b.licence_id,
            term=b.term,
            payment_ref=b.payment_ref,
            amount_minor=b.amount_minor,
            currency=b.currency,
        )
    ]


# --- suspend_licence / reinstate_licence -----------------------------------------------------------


def _check_suspend(view: AppView, b: SuspendLicence, ctx: TxContext) -> None:
    rules.one_of(b.ground, SUSPENSION_GROUNDS, "ground")
    lic = _live_licence(view, b.company_id, b.licence_id)
    if lic.status != LICENCE_ACTIVE:
        fail("company.licence_not_active", f"licence {b.licence_id!r} is {lic.status}")


def _apply_suspend(state: AppState, b: SuspendLicence, ctx: TxContext) -> list[Event]:
    lic = store.load_licence(state, b.company_id, b.licence_id)
    store.unschedule(state, lic.expires_ms, "licence", b.company_id, b.licence_id)
    new = msgspec.structs.replace(lic, status=LICENCE_SUSPENDED, reason=b.ground, updated_height=ctx.height)
    store.put_licence(state, new)
    return [event(NAME, "licence_suspended", b.company_id, licence_id=b.licence_id, reason=b.ground)]


def _check_reinstate(view: AppView, b: ReinstateLicence, ctx: TxContext) -> None:
    lic = _live_licence(view, b.company_id, b.licence_id)
    if lic.status != LICENCE_SUSPENDED:
        fail("company.licence_not_suspended", f"licence {b.licence_id!r} is {lic.status}")
    if lic.paid_term < lic.term + 1:
        fail("company.fee_unpaid", f"the fee for term {lic.term + 1} is not paid")
    _no_overdue_return(view, b.company_id, ctx.time_ms)
    rules.time_ms(ctx.time_ms + lic.term_ms, "expiry")


def _apply_reinstate(state: AppState, b: ReinstateLicence, ctx: TxContext) -> list[Event]:
    lic = store.load_licence(state, b.company_id, b.licence_id)
    new = msgspec.structs.replace(
        lic,
        term=lic.term + 1,
        expires_ms=ctx.time_ms + lic.term_ms,
        status=LICENCE_ACTIVE,
        reason="",
        updated_height=ctx.height,
    )
    store.put_licence(state, new)
    store.schedule(state, new.expires_ms, "licence", b.company_id, b.licence_id)
    return [
        event(
            NAME,
            "licence_reinstated",
            b.company_id,
            licence_id=b.licence_id,
            term=new.term,
            expires_ms=new.expires_ms,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "issue_licence": Operation(
        IssueLicence,
        _signers_issue,
        _check_issue,
        _apply_issue,
        "Issue a trade licence for activities, first term paid: the board + licensing.",
    ),
    "pay_licence_fee": Operation(
        PayLicenceFee,
        _licensing,
        _check_pay,
        _apply_pay,
        "Record the fee received for a licence's coming term: licensing.",
    ),
    "suspend_licence": Operation(
        SuspendLicence,
        _licensing,
        _check_suspend,
        _apply_suspend,
        "Suspend an active licence on a ground: licensing.",
    ),
    "reinstate_licence": Operation(
        ReinstateLicence,
        _licensing,
        _check_reinstate,
        _apply_reinstate,
        "Reinstate a suspended licence for a new, paid term: licensing.",
    ),
}
