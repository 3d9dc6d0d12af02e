"""The simulator: ~200 seeds across the fault model stay safe and live, the checker has teeth, and
a seed reproduces exactly (in another process too, with another hash seed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from govledger.consensus import types, votes
from govledger.consensus.core import ConsensusCore
from govledger.consensus.sim import BYZANTINE_MODES, SimOptions, run_seed
from govledger.consensus.sim.__main__ import main

# (options, seeds): about 200 seeds in all, every fault kind and every Byzantine behaviour.
BATCHES = [
    pytest.param(SimOptions(), range(0, 80), id="n4-mixed-all-faults"),
    *[
        pytest.param(SimOptions(byzantine=mode, heights=12), range(1000, 1020), id=f"n4-{mode}")
        for mode in BYZANTINE_MODES
    ],
    pytest.param(SimOptions(validators=7, heights=6), range(2000, 2016), id="n7-mixed"),
    pytest.param(
        SimOptions(validators=10, heights=4, byzantine="equivocate"), range(3000, 3004), id="n10-equivocate"
    ),
    pytest.param(SimOptions(validators=1, heights=10), range(4000, 4005), id="n1"),
    pytest.param(SimOptions(validators=2, heights=10), range(5000, 5005), id="n2"),
    pytest.param(SimOptions(faults=("crash",), heights=10), range(6000, 6010), id="n4-crash-only"),
]


@pytest.mark.parametrize(("options", "seeds"), BATCHES)
def test_seeds_are_safe_and_live(options: SimOptions, seeds: range) -> None:
    results = [run_seed(seed, options) for seed in seeds]
    failures = [f"{r.violations[0]}\n  {r.scenario}\n  {r.repro}" for r in results if not r.ok]
    assert not failures, "\n".join(failures)
    assert all(r.heights_decided >= options.heights for r in results)


def test_the_fault_model_is_exercised() -> None:
    results = [run_seed(seed) for seed in range(0, 40)]
    assert sum(r.restarts for r in results) > 10
    assert sum(r.wal_truncations for r in results) > 0  # torn/corrupt tails were cut and survived
    assert sum(r.evidence for r in results) > 0
    equivocation = [run_seed(seed, SimOptions(byzantine="equivocate", heights=6)) for seed in range(5)]
    assert all(r.evidence > 0 for r in equivocation)


def test_checker_has_teeth_two_of_four_equivocating() -> None:
    # Byzantine power 1/2 >= 1/3: the protocol promises nothing and the checker must notice.
    options = SimOptions(byzantine="equivocate", byzantine_count=2)
    found = [r for r in (run_seed(seed, options) for seed in range(10)) if not r.ok]
    assert any("agreement" in r.violations[0] for r in found)


def test_checker_has_teeth_against_a_planted_threshold_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    # One Byzantine validator of four, and cores (and commit checks) that take "half" for 2f+1.
    def weak(power: int, total: int) -> bool:
        return power * 2 >= total

    monkeypatch.setattr(votes, "is_quorum", weak)
    monkeypatch.setattr(types, "is_quorum", weak)
    options = SimOptions(byzantine="equivocate", byzantine_count=1, equal_power=True)
    found = [r for r in (run_seed(seed, options) for seed in range(6)) if not r.ok]
    assert any("agreement" in r.violations[0] for r in found)


def test_liveness_check_has_teeth_against_a_node_that_never_answers_gossip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without retransmission, messages dropped before GST are lost for good and heights stall.
    monkeypatch.setattr(ConsensusCore, "messages_for_peer", lambda self, status: [])
    found = [r for r in (run_seed(seed, SimOptions(byzantine="none")) for seed in range(4)) if not r.ok]
    assert any("liveness" in r.violations[0] for r in found)


def test_a_seed_reproduces_exactly_in_process() -> None:
    first, second = run_seed(17), run_seed(17)
    assert first.trace_hash == second.trace_hash and first.events == second.events
    assert run_seed(18).trace_hash != first.trace_hash
    bad = SimOptions(byzantine="equivocate", byzantine_count=2)
    a, b = run_seed(3, bad), run_seed(3, bad)
    assert a.violations and a.violations == b.violations and a.trace_hash == b.trace_hash


def test_a_seed_reproduces_exactly_in_another_process() -> None:
    expected = run_seed(17).trace_hash[:16]
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-m", "govledger.consensus.sim", "--seed", "17"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        assert f"trace {expected}" in out


def test_cli_summary_exit_codes_and_reproduction_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "3", "--heights", "5"]) == 0
    out = capsys.readouterr().out
    assert "seeds run: 3, seeds with violations: 0" in out
    assert main(["--seeds", "2", "--byzantine", "equivocate", "--byzantine-count", "2"]) == 1
    out = capsys.readouterr().out
    repro = next(line for line in out.splitlines() if "reproduce:" in line).split("reproduce: ", 1)[1]
    assert repro.startswith("python -m govledger.consensus.sim --seed ")
    argv = repro.split()[3:]
    assert main(argv) == 1
    again = capsys.readouterr().out
    first_violation = next(line for line in out.splitlines() if "VIOLATION" in line)
    assert first_violation in again
