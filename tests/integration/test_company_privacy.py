"""Companies House (`clerk-1`, role `company_registrar`) keeps its people's data in the vault like the
other registries: a signed write, the commitment registered on the ledger, a logged read, a rectified
commitment; it may not read for purposes its role was not given."""

from __future__ import annotations

import base64
import hashlib

import msgspec
import pytest

from govledger.api.vault_requests import NewRecord, WriteAnswer, sign_write
from govledger.apps.privacy.model import RectifyData, RegisterData
from govledger.codec import to_json
from govledger.sdk import RemoteError
from govledger.vault import new_access_request, sign_read, verify_commitment

from .conftest import World

JSON = {"content-type": "application/json"}


def test_the_company_registrar_stores_registers_reads_and_rectifies(world: World) -> None:
    http, clerk = world.client._http, world.key("clerk-1")
    vault_id = base64.b64decode(http.get("/v1/vault").json()["vault_id"])
    fields = {"given_name": "Officer", "family_name": "Test", "dataset": "synthetic-demo"}
    write = sign_write(clerk, vault_id, "company", [NewRecord("SYN-CO-OFFICER-1", "officer-1", fields)])
    resp = http.post("/v1/vault/records", content=to_json(write), headers=JSON)
    assert resp.status_code == 200, resp.text
    (stored,) = msgspec.json.decode(resp.content, type=WriteAnswer).records

    def commit(op: str, body: object) -> None:
        tx = world.client.tx_builder().tx("privacy", op, body, [clerk], current_height=world.client.height())
        world.client.submit_and_wait(tx)

    commit("register_data", RegisterData("company", stored.pseudonym, "officer-1", stored.commitment))
    log = new_access_request(stored.pseudonym, "officer-1", "registration")
    commit("log_access", log)
    status = http.post("/v1/vault/read", content=to_json(sign_read(clerk, vault_id, log)), headers=JSON)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["fields"] == fields
    assert verify_commitment(body["fields"], base64.b64decode(body["salt"]), stored.commitment)

    new = hashlib.sha256(b"officer-1 moved").digest()
    commit("rectify_data", RectifyData(stored.pseudonym, "officer-1", new, "registered office moved"))
    record = world.client.query(
        "privacy", "data_record", pseudonym=base64.b64encode(stored.pseudonym).decode(), record_id="officer-1"
    )
    assert [base64.b64decode(v["commitment"]) for v in record["versions"]] == [stored.commitment, new]

    with pytest.raises(RemoteError) as refused:
        commit("log_access", new_access_request(stored.pseudonym, "officer-1", "audit"))
    assert refused.value.code == "privacy.purpose_not_allowed"
