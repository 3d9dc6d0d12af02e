"""Mempool: admission checks, de-duplication, bounds and backpressure.

Admission of a batch, cheapest check first so junk costs little:
1. size and strict canonical decoding, static shape (`tx.*` codes from `ledger.tx`);
2. chain id and expiry window against the next height;
3. duplicates: already committed (`tx.replay`) or already pending (`tx.duplicate`);
4. capacity: total count and bytes, and pending transactions per first signer (`mempool.full`,
   `mempool.signer_limit`): the caller answers HTTP 429 with Retry-After;
5. every signature, verified in a batch on the thread pool (`tx.bad_signature`);
6. optionally the pre-check against committed state (authorisation and the app's `check`, not its
   `apply`), so that a transaction that would certainly fail is refused now rather than committed
   as a failure.
Accepted transactions are ordered first come, first served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from govledger.errors import GovledgerError
from govledger.ledger import tx as txmod
from govledger.ledger.app import BlockContext
from govledger.ledger.block import OK
from govledger.ledger.chain import Candidate, Chain

MAX_BATCH = 10_000


@dataclass(frozen=True)
class MempoolLimits:
    max_txs: int = 100_000
    max_bytes: int = 128 << 20
    max_per_signer: int = 20_000


class Admitted(msgspec.Struct, frozen=True, gc=False):  # one per submitted transaction
    tx_id: bytes
    code: str = OK  # "ok" or a stable rejection code
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.code == OK


FULL_CODES = frozenset({"mempool.full", "mempool.signer_limit"})


class Mempool:
    def __init__(self, chain: Chain, limits: MempoolLimits | None = None, *, precheck: bool = True) -> None:
        self.chain = chain
        self.limits = limits or MempoolLimits()
        self.precheck = precheck
        self._lock = threading.Lock()
        self._pending: OrderedDict[bytes, Candidate] = OrderedDict()
        self._by_raw: dict[bytes, Candidate] = {}
        self._bytes = 0
        # keyed by the first signer's public key bytes: `check_shape` fixes each scheme's key size,
        # so equal bytes are the same key, and no key id is hashed per transaction
        self._per_signer: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, tx_id: object) -> bool:
        return tx_id in self._pending

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def admit(self, raws: Sequence[bytes], *, precheck: bool | None = None) -> list[Admitted]:
        """Admit a batch; `precheck` overrides the mempool's setting (BFT: gossiped transactions)."""
        if len(raws) > MAX_BATCH:
            raise GovledgerError("mempool.batch_too_large", f"a batch holds at most {MAX_BATCH} transactions")
        results: list[Admitted | None] = [None] * len(raws)
        decoded = self._drop_known(self._decode(raws, results), results)
        decoded = self._verify(decoded, results)
        if self.precheck if precheck is None else precheck:
            decoded = self._precheck(decoded, results, self.chain.height + 1)
        with self._lock:
            for i, c in decoded:
                results[i] = self._insert(c)
        return [r if r is not None else Admitted(b"", "internal", "unprocessed") for r in results]

    def _decode(self, raws: Sequence[bytes], results: list[Admitted | None]) -> list[tuple[int, Candidate]]:
        decoded: list[tuple[int, Candidate]] = []
        next_height = self.chain.height + 1
        for i, raw in enumerate(raws):
            try:
                t = txmod.decode_tx(raw)
                txmod.check_window(t, self.chain.chain_id, next_height)
            except GovledgerError as exc:
                results[i] = Admitted(b"", exc.code, exc.message)
                continue
            decoded.append((i, Candidate.of(bytes(raw), t)))
        return decoded

    def _drop_known(
        self, decoded: list[tuple[int, Candidate]], results: list[Admitted | None]
    ) -> list[tuple[int, Candidate]]:
        committed = self.chain.storage.known_txs([c.tx_id for _, c in decoded])
        kept: list[tuple[int, Candidate]] = []
        in_batch: set[bytes] = set()
        for i, c in decoded:
            if c.tx_id in committed:
                results[i] = Admitted(c.tx_id, "tx.replay", "transaction is already committed")
            elif c.tx_id in self._pending or c.tx_id in in_batch:
                results[i] = Admitted(c.tx_id, "tx.duplicate", "transaction is already pending")
            else:
                in_batch.add(c.tx_id)
                kept.append((i, c))
        return kept

    def _verify(
        self, decoded: list[tuple[int, Candidate]], results: list[Admitted | None]
    ) -> list[tuple[int, Candidate]]:
        items = []
        owners = []
        for n, (_, c) in enumerate(decoded):
            msg = txmod.sign_message(c.tx_id)
            for pk, sig in zip(c.tx.payload.signers, c.tx.signatures, strict=True):
                items.append((pk, msg, sig))
                owners.append(n)
        valid = [True] * len(decoded)
        for owner, ok in zip(owners, self.chain.verifier.verify_many(items), strict=True):
            if not ok:
                valid[owner] = False
        kept = []
        for (i, c), ok in zip(decoded, valid, strict=True):
            if ok:
                kept.append((i, c))
            else:
                results[i] = Admitted(c.tx_id, "tx.bad_signature", "a signature does not verify")
        return kept

    def _precheck(
        self, decoded: list[tuple[int, Candidate]], results: list[Admitted | None], height: int
    ) -> list[tuple[int, Candidate]]:
        ctx = BlockContext(self.chain.chain_id, height, self.chain.tip.time_ms)
        kept = []
        with self.chain.storage.snapshot() as snapshot:
            receipts = self.chain.executor.precheck(
                snapshot, ctx, [(c.tx, c.tx_id, c.signers) for _, c in decoded]
            )
        for (i, c), receipt in zip(decoded, receipts, strict=True):
            if receipt.code == OK:
                kept.append((i, c))
            else:
                results[i] = Admitted(c.tx_id, receipt.code, receipt.message)
        return kept

    def _insert(self, c: Candidate) -> Admitted:
        if c.tx_id in self._pending:
            return Admitted(c.tx_id, "tx.duplicate", "transaction is already pending")
        lim = self.limits
        if len(self._pending) >= lim.max_txs or self._bytes + len(c.raw) > lim.max_bytes:
            return Admitted(c.tx_id, "mempool.full", "the mempool is full; retry later")
        signer = c.tx.payload.signers[0].key
        if self._per_signer.get(signer, 0) >= lim.max_per_signer:
            return Admitted(c.tx_id, "mempool.signer_limit", "too many pending transactions from this signer")
        self._pending[c.tx_id] = c
        self._by_raw[c.raw] = c
        self._bytes += len(c.raw)
        self._per_signer[signer] = self._per_signer.get(signer, 0) + 1
        return Admitted(c.tx_id)

    def take(self, max_txs: int) -> list[Candidate]:
        """Remove and return up to `max_txs` transactions in arrival order."""
        out: list[Candidate] = []
        with self._lock:
            while self._pending and len(out) < max_txs:
                _, c = self._pending.popitem(last=False)
                self._forget(c)
                out.append(c)
        return out

    def peek(self, max_txs: int, max_bytes: int) -> list[Candidate]:
        """Up to `max_txs` transactions (at most `max_bytes` in total) in arrival order, NOT removed.

        BFT proposing: a block proposed in a round that fails must not lose its transactions, so they
        leave the mempool only when a block holding them commits (`remove`).
        """
        out: list[Candidate] = []
        total = 0
        with self._lock:
            for c in self._pending.values():
                if len(out) >= max_txs or total + len(c.raw) > max_bytes:
                    break
                out.append(c)
                total += len(c.raw)
        return out

    def remove(self, tx_ids: Sequence[bytes]) -> int:
        """Drop these transactions if pending (committed in a block, or no longer valid); how many were."""
        removed = 0
        with self._lock:
            for tid in tx_ids:
                c = self._pending.pop(tid, None)
                if c is not None:
                    self._forget(c)
                    removed += 1
        return removed

    def admitted(self, raw: bytes) -> Candidate | None:
        """The pending transaction with exactly these bytes: decoded, its signatures verified.

        Keyed by the whole encoding, not the id: two encodings of one payload (the same id) may carry
        different signatures, and only the bytes that were checked may skip the check.
        """
        return self._by_raw.get(raw)

    def _forget(self, c: Candidate) -> None:
        del self._by_raw[c.raw]
        self._bytes -= len(c.raw)
        signer = c.tx.payload.signers[0].key
        left = self._per_signer[signer] - 1
        if left:
            self._per_signer[signer] = left
        else:
            del self._per_signer[signer]

    def is_full(self) -> bool:
        return len(self._pending) >= self.limits.max_txs or self._bytes >= self.limits.max_bytes
