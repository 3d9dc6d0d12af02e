"""Test harness for the documents app: its cast, a genesis holding `issuer` members and the app's
DEFAULT_POLICIES, and the in-memory block driver of tests/harness_base.py configured for it
(the real executor over a dict; unsigned transactions, the executor trusts the signer list).
"""

from __future__ import annotations

from govledger.apps import registry
from govledger.apps.documents.app import APP as DOCUMENTS
from govledger.apps.documents.app import default_policies_json
from govledger.apps.documents.store import REGISTRY_KIND, STORE_KIND, derive_address
from govledger.ledger.app import App
from govledger.ledger.genesis import GenesisDoc
from tests.harness_base import AppLedger, LedgerSetup, Member, governance_genesis, sha
from tests.harness_base import key as key
from tests.harness_base import kid as kid

CHAIN_ID = "documents-test"
GENESIS_TIME_MS = 1_750_000_000_000

MEMBERS: tuple[Member, ...] = (
    ("admin-1", "ministry", "agency", ["admin"], 1),
    ("issuer-1", "registry", "agency", ["issuer"], 2),
    ("issuer-2", "customs", "agency", ["issuer"], 3),
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


h = sha  # the tests' short name for a label's SHA-256


def genesis_doc() -> GenesisDoc:
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, default_policies_json())


def apps() -> dict[str, App]:
    return {**registry.apps(), "documents": DOCUMENTS}


class Ledger(AppLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py)."""

    setup = LedgerSetup(genesis_doc, apps)
    app = "documents"
