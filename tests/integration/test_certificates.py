"""Certificates end to end: issue (both forms) -> verify valid -> the register changes -> the node
revokes both by itself within two blocks -> verify says revoked; and the routes' errors."""

from __future__ import annotations

import base64
import time
from typing import Any

from govledger.apps.land.model import Holding, Share, Source, Transfer
from govledger.certificates.proved import SdkStateReader
from govledger.certificates.verifying import verify_oa, verify_sd_jwt
from govledger.cli.demo_data import SMALL, buyer_of, digest
from govledger.cli.demo_land import Plan
from govledger.importer.custody import Custody

from .conftest import World

PARCEL = "P-024"


def _cert(world: World, kind: str, record_id: str) -> dict[str, Any]:
    r = world.client._http.get(f"/v1/certificates/{kind}/{record_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _verify(world: World, content: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(content, dict):
        r = world.client._http.post("/v1/documents/verify", json=content)
    else:
        r = world.client._http.post(
            "/v1/documents/verify", content=content, headers={"content-type": "text/plain"}
        )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _checks(verdict: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["status"], c["code"]) for c in verdict["checks"]}


def _revocation_height(world: World, store: str, cert_id: str) -> int:
    answer = world.client.query(
        "documents",
        "hash_status",
        store=base64.b64encode(bytes.fromhex(store[2:])).decode(),
        hash=base64.b64encode(bytes.fromhex(cert_id)).decode(),
    )
    rev = answer["revocation"]
    return int(rev["height"]) if rev else 0


def test_issue_verify_transfer_revoked(world: World, tmp_path: Any) -> None:
    plan = Plan(SMALL)
    used = {
        p.parcel_id for p in [*plan.sales, plan.mortgaged, plan.kept, plan.caveated, plan.leased, plan.split]
    }
    assert PARCEL not in used
    cert = _cert(world, "land", PARCEL)
    assert cert["record_type"] == "land.TitleCertificate" and not cert["revoked"]
    assert cert["issuer"]["did"].endswith(":land-registry") and cert["qr_svg"].startswith("<?xml")
    assert _cert(world, "land", PARCEL)["certificate_id"] == cert["certificate_id"]  # unchanged: the same one

    for verdict in (_verify(world, cert["document"]), _verify(world, cert["sd_jwt"])):
        assert verdict["valid"], verdict
    oa = _checks(_verify(world, cert["document"]))
    assert set(oa) == {"integrity", "issuance", "revocation", "identity"}
    assert all(status == "VALID" for status, _ in oa.values())
    reader = SdkStateReader(world.client)  # the same checks, every key proved through the SDK
    assert verify_oa(cert["document"], reader, world.client.trust.chain_id).valid
    assert verify_sd_jwt(cert["sd_jwt"], reader, world.client.trust.chain_id).valid

    custody = Custody.load(world.home / "demo" / "custody.secret")
    seller, buyer = "lp-0024", buyer_of(SMALL, 2)
    body = Transfer(
        PARCEL, [Holding(seller, Share(1, 1))], [Holding(buyer, Share(1, 1))], [Source("deed", digest("t"))]
    )
    keys = [custody.key("land", seller), custody.key("land", buyer), world.key("notary-1")]
    tx = world.client.tx_builder().tx("land", "transfer", body, keys, current_height=world.client.height())
    changed_at = world.client.submit_and_wait(tx).height
    assert changed_at is not None

    deadline = time.monotonic() + 15
    store = cert["issuer"]["document_store"]
    while _revocation_height(world, store, cert["certificate_id"]) == 0:
        assert time.monotonic() < deadline, "the certificate was not revoked"
        time.sleep(0.05)
    revoked_at = _revocation_height(world, store, cert["certificate_id"])
    assert changed_at < revoked_at <= changed_at + 2, (changed_at, revoked_at)

    oa_after = _checks(_verify(world, cert["document"]))
    assert oa_after["revocation"] == ("INVALID", "status.revoked") and oa_after["integrity"][0] == "VALID"
    sd_after = _verify(world, cert["sd_jwt"])
    assert not sd_after["valid"] and _checks(sd_after)["revocation"] == ("INVALID", "vc.revoked")
    seen = world.client._http.get(f"/v1/certificates/verify/{cert['certificate_id']}").json()
    assert seen["valid"] is False

    fresh = _cert(world, "land", PARCEL)
    assert fresh["certificate_id"] != cert["certificate_id"]
    assert _verify(world, fresh["document"])["valid"] and _verify(world, fresh["sd_jwt"])["valid"]
    record = fresh["document"]["data"]["record"]
    assert buyer in str(record["owners"])


def test_certificates_carry_personal_data_that_opens_the_commitments(world: World) -> None:
    from govledger.documents.wrap import document_data
    from govledger.vault import verify_commitment

    cert = _cert(world, "birth", "BR-00001")
    data = document_data(cert["document"])
    people = data["personalData"]
    assert {p["role"] for p in people} >= {"child", "mother"}
    for p in people:
        assert p["fields"]["dataset"] == "synthetic-demo"
        assert verify_commitment(
            p["fields"], bytes.fromhex(p["salt"][2:]), bytes.fromhex(p["commitment"][2:])
        )
    on_ledger = {q["commitment"] for q in data["record"]["persons"]}
    assert {p["commitment"] for p in people} <= on_ledger

    title = document_data(_cert(world, "land", "P-001")["document"])
    (owner,) = title["personalData"]
    assert owner["role"] == "owner" and owner["commitment"] == title["record"]["owners"][0]["commitment"]
    assert verify_commitment(
        owner["fields"], bytes.fromhex(owner["salt"][2:]), bytes.fromhex(owner["commitment"][2:])
    )


def test_demo_left_a_revoked_certificate(world: World) -> None:
    """The demo certified the mortgaged parcel, then released the mortgage: the node revoked it."""
    index = world.api.state.services.index()
    parcel = Plan(SMALL).mortgaged.parcel_id
    rows = index._db.execute(
        "SELECT cert_id, revoked_height FROM certificates WHERE record_id = ? ORDER BY issued_height",
        (parcel,),
    ).fetchall()
    assert rows and rows[0][1] > 0
    seen = world.client._http.get(f"/v1/certificates/verify/{rows[0][0]}").json()
    assert seen["valid"] is False and _checks(seen["document"])["revocation"][1] == "status.revoked"


def test_route_errors_are_json(world: World) -> None:
    http = world.client._http
    for path, status, code in (
        ("/v1/certificates/spaceship/X", 404, "certificates.unknown_kind"),
        ("/v1/certificates/land/NO-SUCH", 404, "certificates.not_found"),
        ("/v1/certificates/land/P-001?format=pdf", 400, "request.invalid"),
        ("/v1/certificates/verify/" + "00" * 32, 404, "certificates.unknown_certificate"),
        ("/v1/certificates/status/nope", 404, "certificates.unknown_list"),
    ):
        r = http.get(path)
        assert r.status_code == status, (path, r.text)
        assert set(r.json()) == {"error"} and r.json()["error"]["code"] == code
    assert (
        http.get("/v1/certificates/status/land-registry-certificates")
        .headers["content-type"]
        .startswith("application/statuslist+jwt")
    )
