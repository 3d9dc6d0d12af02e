"""Test harnesses for the company app.

`Ledger`: the real executor, governance authority and apps over an in-memory state dict, with
unsigned transactions (the executor trusts the signer list; signature checks are the block
validator's job, tested in tests/ledger). Fast enough for hypothesis to run many blocks.

`CompanyChain`: the real LMDB chain with signed transactions, for the determinism test.

Both install the company app next to `registry.apps()` (registry.py is the lead's to edit) with a
genesis holding the company roles and `DEFAULT_POLICIES`.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import msgspec

from govledger.apps import registry
from govledger.apps.company.app import APP as COMPANY
from govledger.apps.company.app import default_policies_json
from govledger.apps.company.model import (
    Allotment,
    CastVote,
    CompanyVersion,
    Incorporate,
    Licence,
    NewOfficer,
    NewShareClass,
    ProposeResolution,
    RegisterParty,
    Resolution,
    ShareClass,
)
from govledger.apps.company.store import class_key, company_key, holding, licence_key, resolution_key
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

CHAIN_ID = "company-test"
GENESIS_TIME_MS = 1_750_000_000_000
BLOCK_MS = 1000
DAY_MS = 24 * 3600 * 1000
YEAR_MS = 365 * DAY_MS

_NONCES = itertools.count(1)


def key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, n.to_bytes(32, "big"))


def kid(k: SigningKey) -> bytes:
    return k.public_key.key_id()


# governance members: (member id, org, org kind, roles, key number)
MEMBERS = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("clerk-1", "company-registry", "registry", ["company_registrar", "issuer"], 2),
    ("licensing-1", "economic-department", "agency", ["licensing"], 3),
    ("land-registrar-1", "land-registry", "registry", ["registrar"], 4),
)
VALIDATOR_KEY = 99


class A:
    """The cast: officials (by role) and parties (company parties), with fixed keys."""

    admin = key(1)
    clerk = key(2)  # company_registrar
    licensing = key(3)
    land_registrar = key(4)  # a land `registrar`: not a company registrar
    alice = key(11)
    bob = key(12)
    carol = key(13)
    dave = key(14)
    erin = key(15)
    frank = key(16)
    outsider = key(50)


PARTY_KEYS: dict[str, SigningKey] = {
    "alice": A.alice,
    "bob": A.bob,
    "carol": A.carol,
    "dave": A.dave,
    "erin": A.erin,
    "frank": A.frank,
}


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
    """The installed apps plus company (registry.py is the lead's to edit)."""
    return {**registry.apps(), "company": COMPANY}


# --- body helpers -----------------------------------------------------------------------------------


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def person(party_id: str, *keys: SigningKey, threshold: int = 1) -> RegisterParty:
    return RegisterParty(party_id, "person", sha("vault:" + party_id), [kid(k) for k in keys], threshold)


ORD = NewShareClass("ORD", votes_per_share=1, par_value_minor=100, currency="AED", authorised=1_000_000)
PREF = NewShareClass("PREF", votes_per_share=0, par_value_minor=1000, currency="AED", authorised=10_000)


def incorporation(
    company_id: str = "ACME",
    name: str = "Acme Trading LLC",
    *,
    founders: list[str] | None = None,
    officers: list[NewOfficer] | None = None,
    allotments: list[Allotment] | None = None,
) -> Incorporate:
    return Incorporate(
        company_id=company_id,
        name=name,
        legal_form="llc",
        articles_sha256=sha("articles:" + company_id),
        office_commitment=sha("office:" + company_id),
        founders=founders if founders is not None else ["alice", "bob"],
        officers=officers
        if officers is not None
        else [
            NewOfficer("alice", "director"),
            NewOfficer("bob", "director"),
            NewOfficer("carol", "secretary"),
        ],
        share_classes=[ORD, PREF],
        allotments=allotments
        if allotments is not None
        else [Allotment("ORD", "alice", 600), Allotment("ORD", "bob", 400), Allotment("PREF", "dave", 100)],
    )


def signers_for(body: Incorporate) -> list[SigningKey]:
    parties = dict.fromkeys([*body.founders, *(o.party_id for o in body.officers)])
    return [PARTY_KEYS[p] for p in parties]


# --- in-memory ledger -------------------------------------------------------------------------------


_GENESIS_STATE: dict[bytes, bytes] | None = None


def _genesis_state() -> dict[bytes, bytes]:
    global _GENESIS_STATE
    if _GENESIS_STATE is None:
        doc = genesis_doc()
        buffer = BlockBuffer(MemStore())
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
    def tx(op: str, body: Record, *signers: SigningKey, app: str = "company") -> Transaction:
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

    def ok(self, op: str, body: Record, *signers: SigningKey, advance_ms: int = BLOCK_MS) -> Receipt:
        r = self.do(op, body, *signers, advance_ms=advance_ms)
        assert r.code == "ok", f"{op}: {r.code}: {r.message}"
        return r

    def refused(self, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and writes nothing at all (an empty block after it)."""
        before = dict(self.store.data)
        r = self.do(op, body, *signers, advance_ms=1)
        assert r.code == code, f"{op}: expected {code}, got {r.code}: {r.message}"
        assert r.events == []
        assert self.last is not None and self.last.buffer.writes == {}, "a failed transaction wrote"
        assert self.store.data == before
        return r

    def tick(self, advance_ms: int) -> list[Any]:
        """An empty block `advance_ms` later; returns its end_block events."""
        self.block([], advance_ms=advance_ms)
        assert self.last is not None
        return list(self.last.end_block_events)

    @property
    def view(self) -> AppView:
        return AppView(self.store, "company")

    def company(self, company_id: str = "ACME") -> CompanyVersion:
        c = self.view.get_as(company_key(company_id), CompanyVersion)
        assert c is not None
        return c

    def share_class(self, class_id: str, company_id: str = "ACME") -> ShareClass:
        c = self.view.get_as(class_key(company_id, class_id), ShareClass)
        assert c is not None
        return c

    def holding(self, party_id: str, class_id: str = "ORD", company_id: str = "ACME") -> int:
        return holding(self.view, company_id, class_id, party_id)

    def licence(self, licence_id: str = "L1", company_id: str = "ACME") -> Licence:
        lic = self.view.get_as(licence_key(company_id, licence_id), Licence)
        assert lic is not None
        return lic

    def resolution(self, resolution_id: str, company_id: str = "ACME") -> Resolution:
        r = self.view.get_as(resolution_key(company_id, resolution_id), Resolution)
        assert r is not None
        return r


def world() -> Ledger:
    """Parties alice..frank (persons); company ACME (directors alice and bob, secretary carol; ORD:
    alice 600, bob 400; PREF (no votes): dave 100)."""
    led = Ledger()
    receipts = led.block([led.tx("register_party", person(p, k), A.clerk, k) for p, k in PARTY_KEYS.items()])
    assert [r.code for r in receipts] == ["ok"] * len(PARTY_KEYS), receipts
    body = incorporation()
    led.ok("incorporate", body, A.clerk, *signers_for(body))
    return led


_WORLD: Ledger | None = None


def fresh_world() -> Ledger:
    global _WORLD
    if _WORLD is None:
        _WORLD = world()
    return _WORLD.clone()


BOARD = (A.alice, A.bob)


# --- the real chain ---------------------------------------------------------------------------------


class CompanyChain:
    """An LMDB chain with the company app installed; transactions are signed for real."""

    def __init__(self, path: Path, genesis: bytes) -> None:
        self.storage = Storage(path, sync=False)
        if self.storage.genesis_bytes() is None:
            Chain.initialise(self.storage, genesis, apps())
        self.chain = Chain(self.storage, apps(), registry.authority(), BatchVerifier(threads=1))
        self.time_ms = self.chain.tip.time_ms
        self.validator = key(VALIDATOR_KEY)

    def tx(self, op: str, body: Record, *signers: SigningKey, nonce: int) -> bytes:
        t = txmod.build(
            CHAIN_ID, "company", op, encode(body), list(signers), nonce=nonce, expiry_height=10_000
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


def propose(
    led: Ledger,
    resolution_id: str,
    kind: str = "ordinary",
    motion: bytes | None = None,
    *,
    record_ahead: int = 0,
    voting_ms: int = 10 * DAY_MS,
) -> Receipt:
    """The board of ACME proposes; the record height is the proposal's block (+ `record_ahead`)."""
    body = ProposeResolution(
        "ACME",
        resolution_id,
        kind,
        motion if motion is not None else sha("motion:" + resolution_id),
        led.height + 1 + record_ahead,
        led.time_ms + BLOCK_MS + voting_ms,
    )
    return led.ok("propose_resolution", body, *BOARD)


def vote(led: Ledger, resolution_id: str, party_id: str, choice: str = "yes") -> Receipt:
    return led.do("cast_vote", CastVote("ACME", resolution_id, party_id, choice), PARTY_KEYS[party_id])


def pass_resolution(
    led: Ledger, resolution_id: str, kind: str = "ordinary", motion: bytes | None = None
) -> None:
    """alice (600) and bob (400) vote yes; the deadline passes; the resolution is `passed`."""
    propose(led, resolution_id, kind, motion)
    for p in ("alice", "bob"):
        r = vote(led, resolution_id, p)
        assert r.code == "ok", r
    led.tick(11 * DAY_MS)
    assert led.resolution(resolution_id).status == "passed"
