"""Random land operations for property tests, and the invariants every reachable state must satisfy.

The generator looks at the current state so most operations are plausible (the owners really own,
the shares really add up) and then, with some probability, breaks one thing: a wrong share, a
missing signer, a non-owner seller, a parcel that does not exist. Invalid operations must be refused
without a trace; valid ones must keep every invariant.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import pairwise

from hypothesis import strategies as st

from govledger.apps.land.model import (
    ACTIVE,
    MAX_OWNERS,
    RRR,
    CancelPriorityNotice,
    Holding,
    Lease,
    Merge,
    NewParcel,
    Parcel,
    Party,
    PlacePriorityNotice,
    PriorityNotice,
    RegisterCaveat,
    RegisterLease,
    RegisterMortgage,
    ReleaseMortgage,
    RemoveCaveat,
    Share,
    Subdivide,
    Succession,
    TitleVersion,
    Transfer,
)
from govledger.codec import Record, decode
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import AppView

from .harness import DAY_MS, A, rect, src

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
PARTY_KEYS = {"alice": A.alice, "bob": A.bob, "carol": A.carol, "dave": A.dave, "erin": A.erin}
EVERYONE: list[SigningKey] = [*PARTY_KEYS.values(), A.registrar, A.surveyor, A.notary, A.court, A.bank]
FRACTIONS = (Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(1, 4))

Op = tuple[str, Record, list[SigningKey]]


def _share(f: Fraction) -> Share:
    return Share(num=f.numerator, den=f.denominator)


def active_parcels(view: AppView) -> list[Parcel]:
    rows = view.scan(b"parcel/", limit=1000)
    return [p for p in (decode(v, Parcel) for _, v in rows) if p.status == ACTIVE]


def _title(view: AppView, parcel_id: str) -> TitleVersion | None:
    return view.get_as(b"title/" + parcel_id.encode(), TitleVersion)


@st.composite
def _signers(draw: st.DrawFn) -> list[SigningKey]:
    if draw(st.integers(0, 9)) > 0:
        return list(EVERYONE)
    return draw(
        st.lists(st.sampled_from(EVERYONE), min_size=1, max_size=6, unique_by=lambda k: k.public_key.key)
    )


def _sale(draw: st.DrawFn, title: TitleVersion | None) -> tuple[list[Holding], list[Holding]]:
    owners = {h.party_id: Fraction(h.share.num, h.share.den) for h in title.owners} if title else {}
    pool = sorted(owners) or ["alice"]
    sellers = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))
    if draw(st.integers(0, 7)) == 0:
        sellers = [draw(st.sampled_from(PEOPLE))]  # maybe not an owner
    sold = {s: owners.get(s, Fraction(1)) * draw(st.sampled_from(FRACTIONS)) for s in sellers}
    total = sum(sold.values(), Fraction(0))
    buyers = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2, unique=True))
    split = [total / len(buyers)] * len(buyers)
    if draw(st.integers(0, 7)) == 0:
        split[0] = split[0] * draw(st.sampled_from(FRACTIONS))  # maybe shares do not add up
    return (
        [Holding(s, _share(f)) for s, f in sold.items()],
        [Holding(b, _share(f)) for b, f in zip(buyers, split, strict=True)],
    )


def _children(draw: st.DrawFn, view: AppView, parcel: Parcel) -> list[NewParcel]:
    ring = parcel.boundary.rings[0]
    x0, y0 = min(x for x, _ in ring), min(y for _, y in ring)
    x1, y1 = max(x for x, _ in ring), max(y for _, y in ring)
    width_m, height_m = (x1 - x0) // 100, (y1 - y0) // 100
    n = draw(st.integers(2, 3))
    if width_m < n:
        n = 2
    cuts = sorted(
        draw(st.lists(st.integers(1, max(1, width_m - 1)), min_size=n - 1, max_size=n - 1, unique=True))
    )
    edges = [0, *cuts, width_m]
    title = _title(view, parcel.parcel_id)
    buildings = list(title.buildings) if title else []
    out = []
    for i, (a, b) in enumerate(pairwise(edges)):
        mine = buildings if i == 0 else []
        out.append(
            NewParcel(
                f"{parcel.parcel_id}.{i}",
                rect(x0 // 100 + a, y0 // 100, b - a, height_m),
                (b - a) * height_m,
                parcel.land_use,
                mine,
            )
        )
    if draw(st.integers(0, 5)) == 0:
        last = out[-1]
        out[-1] = NewParcel(last.parcel_id, last.boundary, last.area_m2 + 1, last.land_use, last.buildings)
    return out


def _merge(draw: st.DrawFn, view: AppView, parcels: list[Parcel], parcel_id: str) -> Merge:
    """Prefer a sibling (same predecessors, so adjacent and probably the same owners)."""
    a = next((p for p in parcels if p.parcel_id == parcel_id), None)
    siblings = [
        p for p in parcels if a is not None and p.parcel_id != parcel_id and p.predecessors == a.predecessors
    ]
    others = siblings or [p for p in parcels if p.parcel_id != parcel_id]
    b = draw(st.sampled_from(others)) if others and a is not None else None
    if a is None or b is None:
        return Merge(
            [parcel_id, parcel_id], NewParcel("Mx", rect(0, 0, 1, 1), 1, "x", []), [src("survey_plan")]
        )
    xs = [x for p in (a, b) for x, _ in p.boundary.rings[0]]
    ys = [y for p in (a, b) for _, y in p.boundary.rings[0]]
    box = rect(min(xs) // 100, min(ys) // 100, (max(xs) - min(xs)) // 100, (max(ys) - min(ys)) // 100)
    ta, tb = _title(view, a.parcel_id), _title(view, b.parcel_id)
    blds = [*(ta.buildings if ta else []), *(tb.buildings if tb else [])]
    merged = NewParcel(
        f"{a.parcel_id}-{b.parcel_id}"[-64:].lstrip(".-"), box, a.area_m2 + b.area_m2, a.land_use, blds
    )
    return Merge([a.parcel_id, b.parcel_id], merged, [src("survey_plan")])


@st.composite
def operation(draw: st.DrawFn, view: AppView, now_ms: int) -> Op:
    """One operation against the state seen through `view` at block time `now_ms`."""
    parcels = active_parcels(view)
    ids = [p.parcel_id for p in parcels] or ["P404"]
    parcel_id = draw(st.sampled_from([*ids, *ids, *ids, "P404"]))
    title = _title(view, parcel_id)
    kind = draw(
        st.sampled_from(
            ["transfer"] * 4
            + ["notice"] * 2
            + ["cancel", "mortgage", "release", "caveat", "remove_caveat", "succession", "subdivide", "merge"]
            + ["lease"]
        )
    )
    signers = draw(_signers())
    body: Record
    if kind == "transfer":
        sellers, buyers = _sale(draw, title)
        body = Transfer(parcel_id, sellers, buyers, [src("deed")])
    elif kind == "notice":
        sellers, buyers = _sale(draw, title)
        expires = now_ms + draw(st.sampled_from([1500, 3500, DAY_MS]))
        body = PlacePriorityNotice(
            parcel_id, draw(st.sampled_from(["N1", "N2"])), sellers, buyers, src("sale_contract"), expires
        )
    elif kind == "cancel":
        current = title.notice if title and title.notice else "N1"
        body = CancelPriorityNotice(parcel_id, draw(st.sampled_from([current, current, "N2"])))
    elif kind == "mortgage":
        body = RegisterMortgage(
            parcel_id, draw(st.sampled_from(["M1", "M2"])), "bank-1", 100_000, "EUR", [src("mortgage_deed")]
        )
    elif kind == "release":
        body = ReleaseMortgage(parcel_id, draw(st.sampled_from(["M1", "M2"])), [src("discharge")])
    elif kind == "caveat":
        body = RegisterCaveat(
            parcel_id,
            "C1",
            draw(st.sampled_from(["court", "registrar"])),
            "court_order",
            [src("court_order")],
        )
    elif kind == "remove_caveat":
        body = RemoveCaveat(parcel_id, "C1", [src("court_order")])
    elif kind == "succession":
        owners = [h.party_id for h in title.owners] if title else []
        deceased = draw(st.sampled_from(owners or list(PEOPLE)))
        others = [p for p in PEOPLE if p != deceased or draw(st.integers(0, 9)) == 0]
        heirs = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
        parts = [Fraction(1, len(heirs))] * len(heirs)
        body = Succession(
            deceased,
            [Holding(h, _share(f)) for h, f in zip(heirs, parts, strict=True)],
            [parcel_id],
            [src("succession_certificate")],
        )
    elif kind == "subdivide":
        parcel = next((p for p in parcels if p.parcel_id == parcel_id), None)
        children = (
            _children(draw, view, parcel) if parcel else [NewParcel("X", rect(0, 0, 1, 1), 1, "x", [])] * 2
        )
        body = Subdivide(parcel_id, children, [src("survey_plan")])
    elif kind == "merge":
        body = _merge(draw, view, parcels, parcel_id)
    else:
        body = RegisterLease(
            parcel_id,
            draw(st.sampled_from(["L1", "L2"])),
            [draw(st.sampled_from(PEOPLE))],
            now_ms,
            now_ms + draw(st.sampled_from([2500, DAY_MS])),
            50_000,
            "EUR",
            "month",
            [src("lease_contract")],
        )
    op = {
        "notice": "place_priority_notice",
        "cancel": "cancel_priority_notice",
        "mortgage": "register_mortgage",
        "release": "release_mortgage",
        "caveat": "register_caveat",
        "lease": "register_lease",
    }.get(kind, kind)
    return op, body, signers[:16]


# --- invariants ---------------------------------------------------------------------------------------


def land_state(data: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {k[len(b"land\x00") :]: v for k, v in data.items() if k.startswith(b"land\x00")}


def check_invariants(data: dict[bytes, bytes], total_area_m2: int) -> None:
    """Every invariant of the land register over a full copy of committed state (strict decoding)."""
    land = land_state(data)
    titles: dict[str, TitleVersion] = {}
    versions: dict[str, dict[int, TitleVersion]] = {}
    parcels: dict[str, Parcel] = {}
    parties: dict[str, Party] = {}
    index: dict[tuple[str, str], Share] = {}
    notices: dict[str, PriorityNotice] = {}
    expiries: list[tuple[int, str, str, str]] = []
    bindings: dict[bytes, str] = {}
    for k, v in land.items():
        if k.startswith(b"key/"):
            bindings[k[len(b"key/") :]] = v.decode()
            continue
        parts = k.decode().split("/")
        if parts[0] == "title" and len(parts) == 2:
            titles[parts[1]] = decode(v, TitleVersion)
        elif parts[0] == "title":
            versions.setdefault(parts[1], {})[int(parts[2])] = decode(v, TitleVersion)
        elif parts[0] == "parcel":
            parcels[parts[1]] = decode(v, Parcel)
        elif parts[0] == "party" and len(parts) == 2:
            parties[parts[1]] = decode(v, Party)
        elif parts[0] == "party":
            index[(parts[1], parts[3])] = decode(v, Share)
        elif parts[0] == "notice":
            notices[parts[1]] = decode(v, PriorityNotice)
        elif parts[0] == "expiry":
            expiries.append((int(parts[1]), parts[2], parts[3], parts[4]))

    expected_index: dict[tuple[str, str], Share] = {}
    area = 0
    assert set(titles) == set(parcels) == set(versions), "every parcel has a title and a history"
    for pid, t in titles.items():
        assert sorted(versions[pid]) == list(range(1, t.version + 1)), f"{pid}: versions are 1..current"
        assert versions[pid][t.version] == t, f"{pid}: the current title is the newest version"
        assert parcels[pid].status == t.status, f"{pid}: parcel and title agree on status"
        if t.status != ACTIVE:
            assert t.owners == [] and t.encumbrances == [] and t.buildings == []
            continue
        area += parcels[pid].area_m2
        owner_ids = [h.party_id for h in t.owners]
        assert owner_ids == sorted(set(owner_ids)), f"{pid}: owners sorted and distinct"
        assert 1 <= len(owner_ids) <= MAX_OWNERS
        assert sum(Fraction(h.share.num, h.share.den) for h in t.owners) == 1, f"{pid}: shares sum to 1"
        for h in t.owners:
            assert Fraction(h.share.num, h.share.den).denominator == h.share.den, "shares in lowest terms"
            expected_index[(h.party_id, pid)] = h.share
        for ref in t.encumbrances:
            r = decode(land[f"rrr/{pid}/{ref.rrr_id}".encode()], RRR)
            assert r.status == ACTIVE and type(r.terms).__struct_config__.tag == ref.kind
            if isinstance(r.terms, Lease):
                assert (r.terms.end_ms, "lease", pid, ref.rrr_id) in expiries, "an active lease has a timer"
    assert index == expected_index, "the party index mirrors the titles"
    counts = Counter(party for party, _ in index)
    for party_id, p in parties.items():
        assert p.parcels_held == counts.get(party_id, 0), f"{party_id}: parcels_held matches the index"
    assert bindings == {k: pid for pid, p in parties.items() for k in p.key_ids}, "key bindings are exact"
    assert area == total_area_m2, "subdivision and merge preserve the total area"
    for pid, t in titles.items():
        assert not t.notice or pid in notices, f"{pid}: a title names only an existing notice"
    for pid, n in notices.items():
        assert titles[pid].notice == n.notice_id and titles[pid].status == ACTIVE
        assert (n.expires_ms, "notice", pid, n.notice_id) in expiries, "a notice has a timer"
    for _, kind, pid, item in expiries:
        if kind == "notice":
            assert pid in notices and notices[pid].notice_id == item, "no orphan notice timers"
        else:
            r = decode(land[f"rrr/{pid}/{item}".encode()], RRR)
            assert r.status == ACTIVE, "no orphan lease timers"


def holding_of(title: TitleVersion, party: str) -> Fraction:
    for h in title.owners:
        if h.party_id == party:
            return Fraction(h.share.num, h.share.den)
    return Fraction(0)
