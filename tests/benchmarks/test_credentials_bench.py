"""The credentials benchmark's smoke run: every verifier produces figures and the section is well formed."""

from __future__ import annotations

import re
import shutil

from benchmarks import credentials_bench


def test_smoke_section_has_every_row_with_a_baseline() -> None:
    lines = credentials_bench.section(smoke=True)
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/credentials_bench.py`" in line for line in lines)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| checks")]
    assert len(rows) == 5
    figures = [re.findall(r"([\d,]+) \(([\d,]+) - ([\d,]+)\)", row) for row in rows]
    for row, found in zip(rows, figures, strict=True):
        assert found, row
        median, low, high = (int(x.replace(",", "")) for x in found[0])
        assert 0 < low <= median <= high, row
    sd_jwt = [row for row in rows if row.startswith("| SD-JWT")]
    assert all(re.search(r"\| \d+\.\d\d \|$", row) for row in sd_jwt), "SD-JWT rows need a ratio"
    documents = rows[:2]
    if shutil.which("node") and shutil.which("npm"):
        # OpenAttestation's verifier ran beside ours on the same documents.
        assert all(len(re.findall(r"[\d,]+ \([\d,]+ - [\d,]+\)", row)) == 2 for row in documents)
    else:
        assert all("n/a" in row for row in documents)
