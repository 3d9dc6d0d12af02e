"""Time-driven rules, run once per block after its transactions (`App.end_block`), from block time only.

Rules
-----
Entries `due/<time>/<kind>/<company>/<id>` due at or before the block's time are visited in key order
(time, then kind, company, id), at most `MAX_DUE_PER_BLOCK` per block (the rest wait for the next
block), each removed when visited. An entry whose subject has moved on (licence suspended or renewed,
resolution cancelled, return filed) is just removed.

- `filing` (period p): if the company is active and p is still unfiled, set `in_default`, write a
  version (`filing_overdue`) and emit `filing_overdue`. Rules never wait for this: they compare the
  due time with block time themselves (`store.overdue`).
- `licence` (automatic renewal, at `expires_ms`):
  * renewed for one more term (`expires_ms += term_ms`, no drift from late blocks) when the coming
    term's fee is paid (`paid_term >= term + 1`) and no return was overdue at the expiry time
    (`next_filing_due_ms > expires_ms`): event `licence_renewed`;
  * otherwise suspended with the reasons (`fee_unpaid`, `filings_missing`, comma-separated, in that
    order): event `licence_suspended`. `reinstate_licence` brings it back.
  The decision reads the state left by the block's transactions: a fee paid or a return filed in the
  block that reaches the expiry counts.
- `resolution` (deadline): closed with the tally and the votes outstanding at the record height
  (ops_resolutions.RESOLUTION_RULES): status `passed` or `failed`, a version (`resolution_closed`)
  and an event `resolution_closed` with the numbers.
Events written here have no transaction (the SSE stream shows `tx_id: null`).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from govledger.apps.company import store
from govledger.apps.company.model import (
    ACTIVE,
    LICENCE_ACTIVE,
    LICENCE_SUSPENDED,
    MAX_DUE_PER_BLOCK,
    OPEN,
    CompanyVersion,
    Licence,
)
from govledger.apps.company.ops_resolutions import close
from govledger.ledger.app import AppState, BlockContext, event
from govledger.ledger.block import Event

NAME = "company"


def renewal_reasons(company: CompanyVersion, lic: Licence) -> list[str]:
    """Why a licence cannot renew at its expiry ([] : it renews). Pure, for the sweep and for tests."""
    reasons = []
    if lic.paid_term < lic.term + 1:
        reasons.append("fee_unpaid")
    if store.overdue(company, lic.expires_ms):
        reasons.append("filings_missing")
    return reasons


def _filing_due(state: AppState, ctx: BlockContext, company_id: str, item: str, due_ms: int) -> list[Event]:
    company = store.get_company(state, company_id)
    period = int(item)
    if company is None or company.status != ACTIVE or company.filed_through >= period or company.in_default:
        return []
    entry = store.block_entry("filing_overdue", [item], ctx.height, ctx.time_ms)
    c = store.next_version(state, company, entry, in_default=True)
    return [event(NAME, "filing_overdue", company_id, version=c.version, period=period, due_ms=due_ms)]


def _licence_due(state: AppState, ctx: BlockContext, company_id: str, item: str, due_ms: int) -> list[Event]:
    lic = store.get_licence(state, company_id, item)
    company = store.get_company(state, company_id)
    if lic is None or company is None or lic.status != LICENCE_ACTIVE or lic.expires_ms != due_ms:
        return []
    reasons = renewal_reasons(company, lic)
    if reasons:
        reason = ",".join(reasons)
        store.put_licence(
            state,
            msgspec.structs.replace(lic, status=LICENCE_SUSPENDED, reason=reason, updated_height=ctx.height),
        )
        return [event(NAME, "licence_suspended", company_id, licence_id=item, reason=reason, term=lic.term)]
    renewed = msgspec.structs.replace(
        lic, term=lic.term + 1, expires_ms=lic.expires_ms + lic.term_ms, updated_height=ctx.height
    )
    store.put_licence(state, renewed)
    store.schedule(state, renewed.expires_ms, "licence", company_id, item)
    return [
        event(
            NAME,
            "licence_renewed",
            company_id,
            licence_id=item,
            term=renewed.term,
            expires_ms=renewed.expires_ms,
        )
    ]


def _resolution_due(
    state: AppState, ctx: BlockContext, company_id: str, item: str, due_ms: int
) -> list[Event]:
    res = store.get_resolution(state, company_id, item)
    company = store.get_company(state, company_id)
    if res is None or company is None or res.status != OPEN or res.deadline_ms != due_ms:
        return []
    closed = close(res, store.outstanding_votes(state, company, res), ctx.height, ctx.time_ms)
    store.put_resolution(state, company_id, closed)
    entry = store.block_entry("resolution_closed", [item], ctx.height, ctx.time_ms)
    left = [r for r in company.open_resolutions if r != item]
    c = store.next_version(state, company, entry, open_resolutions=left)
    return [
        event(
            NAME,
            "resolution_closed",
            company_id,
            version=c.version,
            resolution_id=item,
            status=closed.status,
            quorum_met=closed.quorum_met,
            yes=closed.yes,
            no=closed.no,
            abstain=closed.abstain,
            outstanding=closed.outstanding,
        )
    ]


SWEEP: dict[str, Callable[[AppState, BlockContext, str, str, int], list[Event]]] = {
    "filing": _filing_due,
    "licence": _licence_due,
    "resolution": _resolution_due,
}
assert tuple(sorted(SWEEP)) == store.DUE_KINDS


def end_block(state: AppState, ctx: BlockContext) -> list[Event]:
    events: list[Event] = []
    for key, _ in state.scan(store.DUE_PREFIX, limit=MAX_DUE_PER_BLOCK):
        due_ms, kind, company_id, item = store.parse_due_key(key)
        if due_ms > ctx.time_ms:
            break
        state.delete(key)
        events += SWEEP[kind](state, ctx, company_id, item, due_ms)
    return events
