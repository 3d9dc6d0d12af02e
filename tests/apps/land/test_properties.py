"""Properties over generated histories: shares always whole, one current title, no double sale, area kept."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.land.model import NewParcel, PlacePriorityNotice, Subdivide, Transfer
from govledger.apps.land.shares import after_transfer

from .gen import EVERYONE, active_parcels, check_invariants, holding_of, operation
from .harness import DAY_MS, A, fresh_world, hold, rect, src

TOTAL_AREA_M2 = 20_000  # P1 + P2 in the world fixture
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data(), blocks=st.integers(1, 8))
def test_any_history_keeps_every_invariant(data: st.DataObject, blocks: int) -> None:
    led = fresh_world()
    check_invariants(led.store.data, TOTAL_AREA_M2)
    for _ in range(blocks):
        n = data.draw(st.integers(0, 4))
        txs = []
        for _ in range(n):
            op, body, signers = data.draw(operation(led.view, led.time_ms + 1000))
            txs.append(led.tx(op, body, *signers))
        advance = data.draw(st.sampled_from([1000, 1000, 3000, DAY_MS]))
        led.block(txs, advance_ms=advance)
        check_invariants(led.store.data, TOTAL_AREA_M2)


# --- double selling -----------------------------------------------------------------------------------

BUYERS = ("bob", "carol", "dave", "erin")
PORTIONS = (Fraction(1), Fraction(1, 2), Fraction(1, 3))


@st.composite
def conflicting_sales(draw: st.DrawFn) -> tuple[list[tuple[str, Fraction]], list[int], str | None]:
    """alice's sales of parts of P1 to different buyers, a split of them into blocks, and maybe a
    priority notice placed first for one buyer's sale of the whole parcel."""
    sales = draw(
        st.lists(st.tuples(st.sampled_from(BUYERS), st.sampled_from(PORTIONS)), min_size=2, max_size=5)
    )
    sales = draw(st.permutations(sales))
    cuts = draw(st.lists(st.integers(0, len(sales)), max_size=3))
    reserved = draw(st.none() | st.sampled_from(BUYERS))
    return sales, sorted(cuts), reserved


@SETTINGS
@given(plan=conflicting_sales())
def test_a_parcel_is_never_sold_twice(plan: tuple[list[tuple[str, Fraction]], list[int], str | None]) -> None:
    sales, cuts, reserved = plan
    led = fresh_world()
    if reserved is not None:
        notice = PlacePriorityNotice(
            "P1", "N1", [hold("alice")], [hold(reserved)], src("sale_contract"), led.time_ms + 30 * DAY_MS
        )
        led.ok("place_priority_notice", notice, A.alice, A.notary)
    txs = [
        led.tx(
            "transfer",
            Transfer(
                "P1",
                [hold("alice", p.numerator, p.denominator)],
                [hold(b, p.numerator, p.denominator)],
                [src("deed")],
            ),
            A.alice,
            A.bob,
            A.carol,
            A.dave,
            A.erin,
            A.notary,
        )
        for b, p in sales
    ]
    receipts = []
    for start, end in zip([0, *cuts], [*cuts, len(txs)], strict=True):
        receipts += led.block(txs[start:end])
    sold = [(b, p) for (b, p), r in zip(sales, receipts, strict=True) if r.code == "ok"]
    refused = {r.code for r in receipts if r.code != "ok"}
    assert refused <= {"land.share_exceeds_holding", "land.not_current_owner", "land.priority_notice"}
    assert sum(p for _, p in sold) <= 1, "alice never sells more than she owns"
    title = led.title("P1")
    assert holding_of(title, "alice") == 1 - sum(p for _, p in sold)
    if reserved is not None:
        # only the reserved buyer's purchase of the whole parcel could go through
        assert all(b == reserved and p == 1 for b, p in sold)
    whole = [b for b, p in sold if p == 1]
    assert len(whole) <= 1 and (not whole or led.owners("P1") == {whole[0]: (1, 1)})
    check_invariants(led.store.data, TOTAL_AREA_M2)


@SETTINGS
@given(
    order=st.permutations(["carol", "dave", "erin"]),
    notices_first=st.booleans(),
)
def test_competing_notices_admit_exactly_one_buyer(order: list[str], notices_first: bool) -> None:
    """Three notaries' notices for three buyers in one block: one is placed, only its sale registers."""
    led = fresh_world()
    notices = [
        led.tx(
            "place_priority_notice",
            PlacePriorityNotice(
                "P1", f"N-{b}", [hold("alice")], [hold(b)], src("sale_contract"), led.time_ms + DAY_MS
            ),
            A.alice,
            A.notary,
        )
        for b in order
    ]
    sales = [
        led.tx(
            "transfer",
            Transfer("P1", [hold("alice")], [hold(b)], [src("deed")]),
            A.alice,
            *[k for k in EVERYONE if k is not A.alice],
        )
        for b in reversed(order)
    ]
    receipts = led.block(notices + sales if notices_first else notices)
    placed = [b for b, r in zip(order, receipts, strict=False) if r.code == "ok"]
    assert placed == [order[0]]
    if not notices_first:
        receipts = led.block(sales)
    assert led.owners("P1") == {order[0]: (1, 1)}
    check_invariants(led.store.data, TOTAL_AREA_M2)


# --- subdivision ----------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data(), rounds=st.integers(1, 4))
def test_subdivision_preserves_total_area(data: st.DataObject, rounds: int) -> None:
    led = fresh_world()
    for _ in range(rounds):
        parcel = data.draw(st.sampled_from(active_parcels(led.view)))
        ring = parcel.boundary.rings[0]
        x0, x1 = min(x for x, _ in ring) // 100, max(x for x, _ in ring) // 100
        y0, y1 = min(y for _, y in ring) // 100, max(y for _, y in ring) // 100
        if x1 - x0 < 2:
            continue
        cut = data.draw(st.integers(x0 + 1, x1 - 1))
        skew = data.draw(st.sampled_from([0, 0, 0, 1, -1]))
        title = led.title(parcel.parcel_id)
        left = NewParcel(
            parcel.parcel_id + "L",
            rect(x0, y0, cut - x0, y1 - y0),
            (cut - x0) * (y1 - y0) + skew,
            "residential",
            [b for b in title.buildings],
        )
        right = NewParcel(
            parcel.parcel_id + "R",
            rect(cut, y0, x1 - cut, y1 - y0),
            (x1 - cut) * (y1 - y0),
            "residential",
            [],
        )
        owners = [k for k in EVERYONE if k not in (A.surveyor, A.registrar)]
        r = led.do(
            "subdivide",
            Subdivide(parcel.parcel_id, [left, right], [src("survey_plan")]),
            *owners,
            A.surveyor,
            A.registrar,
        )
        expected = "ok" if skew == 0 else "land.areas_do_not_add_up"
        assert r.code == expected or r.code == "land.building_outside_parcel", r
        assert sum(p.area_m2 for p in active_parcels(led.view)) == TOTAL_AREA_M2
    check_invariants(led.store.data, TOTAL_AREA_M2)


# --- share arithmetic against an independent implementation ----------------------------------------


def _independent_after(
    owners: dict[str, tuple[int, int]],
    sellers: dict[str, tuple[int, int]],
    buyers: dict[str, tuple[int, int]],
) -> dict[str, tuple[int, int]]:
    """The same transfer with shares as integer counts over one common denominator (no Fraction)."""
    import math

    dens = [d for _, d in [*owners.values(), *sellers.values(), *buyers.values()]]
    common = math.lcm(*dens)
    counts = {p: n * (common // d) for p, (n, d) in owners.items()}
    for p, (n, d) in sellers.items():
        counts[p] -= n * (common // d)
    for p, (n, d) in buyers.items():
        counts[p] = counts.get(p, 0) + n * (common // d)
    out = {}
    for p, c in counts.items():
        if c:
            g = math.gcd(c, common)
            out[p] = (c // g, common // g)
    return out


@settings(max_examples=300, deadline=None)
@given(
    dens=st.lists(st.integers(1, 12), min_size=3, max_size=3),
    pick=st.integers(0, 10_000),
)
def test_share_arithmetic_matches_an_integer_implementation(dens: list[int], pick: int) -> None:
    # alice and bob own a/den + rest; alice sells part of hers to carol and dave
    a_den = dens[0] + 1
    a_num = 1 + pick % (a_den - 1)
    sell_num = 1 + (pick // 7) % a_num
    owners = {"alice": Fraction(a_num, a_den), "bob": 1 - Fraction(a_num, a_den)}
    sold = Fraction(sell_num, a_den)
    carol = sold * Fraction(1, dens[1] + 1)
    dave = sold - carol
    as_holding = [hold(p, f.numerator, f.denominator) for p, f in sorted(owners.items())]
    buyers = [hold("carol", carol.numerator, carol.denominator)]
    if dave:
        buyers.append(hold("dave", dave.numerator, dave.denominator))
    got = after_transfer(as_holding, [hold("alice", sold.numerator, sold.denominator)], buyers)
    want = _independent_after(
        {p: (f.numerator, f.denominator) for p, f in owners.items()},
        {"alice": (sold.numerator, sold.denominator)},
        {h.party_id: (h.share.num, h.share.den) for h in buyers},
    )
    assert {h.party_id: (h.share.num, h.share.den) for h in got} == want
