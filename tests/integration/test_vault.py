"""The vault over HTTP: a read needs a committed access-log entry (once), a write a controller's key."""

from __future__ import annotations

import base64

import msgspec
import pytest

from govledger.api.vault_requests import NewRecord, WriteAnswer, sign_write
from govledger.codec import to_json
from govledger.sdk import RemoteError
from govledger.vault import new_access_request, sign_read, verify_commitment

from .conftest import World

JSON = {"content-type": "application/json"}


def _vault_id(world: World) -> bytes:
    return base64.b64decode(world.client._http.get("/v1/vault").json()["vault_id"])


def _post(world: World, path: str, body: object) -> tuple[int, dict[str, object]]:
    r = world.client._http.post(path, content=to_json(body), headers=JSON)
    return r.status_code, r.json()


def test_read_needs_a_committed_log_entry_and_serves_it_once(world: World) -> None:
    record = world.client.query("vital", "record", id="BR-00002")["current"]
    child = next(p for p in record["persons"] if p["role"] == "child")
    pseudonym, commitment = base64.b64decode(child["pseudonym"]), base64.b64decode(child["commitment"])
    registrar, vault_id = world.key("civil-registrar-1"), _vault_id(world)
    log = new_access_request(pseudonym, "birth-BR-00002", "registration")

    status, body = _post(world, "/v1/vault/read", sign_read(registrar, vault_id, log))
    assert (status, body["error"]["code"]) == (403, "vault.not_logged")  # type: ignore[index]

    tx = world.client.tx_builder().tx(
        "privacy", "log_access", log, [registrar], current_height=world.client.height()
    )
    world.client.submit_and_wait(tx)
    status, body = _post(world, "/v1/vault/read", sign_read(world.key("registrar-1"), vault_id, log))
    assert status == 403 and body["error"]["code"] in ("vault.grant_mismatch", "vault.bad_signature")  # type: ignore[index]
    status, body = _post(world, "/v1/vault/read", sign_read(registrar, vault_id, log))
    assert status == 200, body
    fields = body["fields"]
    assert isinstance(fields, dict) and fields["dataset"] == "synthetic-demo" and fields["role"] == "child"
    salt = base64.b64decode(str(body["salt"]))
    assert verify_commitment(fields, salt, commitment)
    status, body = _post(world, "/v1/vault/read", sign_read(registrar, vault_id, log))
    assert (status, body["error"]["code"]) == (409, "vault.grant_used")  # type: ignore[index]

    log = new_access_request(pseudonym, "birth-BR-00002", "registration")
    notary = world.key("notary-1")  # no role of the notary may read for "registration"
    tx = world.client.tx_builder().tx(
        "privacy", "log_access", log, [notary], current_height=world.client.height()
    )
    with pytest.raises(RemoteError) as refused:
        world.client.submit_and_wait(tx)
    assert refused.value.code == "privacy.purpose_not_allowed"


def test_write_needs_a_controller_and_is_idempotent(world: World) -> None:
    vault_id = _vault_id(world)
    records = [NewRecord("SYN-TEST-1", "party-test-1", {"given_name": "Test", "dataset": "synthetic-demo"})]
    status, body = _post(
        world, "/v1/vault/records", sign_write(world.key("notary-1"), vault_id, "land", records)
    )
    assert (status, body["error"]["code"]) == (403, "vault.not_authorised")  # type: ignore[index]
    status, body = _post(
        world, "/v1/vault/records", sign_write(world.key("registrar-1"), b"\x00" * 16, "land", records)
    )
    assert (status, body["error"]["code"]) == (403, "vault.bad_signature")  # type: ignore[index]
    req = sign_write(world.key("registrar-1"), vault_id, "land", records)
    first = world.client._http.post("/v1/vault/records", content=to_json(req), headers=JSON)
    again = world.client._http.post("/v1/vault/records", content=to_json(req), headers=JSON)
    a, b = (msgspec.json.decode(r.content, type=WriteAnswer).records[0] for r in (first, again))
    assert a.created and not b.created and a.commitment == b.commitment and a.pseudonym == b.pseudonym
