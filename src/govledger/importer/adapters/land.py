"""Land register rows: parties (`land.register_party`) and parcels with owners (`land.first_registration`).

`land-parties` (import first):   row_id, party_id, kind, commitment
    kind: person | organisation; commitment: the vault's 64-hex commitment of the person's data.
    The party binds one custodial key (custody.py), which signs with the operator (`registrar`).
`land-parcels`:  row_id, parcel_id, crs, boundary, area_m2, land_use, owners, survey_sha256
    boundary: rings separated by `|`, points by `;`, `x y` in integer centimetres of `crs`, each ring
    closed, exterior counter-clockwise ("0 0;10000 0;10000 10000;0 10000;0 0");
    owners: `party:share` separated by `;` (`alice:1/2;bob:1/2`, or `alice` for the whole);
    survey_sha256: the survey plan's digest. The operator signs as `surveyor` and `registrar`.
A row is already present when `party/<id>` (same kind and commitment) or version 1 of the parcel's
title (same owners) exists.
"""

from __future__ import annotations

from govledger.apps.land.model import (
    Boundary,
    FirstRegistration,
    Holding,
    Party,
    RegisterParty,
    Share,
    Source,
    TitleVersion,
)
from govledger.apps.land.store import party_key, version_key
from govledger.codec import decode_trusted
from govledger.importer.adapters.base import (
    Adapter,
    Fields,
    Plan,
    RowError,
    fraction,
    hex32,
    integer,
    items,
    text,
)
from govledger.importer.custody import Custody

APP = "land"
MAX_POINTS = 256


def plan_party(f: Fields, custody: Custody) -> Plan:
    party_id = text(f, "party_id")
    kind, commitment = text(f, "kind"), hex32(f, "commitment")
    body = RegisterParty(party_id, kind, commitment, [custody.key_id(APP, party_id)], 1, [])

    def same(raw: bytes) -> bool:
        p = decode_trusted(raw, Party)
        return (p.kind, p.commitment) == (kind, commitment)

    return Plan(APP, "register_party", body, (party_id,), party_key(party_id), same)


def _point(text_point: str) -> tuple[int, int]:
    xy = text_point.split()
    if len(xy) != 2 or not all(v.lstrip("-").isdigit() and v.isascii() for v in xy):
        raise RowError("import.bad_boundary", f"point {text_point!r} is not 'x y' in whole centimetres")
    return int(xy[0]), int(xy[1])


def boundary(crs: str, value: str) -> Boundary:
    rings = [[_point(p) for p in items(ring, "boundary")] for ring in value.split("|")]
    if sum(len(r) for r in rings) > MAX_POINTS:
        raise RowError("import.bad_boundary", f"a boundary has at most {MAX_POINTS} points")
    return Boundary(crs=crs, rings=rings)


def owners(value: str) -> list[Holding]:
    out = []
    for item in items(value, "owners"):
        party, _, share = item.partition(":")
        f = fraction(share.strip() or "1", f"share of {party.strip()}")
        out.append(Holding(party.strip(), Share(f.numerator, f.denominator)))
    if not out:
        raise RowError("import.missing_value", "owners is empty")
    return sorted(out, key=lambda h: h.party_id)


def plan_parcel(f: Fields, custody: Custody) -> Plan:
    parcel_id = text(f, "parcel_id")
    holders = owners(text(f, "owners"))
    body = FirstRegistration(
        parcel_id=parcel_id,
        boundary=boundary(text(f, "crs"), text(f, "boundary")),
        area_m2=integer(f, "area_m2"),
        land_use=text(f, "land_use"),
        owners=holders,
        buildings=[],
        sources=[Source(kind="survey_plan", sha256=hex32(f, "survey_sha256"))],
    )

    def same(raw: bytes) -> bool:
        return decode_trusted(raw, TitleVersion).owners == holders

    return Plan(APP, "first_registration", body, (), version_key(parcel_id, 1), same)


PARTIES = Adapter(
    name="land-parties",
    app=APP,
    columns=("row_id", "party_id", "kind", "commitment"),
    plan=plan_party,
    exists_codes=frozenset({"land.party_exists"}),
    doc="Land parties (persons, organisations) with custodial keys; sign as a land registrar.",
)

PARCELS = Adapter(
    name="land-parcels",
    app=APP,
    columns=("row_id", "parcel_id", "crs", "boundary", "area_m2", "land_use", "owners", "survey_sha256"),
    plan=plan_parcel,
    exists_codes=frozenset({"land.parcel_exists"}),
    doc="Parcels and their owners (first registration); sign as a surveyor and a land registrar.",
)
