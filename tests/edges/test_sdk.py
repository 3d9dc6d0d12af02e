"""SDK: trust on first use and pinning, verified reads, tampering detection, error mapping, TxBuilder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import msgspec
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from govledger.apps.attest.app import Attestation, RecordBody
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.block import Validator, ValidatorSet
from govledger.ledger.proofs import ProofError
from govledger.node.node import Node
from govledger.sdk import (
    Client,
    NodeUnreachable,
    RemoteError,
    TxBuilder,
    VerificationError,
    trust_from_genesis,
)

from .conftest import Devnet

DIGEST = b"\x07" * 32


def _record(sdk: Client, devnet: Devnet, digest: bytes = DIGEST) -> str:
    tx = sdk.tx_builder().tx(
        "attest",
        "record",
        RecordBody(digest, "deed", "R-7"),
        [devnet.keys["registrar-1"]],
        current_height=sdk.height(),
    )
    status = sdk.submit_and_wait(tx, timeout=10)
    assert status.receipt is not None and status.receipt.code == "ok"
    return status.tx_id


def test_round_trip_with_verification(sdk: Client, devnet: Devnet) -> None:
    tx_id = _record(sdk, devnet)
    raw = sdk.get_state("attest", b"doc/" + DIGEST)
    assert raw is not None and msgspec.msgpack.decode(raw, type=Attestation).reference == "R-7"
    assert sdk.get_state("attest", b"doc/" + bytes(32)) is None
    assert sdk.get_state("attest", b"doc/" + DIGEST, height=0) is None
    assert sdk.query("attest", "get", digest=DIGEST)["reference"] == "R-7"
    assert sdk.query("governance", "member", id="admin-1")["member_id"] == "admin-1"
    proof = sdk.tx_proof(tx_id)
    assert proof.receipt.code == "ok"
    assert sdk.tx(tx_id).status == "committed"
    block = sdk.block(proof.header.height)
    assert tx_id in block.tx_ids and sdk.block().height >= block.height
    assert sdk.receipts(block.height).receipts[proof.index] == proof.receipt
    assert sdk.history("attest", DIGEST.hex()).entries[0].tx_id == tx_id
    assert sdk.health().status == "ok"
    assert {a.name for a in sdk.apps()} >= {"attest", "governance"}
    assert sdk.validators() == sdk.trust.validators


def test_batch_and_wait(sdk: Client, devnet: Devnet) -> None:
    b = sdk.tx_builder()
    h = sdk.height()
    raws = [
        b.raw(
            "attest",
            "record",
            RecordBody(bytes([i]) * 32, "deed", ""),
            [devnet.keys["notary-1"]],
            current_height=h,
        )
        for i in range(20)
    ]
    results = sdk.submit_batch(raws)
    assert all(r.ok for r in results)
    assert all(sdk.wait(r.tx_id, 10).receipt.code == "ok" for r in results)  # type: ignore[union-attr]


def test_events_stream(sdk: Client, app: FastAPI, devnet: Devnet) -> None:
    got = []

    def listen() -> None:
        got.extend(sdk.events(app="attest", limit=1))

    t = threading.Thread(target=listen)
    t.start()
    deadline = time.monotonic() + 5
    while app.state.ctx.hub.subscriber_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    tx_id = _record(sdk, devnet)
    t.join(5)
    assert [(e.kind, e.tx_id) for e in got] == [("recorded", tx_id)]


def test_remote_errors_are_govledger_errors(sdk: Client, devnet: Devnet) -> None:
    tx = devnet.tx("attest", "record", RecordBody(DIGEST, "deed", ""), ["registrar-1"], chain_id="elsewhere")
    with pytest.raises(RemoteError) as info:
        sdk.submit(tx)
    assert info.value.code == "tx.wrong_chain" and info.value.status == 400
    with pytest.raises(RemoteError) as info:
        sdk.tx("00" * 32)
    assert info.value.code == "tx.not_found" and info.value.status == 404
    _record(sdk, devnet)
    again = sdk.tx_builder().tx(
        "attest", "record", RecordBody(DIGEST, "deed", ""), [devnet.keys["notary-1"]], current_height=1
    )
    with pytest.raises(GovledgerError, match=r"attest\.already_recorded"):
        sdk.submit_and_wait(again)


def test_unreachable_node() -> None:
    with Client("http://127.0.0.1:9", timeout=2) as c, pytest.raises(NodeUnreachable) as info:
        c.health()
    assert info.value.code == "node.unreachable" and "127.0.0.1:9" in info.value.message


def test_pinned_trust(api: TestClient, node: Node, devnet: Devnet) -> None:
    genesis = (devnet.root / "genesis.json").read_bytes()
    trust = trust_from_genesis(genesis)
    assert trust.genesis_hash == node.storage.block(0).header.hash()  # type: ignore[union-attr]
    pinned = Client(
        "http://testserver", http=api, trusted_validators=trust.validators, genesis_hash=trust.genesis_hash
    )
    assert pinned.get_state("governance", b"member/admin-1") is not None
    wrong_chain = Client("http://testserver", http=api, genesis_hash=bytes(32))
    with pytest.raises(VerificationError) as info:
        wrong_chain.get_state("governance", b"member/admin-1")
    assert info.value.code == "proof.wrong_chain"
    stranger = ValidatorSet([Validator(SigningKey.generate().public_key, 10)])
    untrusted = Client("http://testserver", http=api, trusted_validators=stranger)
    with pytest.raises(VerificationError) as info:
        untrusted.get_state("governance", b"member/admin-1")
    assert info.value.code == "proof.untrusted_validators"
    assert isinstance(info.value, ProofError)


def _tampering_client(api: TestClient, path_part: str, edit: Callable[[dict], dict]) -> Client:  # type: ignore[type-arg]
    def handler(request: httpx.Request) -> httpx.Response:
        resp = api.request(request.method, str(request.url), content=request.content, headers=request.headers)
        if path_part in request.url.path and resp.status_code == 200:
            body = edit(resp.json())
            return httpx.Response(200, json=body)
        return httpx.Response(resp.status_code, content=resp.content, headers=resp.headers)

    return Client(
        "http://testserver",
        http=httpx.Client(base_url="http://testserver", transport=httpx.MockTransport(handler)),
    )


def test_lying_node_is_caught(api: TestClient, sdk: Client, devnet: Devnet) -> None:
    tx_id = _record(sdk, devnet)

    def swap_value(body: dict) -> dict:  # type: ignore[type-arg]
        body["entries"][0]["value"] = None
        return body

    def swap_result(body: dict) -> dict:  # type: ignore[type-arg]
        body["result"]["kind"] = "will"
        return body

    def swap_receipt(body: dict) -> dict:  # type: ignore[type-arg]
        body["receipt"]["code"] = "attest.bad_digest"
        return body

    with pytest.raises(VerificationError):
        _tampering_client(api, "/v1/state/", swap_value).get_state("attest", b"doc/" + DIGEST)
    with pytest.raises(VerificationError):
        _tampering_client(api, "/v1/query/", swap_result).query("attest", "get", digest=DIGEST)
    with pytest.raises(VerificationError):
        _tampering_client(api, "/proof", swap_receipt).tx_proof(tx_id)
    unverified = _tampering_client(api, "/v1/state/", swap_value)
    unverified.verify = False
    assert unverified.get_state("attest", b"doc/" + DIGEST) is None  # verify=False trusts the node


def test_tx_builder() -> None:
    key = SigningKey.generate()
    b = TxBuilder("c")
    t1 = b.tx("attest", "record", RecordBody(DIGEST, "deed", ""), [key], current_height=10, expiry_in=5)
    t2 = b.tx("attest", "record", RecordBody(DIGEST, "deed", ""), [key], current_height=10)
    assert t1.payload.expiry_height == 15 and t2.payload.expiry_height == 1010
    assert t1.payload.nonce != t2.payload.nonce and t1.payload.chain_id == "c"
    with pytest.raises(GovledgerError):
        b.tx("attest", "record", b"", [], current_height=1)
    with pytest.raises(GovledgerError):
        b.tx("attest", "record", b"", [key], current_height=1, expiry_in=0)
