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
from typing import Any

from govledger.codec import encode
from govledger.errors import AppError
from govledger.ledger.app import (
    AllOf,
    App,
    AppState,
    AppView,
    Authority,
    BlockContext,
    HasRole,
    Operation,
    Requirement,
    SignedBy,
    TxContext,
    decode_body,
    describe,
    unmet,
)
from govledger.ledger.block import BLOCK_EVENTS_INDEX, OK, Event, Receipt
from govledger.ledger.state import BlockBuffer, StateReader, TxBuffer
from govledger.ledger.tx import SignerKeys, Transaction, signer_keys


@dataclass(frozen=True)
class BlockOutcome:
    receipts: list[Receipt]
    buffer: BlockBuffer
    end_block_events: list[Event]

    def subjects(self) -> list[tuple[str, str, int]]:
        """(app, subject, tx index) for every event of a successful transaction, and
        (app, subject, BLOCK_EVENTS_INDEX) for the block's own `end_block` events; deduplicated."""
        out: set[tuple[str, str, int]] = set()
        for i, r in enumerate(self.receipts):
            for e in r.events:
                if e.subject:
                    out.add((e.app, e.subject, i))
        for e in self.end_block_events:
            if e.subject:
                out.add((e.app, e.subject, BLOCK_EVENTS_INDEX))
        return sorted(out)


class Executor:
    def __init__(self, apps: Mapping[str, App], authority: Authority) -> None:
        self.apps = dict(apps)
        self.authority = authority

    def run_block(
        self,
        base: StateReader,
        ctx: BlockContext,
        txs: Sequence[Transaction],
        tx_ids: Sequence[bytes],
        signers: Sequence[SignerKeys] | None = None,
    ) -> BlockOutcome:
        """`signers[i]` is `signer_keys(txs[i])` when the caller has it already (admission computed it)."""
        buffer = BlockBuffer(base)
        authority = MemoAuthority(self.authority)
        keys = [signer_keys(tx) for tx in txs] if signers is None else signers
        receipts = [
            self._run_tx(buffer, _tx_context(ctx, tid, sk), tx, authority)
            for tx, tid, sk in zip(txs, tx_ids, keys, strict=True)
        ]
        events: list[Event] = []
        for name in sorted(self.apps):
            hook = self.apps[name].end_block
            if hook is None:
                continue
            tb = TxBuffer(buffer)
            events.extend(hook(AppState(tb, name), ctx))
            tb.merge()
        return BlockOutcome(receipts, buffer, events)

    def precheck(
        self, base: StateReader, ctx: BlockContext, txs: Sequence[tuple[Transaction, bytes, SignerKeys]]
    ) -> list[Receipt]:
        """Authorisation and the app's `check` against `base`, without `apply` (mempool admission).

        Cheaper than execution and enough to refuse what would certainly fail now; a transaction can
        still fail at execution when an earlier one in its block changes the state it depends on.
        Nothing is applied, so governance answers hold for the whole batch.
        """
        authority = MemoAuthority(self.authority)
        return [self._precheck_one(base, _tx_context(ctx, tid, sk), tx, authority) for tx, tid, sk in txs]

    def _precheck_one(
        self, base: StateReader, ctx_tx: TxContext, tx: Transaction, authority: MemoAuthority
    ) -> Receipt:
        p = tx.payload
        tid = ctx_tx.tx_id
        try:
            op = self._operation(p.app, p.op)
            body = decode_body(op, p.body)
            view = AppView(base, p.app)
            _authorise(authority, view, p.app, p.op, op.signers(view, body, ctx_tx), ctx_tx)
            op.check(view, body, ctx_tx)
        except AppError as exc:
            return Receipt(tx_id=tid, code=exc.code, message=exc.message, events=[])
        return Receipt(tx_id=tid, code=OK, message="", events=[])

    def _operation(self, app_name: str, op_name: str) -> Operation[Any]:
        app = self.apps.get(app_name)
        if app is None:
            raise AppError("tx.unknown_app", f"no app named {app_name!r}")
        op = app.operations.get(op_name)
        if op is None:
            raise AppError("tx.unknown_op", f"app {app_name!r} has no operation {op_name!r}")
        return op

    def _run_tx(
        self, buffer: BlockBuffer, ctx: TxContext, tx: Transaction, authority: MemoAuthority
    ) -> Receipt:
        tid = ctx.tx_id
        tb = TxBuffer(buffer)
        try:
            events = self._apply(tb, ctx, tx, authority)
        except AppError as exc:
            return Receipt(tx_id=tid, code=exc.code, message=exc.message, events=[])
        tb.merge()
        if tx.payload.app == authority.state_app:
            authority.forget()
        return Receipt(tx_id=tid, code=OK, message="", events=events)

    def _apply(self, tb: TxBuffer, ctx: TxContext, tx: Transaction, authority: MemoAuthority) -> list[Event]:
        p = tx.payload
        op = self._operation(p.app, p.op)
        body = decode_body(op, p.body)
        view = AppView(tb, p.app)
        _authorise(authority, view, p.app, p.op, op.signers(view, body, ctx), ctx)
        op.check(view, body, ctx)
        return op.apply(AppState(tb, p.app), body, ctx)


class MemoAuthority:
    """An Authority that remembers its answers until `forget` (the governance state changed).

    Sound because an Authority's answers are a function of its `state_app`'s key space, which only
    that app's transactions write (an app writes only its own keys): the executor calls `forget`
    after every successful one. Most blocks have none, so each (policy, signer set) is resolved once
    per block instead of once per transaction.
    """

    def __init__(self, inner: Authority) -> None:
        self._inner = inner
        self.state_app = inner.state_app
        self._policies: dict[tuple[str, str], Requirement | None] = {}
        self._roles: dict[tuple[str, str, frozenset[bytes]], int] = {}
        self._verdicts: dict[tuple[str, str, object, frozenset[bytes]], Requirement | None] = {}

    def forget(self) -> None:
        self._policies.clear()
        self._roles.clear()
        self._verdicts.clear()

    def unmet(
        self, view: AppView, app: str, op: str, own: Requirement, signer_ids: frozenset[bytes]
    ) -> Requirement | None:
        """What of `own` and governance's policy for `app.op` the signers leave unmet (None: all met)."""
        # The leaf requirements are hashable frozen Structs; AllOf and Threshold hold lists.
        own_key: object = own if isinstance(own, SignedBy | HasRole) else encode(own)
        key = (app, op, own_key, signer_ids)
        if key in self._verdicts:
            return self._verdicts[key]
        policy = self.policy(view, app, op)
        req: Requirement = own if policy is None else AllOf(of=[own, policy])
        missing = self._verdicts[key] = unmet(req, signer_ids, self, view)
        return missing

    def policy(self, view: AppView, app: str, op: str) -> Requirement | None:
        key = (app, op)
        if key not in self._policies:
            self._policies[key] = self._inner.policy(view, app, op)
        return self._policies[key]

    def members_with_role(self, view: AppView, role: str, org: str, signer_ids: frozenset[bytes]) -> int:
        key = (role, org, signer_ids)
        have = self._roles.get(key)
        if have is None:
            have = self._roles[key] = self._inner.members_with_role(view, role, org, signer_ids)
        return have


def _authorise(
    authority: MemoAuthority, view: AppView, app: str, op: str, own: Requirement, ctx: TxContext
) -> None:
    missing = authority.unmet(view, app, op, own, ctx.signer_ids)
    if missing is not None:
        raise AppError("auth.missing_signers", f"{app}.{op} needs {describe(missing)}")


def _tx_context(bctx: BlockContext, tid: bytes, sk: SignerKeys) -> TxContext:
    return TxContext(bctx.chain_id, bctx.height, bctx.time_ms, tid, sk.keys, sk.ids, sk.first_id)
