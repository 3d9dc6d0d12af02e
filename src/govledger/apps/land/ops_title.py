"""Ownership operations: first registration, transfer, priority notices, succession.

Rules
-----
- `first_registration` (the registrar always, + surveyor and registrar by policy; no owner signs: the
  title is established from the survey plan and evidence): a new parcel id (`land.parcel_exists`), a
  valid boundary whose area agrees with the legal area (`land.bad_boundary`, `land.area_mismatch`),
  registered owners whose shares sum to exactly 1 (`land.unknown_party`, `land.shares_not_one`), a
  `survey_plan` source.
- `transfer` (every current owner, every buyer, one notary by policy): each seller is a current owner
  (`land.not_current_owner`) selling at most what it holds (`land.share_exceeds_holding`); shares sold
  equal shares bought (`land.shares_mismatch`); no caveat (`land.caveat`), no unreleased mortgage
  (`land.mortgaged`), no priority notice for anyone else (`land.priority_notice`). A transfer whose
  sellers and buyers equal those of the notice in force consumes the notice.
- `place_priority_notice` (every current owner, one notary by policy): after a sale contract, reserves
  the parcel for its buyers until `expires_ms` (block time, at most 90 days ahead, `land.bad_time`).
  The sale must be possible now, except for mortgages (the price usually pays them off at closing).
  While it is in force every other disposition fails with `land.priority_notice`: two sales of one
  parcel cannot both be registered (double selling).
- `cancel_priority_notice` (the notice's buyers, one notary by policy): `land.unknown_notice` if no
  such notice is in force.
- `succession` (the registrar always, + a court or a notary by policy; the deceased cannot sign, heirs
  need not):
  the deceased's holding in each listed parcel passes to the heirs in the proportions of the
  `succession_certificate` (heirs' fractions sum to 1). Caveats and mortgages stay; a priority
  notice in force blocks it (the buyer's reservation is settled first).
"""

from __future__ import annotations

from typing import Any

from govledger.apps.land import geometry, rules, shares, store
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    ACTIVE,
    MAX_BUILDINGS,
    MAX_BUYERS,
    MAX_FLOORS,
    MAX_HEIRS,
    MAX_NOTICE_MS,
    MAX_OWNERS,
    MAX_SUCCESSION_PARCELS,
    STANDING,
    Boundary,
    Building,
    CancelPriorityNotice,
    FirstRegistration,
    Holding,
    NewBuilding,
    Parcel,
    PlacePriorityNotice,
    PriorityNotice,
    Succession,
    TitleVersion,
    Transfer,
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

# No owner signs a first registration or a succession, so the app itself requires the registrar: if a
# network forgot the governance policy, these would otherwise need nobody at all (fail closed).
REGISTRAR = HasRole(role="registrar")


def owners_bound(owners: list[Holding]) -> list[Holding]:
    if len(owners) > MAX_OWNERS:
        fail("land.too_many", f"a parcel has at most {MAX_OWNERS} owners; use a group party")
    return owners


def by_party(holdings: list[Holding]) -> list[Holding]:
    return sorted(holdings, key=lambda h: h.party_id)


def drop_notice(state: AppState, parcel_id: str) -> PriorityNotice | None:
    """Delete the parcel's notice record (in force or stale) and its expiry entry."""
    n = store.get_notice(state, parcel_id)
    if n is not None:
        state.delete(store.notice_key(parcel_id))
        state.delete(store.expiry_key(n.expires_ms, "notice", parcel_id, n.notice_id))
    return n


def building_shape(nb: NewBuilding, parcel_boundary: Boundary) -> None:
    rules.identifier(nb.building_id, "building_id")
    rules.code(nb.use, "building use")
    if not 1 <= nb.floors <= MAX_FLOORS or nb.floor_area_m2 <= 0:
        fail("land.bad_area", f"building {nb.building_id!r}: floors 1..{MAX_FLOORS}, floor area > 0 m²")
    geometry.twice_area_cm2(nb.footprint)
    if not geometry.footprint_inside(parcel_boundary, nb.footprint):
        fail("land.building_outside_parcel", f"building {nb.building_id!r} lies outside its parcel")


def new_building(nb: NewBuilding, parcel_id: str, height: int) -> Building:
    return Building(
        building_id=nb.building_id,
        parcel_id=parcel_id,
        use=nb.use,
        floors=nb.floors,
        floor_area_m2=nb.floor_area_m2,
        footprint=nb.footprint,
        status=STANDING,
        registered_height=height,
    )


def building_id_free(view: AppView, building_id: str) -> None:
    if store.get_building(view, building_id) is not None:
        fail("land.building_exists", f"building {building_id!r} already exists")


# --- first_registration --------------------------------------------------------------------------


def _shape_first(b: FirstRegistration) -> None:
    rules.identifier(b.parcel_id, "parcel_id")
    geometry.check_area(b.area_m2, b.boundary)
    rules.code(b.land_use, "land use")
    rules.holdings_shape(b.owners, MAX_OWNERS, "owners")
    shares.require_whole(b.owners, "owners'")
    if len(b.buildings) > MAX_BUILDINGS:
        fail("land.too_many", f"a parcel has at most {MAX_BUILDINGS} buildings")
    if len({nb.building_id for nb in b.buildings}) != len(b.buildings):
        fail("land.building_exists", "a building id is listed twice")
    for nb in b.buildings:
        building_shape(nb, b.boundary)
    rules.sources_shape("first_registration", b.sources)


def _signers_first(view: AppView, b: FirstRegistration, ctx: TxContext) -> Requirement:
    _shape_first(b)
    return REGISTRAR


def _check_first(view: AppView, b: FirstRegistration, ctx: TxContext) -> None:
    _shape_first(b)
    rules.new_parcel_id(view, b.parcel_id)
    rules.parties_exist(view, (h.party_id for h in b.owners))
    for nb in b.buildings:
        building_id_free(view, nb.building_id)
    rules.sources_attested(view, b.sources)


def _apply_first(state: AppState, b: FirstRegistration, ctx: TxContext) -> list[Event]:
    parcel = Parcel(
        parcel_id=b.parcel_id,
        boundary=b.boundary,
        area_m2=b.area_m2,
        land_use=b.land_use,
        status=ACTIVE,
        created_height=ctx.height,
        predecessors=[],
        successors=[],
    )
    store.put_parcel(state, parcel)
    for nb in b.buildings:
        store.put_building(state, new_building(nb, b.parcel_id, ctx.height))
    owners = shares.assert_whole(by_party(b.owners))
    entry = store.tx_entry(ctx, "first_registration", [], b.sources)
    t = store.first_title(state, b.parcel_id, owners, [], [nb.building_id for nb in b.buildings], entry)
    return [
        event(
            NAME,
            "first_registered",
            b.parcel_id,
            version=t.version,
            area_m2=b.area_m2,
            owners=",".join(h.party_id for h in owners),
        ),
    ]


# --- transfer ------------------------------------------------------------------------------------


def _shape_sale(parcel_id: str, sellers: list[Holding], buyers: list[Holding]) -> None:
    rules.identifier(parcel_id, "parcel_id")
    rules.holdings_shape(sellers, MAX_OWNERS, "sellers")
    rules.holdings_shape(buyers, MAX_BUYERS, "buyers")
    if {h.party_id for h in sellers} & {h.party_id for h in buyers}:
        fail("land.bad_holdings", "a party cannot be both a seller and a buyer")
    shares.total(sellers)
    shares.total(buyers)


def _sale_possible(view: AppView, title: TitleVersion, sellers: list[Holding], buyers: list[Holding]) -> None:
    rules.parties_exist(view, (h.party_id for h in buyers))
    rules.owners_are(title, (h.party_id for h in sellers))
    owners_bound(shares.after_transfer(title.owners, sellers, buyers))


def matching_notice(view: AppView, title: TitleVersion, b: Transfer, now_ms: int) -> PriorityNotice | None:
    n = store.live_notice(view, title, now_ms)
    same = n is not None and n.sellers == by_party(b.sellers) and n.buyers == by_party(b.buyers)
    return n if same else None


def _signers_transfer(view: AppView, b: Transfer, ctx: TxContext) -> Requirement:
    _shape_sale(b.parcel_id, b.sellers, b.buyers)
    return rules.owners_requirement(view, b.parcel_id, extra=[h.party_id for h in b.buyers])


def _check_transfer(view: AppView, b: Transfer, ctx: TxContext) -> None:
    _shape_sale(b.parcel_id, b.sellers, b.buyers)
    rules.sources_shape("transfer", b.sources)
    title = store.load_title(view, b.parcel_id)
    _sale_possible(view, title, b.sellers, b.buyers)
    notice = matching_notice(view, title, b, ctx.time_ms)
    rules.not_blocked(view, "transfer", title, ctx.time_ms, except_notice=notice)
    rules.sources_attested(view, b.sources)


def _apply_transfer(state: AppState, b: Transfer, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    notice = matching_notice(state, title, b, ctx.time_ms)
    owners = owners_bound(shares.after_transfer(title.owners, b.sellers, b.buyers))
    refs = [] if notice is None else [notice.notice_id]
    entry = store.tx_entry(ctx, "transfer", refs, b.sources)
    if notice is not None:
        drop_notice(state, b.parcel_id)
    t = store.next_title(state, title, entry, owners=owners, notice=None if notice is None else "")
    events = [
        event(
            NAME,
            "transferred",
            b.parcel_id,
            version=t.version,
            sellers=",".join(h.party_id for h in by_party(b.sellers)),
            buyers=",".join(h.party_id for h in by_party(b.buyers)),
        ),
    ]
    if notice is not None:
        events.append(event(NAME, "priority_notice_used", b.parcel_id, notice_id=notice.notice_id))
    return events


# --- priority notices ----------------------------------------------------------------------------


def _shape_notice(b: PlacePriorityNotice) -> None:
    _shape_sale(b.parcel_id, b.sellers, b.buyers)
    rules.identifier(b.notice_id, "notice_id")
    rules.source(b.contract)
    if b.contract.kind != "sale_contract":
        fail("land.source_required", "a priority notice refers to a sale_contract")
    rules.time_ms(b.expires_ms, "expires_ms")


def _signers_place(view: AppView, b: PlacePriorityNotice, ctx: TxContext) -> Requirement:
    _shape_notice(b)
    return rules.owners_requirement(view, b.parcel_id)


def _check_place(view: AppView, b: PlacePriorityNotice, ctx: TxContext) -> None:
    _shape_notice(b)
    if not ctx.time_ms < b.expires_ms <= ctx.time_ms + MAX_NOTICE_MS:
        fail("land.bad_time", f"expires_ms must be after now ({ctx.time_ms}) and at most 90 days ahead")
    title = store.load_title(view, b.parcel_id)
    _sale_possible(view, title, b.sellers, b.buyers)
    rules.not_blocked(view, "place_priority_notice", title, ctx.time_ms)
    rules.sources_attested(view, [b.contract])


def _apply_place(state: AppState, b: PlacePriorityNotice, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    drop_notice(state, b.parcel_id)  # an expired one that end_block has not swept yet
    n = PriorityNotice(
        parcel_id=b.parcel_id,
        notice_id=b.notice_id,
        sellers=by_party(b.sellers),
        buyers=by_party(b.buyers),
        contract=b.contract,
        placed_height=ctx.height,
        placed_time_ms=ctx.time_ms,
        expires_ms=b.expires_ms,
    )
    state.put(store.notice_key(b.parcel_id), n)
    state.put(store.expiry_key(n.expires_ms, "notice", n.parcel_id, n.notice_id), b"")
    entry = store.tx_entry(ctx, "place_priority_notice", [b.notice_id], [b.contract])
    t = store.next_title(state, title, entry, notice=b.notice_id)
    return [
        event(
            NAME,
            "priority_notice_placed",
            b.parcel_id,
            version=t.version,
            notice_id=b.notice_id,
            expires_ms=b.expires_ms,
            buyers=",".join(h.party_id for h in n.buyers),
        ),
    ]


def _live_notice_named(view: AppView, title: TitleVersion, notice_id: str, now_ms: int) -> PriorityNotice:
    n = store.live_notice(view, title, now_ms)
    if n is None or n.notice_id != notice_id:
        fail(
            "land.unknown_notice", f"parcel {title.parcel_id!r} has no priority notice {notice_id!r} in force"
        )
    return n


def _signers_cancel(view: AppView, b: CancelPriorityNotice, ctx: TxContext) -> Requirement:
    rules.identifier(b.parcel_id, "parcel_id")
    rules.identifier(b.notice_id, "notice_id")
    n = store.get_notice(view, b.parcel_id)
    if n is None or n.notice_id != b.notice_id:
        return NOBODY_ELSE  # the check refuses it
    return rules.parties_requirement(view, [h.party_id for h in n.buyers])


def _check_cancel(view: AppView, b: CancelPriorityNotice, ctx: TxContext) -> None:
    rules.identifier(b.parcel_id, "parcel_id")
    rules.identifier(b.notice_id, "notice_id")
    _live_notice_named(view, store.load_title(view, b.parcel_id), b.notice_id, ctx.time_ms)


def _apply_cancel(state: AppState, b: CancelPriorityNotice, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    drop_notice(state, b.parcel_id)
    entry = store.tx_entry(ctx, "cancel_priority_notice", [b.notice_id], [])
    t = store.next_title(state, title, entry, notice="")
    return [event(NAME, "priority_notice_cancelled", b.parcel_id, version=t.version, notice_id=b.notice_id)]


# --- succession ----------------------------------------------------------------------------------


def _shape_succession(b: Succession) -> None:
    rules.identifier(b.deceased, "deceased")
    rules.holdings_shape(b.heirs, MAX_HEIRS, "heirs")
    shares.require_whole(b.heirs, "heirs'")
    if any(h.party_id == b.deceased for h in b.heirs):
        fail("land.bad_heirs", "the deceased cannot be an heir")
    rules.bounded(b.parcel_ids, 1, MAX_SUCCESSION_PARCELS, "parcels")
    rules.identifiers(b.parcel_ids, "parcel_id")
    if len(set(b.parcel_ids)) != len(b.parcel_ids):
        fail("land.bad_holdings", "a parcel is listed twice")
    rules.sources_shape("succession", b.sources)


def _signers_succession(view: AppView, b: Succession, ctx: TxContext) -> Requirement:
    _shape_succession(b)
    return REGISTRAR


def _check_succession(view: AppView, b: Succession, ctx: TxContext) -> None:
    _shape_succession(b)
    store.load_party(view, b.deceased)
    rules.parties_exist(view, (h.party_id for h in b.heirs))
    for parcel_id in b.parcel_ids:
        title = store.load_title(view, parcel_id)
        rules.not_blocked(view, "succession", title, ctx.time_ms)
        owners_bound(shares.after_succession(title.owners, b.deceased, b.heirs))
    rules.sources_attested(view, b.sources)


def _apply_succession(state: AppState, b: Succession, ctx: TxContext) -> list[Event]:
    events = []
    for parcel_id in b.parcel_ids:
        title = store.load_title(state, parcel_id)
        owners = owners_bound(shares.after_succession(title.owners, b.deceased, b.heirs))
        entry = store.tx_entry(ctx, "succession", [b.deceased], b.sources)
        t = store.next_title(state, title, entry, owners=owners)
        events.append(
            event(
                NAME,
                "succession_registered",
                parcel_id,
                version=t.version,
                deceased=b.deceased,
                heirs=",".join(h.party_id for h in by_party(b.heirs)),
            ),
        )
    return events


OPERATIONS: dict[str, Operation[Any]] = {
    "first_registration": Operation(
        FirstRegistration,
        _signers_first,
        _check_first,
        _apply_first,
        "Register a surveyed parcel and its first owners: surveyor + registrar.",
    ),
    "transfer": Operation(
        Transfer,
        _signers_transfer,
        _check_transfer,
        _apply_transfer,
        "Transfer shares: every current owner + every buyer + a notary.",
    ),
    "place_priority_notice": Operation(
        PlacePriorityNotice,
        _signers_place,
        _check_place,
        _apply_place,
        "Reserve a parcel for the buyers of a sale contract until a block time: owners + a notary.",
    ),
    "cancel_priority_notice": Operation(
        CancelPriorityNotice,
        _signers_cancel,
        _check_cancel,
        _apply_cancel,
        "Withdraw a priority notice: its buyers + a notary.",
    ),
    "succession": Operation(
        Succession,
        _signers_succession,
        _check_succession,
        _apply_succession,
        "Pass a deceased owner's shares to the heirs of a certificate: registrar + a court or notary.",
    ),
}
