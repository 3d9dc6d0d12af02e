"""The end of a company: strike-off by the registrar after notice, or voluntary dissolution.

Rules
-----
- `give_strike_off_notice` (a company registrar, always): the published notice's digest, a ground
  (missing_filings, no_registered_office, registrar_decision, court_order), and the time from which
  the company may be struck off: 30 days to a year after the block time (`company.bad_time`). One
  notice at a time (`company.notice_exists`). On the ground `missing_filings` a return must be
  overdue now (`company.not_in_default`).
- `withdraw_strike_off_notice` (a company registrar): a notice in force (`company.no_notice`), with a
  reason (filings_received, office_registered, registrar_decision, court_order).
- `strike_off` (a company registrar): a notice in force whose period has ended
  (`company.notice_period_running`); on the ground `missing_filings`, a return is still overdue
  (`company.not_in_default`): a company that filed during the notice period is not struck off.
- `dissolve` (the board; a company registrar by default policy, who registers the dissolution): a
  passed `dissolution` resolution not yet acted on (`company.resolution_not_passed`,
  `company.resolution_mismatch`, `company.resolution_used`) and the board's declaration digest.
Both ends close the register (status `struck_off` or `dissolved`, `ended_ms`): its licences lapse,
its open resolutions are cancelled, its timers are removed; nothing can change it afterwards
(`company.not_active`), and every version stays readable. The name stays reserved.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    CANCELLED,
    DISSOLVED,
    LICENCE_ACTIVE,
    LICENCE_LAPSED,
    MAX_STRIKE_OFF_NOTICE_MS,
    MIN_STRIKE_OFF_NOTICE_MS,
    NOTICE_WITHDRAWAL_REASONS,
    STRIKE_OFF_GROUNDS,
    STRUCK_OFF,
    CompanyVersion,
    Dissolve,
    Entry,
    GiveStrikeOffNotice,
    StrikeOff,
    StrikeOffNotice,
    WithdrawStrikeOffNotice,
)
from govledger.apps.company.ops_company import passed_resolution
from govledger.apps.company.roles import COMPANY_REGISTRAR
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"
MISSING_FILINGS = "missing_filings"


def _registrar(view: AppView, b: Any, ctx: TxContext) -> Requirement:
    return COMPANY_REGISTRAR


def _notice(company: CompanyVersion) -> StrikeOffNotice:
    if company.strike_off_notice is None:
        fail("company.no_notice", f"company {company.company_id!r} has no strike-off notice in force")
    return company.strike_off_notice


def _in_default(company: CompanyVersion, now_ms: int) -> None:
    if not store.overdue(company, now_ms):
        fail("company.not_in_default", f"no return of company {company.company_id!r} is overdue")


def wind_up(state: AppState, company: CompanyVersion, status: str, entry: Entry) -> list[Event]:
    """Close the register: lapse licences, cancel open resolutions, remove timers, write the version."""
    events: list[Event] = []
    reason = f"company_{status}"
    for lid in company.licences:
        lic = store.load_licence(state, company.company_id, lid)
        if lic.status == LICENCE_ACTIVE:
            store.unschedule(state, lic.expires_ms, "licence", company.company_id, lid)
        if lic.status != LICENCE_LAPSED:
            lapsed = msgspec.structs.replace(
                lic, status=LICENCE_LAPSED, reason=reason, updated_height=entry.height
            )
            store.put_licence(state, lapsed)
            events.append(event(NAME, "licence_lapsed", company.company_id, licence_id=lid, reason=reason))
    for rid in company.open_resolutions:
        res = store.load_resolution(state, company.company_id, rid)
        store.unschedule(state, res.deadline_ms, "resolution", company.company_id, rid)
        cancelled = msgspec.structs.replace(
            res, status=CANCELLED, closed_height=entry.height, closed_ms=entry.time_ms
        )
        store.put_resolution(state, company.company_id, cancelled)
        events.append(event(NAME, "resolution_cancelled", company.company_id, resolution_id=rid))
    period = company.filed_through + 1
    store.unschedule(state, company.next_filing_due_ms, "filing", company.company_id, str(period))
    c = store.next_version(
        state,
        company,
        entry,
        status=status,
        open_resolutions=[],
        strike_off_notice=None,
        ended_ms=entry.time_ms,
    )
    events.append(event(NAME, status, company.company_id, version=c.version))
    return events


# --- notices ---------------------------------------------------------------------------------------


def _check_give(view: AppView, b: GiveStrikeOffNotice, ctx: TxContext) -> None:
    rules.one_of(b.ground, STRIKE_OFF_GROUNDS, "ground")
    rules.digest(b.notice_sha256, "notice_sha256")
    company = rules.active_company(view, b.company_id)
    low, high = ctx.time_ms + MIN_STRIKE_OFF_NOTICE_MS, ctx.time_ms + MAX_STRIKE_OFF_NOTICE_MS
    rules.within(b.effective_ms, low, high, "effective_ms")
    if company.strike_off_notice is not None:
        fail("company.notice_exists", f"a notice is in force until {company.strike_off_notice.effective_ms}")
    if b.ground == MISSING_FILINGS:
        _in_default(company, ctx.time_ms)


def _apply_give(state: AppState, b: GiveStrikeOffNotice, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    notice = StrikeOffNotice(b.ground, b.notice_sha256, ctx.time_ms, ctx.height, b.effective_ms)
    entry = store.tx_entry(ctx, "give_strike_off_notice", [b.ground])
    c = store.next_version(state, company, entry, strike_off_notice=notice)
    return [
        event(
            NAME,
            "strike_off_notice_given",
            b.company_id,
            version=c.version,
            ground=b.ground,
            effective_ms=b.effective_ms,
        )
    ]


def _check_withdraw(view: AppView, b: WithdrawStrikeOffNotice, ctx: TxContext) -> None:
    rules.one_of(b.reason, NOTICE_WITHDRAWAL_REASONS, "reason")
    _notice(rules.active_company(view, b.company_id))


def _apply_withdraw(state: AppState, b: WithdrawStrikeOffNotice, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    entry = store.tx_entry(ctx, "withdraw_strike_off_notice", [b.reason])
    c = store.next_version(state, company, entry, strike_off_notice=None)
    return [event(NAME, "strike_off_notice_withdrawn", b.company_id, version=c.version, reason=b.reason)]


# --- strike_off / dissolve -------------------------------------------------------------------------


def _check_strike(view: AppView, b: StrikeOff, ctx: TxContext) -> None:
    company = rules.active_company(view, b.company_id)
    notice = _notice(company)
    if ctx.time_ms < notice.effective_ms:
        fail("company.notice_period_running", f"the notice period ends at {notice.effective_ms}")
    if notice.ground == MISSING_FILINGS:
        _in_default(company, ctx.time_ms)


def _apply_strike(state: AppState, b: StrikeOff, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    notice = _notice(company)
    return wind_up(state, company, STRUCK_OFF, store.tx_entry(ctx, "strike_off", [notice.ground]))


def _signers_dissolve(view: AppView, b: Dissolve, ctx: TxContext) -> Requirement:
    return rules.board_of(view, b.company_id, ctx.time_ms)


def _check_dissolve(view: AppView, b: Dissolve, ctx: TxContext) -> None:
    rules.digest(b.declaration_sha256, "declaration_sha256")
    rules.active_company(view, b.company_id)
    passed_resolution(view, b.company_id, b.resolution_id, "dissolution")


def _apply_dissolve(state: AppState, b: Dissolve, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    r = store.load_resolution(state, b.company_id, b.resolution_id)
    store.put_resolution(state, b.company_id, msgspec.structs.replace(r, used_by="dissolve"))
    return wind_up(state, company, DISSOLVED, store.tx_entry(ctx, "dissolve", [b.resolution_id]))


OPERATIONS: dict[str, Operation[Any]] = {
    "give_strike_off_notice": Operation(
        GiveStrikeOffNotice,
        _registrar,
        _check_give,
        _apply_give,
        "Publish a notice that the company will be struck off after a period: company registrar.",
    ),
    "withdraw_strike_off_notice": Operation(
        WithdrawStrikeOffNotice,
        _registrar,
        _check_withdraw,
        _apply_withdraw,
        "Withdraw a strike-off notice: company registrar.",
    ),
    "strike_off": Operation(
        StrikeOff,
        _registrar,
        _check_strike,
        _apply_strike,
        "Strike the company off the register once the notice period has ended: company registrar.",
    ),
    "dissolve": Operation(
        Dissolve,
        _signers_dissolve,
        _check_dissolve,
        _apply_dissolve,
        "Dissolve voluntarily on a passed dissolution resolution: the board (+ registrar by policy).",
    ),
}
