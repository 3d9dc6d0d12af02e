"""REST API: submitting transactions (single, batch), waiting, receipts, proofs, and every rejection."""

from __future__ import annotations

import base64
import time

import msgspec
import pytest
from fastapi.testclient import TestClient

from govledger.api import create_app
from govledger.apps.attest.app import RecordBody
from govledger.apps.governance.model import RegisterOrg
from govledger.codec import encode
from govledger.ledger.block import Receipt
from govledger.ledger.proofs import ProofError, TxProof, verify_tx
from govledger.ledger.tx import Transaction
from govledger.node.node import Node

from .conftest import MSGPACK, Devnet, error_code, post_tx


def record(devnet: Devnet, n: int, signer: str = "registrar-1", **kw: object) -> Transaction:
    body = RecordBody(digest=n.to_bytes(32, "big"), kind="deed", reference=f"REF-{n}")
    return devnet.tx("attest", "record", body, [signer], **kw)  # type: ignore[arg-type]


def nothing_written(node: Node, height: int) -> None:
    time.sleep(0.06)  # three block intervals: a wrongly admitted tx would have been committed by now
    assert len(node.mempool) == 0
    assert node.chain.height == height


def test_submit_single_then_wait_and_read(api: TestClient, devnet: Devnet) -> None:
    r = post_tx(api, record(devnet, 1))
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending"
    tx_id = r.json()["tx_id"]
    w = api.get(f"/v1/txs/{tx_id}/wait", params={"timeout_ms": 5000})
    assert w.status_code == 200, w.text
    done = w.json()
    assert done["status"] == "committed" and done["receipt"]["code"] == "ok" and done["height"] >= 1
    again = api.get(f"/v1/txs/{tx_id}").json()
    assert again == done
    receipts = api.get(f"/v1/blocks/{done['height']}/receipts").json()
    assert receipts["receipts"][done["index"]] == done["receipt"]
    block = api.get(f"/v1/blocks/{done['height']}").json()
    assert tx_id in block["tx_ids"] and block["commit"]["height"] == done["height"]
    assert api.get("/v1/blocks/latest").json()["height"] >= done["height"]


def test_submit_json_envelope_with_wait(api: TestClient, devnet: Devnet) -> None:
    raw = encode(record(devnet, 2))
    r = api.post(
        "/v1/txs", params={"wait": "true", "timeout_ms": 5000}, json={"tx": base64.b64encode(raw).decode()}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "committed" and r.json()["receipt"]["code"] == "ok"


def test_batch_submit(api: TestClient, devnet: Devnet, node: Node) -> None:
    txs = [encode(record(devnet, 100 + i)) for i in range(50)]
    bad = b"\xc1"
    r = api.post("/v1/txs/batch", content=msgspec.msgpack.encode([*txs, bad, txs[0]]), headers=MSGPACK)
    assert r.status_code == 200, r.text
    results = r.json()
    assert [x["code"] for x in results[:50]] == ["ok"] * 50
    assert results[50]["code"] == "codec.malformed" and results[50]["tx_id"] == ""
    assert results[51]["code"] == "tx.duplicate"
    last = results[49]["tx_id"]
    assert api.get(f"/v1/txs/{last}/wait", params={"timeout_ms": 5000}).status_code == 200
    for x in results[:50]:
        assert (
            api.get(f"/v1/txs/{x['tx_id']}/wait", params={"timeout_ms": 5000}).json()["receipt"]["code"]
            == "ok"
        )


def test_batch_answers_msgpack_when_asked(api: TestClient, devnet: Devnet) -> None:
    body = msgspec.msgpack.encode([encode(record(devnet, 7))])
    r = api.post("/v1/txs/batch", content=body, headers={**MSGPACK, "accept": "application/msgpack"})
    assert r.headers["content-type"] == "application/msgpack"
    assert msgspec.msgpack.decode(r.content)[0]["code"] == "ok"


def test_tx_proof_verifies_and_fails_when_tampered(api: TestClient, devnet: Devnet, node: Node) -> None:
    ids = [post_tx(api, record(devnet, 200 + i)).json()["tx_id"] for i in range(5)]
    for tid in ids:
        api.get(f"/v1/txs/{tid}/wait", params={"timeout_ms": 5000})
    trusted = node.chain.validator_set(1)
    proof = msgspec.json.decode(api.get(f"/v1/txs/{ids[3]}/proof").content, type=TxProof)
    assert verify_tx(proof, trusted).code == "ok"
    r = proof.receipt
    forged = [
        msgspec.structs.replace(proof, receipt=Receipt(r.tx_id, "attest.bad_digest", "forged", [])),
        msgspec.structs.replace(proof, tx=proof.tx[:-1] + bytes([proof.tx[-1] ^ 1])),
        msgspec.structs.replace(proof, index=proof.index ^ 1),
        msgspec.structs.replace(
            proof, header=msgspec.structs.replace(proof.header, time_ms=proof.header.time_ms + 1)
        ),
    ]
    for bad in forged:
        with pytest.raises(ProofError):
            verify_tx(bad, trusted)


def test_unknown_tx_and_proof(api: TestClient) -> None:
    missing = "ab" * 32
    for path in (f"/v1/txs/{missing}", f"/v1/txs/{missing}/proof"):
        r = api.get(path)
        assert r.status_code == 404 and error_code(r) == "tx.not_found"
    r = api.get(f"/v1/txs/{missing}/wait", params={"timeout_ms": 30})
    assert r.status_code == 404 and error_code(r) == "tx.not_found"
    r = api.get("/v1/txs/not-hex")
    assert r.status_code == 400 and error_code(r) == "request.invalid"


def _non_canonical(tx: Transaction) -> bytes:
    # Same value, keys in another order: decodes, but does not re-encode to the same bytes.
    d = msgspec.to_builtins(tx, builtin_types=(bytes,))
    return msgspec.msgpack.encode({"signatures": d["signatures"], "payload": d["payload"]})


def _unknown_field(tx: Transaction) -> bytes:
    d = msgspec.to_builtins(tx, builtin_types=(bytes,))
    d["extra"] = 1
    return msgspec.msgpack.encode(d)


def _bad_signature(tx: Transaction) -> bytes:
    sig = tx.signatures[0]
    return encode(Transaction(tx.payload, [sig[:-1] + bytes([sig[-1] ^ 1])]))


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda d: b"\xc1\x00", 400, "codec.malformed"),
        (lambda d: _non_canonical(record(d, 9)), 400, "codec.not_canonical"),
        (lambda d: _unknown_field(record(d, 9)), 400, "codec.invalid"),
        (lambda d: _bad_signature(record(d, 9)), 400, "tx.bad_signature"),
        (lambda d: encode(record(d, 9, expiry_height=0)), 400, "tx.expired"),
        (lambda d: encode(record(d, 9, chain_id="other-chain")), 400, "tx.wrong_chain"),
        (lambda d: encode(d.tx("nope", "transfer", b"\x80", ["registrar-1"])), 400, "tx.unknown_app"),
        (lambda d: encode(d.tx("attest", "burn", b"\x80", ["registrar-1"])), 400, "tx.unknown_op"),
        (lambda d: encode(d.tx("attest", "record", b"\x80", ["registrar-1"])), 400, "tx.bad_body"),
        (
            lambda d: encode(
                d.tx("governance", "register_org", RegisterOrg("x", "X", "agency"), ["registrar-1"])
            ),
            400,
            "auth.missing_signers",
        ),
        (lambda d: b"\x00" * (70 * 1024), 413, "codec.oversize"),
    ],
    ids=[
        "malformed",
        "non-canonical",
        "unknown-field",
        "bad-signature",
        "expired",
        "wrong-chain",
        "unknown-app",
        "unknown-op",
        "bad-body",
        "missing-signer",
        "tx-too-large",
    ],
)
def test_single_rejections(api: TestClient, devnet: Devnet, node: Node, make, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    height = node.chain.height
    r = post_tx(api, make(devnet))
    assert r.status_code == status, r.text
    assert error_code(r) == code
    nothing_written(node, height)


def test_replay_and_app_rule(api: TestClient, devnet: Devnet, node: Node) -> None:
    tx = record(devnet, 42)
    assert post_tx(api, tx, wait="true", timeout_ms=5000).status_code == 200
    height = node.chain.height
    r = post_tx(api, tx)
    assert r.status_code == 409 and error_code(r) == "tx.replay"
    r = post_tx(api, record(devnet, 42, signer="notary-1"))  # same digest, new transaction
    assert r.status_code == 400 and error_code(r) == "attest.already_recorded"
    nothing_written(node, height)


def test_request_shape_errors(api: TestClient, node: Node) -> None:
    cases = [
        (
            api.post("/v1/txs", content=b"x", headers={"content-type": "text/plain"}),
            415,
            "request.unsupported_media_type",
        ),
        (api.post("/v1/txs", json={"tx": "***"}), 400, "request.invalid"),
        (api.post("/v1/txs", json={"tx": "AA==", "more": 1}), 400, "request.invalid"),
        (api.post("/v1/txs/batch", json=[]), 415, "request.unsupported_media_type"),
        (api.post("/v1/txs/batch", content=b"\xc1", headers=MSGPACK), 400, "codec.malformed"),
        (
            api.post("/v1/txs/batch", content=msgspec.msgpack.encode([1, 2]), headers=MSGPACK),
            400,
            "codec.invalid",
        ),
        (api.get("/v1/nowhere"), 404, "request.not_found"),
        (api.delete("/v1/txs"), 405, "request.method_not_allowed"),
        (api.get("/v1/blocks/abc"), 400, "request.invalid"),
        (api.get("/v1/blocks/-1"), 400, "request.invalid"),
        (api.get("/v1/blocks/999"), 404, "block.not_found"),
        (api.get("/v1/txs/" + "00" * 32 + "/wait", params={"timeout_ms": "soon"}), 400, "request.invalid"),
    ]
    for resp, status, code in cases:
        assert resp.status_code == status, (resp.request.url, resp.text)
        assert error_code(resp) == code, resp.request.url
    assert node.chain.height == 0


def test_oversize_bodies_are_refused_before_reading(api: TestClient, devnet: Devnet) -> None:
    big = b"\x00" * ((1 << 20) + 1)
    r = api.post("/v1/txs", content=big, headers=MSGPACK)
    assert r.status_code == 413 and error_code(r) == "request.too_large"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"\x00" * 32768

    r = api.post("/v1/txs", content=chunks(), headers=MSGPACK)  # chunked: no Content-Length
    assert r.status_code == 413 and error_code(r) == "request.too_large"
    r = api.post("/v1/txs/batch", content=b"", headers={**MSGPACK, "content-length": str(65 << 20)})
    assert r.status_code == 413 and error_code(r) == "request.too_large"
    too_many = msgspec.msgpack.encode([b"x"] * 10_001)
    r = api.post("/v1/txs/batch", content=too_many, headers=MSGPACK)
    assert r.status_code == 413 and error_code(r) == "mempool.batch_too_large"


def test_mempool_full_is_429_with_retry_after(
    stalled_api: TestClient, devnet: Devnet, stalled_node: Node
) -> None:
    assert post_tx(stalled_api, record(devnet, 1)).status_code == 202
    dup = post_tx(stalled_api, record(devnet, 1, nonce=10**9))
    assert dup.status_code == 202
    again = post_tx(stalled_api, record(devnet, 1, nonce=10**9))
    assert again.status_code == 409 and error_code(again) == "tx.duplicate"
    r = post_tx(stalled_api, record(devnet, 3))
    assert r.status_code == 429 and error_code(r) == "mempool.full"
    assert r.headers["retry-after"] == "1"
    batch = stalled_api.post(
        "/v1/txs/batch", content=msgspec.msgpack.encode([encode(record(devnet, 4))]), headers=MSGPACK
    )
    assert batch.status_code == 200 and batch.json()[0]["code"] == "mempool.full"
    assert batch.headers["retry-after"] == "1"
    assert len(stalled_node.mempool) == 2
    metrics = stalled_api.get("/metrics").text
    assert 'govledger_admission_rejections_total{code="mempool.full"} 2.0' in metrics


def test_pending_status_and_wait_timeout(stalled_api: TestClient, devnet: Devnet) -> None:
    tid = post_tx(stalled_api, record(devnet, 5)).json()["tx_id"]
    assert stalled_api.get(f"/v1/txs/{tid}").json() == {"tx_id": tid, "status": "pending"}
    w = stalled_api.get(f"/v1/txs/{tid}/wait", params={"timeout_ms": 30})
    assert w.status_code == 202 and w.json()["status"] == "pending"
    w = post_tx(stalled_api, record(devnet, 6), wait="true", timeout_ms=30)
    assert w.status_code == 202 and w.json()["status"] == "pending"


def test_waiters_are_bounded(stalled_node: Node, devnet: Devnet) -> None:
    with TestClient(create_app(stalled_node, max_waiters=0)) as c:
        tid = post_tx(c, record(devnet, 8)).json()["tx_id"]
        r = c.get(f"/v1/txs/{tid}/wait", params={"timeout_ms": 10})
        assert r.status_code == 503 and error_code(r) == "api.too_many_waiters"
