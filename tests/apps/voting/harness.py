"""Test harnesses for the voting app (the same two as tests/apps/land/harness.py, self-contained).

`Ledger`: the real executor, governance authority and apps over an in-memory state dict, unsigned
transactions (the executor trusts the signer list; signature checks are the block validator's job).

`VotingChain`: the real LMDB chain with signed transactions, for determinism, export through the
SDK and the CLI.

The cast: an election official of the `commission`, an official of another organisation, five
guardians (returning officers), a clerk without voting roles, and voters who exist only as one-time
credential keys.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path
from typing import Any, Protocol

import msgspec

from govledger.apps import registry
from govledger.apps.voting.app import APP as VOTING
from govledger.apps.voting.app import default_policies_json
from govledger.codec import Record, encode
from govledger.crypto.signatures import BatchVerifier, Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, AppView, BlockContext, HasRole
from govledger.ledger.block import Block, Commit, CommitSig, Receipt, Validator, precommit_sign_bytes
from govledger.ledger.chain import Candidate, Chain, PendingBlock
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes
from govledger.ledger.storage import Storage
from govledger.ledger.tx import Transaction, TxPayload
from tests.support import MemStore

CHAIN_ID = "voting-test"
GENESIS_TIME_MS = 1_760_000_000_000
BLOCK_MS = 1000
HOUR_MS = 3600 * 1000
VALIDATOR_KEY = 99

_NONCES = itertools.count(1)


def key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, n.to_bytes(32, "big"))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


def credential(n: int) -> SigningKey:
    """Voter n's one-time credential (a key nobody else holds)."""
    return key(100_000 + n)


def cred_pub(k: SigningKey) -> bytes:
    return k.public_key.key


# governance members: (member id, org, org kind, roles, key number)
MEMBERS = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("official-1", "commission", "agency", ["election_official"], 2),
    ("official-x", "other-agency", "agency", ["election_official"], 3),
    ("clerk-1", "commission", "agency", ["registrar"], 4),
    *((f"guardian-{i}", "returning-officers", "agency", ["guardian"], 10 + i) for i in range(1, 8)),
)


class A:
    admin = key(1)
    official = key(2)
    other_official = key(3)
    clerk = key(4)
    guardians = tuple(key(10 + i) for i in range(1, 8))  # guardian-1 .. guardian-7


class SeededRandom:
    """A deterministic RandomSource for tests only (random.Random is not a CSPRNG)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return self._random.randrange(exclusive_upper_bound)

    def token_bytes(self, nbytes: int) -> bytes:
        return self._random.randbytes(nbytes)


def genesis_doc() -> GenesisDoc:
    orgs: dict[str, dict[str, str]] = {}
    members = []
    for mid, org, kind, roles, n in MEMBERS:
        orgs[org] = {"org_id": org, "name": org, "kind": kind}
        members.append(
            {
                "member_id": mid,
                "org": org,
                "name": mid,
                "roles": roles,
                "public_keys": [msgspec.to_builtins(key(n).public_key)],
            }
        )
    policies = {"governance.*": msgspec.to_builtins(HasRole(role="admin")), **default_policies_json()}
    return GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[Validator(public_key=key(VALIDATOR_KEY).public_key, power=10)],
        app_state={"governance": {"orgs": list(orgs.values()), "members": members, "policies": policies}},
    )


def genesis_bytes() -> bytes:
    return dump_genesis(genesis_doc())


def apps() -> dict[str, App]:
    """The installed apps plus voting (registry.py is the lead's to edit)."""
    return {**registry.apps(), "voting": VOTING}


Op = tuple[str, Record, list[SigningKey]]


class Backend(Protocol):
    """What the scenario helpers (world.py) drive: blocks of voting operations, and a view."""

    time_ms: int

    @property
    def height(self) -> int: ...

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]: ...

    @property
    def view(self) -> AppView: ...


# --- in-memory ledger -------------------------------------------------------------------------------


_GENESIS_STATE: dict[bytes, bytes] | None = None


def _genesis_state() -> dict[bytes, bytes]:
    global _GENESIS_STATE
    if _GENESIS_STATE is None:
        doc = genesis_doc()
        store = MemStore()
        buffer = BlockBuffer(store)
        for name, app in sorted(apps().items()):
            if app.genesis is None:
                continue
            section = msgspec.convert(doc.app_state.get(name, {}), type=app.genesis_type, strict=True)
            tb = TxBuffer(buffer)
            app.genesis(AppState(tb, name), section)
            tb.merge()
        _GENESIS_STATE = {k: v for k, v in iter_changes(buffer.writes) if v is not None}
    return _GENESIS_STATE


class Ledger:
    """Blocks through the real executor over an in-memory state; every block is committed."""

    def __init__(self) -> None:
        self.executor = Executor(apps(), registry.authority())
        self.store = MemStore(_genesis_state())
        self.height = 0
        self.time_ms = GENESIS_TIME_MS
        self.last: BlockOutcome | None = None
        self.events: list[Any] = []

    def clone(self) -> Ledger:
        other = Ledger.__new__(Ledger)
        other.executor = self.executor
        other.store = MemStore(self.store.data)
        other.height, other.time_ms, other.last = self.height, self.time_ms, None
        other.events = list(self.events)
        return other

    @staticmethod
    def tx(op: str, body: Record, *signers: SigningKey, app: str = "voting") -> Transaction:
        payload = TxPayload(
            chain_id=CHAIN_ID,
            app=app,
            op=op,
            body=encode(body),
            signers=[k.public_key for k in signers],
            nonce=next(_NONCES),
            expiry_height=10**9,
        )
        return Transaction(payload=payload, signatures=[b""] * len(signers))

    def block(self, txs: list[Transaction], *, advance_ms: int = BLOCK_MS) -> list[Receipt]:
        self.height += 1
        self.time_ms += advance_ms
        ctx = BlockContext(chain_id=CHAIN_ID, height=self.height, time_ms=self.time_ms)
        ids = [txmod.tx_id(t.payload) for t in txs]
        outcome = self.executor.run_block(self.store, ctx, txs, ids)
        for k, v in iter_changes(outcome.buffer.writes):
            if v is None:
                self.store.data.pop(k, None)
            else:
                self.store.data[k] = v
        self.last = outcome
        self.events += [e for r in outcome.receipts for e in r.events] + outcome.end_block_events
        return outcome.receipts

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]:
        return self.block([self.tx(op, body, *signers) for op, body, signers in ops], advance_ms=advance_ms)

    def do(self, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS) -> Receipt:
        (receipt,) = self.block([self.tx(op, body, *signers)], advance_ms=advance_ms)
        return receipt

    def ok(self, op: str, body: Record, *signers: SigningKey) -> Receipt:
        r = self.do(op, body, *signers)
        assert r.code == "ok", f"{op}: {r.code}: {r.message}"
        return r

    def refused(self, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and writes nothing at all (end_block included:
        callers make sure no timer is due in that block)."""
        before = dict(self.store.data)
        r = self.do(op, body, *signers)
        assert r.code == code, f"{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    def fingerprint(self) -> bytes:
        h = hashlib.sha256()
        for k in sorted(self.store.data):
            h.update(len(k).to_bytes(4, "big") + k + hashlib.sha256(self.store.data[k]).digest())
        return h.digest()

    @property
    def view(self) -> AppView:
        return AppView(self.store, "voting")


# --- the real chain ---------------------------------------------------------------------------------


class VotingChain:
    """An LMDB chain with the voting app installed; transactions are signed for real."""

    def __init__(self, path: Path, genesis: bytes | None = None) -> None:
        self.storage = Storage(path, sync=False)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis or genesis_bytes(), apps())
        self.chain = Chain(self.storage, apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms
        self.validator = key(VALIDATOR_KEY)
        self.blocks: list[tuple[Block, Commit]] = []  # what was committed, for replaying elsewhere

    @property
    def height(self) -> int:
        return self.chain.height

    def raw(self, op: str, body: Record, *signers: SigningKey, app: str = "voting") -> bytes:
        t = txmod.build(
            CHAIN_ID,
            app,
            op,
            encode(body),
            list(signers),
            nonce=next(_NONCES),
            expiry_height=self.height + 100,
        )
        return encode(t)

    def commit(self, raws: list[bytes], advance_ms: int = BLOCK_MS) -> PendingBlock:
        self.time_ms += advance_ms
        cands = []
        for raw in raws:
            t = txmod.decode_tx(raw)
            cands.append(Candidate.of(raw, t))
        pending = self.chain.build_block(cands, self.time_ms, kid(self.validator))
        h = pending.header
        sig = self.validator.sign(precommit_sign_bytes(h.chain_id, h.height, 0, h.hash()))
        commit = Commit(h.height, 0, h.hash(), [CommitSig(kid(self.validator), sig)])
        self.chain.commit(pending, commit)
        self.blocks.append((pending.block, commit))
        return pending

    def replay(self, block: Block, commit: Commit) -> PendingBlock:
        """Execute a block another node committed (every envelope, signature and root re-checked)."""
        pending = self.chain.execute_block(block)
        self.chain.commit(pending, commit)
        self.time_ms = block.header.time_ms
        return pending

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]:
        return self.commit([self.raw(op, body, *signers) for op, body, signers in ops], advance_ms).receipts

    @property
    def view(self) -> AppView:
        return AppView(self.storage, "voting")

    def close(self) -> None:
        self.chain.verifier.close()
        self.storage.close()


def codes(receipts: list[Receipt]) -> list[str]:
    return [r.code for r in receipts]


def ok_all(receipts: list[Receipt]) -> list[Receipt]:
    bad = [(r.code, r.message) for r in receipts if r.code != "ok"]
    assert not bad, bad
    return receipts
