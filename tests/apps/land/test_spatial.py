"""Subdivision, merge and building units."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.land.model import (
    BuildingId,
    DemolishBuilding,
    Merge,
    NewParcel,
    ParcelId,
    PartyParcelsPage,
    RegisterBuilding,
    RegisterCaveat,
    RegisterLease,
    RegisterMortgage,
    RRRId,
    Subdivide,
    Transfer,
)
from govledger.apps.land.queries import (
    building,
    certificate_data,
    encumbrances,
    parcel,
    parcels_of_party,
    rrr,
)

from .harness import DAY_MS, A, Ledger, hold, rect, src
from .harness import building as new_building


def _child(pid: str, x_m: int, w_m: int, buildings: list[str] | None = None) -> NewParcel:
    return NewParcel(pid, rect(x_m, 0, w_m, 100), w_m * 100, "residential", buildings or [])


SPLIT = Subdivide("P1", [_child("P1a", 0, 60, ["B1"]), _child("P1b", 60, 40)], [src("survey_plan")])


def test_subdivision_carries_owners_rights_and_buildings(led: Ledger) -> None:
    led.ok(
        "register_mortgage",
        RegisterMortgage("P1", "M1", "bank-1", 1_000_00, "EUR", [src("mortgage_deed")]),
        A.alice,
        A.bank,
    )
    lease = RegisterLease(
        "P1",
        "L1",
        ["carol"],
        led.time_ms,
        led.time_ms + DAY_MS,
        500_00,
        "EUR",
        "month",
        [src("lease_contract")],
    )
    led.ok("register_lease", lease, A.alice, A.carol)
    r = led.ok("subdivide", SPLIT, A.alice, A.surveyor, A.registrar)
    assert [(e.kind, e.subject) for e in r.events] == [
        ("subdivided", "P1"),
        ("parcel_created", "P1a"),
        ("parcel_created", "P1b"),
    ]
    old = parcel(led.view, ParcelId("P1"))
    assert old is not None and old.status == "retired" and old.successors == ["P1a", "P1b"]
    assert led.title("P1").status == "retired" and led.title("P1").owners == []
    for child in ("P1a", "P1b"):
        assert led.owners(child) == {"alice": (1, 1)}
        assert led.title(child).version == 1
        assert {e.rrr_id for e in led.title(child).encumbrances} == {"M1", "L1"}
        carried = rrr(led.view, RRRId(child, "M1"))
        assert carried is not None and carried.carried_from == ["P1"] and carried.status == "active"
    old_m = rrr(led.view, RRRId("P1", "M1"))
    assert old_m is not None and old_m.status == "carried"
    assert led.title("P1a").buildings == ["B1"] and led.title("P1b").buildings == []
    b1 = building(led.view, BuildingId("B1"))
    assert b1 is not None and b1.parcel_id == "P1a"
    assert sum(p.area_m2 for p in (parcel(led.view, ParcelId(c)) for c in ("P1a", "P1b")) if p) == 10_000
    alice = parcels_of_party(led.view, PartyParcelsPage("alice"))
    assert alice is not None and [p.parcel_id for p in alice.parcels] == ["P1a", "P1b", "P2"]
    assert alice.parcels_held == 3 and alice.complete
    # the carried leases still expire, on each child, and the retired parcel refuses everything
    led.block([], advance_ms=DAY_MS)
    assert led.last is not None
    assert sorted(e.subject for e in led.last.end_block_events) == ["P1a", "P1b"]
    sale = Transfer("P1", [hold("alice")], [hold("carol")], [src("deed")])
    led.refused("transfer", sale, A.alice, A.carol, A.notary, code="land.parcel_retired")


@pytest.mark.parametrize("missing", ["alice", "surveyor", "registrar"])
def test_subdivision_needs_owners_surveyor_registrar(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "surveyor": A.surveyor, "registrar": A.registrar}
    del signers[missing]
    led.refused("subdivide", SPLIT, *signers.values(), code="auth.missing_signers")


@pytest.mark.parametrize(
    ("children", "code"),
    [
        ([_child("P1a", 0, 60, ["B1"]), _child("P1b", 60, 39)], "land.areas_do_not_add_up"),
        ([_child("P1a", 0, 60), _child("P1b", 60, 40)], "land.buildings_unassigned"),
        ([_child("P1a", 0, 60, ["B1"]), _child("P1b", 60, 40, ["B1"])], "land.buildings_unassigned"),
        ([_child("P1a", 0, 60), _child("P1b", 60, 40, ["B1"])], "land.building_outside_parcel"),
        ([_child("P1a", 0, 60, ["B1"]), _child("P2", 60, 40)], "land.parcel_exists"),
        ([_child("P1a", 0, 60, ["B1"]), _child("P1a", 60, 40)], "land.parcel_exists"),
        ([_child("P1a", 0, 100, ["B1"])], "land.too_many"),
        (
            [
                _child("P1a", 0, 60, ["B1"]),
                NewParcel("P1b", rect(60, 0, 40, 100, "EPSG:32638"), 4000, "residential", []),
            ],
            "land.bad_boundary",
        ),
    ],
)
def test_subdivision_rules(led: Ledger, children: list[NewParcel], code: str) -> None:
    led.refused(
        "subdivide",
        Subdivide("P1", children, [src("survey_plan")]),
        A.alice,
        A.surveyor,
        A.registrar,
        code=code,
    )


def test_subdivision_is_blocked_by_a_caveat(led: Ledger) -> None:
    led.ok(
        "register_caveat", RegisterCaveat("P1", "C1", "court", "court_order", [src("court_order")]), A.court
    )
    led.refused("subdivide", SPLIT, A.alice, A.surveyor, A.registrar, code="land.caveat")


# --- merge ----------------------------------------------------------------------------------------


def _two_parcels_of_carol(led: Ledger) -> None:
    from .harness import first_reg

    led.ok("first_registration", first_reg("Q1", [hold("carol")], x_m=1000, w_m=50), A.surveyor, A.registrar)
    led.ok("first_registration", first_reg("Q2", [hold("carol")], x_m=1050, w_m=30), A.surveyor, A.registrar)


MERGE = Merge(
    ["Q1", "Q2"], NewParcel("Q3", rect(1000, 0, 80, 100), 8000, "residential", []), [src("survey_plan")]
)


def test_merge_joins_parcels_with_the_same_owners(led: Ledger) -> None:
    _two_parcels_of_carol(led)
    led.refused("merge", MERGE, A.carol, A.surveyor, code="auth.missing_signers")
    r = led.ok("merge", MERGE, A.carol, A.surveyor, A.registrar)
    assert [(e.kind, e.subject) for e in r.events] == [
        ("merged", "Q1"),
        ("merged", "Q2"),
        ("parcel_created", "Q3"),
    ]
    q3 = parcel(led.view, ParcelId("Q3"))
    assert q3 is not None and q3.predecessors == ["Q1", "Q2"] and q3.area_m2 == 8000
    assert led.owners("Q3") == {"carol": (1, 1)}
    carol = parcels_of_party(led.view, PartyParcelsPage("carol"))
    assert carol is not None and [p.parcel_id for p in carol.parcels] == ["Q3"]


def test_merge_rules(led: Ledger) -> None:
    _two_parcels_of_carol(led)
    wrong_area = msgspec.structs.replace(MERGE, merged=msgspec.structs.replace(MERGE.merged, area_m2=7999))
    led.refused("merge", wrong_area, A.carol, A.surveyor, A.registrar, code="land.areas_do_not_add_up")
    odd = Merge(
        ["Q1", "P1"],
        NewParcel("Q3", rect(0, 0, 150, 100), 15000, "residential", ["B1"]),
        [src("survey_plan")],
    )
    led.refused("merge", odd, A.carol, A.alice, A.surveyor, A.registrar, code="land.owners_differ")
    led.ok(
        "register_mortgage",
        RegisterMortgage("Q1", "M1", "bank-1", 100, "EUR", [src("mortgage_deed")]),
        A.carol,
        A.bank,
    )
    led.refused("merge", MERGE, A.carol, A.surveyor, A.registrar, code="land.encumbrances_differ")
    led.ok(
        "register_mortgage",
        RegisterMortgage("Q2", "M1", "bank-1", 100, "EUR", [src("mortgage_deed")]),
        A.carol,
        A.bank,
    )
    led.ok("merge", MERGE, A.carol, A.surveyor, A.registrar)
    (m,) = encumbrances(led.view, ParcelId("Q3"))
    assert m.rrr_id == "M1" and m.carried_from == ["Q1", "Q2"]


def test_merge_of_a_parcel_with_itself_or_unknown(led: Ledger) -> None:
    twice = msgspec.structs.replace(MERGE, parcel_ids=["P1", "P1"])
    led.refused("merge", twice, A.alice, A.surveyor, A.registrar, code="land.bad_holdings")
    unknown = msgspec.structs.replace(MERGE, parcel_ids=["P1", "P404"])
    led.refused("merge", unknown, A.alice, A.surveyor, A.registrar, code="land.unknown_parcel")


# --- buildings ------------------------------------------------------------------------------------


def test_register_and_demolish_a_building(led: Ledger) -> None:
    body = RegisterBuilding("P1", new_building("B2", 50, 50), [src("survey_plan")])
    led.refused("register_building", body, A.surveyor, A.registrar, code="auth.missing_signers")
    led.refused("register_building", body, A.alice, A.registrar, code="auth.missing_signers")
    led.ok("register_building", body, A.alice, A.surveyor, A.registrar)
    assert led.title("P1").buildings == ["B1", "B2"]
    led.refused("register_building", body, A.alice, A.surveyor, A.registrar, code="land.building_exists")
    outside = RegisterBuilding("P1", new_building("B3", 500, 50), [src("survey_plan")])
    led.refused(
        "register_building", outside, A.alice, A.surveyor, A.registrar, code="land.building_outside_parcel"
    )
    demolish = DemolishBuilding("P1", "B2", [src("permit")])
    led.refused("demolish_building", demolish, A.alice, code="auth.missing_signers")
    r = led.ok("demolish_building", demolish, A.alice, A.registrar)
    assert r.events[0].kind == "building_demolished" and led.title("P1").buildings == ["B1"]
    b2 = building(led.view, BuildingId("B2"))
    assert b2 is not None and b2.status == "demolished"
    led.refused("demolish_building", demolish, A.alice, A.registrar, code="land.unknown_building")


def test_demolition_of_mortgaged_property_needs_the_lender(led: Ledger) -> None:
    led.ok(
        "register_mortgage",
        RegisterMortgage("P1", "M1", "bank-1", 100, "EUR", [src("mortgage_deed")]),
        A.alice,
        A.bank,
    )
    demolish = DemolishBuilding("P1", "B1", [src("permit")])
    led.refused("demolish_building", demolish, A.alice, A.registrar, code="auth.missing_signers")
    led.ok("demolish_building", demolish, A.alice, A.bank, A.registrar)


def test_certificate_data(led: Ledger) -> None:
    led.ok(
        "register_mortgage",
        RegisterMortgage("P1", "M1", "bank-1", 100, "EUR", [src("mortgage_deed")]),
        A.alice,
        A.bank,
    )
    cert = certificate_data(led.view, "P1")
    assert cert is not None
    assert cert.title_version == 2 and cert.area_m2 == 10_000 and cert.status == "active"
    assert [(o.party_id, o.kind) for o in cert.owners] == [("alice", "person")]
    assert len(cert.owners[0].commitment) == 32
    assert [e.rrr_id for e in cert.encumbrances] == ["M1"]
    assert [b.building_id for b in cert.buildings] == ["B1"]
    assert cert.priority_notice is None and cert.last_entry.op == "register_mortgage"
    assert certificate_data(led.view, "P404") is None
    from govledger.apps.land.model import TitleCertificate
    from govledger.codec import decode, encode

    assert decode(encode(cert), TitleCertificate) == cert, "a certificate is a canonical Record"
