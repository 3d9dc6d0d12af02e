"""Answering reads with proofs: run an app query on a snapshot, prove every key it read; prove a
committed transaction and its receipt."""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.codec import Record, encode
from govledger.crypto import merkle_log
from govledger.errors import GovledgerError
from govledger.ledger.app import App, AppView
from govledger.ledger.block import tx_leaf_hashes
from govledger.ledger.chain import Chain
from govledger.ledger.past_state import PastState
from govledger.ledger.proofs import KeyProof, StateProof, TxProof
from govledger.ledger.state import split_state_key, state_key, state_key_hash
from govledger.ledger.storage import Snapshot, Storage

MAX_PROVED_KEYS = 1000


class RecordingReader:
    """A StateReader that remembers every key read, so each can be proved afterwards."""

    def __init__(self, base: Snapshot | PastState) -> None:
        self._base = base
        self.read: dict[bytes, bytes | None] = {}

    def get(self, full_key: bytes) -> bytes | None:
        v = self._base.get(full_key)
        self.read[full_key] = v
        return v

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        rows = self._base.scan_prefix(prefix, limit, start_after)
        for k, v in rows:
            self.read[k] = v
        return rows


class QueryAnswer(Record, frozen=True):
    height: int
    result: Any
    proof: StateProof


def prove(chain: Chain, height: int, read: dict[bytes, bytes | None]) -> StateProof:
    if len(read) > MAX_PROVED_KEYS:
        raise GovledgerError("query.too_broad", f"a query may read at most {MAX_PROVED_KEYS} keys")
    entries = []
    for full_key in sorted(read):
        app, key = split_state_key(full_key)
        entries.append(KeyProof(app, key, read[full_key], chain.tree.prove(state_key_hash(full_key), height)))
    block = chain.storage.block(height)
    assert block is not None, "snapshot height has no block"
    return StateProof(
        height=height, entries=entries, header=block.header, commit=chain.storage.commit(height)
    )


def read_key(chain: Chain, app: str, key: bytes, height: int | None = None) -> StateProof:
    """Prove one key at `height` (default: latest)."""
    tip = chain.storage.height()
    h = tip if height is None else height
    if not 0 <= h <= tip:
        raise GovledgerError("query.unknown_height", f"height {h} is not committed (tip {tip})")
    full = state_key(app, key)
    value = chain.storage.get_at(full, h)
    return prove(chain, h, {full: value})


def run_query(chain: Chain, app: App, name: str, params: Any, height: int | None = None) -> QueryAnswer:
    """Run `app`'s query `name` on the state at `height` (default: latest), proving what it read.

    `params` is a dict (JSON) converted strictly. A past height reads the history table
    (ledger/past_state.py) and is proved against that height's state root.
    """
    query = app.queries.get(name)
    if query is None:
        raise GovledgerError("query.unknown", f"app {app.name!r} has no query {name!r}")
    try:
        typed = msgspec.convert(params or {}, type=query.params, strict=False)
    except msgspec.ValidationError as exc:
        raise GovledgerError("query.bad_params", f"{app.name}.{name}: {exc}") from None
    state: Snapshot | PastState = (
        chain.storage.snapshot() if height is None else PastState(chain.storage, height)
    )
    with state:
        reader = RecordingReader(state)
        result = query.run(AppView(reader, app.name), typed)
        at = state.height
        read = dict(reader.read)
    return QueryAnswer(height=at, result=result, proof=prove(chain, at, read))


def tx_proof(storage: Storage, tid: bytes) -> TxProof | None:
    """RFC 9162 paths of a committed transaction and its receipt to its header's roots (None: not
    committed)."""
    loc = storage.tx_location(tid)
    if loc is None:
        return None
    height, index = loc
    block = storage.block(height)
    receipts = storage.receipts(height)
    if block is None or receipts is None:
        raise GovledgerError("block.not_found", f"block {height} is missing")
    receipt_leaves = [merkle_log.leaf_hash(encode(r)) for r in receipts]
    return TxProof(
        tx=block.txs[index],
        index=index,
        tx_path=merkle_log.inclusion_proof(tx_leaf_hashes(block.txs), index),
        receipt=receipts[index],
        receipt_path=merkle_log.inclusion_proof(receipt_leaves, index),
        header=block.header,
        commit=storage.commit(height),
    )
