"""Prefix scans with `start_after`, at every layer (LMDB store, snapshot, block and tx buffers, AppView),
against a dict model; and paging through a listing longer than MAX_SCAN."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.ledger.app import MAX_SCAN, AppView
from govledger.ledger.state import BlockBuffer, StateReader, TxBuffer, state_key
from govledger.ledger.storage import Storage

# A small alphabet, so prefixes, start keys and stored keys collide often (0x00 and 0xff are the edges).
_BYTE = st.sampled_from([b"\x00", b"\x01", b"a", b"\xff"])
KEYS = st.lists(_BYTE, min_size=1, max_size=4).map(b"".join)
MAYBE = st.none() | st.lists(_BYTE, min_size=0, max_size=4).map(b"".join)
VALUES = st.binary(min_size=0, max_size=3)
WRITES = st.dictionaries(KEYS, st.none() | VALUES, max_size=8)


def model_scan(
    data: dict[bytes, bytes], prefix: bytes, limit: int, start_after: bytes | None
) -> list[tuple[bytes, bytes]]:
    keys = sorted(k for k in data if k.startswith(prefix) and (start_after is None or k > start_after))
    return [(k, data[k]) for k in keys[:limit]]


def apply(data: dict[bytes, bytes], writes: dict[bytes, bytes | None]) -> dict[bytes, bytes]:
    out = dict(data)
    for k, v in writes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _stored(path: Path, data: dict[bytes, bytes]) -> Storage:
    storage = Storage(path, sync=False)
    with storage.env.begin(write=True) as txn:
        for k, v in data.items():
            txn.put(k, v, db=storage._db["state"])
    return storage


@settings(max_examples=150, deadline=None)
@given(
    committed=st.dictionaries(KEYS, VALUES, max_size=12),
    block_writes=WRITES,
    tx_writes=WRITES,
    prefix=st.lists(_BYTE, max_size=2).map(b"".join),
    limit=st.integers(0, 6),
    start_after=MAYBE,
)
def test_every_layer_scans_like_the_model(
    committed: dict[bytes, bytes],
    block_writes: dict[bytes, bytes | None],
    tx_writes: dict[bytes, bytes | None],
    prefix: bytes,
    limit: int,
    start_after: bytes | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        storage = _stored(Path(tmp), committed)
        try:
            with storage.snapshot() as snap:
                block = BlockBuffer(snap)
                block.writes.update(block_writes)
                tx = TxBuffer(block)
                tx.writes.update(tx_writes)
                after_block = apply(committed, block_writes)
                layers: list[tuple[StateReader, dict[bytes, bytes]]] = [
                    (storage, committed),
                    (snap, committed),
                    (block, after_block),
                    (tx, apply(after_block, tx_writes)),
                ]
                for reader, model in layers:
                    got = reader.scan_prefix(prefix, limit, start_after)
                    assert got == model_scan(model, prefix, limit, start_after), type(reader).__name__
        finally:
            storage.close()


@settings(max_examples=60, deadline=None)
@given(
    committed=st.dictionaries(KEYS, VALUES, max_size=12),
    tx_writes=WRITES,
    prefix=st.lists(_BYTE, max_size=1).map(b"".join),
    page=st.integers(1, 4),
)
def test_paging_with_start_after_lists_everything_once(
    committed: dict[bytes, bytes], tx_writes: dict[bytes, bytes | None], prefix: bytes, page: int
) -> None:
    """Following `start_after` = last key of the previous page visits the model's listing exactly."""
    full = {state_key("app", k): v for k, v in committed.items()}
    with tempfile.TemporaryDirectory() as tmp:
        storage = _stored(Path(tmp), full)
        try:
            with storage.snapshot() as snap:
                tx = TxBuffer(BlockBuffer(snap))
                tx.writes.update({state_key("app", k): v for k, v in tx_writes.items()})
                view = AppView(tx, "app")
                seen: list[tuple[bytes, bytes]] = []
                last: bytes | None = None
                while True:
                    rows = view.scan(prefix, page, start_after=last)
                    seen += rows
                    if len(rows) < page:
                        break
                    last = rows[-1][0]
        finally:
            storage.close()
    expected = model_scan(apply(committed, tx_writes), prefix, 10**6, None)
    assert seen == expected


def test_pages_continue_past_max_scan() -> None:
    count = MAX_SCAN * 2 + 7
    data = {state_key("app", b"item/%05d" % i): b"v" for i in range(count)}
    data[state_key("app", b"other")] = b"x"
    with tempfile.TemporaryDirectory() as tmp:
        storage = _stored(Path(tmp), data)
        try:
            with storage.snapshot() as snap:
                view = AppView(snap, "app")
                first = view.scan(b"item/", limit=count)
                assert len(first) == MAX_SCAN, "one scan is capped"
                keys = [k for k, _ in first]
                while True:
                    more = view.scan(b"item/", limit=count, start_after=keys[-1])
                    if not more:
                        break
                    keys += [k for k, _ in more]
        finally:
            storage.close()
    assert keys == [b"item/%05d" % i for i in range(count)]


def test_a_start_key_longer_than_any_stored_key() -> None:
    """LMDB refuses seek keys over 511 bytes; a start key that long still pages correctly."""
    stored = b"k/" + b"a" * 500
    data = {stored: b"1", stored + b"b": b"2", b"k/b": b"3"}
    with tempfile.TemporaryDirectory() as tmp:
        storage = _stored(Path(tmp), data)
        try:
            for start in (stored + b"a" * 100, stored[:-1] + b"b" * 100, b"k/" + b"\xff" * 600):
                assert storage.scan_prefix(b"k/", 10, start) == model_scan(data, b"k/", 10, start)
                with storage.snapshot() as snap:
                    assert snap.scan_prefix(b"k/", 10, start) == model_scan(data, b"k/", 10, start)
        finally:
            storage.close()
