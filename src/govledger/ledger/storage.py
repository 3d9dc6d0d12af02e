"""Embedded storage on LMDB: one atomic, durable write transaction per block.

Layout (one LMDB environment, named databases):
- `meta`      b"height" -> be64 last committed height; b"genesis" -> the genesis document
- `blocks`    be64(h) -> Block;  `commits` be64(h) -> Commit;  `receipts` be64(h) -> list[Receipt]
- `txindex`   tx id -> be64(h) || be32(index)   (also the replay-protection index)
- `state`     full key -> latest value
- `history`   full key || be64(h) -> 0x01 || value, or 0x00 for a deletion at h
- `nodes`     sparse Merkle tree nodes (immutable, keyed by version and path)
- `valsets`   validator-set hash -> ValidatorSet
- `subjects`  app 0x00 subject 0x00 be64(h) be32(i) -> b""   (history of a parcel, a company, ...);
              i = BLOCK_EVENTS_INDEX for the events of the block's own rules (`end_block`)
- `block_events` be64(h) -> list[Event], only for blocks whose `end_block` rules emitted events
  (licence renewals, overdue returns). They are not under the header's result root, which commits
  to receipts only; their state changes are under the state root, and re-execution
  (`verify-chain`) recomputes them.

Why LMDB: copy-on-write B+tree with a single writer, readers never block, and a committed write
transaction survives kill -9 and power loss (fsync on commit). A block is either wholly there or not
at all, so restart needs no replay: it reads `meta.height` and goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lmdb

from govledger.codec import decode, encode
from govledger.errors import GovledgerError
from govledger.ledger.block import Block, Commit, Event, Receipt, ValidatorSet

MAP_SIZE_BYTES = 1 << 40  # virtual reservation; LMDB grows the file as it fills
DATABASES = (
    "meta",
    "blocks",
    "commits",
    "receipts",
    "txindex",
    "state",
    "history",
    "nodes",
    "valsets",
    "subjects",
    "block_events",
)
_BE64 = struct.Struct(">Q")
_TXLOC = struct.Struct(">QI")
MAX_BLOCK_BYTES = 64 << 20


def be64(n: int) -> bytes:
    return _BE64.pack(n)


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise GovledgerError(
            "storage.locked", f"{path.parent} is in use by another process (a node is already running)"
        ) from None
    return fd


@dataclass(frozen=True)
class BlockWrite:
    """Everything one block adds, written in one transaction."""

    block: Block
    block_bytes: bytes
    commit: Commit | None
    receipts: Sequence[Receipt]
    tx_ids: Sequence[bytes]
    state_writes: Mapping[bytes, bytes | None]
    tree_nodes: Mapping[bytes, bytes]
    valsets: Sequence[ValidatorSet]
    subjects: Sequence[tuple[str, str, int]]  # (app, subject, tx index or BLOCK_EVENTS_INDEX)
    block_events: Sequence[Event] = ()


class Storage:
    """The node's store. A writable store holds an exclusive lock on `<path>/writer.lock`, so two
    processes can never both append blocks to one data directory; read-only opens take no lock."""

    def __init__(self, path: Path, *, sync: bool = True, readonly: bool = False) -> None:
        self._lock_fd: int | None = None
        if readonly:
            if not (path / "data.mdb").exists():
                raise GovledgerError("storage.missing", f"no chain data in {path}")
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock(path / "writer.lock")
        self.env = lmdb.open(
            str(path),
            map_size=MAP_SIZE_BYTES,
            max_dbs=len(DATABASES),
            sync=sync,
            metasync=sync,
            readahead=False,
            max_readers=256,
            readonly=readonly,
            lock=True,
        )
        # Outside any explicit transaction: LMDB closes handles opened in an aborted read transaction.
        self._db: dict[str, Any] = {}
        for name in DATABASES:
            # a read-only view of a data directory written before a table existed goes without it
            with contextlib.suppress(lmdb.NotFoundError):
                self._db[name] = self.env.open_db(name.encode(), create=not readonly)

    def close(self) -> None:
        self.env.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def iter_table(self, name: str) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) of one named database, in key order (for verification tools)."""
        with self.env.begin(db=self._db[name]) as txn:
            for k, v in txn.cursor():
                yield bytes(k), bytes(v)

    # --- writes -------------------------------------------------------------------------------------

    def write_genesis(self, genesis_bytes: bytes, write: BlockWrite) -> None:
        with self.env.begin(write=True) as txn:
            if txn.get(b"genesis", db=self._db["meta"]) is not None:
                raise GovledgerError("storage.already_initialised", "this data directory already has a chain")
            txn.put(b"genesis", genesis_bytes, db=self._db["meta"])
            self._write_block(txn, write)

    def write_block(self, write: BlockWrite) -> None:
        expected = self.height() + 1
        if write.block.header.height != expected:
            raise GovledgerError(
                "storage.out_of_order", f"block {write.block.header.height} written, expected {expected}"
            )
        with self.env.begin(write=True) as txn:
            self._write_block(txn, write)

    def _write_block(self, txn: Any, w: BlockWrite) -> None:
        h = w.block.header.height
        hb = be64(h)
        db = self._db
        txn.put(hb, w.block_bytes, db=db["blocks"])
        if w.commit is not None:
            txn.put(hb, encode(w.commit), db=db["commits"])
        txn.put(hb, encode(list(w.receipts)), db=db["receipts"])
        # putmulti: one C loop per table instead of a Python call per row
        with txn.cursor(db=db["txindex"]) as cur:
            _, added = cur.putmulti(
                [(tid, _TXLOC.pack(h, i)) for i, tid in enumerate(w.tx_ids)], overwrite=False
            )
            if added != len(w.tx_ids):
                raise GovledgerError("storage.replay", f"block {h} holds an already committed transaction")
        state = db["state"]
        for key, value in w.state_writes.items():
            if value is None:
                txn.delete(key, db=state)
        with txn.cursor(db=state) as cur:
            cur.putmulti([(k, v) for k, v in w.state_writes.items() if v is not None])
        with txn.cursor(db=db["history"]) as cur:
            cur.putmulti([(k + hb, b"\x00" if v is None else b"\x01" + v) for k, v in w.state_writes.items()])
        nodes = db["nodes"]
        # every new node key starts with the new version, so sorted they append at the end of the B+tree
        with txn.cursor(db=nodes) as cur:
            cur.putmulti(sorted(w.tree_nodes.items()), append=True)
        for vs in w.valsets:
            txn.put(vs.hash(), encode(vs), db=db["valsets"])
        with txn.cursor(db=db["subjects"]) as cur:
            cur.putmulti(
                [
                    (app.encode() + b"\x00" + subject.encode() + b"\x00" + _TXLOC.pack(h, index), b"")
                    for app, subject, index in w.subjects
                ]
            )
        if w.block_events:
            txn.put(hb, encode(list(w.block_events)), db=db["block_events"])
        txn.put(b"height", hb, db=db["meta"])

    def put_commit(self, height: int, commit: Commit) -> None:
        with self.env.begin(write=True) as txn:
            txn.put(be64(height), encode(commit), db=self._db["commits"])

    # --- reads --------------------------------------------------------------------------------------

    def _get(self, db: str, key: bytes) -> bytes | None:
        if db not in self._db:
            return None
        with self.env.begin(db=self._db[db]) as txn:
            v = txn.get(key)
            return None if v is None else bytes(v)

    def height(self) -> int:
        """Last committed height, or -1 for an empty store."""
        raw = self._get("meta", b"height")
        return -1 if raw is None else _BE64.unpack(raw)[0]

    def genesis_bytes(self) -> bytes | None:
        return self._get("meta", b"genesis")

    def block_bytes(self, height: int) -> bytes | None:
        return self._get("blocks", be64(height))

    def block(self, height: int) -> Block | None:
        raw = self.block_bytes(height)
        return None if raw is None else decode(raw, Block, max_bytes=MAX_BLOCK_BYTES)

    def commit(self, height: int) -> Commit | None:
        raw = self._get("commits", be64(height))
        return None if raw is None else decode(raw, Commit, max_bytes=MAX_BLOCK_BYTES)

    def receipts(self, height: int) -> list[Receipt] | None:
        raw = self._get("receipts", be64(height))
        return None if raw is None else decode(raw, list[Receipt], max_bytes=MAX_BLOCK_BYTES)

    def block_events(self, height: int) -> list[Event]:
        """Events of the block's own `end_block` rules (empty for most blocks)."""
        raw = self._get("block_events", be64(height))
        return [] if raw is None else decode(raw, list[Event], max_bytes=MAX_BLOCK_BYTES)

    def tx_location(self, txid: bytes) -> tuple[int, int] | None:
        raw = self._get("txindex", txid)
        if raw is None:
            return None
        h, i = _TXLOC.unpack(raw)
        return h, i

    def has_tx(self, txid: bytes) -> bool:
        return self._get("txindex", txid) is not None

    def known_txs(self, txids: Sequence[bytes]) -> set[bytes]:
        with self.env.begin(db=self._db["txindex"]) as txn:
            return {t for t in txids if txn.get(t) is not None}

    def valset(self, valset_hash: bytes) -> ValidatorSet | None:
        raw = self._get("valsets", valset_hash)
        return None if raw is None else decode(raw, ValidatorSet)

    def get(self, full_key: bytes) -> bytes | None:
        return self._get("state", full_key)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        with self.env.begin(db=self._db["state"]) as txn:
            cur = txn.cursor()
            if not cur.set_range(scan_start(prefix, start_after)):
                return out
            for k, v in cur:
                kb = bytes(k)
                if start_after is not None and kb <= start_after:
                    continue  # the seek key itself (see scan_start)
                if not kb.startswith(prefix) or len(out) >= limit:
                    break
                out.append((kb, bytes(v)))
        return out

    def get_at(self, full_key: bytes, height: int) -> bytes | None:
        """The value of `full_key` as of the end of block `height`."""
        with self.env.begin(db=self._db["history"]) as txn:
            return value_at(txn.cursor(), full_key, height)

    def last_write_height(self, full_key: bytes) -> int:
        """The height of the last write (or deletion) of `full_key`, 0 if never written."""
        with self.env.begin(db=self._db["history"]) as txn:
            cur = txn.cursor()
            found = cur.set_range(full_key + b"\xff" * 8)
            moved = cur.prev() if found else cur.last()
            if moved:
                k = bytes(cur.key())
                if len(k) == len(full_key) + 8 and k.startswith(full_key):
                    return int(_BE64.unpack(k[-8:])[0])
        return 0

    def get_node(self, node_key: bytes) -> bytes | None:
        return self._get("nodes", node_key)

    def table(self, name: str) -> Any:
        """The LMDB handle of a named table, for readers in other modules (ledger/past_state.py)."""
        return self._db[name]

    def subject_history(self, app: str, subject: str, limit: int = 1000) -> list[tuple[int, int]]:
        prefix = app.encode() + b"\x00" + subject.encode() + b"\x00"
        out: list[tuple[int, int]] = []
        with self.env.begin(db=self._db["subjects"]) as txn:
            cur = txn.cursor()
            if not cur.set_range(prefix):
                return out
            for k in cur.iternext(keys=True, values=False):
                kb = bytes(k)
                if not kb.startswith(prefix) or len(out) >= limit:
                    break
                out.append(_TXLOC.unpack(kb[len(prefix) :]))
        return out

    def snapshot(self) -> Snapshot:
        """A consistent read-only view of the latest committed state (one LMDB read transaction)."""
        return Snapshot(self)

    def iter_heights(self, start: int = 0) -> Iterator[int]:
        yield from range(start, self.height() + 1)


class Snapshot:
    """Latest state as of one instant; use as a context manager. Implements StateReader."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._txn = storage.env.begin()
        raw = self._txn.get(b"height", db=storage._db["meta"])
        self.height = -1 if raw is None else _BE64.unpack(raw)[0]
        self._state = storage._db["state"]
        self._nodes = storage._db["nodes"]

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self._txn.abort()

    def get_node(self, node_key: bytes) -> bytes | None:
        """Tree nodes through the same read transaction (about 2.5x cheaper than one per read)."""
        v = self._txn.get(node_key, db=self._nodes)
        return None if v is None else bytes(v)

    def get(self, full_key: bytes) -> bytes | None:
        v = self._txn.get(full_key, db=self._state)
        return None if v is None else bytes(v)

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        cur = self._txn.cursor(db=self._state)
        if not cur.set_range(scan_start(prefix, start_after)):
            return out
        for k, v in cur:
            kb = bytes(k)
            if start_after is not None and kb <= start_after:
                continue  # the seek key itself (see scan_start)
            if not kb.startswith(prefix) or len(out) >= limit:
                break
            out.append((kb, bytes(v)))
        return out


def value_at(history: Any, full_key: bytes, height: int) -> bytes | None:
    """The value of `full_key` at the end of block `height`, from a cursor on the `history` table:
    its last entry at or below `height` (None if it had none, or it was a deletion)."""
    found = history.set_range(full_key + be64(height + 1))
    if not (history.prev() if found else history.last()):
        return None
    k = bytes(history.key())
    if len(k) != len(full_key) + 8 or not k.startswith(full_key):
        return None
    v = bytes(history.value())
    return v[1:] if v[:1] == b"\x01" else None


LMDB_MAX_KEY_BYTES = 511  # LMDB's default build; a longer seek key is refused


def scan_start(prefix: bytes, start_after: bytes | None) -> bytes:
    """Where a scan seeks: `prefix`, or `start_after` cut to LMDB's key size (a caller's start key may
    be longer than any stored key). At most one stored key lies between the seek key and `start_after`
    (the cut itself), and the scan skips it; every key after it is greater than `start_after`."""
    if start_after is None:
        return prefix
    return max(prefix, start_after[:LMDB_MAX_KEY_BYTES])
