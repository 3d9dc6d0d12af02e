"""Test harnesses for the land app.

`Ledger`: the real executor, governance authority and apps over an in-memory state dict, with
unsigned transactions (the executor trusts the signer list; signature checks are the block
validator's job, tested in tests/ledger). Fast enough for hypothesis to run thousands of blocks.

`LandChain`: the real LMDB chain with signed transactions, for determinism and end-to-end tests
(the same approach as tests/ledger/conftest.py's DevChain, with the land app installed and a genesis
holding the land roles and DEFAULT_POLICIES).
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import msgspec

from govledger.apps import registry
from govledger.apps.attest.app import RecordBody
from govledger.apps.land.app import APP as LAND
from govledger.apps.land.app import default_policies_json
from govledger.apps.land.model import (
    Boundary,
    FirstRegistration,
    Holding,
    NewBuilding,
    RegisterParty,
    Share,
    Source,
    TitleVersion,
)
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

CHAIN_ID = "land-test"
GENESIS_TIME_MS = 1_750_000_000_000
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
    ("registrar-1", "registry", "registry", ["registrar", "issuer"], 2),
    ("surveyor-1", "cadastre", "agency", ["surveyor"], 3),
    ("notary-1", "notaries", "notary", ["notary", "issuer"], 4),
    ("court-1", "court", "court", ["court", "issuer"], 5),
    ("bank-1", "bank", "bank", ["bank"], 6),
)
VALIDATOR_KEY = 99


class A:
    """The cast: governance officials (by role) and citizens (land parties), with fixed keys."""

    admin = key(1)
    registrar = key(2)
    surveyor = key(3)
    notary = key(4)
    court = key(5)
    bank = key(6)  # also bound to the land party "bank-1": one signature, both hats
    alice = key(11)
    bob = key(12)
    carol = key(13)
    dave = key(14)
    erin = key(15)
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
        "attest.record": msgspec.to_builtins(HasRole(role="issuer")),
        **default_policies_json(),
    }
    return GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[Validator(public_key=key(VALIDATOR_KEY).public_key, power=10)],
        app_state={"governance": {"orgs": list(orgs.values()), "members": members, "policies": policies}},
    )


def apps() -> dict[str, App]:
    """The installed apps plus land (registry.py is the lead's to edit)."""
    return {**registry.apps(), "land": LAND}


# --- body helpers -----------------------------------------------------------------------------------


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def src(kind: str, label: str = "", attest: bytes = b"") -> Source:
    return Source(kind=kind, sha256=sha(label or kind), attest_digest=attest)


def share(num: int, den: int = 1) -> Share:
    return Share(num=num, den=den)


def hold(party: str, num: int = 1, den: int = 1) -> Holding:
    return Holding(party_id=party, share=Share(num=num, den=den))


def rect(x_m: int, y_m: int, w_m: int, h_m: int, crs: str = "EPSG:3006") -> Boundary:
    """An axis-aligned rectangle, counter-clockwise, in centimetres."""
    x, y, w, h = x_m * 100, y_m * 100, w_m * 100, h_m * 100
    return Boundary(crs=crs, rings=[[(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]])


def person(party_id: str, *keys: SigningKey, threshold: int = 1) -> RegisterParty:
    return RegisterParty(
        party_id=party_id,
        kind="person",
        commitment=sha("vault:" + party_id),
        key_ids=[kid(k) for k in keys],
        threshold=threshold,
        members=[],
    )


def organisation(party_id: str, *keys: SigningKey) -> RegisterParty:
    return RegisterParty(
        party_id=party_id,
        kind="organisation",
        commitment=sha("vault:" + party_id),
        key_ids=[kid(k) for k in keys],
        threshold=1,
        members=[],
    )


def building(bid: str, x_m: int, y_m: int, w_m: int = 10, h_m: int = 10) -> NewBuilding:
    return NewBuilding(
        building_id=bid,
        use="residential",
        floors=2,
        floor_area_m2=2 * w_m * h_m,
        footprint=rect(x_m, y_m, w_m, h_m),
    )


def first_reg(
    parcel_id: str,
    owners: list[Holding],
    *,
    x_m: int = 0,
    w_m: int = 100,
    h_m: int = 100,
    buildings: list[NewBuilding] | None = None,
) -> FirstRegistration:
    return FirstRegistration(
        parcel_id=parcel_id,
        boundary=rect(x_m, 0, w_m, h_m),
        area_m2=w_m * h_m,
        land_use="residential",
        owners=owners,
        buildings=buildings or [],
        sources=[src("survey_plan", parcel_id)],
    )


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

    def clone(self) -> Ledger:
        other = Ledger.__new__(Ledger)
        other.executor = self.executor
        other.store = MemStore(self.store.data)
        other.height, other.time_ms, other.last = self.height, self.time_ms, None
        return other

    @staticmethod
    def tx(op: str, body: Record, *signers: SigningKey, app: str = "land") -> Transaction:
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
        """One transaction in its own block."""
        (receipt,) = self.block([self.tx(op, body, *signers)], advance_ms=advance_ms)
        return receipt

    def ok(self, op: str, body: Record, *signers: SigningKey) -> Receipt:
        r = self.do(op, body, *signers)
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

    def fingerprint(self) -> bytes:
        h = hashlib.sha256()
        for k in sorted(self.store.data):
            h.update(len(k).to_bytes(4, "big") + k + hashlib.sha256(self.store.data[k]).digest())
        return h.digest()

    @property
    def view(self) -> AppView:
        return AppView(self.store, "land")

    def title(self, parcel_id: str) -> TitleVersion:
        t = self.view.get_as(b"title/" + parcel_id.encode(), TitleVersion)
        assert t is not None
        return t

    def owners(self, parcel_id: str) -> dict[str, tuple[int, int]]:
        return {h.party_id: (h.share.num, h.share.den) for h in self.title(parcel_id).owners}


def world() -> Ledger:
    """Parties alice, bob, carol, dave, erin (persons) and bank-1 (organisation); parcels
    P1 (alice 1/1, 100x100 m, building B1) and P2 (alice 1/2, bob 1/2, 100x100 m)."""
    led = Ledger()
    regs = [
        person("alice", A.alice),
        person("bob", A.bob),
        person("carol", A.carol),
        person("dave", A.dave),
        person("erin", A.erin),
        organisation("bank-1", A.bank),
    ]
    signers = [A.alice, A.bob, A.carol, A.dave, A.erin, A.bank]
    receipts = led.block(
        [led.tx("register_party", r, A.registrar, k) for r, k in zip(regs, signers, strict=True)]
    )
    assert [r.code for r in receipts] == ["ok"] * len(regs), receipts
    receipts = led.block(
        [
            led.tx(
                "first_registration",
                first_reg("P1", [hold("alice")], buildings=[building("B1", 10, 10)]),
                A.surveyor,
                A.registrar,
            ),
            led.tx(
                "first_registration",
                first_reg("P2", [hold("alice", 1, 2), hold("bob", 1, 2)], x_m=200),
                A.surveyor,
                A.registrar,
            ),
        ]
    )
    assert [r.code for r in receipts] == ["ok", "ok"], receipts
    return led


_WORLD: Ledger | None = None


def fresh_world() -> Ledger:
    global _WORLD
    if _WORLD is None:
        _WORLD = world()
    return _WORLD.clone()


def attest(led: Ledger, label: str, by: SigningKey) -> bytes:
    digest = sha("attested:" + label)
    (r,) = led.block([led.tx("record", RecordBody(digest, "deed", label), by, app="attest")])
    assert r.code in ("ok", "attest.already_recorded"), r
    return digest


# --- the real chain ---------------------------------------------------------------------------------


class LandChain:
    """An LMDB chain with the land app installed; transactions are signed for real."""

    def __init__(self, path: Path, genesis: bytes) -> None:
        self.storage = Storage(path, sync=False)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis, apps())
        self.chain = Chain(self.storage, apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms
        self.validator = key(VALIDATOR_KEY)

    def tx(self, op: str, body: Record, *signers: SigningKey, app: str = "land") -> bytes:
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

    def close(self) -> None:
        self.chain.verifier.close()
        self.storage.close()


def genesis_bytes() -> bytes:
    return dump_genesis(genesis_doc())


def codes(receipts: list[Receipt]) -> list[str]:
    return [r.code for r in receipts]


def attrs(receipt: Receipt, kind: str) -> dict[str, Any]:
    (e,) = [e for e in receipt.events if e.kind == kind]
    return dict(e.attributes)
