"""Micro-benchmark of the ElectionGuard core: ms per 3-contest ballot, beside the raw powmod cost.

Run: ``.venv/bin/python -m tests.voting.bench_voting [--ballots 20]``

Every figure is printed next to the cost of one 4096-bit modular exponentiation with a 256-bit
exponent measured in the same run, because the reference machine is shared and noisy: the ratio
("powmod equivalents") is the stable number. The ballot is the test manifest's "all" style: three
contests, nine options (1-of-3, 2-of-4, 1-of-2), so nine 0/1 range proofs and three limit proofs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from govledger.voting import group as gr
from govledger.voting.ballot import encrypt_ballot, plaintext_ballot
from govledger.voting.verify import BallotChecker

from .conftest import SeededRandom, make_election


def timed_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) wall-clock milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e3)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=20)
    args = parser.parse_args()

    exponent = gr.Q - 123456789
    powmod_ms, powmod_min = timed_ms(lambda: gr.powmod(gr.G, exponent, gr.P), 50)
    table_ms, table_min = timed_ms(lambda: gr.g_pow(exponent), 200)

    started = time.perf_counter()
    election = make_election(5, 3, seed=1)
    ceremony_s = time.perf_counter() - started
    ctx = election.ctx
    plain = plaintext_ballot(
        ctx.manifest,
        "bench",
        "all",
        {"mayor": {"bob": 1}, "council": {"dan": 1, "grace": 1}, "measure-1": {"yes": 1}},
    )
    rng = SeededRandom(7)
    ballots = []

    def encrypt() -> None:
        ballots.append(encrypt_ballot(ctx, plain, device="bench", aux=b"", rng=rng)[0])

    enc_ms, enc_min = timed_ms(encrypt, args.ballots)
    checker = BallotChecker(ctx.manifest, ctx.joint_key, ctx.extended_base_hash)
    it = iter(ballots)

    def verify() -> None:
        assert checker.verify_ballot(next(it)).ok

    ver_ms, ver_min = timed_ms(verify, min(args.ballots, len(ballots)))

    print("ElectionGuard 2.0 core, gmpy2 " + str(__import__("gmpy2").version()))
    print(f"{'operation':<44}{'median ms':>10}{'min ms':>10}{'powmods':>10}")
    rows = [
        ("powmod 4096-bit, 256-bit exponent (baseline)", powmod_ms, powmod_min),
        ("g^e through the 8-bit fixed-base table", table_ms, table_min),
        ("encrypt + prove a 3-contest ballot (9 options)", enc_ms, enc_min),
        ("verify that ballot (Verification 5, 6, 7.A-B)", ver_ms, ver_min),
    ]
    for name, median, best in rows:
        print(f"{name:<44}{median:>10.2f}{best:>10.2f}{median / powmod_ms:>10.1f}")
    print(f"key ceremony 5 guardians, quorum 3, all checks: {ceremony_s:.2f} s")


if __name__ == "__main__":
    main()
