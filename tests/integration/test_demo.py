"""`run_demo` seeds every register through the API, and a second run changes nothing."""

from __future__ import annotations

from govledger.cli.demo import run_demo
from govledger.cli.demo_data import SMALL

from .conftest import World


def test_demo_seeds_every_register(world: World) -> None:
    counts = world.first.counts
    assert counts["land-parcels imported"] == SMALL.parcels
    assert counts["births registered"] == SMALL.births
    assert counts["companies imported"] == SMALL.companies
    assert counts["marriages and deaths registered"] == SMALL.marriages + SMALL.deaths
    assert counts["personal records sealed in the vault"] >= 2 * SMALL.births
    q = world.client.query
    assert q("land", "title", parcel_id="P-001")["owners"][0]["party_id"] == "lp-0001"
    sold = q("land", "title", parcel_id="P-002")
    assert sold["owners"] == [{"party_id": f"lp-{SMALL.parcels + 1:04d}", "share": {"num": 1, "den": 1}}]
    assert sold["entry"]["op"] == "transfer" and sold["version"] == 3  # registered, noticed, sold
    birth = q("vital", "record", id="BR-00001")["current"]
    assert birth["registration_number"].startswith("B-") and birth["notification_id"] == "N-BR-00001"
    resolution = q("company", "resolution", company_id="CO-0005", resolution_id="R-1")
    assert resolution["voters"] >= 1 and resolution["yes"] > 0


def test_demo_is_idempotent(world: World) -> None:
    before = world.client.height()
    again = run_demo(world.client, world.st, SMALL, progress=False)
    assert world.client.height() == before, again.line()
    assert not any(
        k.endswith(("imported", "registered", "notified", "sealed in the vault")) for k in again.counts
    )
    assert again.counts["attestations already there"] == 300
