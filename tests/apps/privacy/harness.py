"""Test harnesses for the privacy and vital apps and the vault (shared by their three test folders).

`Ledger`: the real executor, governance authority and apps over an in-memory state dict, with
unsigned transactions (the executor trusts the signer list; signatures are the block validator's job,
tested in tests/ledger). Fast: one block per call.

`PrivChain`: the real LMDB chain with signed transactions, for determinism, the vault's reads
against committed state, and erasure-then-verify tests (as tests/ledger/conftest.py's DevChain, with
the privacy and vital apps installed and a genesis holding their roles, policies and purposes).
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import msgspec

from govledger.apps import registry
from govledger.apps.privacy.app import APP as PRIVACY
from govledger.apps.privacy.app import DEFAULT_PURPOSES
from govledger.apps.privacy.app import default_policies_json as privacy_policies
from govledger.apps.privacy.model import RegisterData
from govledger.apps.vital.app import APP as VITAL
from govledger.apps.vital.app import default_policies_json as vital_policies
from govledger.apps.vital.model import Person
from govledger.codec import Record, encode
from govledger.crypto.signatures import BatchVerifier, Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, AppView, BlockContext, HasRole
from govledger.ledger.block import Commit, CommitSig, Receipt, Validator, precommit_sign_bytes
from govledger.ledger.chain import Candidate, Chain, PendingBlock
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes
from govledger.ledger.storage import Storage
from govledger.ledger.tx import Transaction, TxPayload
from tests.support import MemStore

CHAIN_ID = "vital-test"
GENESIS_TIME_MS = 1_760_000_000_000
BLOCK_MS = 1000
DAY_MS = 24 * 3600 * 1000

_NONCES = itertools.count(1)


def key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, n.to_bytes(32, "big"))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


# governance members: (member id, org, org kind, roles, key number)
MEMBERS = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("registrar-1", "civil-registry", "registry", ["registrar"], 2),
    ("hospital-1", "general-hospital", "hospital", ["hospital"], 3),
    ("certifier-1", "general-hospital", "hospital", ["medical_certifier"], 4),
    ("officiant-1", "town-hall", "agency", ["officiant"], 5),
    ("court-1", "family-court", "court", ["court"], 6),
    ("auditor-1", "audit-office", "agency", ["auditor"], 7),
    ("dpo-1", "civil-registry", "registry", ["dpo"], 8),
    ("clerk-1", "companies-house", "registry", ["company_registrar"], 9),
)
VALIDATOR_KEY = 99


class A:
    """The cast: officials by role (governance members) and citizens (not members), fixed keys."""

    admin = key(1)
    registrar = key(2)
    hospital = key(3)
    certifier = key(4)
    officiant = key(5)
    court = key(6)
    auditor = key(7)
    dpo = key(8)
    clerk = key(9)  # the company register's registrar
    alice = key(11)
    bob = key(12)
    carol = key(13)
    dave = key(14)
    outsider = key(50)


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
    policies = {
        "governance.*": msgspec.to_builtins(HasRole(role="admin")),
        **privacy_policies(),
        **vital_policies(),
    }
    return GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[Validator(public_key=key(VALIDATOR_KEY).public_key, power=10)],
        app_state={
            "governance": {"orgs": list(orgs.values()), "members": members, "policies": policies},
            "privacy": {"purposes": DEFAULT_PURPOSES},
        },
    )


def genesis_bytes() -> bytes:
    return dump_genesis(genesis_doc())


def apps() -> dict[str, App]:
    """The installed apps plus privacy and vital (registry.py is the lead's to edit)."""
    return {**registry.apps(), "privacy": PRIVACY, "vital": VITAL}


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


# --- in-memory ledger -------------------------------------------------------------------------------


def _genesis_state() -> dict[bytes, bytes]:
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
    return {k: v for k, v in iter_changes(buffer.writes) if v is not None}


_GENESIS: dict[bytes, bytes] | None = None


class Ledger:
    """Blocks through the real executor over an in-memory state; every block is committed."""

    def __init__(self) -> None:
        global _GENESIS
        if _GENESIS is None:
            _GENESIS = _genesis_state()
        self.executor = Executor(apps(), registry.authority())
        self.store = MemStore(_GENESIS)
        self.height = 0
        self.time_ms = GENESIS_TIME_MS
        self.last: BlockOutcome | None = None
        self._people = itertools.count(1)

    @staticmethod
    def tx(app: str, op: str, body: Record, *signers: SigningKey) -> Transaction:
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
        return outcome.receipts

    def do(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS
    ) -> Receipt:
        (receipt,) = self.block([self.tx(app, op, body, *signers)], advance_ms=advance_ms)
        return receipt

    def ok(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS
    ) -> Receipt:
        r = self.do(app, op, body, *signers, advance_ms=advance_ms)
        assert r.code == "ok", f"{app}.{op}: {r.code}: {r.message}"
        return r

    def refused(self, app: str, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and writes nothing at all."""
        before = dict(self.store.data)
        r = self.do(app, op, body, *signers)
        assert r.code == code, f"{app}.{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    def view(self, app: str) -> AppView:
        return AppView(self.store, app)

    def person(self, role: str, label: str = "", registry_name: str = "vital") -> Person:
        """A data subject with version 1 of a data record registered in the privacy app."""
        label = label or f"person-{next(self._people)}"
        p = Person(role=role, pseudonym=sha("pseudonym:" + label), commitment=sha("commitment:" + label))
        self.ok(
            "privacy",
            "register_data",
            RegisterData(registry_name, p.pseudonym, "civil", p.commitment),
            A.registrar,
        )
        return p


def attrs(receipt: Receipt, kind: str) -> dict[str, Any]:
    (e,) = [e for e in receipt.events if e.kind == kind]
    return dict(e.attributes)


# --- the real chain ---------------------------------------------------------------------------------


class PrivChain:
    """An LMDB chain with the privacy and vital apps installed; transactions are signed for real."""

    def __init__(self, path: Path, genesis: bytes | None = None) -> None:
        self.storage = Storage(path, sync=False)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis or genesis_bytes(), apps())
        self.chain = Chain(self.storage, apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms
        self.validator = key(VALIDATOR_KEY)
        self._closed = False

    def tx(self, app: str, op: str, body: Record, *signers: SigningKey) -> bytes:
        t = txmod.build(
            CHAIN_ID,
            app,
            op,
            encode(body),
            list(signers),
            nonce=next(_NONCES),
            expiry_height=self.chain.height + 100,
        )
        return encode(t)

    def build(self, raws: list[bytes], advance_ms: int = BLOCK_MS) -> PendingBlock:
        self.time_ms += advance_ms
        cands = []
        for raw in raws:
            t = txmod.decode_tx(raw)
            cands.append(Candidate(raw=raw, tx=t, tx_id=txmod.tx_id(t.payload)))
        return self.chain.build_block(cands, self.time_ms, kid(self.validator))

    def sign_commit(self, pending: PendingBlock) -> Commit:
        h = pending.header
        sig = self.validator.sign(precommit_sign_bytes(h.chain_id, h.height, 0, h.hash()))
        return Commit(h.height, 0, h.hash(), [CommitSig(kid(self.validator), sig)])

    def commit(self, raws: list[bytes], advance_ms: int = BLOCK_MS) -> PendingBlock:
        pending = self.build(raws, advance_ms)
        self.chain.commit(pending, self.sign_commit(pending))
        return pending

    def ok(self, app: str, op: str, body: Record, *signers: SigningKey) -> Receipt:
        (r,) = self.commit([self.tx(app, op, body, *signers)]).receipts
        assert r.code == "ok", f"{app}.{op}: {r.code}: {r.message}"
        return r

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.chain.verifier.close()
            self.storage.close()
