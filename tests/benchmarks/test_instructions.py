"""The instruction-count benchmark's workload runs and commits every transaction (natively: valgrind
would take a minute, and what it counts is this same code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import instructions
from govledger.crypto import signatures
from govledger.ledger import storage


def test_the_counted_workload_commits_every_transaction(tmp_path: Path) -> None:
    data = tmp_path / "workload.msgpack"
    instructions.prepare(data, count=1_200)
    instructions.run_workload(data, 1_200)  # raises unless all 1,200 are admitted and committed ok


def test_the_workload_refuses_to_count_a_run_that_did_not_commit_everything(tmp_path: Path) -> None:
    data = tmp_path / "workload.msgpack"
    instructions.prepare(data, count=10)
    with pytest.raises(RuntimeError, match="expected 20 ok transactions"):
        instructions.run_workload(data, 20)  # only 10 exist: the count check must catch it


def test_the_stubbed_signature_check_does_not_outlive_the_run(tmp_path: Path) -> None:
    data = tmp_path / "workload.msgpack"
    instructions.prepare(data, count=5)
    before = (signatures.BatchVerifier.verify_many, storage.MAP_SIZE_BYTES)
    instructions.run_workload(data, 5)
    assert (signatures.BatchVerifier.verify_many, storage.MAP_SIZE_BYTES) == before
    key = signatures.SigningKey.generate()
    with signatures.BatchVerifier(threads=1) as verifier:
        assert verifier.verify_many([(key.public_key, b"m", b"\x00" * 64)]) == [False]
