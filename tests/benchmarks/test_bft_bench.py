"""The validator-network benchmark's figures and Markdown, from synthetic windows (no processes).

`section(smoke=True)` starts six node processes (~30 s on the shared 2-core machine), beyond the
15 s budget of this directory; the real-process path is covered by tests/bft/test_full_nodes.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchmarks.bft_bench import NetResult, Phase, Plan, Topology, Window
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import bft_bench


def _window(tps: float, cpu_us: float, validators: int, full: int = 0, seconds: float = 10.0) -> Window:
    committed = int(tps * seconds)
    return Window(
        duration_s=seconds,
        committed=committed,
        finality_ms=(100.0, 200.0, 900.0),
        blocks=max(1, committed // 100),
        cpu_validators_s=cpu_us * committed * validators / 1e6,
        cpu_full_s=2 * cpu_us * committed * full / 1e6,
        frames_validators=40 * max(1, committed // 100),
        bytes_validators=1000 * committed,
        frames_full=10 * max(1, committed // 100) if full else 0,
        bytes_full=500 * committed if full else 0,
        validators=validators,
        full_nodes=full,
    )


def _result(topo: Topology, tps: list[float], cpu_us: float, *, latency: bool = True) -> NetResult:
    def phase(share: float) -> Phase:
        windows = tuple(_window(t * share, cpu_us, topo.validators, topo.full_nodes) for t in tps)
        return Phase(int(share * 100), windows, 1.0, 0, False)

    return NetResult(topo, phase(1.0), phase(0.6) if latency else None)


def _results() -> dict[Topology, NetResult]:
    return {
        Topology(1): _result(Topology(1), [2000, 1800, 2200], 300),
        Topology(4): _result(Topology(4), [500, 450, 550], 320),
        Topology(4, 2): _result(Topology(4, 2), [400, 380, 420], 330),
        Topology(7): _result(Topology(7), [280, 270, 300], 340, latency=False),
        Topology(10): _result(Topology(10), [200, 180, 220], 350, latency=False),
    }


def _row(lines: list[str], figure: str) -> list[str]:
    [line] = [x for x in lines if x.startswith(f"| {figure} |")]
    return [c.strip() for c in line.strip("|").split("|")]


def test_markdown_has_medians_spreads_baseline_and_ratios() -> None:
    lines = bft_bench._markdown(_results(), Plan(3, 8.0, 4.0), 12_000.0, run_note="took 1 s")
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/bft_bench.py`" in x for x in lines)
    _, solo, four, r4, mixed, r42 = _row(lines, "closed loop: committed tx/s")
    assert (solo, four, mixed) == ("2,000 (1,800 - 2,200)", "500 (450 - 550)", "400 (380 - 420)")
    assert (r4, r42) == ("0.25", "0.20")
    # CPU per tx per validator is recovered from the process CPU; full nodes only in the 4+2 column.
    assert _row(lines, "closed loop: CPU per tx per validator (us)")[1:3] == [
        "300 (300 - 300)",
        "320 (320 - 320)",
    ]
    assert _row(lines, "closed loop: CPU per tx per full node (us)")[1:] == [
        "-",
        "-",
        "-",
        "660 (660 - 660)",
        "-",
    ]
    # Scaling: one row per validator count, the solo orderer first as the baseline.
    scaling = [x for x in lines if re.match(r"^\| (1 \(solo|4 |7 |10 )", x)]
    assert [x.split("|")[1].strip().split()[0] for x in scaling] == ["1", "4", "7", "10"]
    ten = [c.strip() for c in scaling[-1].strip("|").split("|")]
    assert ten[1] == "200 (180 - 220)" and ten[2] == "0.10"
    cores = os.cpu_count() or 1
    assert ten[4] == f"{cores / 350e-6:,.0f}"  # one machine per validator: cores / CPU per tx
    assert "took 1 s" in lines


def test_smoke_markdown_has_the_full_node_column_only() -> None:
    only = {Topology(4, 2): _results()[Topology(4, 2)]}
    lines = bft_bench._markdown(only, bft_bench.SMOKE_PLAN, 12_000.0)
    cells = _row(lines, "closed loop: committed tx/s")
    assert cells[1:5] == ["-", "-", "-", "400 (380 - 420)"] and cells[5] == "-"
    assert not any(x.startswith("| validators |") for x in lines), "no scaling table without scaling runs"


def test_scaling_plot_is_a_png(tmp_path: Path) -> None:
    path = bft_bench.draw_scaling(_results(), tmp_path / "v.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@given(
    st.lists(st.floats(0, 10_000, allow_nan=False), min_size=1, max_size=200),
    st.integers(1, 10_000),
    st.floats(0.1, 100),
)
def test_window_figures(finality: list[float], committed: int, cpu_s: float) -> None:
    w = Window(10.0, committed, tuple(finality), 5, cpu_s, 0.0, 0, 0, 0, 0, 4, 0)
    assert min(finality) <= w.p50_ms <= w.p99_ms <= max(finality)
    assert abs(w.cpu_us_per_tx_per_validator * committed * 4 / 1e6 - cpu_s) < 1e-6 * cpu_s
    assert w.tx_per_s == committed / 10.0
