"""Four validators on this machine (one OS process each) against one validator, in the same run.

Both networks are real processes started the way `govledger network up` starts them, with durable
storage (LMDB fsync, WAL and privval fsync), and are driven through the same door: pre-signed
`attest.record` transactions (Ed25519, 3 signers round robin) posted in msgpack batches to
`POST /v1/txs/batch`, one submitter thread per node. Two phases per network: closed loop (batches of
500, at most `INFLIGHT_MAX` submitted but not yet committed, so mempools never fill and nothing is
refused for capacity) for throughput; then, once the backlog has drained, open loop at 60% of that
throughput (batches of 100 on a fixed schedule) for latency.

Figures:
- committed tx/s over the measured window (after a warm-up);
- finality: submit (batch posted) to commit (the block holding it is visible on node 0, polled every
  20 ms), p50 and p99, in an open-loop phase offering 60% of the measured capacity (in the closed
  loop, latency is only queueing behind the in-flight cap);
- messages and bytes per block: frames and bytes sent by all validators (their transport counters,
  `/v1/network/status`) divided by blocks, in the open-loop phase (steady state: in the closed loop
  the gossip of the in-flight backlog would be charged to the blocks of the window);
- CPU per transaction per validator: user + system time of each validator process (/proc) over the
  window, summed, divided by committed transactions and by the number of validators.

The load generator runs on the same two cores as the validators (signing happens before the clock
starts); its own CPU is reported so the reader can see what it took.

`run_bft(duration_s, smoke)` is what `benchmarks/run.py` calls; `python -m benchmarks.bft_bench
[--smoke] [--duration S]` prints the table alone.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import baselines
from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.crypto.signatures import SigningKey
from govledger.ledger import tx as txmod
from govledger.node.devnet import DEV_PASSPHRASE, load_key
from govledger.node.network import create_network, load_manifest, start_nodes, stop_nodes

BATCH = 500
BATCH_OPEN = 100
INFLIGHT_MAX = 12_000
RATE_CEILING = 4_000
"""Pre-signed transactions per second of capacity phase: above what this machine can commit."""
OPEN_LOOP_SHARE = 0.6
ISSUERS = ("registrar-1", "notary-1", "clerk-1")
SCRYPT_N = 1024
WARMUP_S = 2.0


@dataclass(frozen=True)
class Phase:
    """One measured window: closed loop (capacity) or open loop at a fixed offered rate (latency)."""

    offered_tx_per_s: int  # 0: closed loop
    duration_s: float
    committed: int
    tx_per_s: float
    finality_ms_p50: float
    finality_ms_p99: float
    blocks: int
    txs_per_block: float
    msgs_per_block: float
    bytes_per_block: float
    cpu_us_per_tx_per_validator: float
    loader_cpu_s: float
    rejected: int


@dataclass(frozen=True)
class NetResult:
    validators: int
    capacity: Phase
    latency: Phase


@dataclass(frozen=True)
class BftResult:
    bft: NetResult
    single: NetResult
    ed25519_verify_per_s: float  # 1 thread, this machine, this run
    ed25519_verify_per_s_2threads: float

    def ceiling_tx_per_s(self) -> float:
        """What the cores allow 4 validators at the measured CPU per tx: cores / (4 x CPU per tx)."""
        cores = os.cpu_count() or 1
        per_tx_s = self.bft.capacity.cpu_us_per_tx_per_validator / 1e6
        return cores / (self.bft.validators * per_tx_s) if per_tx_s else 0.0

    def rows(self) -> list[tuple[str, str, str]]:
        def f(x: float, fmt: str = "{:,.0f}") -> str:
            return fmt.format(x)

        b, s = self.bft, self.single
        bc, sc, bl, sl = b.capacity, s.capacity, b.latency, s.latency
        return [
            ("committed throughput, closed loop (tx/s)", f(bc.tx_per_s), f(sc.tx_per_s)),
            (
                "CPU per tx per validator (us)",
                f(bc.cpu_us_per_tx_per_validator),
                f(sc.cpu_us_per_tx_per_validator),
            ),
            ("closed loop: transactions per block (mean)", f(bc.txs_per_block), f(sc.txs_per_block)),
            ("open loop: offered (tx/s, 60% of capacity)", f(bl.offered_tx_per_s), f(sl.offered_tx_per_s)),
            ("open loop: committed (tx/s)", f(bl.tx_per_s), f(sl.tx_per_s)),
            ("open loop: finality p50 (ms)", f(bl.finality_ms_p50), f(sl.finality_ms_p50)),
            ("open loop: finality p99 (ms)", f(bl.finality_ms_p99), f(sl.finality_ms_p99)),
            ("open loop: transactions per block (mean)", f(bl.txs_per_block), f(sl.txs_per_block)),
            ("open loop: messages per block, all validators", f(bl.msgs_per_block, "{:,.1f}"), "-"),
            ("open loop: bytes per block, all validators", f(bl.bytes_per_block), "-"),
            ("open loop: bytes sent per committed tx", f(bl.bytes_per_block / max(bl.txs_per_block, 1)), "-"),
            (
                "open loop: blocks per second",
                f(bl.blocks / bl.duration_s, "{:,.1f}"),
                f(sl.blocks / sl.duration_s, "{:,.1f}"),
            ),
            (
                "load generator CPU, both phases (s)",
                f(bc.loader_cpu_s + bl.loader_cpu_s, "{:,.1f}"),
                f(sc.loader_cpu_s + sl.loader_cpu_s, "{:,.1f}"),
            ),
            ("refused at admission", f(bc.rejected + bl.rejected), f(sc.rejected + sl.rejected)),
            ("machine ceiling: cores / (validators x CPU per tx) (tx/s)", f(self.ceiling_tx_per_s()), "-"),
            ("baseline: Ed25519 verify, 1 thread (sig/s)", f(self.ed25519_verify_per_s), ""),
            ("baseline: Ed25519 verify, 2 threads (sig/s)", f(self.ed25519_verify_per_s_2threads), ""),
        ]

    def table(self) -> str:
        head = f"{'':<58} {'4 validators':>14} {'1 validator':>14}"
        lines = [head, "-" * len(head)]
        lines += [f"{n:<58} {a:>14} {c:>14}" for n, a, c in self.rows()]
        return "\n".join(lines)


def _free_base_port(count: int) -> int:
    for base in range(31_000, 60_000, 50):
        socks: list[socket.socket] = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def _presign(chain_id: str, keys: Sequence[SigningKey], offset: int, count: int, expiry: int) -> list[bytes]:
    cycle = itertools.cycle(keys)
    out = []
    for i in range(offset, offset + count):
        body = RecordBody(i.to_bytes(32, "big"), "deed", f"bench {i}")
        t = txmod.build(
            chain_id, "attest", "record", encode(body), [next(cycle)], nonce=i, expiry_height=expiry
        )
        out.append(encode(t))
    return out


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_health(urls: Sequence[str], timeout_s: float = 60) -> None:
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
            time.sleep(0.1)


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


class _Drive:
    """Closed-loop load over the batch API plus a commit watcher on the first node."""

    def __init__(self, urls: Sequence[str], raws: list[bytes], batch: int) -> None:
        self.urls = list(urls)
        self.raws = raws
        self.batch = batch
        self.submitted_at: dict[bytes, float] = {}
        self.latencies_ms: list[float] = []
        self.window: tuple[float, float] | None = None
        self.in_window = 0
        self.rejected = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.heights: list[tuple[int, int]] = []  # (height, txs)
        self.next = 0

    def take(self) -> list[bytes]:
        with self.lock:
            batch = self.raws[self.next : self.next + self.batch]
            self.next += len(batch)
            return batch

    def submit_loop(self, url: str, period_s: float) -> None:
        """One submitter per node (each node admits in parallel).

        `period_s` 0: closed loop (post again as soon as there is room in flight); otherwise open
        loop: one batch every `period_s`, on a fixed schedule whatever the node's pace.
        """
        next_at = time.perf_counter()
        with httpx.Client(timeout=60) as http:
            while not self.stop.is_set():
                if period_s:
                    next_at += period_s
                    pause = next_at - time.perf_counter()
                    if pause > 0:
                        self.stop.wait(pause)  # the open loop's schedule
                else:
                    with self.lock:
                        inflight = len(self.submitted_at)
                    if inflight > INFLIGHT_MAX:
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

    def watch_loop(self) -> None:
        url = self.urls[0]
        with httpx.Client(timeout=10) as http:
            seen = int(http.get(url + "/health").json()["height"])
            while not self.stop.is_set():
                tip = int(http.get(url + "/health").json()["height"])
                for h in range(seen + 1, tip + 1):
                    receipts = http.get(f"{url}/v1/blocks/{h}/receipts").json()["receipts"]
                    now = time.perf_counter()
                    ids = [base64.b64decode(r["tx_id"]) for r in receipts]  # JSON bytes are base64
                    self._committed(h, ids, now)
                seen = tip
                self.stop.wait(0.02)

    def _committed(self, height: int, ids: list[bytes], now: float) -> None:
        with self.lock:
            n = 0
            for tid in ids:
                t0 = self.submitted_at.pop(tid, None)
                if t0 is None:
                    continue
                n += 1
                if self.window is not None and self.window[0] <= now <= self.window[1]:
                    self.latencies_ms.append((now - t0) * 1000)
            if self.window is not None and self.window[0] <= now <= self.window[1]:
                self.in_window += n
                self.heights.append((height, n))


def _measure(urls: list[str], pids: list[int], duration_s: float, raws: list[bytes], rate: int = 0) -> Phase:
    """Closed loop (`rate` 0) or open loop at `rate` tx/s over all nodes, for `duration_s`."""
    batch = BATCH if rate == 0 else BATCH_OPEN
    period_s = 0.0 if rate == 0 else len(urls) * batch / rate
    drive = _Drive(urls, raws, batch)
    loader_cpu0 = time.process_time()
    threads = [threading.Thread(target=drive.submit_loop, args=(url, period_s), daemon=True) for url in urls]
    threads.append(threading.Thread(target=drive.watch_loop, daemon=True))
    for t in threads:
        t.start()
    time.sleep(WARMUP_S)  # warm-up: mempools and block sizes reach their steady state
    frames0, bytes0 = _net_counters(urls) if len(urls) > 1 else (0, 0)
    cpu0 = [_cpu_s(p) for p in pids]
    start = time.perf_counter()
    drive.window = (start, start + duration_s)
    time.sleep(duration_s)  # the measured window
    elapsed = time.perf_counter() - start
    cpu = sum(_cpu_s(p) for p in pids) - sum(cpu0)
    frames1, bytes1 = _net_counters(urls) if len(urls) > 1 else (0, 0)
    drive.stop.set()
    for t in threads:
        t.join(60)
    committed = drive.in_window
    blocks = len(drive.heights) or 1
    lat = sorted(drive.latencies_ms) or [0.0]
    return Phase(
        offered_tx_per_s=rate,
        duration_s=elapsed,
        committed=committed,
        tx_per_s=committed / elapsed,
        finality_ms_p50=statistics.median(lat),
        finality_ms_p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        blocks=len(drive.heights),
        txs_per_block=committed / blocks,
        msgs_per_block=(frames1 - frames0) / blocks,
        bytes_per_block=(bytes1 - bytes0) / blocks,
        cpu_us_per_tx_per_validator=cpu / max(committed, 1) / len(pids) * 1e6,
        loader_cpu_s=time.process_time() - loader_cpu0,
        rejected=drive.rejected,
    )


def _run_network(root: Path, validators: int, duration_s: float) -> NetResult:
    home = root / f"net{validators}"
    base = _free_base_port(2 * validators + 2)
    create_network(
        home, validators=validators, base_port=base, chain_id=f"bench-{validators}", scrypt_n=SCRYPT_N
    )
    env = {"GOVLEDGER_PASSPHRASE": DEV_PASSPHRASE, "GOVLEDGER_SCRYPT_N": str(SCRYPT_N)}
    keys = [load_key(home / "network" / "keys" / f"{k}.key.json", DEV_PASSPHRASE) for k in ISSUERS]
    solo: subprocess.Popen[bytes] | None = None
    try:
        manifest = load_manifest(home)
        if validators > 1:
            start_nodes(home, env=env)
            manifest = load_manifest(home)
            pids = [n.pid for n in manifest.nodes]
        else:  # the single-validator baseline runs the solo orderer (`node start` without --bft)
            node = manifest.nodes[0]
            log = open(Path(node.home) / "node.log", "ab")  # noqa: SIM115 - closed after the process
            solo = subprocess.Popen(
                [sys.executable, "-m", "govledger.cli.main", "--home", node.home, "node", "start",
                 "--port", str(node.api_port), "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True,
            )  # fmt: skip
            log.close()
            pids = [solo.pid]
        urls = [n.url for n in manifest.nodes]
        _wait_health(urls)
        expiry = 50_000  # within the 100,000-block window of tx.expiry_too_far
        raws = _presign(manifest.chain_id, keys, 0, int((duration_s + WARMUP_S + 5) * RATE_CEILING), expiry)
        capacity = _measure(urls, pids, duration_s, raws)
        _drain(urls)  # the latency phase must not inherit the capacity phase's backlog
        rate = max(100, int(capacity.tx_per_s * OPEN_LOOP_SHARE))
        raws = _presign(manifest.chain_id, keys, len(raws), int((duration_s + WARMUP_S + 2) * rate), expiry)
        latency = _measure(urls, pids, duration_s, raws, rate)
        return NetResult(validators, capacity, latency)
    finally:
        if solo is not None:
            solo.terminate()
            try:
                solo.wait(30)
            except subprocess.TimeoutExpired:
                solo.kill()
        else:
            stop_nodes(home)


def run_bft(duration_s: float, smoke: bool) -> BftResult:
    """4 validators then 1, same load, same machine, same run; prints and returns both."""
    duration = min(duration_s, 3.0) if smoke else duration_s
    n_sig = 2_000 if smoke else 20_000
    v1 = baselines.ed25519_verify_per_s(n_sig)
    v2 = baselines.ed25519_batch_verify_per_s(n_sig, threads=2)
    with tempfile.TemporaryDirectory(dir=".", prefix="bft-bench-") as tmp:
        root = Path(tmp)
        bft = _run_network(root, 4, duration)
        single = _run_network(root, 1, duration)
    result = BftResult(bft, single, v1, v2)
    print(result.table(), flush=True)
    if smoke:
        phases = (bft.capacity, bft.latency, single.capacity, single.latency)
        assert all(ph.committed > 0 for ph in phases), "smoke run committed nothing"
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--duration", type=float, default=20.0)
    args = ap.parse_args()
    run_bft(args.duration, args.smoke)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
