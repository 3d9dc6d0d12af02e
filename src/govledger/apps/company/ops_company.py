"""Incorporation, the registered office and the articles of association.

Rules
-----
- `incorporate` (every founder and every initial officer, each consenting with its own keys, and a
  company registrar, always): a new company id (`company.company_exists`) and a name no other company
  uses, compared case-insensitively for ASCII letters (`company.name_taken`); a legal form from the
  list (`company.bad_vocabulary`); the articles' digest; the registered office as a commitment (an
  address can be a person's home: it lives in the vault). 1..8 founders, 1..8 initial officers, at
  least one a director (`company.no_director`), at most 15 signing parties in all; 1..8 share classes
  (votes per share 0..100, par value in minor units, authorised 1..1e14 shares); allotments of those
  classes to registered parties, within each class's authorised number
  (`company.exceeds_authorised`). Every named party is registered (`company.unknown_party`).
  `original_incorporation_ms` (0, or a past time) keeps a migrated company's date in its predecessor
  register. Officers serve from the incorporation block time; annual return periods count from it.
- `change_registered_office` (the board): a new office commitment.
- `amend_articles` (the board): the new articles' digest must be the motion of a passed `special`
  resolution (`company.resolution_not_passed`, `company.resolution_mismatch`) not yet acted on
  (`company.resolution_used`).
Every operation but `incorporate` needs an active company (`company.not_active`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec

from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    ACTIVE,
    DIRECTOR,
    FILING_GRACE_MS,
    FILING_PERIOD_MS,
    LEGAL_FORMS,
    MAX_ALLOTMENTS,
    MAX_CLASSES,
    MAX_FOUNDERS,
    MAX_INITIAL_OFFICERS,
    MAX_SHARES,
    MAX_VOTES_PER_SHARE,
    OFFICER_ROLES,
    PASSED,
    AmendArticles,
    Appointment,
    ChangeRegisteredOffice,
    CompanyVersion,
    Incorporate,
    NewShareClass,
    Resolution,
    ShareClass,
)
from govledger.apps.company.roles import COMPANY_REGISTRAR
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"
MAX_SIGNING_PARTIES = 15  # plus the registrar: a transaction carries at most 16 signatures


def class_shape(c: NewShareClass) -> None:
    rules.identifier(c.class_id, "class_id")
    if not 0 <= c.votes_per_share <= MAX_VOTES_PER_SHARE:
        fail("company.bad_amount", f"votes per share must be 0..{MAX_VOTES_PER_SHARE}")
    rules.money(c.par_value_minor, "par value", allow_zero=True)
    rules.currency(c.currency)
    if not 0 < c.authorised <= MAX_SHARES:
        fail("company.bad_amount", f"authorised shares must be 1..{MAX_SHARES}")


def new_class(c: NewShareClass, height: int) -> ShareClass:
    return ShareClass(
        class_id=c.class_id,
        votes_per_share=c.votes_per_share,
        par_value_minor=c.par_value_minor,
        currency=c.currency,
        authorised=c.authorised,
        issued=0,
        holders=0,
        created_height=height,
    )


def passed_resolution(view: AppView, company_id: str, resolution_id: str, kind: str) -> Resolution:
    """A passed resolution of `kind` not yet acted on (for amend_articles and dissolve)."""
    rules.identifier(resolution_id, "resolution_id")
    r = store.load_resolution(view, company_id, resolution_id)
    if r.status != PASSED:
        fail("company.resolution_not_passed", f"resolution {resolution_id!r} is {r.status}")
    if r.kind != kind:
        fail("company.resolution_mismatch", f"resolution {resolution_id!r} is {r.kind}, not {kind}")
    if r.used_by:
        fail("company.resolution_used", f"resolution {resolution_id!r} was already used by {r.used_by}")
    return r


# --- incorporate -----------------------------------------------------------------------------------


def _signing_parties(b: Incorporate) -> list[str]:
    return list(dict.fromkeys([*b.founders, *(o.party_id for o in b.officers)]))


def _shape_incorporate(b: Incorporate) -> None:
    rules.identifier(b.company_id, "company_id")
    rules.company_name(b.name)
    rules.one_of(b.legal_form, LEGAL_FORMS, "legal form")
    rules.digest(b.articles_sha256, "articles_sha256")
    rules.commitment(b.office_commitment, "office_commitment")
    rules.bounded(b.founders, 1, MAX_FOUNDERS, "founders")
    rules.identifiers(b.founders, "founder")
    rules.distinct(b.founders, "founders")
    rules.bounded(b.officers, 1, MAX_INITIAL_OFFICERS, "officers")
    for o in b.officers:
        rules.identifier(o.party_id, "officer")
        rules.one_of(o.role, OFFICER_ROLES, "officer role")
    rules.distinct([f"{o.party_id}/{o.role}" for o in b.officers], "officers")
    directors = sum(1 for o in b.officers if o.role == DIRECTOR)
    if directors == 0:
        fail("company.no_director", "a company is incorporated with at least one director")
    rules.bounded(_signing_parties(b), 1, MAX_SIGNING_PARTIES, "founders and officers together")
    _shape_capital(b)
    rules.time_ms(b.original_incorporation_ms, "original_incorporation_ms")


def _shape_capital(b: Incorporate) -> None:
    rules.bounded(b.share_classes, 1, MAX_CLASSES, "share classes")
    for c in b.share_classes:
        class_shape(c)
    rules.distinct([c.class_id for c in b.share_classes], "share classes")
    rules.bounded(b.allotments, 0, MAX_ALLOTMENTS, "allotments")
    authorised = {c.class_id: c.authorised for c in b.share_classes}
    for a in b.allotments:
        rules.identifier(a.party_id, "allottee")
        rules.shares(a.amount, "allotment")
        if a.class_id not in authorised:
            fail("company.unknown_class", f"allotment of undeclared class {a.class_id!r}")
    rules.distinct([f"{a.class_id}/{a.party_id}" for a in b.allotments], "allotments")
    totals: Counter[str] = Counter()
    for a in b.allotments:
        totals[a.class_id] += a.amount
    for class_id, total in sorted(totals.items()):
        if total > authorised[class_id]:
            fail(
                "company.exceeds_authorised",
                f"class {class_id!r}: {total} allotted of {authorised[class_id]}",
            )


def _signers_incorporate(view: AppView, b: Incorporate, ctx: TxContext) -> Requirement:
    _shape_incorporate(b)
    return AllOf(of=[COMPANY_REGISTRAR, rules.parties_requirement(view, _signing_parties(b))])


def _check_incorporate(view: AppView, b: Incorporate, ctx: TxContext) -> None:
    _shape_incorporate(b)
    if b.original_incorporation_ms > ctx.time_ms:
        fail("company.bad_time", "original_incorporation_ms is in the future")
    if store.get_company(view, b.company_id) is not None:
        fail("company.company_exists", f"company {b.company_id!r} exists (ids are never reused)")
    holder = store.company_of_name(view, b.name)
    if holder is not None:
        fail("company.name_taken", f"the name is registered to company {holder!r}")
    for pid in dict.fromkeys([*_signing_parties(b), *(a.party_id for a in b.allotments)]):
        store.load_party(view, pid)


def _apply_incorporate(state: AppState, b: Incorporate, ctx: TxContext) -> list[Event]:
    officers = [
        Appointment(
            seq=i, party_id=o.party_id, role=o.role, appointed_ms=ctx.time_ms, appointed_height=ctx.height
        )
        for i, o in enumerate(b.officers, start=1)
    ]
    for a in officers:
        state.put(store.appointment_key(b.company_id, a.seq), a)
    company = CompanyVersion(
        company_id=b.company_id,
        version=1,
        name=b.name,
        legal_form=b.legal_form,
        status=ACTIVE,
        articles_sha256=b.articles_sha256,
        articles_version=1,
        office_commitment=b.office_commitment,
        incorporated_height=ctx.height,
        incorporated_ms=ctx.time_ms,
        original_incorporation_ms=b.original_incorporation_ms,
        officers=officers,
        appointments=len(officers),
        classes=[c.class_id for c in b.share_classes],
        licences=[],
        filed_through=0,
        next_filing_due_ms=ctx.time_ms + FILING_PERIOD_MS + FILING_GRACE_MS,
        in_default=False,
        open_resolutions=[],
        resolutions=0,
        strike_off_notice=None,
        ended_ms=0,
        entry=store.tx_entry(ctx, "incorporate", []),
    )
    store.first_version(state, company)
    assert store.filing_due_ms(company, 1) == company.next_filing_due_ms
    store.schedule(state, company.next_filing_due_ms, "filing", b.company_id, "1")
    for c in b.share_classes:
        store.put_class(state, b.company_id, new_class(c, ctx.height))
        deltas = {a.party_id: a.amount for a in b.allotments if a.class_id == c.class_id}
        if deltas:
            store.move_shares(state, company, c.class_id, deltas, ctx.height)
    return [
        event(
            NAME,
            "incorporated",
            b.company_id,
            name=b.name,
            legal_form=b.legal_form,
            founders=",".join(b.founders),
            officers=len(officers),
        )
    ]


# --- change_registered_office ----------------------------------------------------------------------


def _signers_board(view: AppView, b: Any, ctx: TxContext) -> Requirement:
    return rules.board_of(view, b.company_id, ctx.time_ms)


def _check_office(view: AppView, b: ChangeRegisteredOffice, ctx: TxContext) -> None:
    rules.commitment(b.office_commitment, "office_commitment")
    rules.active_company(view, b.company_id)


def _apply_office(state: AppState, b: ChangeRegisteredOffice, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    entry = store.tx_entry(ctx, "change_registered_office", [])
    c = store.next_version(state, company, entry, office_commitment=b.office_commitment)
    return [event(NAME, "registered_office_changed", b.company_id, version=c.version)]


# --- amend_articles --------------------------------------------------------------------------------


def _check_articles(view: AppView, b: AmendArticles, ctx: TxContext) -> None:
    rules.digest(b.articles_sha256, "articles_sha256")
    rules.active_company(view, b.company_id)
    r = passed_resolution(view, b.company_id, b.resolution_id, "special")
    if r.motion_sha256 != b.articles_sha256:
        fail("company.resolution_mismatch", f"resolution {b.resolution_id!r} adopted another document")


def _apply_articles(state: AppState, b: AmendArticles, ctx: TxContext) -> list[Event]:
    company = store.load_company(state, b.company_id)
    r = store.load_resolution(state, b.company_id, b.resolution_id)
    store.put_resolution(state, b.company_id, msgspec.structs.replace(r, used_by="amend_articles"))
    entry = store.tx_entry(ctx, "amend_articles", [b.resolution_id])
    c = store.next_version(
        state,
        company,
        entry,
        articles_sha256=b.articles_sha256,
        articles_version=company.articles_version + 1,
    )
    return [
        event(
            NAME,
            "articles_amended",
            b.company_id,
            version=c.version,
            articles_version=c.articles_version,
            resolution_id=b.resolution_id,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "incorporate": Operation(
        Incorporate,
        _signers_incorporate,
        _check_incorporate,
        _apply_incorporate,
        "Incorporate a company: every founder + every initial officer + a company registrar.",
    ),
    "change_registered_office": Operation(
        ChangeRegisteredOffice,
        _signers_board,
        _check_office,
        _apply_office,
        "Record a new registered office (an address commitment): the board.",
    ),
    "amend_articles": Operation(
        AmendArticles,
        _signers_board,
        _check_articles,
        _apply_articles,
        "Adopt new articles passed by a special resolution: the board.",
    ),
}
