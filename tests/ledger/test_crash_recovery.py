"""kill -9 a process that is committing blocks; the store reopens at a whole block, nothing lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govledger.apps.attest.app import RecordBody
from govledger.ledger.block import commit_problem

from .conftest import DevChain, genesis_bytes, make_keys

ROOT = Path(__file__).resolve().parents[2]


def _run_until(path: Path, stop_after: int) -> int:
    """Start the writer, read committed heights until `stop_after` more, then SIGKILL it mid-flight."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.crash_writer", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    last = -1
    try:
        for _ in range(stop_after):
            line = proc.stdout.readline()
            assert line, "writer exited early"
            last = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return last


@pytest.mark.slow
def test_kill_minus_nine_loses_no_committed_block(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "chain"
    acknowledged = 0
    for _ in range(4):
        acknowledged = _run_until(path, rng.randint(2, 8))
        keys = make_keys()
        dev = DevChain(path, keys, genesis_bytes(keys))
        try:
            chain, storage = dev.chain, dev.storage
            # every block it reported committed is there, and possibly one more that was being written
            assert chain.height >= acknowledged
            for h in range(1, chain.height + 1):
                block, commit, receipts = storage.block(h), storage.commit(h), storage.receipts(h)
                assert block is not None and commit is not None and receipts is not None
                assert len(receipts) == block.header.tx_count
                assert commit_problem(commit, block.header, chain.validator_set(h)) is None
                assert chain.tree.root_hash(h) == block.header.state_root
            # and the chain goes on from there
            nxt = dev.commit(
                [
                    dev.tx(
                        "attest",
                        "record",
                        RecordBody(b"\xee" * 31 + bytes([_]), "deed", "after"),
                        keys.notary,
                    )
                ]
            )
            assert nxt.receipts[0].code == "ok"
        finally:
            dev.close()
