"""Mortgages, caveats, leases and servitudes: registration, ending, signers and rules."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.land.model import (
    RRR,
    Lease,
    Mortgage,
    ParcelId,
    RegisterCaveat,
    RegisterLease,
    RegisterMortgage,
    RegisterServitude,
    ReleaseMortgage,
    ReleaseServitude,
    RemoveCaveat,
    RRRId,
    Subdivide,
    TerminateLease,
    Transfer,
)
from govledger.apps.land.queries import encumbrances, rrr

from .harness import DAY_MS, A, Ledger, hold, organisation, src

MORTGAGE = RegisterMortgage("P2", "M1", "bank-1", 25_000_000, "EUR", [src("mortgage_deed")])
RELEASE = ReleaseMortgage("P2", "M1", [src("discharge")])


def test_mortgage_registration_and_release(led: Ledger) -> None:
    r = led.ok("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank)
    assert r.events[0].kind == "mortgage_registered" and r.events[0].subject == "P2"
    (m,) = encumbrances(led.view, ParcelId("P2"))
    assert m.status == "active" and m.terms == Mortgage("bank-1", 25_000_000, "EUR")
    assert [(e.kind, e.rrr_id) for e in led.title("P2").encumbrances] == [("mortgage", "M1")]
    r = led.ok("release_mortgage", RELEASE, A.bank)
    assert r.events[0].kind == "mortgage_released"
    assert encumbrances(led.view, ParcelId("P2")) == []
    ended = rrr(led.view, RRRId("P2", "M1"))
    assert ended is not None and ended.status == "released" and ended.ended_height == led.height
    led.refused("release_mortgage", RELEASE, A.bank, code="land.unknown_rrr")


@pytest.mark.parametrize("missing", ["alice", "bob", "bank"])
def test_mortgage_needs_every_owner_and_the_bank(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "bob": A.bob, "bank": A.bank}
    del signers[missing]
    led.refused("register_mortgage", MORTGAGE, *signers.values(), code="auth.missing_signers")


def test_release_needs_the_lender_with_the_bank_role(led: Ledger) -> None:
    led.ok("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank)
    led.refused("release_mortgage", RELEASE, A.alice, A.bob, code="auth.missing_signers")
    led.refused(
        "release_mortgage", ReleaseMortgage("P2", "M1", [src("deed")]), A.bank, code="land.source_required"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"lender": "carol"}, "land.bad_lender"),
        ({"lender": "nobank"}, "land.unknown_party"),
        ({"amount_cents": 0}, "land.bad_amount"),
        ({"currency": "eur"}, "land.bad_currency"),
        ({"sources": [src("deed")]}, "land.source_required"),
        ({"parcel_id": "P404"}, "land.unknown_parcel"),
    ],
)
def test_mortgage_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    body = msgspec.structs.replace(MORTGAGE, **changes)
    led.refused("register_mortgage", body, A.alice, A.bob, A.bank, A.carol, code=code)


def test_mortgage_ids_are_unique_per_parcel_and_forever(led: Ledger) -> None:
    led.ok("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank)
    led.refused("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank, code="land.rrr_exists")
    led.ok("release_mortgage", RELEASE, A.bank)
    led.refused("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank, code="land.rrr_exists")


def test_a_bank_that_is_not_the_lender_cannot_release(led: Ledger) -> None:
    from .harness import key

    other_bank_key = key(40)
    led.ok("register_party", organisation("bank-2", other_bank_key), A.registrar, other_bank_key)
    led.ok("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank)
    # bank-2's key is no governance bank member, and it is not the lender either
    led.refused("release_mortgage", RELEASE, other_bank_key, code="auth.missing_signers")


# --- caveats --------------------------------------------------------------------------------------

COURT_CAVEAT = RegisterCaveat("P1", "C1", "court", "pending_litigation", [src("court_order")])
REGISTRAR_CAVEAT = RegisterCaveat(
    "P1", "C2", "registrar", "registrar_correction", [src("registrar_decision")]
)


def test_caveats_by_court_and_registrar(led: Ledger) -> None:
    led.refused("register_caveat", COURT_CAVEAT, A.registrar, code="auth.missing_signers")
    led.refused("register_caveat", REGISTRAR_CAVEAT, A.court, code="auth.missing_signers")
    led.refused("register_caveat", COURT_CAVEAT, A.alice, code="auth.missing_signers")
    led.ok("register_caveat", COURT_CAVEAT, A.court)
    led.ok("register_caveat", REGISTRAR_CAVEAT, A.registrar)
    assert {e.rrr_id for e in led.title("P1").encumbrances} == {"C1", "C2"}
    # a court's caveat only a court lifts
    remove_court = RemoveCaveat("P1", "C1", [src("court_order")])
    led.refused("remove_caveat", remove_court, A.registrar, code="auth.missing_signers")
    r = led.ok("remove_caveat", remove_court, A.court)
    assert r.events[0].kind == "caveat_removed"
    led.ok("remove_caveat", RemoveCaveat("P1", "C2", [src("registrar_decision")]), A.registrar)
    assert led.title("P1").encumbrances == []
    led.refused("remove_caveat", remove_court, A.court, code="land.unknown_rrr")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"authority": "police"}, "land.bad_vocabulary"),
        ({"ground": "because"}, "land.bad_vocabulary"),
        ({"sources": []}, "land.source_required"),
        ({"caveat_id": "bad id"}, "land.bad_identifier"),
    ],
)
def test_caveat_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    led.refused("register_caveat", msgspec.structs.replace(COURT_CAVEAT, **changes), A.court, code=code)


def test_a_caveat_freezes_dealings_but_not_other_caveats_or_releases(led: Ledger) -> None:
    led.ok("register_mortgage", MORTGAGE, A.alice, A.bob, A.bank)
    led.ok("register_caveat", msgspec.structs.replace(COURT_CAVEAT, parcel_id="P2"), A.court)
    led.refused(
        "register_mortgage",
        msgspec.structs.replace(MORTGAGE, mortgage_id="M2"),
        A.alice,
        A.bob,
        A.bank,
        code="land.caveat",
    )
    led.ok("register_caveat", msgspec.structs.replace(REGISTRAR_CAVEAT, parcel_id="P2"), A.registrar)
    led.ok("release_mortgage", RELEASE, A.bank)


# --- leases ---------------------------------------------------------------------------------------


def _lease(led: Ledger, days: int = 365, lease_id: str = "L1") -> RegisterLease:
    return RegisterLease(
        "P1",
        lease_id,
        ["carol"],
        led.time_ms,
        led.time_ms + days * DAY_MS,
        95_000,
        "EUR",
        "month",
        [src("lease_contract")],
    )


def test_lease_registration_records_lessors_and_terms(led: Ledger) -> None:
    r = led.ok("register_lease", _lease(led), A.alice, A.carol)
    assert r.events[0].kind == "lease_registered" and r.events[0].attributes["rent_cents"] == 95_000
    (lease,) = encumbrances(led.view, ParcelId("P1"))
    assert isinstance(lease.terms, Lease)
    assert lease.terms.lessors == ["alice"] and lease.terms.lessees == ["carol"]


@pytest.mark.parametrize("missing", ["alice", "carol"])
def test_lease_needs_lessors_and_lessees(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "carol": A.carol}
    del signers[missing]
    led.refused("register_lease", _lease(led), *signers.values(), code="auth.missing_signers")


def test_lease_rules(led: Ledger) -> None:
    base = _lease(led)
    cases = [
        (msgspec.structs.replace(base, end_ms=base.start_ms), "land.bad_time"),
        (msgspec.structs.replace(base, start_ms=0, end_ms=led.time_ms), "land.bad_time"),
        (msgspec.structs.replace(base, rent_cents=-5), "land.bad_amount"),
        (msgspec.structs.replace(base, currency="EURO"), "land.bad_currency"),
        (msgspec.structs.replace(base, rent_period="decade"), "land.bad_vocabulary"),
        (msgspec.structs.replace(base, lessees=["carol", "carol"]), "land.bad_holdings"),
        (msgspec.structs.replace(base, lessees=["ghost"]), "land.unknown_party"),
        (msgspec.structs.replace(base, sources=[src("deed")]), "land.source_required"),
    ]
    for body, code in cases:
        led.refused("register_lease", body, A.alice, A.carol, code=code)


def test_lease_termination_and_expiry(led: Ledger) -> None:
    led.ok("register_lease", _lease(led, days=30), A.alice, A.carol)
    led.ok("register_lease", _lease(led, days=1, lease_id="L2"), A.alice, A.carol)
    term = TerminateLease("P1", "L1", [])
    led.refused("terminate_lease", term, A.alice, code="auth.missing_signers")
    led.refused("terminate_lease", term, A.carol, code="auth.missing_signers")
    r = led.ok("terminate_lease", term, A.alice, A.carol)
    assert r.events[0].kind == "lease_terminated"
    ended = rrr(led.view, RRRId("P1", "L1"))
    assert ended is not None and ended.status == "terminated"
    led.block([], advance_ms=DAY_MS)
    assert led.last is not None and [e.kind for e in led.last.end_block_events] == ["lease_expired"]
    assert led.last.end_block_events[0].subject == "P1"
    expired = rrr(led.view, RRRId("P1", "L2"))
    assert expired is not None and expired.status == "expired"
    assert led.title("P1").encumbrances == [] and led.title("P1").entry.op == "lease_expired"
    assert not [k for k in led.store.data if k.startswith(b"land\x00expiry/")]


def test_a_lease_runs_with_the_land(led: Ledger) -> None:
    led.ok("register_lease", _lease(led), A.alice, A.carol)
    led.ok(
        "transfer", Transfer("P1", [hold("alice")], [hold("dave")], [src("deed")]), A.alice, A.dave, A.notary
    )
    assert [e.kind for e in led.title("P1").encumbrances] == ["lease"]
    # the new owner and the lessee end it
    led.refused(
        "terminate_lease", TerminateLease("P1", "L1", []), A.alice, A.carol, code="auth.missing_signers"
    )
    led.ok("terminate_lease", TerminateLease("P1", "L1", []), A.dave, A.carol)


# --- servitudes -----------------------------------------------------------------------------------

RIGHT_OF_WAY = RegisterServitude("P1", "S1", "right_of_way", "P2", "", [src("servitude_deed")])
UTILITY = RegisterServitude("P1", "S2", "utility", "", "bank-1", [src("servitude_deed")])


def test_praedial_servitude_needs_both_parcels_owners_and_registrar(led: Ledger) -> None:
    led.refused("register_servitude", RIGHT_OF_WAY, A.alice, A.registrar, code="auth.missing_signers")
    led.refused("register_servitude", RIGHT_OF_WAY, A.alice, A.bob, code="auth.missing_signers")
    r = led.ok("register_servitude", RIGHT_OF_WAY, A.alice, A.bob, A.registrar)
    assert r.events[0].attributes["dominant_parcel"] == "P2"
    release = ReleaseServitude("P1", "S1", [src("discharge")])
    led.refused("release_servitude", release, A.alice, A.registrar, code="auth.missing_signers")
    led.ok("release_servitude", release, A.alice, A.bob, A.registrar)  # alice and bob own P2
    s = rrr(led.view, RRRId("P1", "S1"))
    assert isinstance(s, RRR) and s.status == "released"


def test_personal_servitude(led: Ledger) -> None:
    led.refused("register_servitude", UTILITY, A.alice, A.registrar, code="auth.missing_signers")
    led.ok("register_servitude", UTILITY, A.alice, A.bank, A.registrar)
    led.ok("release_servitude", ReleaseServitude("P1", "S2", [src("discharge")]), A.bank, A.registrar)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"dominant_parcel": "", "beneficiary": ""}, "land.bad_servitude"),
        ({"beneficiary": "carol"}, "land.bad_servitude"),
        ({"dominant_parcel": "P1"}, "land.bad_servitude"),
        ({"dominant_parcel": "P404"}, "land.unknown_parcel"),
        ({"kind": "fishing"}, "land.bad_vocabulary"),
    ],
)
def test_servitude_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    body = msgspec.structs.replace(RIGHT_OF_WAY, **changes)
    led.refused("register_servitude", body, A.alice, A.bob, A.carol, A.registrar, code=code)


def test_a_servitude_follows_a_subdivided_dominant_parcel(led: Ledger) -> None:
    from govledger.apps.land.model import NewParcel

    from .harness import rect

    led.ok("register_servitude", RIGHT_OF_WAY, A.alice, A.bob, A.registrar)
    split = Subdivide(
        "P2",
        [
            NewParcel("P2a", rect(200, 0, 50, 100), 5000, "residential", []),
            NewParcel("P2b", rect(250, 0, 50, 100), 5000, "residential", []),
        ],
        [src("survey_plan")],
    )
    led.ok("subdivide", split, A.alice, A.bob, A.surveyor, A.registrar)
    led.ok(
        "transfer",
        Transfer("P2b", [hold("alice", 1, 2), hold("bob", 1, 2)], [hold("carol")], [src("deed")]),
        A.alice,
        A.bob,
        A.carol,
        A.notary,
    )
    release = ReleaseServitude("P1", "S1", [src("discharge")])
    led.refused("release_servitude", release, A.alice, A.bob, A.registrar, code="auth.missing_signers")
    led.ok("release_servitude", release, A.alice, A.bob, A.carol, A.registrar)


def test_encumbrances_are_bounded(led: Ledger) -> None:
    from govledger.apps.land.model import MAX_ENCUMBRANCES

    txs = [
        led.tx("register_caveat", msgspec.structs.replace(REGISTRAR_CAVEAT, caveat_id=f"C{i}"), A.registrar)
        for i in range(MAX_ENCUMBRANCES)
    ]
    assert {r.code for r in led.block(txs)} == {"ok"}
    led.refused(
        "register_caveat",
        msgspec.structs.replace(COURT_CAVEAT, caveat_id="C-more"),
        A.court,
        code="land.too_many",
    )
