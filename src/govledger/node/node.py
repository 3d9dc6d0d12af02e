"""One process: storage + chain + mempool + the solo orderer, with commit notifications.

Solo ordering (single validator): a block is cut when the mempool holds a full batch or
`block_interval_ms` after the first pending transaction, whichever comes first; the validator signs a
precommit for it (the commit) and the block, its state and its receipts are written in one LMDB
transaction. BFT ordering (the consensus issue) replaces `_produce` with the Tendermint core and keeps
everything else.

Threads: the API's event loop calls `submit` (admission is thread-safe and spends most of its time in
signature checks, which release the GIL); one block thread cuts each block. With `block_process`
(what `node start` runs for a solo node) the block thread hands the block to a child process
(`node/block_process.py`), which executes and writes it while admission goes on under this
process's GIL; this process then opens the store read-only. Otherwise the block thread builds,
executes and commits it itself. Listeners are called on the block thread after each commit and must
not block.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govledger.apps import registry
from govledger.crypto.signatures import BatchVerifier, SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.block import Commit, CommitSig, Event, Header, Receipt, precommit_sign_bytes
from govledger.ledger.chain import Candidate, Chain
from govledger.ledger.mempool import Admitted, Mempool, MempoolLimits
from govledger.ledger.storage import Storage
from govledger.node.block_process import BlockProcess

log = logging.getLogger("govledger.node")


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    block_interval_ms: int = 200
    max_block_txs: int = 5_000
    empty_block_interval_ms: int = 0  # 0: no empty blocks; >0: a heartbeat block for time-driven rules
    verify_threads: int = 2
    precheck: bool = True
    sync: bool = True
    mempool: MempoolLimits = field(default_factory=MempoolLimits)
    # Solo blocks built and written by a child process (node/block_process.py): admission and block
    # production then run on two GILs. Off for BFT nodes and most in-process tests.
    block_process: bool = False


@dataclass(frozen=True)
class CommittedBlock:
    header: Header
    receipts: list[Receipt]
    events: list[Event]
    produce_ms: float


Listener = Callable[[CommittedBlock], None]


class Node:
    def __init__(
        self, config: NodeConfig, validator_key: SigningKey, *, require_validator: bool = True
    ) -> None:
        self.config = config
        self.key = validator_key
        chain_dir = config.data_dir / "chain"
        # The child takes the data directory's writer lock; this process then reads the same LMDB.
        self._producer = BlockProcess(chain_dir, sync=config.sync) if config.block_process else None
        try:
            self._open(chain_dir, require_validator)
        except BaseException:
            # A failed start frees what it took: the store, and the block process with its writer lock.
            if hasattr(self, "verifier"):
                self.verifier.close()
            if hasattr(self, "storage"):
                self.storage.close()
            if self._producer is not None:
                self._producer.stop()
            raise

    def _open(self, chain_dir: Path, require_validator: bool) -> None:
        """Everything of `__init__` after the block process: the store, chain, mempool and checks."""
        config = self.config
        self.storage = Storage(chain_dir, sync=config.sync, readonly=self._producer is not None)
        self.verifier = BatchVerifier(threads=config.verify_threads)
        self.chain = Chain(self.storage, registry.apps(), registry.authority(), self.verifier)
        self.mempool = Mempool(self.chain, config.mempool, precheck=config.precheck)
        self._listeners: list[Listener] = []
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._first_pending_at: float | None = None
        self._last_block_at = time.monotonic()
        self._produce_lock = threading.Lock()
        self.stats = {"blocks": 0, "txs": 0, "failed_txs": 0}
        self._reported_height = self.chain.height  # the last block listeners were told about
        vs = self.chain.validator_set(self.chain.height + 1)
        # A BFT node (node/bft.py) may be a full node, or a validator not in the current set.
        if require_validator and self.key.public_key.key_id() not in vs.by_id():
            raise GovledgerError("node.not_validator", "this node's key is not in the validator set")

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="govledger-blocks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.verifier.close()
        if self._producer is not None:
            self._producer.stop()
        self.storage.close()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- ingress -------------------------------------------------------------------------------------

    def submit(self, raws: Sequence[bytes]) -> list[Admitted]:
        results = self.mempool.admit(raws)
        if any(r.ok for r in results):
            with self._wake:
                if self._first_pending_at is None:
                    self._first_pending_at = time.monotonic()
                self._wake.notify_all()
        return results

    # --- block production ----------------------------------------------------------------------------

    def _run(self) -> None:
        interval = self.config.block_interval_ms / 1000
        heartbeat = self.config.empty_block_interval_ms / 1000
        while not self._stop.is_set():
            with self._wake:
                timeout = self._wait_time(interval, heartbeat)
                if timeout > 0:
                    self._wake.wait(timeout)
            if self._stop.is_set():
                return
            if self._due(interval, heartbeat):
                try:
                    self.produce_block()
                except Exception:  # the block thread must survive to report; the block was not written
                    log.exception("block production failed")
                    time.sleep(interval)

    def _wait_time(self, interval: float, heartbeat: float) -> float:
        now = time.monotonic()
        if len(self.mempool) >= self.config.max_block_txs:
            return 0.0
        if self._first_pending_at is not None:
            return max(0.0, self._first_pending_at + interval - now)
        if heartbeat > 0:
            return max(0.0, self._last_block_at + heartbeat - now)
        return 1.0

    def _due(self, interval: float, heartbeat: float) -> bool:
        now = time.monotonic()
        if len(self.mempool) >= self.config.max_block_txs:
            return True
        if self._first_pending_at is not None and now >= self._first_pending_at + interval:
            return True
        return heartbeat > 0 and now >= self._last_block_at + heartbeat

    def produce_block(self, time_ms: int | None = None) -> CommittedBlock | None:
        """Cut, execute, sign and commit one block from the mempool (also used directly by tests)."""
        with self._produce_lock:
            started = time.perf_counter()
            candidates = self.mempool.take(self.config.max_block_txs)
            with self._wake:
                self._first_pending_at = time.monotonic() if len(self.mempool) else None
            if not candidates and self.config.empty_block_interval_ms <= 0 and time_ms is None:
                return None
            now_ms = time_ms if time_ms is not None else int(time.time() * 1000)
            if self._producer is None:
                pending = self.chain.build_block(candidates, now_ms, self.key.public_key.key_id())
                self.chain.commit(pending, self._sign_commit(pending.header))
                header, receipts, events = pending.header, pending.receipts, pending.events()
            else:
                header, receipts, events = self._produce_in_child(candidates, now_ms)
            self._last_block_at = time.monotonic()
            # A block process that died after writing a block but before answering left it unreported.
            done = [self._stored_block(h) for h in range(self._reported_height + 1, header.height)]
            done.append(CommittedBlock(header, receipts, events, (time.perf_counter() - started) * 1000))
            self._reported_height = header.height
            for block in done:
                self.stats["blocks"] += 1
                self.stats["txs"] += len(block.receipts)
                self.stats["failed_txs"] += sum(1 for r in block.receipts if r.code != "ok")
        for block in done:
            for listener in list(self._listeners):
                try:
                    listener(block)
                except Exception:  # a broken listener must not stop the chain
                    log.exception("commit listener failed")
        return done[-1]

    def _produce_in_child(
        self, candidates: Sequence[Candidate], now_ms: int
    ) -> tuple[Header, list[Receipt], list[Event]]:
        producer = self._producer
        assert producer is not None
        if not producer.alive:
            # It died (killed, or a crash it reported): start another on what LMDB holds.
            log.warning("the block process is gone; starting another")
            producer.start()
        self.chain.follow_storage()  # a block the old child wrote before dying is ours too
        try:
            header = producer.build([c.raw for c in candidates], now_ms, self.key.public_key.key_id())
            sealed = producer.seal(self._sign_commit(header))
        finally:
            self.chain.follow_storage()
        receipts = sealed.receipts
        return header, receipts, [e for r in receipts for e in r.events] + sealed.end_block_events

    def _stored_block(self, height: int) -> CommittedBlock:
        block, receipts = self.storage.block(height), self.storage.receipts(height)
        assert block is not None and receipts is not None, "the chain's tip is past a stored block"
        events = [e for r in receipts for e in r.events] + self.storage.block_events(height)
        return CommittedBlock(block.header, receipts, events, produce_ms=0.0)

    def _sign_commit(self, h: Header) -> Commit:
        block_hash = h.hash()
        sig = self.key.sign(precommit_sign_bytes(h.chain_id, h.height, 0, block_hash))
        return Commit(
            height=h.height,
            round=0,
            block_hash=block_hash,
            signatures=[CommitSig(validator=self.key.public_key.key_id(), signature=sig)],
        )
