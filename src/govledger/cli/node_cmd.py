"""`govledger node start`: load the home's validator key, run the node and serve the API with uvicorn.

One node per home (an exclusive lock on `<home>/node.lock`). Ctrl-C or SIGTERM stops the server
gracefully, then the node (block thread joined, storage closed), and the command exits 0.
With more than one validator in genesis.json (or `--bft`) the node runs as a BFT network node
(`node/bft.py`, options `--p2p-*`, `--peers`, `--full-node`, timeouts; see docs/bft.md).
`--seed-demo` seeds demo data through the API once the server is up (see `govledger demo`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer
import uvicorn

from govledger.cli import network
from govledger.cli.common import CliState, say, state_of
from govledger.errors import GovledgerError
from govledger.node.bft import BftNode
from govledger.node.node import Node, NodeConfig

app = typer.Typer(help="Run a node.", no_args_is_help=True)

STARTUP_DEADLINE_S = 30.0


@contextmanager
def _home_lock(home: Path) -> Iterator[None]:
    with open(home / "node.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GovledgerError("node.already_running", f"another node is running on {home}") from None
        yield


def _validator_key_name(st: CliState) -> str:
    node_json = st.home / "node.json"
    try:
        cfg = json.loads(node_json.read_text())
        return str(cfg["validator_key"])
    except FileNotFoundError:
        raise GovledgerError(
            "node.not_initialised", f"no network at {st.home}: run `govledger init`"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GovledgerError("node.bad_config", f"{node_json} is not a valid node config: {exc}") from None


def _seed_when_up(server: uvicorn.Server, st: CliState, url: str) -> None:
    from govledger.cli.demo import run_demo

    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while not server.started:
        if server.should_exit or time.monotonic() > deadline:
            return
        time.sleep(0.05)
    try:
        with st.client(url) as client:
            summary = run_demo(client, st)
        say(f"demo data seeded: {summary.line()}")
    except GovledgerError as exc:
        say(f"[red]demo seeding failed[/]: {exc.code}: {exc.message}")


@contextmanager
def _quiet_signals() -> Iterator[None]:
    """Uvicorn re-raises the stop signal after its graceful shutdown; absorb it so the node stops cleanly."""

    def absorb(sig: int, frame: FrameType | None) -> None:
        return None

    old = {s: signal.signal(s, absorb) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@app.command("start")
def start(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    block_interval_ms: int = typer.Option(200, "--block-interval-ms", min=1, help="Block cut interval."),
    seed_demo: bool = typer.Option(False, "--seed-demo", help="Seed demo data once the API is up."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    bft: bool = typer.Option(False, "--bft", help="BFT mode even with one validator in genesis."),
    block_process: bool = typer.Option(
        True,
        "--block-process/--no-block-process",
        help="Solo: build and write blocks in a child process, beside admission (BFT: always in process).",
    ),
    p2p_host: str = typer.Option("127.0.0.1", "--p2p-host", help="BFT: interface for peer links."),
    p2p_port: int = typer.Option(26656, "--p2p-port", min=0, max=65535, help="BFT: peer port."),
    peers: Path | None = typer.Option(None, "--peers", help="BFT: peers.json or a network manifest."),
    full_node: bool = typer.Option(False, "--full-node", help="BFT: follow consensus, never sign."),
    empty_block_interval_ms: int | None = typer.Option(
        None, "--empty-block-interval-ms", min=0, help="Heartbeat blocks (default: BFT 1000, solo off)."
    ),
    timeout_propose_ms: int = typer.Option(3000, "--timeout-propose-ms", min=1, help="BFT: propose timeout."),
    timeout_vote_ms: int = typer.Option(1000, "--timeout-vote-ms", min=1, help="BFT: prevote/precommit."),
    commit_wait_ms: int = typer.Option(0, "--commit-wait-ms", min=0, help="BFT: pause after a commit."),
    exit_on_failure: bool = typer.Option(
        True,
        "--exit-on-failure/--stay-on-failure",
        help="BFT: exit (status 2) when consensus stops, for a supervisor to restart; or keep serving reads.",
    ),
) -> None:
    """Run the node and serve the REST API (docs at /docs) until Ctrl-C or SIGTERM."""
    from govledger.api import create_app

    st = state_of(ctx)
    key_name = _validator_key_name(st)
    with _home_lock(st.home):
        key = st.load_key(key_name)
        use_bft = bft or network.genesis_validator_count(st.home) > 1
        heartbeat_ms = empty_block_interval_ms if empty_block_interval_ms is not None else 1000 * use_bft
        config = NodeConfig(
            data_dir=st.home,
            block_interval_ms=block_interval_ms,
            empty_block_interval_ms=heartbeat_ms,
            block_process=block_process and not use_bft,
        )
        node: Node
        if use_bft:
            node = network.bft_node_from_options(
                st,
                key,
                config,
                p2p_host=p2p_host,
                p2p_port=p2p_port,
                peers_file=peers,
                full_node=full_node,
                timeout_propose_ms=timeout_propose_ms,
                timeout_vote_ms=timeout_vote_ms,
                commit_wait_ms=commit_wait_ms,
            )
        else:
            node = Node(config, key)
        try:
            node.start()
            # the node's services (vault, certificate issuers) read key files with the same passphrase
            os.environ["GOVLEDGER_PASSPHRASE"] = st.passphrase
            api = create_app(node)
            if isinstance(node, BftNode):
                api.include_router(network.status_router(node))
            server_config = uvicorn.Config(
                api,
                host=host,
                port=port,
                log_level=log_level.lower(),
                access_log=False,
                timeout_graceful_shutdown=3,
            )
            server = uvicorn.Server(server_config)
            stopped: list[str] = []
            if isinstance(node, BftNode) and exit_on_failure:

                def _consensus_stopped(why: str) -> None:
                    stopped.append(why)
                    server.should_exit = True  # uvicorn polls this flag and shuts down

                node.on_failure = _consensus_stopped
            if seed_demo:
                url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
                threading.Thread(target=_seed_when_up, args=(server, st, url), daemon=True).start()
            say(
                f"chain {node.chain.chain_id} at height {node.chain.height}: "
                f"serving http://{host}:{port} (docs: /docs)"
            )
            with _quiet_signals():
                try:
                    server.run()
                except SystemExit as exc:
                    if exc.code not in (0, None):
                        raise GovledgerError(
                            "node.serve_failed", f"could not serve on {host}:{port}"
                        ) from None
            if stopped:
                raise GovledgerError(
                    "node.consensus_stopped",
                    f"consensus stopped ({stopped[0]}); exiting so a supervisor restarts the node, "
                    "which resumes from its WAL",
                )
        finally:
            node.stop()
            logging.getLogger("govledger.node").info("node stopped")
    say(f"node stopped at height {node.chain.height}")
