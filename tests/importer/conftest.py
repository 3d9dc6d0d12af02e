"""A real node and API for the importer: a dev network with land and company installed, served by uvicorn
on 127.0.0.1 in a thread (real HTTP, so the event stream is a real stream), with key files on disk so
the CLI can load the operators' keys by name.

registry.py is the lead's to edit: until the company app is listed there, the fixture adds it by
patching `registry.apps` for the duration of a test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
import uvicorn
from fastapi import FastAPI

from govledger.api import create_app
from govledger.apps import registry
from govledger.apps.company.app import APP as COMPANY
from govledger.apps.company.app import default_policies_json as company_policies
from govledger.apps.land.app import default_policies_json as land_policies
from govledger.apps.privacy.app import default_policies_json as privacy_policies
from govledger.apps.vital.app import default_policies_json as vital_policies
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.importer.custody import Custody
from govledger.ledger.app import App, HasRole
from govledger.ledger.block import Validator
from govledger.ledger.genesis import GenesisDoc, dump_genesis
from govledger.node.devnet import DEV_PASSPHRASE, DevnetPaths, init_chain, save_key
from govledger.node.node import Node, NodeConfig
from govledger.sdk import Client

SCRYPT_N = 2**10
CHAIN_ID = "import-test"
MEMBERS = (
    ("admin-1", "ministry", "ministry", ["admin"]),
    ("registrar-1", "land-registry", "registry", ["registrar", "issuer"]),
    ("surveyor-1", "cadastre", "agency", ["surveyor"]),
    ("clerk-1", "company-registry", "registry", ["company_registrar", "issuer"]),
    ("licensing-1", "economic-department", "agency", ["licensing"]),
    ("judge-1", "district-court", "court", ["court"]),
)


def _apps() -> dict[str, App]:
    return {**ORIGINAL_APPS(), "company": COMPANY}


ORIGINAL_APPS = registry.apps


def _key(n: int) -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, (1000 + n).to_bytes(32, "big"))


def make_home(root: Path) -> dict[str, SigningKey]:
    """Key files, genesis.json and block 0 in `root`, laid out as `govledger init` does."""
    paths = DevnetPaths(root)
    keys = {"validator": _key(0)}
    orgs: dict[str, dict[str, str]] = {}
    members = []
    for n, (mid, org, kind, roles) in enumerate(MEMBERS, start=1):
        keys[mid] = _key(n)
        orgs[org] = {"org_id": org, "name": org, "kind": kind}
        members.append(
            {
                "member_id": mid,
                "org": org,
                "name": mid,
                "roles": roles,
                "public_keys": [msgspec.to_builtins(keys[mid].public_key)],
            }
        )
    for name, key in keys.items():
        save_key(paths.key_file(name), key, DEV_PASSPHRASE, SCRYPT_N)
    policies = {
        "governance.*": msgspec.to_builtins(HasRole(role="admin")),
        "attest.record": msgspec.to_builtins(HasRole(role="issuer")),
        **land_policies(),
        **company_policies(),
        **privacy_policies(),
        **vital_policies(),
    }
    doc = GenesisDoc(
        chain_id=CHAIN_ID,
        genesis_time_ms=int(time.time() * 1000),
        validators=[Validator(public_key=keys["validator"].public_key, power=10)],
        app_state={"governance": {"orgs": list(orgs.values()), "members": members, "policies": policies}},
    )
    raw = dump_genesis(doc)
    init_chain(root, raw)
    paths.genesis.write_bytes(raw)
    return keys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Net:
    home: Path
    url: str
    node: Node
    keys: dict[str, SigningKey]
    custody_path: Path
    api: FastAPI

    def client(self) -> Client:
        return Client(self.url, timeout=30)

    @property
    def custody(self) -> Custody:
        return Custody.load(self.custody_path)


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Net]:
    monkeypatch.setattr(registry, "apps", _apps)
    home = tmp_path / "home"
    keys = make_home(home)
    node = Node(NodeConfig(data_dir=home, block_interval_ms=20, sync=False), keys["validator"])
    node.start()
    port = _free_port()
    api = create_app(node, sse_keepalive_s=0.5)
    config = uvicorn.Config(
        api,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the API did not start"
    custody_path = tmp_path / "custody.secret"
    Custody.create(custody_path)
    try:
        yield Net(home, f"http://127.0.0.1:{port}", node, keys, custody_path, api)
    finally:
        server.should_exit = True
        thread.join(10)
        node.stop()
