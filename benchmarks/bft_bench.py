"""Validator networks on this machine (one OS process per node) beside one validator, in the same run.

Topologies: 1 validator (the baseline: the solo orderer), 4 validators, 4 validators + 2 full nodes,
and, for the validator-count scaling, 7 and 10 validators. Every network is real processes started
the way `govledger network up` starts them (`node/network.py`), with durable storage (LMDB fsync,
WAL and privval fsync), mutual TLS between nodes, and is driven through the same door: pre-signed
`attest.record` transactions (Ed25519, 3 signers round robin) posted in msgpack batches to
`POST /v1/txs/batch`, one submitter thread per entry node.

Entry nodes. Without full nodes, load goes to every validator. With full nodes, load goes to the full
nodes only: that is the deployment the topology stands for (validators kept off the public network,
clients talking to full nodes), and it makes every transaction take the full-node path (admitted by
a full node, gossiped to the validators, ordered, then followed back by the full nodes). Sending part
of the load to validators would mostly measure the 4-validator path again.

Phases, on each network: closed loop (batches of 500; in flight, submitted but not yet committed,
at most `INFLIGHT_S` of the recent commit rate, so blocks stay full and mempools never fill) for
throughput; then, once the backlog has drained, open loop at 60% of that throughput (batches on a
fixed schedule, each submitter posting every 250 ms at most) for latency. The scaling networks (7,
10 validators) run the closed loop only. Each phase has a warm-up (a fixed time, and at least until
a loaded block commits), then `windows` consecutive measured windows on the same processes: tables
show the median over windows with min and max.

Figures, per window:
- committed tx/s;
- finality: submit (batch posted) to commit (the block holding it is visible on the watched node,
  polled every 20 ms), p50 and p99, in the open loop (in the closed loop latency is only queueing
  behind the in-flight cap). The watched node is node 0, or the first full node when clients use
  full nodes (what such a client sees);
- messages and bytes per block sent by the validators, and by the full nodes (their transport
  counters, `/v1/network/status`), per committed block;
- CPU per transaction per validator (and per full node): user + system time of those processes
  (/proc), summed, divided by committed transactions and by their number. On one machine per
  validator, `cores / CPU per tx per validator` is what one validator's machine could sustain.

Signed once: every network has the same chain id and the same member keys (`create_network(members=)`),
so one pool of pre-signed transactions serves all of them (signing costs ~100 us a transaction here).
Signing happens before any clock starts; the load generator's own CPU is printed.

`section(smoke)` is the benchmark-suite entry `benchmarks/run.py` calls (Markdown lines for
docs/benchmarks.md).
`python -m benchmarks.bft_bench [--smoke]` runs the section alone and prints its Markdown.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import baselines
from benchmarks.plots import Panel, Series, scaling_plot
from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.node.block_process import cpu_seconds
from govledger.node.devnet import DEV_MEMBERS, DEV_PASSPHRASE
from govledger.node.network import (
    NodeProcess,
    create_network,
    free_base_port,
    load_manifest,
    start_nodes,
    stop_nodes,
)

BATCH = 500
BATCH_OPEN = 100
INFLIGHT_MAX = 12_000
INFLIGHT_MIN = 2_000
INFLIGHT_S = 3.0
RATE_WINDOW_S = 2.0
RATE_CEILING = 4_000
"""Pre-signed transactions per second of closed loop before any capacity is known."""
SMOKE_RATE_CEILING = 1_500
"""Smoke: enough to load the network, little signing (~100 us a transaction)."""
OPEN_LOOP_SHARE = 0.6
OPEN_PERIOD_MAX_S = 0.25
FIRST_COMMIT_MAX_S = 60.0
ISSUERS = ("registrar-1", "notary-1", "clerk-1")
CHAIN_ID = "govledger-bench"
EXPIRY = 50_000  # within the 100,000-block window of tx.expiry_too_far
SCRYPT_N = 1024
SCALING = (4, 7, 10)
IMG_DIR = Path(__file__).resolve().parents[1] / "docs" / "img"


@dataclass(frozen=True)
class Topology:
    validators: int
    full_nodes: int = 0

    @property
    def solo(self) -> bool:
        return self.validators == 1 and self.full_nodes == 0

    @property
    def label(self) -> str:
        v = f"{self.validators} validator{'s' if self.validators > 1 else ''}"
        return v + (f" + {self.full_nodes} full nodes" if self.full_nodes else "")


@dataclass(frozen=True)
class Window:
    """One measured window of a phase."""

    duration_s: float
    committed: int
    finality_ms: tuple[float, ...]
    blocks: int
    cpu_validators_s: float
    cpu_full_s: float
    frames_validators: int
    bytes_validators: int
    frames_full: int
    bytes_full: int
    validators: int
    full_nodes: int

    @property
    def tx_per_s(self) -> float:
        return self.committed / self.duration_s

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.finality_ms) if self.finality_ms else 0.0

    @property
    def p99_ms(self) -> float:
        lat = sorted(self.finality_ms) or [0.0]
        return lat[min(len(lat) - 1, int(len(lat) * 0.99))]

    @property
    def txs_per_block(self) -> float:
        return self.committed / max(self.blocks, 1)

    @property
    def cpu_us_per_tx_per_validator(self) -> float:
        return self.cpu_validators_s / max(self.committed, 1) / self.validators * 1e6

    @property
    def cpu_us_per_tx_per_full_node(self) -> float:
        return self.cpu_full_s / max(self.committed, 1) / max(self.full_nodes, 1) * 1e6

    @property
    def msgs_per_block_validators(self) -> float:
        return self.frames_validators / max(self.blocks, 1)

    @property
    def bytes_per_block_validators(self) -> float:
        return self.bytes_validators / max(self.blocks, 1)

    @property
    def msgs_per_block_full(self) -> float:
        return self.frames_full / max(self.blocks, 1)

    @property
    def bytes_per_block_full(self) -> float:
        return self.bytes_full / max(self.blocks, 1)

    @property
    def bytes_per_tx(self) -> float:
        return (self.bytes_validators + self.bytes_full) / max(self.committed, 1)


Spread = tuple[float, float, float]  # median, min, max


@dataclass(frozen=True)
class Phase:
    """A closed-loop (offered 0) or open-loop phase: its measured windows."""

    offered_tx_per_s: int
    windows: tuple[Window, ...]
    loader_cpu_s: float
    rejected: int
    exhausted: bool
    """The pre-signed pool ran out during the phase: throughput is understated."""

    def spread(self, figure: Callable[[Window], float]) -> Spread:
        xs = [figure(w) for w in self.windows]
        return statistics.median(xs), min(xs), max(xs)

    def med(self, figure: Callable[[Window], float]) -> float:
        return self.spread(figure)[0]


@dataclass(frozen=True)
class NetResult:
    topology: Topology
    capacity: Phase
    latency: Phase | None


def _tps(w: Window) -> float:
    return w.tx_per_s


def _cpu_v(w: Window) -> float:
    return w.cpu_us_per_tx_per_validator


def _tpb(w: Window) -> float:
    return w.txs_per_block


def _msgs_v(w: Window) -> float:
    return w.msgs_per_block_validators


def _bytes_v(w: Window) -> float:
    return w.bytes_per_block_validators


@dataclass(frozen=True)
class Plan:
    """How long a phase measures, and how much the closed loop keeps in flight."""

    windows: int
    window_s: float
    warmup_s: float
    inflight_max: int = INFLIGHT_MAX


SMOKE_PLAN = Plan(1, 1.5, 0.8, inflight_max=INFLIGHT_MIN)
SCALING_PLAN = Plan(3, 12.0, 8.0)
"""7 and 10 validators: larger, slower blocks, so a longer warm-up and windows that hold enough of them."""


# --- load --------------------------------------------------------------------------------------------


class Pool:
    """Pre-signed transactions for `CHAIN_ID` and fixed member keys, shared by every network."""

    def __init__(self) -> None:
        self.members = {m[0]: SigningKey.generate(Scheme.ED25519) for m in DEV_MEMBERS}
        self._signers = itertools.cycle([self.members[k] for k in ISSUERS])
        self.raws: list[bytes] = []

    def ensure(self, count: int) -> None:
        """Sign until the pool holds `count` transactions (outside any measured window)."""
        start = len(self.raws)
        if count <= start:
            return
        t0 = time.perf_counter()
        for i in range(start, count):
            body = RecordBody(i.to_bytes(32, "big"), "deed", f"bench {i}")
            t = txmod.build(
                CHAIN_ID,
                "attest",
                "record",
                encode(body),
                [next(self._signers)],
                nonce=i,
                expiry_height=EXPIRY,
            )
            self.raws.append(encode(t))
        print(f"   signed {count - start:,} transactions in {time.perf_counter() - t0:.1f} s", flush=True)


def _wait_health(urls: Sequence[str], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    for url in urls:
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            time.sleep(0.1)  # polling /health until the node serves it


def _drain(urls: Sequence[str], timeout_s: float = 120) -> None:
    """Wait until every node's mempool is empty (all submitted transactions committed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(httpx.get(u + "/health", timeout=5).json()["mempool_txs"] == 0 for u in urls):
            return
        time.sleep(0.1)  # polling /health until the backlog is committed
    raise RuntimeError("the backlog did not drain")


def _net_counters(urls: Sequence[str]) -> tuple[int, int]:
    frames = sent = 0
    for url in urls:
        r = httpx.get(url + "/v1/network/status", timeout=5)
        if r.status_code == 200:
            net = r.json()["net"] or {}
            frames += int(net.get("frames_out", 0))
            sent += int(net.get("bytes_out", 0))
    return frames, sent


@dataclass(frozen=True)
class _Sample:
    at: float
    cpu_validators_s: float
    cpu_full_s: float
    validators: tuple[int, int]  # frames, bytes sent
    full: tuple[int, int]


@dataclass
class _Nodes:
    validators: list[NodeProcess]
    full: list[NodeProcess]
    validator_pids: list[int]
    full_pids: list[int]
    entry: list[str] = field(default_factory=list)
    """Where clients submit (full nodes if any, else the validators)."""
    watch: str = ""
    """Where commits are watched (the first entry node)."""

    def sample(self) -> _Sample:
        counted = len(self.validators) > 1 or bool(self.full)  # the solo orderer has no transport
        return _Sample(
            time.perf_counter(),
            sum(cpu_seconds(p) for p in self.validator_pids),
            sum(cpu_seconds(p) for p in self.full_pids),
            _net_counters([n.url for n in self.validators]) if counted else (0, 0),
            _net_counters([n.url for n in self.full]),
        )

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.validators + self.full]


class _Drive:
    """Load over the batch API (one submitter per entry node) plus a commit watcher."""

    def __init__(self, watch: str, raws: Sequence[bytes], batch: int, inflight_max: int) -> None:
        self.watch = watch
        self.inflight_max = inflight_max
        self.raws = raws
        self.batch = batch
        self.submitted_at: dict[bytes, float] = {}
        self.commits: list[tuple[float, int, list[float]]] = []  # (seen at, txs, finality ms)
        self.rejected = 0
        self.exhausted = False
        self.stop = threading.Event()
        self.first_commit = threading.Event()
        self.lock = threading.Lock()
        self.next = 0

    def take(self) -> list[bytes]:
        with self.lock:
            batch = list(self.raws[self.next : self.next + self.batch])
            self.next += len(batch)
            if not batch:
                self.exhausted = True
            return batch

    def submit_loop(self, url: str, period_s: float) -> None:
        """`period_s` 0: closed loop (post as soon as there is room in flight); else one batch per period."""
        next_at = time.perf_counter()
        with httpx.Client(timeout=60) as http:
            while not self.stop.is_set():
                if period_s:
                    pause = next_at - time.perf_counter()
                    if pause > 0:
                        self.stop.wait(pause)  # the open loop's schedule
                    next_at += period_s
                else:
                    with self.lock:
                        inflight = len(self.submitted_at)
                        cap = self._inflight_cap()
                    if inflight > cap:
                        self.stop.wait(0.005)  # closed loop: wait for commits to free room
                        continue
                batch = self.take()
                if not batch:
                    return
                self.post(http, url, batch)

    def post(self, http: httpx.Client, url: str, batch: list[bytes]) -> None:
        t0 = time.perf_counter()
        r = http.post(
            url + "/v1/txs/batch", content=encode(batch), headers={"content-type": "application/msgpack"}
        )
        results = r.json() if r.status_code == 200 else []
        with self.lock:
            for res in results:
                if res["code"] == "ok":
                    self.submitted_at[bytes.fromhex(res["tx_id"])] = t0
                else:
                    self.rejected += 1
            if r.status_code != 200:
                self.rejected += len(batch)

    def watch_loop(self) -> None:
        url = self.watch
        with httpx.Client(timeout=10) as http:
            seen = int(http.get(url + "/health").json()["height"])
            while not self.stop.is_set():
                tip = int(http.get(url + "/health").json()["height"])
                for h in range(seen + 1, tip + 1):
                    receipts = http.get(f"{url}/v1/blocks/{h}/receipts").json()["receipts"]
                    now = time.perf_counter()
                    ids = [base64.b64decode(r["tx_id"]) for r in receipts]  # JSON bytes are base64
                    self._committed(ids, now)
                seen = tip
                self.stop.wait(0.02)  # the watcher's polling period

    def _inflight_cap(self) -> int:
        """`INFLIGHT_S` of the recent commit rate, within [INFLIGHT_MIN, inflight_max] (lock held).

        Enough queued to fill every block; more would only lengthen the queue, and with it the
        drain before the open loop and, on full nodes, how long their transactions stay pending.
        """
        now = time.perf_counter()
        recent = 0
        for at, n, _ in reversed(self.commits):
            if at < now - RATE_WINDOW_S:
                break
            recent += n
        return max(INFLIGHT_MIN, min(self.inflight_max, int(recent / RATE_WINDOW_S * INFLIGHT_S)))

    def _committed(self, ids: list[bytes], now: float) -> None:
        with self.lock:
            lat = []
            for tid in ids:
                t0 = self.submitted_at.pop(tid, None)
                if t0 is not None:
                    lat.append((now - t0) * 1000)
            self.commits.append((now, len(lat), lat))  # empty blocks count as blocks too
            if lat:
                self.first_commit.set()


def _measure(nodes: _Nodes, raws: Sequence[bytes], plan: Plan, rate: int = 0) -> tuple[Phase, int]:
    """Closed loop (`rate` 0) or open loop at `rate` tx/s over the entry nodes; returns it and txs used."""
    # Open loop: batches small enough that each submitter posts at least every OPEN_PERIOD_MAX_S.
    per_thread = rate / len(nodes.entry)
    batch = BATCH if rate == 0 else max(1, min(BATCH_OPEN, int(per_thread * OPEN_PERIOD_MAX_S)))
    period_s = 0.0 if rate == 0 else batch / per_thread
    drive = _Drive(nodes.watch, raws, batch, plan.inflight_max)
    loader_cpu0 = time.process_time()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=drive.submit_loop, args=(u, period_s), daemon=True) for u in nodes.entry
    ]
    threads.append(threading.Thread(target=drive.watch_loop, daemon=True))
    for t in threads:
        t.start()
    time.sleep(plan.warmup_s)  # warm-up: mempools and block sizes reach their steady state
    if not drive.first_commit.wait(FIRST_COMMIT_MAX_S):  # ...and at least one loaded block is committed
        print(f"   WARNING: no transaction committed within {FIRST_COMMIT_MAX_S:g} s of warm-up", flush=True)
    samples = [nodes.sample()]
    for k in range(1, plan.windows + 1):
        pause = samples[0].at + k * plan.window_s - time.perf_counter()
        if pause > 0:
            time.sleep(pause)  # the measured window
        samples.append(nodes.sample())
    drive.stop.set()
    for t in threads:
        t.join(60)
    print(f"   phase took {time.perf_counter() - started:.1f} s", flush=True)
    out = []
    for a, b in itertools.pairwise(samples):
        commits = [c for c in drive.commits if a.at <= c[0] < b.at]
        out.append(
            Window(
                duration_s=b.at - a.at,
                committed=sum(c[1] for c in commits),
                finality_ms=tuple(x for c in commits for x in c[2]),
                blocks=len(commits),
                cpu_validators_s=b.cpu_validators_s - a.cpu_validators_s,
                cpu_full_s=b.cpu_full_s - a.cpu_full_s,
                frames_validators=b.validators[0] - a.validators[0],
                bytes_validators=b.validators[1] - a.validators[1],
                frames_full=b.full[0] - a.full[0],
                bytes_full=b.full[1] - a.full[1],
                validators=len(nodes.validator_pids),
                full_nodes=len(nodes.full_pids),
            )
        )
    phase = Phase(rate, tuple(out), time.process_time() - loader_cpu0, drive.rejected, drive.exhausted)
    if phase.exhausted:
        print("   WARNING: the pre-signed pool ran out; throughput is understated", flush=True)
    return phase, drive.next


def _run_network(
    root: Path, topo: Topology, pool: Pool, plan: Plan, *, open_loop: bool, ceiling: float
) -> NetResult:
    """Start `topo`, measure its capacity (and latency at 60% of it), stop it."""
    print(f"== {topo.label}", flush=True)
    t0 = time.perf_counter()
    home = root / f"net-{topo.validators}-{topo.full_nodes}"
    n = topo.validators + topo.full_nodes
    create_network(
        home,
        validators=topo.validators,
        full_nodes=topo.full_nodes,
        base_port=free_base_port(2 * n + 2),
        chain_id=CHAIN_ID,
        scrypt_n=SCRYPT_N,
        members=pool.members,
    )
    env = {"GOVLEDGER_PASSPHRASE": DEV_PASSPHRASE, "GOVLEDGER_SCRYPT_N": str(SCRYPT_N)}
    solo: subprocess.Popen[bytes] | None = None
    try:
        manifest = load_manifest(home)
        if topo.solo:  # the single-validator baseline runs the solo orderer (`node start` without --bft)
            node = manifest.nodes[0]
            log = open(Path(node.home) / "node.log", "ab")  # noqa: SIM115 - closed after the process
            solo = subprocess.Popen(
                [sys.executable, "-m", "govledger.cli.main", "--home", node.home, "node", "start",
                 "--port", str(node.api_port), "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True,
            )  # fmt: skip
            log.close()
            node.pid = solo.pid
        else:
            start_nodes(home, env=env)
            manifest = load_manifest(home)
        validators = [x for x in manifest.nodes if x.validator]
        full = [x for x in manifest.nodes if not x.validator]
        nodes = _Nodes(validators, full, [x.pid for x in validators], [x.pid for x in full])
        nodes.entry = [x.url for x in (full or validators)]
        nodes.watch = nodes.entry[0]
        _wait_health(nodes.urls)
        print(f"   up in {time.perf_counter() - t0:.1f} s", flush=True)
        used = 0
        # Enough for the in-flight backlog plus the phase at `ceiling`, with margin for a slow first block.
        backlog = max(INFLIGHT_MIN, min(plan.inflight_max, int(ceiling * INFLIGHT_S)))
        pool.ensure(backlog + int(ceiling * (plan.warmup_s + plan.windows * plan.window_s + 3)))
        capacity, n_used = _measure(nodes, pool.raws, plan)
        used += n_used
        _report("closed loop", capacity)
        latency = None
        if open_loop:
            _drain(nodes.urls)  # the latency phase must not inherit the capacity phase's backlog
            rate = max(100, int(capacity.med(_tps) * OPEN_LOOP_SHARE))
            pool.ensure(used + int(rate * (plan.warmup_s + plan.windows * plan.window_s + 10)))
            latency, _ = _measure(nodes, pool.raws[used:], plan, rate)
            _report(f"open loop at {rate:,} tx/s", latency)
        return NetResult(topo, capacity, latency)
    finally:
        if solo is not None:
            solo.terminate()
            try:
                solo.wait(30)
            except subprocess.TimeoutExpired:
                solo.kill()
        else:
            stop_nodes(home)
        print(f"   {topo.label}: {time.perf_counter() - t0:.1f} s from start to stopped", flush=True)


def _report(what: str, p: Phase) -> None:
    w = p.windows
    print(
        f"   {what}: {', '.join(f'{x.tx_per_s:,.0f}' for x in w)} tx/s; "
        f"p50 {', '.join(f'{x.p50_ms:,.0f}' for x in w)} ms; "
        f"p99 {', '.join(f'{x.p99_ms:,.0f}' for x in w)} ms; "
        f"CPU/tx/validator {', '.join(f'{x.cpu_us_per_tx_per_validator:,.0f}' for x in w)} us"
        + (
            f"; CPU/tx/full node {', '.join(f'{x.cpu_us_per_tx_per_full_node:,.0f}' for x in w)} us"
            if w[0].full_nodes
            else ""
        )
        + f"; {p.rejected} refused",
        flush=True,
    )


# --- the section ----------------------------------------------------------------------------------


def _cell(s: Spread, fmt: str = "{:,.0f}") -> str:
    med, lo, hi = s
    return f"{fmt.format(med)} ({fmt.format(lo)} - {fmt.format(hi)})"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def section(smoke: bool) -> list[str]:
    """Measure 1, 4, 4+2, 7 and 10 (smoke: 4+2 only); print progress; return the Markdown section.

    Smoke runs one network, the one that exercises every path (validators, full nodes, gossip from
    full nodes, both phases, the counters): starting processes dominates its time (~2 s of CPU each).
    """
    plan = SMOKE_PLAN if smoke else Plan(3, 8.0, 4.0)
    started = time.perf_counter()
    load_before = "/".join(f"{x:.1f}" for x in os.getloadavg())
    verify_1 = baselines.ed25519_verify_per_s(2_000 if smoke else 20_000)
    print(f"== baseline: Ed25519 verify, 1 thread: {verify_1:,.0f} sig/s", flush=True)
    pool = Pool()
    results: dict[Topology, NetResult] = {}
    with tempfile.TemporaryDirectory(dir=".", prefix="bft-bench-") as tmp:
        root = Path(tmp)
        ceiling = float(SMOKE_RATE_CEILING if smoke else RATE_CEILING)
        if not smoke:
            solo = Topology(1)
            results[solo] = _run_network(root, solo, pool, plan, open_loop=True, ceiling=ceiling)
            # Nothing replicated is faster than the solo orderer on the same cores: sign for its pace.
            ceiling = max(500.0, 1.3 * results[solo].capacity.spread(_tps)[2])
        topologies = [Topology(4, 2)] if smoke else [Topology(4), Topology(4, 2)]
        for topo in topologies:
            results[topo] = _run_network(root, topo, pool, plan, open_loop=True, ceiling=ceiling)
        for v in () if smoke else SCALING:
            if Topology(v) not in results:
                results[Topology(v)] = _run_network(
                    root, Topology(v), pool, SCALING_PLAN, open_loop=False, ceiling=ceiling
                )
    image = None
    if len([v for v in SCALING if Topology(v) in results]) > 1:
        image = draw_scaling(results, IMG_DIR / "scaling_validators.png")
    elapsed = time.perf_counter() - started
    load_after = "/".join(f"{x:.1f}" for x in os.getloadavg())
    run_note = (
        f"This section took {elapsed:.0f} s; load average (1/5/15 min) {load_before} before,"
        f" {load_after} after (the machine is shared: figures inflate with load, ratios much less)."
    )
    lines = _markdown(results, plan, verify_1, run_note=run_note, image=image)
    print("\n".join(lines), flush=True)
    print(f"== section took {elapsed:.0f} s", flush=True)
    if smoke:
        for r in results.values():
            phases = [r.capacity] + ([r.latency] if r.latency else [])
            assert all(w.committed > 0 for ph in phases for w in ph.windows), (
                f"{r.topology.label}: nothing committed"
            )
            assert all(w.cpu_full_s > 0 and w.bytes_full > 0 for ph in phases for w in ph.windows), (
                "full nodes did no work"
            )
    return lines


def draw_scaling(results: dict[Topology, NetResult], path: Path) -> Path:
    """tx/s and CPU per tx per validator against the validator count, the solo orderer dashed."""
    xs = [v for v in SCALING if Topology(v) in results]
    solo = results.get(Topology(1))

    def series(label: str, fig: Callable[[Window], float]) -> list[Series]:
        spreads = [results[Topology(v)].capacity.spread(fig) for v in xs]
        out = [Series(label, [s[0] for s in spreads], [s[1] for s in spreads], [s[2] for s in spreads])]
        if solo is not None:
            out.append(Series("1 validator (solo orderer)", [solo.capacity.med(fig)] * len(xs), dashed=True))
        return out

    panels = [
        Panel("committed tx/s (closed loop, one machine)", series("validators on one machine", _tps)),
        Panel("CPU per tx per validator (us)", series("per validator", _cpu_v)),
    ]
    return scaling_plot(
        xs,
        panels,
        path,
        title=f"Validators on one {os.cpu_count()}-core machine",
        xlabel="validators",
        logx=False,
    )


def _markdown(
    results: dict[Topology, NetResult],
    plan: Plan,
    verify_1: float,
    *,
    run_note: str = "",
    image: Path | None = None,
) -> list[str]:
    cores = os.cpu_count() or 1
    solo = results.get(Topology(1))
    cols = [solo, results.get(Topology(4)), results.get(Topology(4, 2))]
    head = (
        "| figure | 1 validator (baseline) | 4 validators | 4 / 1 | 4 validators + 2 full nodes | 4+2 / 1 |"
    )
    rows = [head, "|---|---|---|---|---|---|"]

    def row(name: str, phase: Callable[[NetResult], Phase | None], fig: Callable[[Window], float],
            fmt: str = "{:,.0f}", only: tuple[int, ...] = (0, 1, 2)) -> None:  # fmt: skip
        cells, meds = [], []
        for i, r in enumerate(cols):
            ph = phase(r) if r is not None and i in only else None
            s = ph.spread(fig) if ph is not None else None
            cells.append(_cell(s, fmt) if s is not None else "-")
            meds.append(s[0] if s is not None else 0.0)
        r1, r2 = (_ratio(meds[1], meds[0]), _ratio(meds[2], meds[0])) if meds[0] else ("-", "-")
        rows.append(f"| {name} | {cells[0]} | {cells[1]} | {r1} | {cells[2]} | {r2} |")

    def cap(r: NetResult) -> Phase:
        return r.capacity

    def lat(r: NetResult) -> Phase | None:
        return r.latency

    row("closed loop: committed tx/s", cap, _tps)
    row("closed loop: CPU per tx per validator (us)", cap, _cpu_v)
    row("closed loop: CPU per tx per full node (us)", cap, lambda w: w.cpu_us_per_tx_per_full_node, only=(2,))
    row("closed loop: transactions per block", cap, _tpb)
    row("open loop: committed tx/s (offered: 60% of capacity)", lat, _tps)
    row("open loop: finality p50 (ms)", lat, lambda w: w.p50_ms)
    row("open loop: finality p99 (ms)", lat, lambda w: w.p99_ms)
    row("open loop: transactions per block", lat, _tpb)
    row("open loop: blocks per second", lat, lambda w: w.blocks / w.duration_s, "{:,.1f}")
    row("open loop: messages per block, validators", lat, _msgs_v, "{:,.1f}", (1, 2))
    row("open loop: messages per block, full nodes", lat, lambda w: w.msgs_per_block_full, "{:,.1f}", (2,))
    row("open loop: bytes per block, validators", lat, _bytes_v, only=(1, 2))
    row("open loop: bytes per block, full nodes", lat, lambda w: w.bytes_per_block_full, only=(2,))
    row("open loop: bytes sent per committed tx, all nodes", lat, lambda w: w.bytes_per_tx, only=(1, 2))

    def total(r: NetResult | None, of: Callable[[Phase], float], fmt: str) -> str:
        if r is None:
            return "-"
        return fmt.format(of(r.capacity) + (of(r.latency) if r.latency else 0))

    for name, of, fmt in (
        ("refused at admission", lambda p: float(p.rejected), "{:,.0f}"),
        ("load generator CPU, both phases (s)", lambda p: p.loader_cpu_s, "{:,.1f}"),
    ):
        c = [total(r, of, fmt) for r in cols]
        rows.append(f"| {name} | {c[0]} | {c[1]} | | {c[2]} | |")

    srows = [
        "| validators | closed loop: committed tx/s | ratio to 1 validator | CPU per tx per validator (us) "
        f"| one {cores}-core machine per validator: cores / CPU per tx per validator (tx/s) "
        "| messages per block, all validators | bytes sent per committed tx |",
        "|---|---|---|---|---|---|---|",
    ]
    base_tps = solo.capacity.med(_tps) if solo is not None else 0.0
    for v in (1, *SCALING):
        r = results.get(Topology(v))
        if r is None:
            continue
        ph = r.capacity
        cpu, tps = ph.spread(_cpu_v), ph.spread(_tps)
        per_machine = cores / (cpu[0] / 1e6) if cpu[0] else 0.0
        label = f"{v}" + (" (solo orderer, baseline)" if r.topology.solo else "")
        msgs = "-" if r.topology.solo else _cell(ph.spread(_msgs_v), "{:,.1f}")
        per_tx = "-" if r.topology.solo else _cell(ph.spread(lambda w: w.bytes_per_tx))
        srows.append(
            f"| {label} | {_cell(tps)} | {_ratio(tps[0], base_tps)} | {_cell(cpu)} "
            f"| {per_machine:,.0f} | {msgs} | {per_tx} |"
        )
    exhausted = [r.topology.label for r in results.values() if r.capacity.exhausted]
    note = [f"Pre-signed pool ran out during: {', '.join(exhausted)} (throughput understated).", ""]
    windows = f"{plan.windows} consecutive window{'s' if plan.windows > 1 else ''} of {plan.window_s:g} s"
    smoke = solo is None
    return [
        "## Validator networks: 4 validators, 4 + 2 full nodes, 4 / 7 / 10 validators, beside 1 (same run)",
        "",
        "`make bench`, module `benchmarks/bft_bench.py` (alone: `python -m benchmarks.bft_bench`). One OS",
        "process per node on loopback (mutual TLS, durable storage), pre-signed `attest.record`",
        "transactions through `POST /v1/txs/batch`: to every validator, or, with full nodes, to the 2 full",
        "nodes only (clients talk to full nodes; every transaction takes the full-node path). Closed loop",
        "for throughput, then open loop at 60% of it for finality (submit to commit seen on node 0, or on",
        f"the first full node). Each figure: median (min - max) over {windows} after a warm-up",
        f"of at least {plan.warmup_s:g} s; ratios are of medians. All nodes share this machine's {cores}",
        "cores, so throughput falls with the number of processes; CPU per tx per validator is the figure",
        "that carries over to one machine per validator."
        + (" Smoke run: the 4 + 2 network only." if smoke else ""),
        "",
        *rows,
        "",
        "Validator-count scaling (closed loop, load to every validator"
        + (
            "; full mode only"
            if smoke
            else f"; 7 and 10 validators: {SCALING_PLAN.windows} windows of {SCALING_PLAN.window_s:g} s"
            f" after at least {SCALING_PLAN.warmup_s:g} s, as their blocks are larger and slower"
        )
        + f"). Baseline in the same run: Ed25519 verify, 1 thread, {verify_1:,.0f} sig/s"
        f" ({1e6 / verify_1:,.0f} us per signature).",
        "",
        *(srows if len(srows) > 2 else []),
        "",
        *([f"![Validator-count scaling](img/{image.name})", ""] if image is not None else []),
        *([run_note, ""] if run_note else []),
        *(note if exhausted else []),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    section(args.smoke)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
