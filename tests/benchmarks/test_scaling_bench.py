"""The scaling benchmark's smoke run and the plotting helpers it and run.py use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from benchmarks.plots import Panel, Series, latency_curve, scaling_plot
from benchmarks.scaling_bench import Spread
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import scaling_bench

PNG = b"\x89PNG\r\n\x1a\n"
ROW = re.compile(
    r"^\| (?P<figure>[^|]+) \| (?P<size>[^|]+) \| (?P<med>[\d,.]+) \((?P<lo>[\d,.]+) - (?P<hi>[\d,.]+)\) \| "
    r"(?P<base>[\d,.]+) [^|]+ \| (?P<ratio>[\d.]+) \|$"
)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _half_unit(s: str) -> float:
    """Half the last printed digit of `s`: how far rounding may have moved the figure."""
    decimals = len(s.split(".")[1]) if "." in s else 0
    return 0.5 * 10.0**-decimals


def test_smoke_section_measures_every_dimension_with_baselines() -> None:
    lines = scaling_bench.section(smoke=True)
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/scaling_bench.py`" in line for line in lines)
    assert [line for line in lines if line.startswith("### ")] == [
        "### State size",
        "### Block size",
        "### History length",
    ]
    assert not any("](img/" in line for line in lines), "smoke plots go to a temporary directory"
    rows = [ROW.match(line) for line in lines if line.startswith("| ") and not line.startswith("| figure")]
    assert rows and all(rows), "every table row has median (min - max), a baseline and a ratio"
    for m in rows:
        assert m is not None
        med, lo, hi, base = _num(m["med"]), _num(m["lo"]), _num(m["hi"]), _num(m["base"])
        assert 0 < lo <= med <= hi, m.group(0)
        # the ratio is of unrounded figures: allow for the rounding of the two printed ones
        lo_ratio = (med - _half_unit(m["med"])) / (base + _half_unit(m["base"]))
        hi_ratio = (med + _half_unit(m["med"])) / (base - _half_unit(m["base"]))
        assert base > 0 and lo_ratio - 0.006 <= _num(m["ratio"]) <= hi_ratio + 0.006, m.group(0)
    figures = {m["figure"] for m in rows if m is not None}
    assert {"tree update, µs per key (5,000-key block)", "tx inclusion proof, bytes"} <= figures
    # two sizes per dimension in smoke: every figure appears once per size
    assert all(sum(1 for m in rows if m is not None and m["figure"] == f) == 2 for f in figures)


def test_state_proofs_grow_with_the_tree(tmp_path: Path) -> None:
    # A 16-ary tree of 30,000 keys has one more level on most paths than one of 300.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scaling_bench, "BATCH", 100)
        points, note = scaling_bench.run_state([200, 30_000], 1, 2, 30, float("inf"), tmp_path)
    assert note == ""
    small, big = points
    assert big.smt_bytes.median > small.smt_bytes.median
    assert big.proof_bytes.median > small.proof_bytes.median


def test_a_size_that_would_not_fit_the_budget_is_skipped_with_the_reason(tmp_path: Path) -> None:
    points, note = scaling_bench.run_state([500, 10_000_000], 1, 1, 5, 1.0, tmp_path)
    assert [p.keys for p in points] == [500]
    assert note.startswith("10,000,000 keys not measured") and "budget" in note


def test_latency_curve_writes_a_png(tmp_path: Path) -> None:
    points = [(3000.0, 250.0, 900.0), (1000.0, 120.0, 300.0), (2000.0, 150.0, 420.0)]
    out = latency_curve(points, str(tmp_path / "curves" / "l.png"))  # a str path, as run.py may pass
    assert out == tmp_path / "curves" / "l.png"
    assert out.read_bytes()[:8] == PNG
    assert out.stat().st_size > 5_000  # axes, two lines and labels, not an empty canvas


def test_latency_curve_needs_points(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        latency_curve([], tmp_path / "l.png")


def test_scaling_plot_draws_panels_and_rejects_ragged_series(tmp_path: Path) -> None:
    x = [1e4, 1e5, 1e6]
    panels = [
        Panel(
            "µs",
            [
                Series("a", [1.0, 2.0, 4.0], [0.9, 1.8, 3.5], [1.1, 2.2, 4.4]),
                Series("b", [1, 1, 1], dashed=True),
            ],
        ),
        Panel("bytes", [Series("c", [100.0, 200.0, 300.0])], logy=True),
    ]
    out = scaling_plot(x, panels, tmp_path / "sub" / "s.png", title="t", xlabel="keys")
    assert out.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="series 'bad'"):
        scaling_plot(x, [Panel("µs", [Series("bad", [1.0, 2.0])])], tmp_path / "x.png", title="t", xlabel="k")


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=30))
def test_spread_orders_its_figures(xs: list[float]) -> None:
    s = Spread.of(xs)
    assert s.lo == min(xs) and s.hi == max(xs)
    assert s.lo <= s.median <= s.hi
