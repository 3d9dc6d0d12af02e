"""Officers: appointment and end of appointment of directors and secretaries, effective at block time.

Rules
-----
- An appointment serves while `appointed_ms <= block time < ended_ms`. Both times are given by the
  operation (not before the block time, at most a year ahead, `company.bad_time`), so a board can
  appoint a director from the first of next month; the board that signs is computed from the
  appointments serving at the block time of each transaction.
- `appoint_officer` (the board, and the appointee's consent with its own keys): a registered party
  (`company.unknown_party`) that does not already hold or await that office
  (`company.already_appointed`); at most 32 listed appointments and 15 directors (`company.too_many`).
- `end_appointment` (the officer itself, resigning, or the board, removing): an appointment to that
  role with no end yet (`company.not_an_officer`); it ends at `effective_ms`, not before it began;
  the reason is one of resignation, removal, death, disqualification. A director can leave only if
  another director with no end set remains (`company.last_director`).
Every appointment ever made is kept at `appointment/<company>/<seq>`; the company record lists the
current and scheduled ones.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    DIRECTOR,
    END_REASONS,
    MAX_APPOINTMENT_AHEAD_MS,
    MAX_DIRECTORS,
    MAX_OFFICERS,
    OFFICER_ROLES,
    Appointment,
    AppointOfficer,
    EndAppointment,
)
from govledger.ledger.app import (
    NOBODY_ELSE,
    AllOf,
    AppState,
    AppView,
    Operation,
    Requirement,
    Threshold,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "company"


def _shape(company_id: str, party_id: str, role: str, effective_ms: int) -> None:
    rules.identifier(company_id, "company_id")
    rules.identifier(party_id, "party_id")
    rules.one_of(role, OFFICER_ROLES, "officer role")
    rules.time_ms(effective_ms, "effective_ms")


# --- appoint_officer -------------------------------------------------------------------------------


def _signers_appoint(view: AppView, b: AppointOfficer, ctx: TxContext) -> Requirement:
    _shape(b.company_id, b.party_id, b.role, b.effective_ms)
    return AllOf(
        of=[rules.board_of(view, b.company_id, ctx.time_ms), rules.parties_requirement(view, [b.party_id])]
    )


def _check_appoint(view: AppView, b: AppointOfficer, ctx: TxContext) -> None:
    _shape(b.company_id, b.party_id, b.role, b.effective_ms)
    company = rules.active_company(view, b.company_id)
    store.load_party(view, b.party_id)
    rules.within(b.effective_ms, ctx.time_ms, ctx.time_ms + MAX_APPOINTMENT_AHEAD_MS, "effective_ms")
    live = [a for a in company.officers if a.ended_ms == 0 or a.ended_ms > ctx.time_ms]
    if any(a.party_id == b.party_id and a.role == b.role for a in live):
        fail("company.already_appointed", f"party {b.party_id!r} already holds or awaits office {b.role}")
    if len(live) >= MAX_OFFICERS:
        fail("company.too_many", f"a company lists at most {MAX_OFFICERS} appointments")
    directors = [a for a in live if a.role == DIRECTOR]
    if b.role == DIRECTOR and len(directors) >= MAX_DIRECTORS:
        fail("company.too_many", f"a board has at most {MAX_DIRECTORS} directors")


def _apply_appoint(state: AppState, b: AppointOfficer, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    a = Appointment(
        seq=company.appointments + 1,
        party_id=b.party_id,
        role=b.role,
        appointed_ms=b.effective_ms,
        appointed_height=ctx.height,
    )
    state.put(store.appointment_key(b.company_id, a.seq), a)
    entry = store.tx_entry(ctx, "appoint_officer", [b.party_id, b.role])
    c = store.next_version(
        state, company, entry, officers=[*company.officers, a], appointments=company.appointments + 1
    )
    return [
        event(
            NAME,
            "officer_appointed",
            b.company_id,
            version=c.version,
            party_id=b.party_id,
            role=b.role,
            effective_ms=b.effective_ms,
        )
    ]


# --- end_appointment -------------------------------------------------------------------------------


def _signers_end(view: AppView, b: EndAppointment, ctx: TxContext) -> Requirement:
    _shape(b.company_id, b.party_id, b.role, b.effective_ms)
    company = store.get_company(view, b.company_id)
    if company is None:
        return NOBODY_ELSE
    party = store.get_party(view, b.party_id)
    board = rules.board_requirement(view, company, ctx.time_ms)
    return Threshold(k=1, of=[board] if party is None else [rules.party_requirement(party), board])


def _check_end(view: AppView, b: EndAppointment, ctx: TxContext) -> None:
    _shape(b.company_id, b.party_id, b.role, b.effective_ms)
    rules.one_of(b.reason, END_REASONS, "reason")
    company = rules.active_company(view, b.company_id)
    a = rules.open_appointment(company, b.party_id, b.role)
    if a is None:
        fail("company.not_an_officer", f"party {b.party_id!r} holds no open {b.role} appointment")
    low = max(ctx.time_ms, a.appointed_ms)
    rules.within(b.effective_ms, low, ctx.time_ms + MAX_APPOINTMENT_AHEAD_MS, "effective_ms")
    if b.role == DIRECTOR:
        remaining = [x for x in company.officers if x.role == DIRECTOR and x.ended_ms == 0 and x.seq != a.seq]
        if not remaining:
            fail("company.last_director", "appoint another director before the last one leaves")


def _apply_end(state: AppState, b: EndAppointment, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    a = rules.open_appointment(company, b.party_id, b.role)
    assert a is not None
    ended = msgspec.structs.replace(a, ended_ms=b.effective_ms, end_reason=b.reason, ended_height=ctx.height)
    state.put(store.appointment_key(b.company_id, a.seq), ended)
    officers = [ended if x.seq == a.seq else x for x in company.officers]
    entry = store.tx_entry(ctx, "end_appointment", [b.party_id, b.role])
    c = store.next_version(state, company, entry, officers=officers)
    return [
        event(
            NAME,
            "appointment_ended",
            b.company_id,
            version=c.version,
            party_id=b.party_id,
            role=b.role,
            effective_ms=b.effective_ms,
            reason=b.reason,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "appoint_officer": Operation(
        AppointOfficer,
        _signers_appoint,
        _check_appoint,
        _apply_appoint,
        "Appoint a director or secretary from a block time: the board + the appointee.",
    ),
    "end_appointment": Operation(
        EndAppointment,
        _signers_end,
        _check_end,
        _apply_end,
        "End an appointment from a block time: the officer (resigning) or the board (removing).",
    ),
}
