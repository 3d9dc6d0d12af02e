"""The land benchmark's smoke run, and its workload: every measured transfer is a real, valid one."""

from __future__ import annotations

import re

from benchmarks import land_bench
from govledger.apps.land.model import Transfer
from govledger.codec import decode
from govledger.ledger import tx as txmod


def test_the_workload_signs_every_seller_every_buyer_and_a_notary() -> None:
    work = land_bench.LandWorkload(transfers=8)
    stages, transfers = work.prepare(100)
    assert [len(s) for s in stages] == [land_bench.PARTIES, 8] and len(transfers) == 8, "bounded load"
    notaries = {k.public_key for k in work.notaries}
    parties = [k.public_key for k in work.parties]
    for raw in transfers:
        t = txmod.decode_tx(raw)
        body = decode(t.payload.body, Transfer)
        assert (t.payload.app, t.payload.op) == ("land", "transfer")
        signers = t.payload.signers
        assert len(t.signatures) == len(signers) == len(body.sellers) + len(body.buyers) + 1
        assert signers[-1] in notaries
        named = [parties[int(h.party_id.removeprefix("person-"))] for h in body.sellers + body.buyers]
        assert signers[:-1] == named
    assert len({decode(txmod.decode_tx(r).payload.body, Transfer).parcel_id for r in transfers}) == 8
    assert work.signatures_per_tx == (5 + 3 * 3 + 5 + 3 * 3) / 8


def test_smoke_section_has_figures_beside_the_baseline() -> None:
    lines = land_bench.section(smoke=True)
    assert lines[0].startswith("## ")
    assert any("`make bench`, module `benchmarks/land_bench.py`" in line for line in lines)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| figure")]
    assert len(rows) == len(land_bench.ROWS) + len(land_bench.OPEN_ROWS) + 1
    for row in rows[: len(land_bench.ROWS)]:
        found = re.findall(r"([\d,]+) \(([\d,]+) - ([\d,]+)\)", row)
        assert len(found) == 2, row  # land and simple, each median (min - max)
        for median, low, high in found:
            m, lo, hi = (int(x.replace(",", "")) for x in (median, low, high))
            assert 0 < lo <= m <= hi, row
        assert re.search(r"\| \d+\.\d\d \|$", row), f"ratio missing: {row}"
