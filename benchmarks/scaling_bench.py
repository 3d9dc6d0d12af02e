"""Scaling curves: how the ledger's costs grow with state size, block size and history length.

    python -m benchmarks.scaling_bench [--smoke]      (inside `make bench`: `section(smoke)`)

Everything runs on the node's own LMDB store (`ledger.storage.Storage`) through the calls the node
makes; nothing is measured on an in-memory dict except the baseline that says so.

- State size (10^4, 10^5, 10^6 keys; 10^7 only if its projected time fits STATE_BUDGET_S). The keys
  are `attest` records (`doc/<digest>` -> an encoded Attestation). They are bulk-loaded in blocks of
  FILL_CHUNK writes made by this module rather than by executing signed transactions (signing and
  executing 10^6 of those alone would take longer than the whole budget); every other step is the
  chain's own: the tree update on one LMDB read snapshot as in `Chain._execute`, a header with the
  new state root, a signed commit, and `Chain.commit` writing state, history and tree nodes in one
  LMDB transaction. Then, at each size: a few blocks (5 in full mode) that each insert 5,000 new
  keys (tree update timed alone, then the storage write), and proved reads of random present keys
  through `node.queries.read_key` (what `GET /v1/state/{app}/{key}` serves), checked with
  `ledger.proofs.verify_state` (commit signature included), plus plain `Storage.get` point reads.
  Baseline: `baselines.smt_update_us_per_change`, the same 5,000-key inserts on an in-memory tree of
  the same size, measured in the same run.
- Block size (100, 1,000, 5,000 signed `attest.record` txs, `loadgen.presign`): a proposer chain
  runs `Chain.build_block` and commits; a second chain from the same genesis runs
  `Chain.execute_block` (every signature checked, 2-thread BatchVerifier) and commits durably
  (LMDB fsync), as a validator does. Baselines: one Ed25519 verification and one fsync of the same
  disk, measured in the same run.
- History length (10^3, 10^4, 10^5 blocks): real blocks through `build_block` and `Chain.commit`
  with a signed commit each, mostly empty, every TX_EVERY-th carrying TX_PER_BLOCK records; stored
  without fsync (the layout is the same, the time is not the point). At each length: header lookup,
  a transaction's inclusion proof built as `GET /v1/txs/{id}/proof` builds it and checked with
  `verify_tx`, and a state proof at a random past height. Baseline: the same figure at the
  shortest history.

Times are wall-clock medians (min - max) over rounds; the machines are shared, so compare ratios
from one run rather than absolute figures across runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks import baselines
from benchmarks.plots import Panel, Series, scaling_plot
from govledger.apps import registry
from govledger.apps.attest.app import Attestation, RecordBody
from govledger.codec import encode
from govledger.crypto.signatures import BatchVerifier, SigningKey
from govledger.crypto.smt import SparseMerkleTree
from govledger.ledger import tx as txmod
from govledger.ledger.block import (
    Block,
    Commit,
    CommitSig,
    Header,
    ValidatorSet,
    precommit_sign_bytes,
    result_root,
    tx_root,
)
from govledger.ledger.chain import Candidate, Chain, PendingBlock
from govledger.ledger.executor import BlockOutcome
from govledger.ledger.proofs import StateProof, TxProof, verify_state, verify_tx
from govledger.ledger.state import BlockBuffer, iter_changes, state_key, state_key_hash, value_hash
from govledger.ledger.storage import Storage
from govledger.node.devnet import init_chain
from govledger.node.loadgen import CHAIN_ID, bench_genesis, presign
from govledger.node.queries import read_key
from govledger.node.queries import tx_proof as tx_proof_of

ROOT = Path(__file__).resolve().parents[1]
IMG_DIR = ROOT / "docs" / "img"
APP = "attest"
BATCH = 5_000  # keys per measured tree update, as in benchmarks/smt_bench.py and the baseline
FILL_CHUNK = 200_000  # keys per bulk-load block: large enough to amortise, small enough for memory
LARGE_LINK = "`make bench-large` measures it: [benchmarks-large.md](benchmarks-large.md)."
STATE_BUDGET_S = 360.0  # the state-size part may take this long in full mode (10^7 only if it fits)
TX_EVERY = 100  # history: one block in TX_EVERY carries transactions ...
TX_PER_BLOCK = 16  # ... this many, so inclusion proofs have a real path (log2 16 = 4 hashes)
CHEAP_FACTOR = 10  # point reads and header lookups take a few µs: time 10x as many per round

T = TypeVar("T")


@dataclass(frozen=True)
class Spread:
    median: float
    lo: float
    hi: float

    @staticmethod
    def of(xs: Sequence[float]) -> Spread:
        if not xs:
            raise ValueError("no samples")
        return Spread(statistics.median(xs), min(xs), max(xs))

    def cell(self, fmt: str = "{:,.1f}") -> str:
        return f"{fmt.format(self.median)} ({fmt.format(self.lo)} - {fmt.format(self.hi)})"


# --- a chain to measure on ---------------------------------------------------------------------------


class BenchChain:
    """A chain in `root` from the load generator's genesis (issuers may record), one validator."""

    def __init__(
        self,
        root: Path,
        genesis: bytes,
        validator: SigningKey,
        *,
        sync: bool,
        threads: int = 2,
    ) -> None:
        init_chain(root, genesis)
        self.validator = validator
        self.storage = Storage(root / "chain", sync=sync)
        self.verifier = BatchVerifier(threads=threads)
        self.chain = Chain(self.storage, registry.apps(), registry.authority(), self.verifier)

    def sign(self, header: Header) -> Commit:
        """The commit a single validator gives (as `Node._sign_commit` does)."""
        block_hash = header.hash()
        message = precommit_sign_bytes(header.chain_id, header.height, 0, block_hash)
        sig = CommitSig(validator=self.validator.public_key.key_id(), signature=self.validator.sign(message))
        return Commit(height=header.height, round=0, block_hash=block_hash, signatures=[sig])

    def commit(self, pending: PendingBlock) -> None:
        self.chain.commit(pending, self.sign(pending.header))

    def build(self, raws: Sequence[bytes]) -> PendingBlock:
        return self.chain.build_block(
            candidates(raws), int(time.time() * 1000), self.validator.public_key.key_id()
        )

    def close(self) -> None:
        self.verifier.close()
        self.storage.close()


def candidates(raws: Sequence[bytes]) -> list[Candidate]:
    """What the mempool hands the proposer: decoded transactions with their ids."""
    out = []
    for raw in raws:
        t = txmod.decode_tx(raw)
        out.append(Candidate.of(raw, t))
    return out


def new_keys() -> tuple[SigningKey, list[SigningKey]]:
    return SigningKey.generate(), [SigningKey.generate() for _ in range(8)]


def per_call_us(fn: Callable[[T], object], args: Sequence[T]) -> float:
    """Mean wall time of `fn(a)` over `args`, in µs."""
    start = time.perf_counter()
    for a in args:
        fn(a)
    return (time.perf_counter() - start) / len(args) * 1e6


# --- state size --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatePoint:
    keys: int
    fill_s: float  # time to bulk-load up to this size (cumulative)
    update_us: Spread  # tree update per changed key, 5,000-key batch, nodes read from LMDB
    memory_us: float  # baseline: the same on an in-memory tree
    write_us: Spread  # Chain.commit of that block (state, history, nodes), per key
    smt_bytes: Spread  # the sparse Merkle proof alone
    proof_bytes: Spread  # the whole StateProof a client receives (header and commit included)
    prove_us: Spread  # read_key
    verify_us: Spread  # verify_state
    read_us: Spread  # Storage.get


class StateLoader:
    """Puts attest records into a BenchChain: bulk blocks and measured batches, same code path."""

    def __init__(self, bc: BenchChain) -> None:
        self.bc = bc
        self.count = 0  # every index below this is present (nothing is deleted)
        self.attester = bc.validator.public_key.key_id()

    @staticmethod
    def full_key(index: int) -> bytes:
        return state_key(APP, b"doc/" + hashlib.sha256(index.to_bytes(8, "big")).digest())

    def writes(self, n: int, height: int) -> dict[bytes, bytes | None]:
        out: dict[bytes, bytes | None] = {}
        for i in range(self.count, self.count + n):
            digest = hashlib.sha256(i.to_bytes(8, "big")).digest()
            record = Attestation(digest, "deed", f"bulk {i}", self.attester, height, 0)
            out[state_key(APP, b"doc/" + digest)] = encode(record)
        self.count += n
        return out

    def add(self, n: int) -> tuple[float, float]:
        """One block inserting `n` new keys; returns (tree update s, commit s)."""
        chain = self.bc.chain
        height = chain.height + 1
        writes = self.writes(n, height)
        changes = {state_key_hash(k): None if v is None else value_hash(v) for k, v in writes.items()}
        t0 = time.perf_counter()
        with self.bc.storage.snapshot() as snap:  # one read transaction, as Chain._execute
            tree = SparseMerkleTree(snap).update(chain.height, height, changes)
        t1 = time.perf_counter()
        tip = chain.tip
        header = Header(
            chain_id=tip.chain_id,
            height=height,
            time_ms=tip.time_ms,
            prev_hash=tip.hash(),
            tx_count=0,
            tx_root=tx_root([]),
            state_root=tree.root_hash,
            result_root=result_root([]),
            validators_hash=chain.validator_set(height).hash(),
            next_validators_hash=chain.validator_set(height + 1).hash(),
            proposer=self.bc.validator.public_key.key_id(),
        )
        block = Block(header=header, txs=[])
        buffer = BlockBuffer(self.bc.storage)
        buffer.writes.update(writes)
        pending = PendingBlock(
            block=block,
            block_bytes=encode(block),
            receipts=[],
            tx_ids=[],
            outcome=BlockOutcome(receipts=[], buffer=buffer, end_block_events=[]),
            state_writes=dict(iter_changes(writes)),
            tree=tree,
            next_next_valset=chain.validator_set(height + 1),  # bulk writes leave the set in state alone
        )
        self.bc.commit(pending)
        return t1 - t0, time.perf_counter() - t1


def measure_state(
    loader: StateLoader, batches: int, rounds: int, per_round: int, rnd: random.Random
) -> dict[str, Spread]:
    update: list[float] = []
    write: list[float] = []
    for _ in range(batches):
        up_s, wr_s = loader.add(BATCH)
        update.append(up_s / BATCH * 1e6)
        write.append(wr_s / BATCH * 1e6)
    chain = loader.bc.chain
    trusted = chain.validator_set(chain.height)
    storage = loader.bc.storage
    prove: list[float] = []
    verify: list[float] = []
    read: list[float] = []
    smt_sizes: list[float] = []
    sizes: list[float] = []
    for r in range(rounds + 1):
        if r == 1:  # round 0 only warmed caches and code paths up
            for xs in (prove, verify, read, smt_sizes, sizes):
                xs.clear()
        # cheap reads get CHEAP_FACTOR more samples, so one lost time slice does not make the round
        many = [StateLoader.full_key(rnd.randrange(loader.count)) for _ in range(per_round * CHEAP_FACTOR)]
        read.append(per_call_us(storage.get, many))
        keys = many[:per_round]
        proofs: list[StateProof] = []
        t0 = time.perf_counter()
        for k in keys:
            proofs.append(read_key(chain, APP, k[len(APP) + 1 :]))
        prove.append((time.perf_counter() - t0) / per_round * 1e6)
        t0 = time.perf_counter()
        for p in proofs:
            verify_state(p, trusted)
        verify.append((time.perf_counter() - t0) / per_round * 1e6)
        for p in proofs:
            assert p.entries[0].value is not None, "a present key was proved absent"
            smt_sizes.append(len(encode(p.entries[0].proof)))
            sizes.append(len(encode(p)))
    return {
        "update": Spread.of(update),
        "write": Spread.of(write),
        "prove": Spread.of(prove),
        "verify": Spread.of(verify),
        "read": Spread.of(read),
        "smt_bytes": Spread.of(smt_sizes),
        "proof_bytes": Spread.of(sizes),
    }


def run_state(
    sizes: Sequence[int], batches: int, rounds: int, per_round: int, budget_s: float, work: Path
) -> tuple[list[StatePoint], str]:
    """Grow one chain through `sizes`, measuring at each; stop early if the next size won't fit."""
    validator, issuers = new_keys()
    bc = BenchChain(work / "state", bench_genesis(validator, issuers), validator, sync=True)
    loader = StateLoader(bc)
    rnd = random.Random(7)
    points: list[StatePoint] = []
    note = ""
    started = time.perf_counter()
    fill_s = 0.0
    fill_us_per_key = 0.0
    baseline_s = 0.0
    try:
        for size in sizes:
            if points:
                todo = size - loader.count
                projected = todo * fill_us_per_key / 1e6 + baseline_s * size / points[-1].keys
                spent = time.perf_counter() - started
                if spent + projected > budget_s:
                    note = (
                        f"{size:,} keys not measured: loading {todo:,} more keys at the "
                        f"{fill_us_per_key:.0f} µs/key just measured, plus the in-memory baseline at that "
                        f"size, projects to ~{projected:.0f} s, past this part's {budget_s:.0f} s budget "
                        f"({spent:.0f} s spent)"
                    )
                    print(f"   {note}", flush=True)
                    break
            t0 = time.perf_counter()
            before = loader.count
            while loader.count < size:
                loader.add(min(FILL_CHUNK, size - loader.count))
            loaded = time.perf_counter() - t0
            fill_s += loaded
            if loaded > 1.0 or not fill_us_per_key:  # a rate from a tiny fill is mostly fixed costs
                fill_us_per_key = loaded / max(size - before, 1) * 1e6
            m = measure_state(loader, batches, rounds, per_round, rnd)
            t0 = time.perf_counter()
            memory = baselines.smt_update_us_per_change(size, BATCH, rounds=batches)
            baseline_s = time.perf_counter() - t0
            point = StatePoint(
                keys=size,
                fill_s=fill_s,
                update_us=m["update"],
                memory_us=memory,
                write_us=m["write"],
                smt_bytes=m["smt_bytes"],
                proof_bytes=m["proof_bytes"],
                prove_us=m["prove"],
                verify_us=m["verify"],
                read_us=m["read"],
            )
            points.append(point)
            print(
                f"   {size:>10,} keys  update {point.update_us.cell()} µs/key (in-memory {memory:.1f}), "
                f"commit {point.write_us.cell()} µs/key, proof {point.smt_bytes.median:,.0f} B "
                f"({point.proof_bytes.median:,.0f} B with header+commit), prove {point.prove_us.cell()} µs, "
                f"verify {point.verify_us.cell()} µs, read {point.read_us.cell('{:.2f}')} µs  "
                f"[fill {fill_s:.0f} s, baseline {baseline_s:.0f} s]",
                flush=True,
            )
    finally:
        bc.close()
    return points, note


# --- block size --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockPoint:
    txs: int
    blocks: int
    build_us: Spread  # proposer: build_block per tx
    execute_us: Spread  # validator: execute_block per tx, signatures checked
    commit_ms: Spread  # validator: durable Chain.commit of the block
    validator_us: Spread  # validator: execute + commit, per tx


def run_blocks(plan: Sequence[tuple[int, int]], work: Path) -> list[BlockPoint]:
    """`plan`: (transactions per block, blocks measured)."""
    validator, issuers = new_keys()
    genesis = bench_genesis(validator, issuers)
    proposer = BenchChain(work / "proposer", genesis, validator, sync=True)
    follower = BenchChain(work / "validator", genesis, validator, sync=True)
    offset = 0

    def one(n: int) -> tuple[float, float, float]:
        nonlocal offset
        raws = presign(n, issuers, offset)
        offset += n
        t0 = time.perf_counter()
        pending = proposer.build(raws)
        build_s = time.perf_counter() - t0
        assert all(r.code == "ok" for r in pending.receipts) and len(pending.receipts) == n
        commit = proposer.sign(pending.header)
        proposer.chain.commit(pending, commit)
        t0 = time.perf_counter()
        checked = follower.chain.execute_block(pending.block)
        t1 = time.perf_counter()
        follower.chain.commit(checked, commit)
        t2 = time.perf_counter()
        return build_s, t1 - t0, t2 - t1

    points: list[BlockPoint] = []
    try:
        one(100)  # warm-up: first-use costs (imports, caches, LMDB growth) are not per-tx costs
        for n, blocks in plan:
            runs = [one(n) for _ in range(blocks)]
            point = BlockPoint(
                txs=n,
                blocks=blocks,
                build_us=Spread.of([b / n * 1e6 for b, _, _ in runs]),
                execute_us=Spread.of([e / n * 1e6 for _, e, _ in runs]),
                commit_ms=Spread.of([c * 1e3 for _, _, c in runs]),
                validator_us=Spread.of([(e + c) / n * 1e6 for _, e, c in runs]),
            )
            points.append(point)
            print(
                f"   {n:>6,} txs x {blocks}  build {point.build_us.cell('{:,.0f}')} µs/tx, "
                f"execute {point.execute_us.cell('{:,.0f}')} µs/tx, commit {point.commit_ms.cell()} ms, "
                f"validator total {point.validator_us.cell('{:,.0f}')} µs/tx",
                flush=True,
            )
    finally:
        proposer.close()
        follower.close()
    return points


# --- history length ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    blocks: int
    build_s: float  # cumulative time to build this much history
    header_us: Spread  # Storage.block(h).header at a random height
    tx_proof_us: Spread  # TxProof as the API builds it
    tx_verify_us: Spread
    tx_bytes: Spread
    past_proof_us: Spread  # read_key at a random past height
    past_verify_us: Spread
    past_bytes: Spread


def tx_proof(storage: Storage, tid: bytes) -> TxProof:
    """The proof `GET /v1/txs/{id}/proof` returns (the same function builds it)."""
    proof = tx_proof_of(storage, tid)
    assert proof is not None, "a committed transaction is not indexed"
    return proof


def header_at(storage: Storage, height: int) -> Header:
    block = storage.block(height)
    assert block is not None, f"no block at {height}"
    return block.header


def record_txs(issuers: Sequence[SigningKey], start: int, n: int, expiry_height: int) -> list[bytes]:
    """Like `loadgen.presign`, but with an expiry near the height they go in (history outlives 50,000)."""
    out = []
    for i in range(start, start + n):
        body = RecordBody(i.to_bytes(32, "big"), "deed", f"history {i}")
        key = issuers[i % len(issuers)]
        t = txmod.build(CHAIN_ID, APP, "record", encode(body), [key], nonce=i, expiry_height=expiry_height)
        out.append(encode(t))
    return out


def run_history(
    lengths: Sequence[int], rounds: int, per_round: int, work: Path
) -> tuple[list[HistoryPoint], ValidatorSet]:
    validator, issuers = new_keys()
    # Not durable: 10^5 fsyncs would measure the disk, not the history (the layout is the same).
    bc = BenchChain(work / "history", bench_genesis(validator, issuers), validator, sync=False)
    chain, storage = bc.chain, bc.storage
    rnd = random.Random(11)
    txs: list[bytes] = []  # committed transaction ids
    records: list[tuple[bytes, int]] = []  # (attest key, height written)
    points: list[HistoryPoint] = []
    build_s = 0.0
    trusted = chain.validator_set(1)
    try:
        for length in lengths:
            t0 = time.perf_counter()
            while chain.height < length:
                h = chain.height + 1
                first = len(txs)
                n = TX_PER_BLOCK if h % TX_EVERY == 0 else 0
                pending = bc.build(record_txs(issuers, first, n, h + 100))
                assert len(pending.receipts) == n and all(r.code == "ok" for r in pending.receipts)
                bc.commit(pending)
                txs.extend(pending.tx_ids)
                records.extend((b"doc/" + i.to_bytes(32, "big"), h) for i in range(first, first + n))
            build_s += time.perf_counter() - t0
            assert txs, "the history has no transactions to prove"
            tip = chain.height
            header: list[float] = []
            tx_make: list[float] = []
            tx_check: list[float] = []
            tx_sizes: list[float] = []
            past_make: list[float] = []
            past_check: list[float] = []
            past_sizes: list[float] = []
            for r in range(rounds + 1):
                if r == 1:  # round 0 only warmed caches and code paths up
                    for xs in (header, tx_make, tx_check, tx_sizes, past_make, past_check, past_sizes):
                        xs.clear()
                heights = [rnd.randint(0, tip) for _ in range(per_round * CHEAP_FACTOR)]
                header.append(per_call_us(lambda hh: header_at(storage, hh), heights))
                ids = [rnd.choice(txs) for _ in range(per_round)]
                t0 = time.perf_counter()
                tproofs = [tx_proof(storage, tid) for tid in ids]
                tx_make.append((time.perf_counter() - t0) / per_round * 1e6)
                t0 = time.perf_counter()
                for tp in tproofs:
                    assert verify_tx(tp, trusted).code == "ok"
                tx_check.append((time.perf_counter() - t0) / per_round * 1e6)
                tx_sizes.extend(len(encode(tp)) for tp in tproofs)
                picks = [rnd.choice(records) for _ in range(per_round)]
                at = [rnd.randint(written, tip) for _, written in picks]
                t0 = time.perf_counter()
                sproofs = [read_key(chain, APP, key, hh) for (key, _), hh in zip(picks, at, strict=True)]
                past_make.append((time.perf_counter() - t0) / per_round * 1e6)
                t0 = time.perf_counter()
                for sp in sproofs:
                    assert verify_state(sp, trusted)[(APP, sp.entries[0].key)] is not None
                past_check.append((time.perf_counter() - t0) / per_round * 1e6)
                past_sizes.extend(len(encode(sp)) for sp in sproofs)
            point = HistoryPoint(
                blocks=tip,
                build_s=build_s,
                header_us=Spread.of(header),
                tx_proof_us=Spread.of(tx_make),
                tx_verify_us=Spread.of(tx_check),
                tx_bytes=Spread.of(tx_sizes),
                past_proof_us=Spread.of(past_make),
                past_verify_us=Spread.of(past_check),
                past_bytes=Spread.of(past_sizes),
            )
            points.append(point)
            print(
                f"   {tip:>8,} blocks ({len(txs):,} txs)  header {point.header_us.cell()} µs, "
                f"tx proof {point.tx_proof_us.cell()} µs / verify {point.tx_verify_us.cell()} µs / "
                f"{point.tx_bytes.median:,.0f} B, past state proof {point.past_proof_us.cell()} µs / "
                f"verify {point.past_verify_us.cell()} µs / {point.past_bytes.median:,.0f} B  "
                f"[built in {build_s:.0f} s]",
                flush=True,
            )
    finally:
        bc.close()
    return points, trusted


# --- the section -------------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base > 0 else "n/a"


def _rows(
    label: str,
    sizes: Sequence[str],
    values: Sequence[Spread],
    base: Sequence[float],
    base_label: str,
    fmt: str,
) -> list[str]:
    return [
        f"| {label} | {size} | {v.cell(fmt)} | {fmt.format(b)} {base_label} | {_ratio(v.median, b)} |"
        for size, v, b in zip(sizes, values, base, strict=True)
    ]


def _bands(label: str, values: Sequence[Spread], dashed: bool = False) -> Series:
    return Series(
        label, [v.median for v in values], [v.lo for v in values], [v.hi for v in values], dashed=dashed
    )


def state_markdown(points: Sequence[StatePoint], note: str, batches: int, probes: int) -> list[str]:
    sizes = [f"{p.keys:,} keys" for p in points]
    first = f"at {points[0].keys:,} keys"

    def rows(label: str, pick: Callable[[StatePoint], Spread], fmt: str) -> list[str]:
        values = [pick(p) for p in points]
        return _rows(label, sizes, values, [values[0].median] * len(values), first, fmt)

    fills = ", ".join(f"{p.keys:,} keys after {p.fill_s:.1f} s" for p in points)
    return [
        "### State size",
        "",
        f"Keys bulk-loaded into LMDB through `Chain.commit` in blocks of {FILL_CHUNK:,} writes (no",
        f"transactions executed for the fill), then {batches} blocks each inserting {BATCH:,} new keys (the",
        f"tree grows by {batches * BATCH:,} keys while measured, as the baseline's does) and {probes} proved",
        "reads of random present keys. Tree update: the update alone, nodes read from LMDB through one read",
        "snapshot as the chain does; its baseline is the same update on an in-memory tree. Commit: the",
        "durable LMDB write of that block (state, history, tree nodes). Proof sizes are canonical encodings;",
        "the StateProof adds the header and commit. Other baselines: the same figure at the smallest size.",
        "",
        "| figure | size | median (min - max) | baseline (same run) | ratio |",
        "|---|---|---|---|---|",
        *_rows(
            "tree update, µs per key (5,000-key block)",
            sizes,
            [p.update_us for p in points],
            [p.memory_us for p in points],
            "in-memory tree",
            "{:,.1f}",
        ),
        *rows("commit of that block, µs per key", lambda p: p.write_us, "{:,.1f}"),
        *rows("sparse Merkle proof, bytes", lambda p: p.smt_bytes, "{:,.0f}"),
        *rows("StateProof (header and commit), bytes", lambda p: p.proof_bytes, "{:,.0f}"),
        *rows("proved read (`read_key`), µs", lambda p: p.prove_us, "{:,.0f}"),
        *rows("proof verification (`verify_state`), µs", lambda p: p.verify_us, "{:,.0f}"),
        *rows("point read (`Storage.get`), µs", lambda p: p.read_us, "{:,.2f}"),
        "",
        f"Bulk load (cumulative): {fills}.",
        *([f"{note}. {LARGE_LINK}"] if note else []),
        "",
    ]


def block_markdown(points: Sequence[BlockPoint], verify_us: float, fsync_ms: float) -> list[str]:
    sizes = [f"{p.txs:,} txs x {p.blocks}" for p in points]
    n = len(points)
    return [
        "### Block size",
        "",
        "Signed `attest.record` transactions (Ed25519, one state write, one governance role check). The",
        "proposer runs `build_block` (envelopes, execution, roots); the validator runs `execute_block`",
        "(every signature checked on a 2-thread BatchVerifier, re-execution, header compared) and commits",
        "durably (LMDB fsync). Baselines: one Ed25519 verification on one thread, one fsync of the same",
        "disk.",
        "",
        "| figure | block | median (min - max) | baseline (same run) | ratio |",
        "|---|---|---|---|---|",
        *_rows(
            "proposer `build_block`, µs per tx",
            sizes,
            [p.build_us for p in points],
            [verify_us] * n,
            "Ed25519 verify",
            "{:,.0f}",
        ),
        *_rows(
            "validator `execute_block`, µs per tx",
            sizes,
            [p.execute_us for p in points],
            [verify_us] * n,
            "Ed25519 verify",
            "{:,.0f}",
        ),
        *_rows(
            "validator execute + commit, µs per tx",
            sizes,
            [p.validator_us for p in points],
            [verify_us] * n,
            "Ed25519 verify",
            "{:,.0f}",
        ),
        *_rows(
            "durable commit of the block, ms",
            sizes,
            [p.commit_ms for p in points],
            [fsync_ms] * n,
            "fsync",
            "{:,.2f}",
        ),
        "",
    ]


def history_markdown(points: Sequence[HistoryPoint]) -> list[str]:
    sizes = [f"{p.blocks:,} blocks" for p in points]
    first = points[0]
    base_label = f"at {first.blocks:,} blocks"

    def rows(label: str, pick: Callable[[HistoryPoint], Spread], fmt: str) -> list[str]:
        values = [pick(p) for p in points]
        return _rows(label, sizes, values, [values[0].median] * len(values), base_label, fmt)

    return [
        "### History length",
        "",
        f"Blocks built and committed by the chain with a signed commit each, mostly empty, one in {TX_EVERY}",
        f"carrying {TX_PER_BLOCK} `attest.record` transactions; stored without fsync (same layout). Proofs",
        "for random transactions and heights across the whole history; the state proof is of a record at",
        "a random height between its write and the tip. Verification includes the commit signature.",
        f"The state proof grows with the number of records in state ({TX_PER_BLOCK} per {TX_EVERY} blocks),",
        "not with the number of blocks: see the state-size table.",
        "",
        "| figure | history | median (min - max) | baseline (same run) | ratio |",
        "|---|---|---|---|---|",
        *rows("header lookup (`Storage.block`), µs", lambda p: p.header_us, "{:,.1f}"),
        *rows("tx inclusion proof, build, µs", lambda p: p.tx_proof_us, "{:,.0f}"),
        *rows("tx inclusion proof, verify, µs", lambda p: p.tx_verify_us, "{:,.0f}"),
        *rows("tx inclusion proof, bytes", lambda p: p.tx_bytes, "{:,.0f}"),
        *rows("state proof at a past height, build, µs", lambda p: p.past_proof_us, "{:,.0f}"),
        *rows("state proof at a past height, verify, µs", lambda p: p.past_verify_us, "{:,.0f}"),
        *rows("state proof at a past height, bytes", lambda p: p.past_bytes, "{:,.0f}"),
        "",
        f"History built in {points[-1].build_s:.1f} s ({points[-1].blocks:,} blocks).",
        "",
    ]


def draw(
    img: Path,
    state: Sequence[StatePoint],
    blocks: Sequence[BlockPoint],
    history: Sequence[HistoryPoint],
    suffix: str = "",
) -> list[Path]:
    paths = [
        scaling_plot(
            [p.keys for p in state],
            [
                Panel(
                    "µs",
                    [
                        _bands("tree update per key (LMDB)", [p.update_us for p in state]),
                        Series(
                            "tree update per key (in-memory baseline)",
                            [p.memory_us for p in state],
                            dashed=True,
                        ),
                        _bands("commit per key", [p.write_us for p in state]),
                        _bands("proved read", [p.prove_us for p in state]),
                        _bands("proof verification", [p.verify_us for p in state]),
                        _bands("point read", [p.read_us for p in state]),
                    ],
                    logy=True,
                ),
                Panel(
                    "bytes",
                    [
                        _bands("sparse Merkle proof", [p.smt_bytes for p in state]),
                        _bands("StateProof with header and commit", [p.proof_bytes for p in state]),
                    ],
                ),
            ],
            img / f"scaling_state{suffix}.png",
            title="Cost by state size",
            xlabel="keys in state",
        ),
        scaling_plot(
            [p.txs for p in blocks],
            [
                Panel(
                    "µs per transaction",
                    [
                        _bands("proposer build_block", [p.build_us for p in blocks]),
                        _bands("validator execute_block", [p.execute_us for p in blocks]),
                        _bands("validator execute + commit", [p.validator_us for p in blocks]),
                    ],
                ),
                Panel("ms per block", [_bands("durable commit", [p.commit_ms for p in blocks])], logy=True),
            ],
            img / f"scaling_block{suffix}.png",
            title="Cost by block size",
            xlabel="transactions per block",
        ),
        scaling_plot(
            [p.blocks for p in history],
            [
                Panel(
                    "µs",
                    [
                        _bands("header lookup", [p.header_us for p in history]),
                        _bands("tx proof build", [p.tx_proof_us for p in history]),
                        _bands("tx proof verify", [p.tx_verify_us for p in history]),
                        _bands("past state proof build", [p.past_proof_us for p in history]),
                        _bands("past state proof verify", [p.past_verify_us for p in history]),
                    ],
                    logy=True,
                ),
                Panel(
                    "bytes",
                    [
                        _bands("tx inclusion proof", [p.tx_bytes for p in history]),
                        _bands("past state proof", [p.past_bytes for p in history]),
                    ],
                ),
            ],
            img / f"scaling_history{suffix}.png",
            title="Cost by history length",
            xlabel="blocks in history",
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return paths


def section(smoke: bool, *, state_budget_s: float = STATE_BUDGET_S, img_suffix: str = "") -> list[str]:
    started = time.perf_counter()
    if smoke:
        state_sizes, batches, rounds, per_round = [1_000, 10_000], 2, 3, 20
        budget = float("inf")  # fixed small sizes; the budget rule has its own test
        block_plan = [(100, 2), (500, 2)]
        lengths = [100, 1_000]
    else:
        state_sizes, batches, rounds, per_round = [10_000, 100_000, 1_000_000, 10_000_000], 5, 5, 60
        block_plan = [(100, 10), (1_000, 5), (5_000, 3)]
        lengths = [1_000, 10_000, 100_000]
        budget = state_budget_s
    load_before = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"== scaling ({'smoke' if smoke else 'full'}): state size, block size, history length; "
        f"load average {load_before}"
    )
    with tempfile.TemporaryDirectory(prefix="scaling-bench-") as tmp:
        work = Path(tmp)
        print("-- state size", flush=True)
        state, note = run_state(state_sizes, batches, rounds, per_round, budget, work)
        t_state = time.perf_counter() - started
        print("-- block size", flush=True)
        verify_us = 1e6 / baselines.ed25519_verify_per_s(2_000 if smoke else 20_000)
        fsync_ms = 1e3 / baselines.fsync_per_s(work, 50 if smoke else 300)
        blocks = run_blocks(block_plan, work)
        t_blocks = time.perf_counter() - started - t_state
        print("-- history length", flush=True)
        history, _ = run_history(lengths, rounds, per_round, work)
        t_history = time.perf_counter() - started - t_state - t_blocks
    assert state and all(p.update_us.median > 0 and p.smt_bytes.median > 0 for p in state)
    assert blocks and all(p.validator_us.median > 0 and p.commit_ms.median > 0 for p in blocks)
    assert history and all(p.tx_bytes.median > 0 and p.past_bytes.median > 0 for p in history)
    if smoke:
        with tempfile.TemporaryDirectory(prefix="scaling-plots-") as img:
            draw(Path(img), state, blocks, history)
    else:
        draw(IMG_DIR, state, blocks, history, img_suffix)
    elapsed = time.perf_counter() - started
    load_after = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"== scaling done in {elapsed:.0f} s (state {t_state:.0f} s, blocks {t_blocks:.0f} s, "
        f"history {t_history:.0f} s); load average {load_after}",
        flush=True,
    )
    lines = [
        "## Scaling: state size, block size, history length",
        "",
        "`make bench`, module `benchmarks/scaling_bench.py` (alone: `python -m benchmarks.scaling_bench`).",
        "Single process on the node's LMDB store, through the chain's own code path (see the module",
        f"docstring); wall-clock medians (min - max) over {rounds} rounds or the blocks listed, every",
        f"baseline from the same run. This section took {elapsed:.0f} s on {os.cpu_count()} cores; load",
        f"average (1/5/15 min) {load_before} before, {load_after} after: wall-clock figures inflate with",
        "load, ratios within one run much less.",
        "",
        *state_markdown(state, note, batches, rounds * per_round),
        *([] if smoke else [f"![Cost by state size](img/scaling_state{img_suffix}.png)", ""]),
        *block_markdown(blocks, verify_us, fsync_ms),
        *([] if smoke else [f"![Cost by block size](img/scaling_block{img_suffix}.png)", ""]),
        *history_markdown(history),
        *([] if smoke else [f"![Cost by history length](img/scaling_history{img_suffix}.png)", ""]),
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="small sizes, plots to a temporary directory")
    ap.add_argument(
        "--all-sizes",
        action="store_true",
        help="measure every state size up to 10^7 keys whatever it takes (`make bench-large`, ~15 min)",
    )
    ap.add_argument("--write", type=Path, help="also write the section's Markdown to this file")
    args = ap.parse_args()
    lines = section(
        args.smoke,
        state_budget_s=float("inf") if args.all_sizes else STATE_BUDGET_S,
        img_suffix="-large" if args.all_sizes else "",
    )
    print("\n".join(lines))
    if args.write is not None:
        header = [
            "# Scaling to 10^7 keys",
            "",
            f"Generated by `make bench-large` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            "do not edit by hand. The default `make bench` stops at the largest size that fits its time "
            "budget (docs/benchmarks.md).",
            "",
        ]
        args.write.write_text("\n".join(header + lines[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
