"""Rights, restrictions and responsibilities on a parcel: mortgages, caveats, leases, servitudes.

Rules
-----
Every RRR has an id unique on its parcel (`land.rrr_exists`), a parcel holds at most 32 active ones
(`land.too_many`), and each new one refuses a parcel under a caveat or someone else's priority notice
(`land.caveat`, `land.priority_notice`, see `rules.BLOCKED_BY`). Ending one needs it to be active
(`land.unknown_rrr`). An RRR is never deleted: its status changes and the title lists active ones.

| operation          | own signers                          | default policy     | further rules           |
|--------------------|--------------------------------------|--------------------|-------------------------|
| register_mortgage  | every owner + the lender party       | bank               | lender an organisation  |
| release_mortgage   | the lender party                     | bank               | discharge/court order   |
| register_caveat    | a member with the named authority    | court or registrar | ground from the list    |
| remove_caveat      | a member with the caveat's authority | court or registrar | court's needs a court   |
| register_lease     | every owner (the lessors) + lessees  | none               | start < end, end > now  |
| terminate_lease    | every owner + the lessees            | none               | early, by agreement     |
| register_servitude | every owner + the beneficiary side   | registrar          | one of parcel / party   |
| release_servitude  | the beneficiary side                 | registrar          |                         |

The beneficiary side of a servitude is the `beneficiary` party (personal servitude) or every owner
of the dominant parcel (praedial servitude; of its successors if it was subdivided or merged).
A lease ends by itself at `end_ms` (block time): end_block marks it expired.
"""

from __future__ import annotations

from typing import Any, TypeVar

from govledger.apps.land import rules, store
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    ACTIVE,
    CAVEAT_AUTHORITIES,
    CAVEAT_GROUNDS,
    MAX_ENCUMBRANCES,
    MAX_LESSEES,
    ORGANISATION,
    RELEASED,
    RENT_PERIODS,
    RETIRED,
    RRR,
    SERVITUDE_KINDS,
    TERMINATED,
    Caveat,
    EncumbranceRef,
    Lease,
    Mortgage,
    RegisterCaveat,
    RegisterLease,
    RegisterMortgage,
    RegisterServitude,
    ReleaseMortgage,
    ReleaseServitude,
    RemoveCaveat,
    Servitude,
    Source,
    TerminateLease,
    Terms,
    TitleVersion,
)
from govledger.ledger.app import (
    NOBODY_ELSE,
    AppState,
    AppView,
    HasRole,
    Operation,
    Requirement,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "land"

T = TypeVar("T", Mortgage, Caveat, Lease, Servitude)


def _shape_ids(parcel_id: str, rrr_id: str, op: str, sources: list[Source]) -> None:
    rules.identifier(parcel_id, "parcel_id")
    rules.identifier(rrr_id, "id")
    rules.sources_shape(op, sources)


def _can_add(view: AppView, op: str, title: TitleVersion, rrr_id: str, ctx: TxContext) -> None:
    rules.rrr_id_free(view, title.parcel_id, rrr_id)
    if len(title.encumbrances) >= MAX_ENCUMBRANCES:
        fail("land.too_many", f"parcel {title.parcel_id!r} already has {MAX_ENCUMBRANCES} encumbrances")
    rules.not_blocked(view, op, title, ctx.time_ms)


def _add(
    state: AppState, op: str, parcel_id: str, rrr_id: str, terms: Terms, sources: list[Source], ctx: TxContext
) -> TitleVersion:
    """Write the RRR and the title version that lists it."""
    title = store.load_title(state, parcel_id)
    r = RRR(
        parcel_id=parcel_id,
        rrr_id=rrr_id,
        terms=terms,
        sources=sources,
        status=ACTIVE,
        registered_height=ctx.height,
        registered_time_ms=ctx.time_ms,
    )
    store.put_rrr(state, r)
    refs = [*title.encumbrances, EncumbranceRef(kind=store.kind_of(terms), rrr_id=rrr_id)]
    return store.next_title(state, title, store.tx_entry(ctx, op, [rrr_id], sources), encumbrances=refs)


def _active_terms(view: AppView, parcel_id: str, rrr_id: str, kind: type[T]) -> T | None:
    """For signer functions: the terms of the active RRR of `kind` if it is there (the check refuses
    it otherwise)."""
    tag = kind.__struct_config__.tag
    t = store.get_title(view, parcel_id)
    if t is None or not any(e.rrr_id == rrr_id and e.kind == tag for e in t.encumbrances):
        return None
    r = store.get_rrr(view, parcel_id, rrr_id)
    return r.terms if r is not None and isinstance(r.terms, kind) else None


def _load_active(view: AppView, parcel_id: str, rrr_id: str, kind: str) -> tuple[TitleVersion, RRR]:
    """The parcel's current title and its active RRR of `kind` (refused if either is missing)."""
    title = store.load_title(view, parcel_id)
    return title, store.load_active_rrr(view, title, rrr_id, kind)


def _check_ending(
    view: AppView, op: str, parcel_id: str, rrr_id: str, kind: str, sources: list[Source]
) -> RRR:
    """The shape of an operation that ends an RRR, then the active RRR it ends."""
    _shape_ids(parcel_id, rrr_id, op, sources)
    return _load_active(view, parcel_id, rrr_id, kind)[1]


def _end(
    state: AppState, op: str, title: TitleVersion, r: RRR, status: str, sources: list[Source], ctx: TxContext
) -> TitleVersion:
    return store.end_rrr(state, title, r, status, store.tx_entry(ctx, op, [r.rrr_id], sources))


# --- mortgage ------------------------------------------------------------------------------------


def _shape_mortgage(b: RegisterMortgage) -> None:
    _shape_ids(b.parcel_id, b.mortgage_id, "register_mortgage", b.sources)
    rules.identifier(b.lender, "lender")
    rules.amount(b.amount_cents, "amount_cents")
    rules.currency(b.currency)


def _signers_mortgage(view: AppView, b: RegisterMortgage, ctx: TxContext) -> Requirement:
    _shape_mortgage(b)
    return rules.owners_requirement(view, b.parcel_id, extra=[b.lender])


def _check_mortgage(view: AppView, b: RegisterMortgage, ctx: TxContext) -> None:
    _shape_mortgage(b)
    title = store.load_title(view, b.parcel_id)
    if store.load_party(view, b.lender).kind != ORGANISATION:
        fail("land.bad_lender", f"lender {b.lender!r} must be a registered organisation")
    _can_add(view, "register_mortgage", title, b.mortgage_id, ctx)
    rules.sources_attested(view, b.sources)


def _apply_mortgage(state: AppState, b: RegisterMortgage, ctx: TxContext) -> list[Event]:
    terms = Mortgage(lender=b.lender, amount_cents=b.amount_cents, currency=b.currency)
    t = _add(state, "register_mortgage", b.parcel_id, b.mortgage_id, terms, b.sources, ctx)
    return [
        event(
            NAME,
            "mortgage_registered",
            b.parcel_id,
            version=t.version,
            mortgage_id=b.mortgage_id,
            lender=b.lender,
            amount_cents=b.amount_cents,
            currency=b.currency,
        ),
    ]


def _signers_release_mortgage(view: AppView, b: ReleaseMortgage, ctx: TxContext) -> Requirement:
    _shape_ids(b.parcel_id, b.mortgage_id, "release_mortgage", b.sources)
    m = _active_terms(view, b.parcel_id, b.mortgage_id, Mortgage)
    return NOBODY_ELSE if m is None else rules.parties_requirement(view, [m.lender])


def _check_release_mortgage(view: AppView, b: ReleaseMortgage, ctx: TxContext) -> None:
    _check_ending(view, "release_mortgage", b.parcel_id, b.mortgage_id, "mortgage", b.sources)
    rules.sources_attested(view, b.sources)


def _apply_release_mortgage(state: AppState, b: ReleaseMortgage, ctx: TxContext) -> list[Event]:
    title, r = _load_active(state, b.parcel_id, b.mortgage_id, "mortgage")
    t = _end(state, "release_mortgage", title, r, RELEASED, b.sources, ctx)
    return [event(NAME, "mortgage_released", b.parcel_id, version=t.version, mortgage_id=b.mortgage_id)]


# --- caveat --------------------------------------------------------------------------------------


def _shape_caveat(b: RegisterCaveat) -> None:
    _shape_ids(b.parcel_id, b.caveat_id, "register_caveat", b.sources)
    rules.one_of(b.authority, CAVEAT_AUTHORITIES, "authority")
    rules.one_of(b.ground, CAVEAT_GROUNDS, "ground")


def _signers_caveat(view: AppView, b: RegisterCaveat, ctx: TxContext) -> Requirement:
    _shape_caveat(b)
    return HasRole(role=b.authority)


def _check_caveat(view: AppView, b: RegisterCaveat, ctx: TxContext) -> None:
    _shape_caveat(b)
    title = store.load_title(view, b.parcel_id)
    _can_add(view, "register_caveat", title, b.caveat_id, ctx)
    rules.sources_attested(view, b.sources)


def _apply_caveat(state: AppState, b: RegisterCaveat, ctx: TxContext) -> list[Event]:
    terms = Caveat(authority=b.authority, ground=b.ground)
    t = _add(state, "register_caveat", b.parcel_id, b.caveat_id, terms, b.sources, ctx)
    return [
        event(
            NAME,
            "caveat_registered",
            b.parcel_id,
            version=t.version,
            caveat_id=b.caveat_id,
            authority=b.authority,
            ground=b.ground,
        ),
    ]


def _signers_remove_caveat(view: AppView, b: RemoveCaveat, ctx: TxContext) -> Requirement:
    _shape_ids(b.parcel_id, b.caveat_id, "remove_caveat", b.sources)
    c = _active_terms(view, b.parcel_id, b.caveat_id, Caveat)
    return NOBODY_ELSE if c is None else HasRole(role=c.authority)


def _check_remove_caveat(view: AppView, b: RemoveCaveat, ctx: TxContext) -> None:
    _check_ending(view, "remove_caveat", b.parcel_id, b.caveat_id, "caveat", b.sources)
    rules.sources_attested(view, b.sources)


def _apply_remove_caveat(state: AppState, b: RemoveCaveat, ctx: TxContext) -> list[Event]:
    title, r = _load_active(state, b.parcel_id, b.caveat_id, "caveat")
    t = _end(state, "remove_caveat", title, r, RELEASED, b.sources, ctx)
    return [event(NAME, "caveat_removed", b.parcel_id, version=t.version, caveat_id=b.caveat_id)]


# --- lease ---------------------------------------------------------------------------------------


def _shape_lease(b: RegisterLease) -> None:
    _shape_ids(b.parcel_id, b.lease_id, "register_lease", b.sources)
    rules.party_list_shape(b.lessees, MAX_LESSEES, "lessees")
    rules.time_ms(b.start_ms, "start_ms")
    rules.time_ms(b.end_ms, "end_ms")
    if b.start_ms >= b.end_ms:
        fail("land.bad_time", "a lease's start_ms must be before its end_ms")
    rules.amount(b.rent_cents, "rent_cents")
    rules.currency(b.currency)
    rules.one_of(b.rent_period, RENT_PERIODS, "rent_period")


def _signers_lease(view: AppView, b: RegisterLease, ctx: TxContext) -> Requirement:
    _shape_lease(b)
    return rules.owners_requirement(view, b.parcel_id, extra=b.lessees)


def _check_lease(view: AppView, b: RegisterLease, ctx: TxContext) -> None:
    _shape_lease(b)
    if b.end_ms <= ctx.time_ms:
        fail("land.bad_time", f"the lease ends ({b.end_ms}) before the current block time ({ctx.time_ms})")
    title = store.load_title(view, b.parcel_id)
    rules.parties_exist(view, b.lessees)
    _can_add(view, "register_lease", title, b.lease_id, ctx)
    rules.sources_attested(view, b.sources)


def _apply_lease(state: AppState, b: RegisterLease, ctx: TxContext) -> list[Event]:
    lessors = rules.current_owner_ids(store.load_title(state, b.parcel_id))
    terms = Lease(
        lessors=lessors,
        lessees=sorted(b.lessees),
        start_ms=b.start_ms,
        end_ms=b.end_ms,
        rent_cents=b.rent_cents,
        currency=b.currency,
        rent_period=b.rent_period,
    )
    t = _add(state, "register_lease", b.parcel_id, b.lease_id, terms, b.sources, ctx)
    state.put(store.expiry_key(b.end_ms, "lease", b.parcel_id, b.lease_id), b"")
    return [
        event(
            NAME,
            "lease_registered",
            b.parcel_id,
            version=t.version,
            lease_id=b.lease_id,
            start_ms=b.start_ms,
            end_ms=b.end_ms,
            rent_cents=b.rent_cents,
            currency=b.currency,
            rent_period=b.rent_period,
        ),
    ]


def _signers_terminate(view: AppView, b: TerminateLease, ctx: TxContext) -> Requirement:
    _shape_ids(b.parcel_id, b.lease_id, "terminate_lease", b.sources)
    lease = _active_terms(view, b.parcel_id, b.lease_id, Lease)
    lessees = [] if lease is None else lease.lessees
    return rules.owners_requirement(view, b.parcel_id, extra=lessees)


def _check_terminate(view: AppView, b: TerminateLease, ctx: TxContext) -> None:
    _check_ending(view, "terminate_lease", b.parcel_id, b.lease_id, "lease", b.sources)
    rules.sources_attested(view, b.sources)


def _apply_terminate(state: AppState, b: TerminateLease, ctx: TxContext) -> list[Event]:
    title, r = _load_active(state, b.parcel_id, b.lease_id, "lease")
    assert isinstance(r.terms, Lease)
    state.delete(store.expiry_key(r.terms.end_ms, "lease", b.parcel_id, b.lease_id))
    t = _end(state, "terminate_lease", title, r, TERMINATED, b.sources, ctx)
    return [event(NAME, "lease_terminated", b.parcel_id, version=t.version, lease_id=b.lease_id)]


# --- servitude -----------------------------------------------------------------------------------


def _shape_servitude(b: RegisterServitude) -> None:
    _shape_ids(b.parcel_id, b.servitude_id, "register_servitude", b.sources)
    rules.one_of(b.kind, SERVITUDE_KINDS, "servitude kind")
    rules.optional_identifier(b.dominant_parcel, "dominant_parcel")
    rules.optional_identifier(b.beneficiary, "beneficiary")
    if bool(b.dominant_parcel) == bool(b.beneficiary) or b.dominant_parcel == b.parcel_id:
        fail("land.bad_servitude", "name exactly one of another (dominant) parcel and a beneficiary party")


def beneficiary_side(view: AppView, s: Servitude) -> list[str] | None:
    """Who benefits: the beneficiary party, or every owner of the dominant parcel (or of its active
    successors if it was subdivided or merged); None if that cannot be decided (check refuses it)."""
    if s.beneficiary:
        return [s.beneficiary]
    parcels = [s.dominant_parcel]
    parcel = store.get_parcel(view, s.dominant_parcel)
    if parcel is not None and parcel.status == RETIRED:
        parcels = parcel.successors
    out: list[str] = []
    for pid in parcels:
        t = store.get_title(view, pid)
        if t is None or t.status == RETIRED:
            return None
        out.extend(rules.current_owner_ids(t))
    return sorted(set(out))


def _signers_servitude(view: AppView, b: RegisterServitude, ctx: TxContext) -> Requirement:
    _shape_servitude(b)
    side = (
        beneficiary_side(
            view, Servitude(kind=b.kind, dominant_parcel=b.dominant_parcel, beneficiary=b.beneficiary)
        )
        or []
    )
    return rules.owners_requirement(view, b.parcel_id, extra=side)


def _check_servitude(view: AppView, b: RegisterServitude, ctx: TxContext) -> None:
    _shape_servitude(b)
    title = store.load_title(view, b.parcel_id)
    if b.dominant_parcel:
        store.load_title(view, b.dominant_parcel)
    else:
        store.load_party(view, b.beneficiary)
    _can_add(view, "register_servitude", title, b.servitude_id, ctx)
    rules.sources_attested(view, b.sources)


def _apply_servitude(state: AppState, b: RegisterServitude, ctx: TxContext) -> list[Event]:
    terms = Servitude(kind=b.kind, dominant_parcel=b.dominant_parcel, beneficiary=b.beneficiary)
    t = _add(state, "register_servitude", b.parcel_id, b.servitude_id, terms, b.sources, ctx)
    return [
        event(
            NAME,
            "servitude_registered",
            b.parcel_id,
            version=t.version,
            servitude_id=b.servitude_id,
            kind=b.kind,
            dominant_parcel=b.dominant_parcel,
            beneficiary=b.beneficiary,
        ),
    ]


def _signers_release_servitude(view: AppView, b: ReleaseServitude, ctx: TxContext) -> Requirement:
    _shape_ids(b.parcel_id, b.servitude_id, "release_servitude", b.sources)
    terms = _active_terms(view, b.parcel_id, b.servitude_id, Servitude)
    side = None if terms is None else beneficiary_side(view, terms)
    return NOBODY_ELSE if side is None else rules.parties_requirement(view, side)


def _check_release_servitude(view: AppView, b: ReleaseServitude, ctx: TxContext) -> None:
    r = _check_ending(view, "release_servitude", b.parcel_id, b.servitude_id, "servitude", b.sources)
    assert isinstance(r.terms, Servitude)
    if beneficiary_side(view, r.terms) is None:
        fail("land.parcel_retired", f"the dominant parcel {r.terms.dominant_parcel!r} has retired successors")
    rules.sources_attested(view, b.sources)


def _apply_release_servitude(state: AppState, b: ReleaseServitude, ctx: TxContext) -> list[Event]:
    title, r = _load_active(state, b.parcel_id, b.servitude_id, "servitude")
    t = _end(state, "release_servitude", title, r, RELEASED, b.sources, ctx)
    return [event(NAME, "servitude_released", b.parcel_id, version=t.version, servitude_id=b.servitude_id)]


OPERATIONS: dict[str, Operation[Any]] = {
    "register_mortgage": Operation(
        RegisterMortgage,
        _signers_mortgage,
        _check_mortgage,
        _apply_mortgage,
        "Register a mortgage: every owner + the lender (a bank).",
    ),
    "release_mortgage": Operation(
        ReleaseMortgage,
        _signers_release_mortgage,
        _check_release_mortgage,
        _apply_release_mortgage,
        "Release (discharge) a mortgage: the lender (a bank).",
    ),
    "register_caveat": Operation(
        RegisterCaveat,
        _signers_caveat,
        _check_caveat,
        _apply_caveat,
        "Freeze dealings with a parcel: a court or the registrar.",
    ),
    "remove_caveat": Operation(
        RemoveCaveat,
        _signers_remove_caveat,
        _check_remove_caveat,
        _apply_remove_caveat,
        "Lift a caveat: the authority that placed it (a court's needs a court).",
    ),
    "register_lease": Operation(
        RegisterLease,
        _signers_lease,
        _check_lease,
        _apply_lease,
        "Register a rental contract: every owner (lessors) + the lessees.",
    ),
    "terminate_lease": Operation(
        TerminateLease,
        _signers_terminate,
        _check_terminate,
        _apply_terminate,
        "End a lease early by agreement: every owner + the lessees.",
    ),
    "register_servitude": Operation(
        RegisterServitude,
        _signers_servitude,
        _check_servitude,
        _apply_servitude,
        "Register a servitude (easement): owners + beneficiary side + registrar.",
    ),
    "release_servitude": Operation(
        ReleaseServitude,
        _signers_release_servitude,
        _check_release_servitude,
        _apply_release_servitude,
        "Release a servitude: the beneficiary side + registrar.",
    ),
}
