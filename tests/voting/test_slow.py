"""The 1,000-ballot election (5 guardians, quorum 3, 2 absent), end to end through the verifier.

The record is verified twice: with the devices' proof commitments (the batched path, about 15
powmods a ballot) and as the bare ElectionGuard 2.0 record (every commitment recomputed, about 45).
On an idle reference core that is ~17 s to encrypt, ~40 s and ~120 s to verify; on the shared
machine, two to four times that: over the ~60 s a default run may spend on one test, so it runs
only when GOVLEDGER_SLOW_TESTS=1 is set:

    GOVLEDGER_SLOW_TESTS=1 .venv/bin/pytest tests/voting/test_slow.py -s
"""

from __future__ import annotations

import time

from govledger.voting.verify import verify_election

from .conftest import Election, build_record
from .support import powmod_baseline_ms, slow_marks

pytestmark = slow_marks("1,000-ballot election takes minutes; set GOVLEDGER_SLOW_TESTS=1 to run it")


def test_thousand_ballot_election(election_5_3: Election) -> None:
    powmod_ms = powmod_baseline_ms()
    built = build_record(
        election_5_3,
        1000,
        seed=1000,
        present=(1, 2, 4),
        reveal_ids=frozenset({10, 500}),
        decrypt_ids=frozenset({990}),
    )
    got = {c.label: [o.value for o in c.options] for c in built.record.tally.contests}
    assert got == built.expected
    print(f"\nencrypted in {built.seconds['encrypt']:.1f} s; verifying with commitments ...", flush=True)
    started = time.perf_counter()
    hinted = verify_election(built.record, commitments=built.commitments)
    hinted_s = time.perf_counter() - started
    assert hinted.ok, hinted.summary()
    assert hinted.passed["H"] >= len(built.record.ballots)
    print(f"verified with commitments in {hinted_s:.1f} s; verifying the bare record ...", flush=True)
    started = time.perf_counter()
    report = verify_election(built.record)
    verify_s = time.perf_counter() - started
    assert report.ok, report.summary()
    print(
        f"\n1000 ballots: encrypt {built.seconds['encrypt']:.1f} s, tally+decrypt "
        f"{built.seconds['tally_and_decrypt']:.1f} s, verify with commitments {hinted_s:.1f} s, "
        f"verify the bare record {verify_s:.1f} s (baseline powmod 4096/256 bits: {powmod_ms:.2f} ms)"
    )
