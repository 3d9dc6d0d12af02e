"""State at a past height (ledger/past_state.py) against a dict model of every height, including keys
that are byte prefixes of each other (their history entries interleave in the table)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.errors import GovledgerError
from govledger.ledger.past_state import PastState
from govledger.ledger.storage import Storage, be64

from .test_scan_paging import KEYS, MAYBE, WRITES, apply, model_scan

_BYTE = st.sampled_from([b"\x00", b"\x01", b"a", b"\xff"])


def _history(path: Path, blocks: list[dict[bytes, bytes | None]]) -> Storage:
    """Blocks 1..n written as storage writes them: `history` entries and the height."""
    storage = Storage(path, sync=False)
    with storage.env.begin(write=True) as txn:
        for h, writes in enumerate(blocks, start=1):
            for k, v in writes.items():
                txn.put(k + be64(h), b"\x00" if v is None else b"\x01" + v, db=storage.table("history"))
        txn.put(b"height", be64(len(blocks)), db=storage.table("meta"))
    return storage


@settings(max_examples=120, deadline=None)
@given(
    blocks=st.lists(WRITES, min_size=1, max_size=5),
    probes=st.lists(KEYS, max_size=6),
    prefix=st.lists(_BYTE, max_size=2).map(b"".join),
    limit=st.integers(0, 6),
    start_after=MAYBE,
)
def test_every_height_reads_like_the_model(
    blocks: list[dict[bytes, bytes | None]],
    probes: list[bytes],
    prefix: bytes,
    limit: int,
    start_after: bytes | None,
) -> None:
    states = [{}]
    for writes in blocks:
        states.append(apply(states[-1], writes))
    with tempfile.TemporaryDirectory() as tmp:
        storage = _history(Path(tmp), blocks)
        try:
            for h, model in enumerate(states):
                with PastState(storage, h) as past:
                    for k in [*probes, *model]:
                        assert past.get(k) == model.get(k), (h, k)
                    got = past.scan_prefix(prefix, limit, start_after)
                    assert got == model_scan(model, prefix, limit, start_after), h
        finally:
            storage.close()


def test_heights_outside_the_chain_are_refused(tmp_path: Path) -> None:
    storage = _history(tmp_path, [{b"k": b"v"}])
    try:
        for bad in (-1, 2):
            with pytest.raises(GovledgerError) as exc:
                PastState(storage, bad)
            assert exc.value.code == "query.unknown_height"
    finally:
        storage.close()
