"""Annual returns: filed period by period, late ones detected by block time.

Rules
-----
- Period `p` runs from `incorporated_ms + (p-1) x 365 days` to `incorporated_ms + p x 365 days`; its
  return is due `FILING_GRACE_MS` (90 days) after the period ends. All block time, all integers.
- `file_annual_return` (any one serving director or secretary; no official): the next unfiled period
  (`company.filing_out_of_order`), which has ended (`company.period_not_ended`); the return's digest.
  A return filed after its due time is recorded `late`. Filing clears the company's `in_default` flag
  unless the next period is already overdue too.
- The company is *overdue* at time t when the next unfiled period's due time is <= t
  (`store.overdue`); rules that depend on it (licence issue and renewal, strike-off for missing
  filings) compute it from block time. The per-block sweep (timers.py) makes state say so: at the due
  time it sets `in_default`, writes a version (`filing_overdue`) and emits an event.
A struck-off or dissolved company files nothing (`company.not_active`).
"""

from __future__ import annotations

from typing import Any

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import FileAnnualReturn, Filing
from govledger.ledger.app import NOBODY_ELSE, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"
MAX_PERIOD = 999_999


def _shape(b: FileAnnualReturn) -> None:
    rules.identifier(b.company_id, "company_id")
    if not 1 <= b.period <= MAX_PERIOD:
        fail("company.filing_out_of_order", f"period must be 1..{MAX_PERIOD}")
    rules.digest(b.document_sha256, "document_sha256")


def _signers_file(view: AppView, b: FileAnnualReturn, ctx: TxContext) -> Requirement:
    _shape(b)
    company = store.get_company(view, b.company_id)
    return NOBODY_ELSE if company is None else rules.any_officer_requirement(view, company, ctx.time_ms)


def _check_file(view: AppView, b: FileAnnualReturn, ctx: TxContext) -> None:
    _shape(b)
    company = rules.active_company(view, b.company_id)
    if b.period != company.filed_through + 1:
        fail("company.filing_out_of_order", f"the next return is for period {company.filed_through + 1}")
    end_ms = store.period_end_ms(company, b.period)
    if ctx.time_ms < end_ms:
        fail("company.period_not_ended", f"period {b.period} ends at {end_ms}")


def _apply_file(state: AppState, b: FileAnnualReturn, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    due_ms = store.filing_due_ms(company, b.period)
    assert due_ms == company.next_filing_due_ms, "the next due time follows the filed periods"
    filing = Filing(
        period=b.period,
        document_sha256=b.document_sha256,
        period_end_ms=store.period_end_ms(company, b.period),
        due_ms=due_ms,
        filed_ms=ctx.time_ms,
        height=ctx.height,
        late=ctx.time_ms > due_ms,
    )
    state.put(store.filing_key(b.company_id, b.period), filing)
    store.unschedule(state, due_ms, "filing", b.company_id, str(b.period))
    next_due = store.filing_due_ms(company, b.period + 1)
    store.schedule(state, next_due, "filing", b.company_id, str(b.period + 1))
    entry = store.tx_entry(ctx, "file_annual_return", [str(b.period)])
    c = store.next_version(
        state,
        company,
        entry,
        filed_through=b.period,
        next_filing_due_ms=next_due,
        in_default=next_due <= ctx.time_ms,
    )
    return [
        event(
            NAME,
            "annual_return_filed",
            b.company_id,
            version=c.version,
            period=b.period,
            late=filing.late,
            document=b.document_sha256,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "file_annual_return": Operation(
        FileAnnualReturn,
        _signers_file,
        _check_file,
        _apply_file,
        "File the annual return for the next period: one serving director or secretary.",
    ),
}
