"""The voting benchmark's smoke run: ours only (electionguard 1.4.0 needs its own Python 3.10 venv),
every column measured, the section well formed."""

from __future__ import annotations

import re

from benchmarks import voting_bench


def test_smoke_section_measures_encryption_and_both_verifications() -> None:
    lines = voting_bench.section(smoke=True)
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/voting_bench.py`" in line for line in lines)
    table = [line for line in lines if line.startswith("| ") and "median |" not in line]
    rows = {line.split(" | ")[0][2:]: line for line in table}
    assert set(rows) == {"encrypt + prove", "verify", "verify + commitments", "ledger check (cast)"}
    for name, row in rows.items():
        median, low, high = (float(x) for x in re.findall(r"\| ([\d.]+)", row)[:3])
        assert 0 < low <= median <= high, (name, row)
        assert "not measured" in row  # the smoke run leaves the 1.4.0 venv alone
