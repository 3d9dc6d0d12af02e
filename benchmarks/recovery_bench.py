"""Restart time after kill -9 with N transactions on disk.

A child process fills a fresh chain with N committed `attest.record` transactions (blocks of 5,000,
written without fsync to save time: the store layout is the same), then keeps committing durably
until the parent kills it with SIGKILL mid-block. The parent then times what a restarting node
does before it can serve: open the store, load the chain tip and validator sets, and answer a
proved read of the latest state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from govledger.apps import registry
from govledger.crypto.signatures import BatchVerifier
from govledger.ledger.chain import Chain
from govledger.ledger.storage import Storage
from govledger.node.queries import read_key

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RecoveryResult:
    txs_on_disk: int
    restart_ms: int
    fill_s: float


def fill(path: Path, count: int) -> None:
    """Child: fill, then commit durably forever, printing 'filled' once the target is reached."""
    from govledger.crypto.signatures import Scheme, SigningKey
    from govledger.ledger.chain import Candidate
    from govledger.ledger.tx import decode_tx
    from govledger.node.devnet import init_chain
    from govledger.node.loadgen import bench_genesis, presign

    validator = SigningKey.from_private_bytes(Scheme.ED25519, b"\x01" * 32)
    issuers = [SigningKey.from_private_bytes(Scheme.ED25519, bytes([i + 2]) * 32) for i in range(4)]
    init_chain(path, bench_genesis(validator, issuers))
    storage = Storage(path / "chain", sync=False)
    chain = Chain(storage, registry.apps(), registry.authority(), BatchVerifier(threads=1))
    done = 0
    block = 5_000
    announced = False
    while True:
        if done >= count and not announced:
            storage.close()
            storage = Storage(path / "chain", sync=True)
            chain = Chain(storage, registry.apps(), registry.authority(), BatchVerifier(threads=1))
            print("filled", flush=True)
            announced = True
        raws = presign(block, issuers, done)
        cands = []
        for raw in raws:
            t = decode_tx(raw)
            cands.append(Candidate.of(raw, t))
        pending = chain.build_block(cands, int(time.time() * 1000), validator.public_key.key_id())
        chain.commit(pending, None)
        done += block


def run_recovery(count: int) -> RecoveryResult:
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        path = Path(tmp)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.recovery_bench", str(path), str(count)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "filled", f"filler failed: {line!r}"
        fill_s = time.perf_counter() - started
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        t0 = time.perf_counter()
        storage = Storage(path / "chain")
        chain = Chain(storage, registry.apps(), registry.authority(), BatchVerifier(threads=1))
        read_key(chain, "governance", b"validators")
        restart_ms = int((time.perf_counter() - t0) * 1000)
        on_disk = chain.height * 5_000  # every block the filler commits holds 5,000 transactions
        storage.close()
        return RecoveryResult(txs_on_disk=on_disk, restart_ms=restart_ms, fill_s=fill_s)


if __name__ == "__main__":
    fill(Path(sys.argv[1]), int(sys.argv[2]))
