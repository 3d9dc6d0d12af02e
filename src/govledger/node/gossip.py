"""Transaction gossip between mempools.

Theory of operation
===================

Gossip. A transaction admitted through this node's API (`BftNode.submit`) is broadcast to every
connected peer on the TXS channel, in `TxBatch` payloads of at most 1 MiB (`netmsg.encode_tx_batches`).
A peer admits what it receives into its own mempool (the same admission checks: decoding, window,
duplicates, capacity, signatures, pre-check) and does not forward it: validators and full nodes of a
local network form a full mesh, so one hop reaches everyone, and not forwarding keeps the cost of a
transaction at one send per peer. A transaction that a peer refuses (its mempool is full, or the
ingress queue is) is not lost: it stays in the submitting node's mempool and enters a block when that
node proposes, and every validator proposes in turn.

Ingress. Received batches are admitted by one worker thread (`TxIngress`), never on the event loop:
admission verifies signatures (about 100 us each) and pre-checks against state. Its queue is bounded
(`batches_max`); when full, new batches are dropped and counted, which is the backpressure a slow
validator applies to fast peers.

Signatures once. Every transaction signature is checked at admission; when this node validates a
proposal, `Chain.execute_block` takes the transactions whose exact bytes the mempool holds
(`Mempool.admitted`) as already decoded and checked, so a transaction costs one decoding and one
signature check per node, not two.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

__all__ = ["TxIngress"]

log = logging.getLogger("govledger.node.gossip")


class TxIngress:
    """One worker thread admitting gossiped transaction batches, behind a bounded queue."""

    def __init__(self, admit: Callable[[list[bytes]], int], batches_max: int = 256) -> None:
        assert batches_max > 0
        self._admit = admit
        self._batches_max = batches_max
        self._queue: deque[list[bytes] | None] = deque()
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="bft-txin", daemon=True)
        self.dropped_batches = 0
        self.admitted = 0

    def start(self) -> None:
        self._thread.start()

    def offer(self, txs: list[bytes]) -> bool:
        """Queue a batch (any thread); False (dropped, counted) when the queue is full."""
        with self._cv:
            if len(self._queue) >= self._batches_max:
                self.dropped_batches += 1
                return False
            self._queue.append(txs)
            self._cv.notify()
        return True

    def stop(self, timeout_s: float = 10.0) -> None:
        with self._cv:
            self._queue.clear()
            self._queue.append(None)
            self._cv.notify()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue:
                    self._cv.wait()
                batch = self._queue.popleft()
            if batch is None:
                return
            try:
                self.admitted += self._admit(batch)
            except Exception:  # a bad batch must not kill ingress; admission errors are per tx anyway
                log.exception("admitting a gossiped batch failed")
