"""What is mounted: the identity router with its service, app routers, the CLI groups of `plugins.mount`."""

from __future__ import annotations

from pathlib import Path

from .conftest import CHAIN_ID, World, cli_app


def test_identity_service_is_wired(world: World) -> None:
    http = world.client._http
    did = f"did:govledger:{CHAIN_ID}:civil-registry"
    doc = http.get(f"/identity/dids/{did}").json()["didDocument"]
    assert doc["id"] == did and doc["service"][0]["type"] == "OpenAttestationSigner"
    meta = http.get("/.well-known/openid-credential-issuer/identity/issuer").json()
    assert set(meta["credential_configurations_supported"]) == {"birth", "age"}
    assert http.get("/identity/status/civil-registry-certificates").status_code == 200
    sd_jwt = http.get("/v1/certificates/birth/BR-00001").json()["sd_jwt"]
    out = http.post(
        "/identity/verify", json={"format": "dc+sd-jwt", "credential": sd_jwt, "require_kb": False}
    )
    assert out.status_code == 200 and out.json()["issuer"] == did, out.text
    trusted = http.get(
        "/identity/trust", params={"issuer": did, "type": "urn:govledger:vct:vital.Certificate:1"}
    )
    assert trusted.json()["trusted"] is True
    assert http.post("/identity/issuer/offers", json={}).status_code == 401


def test_cli_groups_are_mounted(world: World, tmp_path: Path) -> None:
    names = {c.name for c in cli_app().registered_commands} | {g.name for g in cli_app().registered_groups}
    assert {"verify", "import", "identity", "certificate"} <= names
    out, qr = tmp_path / "P-001.oa.json", tmp_path / "P-001.png"
    code, _, err = world.cli(
        "certificate",
        "issue",
        "--kind",
        "land",
        "--id",
        "P-001",
        "--out",
        str(out),
        "--qr",
        str(qr),
        "--url",
        world.url,
    )
    assert code == 0, err
    assert qr.read_bytes().startswith(b"\x89PNG")
    code, stdout, err = world.cli("verify", str(out), "--url", world.url)
    assert code == 0, err
    code, stdout, err = world.cli(
        "certificate",
        "issue",
        "--kind",
        "death",
        "--id",
        "DR-00001",
        "--format",
        "sd-jwt",
        "--url",
        world.url,
    )
    assert code == 0 and stdout.count("~") >= 2, err
    code, _, err = world.cli("certificate", "issue", "--kind", "land", "--id", "NOPE", "--url", world.url)
    assert code == 2 and err.startswith("error: certificates.not_found: "), err
    code, _, err = world.cli("certificate", "setup", "--url", world.url)
    assert code == 0 and "(0 transaction(s) committed)" in err, err
    code, out_text, _ = world.cli("import", "formats")
    assert code == 0 and "land-parcels" in out_text
