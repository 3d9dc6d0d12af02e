"""Load generator: single-validator throughput and submit-to-commit latency, durably committed.

Used by `govledger bench` (a quick run) and by `make bench` (benchmarks/run.py, the full suite).

The load is pre-signed `attest.record` transactions (one state write, one governance role lookup,
one Ed25519 signature each), submitted in batches by one client, sending its next batch when its
last is answered (closed loop, saturating), for a fixed duration. Latency is measured
per transaction from the moment its batch was handed to `Node.submit` to the moment the commit
listener saw its block. CPU per transaction is the process's CPU time (all threads) divided by
committed transactions.

Another load (benchmarks/land_bench.py: land transfers) is a `Workload`: its genesis, the set-up it
needs committed before the clock starts, and its pre-signed measured transactions; `run_node` times
it exactly as it times the default `AttestWorkload`.
"""

from __future__ import annotations

import itertools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import msgspec

from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.crypto.signatures import SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import HasRole
from govledger.ledger.block import Validator
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.node.block_process import cpu_seconds
from govledger.node.devnet import init_chain
from govledger.node.node import CommittedBlock, Node, NodeConfig

CHAIN_ID = "bench"
BATCH = 1000


@dataclass(frozen=True)
class NodeResult:
    duration_s: float
    committed: int
    tx_per_s: float
    latency_ms_p50: float
    latency_ms_p99: float
    cpu_us_per_tx: float
    blocks: int
    txs_per_block_median: float
    rejected: int
    failed: int = 0  # committed with a receipt code other than ok (counted in `committed` too)


def bench_genesis(validator: SigningKey, issuers: list[SigningKey]) -> bytes:
    members = [
        {
            "member_id": f"issuer-{i}",
            "org": "registry",
            "name": f"Issuer {i}",
            "roles": ["issuer"],
            "public_keys": [msgspec.to_builtins(k.public_key)],
        }
        for i, k in enumerate(issuers)
    ]
    doc = GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=int(time.time() * 1000),
        validators=[Validator(validator.public_key, 10)],
        app_state={
            "governance": {
                "orgs": [{"org_id": "registry", "name": "Registry", "kind": "registry"}],
                "members": members,
                "policies": {
                    "governance.*": msgspec.to_builtins(HasRole(role="issuer")),
                    "attest.record": msgspec.to_builtins(HasRole(role="issuer")),
                },
            }
        },
    )
    return dump_genesis(doc)


def presign(count: int, issuers: list[SigningKey], offset: int) -> list[bytes]:
    out = []
    cycle = itertools.cycle(issuers)
    for i in range(offset, offset + count):
        body = RecordBody(i.to_bytes(32, "big"), "deed", f"bench {i}")
        t = txmod.build(
            CHAIN_ID, "attest", "record", encode(body), [next(cycle)], nonce=i, expiry_height=50_000
        )
        out.append(encode(t))
    return out


class Workload(Protocol):
    """What `run_node` loads a node with."""

    def genesis(self, validator: SigningKey) -> bytes:
        """The chain's genesis document, `validator` its only validator."""
        ...

    def prepare(self, count: int) -> tuple[list[list[bytes]], list[bytes]]:
        """Set-up stages (each committed, every transaction ok, before the next stage and before the
        clock starts) and up to `count` pre-signed measured transactions on chain `CHAIN_ID` (fewer:
        the run ends once they are all committed)."""
        ...


class AttestWorkload:
    """The simple transaction: `attest.record` by 8 issuers round robin, no set-up."""

    def __init__(self) -> None:
        self.issuers = [SigningKey.generate() for _ in range(8)]

    def genesis(self, validator: SigningKey) -> bytes:
        return bench_genesis(validator, self.issuers)

    def prepare(self, count: int) -> tuple[list[list[bytes]], list[bytes]]:
        return [], presign(count, self.issuers, 0)


def commit_setup(node: Node, stages: list[list[bytes]], timeout_s: float = 600) -> int:
    """Submit each stage and wait until all of it is committed; a refusal or failed receipt raises.

    Stages go in slices of one block at most, so no signer exceeds the mempool's per-signer bound.
    Returns the number of transactions committed.
    """
    pending: set[bytes] = set()
    failed: list[str] = []
    cond = threading.Condition()

    def on_commit(b: CommittedBlock) -> None:
        with cond:
            for r in b.receipts:
                if r.tx_id in pending:
                    pending.discard(r.tx_id)
                    if r.code != "ok":
                        failed.append(f"{r.code}: {r.message}")
            cond.notify_all()

    node.add_listener(on_commit)
    done = 0
    try:
        for stage in stages:
            for i in range(0, len(stage), node.config.max_block_txs):
                chunk = stage[i : i + node.config.max_block_txs]
                with cond:  # ids are pending before a block can commit them
                    pending.update(txmod.tx_id(txmod.decode_tx(raw).payload) for raw in chunk)
                for j in range(0, len(chunk), BATCH):
                    refused = [r for r in node.submit(chunk[j : j + BATCH]) if not r.ok]
                    if refused:
                        raise RuntimeError(f"set-up refused: {refused[0].code}: {refused[0].message}")
                with cond:
                    if not cond.wait_for(lambda: not pending, timeout_s):
                        raise RuntimeError(f"set-up: {len(pending)} transactions not committed")
                if failed:
                    raise RuntimeError(f"set-up failed: {failed[0]}")
                done += len(chunk)
    finally:
        node.remove_listener(on_commit)
    return done


def run_node(
    duration_s: float,
    rate_hint: int,
    *,
    open_loop_rate: int = 0,
    precheck: bool = True,
    workload: Workload | None = None,
    block_process: bool = True,
) -> NodeResult:
    """Closed loop (saturating) when `open_loop_rate` is 0, else that many tx/s on a fixed schedule.

    `workload` defaults to `AttestWorkload`; its set-up is committed before the clock starts.
    `block_process`: blocks built in a child process, as `node start` runs a solo node (False: on the
    node's own block thread); CPU per transaction counts both processes.
    """
    validator = SigningKey.generate()
    load = workload or AttestWorkload()
    planned = open_loop_rate or rate_hint
    setup, raws = load.prepare(int(duration_s * planned * 1.3) + BATCH)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        init_chain(root, load.genesis(validator))
        config = NodeConfig(
            data_dir=root,
            block_interval_ms=200,
            max_block_txs=5000,
            precheck=precheck,
            block_process=block_process,
        )
        node = Node(config, validator)
        # Joined at the end: a block can commit a transaction before its client hears "admitted".
        submitted_at: dict[bytes, float] = {}
        committed_at: dict[bytes, tuple[float, str]] = {}
        waiting: set[bytes] = set()
        sizes: list[int] = []
        lock = threading.Lock()
        drained = threading.Condition(lock)

        def on_commit(b: CommittedBlock) -> None:
            now = time.perf_counter()
            with lock:
                sizes.append(len(b.receipts))
                for r in b.receipts:
                    committed_at[r.tx_id] = (now, r.code)
                    waiting.discard(r.tx_id)
                if not waiting:
                    drained.notify_all()

        node.add_listener(on_commit)
        node.start()
        commit_setup(node, setup)
        with lock:
            sizes.clear()  # the set-up's blocks are not measured
        rejected = 0

        def send(batch: list[bytes]) -> None:
            nonlocal rejected
            t0 = time.perf_counter()
            results = node.submit(batch)
            with lock:
                for r in results:
                    if not r.ok:
                        rejected += 1
                        continue
                    submitted_at[r.tx_id] = t0
                    if r.tx_id not in committed_at:
                        waiting.add(r.tx_id)

        cpu0 = cpu_seconds(os.getpid())
        start = time.perf_counter()
        deadline = start + duration_s
        if open_loop_rate:
            _open_loop(send, raws, open_loop_rate, deadline)
        else:
            _closed_loop(send, raws, deadline)
        with lock:  # drain: everything admitted is committed (or 30 s have passed)
            drained.wait_for(lambda: not waiting, timeout=max(0.0, deadline + 30 - time.perf_counter()))
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(os.getpid()) - cpu0
        node.stop()
    latencies: list[float] = []
    failed = 0
    for tid, t0 in submitted_at.items():
        seen = committed_at.get(tid)
        if seen is not None:
            latencies.append((seen[0] - t0) * 1000)
            failed += seen[1] != "ok"
    committed = len(latencies)
    lat = sorted(latencies) or [0.0]
    return NodeResult(
        duration_s=elapsed,
        committed=committed,
        tx_per_s=committed / elapsed,
        latency_ms_p50=lat[len(lat) // 2],
        latency_ms_p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        cpu_us_per_tx=cpu / max(committed, 1) * 1e6,
        blocks=len(sizes),
        txs_per_block_median=statistics.median(sizes) if sizes else 0.0,
        rejected=rejected,
        failed=failed,
    )


def _closed_loop(send: Callable[[list[bytes]], None], raws: list[bytes], deadline: float) -> None:
    """One client: the next batch as soon as the previous one is answered (a second client was
    measured to add CPU per transaction, through more GIL hand-overs, and no throughput)."""
    for i in range(0, len(raws), BATCH):
        if time.perf_counter() >= deadline:
            return
        send(raws[i : i + BATCH])


def _open_loop(send: Callable[[list[bytes]], None], raws: list[bytes], rate: int, deadline: float) -> None:
    """Arrivals follow the clock, not the node's pace: a batch every tick, handed to the sender
    thread, so a slow admission queues batches instead of delaying the clock."""
    tick_s = 0.05
    per_tick = max(1, int(rate * tick_s))
    next_tick = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loadgen") as pool:
        for i in range(0, len(raws), per_tick):
            if time.perf_counter() >= deadline:
                break
            next_tick += tick_s
            pause = next_tick - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, raws[i : i + per_tick])
