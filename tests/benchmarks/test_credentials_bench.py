"""The credentials benchmark's smoke run: every verifier produces figures and the section is well formed."""

from __future__ import annotations

import importlib.util
import re
import shutil

from benchmarks import credentials_bench

FIGURE = r"[\d,]+ \([\d,]+ - [\d,]+\)"


def test_smoke_section_has_every_row_with_its_baseline() -> None:
    lines = credentials_bench.section(smoke=True)
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/credentials_bench.py`" in line for line in lines)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| checks")]
    assert len(rows) == 7
    for row in rows:
        found = re.findall(r"([\d,]+) \(([\d,]+) - ([\d,]+)\)", row)
        assert found, row
        for figure in found:
            median, low, high = (int(x.replace(",", "")) for x in figure)
            assert 0 < low <= median <= high, row
    documents, ledger, sd_jwt, mdocs = rows[:2], rows[2], rows[3:5], rows[5:]
    assert "n/a" in ledger and ledger.endswith("|  |")  # no baseline can run the ledger checks
    assert all(re.search(rf"{FIGURE} \| {FIGURE} \|.*\| \d+\.\d\d \|$", r) for r in sd_jwt)
    if shutil.which("node") and shutil.which("npm"):
        # OpenAttestation's verifier ran beside ours on the same documents.
        assert all(re.search(rf"{FIGURE} \| {FIGURE} \|.*\| \d+\.\d\d \|$", r) for r in documents)
    else:
        assert all("n/a" in r for r in documents)
    if importlib.util.find_spec("pymdoccbor") is not None:
        assert all(re.search(rf"{FIGURE} \| {FIGURE} \|.*\| \d+\.\d\d \|$", r) for r in mdocs)
