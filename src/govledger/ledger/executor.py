"""The executor: applies transactions through apps, deterministically, producing receipts and writes.

It is pure: state comes in as a `StateReader`, writes go out in a `BlockBuffer`, nothing else is read.
Per transaction, in this order (the first failure becomes the receipt's code; nothing is written):
1. the app and operation exist (`tx.unknown_app`, `tx.unknown_op`);
2. the body decodes strictly to the operation's type (`tx.bad_body`);
3. the valid signers satisfy the operation's own requirement *and* governance's policy for it
   (`auth.missing_signers`);
4. the app's `check`, then its `apply` in a fresh transaction buffer, merged only on success.
Envelope rules (shape, chain, expiry window, replay, signatures) are the block validator's job and
happen before a transaction reaches here: a block carrying a transaction that breaks them is invalid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from govledger.errors import AppError
from govledger.ledger.app import (
    AllOf,
    App,
    AppState,
    AppView,
    Authority,
    BlockContext,
    Requirement,
    TxContext,
    decode_body,
    describe,
    unmet,
)
from govledger.ledger.block import OK, Event, Receipt
from govledger.ledger.state import BlockBuffer, StateReader, TxBuffer
from govledger.ledger.tx import Transaction


@dataclass(frozen=True)
class BlockOutcome:
    receipts: list[Receipt]
    buffer: BlockBuffer
    end_block_events: list[Event]

    def subjects(self) -> list[tuple[str, str, int]]:
        """(app, subject, tx index) for every event of a successful transaction, deduplicated."""
        out: set[tuple[str, str, int]] = set()
        for i, r in enumerate(self.receipts):
            for e in r.events:
                if e.subject:
                    out.add((e.app, e.subject, i))
        return sorted(out)


class Executor:
    def __init__(self, apps: Mapping[str, App], authority: Authority) -> None:
        self.apps = dict(apps)
        self.authority = authority

    def run_block(
        self, base: StateReader, ctx: BlockContext, txs: Sequence[Transaction], tx_ids: Sequence[bytes]
    ) -> BlockOutcome:
        buffer = BlockBuffer(base)
        receipts = [self._run_tx(buffer, ctx, tx, tid) for tx, tid in zip(txs, tx_ids, strict=True)]
        events: list[Event] = []
        for name in sorted(self.apps):
            hook = self.apps[name].end_block
            if hook is None:
                continue
            tb = TxBuffer(buffer)
            events.extend(hook(AppState(tb, name), ctx))
            tb.merge()
        return BlockOutcome(receipts, buffer, events)

    def precheck(self, base: StateReader, ctx: BlockContext, tx: Transaction, tid: bytes) -> Receipt:
        """Run a transaction against `base` without keeping its writes (mempool admission)."""
        return self._run_tx(BlockBuffer(base), ctx, tx, tid)

    def _run_tx(self, buffer: BlockBuffer, bctx: BlockContext, tx: Transaction, tid: bytes) -> Receipt:
        p = tx.payload
        ctx = TxContext(
            chain_id=bctx.chain_id,
            height=bctx.height,
            time_ms=bctx.time_ms,
            tx_id=tid,
            signers=tuple(p.signers),
            signer_ids=frozenset(pk.key_id() for pk in p.signers),
        )
        tb = TxBuffer(buffer)
        try:
            events = self._apply(tb, ctx, tx)
        except AppError as exc:
            return Receipt(tx_id=tid, code=exc.code, message=exc.message, events=[])
        tb.merge()
        return Receipt(tx_id=tid, code=OK, message="", events=events)

    def _apply(self, tb: TxBuffer, ctx: TxContext, tx: Transaction) -> list[Event]:
        p = tx.payload
        app = self.apps.get(p.app)
        if app is None:
            raise AppError("tx.unknown_app", f"no app named {p.app!r}")
        op = app.operations.get(p.op)
        if op is None:
            raise AppError("tx.unknown_op", f"app {p.app!r} has no operation {p.op!r}")
        body = decode_body(op, p.body)
        view = AppView(tb, p.app)
        self._authorise(view, p.app, p.op, op.signers(view, body, ctx), ctx)
        op.check(view, body, ctx)
        return op.apply(AppState(tb, p.app), body, ctx)

    def _authorise(self, view: AppView, app: str, op: str, own: Requirement, ctx: TxContext) -> None:
        policy = self.authority.policy(view, app, op)
        req: Requirement = own if policy is None else AllOf(of=[own, policy])
        missing = unmet(req, ctx.signer_ids, self.authority, view)
        if missing is not None:
            raise AppError("auth.missing_signers", f"{app}.{op} needs {describe(missing)}")
