"""One seeded network for the integration tests: a dev network, its node and API served by uvicorn on
a free port, and the small demo data set seeded through the API (as `make run` does at full scale).

Session-scoped (seeding takes a few seconds); tests that change the register use records nobody else
looks at. `World.cli(...)` runs the main command group with `plugins.mount` applied, as the lead's
one line in cli/main.py will.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from govledger.api import create_app
from govledger.cli import plugins
from govledger.cli.common import CliState
from govledger.cli.demo import DemoSummary, run_demo
from govledger.cli.demo_data import SMALL
from govledger.cli.main import GuardedGroup, _global
from govledger.crypto.signatures import SigningKey
from govledger.node.devnet import DEV_PASSPHRASE, DevnetPaths, init_devnet, load_key
from govledger.node.node import Node, NodeConfig
from govledger.sdk import Client

SCRYPT_N = 2**10
CHAIN_ID = "integration-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_app() -> typer.Typer:
    app = typer.Typer(cls=GuardedGroup, add_completion=False, pretty_exceptions_enable=False)
    app.callback()(_global)
    plugins.mount(app)
    return app


@dataclass
class World:
    home: Path
    url: str
    node: Node
    api: FastAPI
    client: Client
    first: DemoSummary
    runner: CliRunner

    @property
    def st(self) -> CliState:
        return CliState(home=self.home, scrypt_n=SCRYPT_N)

    def key(self, name: str) -> SigningKey:
        return load_key(DevnetPaths(self.home).key_file(name), DEV_PASSPHRASE)

    def cli(self, *args: str) -> tuple[int, str, str]:
        base = ["--home", str(self.home), "--scrypt-n", str(SCRYPT_N)]
        result = self.runner.invoke(cli_app(), [*base, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.exit_code, result.stdout, result.stderr

    def wait_height(self, height: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.node.chain.height < height and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("integration") / "net"
    init_devnet(home, chain_id=CHAIN_ID, scrypt_n=SCRYPT_N)
    validator = load_key(DevnetPaths(home).key_file("validator"), DEV_PASSPHRASE)
    node = Node(NodeConfig(data_dir=home, block_interval_ms=20, sync=False), validator)
    node.start()
    api = create_app(node)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, name="uvicorn-integration", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the API did not start"
    url = f"http://127.0.0.1:{port}"
    st = CliState(home=home, scrypt_n=SCRYPT_N)
    client = st.client(url)
    try:
        first = run_demo(client, st, SMALL, progress=False)
        yield World(home, url, node, api, client, first, CliRunner())
    finally:
        client.close()
        server.should_exit = True
        thread.join(10)
        node.stop()
