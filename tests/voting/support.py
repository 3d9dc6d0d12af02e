"""What the ElectionGuard tests (tests/voting) and the voting app's tests (tests/apps/voting) share:
seeded randomness, the verifier steps every full election record exercises, and the set-up of the
1,000-ballot runs."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable

import pytest

from govledger.voting import group as gr
from govledger.voting.verify import Report


class SeededRandom:
    """A deterministic RandomSource for tests only (random.Random is not a CSPRNG)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return self._random.randrange(exclusive_upper_bound)

    def token_bytes(self, nbytes: int) -> bytes:
        return self._random.randbytes(nbytes)


RECORD_STEPS = ("1.H", "2.C", "3.B", "4.A", "5.D", "6.D", "7.B", "7.C", "7.E", "7.G", "8.A", "9.B", "10.A")
"""The verifier's steps from the base hash to the decrypted tally, in order."""


def assert_steps_passed(report: Report, steps: Iterable[str]) -> None:
    """Each of `steps` passed at least once."""
    for step in steps:
        assert report.passed[step] > 0, step


def slow_marks(reason: str) -> list[pytest.MarkDecorator]:
    """The marks of a test that takes minutes: slow, an hour's timeout, and skipped (`reason`) unless
    GOVLEDGER_SLOW_TESTS=1."""
    return [
        pytest.mark.slow,
        pytest.mark.timeout(3600),
        pytest.mark.skipif(os.environ.get("GOVLEDGER_SLOW_TESTS") != "1", reason=reason),
    ]


def powmod_baseline_ms() -> float:
    """The machine's speed, for the record: one 4096/256-bit powmod in milliseconds (the mean of 20)."""
    started = time.perf_counter()
    for _ in range(20):
        gr.powmod(gr.G, gr.Q - 12345, gr.P)
    return (time.perf_counter() - started) / 20 * 1e3
