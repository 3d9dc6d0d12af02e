"""The pure helpers: geometry against an independent formula, shares, the error-code contract."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.apps.land import errors, geometry, shares
from govledger.apps.land.app import APP, DEFAULT_POLICIES
from govledger.apps.land.model import Boundary, Share
from govledger.errors import AppError

ROOT = Path(__file__).resolve().parents[3]


def _trapezoid_twice_area(ring: list[tuple[int, int]]) -> int:
    """Twice the signed area by the trapezoid formula (an independent implementation)."""
    return -sum((x1 - x0) * (y1 + y0) for (x0, y0), (x1, y1) in pairwise(ring))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6)),
        min_size=3,
        max_size=12,
        unique=True,
    )
)
def test_polygon_area_matches_the_trapezoid_formula(points: list[tuple[int, int]]) -> None:
    ring = [*points, points[0]]
    signed = _trapezoid_twice_area(ring)
    if signed < 0:
        ring = ring[::-1]
    b = Boundary("EPSG:3006", [ring])
    if signed == 0:
        with pytest.raises(AppError):
            geometry.twice_area_cm2(b)
    else:
        assert geometry.twice_area_cm2(b) == abs(signed)


def test_holes_subtract_and_must_be_clockwise() -> None:
    outer = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
    hole = [(100, 100), (100, 200), (200, 200), (200, 100), (100, 100)]
    assert geometry.twice_area_cm2(Boundary("EPSG:3006", [outer, hole])) == 2 * (1000 * 1000 - 100 * 100)
    with pytest.raises(AppError) as err:
        geometry.twice_area_cm2(Boundary("EPSG:3006", [outer, hole[::-1]]))
    assert err.value.code == "land.bad_boundary"
    far = [(5000, 5000), (5000, 5100), (5100, 5100), (5100, 5000), (5000, 5000)]
    with pytest.raises(AppError):
        geometry.twice_area_cm2(Boundary("EPSG:3006", [outer, far]))


def test_geojson_output_is_in_metres() -> None:
    b = Boundary("EPSG:3006", [[(0, 0), (150, 0), (150, 100), (0, 0)]])
    assert geometry.to_geojson(b)["coordinates"][0][1] == [1.5, 0.0]


@pytest.mark.parametrize(("num", "den"), [(0, 1), (2, 1), (2, 4), (1, 0), (-1, 2), (1, 10**13)])
def test_bad_shares(num: int, den: int) -> None:
    with pytest.raises(AppError) as err:
        shares.to_fraction(Share(num, den))
    assert err.value.code == "land.bad_share"


def test_every_error_code_is_raised_somewhere_and_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src/govledger/apps/land").glob("*.py"))
    raised = set(re.findall(r'fail\(\s*"(land\.[a-z_]+)"', source))
    assert raised == set(errors.CODES), "CODES lists exactly the codes the app raises"
    doc = (ROOT / "docs/apps/land.md").read_text()
    missing = [c for c in errors.CODES if f"`{c}`" not in doc]
    assert missing == [], f"undocumented codes: {missing}"


def test_every_operation_and_query_is_documented() -> None:
    doc = (ROOT / "docs/apps/land.md").read_text()
    assert [op for op in APP.operations if f"`{op}`" not in doc] == []
    assert [q for q in APP.queries if f"`{q}`" not in doc] == []
    assert sorted(DEFAULT_POLICIES) == sorted(f"land.{op}" for op in APP.operations)


def test_undocumented_codes_cannot_be_raised() -> None:
    with pytest.raises(AssertionError):
        errors.fail("land.made_up", "x")
