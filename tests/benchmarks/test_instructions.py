"""The instruction-count benchmark's workload runs and commits every transaction (natively: valgrind
would take a minute, and what it counts is this same code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import instructions


def test_the_counted_workload_commits_every_transaction(tmp_path: Path) -> None:
    data = tmp_path / "workload.msgpack"
    instructions.prepare(data, count=1_200)
    instructions.run_workload(data, 1_200)  # raises unless all 1,200 are admitted and committed ok


def test_the_workload_refuses_to_count_a_run_that_did_not_commit_everything(tmp_path: Path) -> None:
    data = tmp_path / "workload.msgpack"
    instructions.prepare(data, count=10)
    with pytest.raises(RuntimeError, match="expected 20 ok transactions"):
        instructions.run_workload(data, 20)  # only 10 exist: the count check must catch it
