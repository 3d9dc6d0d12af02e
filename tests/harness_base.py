"""The drivers the app test harnesses share: blocks in memory (`MemLedger`) and on LMDB (`ChainDriver`).

An app's harness (tests/apps/land/harness.py and its siblings) describes its test network once, as a
`LedgerSetup` (genesis document, installed apps, block time step), and subclasses the drivers with
it, adding only its own cast, body helpers and readers.

`MemLedger` runs blocks through the real executor and governance authority over an in-memory dict,
with unsigned transactions: the executor trusts the signer list (signature checks are the block
validator's job, tested in tests/ledger). Fast enough for hypothesis to run thousands of blocks.

`ChainDriver` is the real LMDB chain with signed transactions and a single validator signing every
commit, for determinism (a second node replaying the blocks), proofs and end-to-end tests.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import msgspec

from govledger.apps import registry
from govledger.codec import Record, decode, encode
from govledger.crypto.signatures import BatchVerifier, Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, AppView, BlockContext, HasRole
from govledger.ledger.block import Block, Commit, CommitSig, Event, Receipt, Validator, precommit_sign_bytes
from govledger.ledger.chain import Candidate, Chain, PendingBlock
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes
from govledger.ledger.storage import Storage
from govledger.ledger.tx import Transaction, TxPayload
from tests.support import MemStore

BLOCK_MS = 1000
VALIDATOR_KEY = 99
"""The key number of the one validator every harness genesis holds."""

T = TypeVar("T")

Member = tuple[str, str, str, list[str], int]
"""A governance member in a harness genesis: (member id, org, org kind, roles, key number)."""


def key(n: int) -> SigningKey:
    """The Ed25519 key with seed `n` (big-endian, 32 bytes): the same key in every test run."""
    return SigningKey.from_private_bytes(Scheme.ED25519, n.to_bytes(32, "big"))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def codes(receipts: list[Receipt]) -> list[str]:
    return [r.code for r in receipts]


def attrs(receipt: Receipt, kind: str) -> dict[str, Any]:
    """The attributes of the receipt's one event of `kind`."""
    (e,) = [e for e in receipt.events if e.kind == kind]
    return dict(e.attributes)


def governance_genesis(
    chain_id: str,
    genesis_time_ms: int,
    members: Sequence[Member],
    policies: Mapping[str, Any],
    app_state: Mapping[str, Any] | None = None,
) -> GenesisDoc:
    """A genesis with one validator (key `VALIDATOR_KEY`), the governance orgs and members, and
    `policies` after `governance.*` (any admin); `app_state` adds other apps' sections."""
    orgs: dict[str, dict[str, str]] = {}
    entries = []
    for mid, org, kind, roles, n in members:
        orgs[org] = {"org_id": org, "name": org, "kind": kind}
        entries.append(
            {
                "member_id": mid,
                "org": org,
                "name": mid,
                "roles": roles,
                "public_keys": [msgspec.to_builtins(key(n).public_key)],
            }
        )
    governance = {
        "orgs": list(orgs.values()),
        "members": entries,
        "policies": {"governance.*": msgspec.to_builtins(HasRole(role="admin")), **policies},
    }
    return GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=genesis_time_ms,
        validators=[Validator(public_key=key(VALIDATOR_KEY).public_key, power=10)],
        app_state={"governance": governance, **(app_state or {})},
    )


def genesis_state(doc: GenesisDoc, apps: Mapping[str, App]) -> dict[bytes, bytes]:
    """The state every app's genesis writes for `doc` (what block 0 commits, less the validator set)."""
    buffer = BlockBuffer(MemStore())
    for name, app in sorted(apps.items()):
        if app.genesis is None:
            continue
        section = msgspec.convert(doc.app_state.get(name, {}), type=app.genesis_type, strict=True)
        tb = TxBuffer(buffer)
        app.genesis(AppState(tb, name), section)
        tb.merge()
    return {k: v for k, v in iter_changes(buffer.writes) if v is not None}


@dataclass(eq=False)
class LedgerSetup:
    """One harness's test network: what both drivers need to run its blocks."""

    genesis_doc: Callable[[], GenesisDoc]
    apps: Callable[[], dict[str, App]]
    block_ms: int = BLOCK_MS
    # One counter per harness keeps every transaction id distinct, in memory and on the chain alike.
    nonces: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @cached_property
    def doc(self) -> GenesisDoc:
        return self.genesis_doc()

    @property
    def chain_id(self) -> str:
        return self.doc.chain_id

    @cached_property
    def genesis_state(self) -> dict[bytes, bytes]:
        """Computed once per harness; every `MemLedger` starts from a copy."""
        return genesis_state(self.doc, self.apps())

    def genesis_bytes(self) -> bytes:
        return dump_genesis(self.genesis_doc())


# --- in memory --------------------------------------------------------------------------------------


class MemLedger:
    """Blocks through the real executor over an in-memory state; every block is committed.

    The methods here name their app; `AppLedger` adds the single-app forms most harnesses use.
    """

    setup: ClassVar[LedgerSetup]
    refused_advance_ms: ClassVar[int | None] = None
    """The clock step of the block `refused` runs (None: the setup's block step)."""

    def __init__(self) -> None:
        self.executor = Executor(self.setup.apps(), registry.authority())
        self.store = MemStore(self.setup.genesis_state)
        self.height = 0
        self.time_ms = self.setup.doc.genesis_time_ms
        self.last: BlockOutcome | None = None

    def clone(self) -> Self:
        """An independent copy of this ledger's state and clock (the executor is shared: stateless)."""
        other = copy.copy(self)
        other.store = MemStore(self.store.data)
        other.last = None
        return other

    @classmethod
    def tx_in(cls, app: str, op: str, body: Record, *signers: SigningKey) -> Transaction:
        """An unsigned transaction naming `signers` (the executor trusts the list)."""
        payload = TxPayload(
            chain_id=cls.setup.chain_id,
            app=app,
            op=op,
            body=encode(body),
            signers=[k.public_key for k in signers],
            nonce=next(cls.setup.nonces),
            expiry_height=10**9,
        )
        return Transaction(payload=payload, signatures=[b""] * len(signers))

    def block(self, txs: list[Transaction], *, advance_ms: int | None = None) -> list[Receipt]:
        """Run and commit a block `advance_ms` (default: the block step) after the last one."""
        self.height += 1
        self.time_ms += self.setup.block_ms if advance_ms is None else advance_ms
        ctx = BlockContext(chain_id=self.setup.chain_id, height=self.height, time_ms=self.time_ms)
        ids = [txmod.tx_id(t.payload) for t in txs]
        outcome = self.executor.run_block(self.store, ctx, txs, ids)
        for k, v in iter_changes(outcome.buffer.writes):
            if v is None:
                self.store.data.pop(k, None)
            else:
                self.store.data[k] = v
        self.last = outcome
        return outcome.receipts

    def tick(self, advance_ms: int) -> list[Event]:
        """An empty block `advance_ms` later; returns its end_block events."""
        self.block([], advance_ms=advance_ms)
        assert self.last is not None
        return list(self.last.end_block_events)

    def do_in(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None
    ) -> Receipt:
        """One transaction in its own block."""
        (receipt,) = self.block([self.tx_in(app, op, body, *signers)], advance_ms=advance_ms)
        return receipt

    def ok_in(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None
    ) -> Receipt:
        r = self.do_in(app, op, body, *signers, advance_ms=advance_ms)
        assert r.code == "ok", f"{app}.{op}: {r.code}: {r.message}"
        return r

    def refused_in(self, app: str, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and its block writes nothing at all."""
        before = dict(self.store.data)
        r = self.do_in(app, op, body, *signers, advance_ms=self.refused_advance_ms)
        assert r.code == code, f"{app}.{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    def view_of(self, app: str) -> AppView:
        return AppView(self.store, app)

    def fingerprint(self) -> bytes:
        """A digest of the whole state: equal for equal states, whatever the insertion order."""
        h = hashlib.sha256()
        for k in sorted(self.store.data):
            h.update(len(k).to_bytes(4, "big") + k + hashlib.sha256(self.store.data[k]).digest())
        return h.digest()


class AppLedger(MemLedger):
    """A `MemLedger` whose transactions go to `app` unless told otherwise."""

    app: ClassVar[str]

    @classmethod
    def tx(cls, op: str, body: Record, *signers: SigningKey, app: str | None = None) -> Transaction:
        return cls.tx_in(app or cls.app, op, body, *signers)

    def do(self, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None) -> Receipt:
        """One transaction in its own block."""
        return self.do_in(self.app, op, body, *signers, advance_ms=advance_ms)

    def ok(self, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None) -> Receipt:
        return self.ok_in(self.app, op, body, *signers, advance_ms=advance_ms)

    def refused(self, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and its block writes nothing at all."""
        return self.refused_in(self.app, op, body, *signers, code=code)

    @property
    def view(self) -> AppView:
        return self.view_of(self.app)

    def stored(self, key: bytes, type_: type[T]) -> T:
        """The record at `key` in the app's state, which must be there."""
        value = self.view.get_as(key, type_)
        assert value is not None, f"{self.app}: nothing at {key!r}"
        return value


class ProvenState:
    """A state reader holding only what a state proof proves (`verify_state`'s answer): reading a key
    it does not hold raises KeyError (missing keys must have been proved absent); a scan fails."""

    def __init__(self, proven: Mapping[tuple[str, bytes], bytes | None]) -> None:
        self.proven = proven

    def get(self, full_key: bytes) -> bytes | None:
        app, _, key = full_key.partition(b"\x00")
        return self.proven[(app.decode(), key)]

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        raise AssertionError("a reader of proved state must not scan")


L = TypeVar("L", bound=MemLedger)


def clones_of(build: Callable[[], L]) -> Callable[[], L]:
    """A function returning a fresh clone of the ledger `build()` returns; `build` runs once, on
    first use (a populated world costs blocks; a clone costs a dict copy)."""
    built = cache(build)
    return lambda: built().clone()


# --- on LMDB ----------------------------------------------------------------------------------------


class ChainDriver:
    """An LMDB chain with the setup's apps installed; transactions are signed for real."""

    setup: ClassVar[LedgerSetup]

    def __init__(self, path: Path, genesis: bytes | None = None) -> None:
        self.storage = Storage(path, sync=False)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis or self.setup.genesis_bytes(), self.setup.apps())
        self.chain = Chain(self.storage, self.setup.apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms
        self.validator = key(VALIDATOR_KEY)  # the one validator `governance_genesis` installs
        self._closed = False

    def signed(
        self,
        app: str,
        op: str,
        body: Record,
        signers: Sequence[SigningKey],
        *,
        nonce: int | None = None,
        expiry_height: int | None = None,
    ) -> bytes:
        """An encoded signed transaction; by default the harness's next nonce, expiring 100 blocks on."""
        t = txmod.build(
            self.setup.chain_id,
            app,
            op,
            encode(body),
            list(signers),
            nonce=next(self.setup.nonces) if nonce is None else nonce,
            expiry_height=self.chain.height + 100 if expiry_height is None else expiry_height,
        )
        return encode(t)

    def build(self, raws: list[bytes], advance_ms: int | None = None) -> PendingBlock:
        """Execute (not commit) a block of `raws`, `advance_ms` (default: the block step) later."""
        self.time_ms += self.setup.block_ms if advance_ms is None else advance_ms
        cands = []
        for raw in raws:
            t = txmod.decode_tx(raw)
            cands.append(Candidate.of(raw, t))
        return self.chain.build_block(cands, self.time_ms, kid(self.validator))

    def sign_commit(self, pending: PendingBlock) -> Commit:
        h = pending.header
        sig = self.validator.sign(precommit_sign_bytes(h.chain_id, h.height, 0, h.hash()))
        return Commit(h.height, 0, h.hash(), [CommitSig(kid(self.validator), sig)])

    def commit(self, raws: list[bytes], advance_ms: int | None = None) -> PendingBlock:
        pending = self.build(raws, advance_ms)
        self.chain.commit(pending, self.sign_commit(pending))
        return pending

    def replay(self, other: ChainDriver, raws: list[bytes], advance_ms: int | None = None) -> PendingBlock:
        """Commit a block here, then have `other` check it as a validator does and commit it too."""
        pending = self.commit(raws, advance_ms)
        replayed = other.chain.execute_block(decode(pending.block_bytes, Block))
        assert replayed.header == pending.header
        assert replayed.receipts == pending.receipts
        other.chain.commit(replayed, self.storage.commit(pending.header.height))
        return pending

    def execute_committed(self, source: ChainDriver, heights: Iterable[int]) -> None:
        """Execute, as a validator does, and commit the blocks `source` committed at `heights`."""
        for h in heights:
            blk = source.storage.block(h)
            assert blk is not None
            self.chain.commit(self.chain.execute_block(blk), source.storage.commit(h))

    @classmethod
    @contextmanager
    def pair(cls, root: Path) -> Iterator[tuple[Self, Self]]:
        """Two nodes, under `root`/a and `root`/b, from the setup's genesis; both closed on exit."""
        genesis = cls.setup.genesis_bytes()
        a = cls(root / "a", genesis)
        b = cls(root / "b", genesis)
        try:
            yield a, b
        finally:
            a.close()
            b.close()

    def close(self) -> None:
        """Idempotent: fixtures and tests may both close."""
        if not self._closed:
            self._closed = True
            self.chain.verifier.close()
            self.storage.close()
