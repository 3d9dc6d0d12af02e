"""An in-memory ledger with the identity app, for the app's tests and the end-to-end flows.

The in-memory block driver of tests/harness_base.py (the real executor and governance authority over
a dict, unsigned transactions) with a genesis holding an admin, a trust registry official and issuing
agencies, and the identity app's DEFAULT_POLICIES; `world()`: the interior ministry's DID and status
list on it.
"""

from __future__ import annotations

from govledger.apps import registry
from govledger.apps.identity.app import APP as IDENTITY
from govledger.apps.identity.app import default_policies_json
from govledger.apps.identity.model import DidCreate, DidKey, StatusAllocate, StatusListCreate
from govledger.crypto.signatures import SigningKey
from govledger.identity.jose import JwsSigner
from govledger.ledger.app import App
from govledger.ledger.genesis import GenesisDoc
from tests.harness_base import AppLedger, LedgerSetup, Member, clones_of, governance_genesis
from tests.harness_base import attrs as attrs
from tests.harness_base import key as key
from tests.harness_base import kid as kid
from tests.support import MemStore

CHAIN_ID = "id-test"
GENESIS_TIME_MS = 1_780_000_000_000  # 2026-05-28
BASE_URL = "http://testserver"


def seed(n: int) -> bytes:
    """The private key bytes behind `key(n)`."""
    return n.to_bytes(32, "big")


MEMBERS: tuple[Member, ...] = (
    ("admin-1", "ministry", "agency", ["admin"], 1),
    ("trust-1", "trust-office", "agency", ["trust_registry"], 2),
    ("moi-1", "interior", "agency", ["issuer"], 3),
    ("lands-1", "lands", "agency", ["issuer"], 4),
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
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, default_policies_json())


def apps() -> dict[str, App]:
    return {**registry.apps(), "identity": IDENTITY}


class Ledger(AppLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py)."""

    setup = LedgerSetup(genesis_doc, apps)
    app = "identity"


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


fresh_world = clones_of(world)  # a copy of world() per call; world() runs once


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
