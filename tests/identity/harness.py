"""An in-memory ledger with the identity app, for the app's tests and the end-to-end flows.

The same approach as tests/apps/land/harness.py: the real executor and governance authority over a
dict, unsigned transactions (the executor trusts the signer list; signature checks are tested in
tests/ledger). The genesis has an admin, a trust registry official and an issuing agency, and the
identity app's DEFAULT_POLICIES.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import msgspec

from govledger.apps import registry
from govledger.apps.identity.app import APP as IDENTITY
from govledger.apps.identity.app import default_policies_json
from govledger.apps.identity.model import DidCreate, DidKey, StatusAllocate, StatusListCreate
from govledger.codec import Record, encode
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.identity.jose import JwsSigner
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, AppView, BlockContext, HasRole
from govledger.ledger.block import Receipt, Validator
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import GenesisDoc
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes
from govledger.ledger.tx import Transaction, TxPayload
from tests.support import MemStore

CHAIN_ID = "id-test"
GENESIS_TIME_MS = 1_780_000_000_000  # 2026-05-28
BLOCK_MS = 1000
BASE_URL = "http://testserver"

_NONCES = itertools.count(1)


def seed(n: int) -> bytes:
    return n.to_bytes(32, "big")


def key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, seed(n))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


MEMBERS = (
    ("admin-1", "ministry", ["admin"], 1),
    ("trust-1", "trust-office", ["trust_registry"], 2),
    ("moi-1", "interior", ["issuer"], 3),
    ("lands-1", "lands", ["issuer"], 4),
)


class K:
    admin = key(1)
    trust = key(2)
    moi = key(3)  # the interior ministry: issues PID and age credentials
    lands = key(4)
    moi_rotated = key(30)
    alice = key(11)
    bob = key(12)
    outsider = key(50)


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
    return {**registry.apps(), "identity": IDENTITY}


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

    def clone(self) -> Ledger:
        other = Ledger.__new__(Ledger)
        other.executor = self.executor
        other.store = MemStore(self.store.data)
        other.height, other.time_ms, other.last = self.height, self.time_ms, None
        return other

    @staticmethod
    def tx(op: str, body: Record, *signers: SigningKey, app: str = "identity") -> Transaction:
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

    def do(self, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS) -> Receipt:
        (receipt,) = self.block([self.tx(op, body, *signers)], advance_ms=advance_ms)
        return receipt

    def ok(self, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS) -> Receipt:
        r = self.do(op, body, *signers, advance_ms=advance_ms)
        assert r.code == "ok", f"{op}: {r.code}: {r.message}"
        return r

    def refused(self, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and writes nothing at all."""
        before = dict(self.store.data)
        r = self.do(op, body, *signers)
        assert r.code == code, f"{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    @property
    def view(self) -> AppView:
        return AppView(self.store, "identity")

    def fingerprint(self) -> bytes:
        h = hashlib.sha256()
        for k in sorted(self.store.data):
            h.update(len(k).to_bytes(4, "big") + k + hashlib.sha256(self.store.data[k]).digest())
        return h.digest()


def attrs(receipt: Receipt, kind: str) -> dict[str, Any]:
    (e,) = [e for e in receipt.events if e.kind == kind]
    return dict(e.attributes)


def did_key_of(k: SigningKey, fragment: str = "key-1", purposes: list[str] | None = None) -> DidKey:
    return DidKey(
        fragment, k.public_key, purposes or ["authentication", "assertionMethod", "capabilityInvocation"]
    )


MOI_DID = f"did:govledger:{CHAIN_ID}:moi"
LIST_ID = "moi-1"
LIST_URI = f"{BASE_URL}/identity/status/{LIST_ID}"


def moi_signer() -> JwsSigner:
    """The interior ministry's credential key: the same Ed25519 seed as its ledger key."""
    return JwsSigner.from_ed25519_seed(seed(3), kid=f"{MOI_DID}#key-1")


def world() -> Ledger:
    """The interior ministry's DID (did:govledger:id-test:moi) and its 2-bit status list `moi-1`."""
    led = Ledger()
    led.ok("did_create", DidCreate("moi", [did_key_of(K.moi)], []), K.moi)
    led.ok("status_list_create", StatusListCreate(LIST_ID, MOI_DID, LIST_URI, 131_072, 2), K.moi)
    return led


_WORLD: Ledger | None = None


def fresh_world() -> Ledger:
    global _WORLD
    if _WORLD is None:
        _WORLD = world()
    return _WORLD.clone()


class HarnessPort:
    """`identity.api.LedgerPort` over the in-memory ledger; the issuer signs allocations."""

    chain_id = CHAIN_ID

    def __init__(self, led: Ledger, issuer_key: SigningKey) -> None:
        self.led = led
        self.issuer_key = issuer_key

    def reader(self) -> MemStore:
        return self.led.store

    def allocate(self, list_id: str, count: int, subject_ref: bytes) -> list[int]:
        r = self.led.ok("status_allocate", StatusAllocate(list_id, count, subject_ref), self.issuer_key)
        return [int(i) for i in str(attrs(r, "allocated")["indices"]).split(",")]
