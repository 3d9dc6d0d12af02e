"""Run the benchmark suite and write docs/benchmarks.md.

`--smoke` (inside `make test`): a few seconds per figure, proves the suite runs; its numbers are
printed but not written. `--full` (`make bench`): the figures the issues ask for, written to
docs/benchmarks.md with the command, machine and date. Every figure sits beside a baseline measured
in the same run, because the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from benchmarks import baselines
from benchmarks.recovery_bench import run_recovery
from govledger.node.loadgen import NodeResult, run_node

DOC = Path("docs/benchmarks.md")
IMG = Path("docs/img")


def _median(fn, repeats: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    xs = [fn() for _ in range(repeats)]
    return statistics.median(xs), min(xs), max(xs)


SECTIONS = ("core", "profile", "bft", "pg", "land", "credentials", "scaling", "voting")


def main() -> int:
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--smoke", action="store_true")
    mode.add_argument("--full", action="store_true")
    ap.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {', '.join(SECTIONS)}; docs/benchmarks.md is written only for all",
    )
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    smoke = args.smoke
    started = time.perf_counter()
    rows: list[tuple[str, str, str]] = []
    budgets: list[tuple[str, str, str]] = []
    ratio = 0.0
    extra: list[str] = []
    if "core" in only:
        ratio, curve = _core(smoke, rows, budgets)
        if curve and not smoke:
            from benchmarks.plots import latency_curve

            latency_curve(curve, IMG / "node-latency.png", title="Single validator: load vs latency")
            extra += ["![single validator, load vs latency](img/node-latency.png)", ""]
    for name in ("profile", "bft", "pg", "land", "credentials", "scaling", "voting"):
        if name in only:
            print(f"== {name}", flush=True)
            extra += _section(name, smoke)
    print(f"== done in {time.perf_counter() - started:,.0f} s", flush=True)
    if smoke or set(only) != set(SECTIONS):
        return 0
    _write_doc(rows, ratio, budgets, extra)
    return 0


def _section(name: str, smoke: bool) -> list[str]:
    """A benchmark module's `section(smoke)`; a missing PostgreSQL server is a note in full runs."""
    if name == "pg":
        from benchmarks import pg_bench

        try:
            return pg_bench.section(smoke)
        except pg_bench.PgUnavailable as exc:
            if smoke:
                raise
            return ["## PostgreSQL baseline", "", f"Not measured in this run: {exc}", ""]
    module = importlib.import_module(f"benchmarks.{name}_bench")
    lines: list[str] = module.section(smoke)
    return lines


def _core(
    smoke: bool, rows: list[tuple[str, str, str]], budgets: list[tuple[str, str, str]]
) -> tuple[float, list[tuple[float, float, float]]]:
    """Baselines, the single validator closed and open loop, recovery: rows of the first table, and
    the foundation issue's budgets beside what this run measured."""
    n_sig = 2_000 if smoke else 20_000
    repeats = 1 if smoke else 3
    duration = 2.0 if smoke else 60.0

    def add(name: str, value: tuple[float, float, float], unit: str, fmt: str = "{:,.0f}") -> None:
        med, lo, hi = value
        rows.append((name, f"{fmt.format(med)} {unit}", f"{fmt.format(lo)} - {fmt.format(hi)}"))
        print(
            f"{name:<58} {fmt.format(med):>12} {unit}  (min {fmt.format(lo)}, max {fmt.format(hi)})",
            flush=True,
        )

    print("== baselines (this machine, this run)")
    v1 = _median(lambda: baselines.ed25519_verify_per_s(n_sig), repeats)
    add("Ed25519 verify, 1 thread", v1, "sig/s")
    v2 = _median(lambda: baselines.ed25519_batch_verify_per_s(n_sig, threads=2), repeats)
    add("Ed25519 verify, BatchVerifier 2 threads (ceiling)", v2, "sig/s")
    add("SHA-256 of 120 bytes", _median(lambda: baselines.sha256_per_s(100_000), repeats), "hash/s")
    add(
        "fsync of the data disk",
        _median(lambda: baselines.fsync_per_s(Path("."), 50 if smoke else 300), repeats),
        "fsync/s",
    )
    smt_keys = 10_000 if smoke else 1_000_000
    smt = _median(lambda: baselines.smt_update_us_per_change(smt_keys, 5_000), 1 if smoke else 3)
    add(f"Sparse Merkle tree update, 5,000-key batch on {smt_keys:,} keys", smt, "us/key", "{:,.1f}")

    print("== single validator, attest.record, durable commits")
    closed: list[NodeResult] = []
    in_process: list[NodeResult] = []  # the baseline: blocks on the node's own thread, under one GIL
    for _ in range(repeats):  # alternated, so both see the same machine
        closed.append(run_node(duration, 12_000))
        in_process.append(run_node(duration, 12_000, block_process=False))
    capacity = statistics.median(r.tx_per_s for r in closed)
    add(f"Node throughput, closed loop ({duration:.0f} s run)", _spread([r.tx_per_s for r in closed]), "tx/s")
    cpu = [r.cpu_us_per_tx for r in closed]
    add("Node CPU per transaction (both processes, all threads, closed loop)", _spread(cpu), "us", "{:,.0f}")
    add(
        "Baseline: blocks built in the node process, closed loop",
        _spread([r.tx_per_s for r in in_process]),
        "tx/s",
    )
    add(
        "Baseline: CPU per transaction, blocks in the node process",
        _spread([r.cpu_us_per_tx for r in in_process]),
        "us",
        "{:,.0f}",
    )
    ratio = capacity / v2[0]
    print(f"{'node throughput / 2-thread verification ceiling':<58} {ratio:>12.2f}")
    _print_runs(closed + in_process)
    curve: list[tuple[float, float, float]] = []
    open_runs: list[NodeResult] = []
    for share in (25, 50, 75, 100) if not smoke else (50,):
        rate = int(capacity * share / 100)
        runs = [run_node(duration, rate, open_loop_rate=rate)]  # one 60 s run per load level: time budget
        open_runs += runs
        add(
            f"Open loop at {share}% of capacity ({rate:,} tx/s offered): committed",
            _spread([r.tx_per_s for r in runs]),
            "tx/s",
        )
        add(f"Open loop at {share}%: submit-to-commit p50", _spread([r.latency_ms_p50 for r in runs]), "ms")
        add(f"Open loop at {share}%: submit-to-commit p99", _spread([r.latency_ms_p99 for r in runs]), "ms")
        curve.append((rate, runs[0].latency_ms_p50, runs[0].latency_ms_p99))
        _print_runs(runs)
    print("== recovery after kill -9")
    rec = run_recovery(20_000 if smoke else 1_000_000)
    label = f"Restart after kill -9 with {rec.txs_on_disk:,} txs on disk"
    rows.append((label, f"{rec.restart_ms:,} ms", ""))
    print(f"{label:<58} {rec.restart_ms:>12,} ms")
    if smoke:
        assert all(r.committed > 0 and r.rejected == 0 for r in closed + open_runs), (
            "smoke run committed nothing or rejected load"
        )
    cpu_med = statistics.median(cpu)
    budgets += [
        (
            "single validator: >= 10,000 tx/s, or >= 0.5 of the 2-thread verification ceiling",
            f"{capacity:,.0f} tx/s = {ratio:.2f} of {v2[0]:,.0f} sig/s",
            _met(capacity >= 10_000 or ratio >= 0.5),
        ),
        ("CPU per transaction in the node <= 150 us", f"{cpu_med:,.0f} us", _met(cpu_med <= 150)),
        *[
            (
                f"p99 submit-to-commit < 1 s (open loop at {rate:,.0f} tx/s)",
                f"{p99:,.0f} ms",
                _met(p99 < 1000),
            )
            for rate, _, p99 in curve
        ],
        (
            f"restart after kill -9 with {rec.txs_on_disk:,} txs on disk < 10 s",
            f"{rec.restart_ms:,} ms",
            _met(rec.restart_ms < 10_000),
        ),
    ]
    return ratio, curve


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _spread(xs: list[float]) -> tuple[float, float, float]:
    return statistics.median(xs), min(xs), max(xs)


def _print_runs(runs: list[NodeResult]) -> None:
    for r in runs:
        per_block = f"median {r.txs_per_block_median:.0f} tx/block"
        summary = f"{r.committed:,} txs in {r.duration_s:.1f} s, {r.blocks} blocks"
        print(f"   run: {summary}, {per_block}, {r.rejected} rejected")


def _write_doc(
    rows: list[tuple[str, str, str]], ratio: float, budgets: list[tuple[str, str, str]], extra: list[str]
) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks.run --full`); do not edit by hand.",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}",
        "- closed-loop and baseline figures are the median of 3 runs (min - max beside them),",
        "  open-loop one 60 s run per level (25, 50, 75 and 100% of the closed-loop capacity);",
        "  every figure has its baseline from the same run",
        "",
        "| figure | median | min - max |",
        "|---|---|---|",
        *[f"| {n} | {v} | {r} |" for n, v, r in rows],
        f"| node throughput / 2-thread verification ceiling | {ratio:.2f} | |",
        "",
        "Workload: pre-signed `attest.record` transactions (Ed25519, one state write, one governance role",
        "check), submitted in batches of 1,000 to the node in-process (closed loop: the next batch when the",
        "last is answered; open loop: batches on a fixed clock), blocks of up to 5,000 transactions or",
        "every 200 ms, each block committed durably (LMDB fsync) before its transactions count as committed.",
        "The node runs as `node start` runs a solo node: admission in the node process, blocks built and",
        "written by its block process (`node/block_process.py`); the baseline rows build blocks on the node",
        "process's own thread instead, alternated with the headline runs. The same signed writes on",
        "PostgreSQL are in the PostgreSQL section below.",
        "",
        "## The foundation's budgets, this run",
        "",
        "| budget | measured | |",
        "|---|---|---|",
        *[f"| {b} | {m} | {ok} |" for b, m, ok in budgets],
        "",
        *extra,
    ]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    raise SystemExit(main())
