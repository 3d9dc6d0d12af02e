"""Fixtures for the edges (REST API, SDK, CLI): a temporary devnet, a running node, clients over it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns that httpx support is deprecated
    from fastapi.testclient import TestClient

from govledger.api import create_app
from govledger.codec import Record, encode
from govledger.crypto.signatures import SigningKey
from govledger.ledger.mempool import MempoolLimits
from govledger.ledger.tx import Transaction, build
from govledger.node.devnet import DEV_PASSPHRASE, DevnetPaths, init_devnet, load_key
from govledger.node.node import Node, NodeConfig
from govledger.sdk import Client

SCRYPT_N = 2**10
CHAIN_ID = "edges-test"
MEMBER_KEYS = ("admin-1", "registrar-1", "notary-1", "clerk-1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"))
            item.add_marker(pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument"))


@dataclass
class Devnet:
    root: Path
    chain_id: str
    keys: dict[str, SigningKey]

    def tx(
        self,
        app: str,
        op: str,
        body: Record | bytes,
        signers: list[str] | list[SigningKey],
        *,
        nonce: int | None = None,
        expiry_height: int = 1000,
        chain_id: str | None = None,
    ) -> Transaction:
        keys = [self.keys[s] if isinstance(s, str) else s for s in signers]
        raw_body = body if isinstance(body, bytes) else encode(body)
        return build(
            chain_id or self.chain_id,
            app,
            op,
            raw_body,
            keys,
            nonce=next(_nonces) if nonce is None else nonce,
            expiry_height=expiry_height,
        )


def _counter() -> Iterator[int]:
    n = 1
    while True:
        yield n
        n += 1


_nonces = _counter()


def make_devnet(root: Path) -> Devnet:
    init_devnet(root, chain_id=CHAIN_ID, scrypt_n=SCRYPT_N)
    paths = DevnetPaths(root)
    keys = {name: load_key(paths.key_file(name), DEV_PASSPHRASE) for name in ("validator", *MEMBER_KEYS)}
    return Devnet(root=root, chain_id=CHAIN_ID, keys=keys)


def make_node(devnet: Devnet, **config: Any) -> Node:
    cfg = NodeConfig(data_dir=devnet.root, block_interval_ms=20, sync=False, **config)
    return Node(cfg, devnet.keys["validator"])


@pytest.fixture
def devnet(tmp_path: Path) -> Devnet:
    return make_devnet(tmp_path / "net")


@pytest.fixture(params=[False, True], ids=["blocks-in-process", "block-process"])
def node(devnet: Devnet, request: pytest.FixtureRequest) -> Iterator[Node]:
    """Every API, SDK and CLI test runs against both ways a solo node builds blocks: on its own
    block thread, and in a child process (`node start`'s way, node/block_process.py)."""
    n = make_node(devnet, block_process=request.param)
    n.start()
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture
def app(node: Node) -> FastAPI:
    return create_app(node)


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def sdk(api: TestClient) -> Iterator[Client]:
    with Client("http://testserver", http=api) as client:
        yield client


@pytest.fixture
def stalled_node(devnet: Devnet) -> Iterator[Node]:
    """A node whose block thread never runs, with a mempool of two transactions."""
    n = make_node(devnet, mempool=MempoolLimits(max_txs=2))
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture
def stalled_api(stalled_node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(stalled_node)) as client:
        yield client


MSGPACK = {"content-type": "application/msgpack"}


def post_tx(api: TestClient, tx: Transaction | bytes, **params: Any) -> Any:
    raw = tx if isinstance(tx, bytes) else encode(tx)
    return api.post("/v1/txs", content=raw, headers=MSGPACK, params=params)


def error_code(resp: Any) -> str:
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])
