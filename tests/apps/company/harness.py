"""Test harnesses for the company app: its cast, genesis (the company roles and DEFAULT_POLICIES),
body helpers, and the two drivers of tests/harness_base.py configured for it.

`Ledger`: the real executor over an in-memory state, unsigned transactions; fast enough for
hypothesis to run many blocks. `world()`/`fresh_world()`: parties and the company ACME on it.

`CompanyChain`: the real LMDB chain with signed transactions, for the determinism test.
"""

from __future__ import annotations

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
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import App, HasRole
from govledger.ledger.block import Receipt
from govledger.ledger.genesis import GenesisDoc
from tests.harness_base import AppLedger, ChainDriver, LedgerSetup, Member, clones_of, governance_genesis
from tests.harness_base import attrs as attrs
from tests.harness_base import codes as codes
from tests.harness_base import key as key
from tests.harness_base import kid as kid
from tests.harness_base import sha as sha

CHAIN_ID = "company-test"
GENESIS_TIME_MS = 1_750_000_000_000
BLOCK_MS = 1000
DAY_MS = 24 * 3600 * 1000
YEAR_MS = 365 * DAY_MS

MEMBERS: tuple[Member, ...] = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("clerk-1", "company-registry", "registry", ["company_registrar", "issuer"], 2),
    ("licensing-1", "economic-department", "agency", ["licensing"], 3),
    ("land-registrar-1", "land-registry", "registry", ["registrar"], 4),
)


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
    policies = {"attest.record": msgspec.to_builtins(HasRole(role="issuer")), **default_policies_json()}
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, policies)


def apps() -> dict[str, App]:
    """The installed apps plus company (registry.py is the lead's to edit)."""
    return {**registry.apps(), "company": COMPANY}


# --- body helpers -----------------------------------------------------------------------------------


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


SETUP = LedgerSetup(genesis_doc, apps, block_ms=BLOCK_MS)


class Ledger(AppLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py)."""

    setup = SETUP
    app = "company"
    # A refused transaction's block moves the clock 1 ms only: company timers (licence renewals,
    # overdue returns, deadlines) must not fall due in it, or its end_block would write.
    refused_advance_ms = 1

    def company(self, company_id: str = "ACME") -> CompanyVersion:
        return self.stored(company_key(company_id), CompanyVersion)

    def share_class(self, class_id: str, company_id: str = "ACME") -> ShareClass:
        return self.stored(class_key(company_id, class_id), ShareClass)

    def holding(self, party_id: str, class_id: str = "ORD", company_id: str = "ACME") -> int:
        return holding(self.view, company_id, class_id, party_id)

    def licence(self, licence_id: str = "L1", company_id: str = "ACME") -> Licence:
        return self.stored(licence_key(company_id, licence_id), Licence)

    def resolution(self, resolution_id: str, company_id: str = "ACME") -> Resolution:
        return self.stored(resolution_key(company_id, resolution_id), Resolution)


def world() -> Ledger:
    """Parties alice..frank (persons); company ACME (directors alice and bob, secretary carol; ORD:
    alice 600, bob 400; PREF (no votes): dave 100)."""
    led = Ledger()
    receipts = led.block([led.tx("register_party", person(p, k), A.clerk, k) for p, k in PARTY_KEYS.items()])
    assert [r.code for r in receipts] == ["ok"] * len(PARTY_KEYS), receipts
    body = incorporation()
    led.ok("incorporate", body, A.clerk, *signers_for(body))
    return led


fresh_world = clones_of(world)  # a copy of world() per call; world() runs once


BOARD = (A.alice, A.bob)


# --- the real chain ---------------------------------------------------------------------------------


class CompanyChain(ChainDriver):
    """An LMDB chain with the company app installed; transactions are signed for real."""

    setup = SETUP

    def tx(self, op: str, body: Record, *signers: SigningKey, nonce: int) -> bytes:
        return self.signed("company", op, body, signers, nonce=nonce, expiry_height=10_000)


def genesis_bytes() -> bytes:
    return SETUP.genesis_bytes()


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
