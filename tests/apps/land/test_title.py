"""First registration, transfer, priority notices and succession: success, every signer, every rule."""

from __future__ import annotations

import pytest

from govledger.apps.land.model import (
    Boundary,
    CancelPriorityNotice,
    FirstRegistration,
    HistoryPage,
    ParcelId,
    PartyParcelsPage,
    PlacePriorityNotice,
    RegisterCaveat,
    RegisterMortgage,
    Succession,
    TitleAt,
    Transfer,
)
from govledger.apps.land.queries import history, parcels_of_party, priority_notice, title_at

from .harness import DAY_MS, A, Ledger, attest, first_reg, hold, rect, src

# --- first registration ---------------------------------------------------------------------------


def test_first_registration_creates_title_version_1_and_indexes(led: Ledger) -> None:
    body = first_reg("P9", [hold("carol", 2, 3), hold("dave", 1, 3)], x_m=1000)
    r = led.ok("first_registration", body, A.surveyor, A.registrar)
    assert [(e.kind, e.subject) for e in r.events] == [("first_registered", "P9")]
    t = led.title("P9")
    assert t.version == 1 and t.entry.op == "first_registration" and t.entry.height == led.height
    assert led.owners("P9") == {"carol": (2, 3), "dave": (1, 3)}
    got = parcels_of_party(led.view, PartyParcelsPage("carol"))
    assert got is not None and [p.parcel_id for p in got.parcels] == ["P9"] and got.complete


@pytest.mark.parametrize("missing", ["surveyor", "registrar"])
def test_first_registration_needs_surveyor_and_registrar(led: Ledger, missing: str) -> None:
    signers = {"surveyor": A.surveyor, "registrar": A.registrar}
    del signers[missing]
    body = first_reg("P9", [hold("carol")], x_m=1000)
    led.refused("first_registration", body, *signers.values(), code="auth.missing_signers")


def _with(body: FirstRegistration, **changes: object) -> FirstRegistration:
    import msgspec

    return msgspec.structs.replace(body, **changes)


BASE = first_reg("P9", [hold("carol")], x_m=1000)
OPEN_RING = Boundary("EPSG:3006", [[(0, 0), (10000, 0), (10000, 10000), (0, 10000)]])
CLOCKWISE = Boundary("EPSG:3006", [[(0, 0), (0, 10000), (10000, 10000), (10000, 0), (0, 0)]])


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"parcel_id": "P1"}, "land.parcel_exists"),
        ({"parcel_id": ""}, "land.bad_identifier"),
        ({"boundary": OPEN_RING, "area_m2": 100}, "land.bad_boundary"),
        ({"boundary": CLOCKWISE, "area_m2": 100}, "land.bad_boundary"),
        ({"boundary": rect(0, 0, 100, 100, crs="WGS84")}, "land.bad_boundary"),
        ({"area_m2": 12_000}, "land.area_mismatch"),
        ({"area_m2": 0}, "land.bad_area"),
        ({"land_use": "Residential!"}, "land.bad_code"),
        ({"owners": [hold("carol", 1, 2)]}, "land.shares_not_one"),
        ({"owners": [hold("carol", 2, 2)]}, "land.bad_share"),
        ({"owners": [hold("nobody")]}, "land.unknown_party"),
        ({"owners": []}, "land.bad_holdings"),
        ({"sources": [src("deed")]}, "land.source_required"),
        ({"sources": [src("survey_plan", attest=b"\x07" * 32)]}, "land.source_not_attested"),
    ],
)
def test_first_registration_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    led.refused("first_registration", _with(BASE, **changes), A.surveyor, A.registrar, code=code)


def test_area_tolerance_is_one_percent(led: Ledger) -> None:
    led.ok("first_registration", _with(BASE, area_m2=10_100), A.surveyor, A.registrar)


def test_a_building_must_lie_in_its_parcel(led: Ledger) -> None:
    from .harness import building

    body = first_reg("P9", [hold("carol")], x_m=1000, buildings=[building("B9", 0, 0)])
    led.refused("first_registration", body, A.surveyor, A.registrar, code="land.building_outside_parcel")
    body = first_reg("P9", [hold("carol")], x_m=1000, buildings=[building("B1", 1010, 10)])
    led.refused("first_registration", body, A.surveyor, A.registrar, code="land.building_exists")


def test_an_attested_survey_plan_is_accepted(led: Ledger) -> None:
    digest = attest(led, "plan-9", A.notary)
    body = _with(BASE, sources=[src("survey_plan", "plan-9", attest=digest)])
    led.ok("first_registration", body, A.surveyor, A.registrar)


# --- transfer -------------------------------------------------------------------------------------

SALE = Transfer("P1", [hold("alice")], [hold("carol")], [src("deed", "deed-1")])


def test_transfer_moves_the_title_and_keeps_history(led: Ledger) -> None:
    r = led.ok("transfer", SALE, A.alice, A.carol, A.notary)
    assert r.events[0].kind == "transferred" and r.events[0].subject == "P1"
    assert led.owners("P1") == {"carol": (1, 1)}
    versions = history(led.view, HistoryPage("P1"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].owners[0].party_id == "alice" and versions[1].entry.op == "transfer"
    assert versions[1].entry.sources == SALE.sources
    assert set(versions[1].entry.signer_ids) >= {A.alice.public_key.key_id(), A.notary.public_key.key_id()}
    assert title_at(led.view, TitleAt("P1", 1)) == versions[0]
    alice = parcels_of_party(led.view, PartyParcelsPage("alice"))
    assert alice is not None and [p.parcel_id for p in alice.parcels] == ["P2"] and alice.parcels_held == 1


def test_partial_transfer_of_a_co_owned_parcel(led: Ledger) -> None:
    sale = Transfer("P2", [hold("bob", 1, 4)], [hold("carol", 1, 8), hold("alice", 1, 8)], [src("deed")])
    led.ok("transfer", sale, A.alice, A.bob, A.carol, A.notary)
    assert led.owners("P2") == {"alice": (5, 8), "bob": (1, 4), "carol": (1, 8)}


@pytest.mark.parametrize("missing", ["alice", "bob", "carol", "notary"])
def test_transfer_needs_every_owner_every_buyer_and_a_notary(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "bob": A.bob, "carol": A.carol, "notary": A.notary}
    del signers[missing]
    sale = Transfer("P2", [hold("bob", 1, 2)], [hold("carol", 1, 2)], [src("deed")])
    led.refused("transfer", sale, *signers.values(), code="auth.missing_signers")


@pytest.mark.parametrize(
    ("sale", "code"),
    [
        (Transfer("P1", [hold("bob")], [hold("carol")], [src("deed")]), "land.not_current_owner"),
        (Transfer("P2", [hold("bob")], [hold("carol")], [src("deed")]), "land.share_exceeds_holding"),
        (Transfer("P1", [hold("alice")], [hold("carol", 1, 2)], [src("deed")]), "land.shares_mismatch"),
        (Transfer("P1", [hold("alice")], [hold("nobody")], [src("deed")]), "land.unknown_party"),
        (Transfer("P1", [hold("alice")], [hold("carol")], [src("survey_plan")]), "land.source_required"),
        (Transfer("P7", [hold("alice")], [hold("carol")], [src("deed")]), "land.unknown_parcel"),
        (Transfer("P1", [hold("alice")], [hold("carol", 3, 3)], [src("deed")]), "land.bad_share"),
        (Transfer("P1", [], [hold("carol")], [src("deed")]), "land.bad_holdings"),
    ],
)
def test_transfer_rules(led: Ledger, sale: Transfer, code: str) -> None:
    led.refused("transfer", sale, A.alice, A.bob, A.carol, A.notary, code=code)


def test_a_caveat_or_a_mortgage_blocks_transfer(led: Ledger) -> None:
    led.ok(
        "register_caveat",
        RegisterCaveat("P1", "C1", "court", "pending_litigation", [src("court_order")]),
        A.court,
    )
    led.refused("transfer", SALE, A.alice, A.carol, A.notary, code="land.caveat")
    mortgage = RegisterMortgage("P2", "M1", "bank-1", 10_000_000, "EUR", [src("mortgage_deed")])
    led.ok("register_mortgage", mortgage, A.alice, A.bob, A.bank)
    sale = Transfer("P2", [hold("bob", 1, 2)], [hold("carol", 1, 2)], [src("deed")])
    led.refused("transfer", sale, A.alice, A.bob, A.carol, A.notary, code="land.mortgaged")


# --- priority notices -----------------------------------------------------------------------------


def _notice(led: Ledger, buyer: str = "carol", days: int = 30, notice_id: str = "N1") -> PlacePriorityNotice:
    return PlacePriorityNotice(
        "P1", notice_id, [hold("alice")], [hold(buyer)], src("sale_contract"), led.time_ms + days * DAY_MS
    )


def test_a_priority_notice_stops_a_second_sale_and_is_used_by_the_first(led: Ledger) -> None:
    r = led.ok("place_priority_notice", _notice(led), A.alice, A.notary)
    assert r.events[0].kind == "priority_notice_placed" and led.title("P1").notice == "N1"
    other = Transfer("P1", [hold("alice")], [hold("dave")], [src("deed")])
    led.refused("transfer", other, A.alice, A.dave, A.notary, code="land.priority_notice")
    from govledger.apps.land.model import RegisterLease

    lease = RegisterLease(
        "P1", "L1", ["dave"], led.time_ms, led.time_ms + DAY_MS, 100, "EUR", "month", [src("lease_contract")]
    )
    led.refused("register_lease", lease, A.alice, A.dave, code="land.priority_notice")
    led.refused(
        "place_priority_notice",
        _notice(led, "dave", notice_id="N2"),
        A.alice,
        A.notary,
        code="land.priority_notice",
    )
    r = led.ok("transfer", SALE, A.alice, A.carol, A.notary)
    assert [e.kind for e in r.events] == ["transferred", "priority_notice_used"]
    assert led.title("P1").notice == "" and priority_notice(led.view, ParcelId("P1")) is None
    assert not [k for k in led.store.data if k.startswith(b"land\x00expiry/")]


@pytest.mark.parametrize("missing", ["alice", "notary"])
def test_placing_a_notice_needs_the_owners_and_a_notary(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "notary": A.notary}
    del signers[missing]
    led.refused("place_priority_notice", _notice(led), *signers.values(), code="auth.missing_signers")


def test_notice_rules(led: Ledger) -> None:
    n = _notice(led)
    import msgspec

    too_long = msgspec.structs.replace(n, expires_ms=led.time_ms + 91 * DAY_MS)
    led.refused("place_priority_notice", too_long, A.alice, A.notary, code="land.bad_time")
    past = msgspec.structs.replace(n, expires_ms=led.time_ms)
    led.refused("place_priority_notice", past, A.alice, A.notary, code="land.bad_time")
    deed = msgspec.structs.replace(n, contract=src("deed"))
    led.refused("place_priority_notice", deed, A.alice, A.notary, code="land.source_required")
    not_owner = msgspec.structs.replace(n, sellers=[hold("bob")])
    led.refused("place_priority_notice", not_owner, A.alice, A.bob, A.notary, code="land.not_current_owner")
    led.ok(
        "register_caveat",
        RegisterCaveat("P1", "C1", "registrar", "registrar_correction", [src("registrar_decision")]),
        A.registrar,
    )
    led.refused("place_priority_notice", n, A.alice, A.notary, code="land.caveat")


def test_a_notice_expires_by_block_time(led: Ledger) -> None:
    led.ok("place_priority_notice", _notice(led, days=1), A.alice, A.notary)
    other = Transfer("P1", [hold("alice")], [hold("dave")], [src("deed")])
    (r,) = led.block([led.tx("transfer", other, A.alice, A.dave, A.notary)], advance_ms=DAY_MS)
    assert r.code == "ok", "the notice is out of force once block time reaches its expiry"
    assert led.last is not None
    assert [e.kind for e in led.last.end_block_events] == ["priority_notice_expired"]
    t = led.title("P1")
    assert t.notice == "" and t.entry.op == "priority_notice_expired" and t.entry.signer_ids == []
    assert led.owners("P1") == {"dave": (1, 1)}


def test_expiry_without_a_transaction(led: Ledger) -> None:
    led.ok("place_priority_notice", _notice(led, days=1), A.alice, A.notary)
    led.block([], advance_ms=DAY_MS - 2000)
    assert led.title("P1").notice == "N1"
    led.block([], advance_ms=1000)
    assert led.title("P1").notice == "" and priority_notice(led.view, ParcelId("P1")) is None


def test_cancel_notice_needs_buyers_and_notary(led: Ledger) -> None:
    led.ok("place_priority_notice", _notice(led), A.alice, A.notary)
    cancel = CancelPriorityNotice("P1", "N1")
    led.refused("cancel_priority_notice", cancel, A.carol, code="auth.missing_signers")
    led.refused("cancel_priority_notice", cancel, A.notary, A.alice, code="auth.missing_signers")
    led.refused(
        "cancel_priority_notice",
        CancelPriorityNotice("P1", "N9"),
        A.carol,
        A.notary,
        code="land.unknown_notice",
    )
    r = led.ok("cancel_priority_notice", cancel, A.carol, A.notary)
    assert r.events[0].kind == "priority_notice_cancelled" and led.title("P1").notice == ""
    led.ok(
        "transfer", Transfer("P1", [hold("alice")], [hold("dave")], [src("deed")]), A.alice, A.dave, A.notary
    )


# --- succession -----------------------------------------------------------------------------------

ESTATE = Succession(
    "alice", [hold("carol", 2, 3), hold("dave", 1, 3)], ["P1", "P2"], [src("succession_certificate")]
)


def test_succession_passes_the_holding_in_proportion(led: Ledger) -> None:
    r = led.ok("succession", ESTATE, A.registrar, A.notary)
    assert [(e.kind, e.subject) for e in r.events] == [
        ("succession_registered", "P1"),
        ("succession_registered", "P2"),
    ]
    assert led.owners("P1") == {"carol": (2, 3), "dave": (1, 3)}
    assert led.owners("P2") == {"bob": (1, 2), "carol": (1, 3), "dave": (1, 6)}
    alice = parcels_of_party(led.view, PartyParcelsPage("alice"))
    assert alice is not None and alice.parcels == [] and alice.parcels_held == 0


@pytest.mark.parametrize(
    ("signers", "ok"),
    [
        (("registrar", "court"), True),
        (("registrar", "notary"), True),
        (("registrar",), False),
        (("notary", "court"), False),
    ],
)
def test_succession_needs_registrar_and_court_or_notary(
    led: Ledger, signers: tuple[str, ...], ok: bool
) -> None:
    keys = [getattr(A, s) for s in signers]
    if ok:
        led.ok("succession", ESTATE, *keys)
    else:
        led.refused("succession", ESTATE, *keys, code="auth.missing_signers")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            Succession("bob", [hold("carol")], ["P1"], [src("succession_certificate")]),
            "land.not_current_owner",
        ),
        (
            Succession("alice", [hold("carol", 1, 2)], ["P1"], [src("succession_certificate")]),
            "land.shares_not_one",
        ),
        (Succession("alice", [hold("alice")], ["P1"], [src("succession_certificate")]), "land.bad_heirs"),
        (Succession("alice", [hold("zed")], ["P1"], [src("succession_certificate")]), "land.unknown_party"),
        (
            Succession("alice", [hold("carol")], ["P1", "P1"], [src("succession_certificate")]),
            "land.bad_holdings",
        ),
        (Succession("alice", [hold("carol")], ["P1"], [src("deed")]), "land.source_required"),
        (Succession("alice", [hold("carol")], [], [src("succession_certificate")]), "land.too_many"),
    ],
)
def test_succession_rules(led: Ledger, body: Succession, code: str) -> None:
    led.refused("succession", body, A.registrar, A.court, code=code)


def test_succession_waits_for_a_priority_notice_but_not_for_a_mortgage(led: Ledger) -> None:
    led.ok(
        "register_mortgage",
        RegisterMortgage("P1", "M1", "bank-1", 5_000_00, "EUR", [src("mortgage_deed")]),
        A.alice,
        A.bank,
    )
    led.ok("place_priority_notice", _notice(led), A.alice, A.notary)
    led.refused("succession", ESTATE, A.registrar, A.court, code="land.priority_notice")
    led.ok("cancel_priority_notice", CancelPriorityNotice("P1", "N1"), A.carol, A.notary)
    led.ok("succession", ESTATE, A.registrar, A.court)
    assert [e.kind for e in led.title("P1").encumbrances] == ["mortgage"]


def test_a_party_cannot_sell_to_itself(led: Ledger) -> None:
    sale = Transfer("P2", [hold("bob", 1, 2)], [hold("bob", 1, 2)], [src("deed")])
    led.refused("transfer", sale, A.alice, A.bob, A.notary, code="land.bad_holdings")


def test_without_policies_the_registrar_is_still_required(led: Ledger) -> None:
    """Fail closed: deleting the governance policies does not open registration to anyone."""
    for op in ("first_registration", "succession"):
        del led.store.data[b"governance\x00policy/land." + op.encode()]
    body = first_reg("P9", [hold("carol")], x_m=1000)
    led.refused("first_registration", body, A.outsider, code="auth.missing_signers")
    led.refused("succession", ESTATE, A.notary, code="auth.missing_signers")
    led.ok("first_registration", body, A.registrar)
    led.ok("succession", ESTATE, A.registrar)


def test_parcels_of_a_party_page_with_start_after(led: Ledger) -> None:
    """alice holds P1 and P2: pages of one follow `start_after`; only the last page is complete."""
    first = parcels_of_party(led.view, PartyParcelsPage("alice", limit=1))
    assert first is not None and [p.parcel_id for p in first.parcels] == ["P1"] and not first.complete
    second = parcels_of_party(led.view, PartyParcelsPage("alice", start_after="P1", limit=1))
    assert second is not None and [p.parcel_id for p in second.parcels] == ["P2"] and second.complete
    past = parcels_of_party(led.view, PartyParcelsPage("alice", start_after="P2"))
    assert past is not None and past.parcels == [] and past.complete
    # a start key longer than any key the store can hold is only a position
    far = parcels_of_party(led.view, PartyParcelsPage("alice", start_after="P" * 2000))
    assert far is not None and far.parcels == [] and far.complete


def test_a_party_with_more_parcels_than_one_scan_reads_them_all_page_by_page(led: Ledger) -> None:
    """1,010 parcels: more than AppView.scan's 1,000-key cap; pages of 500 list each exactly once."""
    count = 1010
    led.block(
        [
            led.tx(
                "first_registration",
                first_reg(f"Q{i:04d}", [hold("erin")], x_m=10_000 + i * 100),
                A.surveyor,
                A.registrar,
            )
            for i in range(count)
        ]
    )
    seen: list[str] = []
    after = ""
    while True:
        page = parcels_of_party(led.view, PartyParcelsPage("erin", start_after=after, limit=500))
        assert page is not None and page.parcels_held == count
        seen += [p.parcel_id for p in page.parcels]
        if page.complete:
            break
        after = seen[-1]
    assert seen == [f"Q{i:04d}" for i in range(count)]
