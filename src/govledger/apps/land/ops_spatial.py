"""Spatial operations: subdivision, merge, and building units.

Rules
-----
- `subdivide` (every owner; surveyor + registrar by policy): 2..16 new parcels with new ids, valid
  boundaries in the parent's CRS, whose legal areas sum exactly to the parent's
  (`land.areas_do_not_add_up`); every building of the parent goes to exactly one child and lies in
  its box (`land.buildings_unassigned`, `land.building_outside_parcel`). Refused under a caveat or a
  priority notice. Each child starts at title version 1 with the parent's owners and a copy of every
  active RRR (`carried_from` names the parent); the parent is retired (status `retired`, no owners).
- `merge` (every owner of every parcel; surveyor + registrar by policy): 2..16 active parcels with the
  same owners and shares (`land.owners_differ`) and the same active RRRs (`land.encumbrances_differ`:
  a lender's security must not grow or shrink silently); the merged area is their sum; the merged
  parcel takes every building; the old parcels are retired.
- `register_building` (every owner; surveyor + registrar): a new id, a footprint inside the parcel.
- `demolish_building` (every owner and every mortgage lender, whose security shrinks; registrar by
  policy): the building must be standing on the parcel; refused under a caveat.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from govledger.apps.land import geometry, rules, store
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    ACTIVE,
    CARRIED,
    DEMOLISHED,
    MAX_BUILDINGS,
    MAX_CHILDREN,
    MAX_MERGED,
    RETIRED,
    DemolishBuilding,
    Entry,
    Lease,
    Merge,
    Mortgage,
    NewParcel,
    Parcel,
    RegisterBuilding,
    Subdivide,
    TitleVersion,
)
from govledger.apps.land.ops_title import building_id_free, building_shape, drop_notice, new_building
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "land"


def _new_parcel_shape(p: NewParcel) -> None:
    rules.identifier(p.parcel_id, "parcel_id")
    geometry.check_area(p.area_m2, p.boundary)
    rules.code(p.land_use, "land use")
    rules.identifiers(p.buildings, "building_id")


def _new_parcels_ok(view: AppView, crs: str, parcels: list[NewParcel], area_m2: int) -> None:
    for p in parcels:
        rules.new_parcel_id(view, p.parcel_id)
        if p.boundary.crs != crs:
            fail("land.bad_boundary", f"parcel {p.parcel_id!r} is in {p.boundary.crs}, not {crs}")
    if sum(p.area_m2 for p in parcels) != area_m2:
        fail(
            "land.areas_do_not_add_up",
            f"new areas sum to {sum(p.area_m2 for p in parcels)} m², not {area_m2}",
        )


def _buildings_assigned(view: AppView, old: list[str], parcels: list[NewParcel]) -> None:
    given = [b for p in parcels for b in p.buildings]
    if sorted(given) != sorted(old):
        fail("land.buildings_unassigned", f"buildings {sorted(old)} must each go to exactly one new parcel")
    for p in parcels:
        for bid in p.buildings:
            b = store.get_building(view, bid)
            if b is not None and not geometry.footprint_inside(p.boundary, b.footprint):
                fail("land.building_outside_parcel", f"building {bid!r} is not inside {p.parcel_id!r}")


def _create(state: AppState, p: NewParcel, parents: list[str], source: TitleVersion, entry: Entry) -> None:
    """A successor parcel: the parents' owners and a copy of each of their active RRRs."""
    store.put_parcel(
        state,
        Parcel(
            parcel_id=p.parcel_id,
            boundary=p.boundary,
            area_m2=p.area_m2,
            land_use=p.land_use,
            status=ACTIVE,
            created_height=entry.height,
            predecessors=parents,
            successors=[],
        ),
    )
    for ref in source.encumbrances:
        r = store.get_rrr(state, source.parcel_id, ref.rrr_id)
        assert r is not None and r.status == ACTIVE, "a title lists only active RRRs"
        store.put_rrr(state, msgspec.structs.replace(r, parcel_id=p.parcel_id, carried_from=parents))
        if isinstance(r.terms, Lease):
            state.put(store.expiry_key(r.terms.end_ms, "lease", p.parcel_id, r.rrr_id), b"")
    for bid in p.buildings:
        b = store.get_building(state, bid)
        assert b is not None, "a title lists only existing buildings"
        store.put_building(state, msgspec.structs.replace(b, parcel_id=p.parcel_id))
    store.first_title(state, p.parcel_id, source.owners, source.encumbrances, p.buildings, entry)


def _retire(state: AppState, title: TitleVersion, successors: list[str], entry: Entry) -> None:
    """The old parcel: retired, its RRRs marked carried, its notice and lease timers gone."""
    parcel = store.load_parcel(state, title.parcel_id)
    store.put_parcel(
        state,
        msgspec.structs.replace(parcel, status=RETIRED, successors=successors, retired_height=entry.height),
    )
    for ref in title.encumbrances:
        r = store.get_rrr(state, title.parcel_id, ref.rrr_id)
        assert r is not None, "a title lists only existing RRRs"
        store.put_rrr(state, msgspec.structs.replace(r, status=CARRIED, ended_height=entry.height))
        if isinstance(r.terms, Lease):
            state.delete(store.expiry_key(r.terms.end_ms, "lease", title.parcel_id, r.rrr_id))
    drop_notice(state, title.parcel_id)
    store.next_title(state, title, entry, status=RETIRED, owners=[], encumbrances=[], buildings=[], notice="")


# --- subdivide -----------------------------------------------------------------------------------


def _shape_subdivide(b: Subdivide) -> None:
    rules.identifier(b.parcel_id, "parcel_id")
    rules.bounded(b.children, 2, MAX_CHILDREN, "new parcels")
    for c in b.children:
        _new_parcel_shape(c)
    ids = [c.parcel_id for c in b.children]
    if len(set(ids)) != len(ids) or b.parcel_id in ids:
        fail("land.parcel_exists", "new parcel ids must be distinct and differ from the parent's")
    rules.sources_shape("subdivide", b.sources)


def _signers_subdivide(view: AppView, b: Subdivide, ctx: TxContext) -> Requirement:
    _shape_subdivide(b)
    return rules.owners_requirement(view, b.parcel_id)


def _check_subdivide(view: AppView, b: Subdivide, ctx: TxContext) -> None:
    _shape_subdivide(b)
    title = store.load_title(view, b.parcel_id)
    parcel = store.load_parcel(view, b.parcel_id)
    rules.not_blocked(view, "subdivide", title, ctx.time_ms)
    _new_parcels_ok(view, parcel.boundary.crs, b.children, parcel.area_m2)
    _buildings_assigned(view, title.buildings, b.children)
    rules.sources_attested(view, b.sources)


def _apply_subdivide(state: AppState, b: Subdivide, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    children = [c.parcel_id for c in b.children]
    entry = store.tx_entry(ctx, "subdivide", [b.parcel_id, *children], b.sources)
    for c in b.children:
        _create(state, c, [b.parcel_id], title, entry)
    _retire(state, title, sorted(children), entry)
    events = [event(NAME, "subdivided", b.parcel_id, version=title.version + 1, into=",".join(children))]
    events += [event(NAME, "parcel_created", c, version=1, predecessors=b.parcel_id) for c in children]
    return events


# --- merge ---------------------------------------------------------------------------------------


def _shape_merge(b: Merge) -> None:
    rules.bounded(b.parcel_ids, 2, MAX_MERGED, "parcels to merge")
    rules.identifiers(b.parcel_ids, "parcel_id")
    if len(set(b.parcel_ids)) != len(b.parcel_ids):
        fail("land.bad_holdings", "a parcel is listed twice")
    _new_parcel_shape(b.merged)
    if b.merged.parcel_id in b.parcel_ids:
        fail("land.parcel_exists", "the merged parcel needs a new id")
    rules.sources_shape("merge", b.sources)


def _signers_merge(view: AppView, b: Merge, ctx: TxContext) -> Requirement:
    _shape_merge(b)
    owners: list[str] = []
    for pid in b.parcel_ids:
        t = store.get_title(view, pid)
        owners += rules.current_owner_ids(t) if t is not None else []
    return rules.parties_requirement(view, owners)


def _same_encumbrances(view: AppView, first: TitleVersion, other: TitleVersion) -> bool:
    if first.encumbrances != other.encumbrances:
        return False
    for ref in first.encumbrances:
        a = store.get_rrr(view, first.parcel_id, ref.rrr_id)
        b = store.get_rrr(view, other.parcel_id, ref.rrr_id)
        if a is None or b is None or a.terms != b.terms:
            return False
    return True


def _check_merge(view: AppView, b: Merge, ctx: TxContext) -> None:
    _shape_merge(b)
    titles = [store.load_title(view, pid) for pid in b.parcel_ids]
    parcels = [store.load_parcel(view, pid) for pid in b.parcel_ids]
    for t in titles:
        rules.not_blocked(view, "merge", t, ctx.time_ms)
        if t.owners != titles[0].owners:
            fail("land.owners_differ", f"{t.parcel_id!r} and {titles[0].parcel_id!r} have different owners")
        if not _same_encumbrances(view, titles[0], t):
            fail("land.encumbrances_differ", f"{t.parcel_id!r} and {titles[0].parcel_id!r} differ in RRRs")
    crs = parcels[0].boundary.crs
    if any(p.boundary.crs != crs for p in parcels):
        fail("land.bad_boundary", "parcels to merge are in different CRSs")
    _new_parcels_ok(view, crs, [b.merged], sum(p.area_m2 for p in parcels))
    _buildings_assigned(view, [bid for t in titles for bid in t.buildings], [b.merged])
    rules.sources_attested(view, b.sources)


def _apply_merge(state: AppState, b: Merge, ctx: TxContext) -> list[Event]:
    titles = [store.load_title(state, pid) for pid in b.parcel_ids]
    parents = sorted(b.parcel_ids)
    entry = store.tx_entry(ctx, "merge", [*parents, b.merged.parcel_id], b.sources)
    _create(state, b.merged, parents, titles[0], entry)
    for t in titles:
        _retire(state, t, [b.merged.parcel_id], entry)
    events = [
        event(NAME, "merged", t.parcel_id, version=t.version + 1, into=b.merged.parcel_id) for t in titles
    ]
    events.append(
        event(NAME, "parcel_created", b.merged.parcel_id, version=1, predecessors=",".join(parents))
    )
    return events


# --- buildings -----------------------------------------------------------------------------------


def _signers_register_building(view: AppView, b: RegisterBuilding, ctx: TxContext) -> Requirement:
    rules.sources_shape("register_building", b.sources)
    return rules.owners_requirement(view, b.parcel_id)


def _check_register_building(view: AppView, b: RegisterBuilding, ctx: TxContext) -> None:
    rules.identifier(b.parcel_id, "parcel_id")
    rules.sources_shape("register_building", b.sources)
    title = store.load_title(view, b.parcel_id)
    building_shape(b.building, store.load_parcel(view, b.parcel_id).boundary)
    building_id_free(view, b.building.building_id)
    if len(title.buildings) >= MAX_BUILDINGS:
        fail("land.too_many", f"a parcel has at most {MAX_BUILDINGS} buildings")
    rules.not_blocked(view, "register_building", title, ctx.time_ms)
    rules.sources_attested(view, b.sources)


def _apply_register_building(state: AppState, b: RegisterBuilding, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    bid = b.building.building_id
    store.put_building(state, new_building(b.building, b.parcel_id, ctx.height))
    entry = store.tx_entry(ctx, "register_building", [bid], b.sources)
    t = store.next_title(state, title, entry, buildings=[*title.buildings, bid])
    return [event(NAME, "building_registered", b.parcel_id, version=t.version, building_id=bid)]


def _lenders(view: AppView, title: TitleVersion) -> Iterable[str]:
    for ref in title.encumbrances:
        r = store.get_rrr(view, title.parcel_id, ref.rrr_id) if ref.kind == "mortgage" else None
        if r is not None and isinstance(r.terms, Mortgage):
            yield r.terms.lender


def _shape_demolish(b: DemolishBuilding) -> None:
    rules.identifier(b.parcel_id, "parcel_id")
    rules.identifier(b.building_id, "building_id")
    rules.sources_shape("demolish_building", b.sources)


def _signers_demolish(view: AppView, b: DemolishBuilding, ctx: TxContext) -> Requirement:
    _shape_demolish(b)
    t = store.get_title(view, b.parcel_id)
    lenders = list(_lenders(view, t)) if t is not None else []
    return rules.owners_requirement(view, b.parcel_id, extra=lenders)


def _check_demolish(view: AppView, b: DemolishBuilding, ctx: TxContext) -> None:
    _shape_demolish(b)
    title = store.load_title(view, b.parcel_id)
    if b.building_id not in title.buildings:
        fail("land.unknown_building", f"parcel {b.parcel_id!r} has no standing building {b.building_id!r}")
    rules.not_blocked(view, "demolish_building", title, ctx.time_ms)
    rules.sources_attested(view, b.sources)


def _apply_demolish(state: AppState, b: DemolishBuilding, ctx: TxContext) -> list[Event]:
    title = store.load_title(state, b.parcel_id)
    building = store.get_building(state, b.building_id)
    assert building is not None, "a title lists only existing buildings"
    store.put_building(
        state, msgspec.structs.replace(building, status=DEMOLISHED, demolished_height=ctx.height)
    )
    entry = store.tx_entry(ctx, "demolish_building", [b.building_id], b.sources)
    t = store.next_title(state, title, entry, buildings=[x for x in title.buildings if x != b.building_id])
    return [event(NAME, "building_demolished", b.parcel_id, version=t.version, building_id=b.building_id)]


OPERATIONS: dict[str, Operation[Any]] = {
    "subdivide": Operation(
        Subdivide,
        _signers_subdivide,
        _check_subdivide,
        _apply_subdivide,
        "Split a parcel into 2-16 new ones (areas sum to the parent's): owners + surveyor + registrar.",
    ),
    "merge": Operation(
        Merge,
        _signers_merge,
        _check_merge,
        _apply_merge,
        "Join 2-16 parcels with the same owners and RRRs into one: owners + surveyor + registrar.",
    ),
    "register_building": Operation(
        RegisterBuilding,
        _signers_register_building,
        _check_register_building,
        _apply_register_building,
        "Add a building unit to a parcel: owners + surveyor + registrar.",
    ),
    "demolish_building": Operation(
        DemolishBuilding,
        _signers_demolish,
        _check_demolish,
        _apply_demolish,
        "Record a building's demolition: owners + mortgage lenders + registrar.",
    ),
}
