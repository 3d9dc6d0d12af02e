"""Command line: run many seeds (or one, to reproduce it) and print a summary.

    python -m govledger.consensus.sim --seeds 300
    python -m govledger.consensus.sim --seed 1234 --trace      # replay one seed, event by event
    python -m govledger.consensus.sim --seeds 50 --byzantine equivocate --byzantine-count 2 \
        --validators 4                                         # beyond 1/3: expect violations

Exit status: 0 when no seed found a violation, 1 otherwise; each failing seed prints the exact
command that reproduces it.
"""

from __future__ import annotations

import argparse
import sys
import time

from govledger.consensus.sim.runner import run_seed
from govledger.consensus.sim.scenario import BYZANTINE_MODES, FAULT_KINDS, SimOptions


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govledger.consensus.sim", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=300, help="number of seeds to run (from --first-seed)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--seed", type=int, default=None, help="run exactly this seed")
    p.add_argument("--validators", type=int, default=4)
    p.add_argument("--heights", type=int, default=20)
    p.add_argument("--byzantine", choices=("none", "mixed", *BYZANTINE_MODES), default="mixed")
    p.add_argument("--byzantine-count", type=int, default=None)
    p.add_argument(
        "--faults", default=",".join(FAULT_KINDS), help=f"comma list of {','.join(FAULT_KINDS)}, or 'none'"
    )
    p.add_argument("--equal-power", action="store_true")
    p.add_argument("--trace", action="store_true", help="print every event of the run (with --seed)")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    faults = () if args.faults in ("", "none") else tuple(f for f in args.faults.split(",") if f)
    bad = [f for f in faults if f not in FAULT_KINDS]
    if bad:
        print(f"unknown fault kinds: {', '.join(bad)}", file=sys.stderr)
        return 2
    options = SimOptions(
        validators=args.validators,
        heights=args.heights,
        byzantine=args.byzantine,
        byzantine_count=args.byzantine_count,
        faults=faults,
        equal_power=args.equal_power,
    )
    seeds = (
        [args.seed] if args.seed is not None else list(range(args.first_seed, args.first_seed + args.seeds))
    )
    started = time.perf_counter()
    failed = heights = messages = events = evidence = restarts = truncations = 0
    for seed in seeds:
        result = run_seed(seed, options, trace=args.trace)
        if args.trace:
            print("\n".join(result.trace_lines))
        heights += result.heights_decided
        messages += result.messages_sent
        events += result.events
        evidence += result.evidence
        restarts += result.restarts
        truncations += result.wal_truncations
        if not result.ok:
            failed += 1
            print(f"seed {seed}: VIOLATION {result.violations[0]}")
            print(f"  scenario: {result.scenario}")
            print(f"  reproduce: {result.repro}")
        elif not args.quiet and args.seed is not None:
            print(f"seed {seed}: ok, {result.heights_decided} heights, trace {result.trace_hash[:16]}")
    elapsed = time.perf_counter() - started
    print(
        f"seeds run: {len(seeds)}, seeds with violations: {failed}, heights decided: {heights}, "
        f"messages: {messages}, events: {events}, evidence: {evidence}, restarts: {restarts}, "
        f"wal tails cut: {truncations}, {elapsed:.1f}s ({len(seeds) / elapsed:.1f} seeds/s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
