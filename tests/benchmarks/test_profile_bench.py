"""The phase-by-phase CPU profile of the headline workload: phases are real, disjoint and add up."""

from __future__ import annotations

from benchmarks import profile_bench


def test_phases_are_measured_and_fit_inside_the_whole_path() -> None:
    p = profile_bench.measure(1_000)
    by_label = dict(p.phases)
    assert len(by_label) == len(profile_bench.PHASES)
    # every phase ran (a wrapper that never fired would read 0) and the disjoint phases fit the total
    assert all(us > 0 for us in by_label.values()), by_label
    assert sum(by_label.values()) <= p.cpu_us_per_tx
    # the signature checks are C code and must dominate no less than a tenth of the path
    assert by_label["admission: Ed25519 signature checks"] > 0.1 * p.cpu_us_per_tx
    # the originals are back after the run: nothing stays wrapped
    for _, owner, name in profile_bench.PHASES:
        assert getattr(getattr(owner, name), "__name__", "") != "wrapper", name


def test_section_markdown() -> None:
    lines = profile_bench.section(smoke=True)
    assert lines[0].startswith("## Where the CPU goes")
    assert any(line.startswith("| **whole path, one thread** |") for line in lines)
