"""Parcel geometry in integers: polygon checks, exact areas, bounding boxes, GeoJSON output.

Coordinates are integer centimetres in a projected CRS named by EPSG code (SWEREF 99 TM is EPSG:3006;
Georgia's national grid, UTM 38N on WGS 84, is EPSG:32638). Integers keep state canonical and areas
exact: the shoelace formula gives twice the area in cm² as an integer, so nothing is rounded until
the comparison with the legal area.

The legal area (`area_m2`) is what the surveyor certifies and what subdivision arithmetic uses; the
polygon's computed area must agree with it within `AREA_TOLERANCE_PERMILLE` (and 1 m²), which catches
unit mistakes and wrong polygons without pretending a drawing is a legal measure.

Not checked here (the surveyor's GIS does it before signing): self-intersection, holes touching,
overlap with neighbouring parcels, children tiling their parent exactly. See docs/apps/land.md.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from govledger.apps.land.errors import fail
from govledger.apps.land.model import MAX_AREA_M2, MAX_COORDINATE, MAX_RINGS, MAX_VERTICES, Boundary

AREA_TOLERANCE_PERMILLE = 10
CM2_PER_M2 = 10_000

Point = tuple[int, int]


def _twice_signed_area(ring: list[Point]) -> int:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))


def _check_crs(crs: str) -> None:
    code = crs.removeprefix("EPSG:")
    if code == crs or not (code.isascii() and code.isdigit() and 4 <= len(code) <= 5):
        fail("land.bad_boundary", f"crs {crs!r} must be a projected CRS named 'EPSG:<4-5 digits>'")


def _check_ring(ring: list[Point], i: int) -> None:
    if len(ring) < 4:
        fail("land.bad_boundary", f"ring {i} needs at least 4 points (3 corners and the closing point)")
    if ring[0] != ring[-1]:
        fail("land.bad_boundary", f"ring {i} is not closed: its last point must repeat its first")
    for x, y in ring:
        if not (-MAX_COORDINATE <= x <= MAX_COORDINATE and -MAX_COORDINATE <= y <= MAX_COORDINATE):
            fail("land.bad_boundary", f"ring {i} has a coordinate outside ±{MAX_COORDINATE} cm")
    if any(a == b for a, b in pairwise(ring)):
        fail("land.bad_boundary", f"ring {i} repeats a point")


def twice_area_cm2(b: Boundary) -> int:
    """Validate `b` and return twice its area in cm² (exterior minus holes), always positive."""
    _check_crs(b.crs)
    if not 1 <= len(b.rings) <= MAX_RINGS:
        fail("land.bad_boundary", f"a polygon has 1..{MAX_RINGS} rings")
    if sum(len(r) for r in b.rings) > MAX_VERTICES:
        fail("land.bad_boundary", f"a polygon has at most {MAX_VERTICES} points")
    total = 0
    for i, ring in enumerate(b.rings):
        _check_ring(ring, i)
        signed = _twice_signed_area(ring)
        if (i == 0 and signed <= 0) or (i > 0 and signed >= 0):
            want = "counter-clockwise" if i == 0 else "clockwise"
            fail("land.bad_boundary", f"ring {i} must be {want} (RFC 7946) and enclose an area")
        total += signed
    outer = bbox(b.rings[0])
    for i, ring in enumerate(b.rings[1:], start=1):
        if not contains_box(outer, bbox(ring)):
            fail("land.bad_boundary", f"hole {i} lies outside the exterior ring")
    if total <= 0:
        fail("land.bad_boundary", "the holes cover the whole exterior ring")
    return total


def check_area(area_m2: int, boundary: Boundary) -> None:
    """The legal area is positive and agrees with the polygon within the tolerance."""
    if not 0 < area_m2 <= MAX_AREA_M2:
        fail("land.bad_area", f"area {area_m2} m² must be in 1..{MAX_AREA_M2}")
    twice = twice_area_cm2(boundary)
    tolerance_m2 = max(1, area_m2 * AREA_TOLERANCE_PERMILLE // 1000)
    if abs(twice - 2 * CM2_PER_M2 * area_m2) > 2 * CM2_PER_M2 * tolerance_m2:
        fail(
            "land.area_mismatch",
            f"legal area {area_m2} m² differs from the polygon's {twice / (2 * CM2_PER_M2):.2f} m² "
            f"by more than {tolerance_m2} m²",
        )


Box = tuple[int, int, int, int]


def bbox(ring: list[Point]) -> Box:
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def contains_box(outer: Box, inner: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def footprint_inside(parcel: Boundary, footprint: Boundary) -> bool:
    """A cheap, conservative containment test: same CRS and bounding box inside the parcel's."""
    return parcel.crs == footprint.crs and contains_box(bbox(parcel.rings[0]), bbox(footprint.rings[0]))


def to_geojson(b: Boundary) -> dict[str, Any]:
    """A GeoJSON Polygon in metres of `b.crs`, for maps and APIs only (floats never enter state)."""
    return {
        "type": "Polygon",
        "crs": b.crs,
        "coordinates": [[[x / 100, y / 100] for x, y in ring] for ring in b.rings],
    }
