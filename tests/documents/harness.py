"""Test harness for the documents app: the real executor, governance authority and apps over an
in-memory state dict (as tests/apps/land/harness.py), with a genesis holding `issuer` members and the
documents app's DEFAULT_POLICIES. Transactions are unsigned: the executor trusts the signer list
(signature checks are the block validator's job, tested in tests/ledger).
"""

from __future__ import annotations

import hashlib
import itertools

import msgspec

from govledger.apps import registry
from govledger.apps.documents.app import APP as DOCUMENTS
from govledger.apps.documents.app import default_policies_json
from govledger.apps.documents.store import REGISTRY_KIND, STORE_KIND, derive_address
from govledger.codec import Record, encode
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, AppView, BlockContext, HasRole
from govledger.ledger.block import Receipt, Validator
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import GenesisDoc
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes
from govledger.ledger.tx import Transaction, TxPayload
from tests.support import MemStore

CHAIN_ID = "documents-test"
GENESIS_TIME_MS = 1_750_000_000_000
BLOCK_MS = 1000
_NONCES = itertools.count(1)


def key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, n.to_bytes(32, "big"))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


MEMBERS = (
    ("admin-1", "ministry", ["admin"], 1),
    ("issuer-1", "registry", ["issuer"], 2),
    ("issuer-2", "customs", ["issuer"], 3),
)


class A:
    admin = key(1)
    issuer = key(2)  # governance member with role `issuer`
    issuer2 = key(3)
    owner = key(10)  # a store's / registry's owner key (an institution's system key)
    owner2 = key(11)
    shipper = key(20)
    bank = key(21)
    consignee = key(22)
    carrier = key(23)
    outsider = key(50)


def store_address(name: str) -> bytes:
    return derive_address(CHAIN_ID, STORE_KIND, name)


def registry_address(name: str) -> bytes:
    return derive_address(CHAIN_ID, REGISTRY_KIND, name)


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def genesis_doc() -> GenesisDoc:
    members = [
        {
            "member_id": mid,
            "org": org,
            "name": mid,
            "roles": roles,
            "public_keys": [msgspec.to_builtins(key(n).public_key)],
        }
        for mid, org, roles, n in MEMBERS
    ]
    orgs = [{"org_id": org, "name": org, "kind": "agency"} for _, org, _, _ in MEMBERS]
    policies = {"governance.*": msgspec.to_builtins(HasRole(role="admin")), **default_policies_json()}
    return GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[Validator(public_key=key(99).public_key, power=10)],
        app_state={"governance": {"orgs": orgs, "members": members, "policies": policies}},
    )


def apps() -> dict[str, App]:
    return {**registry.apps(), "documents": DOCUMENTS}


_GENESIS: dict[bytes, bytes] | None = None


def _genesis_state() -> dict[bytes, bytes]:
    global _GENESIS
    if _GENESIS is None:
        doc = genesis_doc()
        buffer = BlockBuffer(MemStore())
        for name, app in sorted(apps().items()):
            if app.genesis is None:
                continue
            section = msgspec.convert(doc.app_state.get(name, {}), type=app.genesis_type, strict=True)
            tb = TxBuffer(buffer)
            app.genesis(AppState(tb, name), section)
            tb.merge()
        _GENESIS = {k: v for k, v in iter_changes(buffer.writes) if v is not None}
    return _GENESIS


class Ledger:
    def __init__(self) -> None:
        self.executor = Executor(apps(), registry.authority())
        self.store = MemStore(_genesis_state())
        self.height = 0
        self.time_ms = GENESIS_TIME_MS
        self.last: BlockOutcome | None = None

    @staticmethod
    def tx(op: str, body: Record, *signers: SigningKey) -> Transaction:
        payload = TxPayload(
            chain_id=CHAIN_ID,
            app="documents",
            op=op,
            body=encode(body),
            signers=[k.public_key for k in signers],
            nonce=next(_NONCES),
            expiry_height=10**9,
        )
        return Transaction(payload=payload, signatures=[b""] * len(signers))

    def block(self, txs: list[Transaction]) -> list[Receipt]:
        self.height += 1
        self.time_ms += BLOCK_MS
        ctx = BlockContext(chain_id=CHAIN_ID, height=self.height, time_ms=self.time_ms)
        outcome = self.executor.run_block(self.store, ctx, txs, [txmod.tx_id(t.payload) for t in txs])
        for k, v in iter_changes(outcome.buffer.writes):
            if v is None:
                self.store.data.pop(k, None)
            else:
                self.store.data[k] = v
        self.last = outcome
        return outcome.receipts

    def do(self, op: str, body: Record, *signers: SigningKey) -> Receipt:
        (receipt,) = self.block([self.tx(op, body, *signers)])
        return receipt

    def ok(self, op: str, body: Record, *signers: SigningKey) -> Receipt:
        r = self.do(op, body, *signers)
        assert r.code == "ok", f"{op}: {r.code}: {r.message}"
        return r

    def refused(self, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """The transaction fails with `code` and writes nothing at all."""
        before = dict(self.store.data)
        r = self.do(op, body, *signers)
        assert r.code == code, f"{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    @property
    def view(self) -> AppView:
        return AppView(self.store, "documents")
