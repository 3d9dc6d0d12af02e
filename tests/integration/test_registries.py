"""Registry routes (api/routes/registries.py) and CLI groups (cli/registries.py) over the seeded demo world.

The routes are called through FastAPI's TestClient on the world's app (outside a `with` block, so the
session's services are not shut down); every 200 answer is verified the way a client would: the key
proofs against the trusted validators, and the named query re-run over the proved state.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import msgspec
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns that httpx support is deprecated
    from fastapi.testclient import TestClient

from govledger.node.queries import QueryAnswer
from govledger.sdk.errors import VerificationError
from govledger.sdk.verify import verify_query_answer

from .conftest import World

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

PARCELS = [f"P-{i:03d}" for i in range(1, 25)]


@pytest.fixture
def api(world: World) -> TestClient:
    return TestClient(world.api)


def verified(world: World, resp: Any) -> Any:
    """The result of a registry answer, after checking it as a client would."""
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"app", "query", "params", "height", "result", "proof"}
    verify_query_answer(as_answer(body), world.client.trust, body["app"], body["query"], body["params"])
    return body["result"]


def as_answer(body: dict[str, Any]) -> QueryAnswer:
    """The generic answer inside a registry answer (which adds the query it ran)."""
    generic = {k: body[k] for k in ("height", "result", "proof")}
    return msgspec.json.decode(msgspec.json.encode(generic), type=QueryAnswer)


def code_of(resp: Any) -> str:
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return str(body["error"]["code"])


def titles(world: World, api: TestClient) -> dict[str, Any]:
    return {p: verified(world, api.get(f"/v1/land/parcels/{p}")) for p in PARCELS}


# --- land --------------------------------------------------------------------------------------------


def test_a_parcel_title_with_its_proof(world: World, api: TestClient) -> None:
    resp = api.get("/v1/land/parcels/P-001")
    title = verified(world, resp)
    assert resp.json()["query"] == "title" and resp.json()["params"] == {"parcel_id": "P-001"}
    assert title["parcel_id"] == "P-001" and title["version"] >= 1 and title["owners"]
    spatial = verified(world, api.get("/v1/land/parcels/P-001/spatial"))
    assert spatial["parcel_id"] == "P-001" and spatial["area_m2"] > 0


def test_a_tampered_answer_fails_verification(world: World, api: TestClient) -> None:
    resp = api.get("/v1/land/parcels/P-001")
    body = resp.json()
    body["result"]["owners"] = []
    with pytest.raises(VerificationError):
        verify_query_answer(as_answer(body), world.client.trust, "land", "title", body["params"])


def test_history_lists_every_version_with_its_entry(world: World, api: TestClient) -> None:
    sold = next(t for t in titles(world, api).values() if t["version"] >= 2)
    pid = sold["parcel_id"]
    versions = verified(world, api.get(f"/v1/land/parcels/{pid}/history"))
    assert [v["version"] for v in versions] == list(range(1, sold["version"] + 1))
    assert versions[0]["entry"]["op"] == "first_registration" and versions[-1] == sold
    second = verified(
        world, api.get(f"/v1/land/parcels/{pid}/history", params={"from_version": 2, "limit": 1})
    )
    assert second == versions[1:2]
    one = verified(world, api.get(f"/v1/land/parcels/{pid}/versions/1"))
    assert one == versions[0]


def test_encumbrances_match_the_title(world: World, api: TestClient) -> None:
    all_titles = titles(world, api)
    burdened = [t for t in all_titles.values() if t["encumbrances"]]
    assert burdened, "the demo registers mortgages, a caveat and a lease"
    for t in burdened:
        rrrs = verified(world, api.get(f"/v1/land/parcels/{t['parcel_id']}/encumbrances"))
        assert sorted(r["rrr_id"] for r in rrrs) == sorted(e["rrr_id"] for e in t["encumbrances"])
    free = next(t for t in all_titles.values() if not t["encumbrances"] and t["owners"])
    assert verified(world, api.get(f"/v1/land/parcels/{free['parcel_id']}/encumbrances")) == []


def test_parcels_of_a_party_page_to_the_end(world: World, api: TestClient) -> None:
    owner = verified(world, api.get("/v1/land/parcels/P-001"))["owners"][0]["party_id"]
    party = verified(world, api.get(f"/v1/land/parties/{owner}"))
    assert party["party_id"] == owner and party["parcels_held"] >= 1
    whole = verified(world, api.get(f"/v1/land/parties/{owner}/parcels"))
    assert whole["complete"] and len(whole["parcels"]) == party["parcels_held"]
    assert "P-001" in [p["parcel_id"] for p in whole["parcels"]]
    seen: list[str] = []
    after = ""
    while True:
        page = verified(
            world, api.get(f"/v1/land/parties/{owner}/parcels", params={"start_after": after, "limit": 1})
        )
        seen += [p["parcel_id"] for p in page["parcels"]]
        if page["complete"]:
            break
        after = seen[-1]
    assert seen == [p["parcel_id"] for p in whole["parcels"]]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/land/parcels/P-999", "land.parcel_not_found"),
        ("/v1/land/parcels/P-999/spatial", "land.parcel_not_found"),
        ("/v1/land/parcels/P-999/history", "land.parcel_not_found"),
        ("/v1/land/parcels/P-999/encumbrances", "land.parcel_not_found"),
        ("/v1/land/parcels/P-001/versions/999", "land.version_not_found"),
        ("/v1/land/parties/nobody", "land.party_not_found"),
        ("/v1/land/parties/nobody/parcels", "land.party_not_found"),
        ("/v1/companies/CO-9999", "company.not_found"),
        ("/v1/companies/CO-9999/lifecycle", "company.not_found"),
        ("/v1/companies/CO-9999/officers", "company.not_found"),
        ("/v1/companies/CO-9999/licences", "company.not_found"),
        ("/v1/companies/CO-9999/resolutions", "company.not_found"),
        ("/v1/companies/CO-0001/classes/NOPE/shareholders", "company.class_not_found"),
        ("/v1/vital/records/BR-99999", "vital.record_not_found"),
        ("/v1/vital/records/BR-99999/commitments", "vital.record_not_found"),
        ("/v1/vital/registrations/B-99999999", "vital.record_not_found"),
    ],
)
def test_absent_records_are_404_with_a_stable_code(api: TestClient, path: str, code: str) -> None:
    resp = api.get(path)
    assert resp.status_code == 404, resp.text
    assert code_of(resp) == code


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/v1/land/parcels/-P1", {}, "land.bad_identifier"),
        ("/v1/land/parcels/" + "P" * 65, {}, "land.bad_identifier"),
        ("/v1/land/parcels/P%20001/history", {}, "land.bad_identifier"),
        ("/v1/land/parcels/P-001/history", {"limit": 0}, "request.invalid"),
        ("/v1/land/parcels/P-001/history", {"from_version": "x"}, "request.invalid"),
        ("/v1/land/parcels/P-001/versions/0", {}, "request.invalid"),
        ("/v1/land/parties/lp-0001/parcels", {"start_after": "a b"}, "land.bad_identifier"),
        ("/v1/land/parties/lp-0001/parcels", {"limit": 501}, "request.invalid"),
        ("/v1/companies/é", {}, "company.bad_identifier"),
        ("/v1/companies/CO-0001/classes/:x/shareholders", {}, "company.bad_identifier"),
        ("/v1/vital/records/_x", {}, "vital.bad_identifier"),
    ],
)
def test_malformed_ids_and_parameters_are_400(
    api: TestClient, path: str, params: dict[str, Any], code: str
) -> None:
    resp = api.get(path, params=params)
    assert resp.status_code == 400, resp.text
    assert code_of(resp) == code


# --- companies -----------------------------------------------------------------------------------------


def test_a_company_and_its_lifecycle(world: World, api: TestClient) -> None:
    company = verified(world, api.get("/v1/companies/CO-0001"))
    assert company["company_id"] == "CO-0001" and company["status"]
    lifecycle = verified(world, api.get("/v1/companies/CO-0001/lifecycle"))
    assert [v["version"] for v in lifecycle] == list(range(1, company["version"] + 1))
    assert lifecycle[-1] == company
    officers = verified(world, api.get("/v1/companies/CO-0001/officers"))
    assert officers == company["officers"]
    licences = verified(world, api.get("/v1/companies/CO-0001/licences"))
    assert sorted(lic["licence_id"] for lic in licences) == sorted(company["licences"])
    resolutions = verified(world, api.get("/v1/companies/CO-0001/resolutions"))
    assert len(resolutions) == company["resolutions"]
    for class_id in company["classes"]:
        page = verified(world, api.get(f"/v1/companies/CO-0001/classes/{class_id}/shareholders"))
        assert page["complete"] and sum(h["amount"] for h in page["items"]) == page["issued"]


def test_resolutions_page_after_start_after(world: World, api: TestClient) -> None:
    ids = [f"CO-{i:04d}" for i in range(1, 7)]
    voted = [c for c in ids if verified(world, api.get(f"/v1/companies/{c}"))["resolutions"] > 0]
    assert voted, "the demo proposes resolutions"
    path = f"/v1/companies/{voted[0]}/resolutions"
    every = verified(world, api.get(path))
    assert verified(world, api.get(path, params={"limit": 1})) == every[:1]
    assert verified(world, api.get(path, params={"start_after": every[0]["resolution_id"]})) == every[1:]


# --- vital records ----------------------------------------------------------------------------------------


def test_vital_lookups_carry_no_personal_data(world: World, api: TestClient) -> None:
    status = verified(world, api.get("/v1/vital/records/BR-00001"))
    assert status["record_id"] == "BR-00001" and status["kind"] == "birth"
    held = verified(world, api.get("/v1/vital/records/BR-00001/commitments"))
    assert set(held) == {"record_id", "kind", "registration_number", "status", "version", "persons"}
    assert held["persons"] and all(
        set(p) == {"role", "pseudonym", "commitment", "erased"} for p in held["persons"]
    )
    by_number = verified(world, api.get(f"/v1/vital/registrations/{held['registration_number']}"))
    assert by_number == status


def test_the_openapi_document_types_the_results(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    route = doc["paths"]["/v1/land/parcels/{parcel_id}"]["get"]
    schema = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert "owners" in json.dumps(schema["properties"]["result"])
    assert "404" in route["responses"]
    assert {"/v1/companies/{company_id}/lifecycle", "/v1/vital/records/{record_id}/commitments"} <= set(
        doc["paths"]
    )


# --- CLI -------------------------------------------------------------------------------------------------


def test_cli_land_reads_are_verified(world: World) -> None:
    code, out, err = world.cli("land", "title", "P-001", "--url", world.url)
    assert code == 0, err
    assert json.loads(out)["result"]["parcel_id"] == "P-001" and "proof verified" in err
    code, out, err = world.cli("land", "history", "P-001", "--url", world.url)
    assert code == 0, err
    assert json.loads(out)["result"][0]["entry"]["op"] == "first_registration"
    owner = json.loads(world.cli("land", "title", "P-001", "--url", world.url)[1])["result"]["owners"][0]
    code, out, err = world.cli(
        "land", "parcels-of", owner["party_id"], "--all", "--limit", "1", "--url", world.url
    )
    assert code == 0, err
    listed = json.loads(out)["result"]
    assert listed["complete"] and len(listed["parcels"]) == listed["parcels_held"]
    code, out, err = world.cli("land", "encumbrances", "P-001", "--url", world.url)
    assert code == 0 and isinstance(json.loads(out)["result"], list), err


def test_cli_company_and_vital_reads(world: World) -> None:
    code, out, err = world.cli("company", "show", "CO-0001", "--url", world.url)
    assert code == 0 and json.loads(out)["result"]["company_id"] == "CO-0001", err
    code, out, err = world.cli("company", "lifecycle", "CO-0001", "--url", world.url)
    assert code == 0 and json.loads(out)["result"][0]["version"] == 1, err
    code, out, err = world.cli("vital", "status", "BR-00001", "--url", world.url)
    assert code == 0 and json.loads(out)["result"]["kind"] == "birth", err
    code, out, err = world.cli("vital", "commitments", "BR-00001", "--url", world.url)
    assert code == 0, err
    number = json.loads(out)["result"]["registration_number"]
    code, out, err = world.cli("vital", "status", "--number", number, "--url", world.url)
    assert code == 0 and json.loads(out)["result"]["record_id"] == "BR-00001", err


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["land", "title", "P-999"], "land.parcel_not_found"),
        (["land", "title", "bad/id"], "land.bad_identifier"),
        (["land", "history", "P-999"], "land.parcel_not_found"),
        (["land", "parcels-of", "nobody"], "land.party_not_found"),
        (["land", "parcels-of", "lp-0001", "--after", "a b"], "land.bad_identifier"),
        (["company", "show", "CO-9999"], "company.not_found"),
        (["company", "lifecycle", "_x"], "company.bad_identifier"),
        (["vital", "status", "BR-99999"], "vital.record_not_found"),
        (["vital", "status", "--number", "B-99999999"], "vital.record_not_found"),
        (["vital", "commitments", "BR 1"], "vital.bad_identifier"),
    ],
)
def test_cli_bad_input_and_absent_records_exit_2_with_one_line(
    world: World, args: list[str], code: str
) -> None:
    exit_code, out, err = world.cli(*args, "--url", world.url)
    assert exit_code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and code in lines[0], err


def test_a_title_as_it_stood_at_a_past_height(world: World, api: TestClient) -> None:
    sold = next(t for t in titles(world, api).values() if t["version"] >= 2)
    pid, before = sold["parcel_id"], sold["entry"]["height"] - 1
    resp = api.get(f"/v1/land/parcels/{pid}", params={"height": before})
    old = verified(world, resp)
    assert resp.json()["height"] == before and resp.json()["proof"]["height"] == before
    assert 1 <= old["version"] < sold["version"] and old["entry"]["height"] <= before
    history = verified(world, api.get(f"/v1/land/parcels/{pid}/history", params={"height": before}))
    assert [v["version"] for v in history] == list(range(1, old["version"] + 1)) and history[-1] == old
    code, out, err = world.cli("land", "title", pid, "--height", str(before), "--url", world.url)
    assert code == 0 and json.loads(out)["result"] == old, err
    never = api.get("/v1/land/parcels/P-001", params={"height": 10**9})
    assert never.status_code == 404 and code_of(never) == "query.unknown_height"
    assert code_of(api.get("/v1/land/parcels/P-001", params={"height": -1})) == "request.invalid"
    first_block = api.get(f"/v1/land/parcels/{pid}", params={"height": 1})
    assert first_block.status_code == 404 and code_of(first_block) == "land.parcel_not_found"
