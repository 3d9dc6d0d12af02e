"""`govledger verify FILE` exit codes and `POST /v1/documents/verify` on tampered and malformed input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .conftest import World


def _cert(world: World, kind: str, record_id: str) -> dict[str, Any]:
    body: dict[str, Any] = world.client._http.get(f"/v1/certificates/{kind}/{record_id}").json()
    return body


def _tampered(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    salted = doc["data"]["record"]["registration_number"]
    salt, kind, _ = salted.split(":", 2)
    doc["data"]["record"]["registration_number"] = f"{salt}:{kind}:B-99999999"
    return doc


def test_cli_exit_codes(world: World, tmp_path: Path) -> None:
    cert = _cert(world, "birth", "BR-00001")
    good, sd, bad, junk, missing = (
        tmp_path / n for n in ("good.json", "c.sd-jwt", "bad.json", "junk.txt", "no.json")
    )
    good.write_text(json.dumps(cert["document"]))
    sd.write_text(cert["sd_jwt"])
    bad.write_text(json.dumps(_tampered(cert["document"])))
    junk.write_text("this is not a certificate")

    code, out, err = world.cli("verify", str(good), "--url", world.url)
    assert code == 0, err
    assert "VALID" in out and "integrity" in out and "proved at height" in out
    code, out, err = world.cli("verify", str(sd), "--url", world.url, "--json")
    assert code == 0, err
    verdict = json.loads(out)
    assert verdict["format"] == "dc+sd-jwt" and verdict["claims"]["record_type"] == "vital.Certificate"
    code, out, err = world.cli("verify", str(bad), "--url", world.url, "--json")
    assert code == 1, err
    rows = {c["check"]: c for c in json.loads(out)["checks"]}
    assert rows["integrity"]["code"] == "integrity.target_hash_mismatch"
    for path in (junk, missing):
        code, _, err = world.cli("verify", str(path), "--url", world.url)
        assert code == 2 and err.startswith("error: verify.malformed: "), err
    (tmp_path / "empty.json").write_text("{}")
    code, _, err = world.cli("verify", str(tmp_path / "empty.json"), "--url", world.url)
    assert code == 2 and "document.not_wrapped" in err, err
    code, _, err = world.cli("verify", str(good), "--url", "http://127.0.0.1:9")
    assert code == 2 and "error: node.unreachable" in err


def test_route_on_tampered_and_malformed_input(world: World) -> None:
    http = world.client._http
    cert = _cert(world, "company", "CO-0001")
    ok = http.post("/v1/documents/verify", json=cert["document"]).json()
    assert ok["valid"] is True and ok["issuer"].endswith(":company-registry")
    assert {f["name"] for f in ok["fragments"]} >= {"OpenAttestationHash", "GovledgerLedgerIssuer"}

    doc = copy.deepcopy(cert["document"])
    salted = doc["data"]["record"]["name"]
    doc["data"]["record"]["name"] = salted.rsplit(":", 1)[0] + ":Someone Else's Company"
    tampered = http.post("/v1/documents/verify", json=doc)
    assert tampered.status_code == 200
    rows = {c["check"]: c for c in tampered.json()["checks"]}
    assert tampered.json()["valid"] is False
    assert (rows["integrity"]["status"], rows["integrity"]["code"]) == (
        "INVALID",
        "integrity.target_hash_mismatch",
    )

    forged = copy.deepcopy(cert["document"])
    forged["signature"]["merkleRoot"] = "ab" * 32
    rows = {c["check"]: c for c in http.post("/v1/documents/verify", json=forged).json()["checks"]}
    assert rows["integrity"]["code"] == "integrity.merkle_proof_mismatch"

    for content, code in ((b"not json at all", "document.malformed_json"), (b"{}", "document.not_wrapped")):
        r = http.post("/v1/documents/verify", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json() == {
            "error": {"code": code, "message": r.json()["error"]["message"]}
        }


def test_a_document_from_an_unknown_issuer_fails_identity(world: World) -> None:
    from govledger.documents import EthSigner, did_issuer, sign_document, wrap_document

    signer = EthSigner(b"\x07" * 32)
    raw = {"issuers": [did_issuer(signer, "National Land Registry")], "recordType": "land.TitleCertificate"}
    doc = sign_document(wrap_document(raw), signer, created="2026-01-01T00:00:00Z")
    verdict = world.client._http.post("/v1/documents/verify", json=doc).json()
    rows = {c["check"]: c for c in verdict["checks"]}
    assert verdict["valid"] is False and rows["integrity"]["status"] == "VALID"
    assert rows["identity"]["code"] == "identity.not_a_ledger_issuer"
