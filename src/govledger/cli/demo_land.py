"""Seeding the land register: parties and parcels through the importer, then a register's history.

1. Each party's personal data goes to the node's vault (registry `land`, signed by the land
   registrar) and its commitment is registered with the privacy app; the commitments go into the
   `land-parties` CSV, imported with custodial keys; then the `land-parcels` CSV (surveyor and
   registrar), with rectangular boundaries in EPSG:3006 and exact shares.
2. History, in two rounds (the second needs the first committed):
   A. priority notices for the first parcels' sales (owners + notary), a mortgage that will be
      released and one that stays (owners + lender + bank), a court's caveat, a lease (owners +
      lessee), a subdivision into two parcels (owners + surveyor + registrar);
   B. the sales themselves, using their notices (owners + buyer + notary), and the mortgage's
      release (lender + bank), which the certificates step may have certified before.
Each step checks the register first (proved reads) and is skipped once done.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

from govledger.api.vault_requests import NewRecord
from govledger.apps.land.model import (
    Boundary,
    Holding,
    NewParcel,
    PlacePriorityNotice,
    RegisterCaveat,
    RegisterLease,
    RegisterMortgage,
    ReleaseMortgage,
    Share,
    Source,
    Subdivide,
    Transfer,
)
from govledger.apps.privacy.model import RegisterData
from govledger.certificates.submit import Item, item
from govledger.cli import demo_data as data
from govledger.cli.demo_common import Demo
from govledger.cli.demo_import import import_rows
from govledger.crypto.signatures import SigningKey

DAY_MS = 24 * 3600 * 1000
REGISTRY = "land"
MORTGAGE_RELEASED = "M-1"
MORTGAGE_KEPT = "M-2"


def _share(f: Fraction) -> Share:
    return Share(f.numerator, f.denominator)


def _src(kind: str, label: str) -> list[Source]:
    return [Source(kind, data.digest(label))]


class Plan:
    """Which parcels the history uses (fixed by the scale, so reruns find them again)."""

    def __init__(self, scale: data.DemoScale) -> None:
        self.specs = data.parcels(scale)
        self.scale = scale
        # P-001 keeps its first registration: the example in the README's tour.
        self.sales = self.specs[1 : max(2, scale.parcels // 15)]
        rest = [p for p in self.specs[len(self.sales) + 1 :] if len(p.owners) == 1]
        self.mortgaged, self.kept, self.caveated, self.leased = rest[:4]
        self.split = next(p for p in rest[4:] if p.width % 2 == 0)

    def children(self) -> list[str]:
        return [f"{self.split.parcel_id}-A", f"{self.split.parcel_id}-B"]


def _owners(spec: data.ParcelSpec) -> list[Holding]:
    return [Holding(pid, _share(f)) for pid, f in spec.owners]


# --- parties and parcels ----------------------------------------------------------------------------


def seed_parties(demo: Demo) -> None:
    parties = data.land_parties(demo.scale)
    records = [
        NewRecord(p.person.subject_id if p.person else p.party_id, f"party-{p.party_id}", p.fields())
        for p in parties
    ]
    stored = demo.vault_write(REGISTRY, "registrar-1", records)
    registrar = demo.key("registrar-1")
    demo.send(
        [
            item(
                "privacy",
                "register_data",
                RegisterData(REGISTRY, s.pseudonym, s.record_id, s.commitment),
                registrar,
            )
            for s in stored
            if s.created
        ],
        done=("privacy.already_registered", "privacy.commitment_exists"),
        what="personal-data commitments registered",
    )
    rows = [
        {"row_id": p.party_id, "party_id": p.party_id, "kind": p.kind, "commitment": s.commitment.hex()}
        for p, s in zip(parties, stored, strict=True)
    ]
    import_rows(demo, "land-parties", rows, ["registrar-1"], "land parties")


def _boundary_text(spec: data.ParcelSpec) -> str:
    return ";".join(f"{x} {y}" for x, y in spec.ring())


def seed_parcels(demo: Demo, plan: Plan) -> None:
    rows = [
        {
            "row_id": p.parcel_id,
            "parcel_id": p.parcel_id,
            "crs": data.CRS,
            "boundary": _boundary_text(p),
            "area_m2": str(p.area),
            "land_use": p.land_use,
            "owners": ";".join(f"{pid}:{f.numerator}/{f.denominator}" for pid, f in p.owners),
            "survey_sha256": data.digest(f"survey/{p.parcel_id}").hex(),
        }
        for p in plan.specs
    ]
    import_rows(demo, "land-parcels", rows, ["surveyor-1", "registrar-1"], "land parcels")


# --- history -----------------------------------------------------------------------------------------


def _title(demo: Demo, parcel_id: str) -> Any:
    return demo.query("land", "title", parcel_id=parcel_id)


def _rrr(demo: Demo, parcel_id: str, rrr_id: str) -> Any:
    return demo.query("land", "rrr", parcel_id=parcel_id, rrr_id=rrr_id)


def _owner_keys(demo: Demo, spec: data.ParcelSpec) -> list[SigningKey]:
    return [demo.party_key("land", pid) for pid, _ in spec.owners]


def _sold(demo: Demo, spec: data.ParcelSpec, buyer: str) -> bool:
    title = _title(demo, spec.parcel_id)
    return title is not None and any(h["party_id"] == buyer for h in title["owners"])


def round_a(demo: Demo, plan: Plan) -> list[Item]:
    now = int(time.time() * 1000)
    notary, bank = demo.key("notary-1"), demo.key("bank-1")
    lender = demo.party_key("land", data.BANK_PARTY)
    items: list[Item] = []
    for n, spec in enumerate(plan.sales):
        buyer = data.buyer_of(plan.scale, n)
        title = _title(demo, spec.parcel_id)
        if title is None or title.get("notice") or _sold(demo, spec, buyer):
            continue
        body = PlacePriorityNotice(
            spec.parcel_id,
            f"PN-{spec.parcel_id}",
            _owners(spec),
            [Holding(buyer, Share(1, 1))],
            Source("sale_contract", data.digest(f"contract/{spec.parcel_id}")),
            now + 60 * DAY_MS,
        )
        items.append(item("land", "place_priority_notice", body, *_owner_keys(demo, spec), notary))
    for spec, mortgage_id, amount in (
        (plan.mortgaged, MORTGAGE_RELEASED, 250_000_00),
        (plan.kept, MORTGAGE_KEPT, 410_000_00),
    ):
        if _rrr(demo, spec.parcel_id, mortgage_id) is None:
            body_m = RegisterMortgage(
                spec.parcel_id,
                mortgage_id,
                data.BANK_PARTY,
                amount,
                "SEK",
                _src("mortgage_deed", f"mortgage/{spec.parcel_id}"),
            )
            items.append(item("land", "register_mortgage", body_m, *_owner_keys(demo, spec), lender, bank))
    if _rrr(demo, plan.caveated.parcel_id, "C-1") is None:
        body_c = RegisterCaveat(
            plan.caveated.parcel_id, "C-1", "court", "pending_litigation", _src("court_order", "caveat/C-1")
        )
        items.append(item("land", "register_caveat", body_c, demo.key("judge-1")))
    if _rrr(demo, plan.leased.parcel_id, "L-1") is None:
        lessee = data.buyer_of(plan.scale, len(plan.sales))
        body_l = RegisterLease(
            plan.leased.parcel_id,
            "L-1",
            [lessee],
            now - DAY_MS,
            now + 2 * 365 * DAY_MS,
            1_250_000,
            "SEK",
            "month",
            _src("lease_contract", "lease/L-1"),
        )
        items.append(
            item(
                "land",
                "register_lease",
                body_l,
                *_owner_keys(demo, plan.leased),
                demo.party_key("land", lessee),
            )
        )
    if demo.query("land", "parcel", parcel_id=plan.children()[0]) is None:
        items.append(_subdivision(demo, plan))
    return items


def _subdivision(demo: Demo, plan: Plan) -> Item:
    spec = plan.split
    half = spec.width // 2
    children = [
        NewParcel(
            child,
            Boundary(data.CRS, [spec.ring(x_off=i * half, width=half)]),
            half * spec.depth,
            spec.land_use,
            [],
        )
        for i, child in enumerate(plan.children())
    ]
    body = Subdivide(spec.parcel_id, children, _src("survey_plan", f"subdivision/{spec.parcel_id}"))
    keys = [*_owner_keys(demo, spec), demo.key("surveyor-1"), demo.key("registrar-1")]
    return item("land", "subdivide", body, *keys)


def round_b(demo: Demo, plan: Plan) -> list[Item]:
    notary = demo.key("notary-1")
    items: list[Item] = []
    for n, spec in enumerate(plan.sales):
        buyer = data.buyer_of(plan.scale, n)
        if _sold(demo, spec, buyer):
            continue
        body = Transfer(
            spec.parcel_id,
            _owners(spec),
            [Holding(buyer, Share(1, 1))],
            _src("deed", f"deed/{spec.parcel_id}"),
        )
        keys = [*_owner_keys(demo, spec), demo.party_key("land", buyer), notary]
        items.append(item("land", "transfer", body, *keys))
    m = _rrr(demo, plan.mortgaged.parcel_id, MORTGAGE_RELEASED)
    if m is not None and m["status"] == "active":
        body_r = ReleaseMortgage(
            plan.mortgaged.parcel_id, MORTGAGE_RELEASED, _src("discharge", f"discharge/{MORTGAGE_RELEASED}")
        )
        items.append(
            item(
                "land",
                "release_mortgage",
                body_r,
                demo.party_key("land", data.BANK_PARTY),
                demo.key("bank-1"),
            )
        )
    return items


def seeded(demo: Demo, plan: Plan) -> bool:
    """The whole land step is done: the last parcel exists and the history's last act happened."""
    last = plan.specs[-1].parcel_id
    if _title(demo, last) is None:
        return False
    m = _rrr(demo, plan.mortgaged.parcel_id, MORTGAGE_RELEASED)
    return (
        m is not None
        and m["status"] != "active"
        and _sold(demo, plan.sales[-1], data.buyer_of(plan.scale, len(plan.sales) - 1))
    )


def mortgage_active(demo: Demo, plan: Plan) -> bool:
    m = _rrr(demo, plan.mortgaged.parcel_id, MORTGAGE_RELEASED)
    return m is not None and m["status"] == "active"
