"""Test harnesses for the privacy and vital apps and the vault (shared by their three test folders):
the cast, a genesis holding their roles, policies and purposes, and the two drivers of
tests/harness_base.py configured for them. Every call names its app (two apps, on equal terms).

`Ledger`: the real executor over an in-memory state, unsigned transactions. Fast: one block per call.

`PrivChain`: the real LMDB chain with signed transactions, for determinism, the vault's reads
against committed state, and erasure-then-verify tests.
"""

from __future__ import annotations

import itertools

from govledger.apps import registry
from govledger.apps.privacy.app import APP as PRIVACY
from govledger.apps.privacy.app import DEFAULT_PURPOSES
from govledger.apps.privacy.app import default_policies_json as privacy_policies
from govledger.apps.privacy.model import RegisterData
from govledger.apps.vital.app import APP as VITAL
from govledger.apps.vital.app import default_policies_json as vital_policies
from govledger.apps.vital.model import Person
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import App, AppView
from govledger.ledger.block import Receipt
from govledger.ledger.genesis import GenesisDoc
from govledger.ledger.tx import Transaction
from tests.harness_base import ChainDriver, LedgerSetup, Member, MemLedger, governance_genesis
from tests.harness_base import attrs as attrs
from tests.harness_base import key as key
from tests.harness_base import kid as kid
from tests.harness_base import sha as sha

CHAIN_ID = "vital-test"
GENESIS_TIME_MS = 1_760_000_000_000
BLOCK_MS = 1000
DAY_MS = 24 * 3600 * 1000

MEMBERS: tuple[Member, ...] = (
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
    policies = {**privacy_policies(), **vital_policies()}
    purposes = {"privacy": {"purposes": DEFAULT_PURPOSES}}
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, policies, purposes)


def genesis_bytes() -> bytes:
    return SETUP.genesis_bytes()


def apps() -> dict[str, App]:
    """The installed apps plus privacy and vital (registry.py is the lead's to edit)."""
    return {**registry.apps(), "privacy": PRIVACY, "vital": VITAL}


# --- in-memory ledger -------------------------------------------------------------------------------


SETUP = LedgerSetup(genesis_doc, apps, block_ms=BLOCK_MS)


class Ledger(MemLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py); every
    transaction names its app first."""

    setup = SETUP

    def __init__(self) -> None:
        super().__init__()
        self._people = itertools.count(1)

    @classmethod
    def tx(cls, app: str, op: str, body: Record, *signers: SigningKey) -> Transaction:
        return cls.tx_in(app, op, body, *signers)

    def do(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None
    ) -> Receipt:
        return self.do_in(app, op, body, *signers, advance_ms=advance_ms)

    def ok(
        self, app: str, op: str, body: Record, *signers: SigningKey, advance_ms: int | None = None
    ) -> Receipt:
        return self.ok_in(app, op, body, *signers, advance_ms=advance_ms)

    def refused(self, app: str, op: str, body: Record, *signers: SigningKey, code: str) -> Receipt:
        """Assert the transaction fails with `code` and writes nothing at all."""
        return self.refused_in(app, op, body, *signers, code=code)

    def view(self, app: str) -> AppView:
        return self.view_of(app)

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


# --- the real chain ---------------------------------------------------------------------------------


class PrivChain(ChainDriver):
    """An LMDB chain with the privacy and vital apps installed; transactions are signed for real."""

    setup = SETUP

    def tx(self, app: str, op: str, body: Record, *signers: SigningKey) -> bytes:
        return self.signed(app, op, body, signers)

    def ok(self, app: str, op: str, body: Record, *signers: SigningKey) -> Receipt:
        (r,) = self.commit([self.tx(app, op, body, *signers)]).receipts
        assert r.code == "ok", f"{app}.{op}: {r.code}: {r.message}"
        return r
