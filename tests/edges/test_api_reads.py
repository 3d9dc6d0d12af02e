"""REST API reads: state and query proofs (and their tampering), blocks, events, history, node routes."""

from __future__ import annotations

import base64
import threading
import time

import msgspec
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from govledger.apps.attest.app import RecordBody, RevokeBody
from govledger.codec import encode
from govledger.ledger.block import CommitSig
from govledger.ledger.proofs import ProofError, StateProof, verify_state
from govledger.node.devnet import DEV_MEMBERS
from govledger.node.node import Node
from govledger.node.queries import QueryAnswer
from govledger.sdk.errors import VerificationError
from govledger.sdk.verify import Trust, verify_query_answer, verify_state_read

from .conftest import Devnet, error_code, post_tx

DIGEST = bytes(range(32))
DOC_KEY = b"doc/" + DIGEST


def _record(api: TestClient, devnet: Devnet, digest: bytes = DIGEST) -> dict[str, object]:
    tx = devnet.tx("attest", "record", RecordBody(digest, "deed", "R-1"), ["registrar-1"])
    r = post_tx(api, tx, wait="true", timeout_ms=5000)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _trust(api: TestClient, node: Node) -> Trust:
    g = api.get("/v1/genesis").json()
    return Trust(g["chain_id"], node.chain.genesis.validator_set(), bytes.fromhex(g["genesis_hash"]))


def _state(api: TestClient, app: str, key: bytes, **params: object) -> StateProof:
    r = api.get(f"/v1/state/{app}/{key.hex()}", params=params)
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=StateProof)


def test_state_proof_present_absent_and_genesis(api: TestClient, devnet: Devnet, node: Node) -> None:
    done = _record(api, devnet)
    trust = _trust(api, node)
    present = _state(api, "attest", DOC_KEY)
    value = verify_state_read(present, trust, "attest", DOC_KEY, None)
    assert value is not None and msgspec.msgpack.decode(value)["reference"] == "R-1"
    absent = _state(api, "attest", b"doc/" + bytes(32))
    assert verify_state_read(absent, trust, "attest", b"doc/" + bytes(32), None) is None
    before = _state(api, "attest", DOC_KEY, height=int(done["height"]) - 1)  # type: ignore[call-overload]
    assert verify_state_read(before, trust, "attest", DOC_KEY, int(done["height"]) - 1) is None  # type: ignore[call-overload]
    genesis = _state(api, "governance", b"member/admin-1", height=0)
    assert genesis.commit is None
    assert verify_state_read(genesis, trust, "governance", b"member/admin-1", 0) is not None
    with pytest.raises(ProofError):  # block 0 without the genesis hash is not trusted
        verify_state(genesis, trust.validators, None)


def test_state_proof_fails_when_tampered(api: TestClient, devnet: Devnet, node: Node) -> None:
    _record(api, devnet)
    trust = _trust(api, node)
    proof = _state(api, "attest", DOC_KEY)
    entry = proof.entries[0]
    assert proof.commit is not None
    sig = proof.commit.signatures[0]
    bad_sig = CommitSig(sig.validator, sig.signature[:-1] + bytes([sig.signature[-1] ^ 1]))
    forged = {
        "value": msgspec.structs.replace(
            proof, entries=[msgspec.structs.replace(entry, value=b"\x00" + entry.value)]
        ),  # type: ignore[operator]
        "absence": msgspec.structs.replace(proof, entries=[msgspec.structs.replace(entry, value=None)]),
        "header": msgspec.structs.replace(
            proof, header=msgspec.structs.replace(proof.header, state_root=bytes(32))
        ),
        "commit": msgspec.structs.replace(
            proof, commit=msgspec.structs.replace(proof.commit, signatures=[bad_sig])
        ),
        "no-commit": msgspec.structs.replace(proof, commit=None),
    }
    for name, bad in forged.items():
        with pytest.raises(ProofError):
            verify_state(bad, trust.validators, trust.genesis_hash)
            pytest.fail(f"{name} tampering not detected")
    other_key = msgspec.structs.replace(proof, entries=[msgspec.structs.replace(entry, key=b"doc/x")])
    with pytest.raises(VerificationError):
        verify_state_read(other_key, trust, "attest", DOC_KEY, None)


def test_query_proofs(api: TestClient, devnet: Devnet, node: Node) -> None:
    _record(api, devnet)
    trust = _trust(api, node)
    params = {"digest": base64.b64encode(DIGEST).decode()}
    r = api.post("/v1/query/attest/get", json=params)
    assert r.status_code == 200, r.text
    answer = msgspec.json.decode(r.content, type=QueryAnswer)
    result = verify_query_answer(answer, trust, "attest", "get", params)
    assert result["reference"] == "R-1"
    lied = msgspec.structs.replace(answer, result={**result, "reference": "R-2"})
    with pytest.raises(VerificationError, match="does not follow"):
        verify_query_answer(lied, trust, "attest", "get", params)
    members = msgspec.json.decode(api.post("/v1/query/governance/members", json={}).content, type=QueryAnswer)
    assert len(verify_query_answer(members, trust, "governance", "members", {})) == len(DEV_MEMBERS)
    hidden = msgspec.structs.replace(members, result=members.result[:3])
    with pytest.raises(VerificationError):
        verify_query_answer(hidden, trust, "governance", "members", {})
    # no params at all (empty body) is allowed
    assert api.post("/v1/query/governance/validators").status_code == 200


def test_query_at_a_past_height(api: TestClient, devnet: Devnet, node: Node) -> None:
    """An auditor's 'as of': the same query on the state of earlier blocks, each proved at its height."""
    digest = b"\x5a" * 32
    recorded = int(_record(api, devnet, digest)["height"])  # type: ignore[call-overload]
    revoke = devnet.tx("attest", "revoke", RevokeBody(digest, "superseded"), ["registrar-1"])
    revoked = int(post_tx(api, revoke, wait="true", timeout_ms=5000).json()["height"])
    trust = _trust(api, node)
    params = {"digest": base64.b64encode(digest).decode()}
    seen = {}
    for h in (recorded - 1, recorded, revoked, None):
        r = api.post("/v1/query/attest/get", json=params, params={} if h is None else {"height": h})
        assert r.status_code == 200, r.text
        answer = msgspec.json.decode(r.content, type=QueryAnswer)
        assert answer.height == (node.chain.height if h is None else h)
        seen[h] = verify_query_answer(answer, trust, "attest", "get", params)
    assert seen[recorded - 1] is None
    assert seen[recorded]["revoked_height"] == 0
    assert seen[revoked]["revoked_height"] == revoked == seen[None]["revoked_height"]
    # a query that scans (the member list), at genesis
    members = api.post("/v1/query/governance/members", json={}, params={"height": 0})
    answer = msgspec.json.decode(members.content, type=QueryAnswer)
    assert len(verify_query_answer(answer, trust, "governance", "members", {})) == len(DEV_MEMBERS)
    late = api.post("/v1/query/attest/get", json=params, params={"height": node.chain.height + 5})
    assert (late.status_code, error_code(late)) == (404, "query.unknown_height")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/v1/query/attest/nope", {}, 404, "query.unknown"),
        ("post", "/v1/query/nope/get", {}, 404, "app.unknown"),
        ("post", "/v1/query/attest/get", {"digest": 5}, 400, "query.bad_params"),
        ("post", "/v1/query/attest/get", [1, 2], 400, "request.invalid"),
        ("get", "/v1/state/nope/00", None, 404, "app.unknown"),
        ("get", "/v1/state/attest/zz", None, 400, "request.invalid"),
        ("get", "/v1/state/attest/00?height=99", None, 404, "query.unknown_height"),
        ("get", "/v1/history/nope/x", None, 404, "app.unknown"),
        ("get", "/v1/history/attest/x?limit=0", None, 400, "request.invalid"),
        ("get", "/v1/events?app=nope", None, 404, "app.unknown"),
    ],
)
def test_read_errors(api: TestClient, method: str, path: str, body: object, status: int, code: str) -> None:
    resp = api.post(path, json=body) if method == "post" else api.get(path)
    assert resp.status_code == status, resp.text
    assert error_code(resp) == code


def test_sse_receives_committed_events(api: TestClient, app: FastAPI, devnet: Devnet) -> None:
    got: list[str] = []

    def listen() -> None:
        r = api.get("/v1/events", params={"app": "attest", "subject": DIGEST.hex(), "limit": 1})
        got.append(r.text)

    t = threading.Thread(target=listen)
    t.start()
    deadline = time.monotonic() + 5
    while app.state.ctx.hub.subscriber_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    _record(api, devnet, bytes(32))  # another subject: filtered out
    done = _record(api, devnet)
    t.join(5)
    assert not t.is_alive()
    data = [line for line in got[0].splitlines() if line.startswith("data: ")]
    assert len(data) == 1
    event = msgspec.json.decode(data[0][6:])
    assert (
        event["subject"] == DIGEST.hex() and event["kind"] == "recorded" and event["tx_id"] == done["tx_id"]
    )
    assert app.state.ctx.hub.subscriber_count == 0


def test_slow_subscriber_is_dropped(app: FastAPI) -> None:
    from govledger.api.hub import Subscription

    sub = Subscription(loop=None, app="", subject="", max_pending=3)  # type: ignore[arg-type]
    sub.push([b"a", b"b"])
    assert not sub.dropped
    sub.push([b"c", b"d"])
    assert sub.dropped and not sub.queue


def test_subscribers_are_bounded(node: Node) -> None:
    from govledger.api import create_app

    with TestClient(create_app(node, max_subscribers=0)) as c:
        r = c.get("/v1/events")
        assert r.status_code == 503 and error_code(r) == "api.too_many_subscribers"


def test_history(api: TestClient, devnet: Devnet) -> None:
    first = _record(api, devnet)
    revoke = devnet.tx("attest", "revoke", RevokeBody(DIGEST, "superseded"), ["registrar-1"])
    second = post_tx(api, revoke, wait="true", timeout_ms=5000).json()
    h = api.get(f"/v1/history/attest/{DIGEST.hex()}").json()
    assert [e["tx_id"] for e in h["entries"]] == [first["tx_id"], second["tx_id"]]
    assert [e["events"][0]["kind"] for e in h["entries"]] == ["recorded", "revoked"]
    assert api.get("/v1/history/attest/unknown").json()["entries"] == []


def test_node_routes(api: TestClient, devnet: Devnet, node: Node) -> None:
    apps = {a["name"]: a for a in api.get("/v1/apps").json()}
    assert set(apps) == set(node.chain.apps)
    record = next(o for o in apps["attest"]["operations"] if o["name"] == "record")
    assert {f["name"]: f["type"] for f in record["fields"]}["digest"] == "bytes (base64)"
    assert record["schema"]
    assert "member" in {q["name"] for q in apps["governance"]["queries"]}
    g = api.get("/v1/genesis").json()
    assert g["chain_id"] == devnet.chain_id and g["document"]["chain_id"] == devnet.chain_id
    assert bytes.fromhex(g["genesis_hash"]) == node.storage.block(0).header.hash()  # type: ignore[union-attr]
    _record(api, devnet)
    bad = devnet.tx("attest", "record", b"\x80", ["registrar-1"])
    post_tx(api, bad)
    health = api.get("/health").json()
    assert health["status"] == "ok" and health["height"] >= 1 and health["mempool_txs"] == 0
    metrics = api.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    for line in (
        "govledger_blocks_total 1.0",
        "govledger_txs_committed_total 1.0",
        "govledger_txs_failed_total 0.0",
        'govledger_admission_rejections_total{code="tx.bad_body"} 1.0',
        "govledger_block_produce_seconds_count 1.0",
    ):
        assert line in text, line
    assert api.get("/v1/validators").json() == msgspec.to_builtins(node.chain.validator_set(1))
    latest = api.get("/v1/blocks/latest", params={"include_txs": "true"}).json()
    assert len(latest["txs"]) == latest["header"]["tx_count"] == 1
    assert base64.b64decode(latest["txs"][0]) and encode  # raw transaction bytes
    docs = api.get("/openapi.json").json()
    assert docs["info"]["title"] == "govledger" and "/v1/txs/batch" in docs["paths"]


def test_event_filters_and_end_block_events() -> None:
    import asyncio

    from govledger.api.hub import CommitHub, Subscription
    from govledger.ledger.block import Event, Header, Receipt
    from govledger.node.node import CommittedBlock

    a1 = Event("attest", "recorded", "d1", {})
    a2 = Event("attest", "revoked", "d2", {})
    g1 = Event("governance", "member_added", "d1", {})
    tick = Event("governance", "tick", "", {})  # an end-block event: no transaction
    header = Header("c", 5, 0, bytes(32), 1, bytes(32), bytes(32), bytes(32), bytes(32), bytes(32), b"")
    block = CommittedBlock(header, [Receipt(b"\x01" * 32, "ok", "", [a1, a2, g1])], [a1, a2, g1, tick], 1.0)
    loop = asyncio.new_event_loop()
    try:
        hub = CommitHub()
        subs = {
            "all": Subscription(loop, "", "", 100),
            "attest": Subscription(loop, "attest", "", 100),
            "d1": Subscription(loop, "", "d1", 100),
            "attest-d1": Subscription(loop, "attest", "d1", 100),
            "none": Subscription(loop, "land", "", 100),
        }
        hub._subs = list(subs.values())
        hub.on_commit(block)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()

    def kinds(name: str) -> list[str]:
        return [msgspec.json.decode(item[6:])["kind"] for item in subs[name].queue]

    assert kinds("all") == ["recorded", "revoked", "member_added", "tick"]
    assert kinds("attest") == ["recorded", "revoked"]
    assert kinds("d1") == ["recorded", "member_added"]
    assert kinds("attest-d1") == ["recorded"]
    assert kinds("none") == []
    assert msgspec.json.decode(subs["all"].queue[-1][6:])["tx_id"] is None


def test_health_reports_a_node_that_stopped_taking_part(api: TestClient, node: Node) -> None:
    assert api.get("/health").status_code == 200
    node.failed = "consensus loop stopped: boom"  # type: ignore[attr-defined]  # what BftNode sets
    r = api.get("/health")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "failed" and body["reason"] == "consensus loop stopped: boom"
