"""The 1,000-ballot election on the real chain, exported and verified (minutes: each ballot's proofs are
checked once by the ledger and once by the verifier, ~0.15 s each on the reference machine), so it
runs only when GOVLEDGER_SLOW_TESTS=1 is set:

    GOVLEDGER_SLOW_TESTS=1 .venv/bin/pytest tests/apps/voting/test_slow.py -s
"""

from __future__ import annotations

import time
from pathlib import Path

from govledger.apps.voting import record
from tests.voting.support import powmod_baseline_ms, slow_marks

from . import world as w
from .harness import CHAIN_ID, VotingChain

pytestmark = slow_marks("the 1,000-ballot election takes minutes; set GOVLEDGER_SLOW_TESTS=1 to run it")


def test_thousand_ballot_election_on_the_chain(tmp_path: Path) -> None:
    powmod_ms = powmod_baseline_ms()
    chain = VotingChain(tmp_path / "chain")
    try:
        started = time.perf_counter()
        outcome = w.run_election(chain, 1000, seed=1000)
        chain_s = time.perf_counter() - started
        exported = record.export_election(record.view_fetch(chain.view, chain.height), CHAIN_ID, w.E)
    finally:
        chain.close()
    assert {c.label: [o.value for o in c.options] for c in exported.record.tally.contests} == outcome.expected
    started = time.perf_counter()
    report = record.verify_export(exported)
    verify_s = time.perf_counter() - started
    assert report.ok, report.summary()
    print(
        f"\n1000 ballots ({len(outcome.counted)} counted, {len(outcome.superseded)} superseded, "
        f"{len(outcome.challenged)} challenged): ceremony to result on the chain {chain_s:.0f} s, "
        f"export verified in {verify_s:.0f} s (baseline powmod 4096/256 bits: {powmod_ms:.2f} ms)"
    )
