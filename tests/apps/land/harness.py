"""Test harnesses for the land app: its cast, genesis (the land roles and DEFAULT_POLICIES), body
helpers, and the two drivers of tests/harness_base.py configured for it.

`Ledger`: the real executor over an in-memory state, unsigned transactions; fast enough for
hypothesis to run thousands of blocks. `world()`/`fresh_world()`: parties and two parcels on it.

`LandChain`: the real LMDB chain with signed transactions, for determinism and end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import App, HasRole
from govledger.ledger.genesis import GenesisDoc
from tests.harness_base import AppLedger, ChainDriver, LedgerSetup, Member, clones_of, governance_genesis
from tests.harness_base import attrs as attrs
from tests.harness_base import codes as codes
from tests.harness_base import key as key
from tests.harness_base import kid as kid
from tests.harness_base import sha as sha

CHAIN_ID = "land-test"
GENESIS_TIME_MS = 1_750_000_000_000
DAY_MS = 24 * 3600 * 1000

T = TypeVar("T")

MEMBERS: tuple[Member, ...] = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("registrar-1", "registry", "registry", ["registrar", "issuer"], 2),
    ("surveyor-1", "cadastre", "agency", ["surveyor"], 3),
    ("notary-1", "notaries", "notary", ["notary", "issuer"], 4),
    ("court-1", "court", "court", ["court", "issuer"], 5),
    ("bank-1", "bank", "bank", ["bank"], 6),
)


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
    policies = {"attest.record": msgspec.to_builtins(HasRole(role="issuer")), **default_policies_json()}
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, policies)


def apps() -> dict[str, App]:
    """The installed apps plus land (registry.py is the lead's to edit)."""
    return {**registry.apps(), "land": LAND}


# --- body helpers -----------------------------------------------------------------------------------


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


SETUP = LedgerSetup(genesis_doc, apps)


class Ledger(AppLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py)."""

    setup = SETUP
    app = "land"

    def title(self, parcel_id: str) -> TitleVersion:
        return self.stored(b"title/" + parcel_id.encode(), TitleVersion)

    def owners(self, parcel_id: str) -> dict[str, tuple[int, int]]:
        return {h.party_id: (h.share.num, h.share.den) for h in self.title(parcel_id).owners}


def world_parties(tx: Callable[..., T]) -> list[T]:
    """The first block of `world()`, built with `tx(op, body, *signers)` (a `Ledger`'s or a
    `LandChain`'s): parties alice, bob, carol, dave, erin (persons) and bank-1 (organisation)."""
    regs = [
        person("alice", A.alice),
        person("bob", A.bob),
        person("carol", A.carol),
        person("dave", A.dave),
        person("erin", A.erin),
        organisation("bank-1", A.bank),
    ]
    signers = [A.alice, A.bob, A.carol, A.dave, A.erin, A.bank]
    return [tx("register_party", r, A.registrar, k) for r, k in zip(regs, signers, strict=True)]


def world_parcels(tx: Callable[..., T]) -> list[T]:
    """The second block of `world()`: parcels P1 (alice 1/1, 100x100 m, building B1) and
    P2 (alice 1/2, bob 1/2, 100x100 m)."""
    return [
        tx(
            "first_registration",
            first_reg("P1", [hold("alice")], buildings=[building("B1", 10, 10)]),
            A.surveyor,
            A.registrar,
        ),
        tx(
            "first_registration",
            first_reg("P2", [hold("alice", 1, 2), hold("bob", 1, 2)], x_m=200),
            A.surveyor,
            A.registrar,
        ),
    ]


def world() -> Ledger:
    """Parties alice, bob, carol, dave, erin (persons) and bank-1 (organisation); parcels
    P1 (alice 1/1, 100x100 m, building B1) and P2 (alice 1/2, bob 1/2, 100x100 m)."""
    led = Ledger()
    receipts = led.block(world_parties(led.tx))
    assert [r.code for r in receipts] == ["ok"] * 6, receipts
    receipts = led.block(world_parcels(led.tx))
    assert [r.code for r in receipts] == ["ok", "ok"], receipts
    return led


fresh_world = clones_of(world)  # a copy of world() per call; world() runs once


def attest(led: Ledger, label: str, by: SigningKey) -> bytes:
    digest = sha("attested:" + label)
    (r,) = led.block([led.tx("record", RecordBody(digest, "deed", label), by, app="attest")])
    assert r.code in ("ok", "attest.already_recorded"), r
    return digest


# --- the real chain ---------------------------------------------------------------------------------


class LandChain(ChainDriver):
    """An LMDB chain with the land app installed; transactions are signed for real."""

    setup = SETUP

    def tx(self, op: str, body: Record, *signers: SigningKey, app: str = "land") -> bytes:
        return self.signed(app, op, body, signers)


def genesis_bytes() -> bytes:
    return SETUP.genesis_bytes()
