"""`govledger network`: a local multi-validator network, one OS process per node, on 127.0.0.1.

    govledger --home H network up --validators 4 [--full-nodes 2] [--base-port 26600]
    govledger --home H network status
    govledger --home H network down
    govledger --home N network join --genesis genesis.json [--p2p-port P --api-port A]

`up` creates `H/network/` on first use (keys, shared genesis, one home per node, peers.json,
manifest.json; see `node/network.py`), then starts every node that is not running and waits (bounded)
until each answers /health; if one exits or the wait runs out, it stops the nodes it started. Run
again after `down`, or after a node died, it restarts what is not running on the same data. `status`
asks each node's /health (height, last block age) and /v1/network/status (peers, consensus round,
sync). `down` sends SIGTERM, then SIGKILL after a bound.

Also here: what `node start` needs to run a BFT node (`bft_node_from_options`) and the small
`/v1/network/status` route it mounts next to the standard API.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import typer
from fastapi import APIRouter
from rich.table import Table
from starlette.responses import Response

from govledger.cli.common import CliState, out_console, say, state_of
from govledger.consensus.core import TimeoutConfig
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.genesis import parse_genesis
from govledger.net.identity import NodeIdentity
from govledger.node.addressbook import PeerEntry, load_address_book
from govledger.node.bft import BftConfig, BftNode
from govledger.node.devnet import VALIDATOR_KEY, init_chain
from govledger.node.network import (
    create_network,
    load_manifest,
    manifest_path,
    node_alive,
    start_nodes,
    stop_nodes,
)
from govledger.node.node import NodeConfig

app = typer.Typer(
    help="A local multi-validator network (one process per node, 127.0.0.1).", no_args_is_help=True
)

HEALTH_TIMEOUT_S = 2.0


# --- running one BFT node (used by `node start`) ------------------------------------------------


def genesis_validator_count(home: Path) -> int:
    try:
        return len(parse_genesis((home / "genesis.json").read_bytes()).validators)
    except OSError:
        return 1


def bft_node_from_options(
    st: CliState,
    key: SigningKey,
    config: NodeConfig,
    *,
    p2p_host: str,
    p2p_port: int,
    peers_file: Path | None,
    full_node: bool,
    timeout_propose_ms: int,
    timeout_vote_ms: int,
    commit_wait_ms: int,
) -> BftNode:
    peers = () if peers_file is None else tuple(load_address_book(peers_file).peers)
    delta_ms = max(1, timeout_vote_ms // 2)
    bft = BftConfig(
        listen=(p2p_host, p2p_port),
        peers=peers,
        validator=not full_node,
        timeouts=TimeoutConfig(
            timeout_propose_ms, delta_ms, timeout_vote_ms, delta_ms, timeout_vote_ms, delta_ms
        ),
        commit_wait_ms=commit_wait_ms,
    )
    return BftNode(config, key, bft)


def status_router(node: BftNode) -> APIRouter:
    router = APIRouter(tags=["node"])

    @router.get(
        "/v1/network/status",
        summary="BFT node: consensus position, peers, sync and transport counters",
    )
    def network_status() -> Response:
        return Response(msgspec.json.encode(node.network_status()), media_type="application/json")

    return router


# --- the local network ----------------------------------------------------------------------------


def _probe(url: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    health: dict[str, Any] | None = None
    net: dict[str, Any] | None = None
    try:
        with httpx.Client(base_url=url, timeout=HEALTH_TIMEOUT_S) as http:
            r = http.get("/health")
            if r.status_code == 200:
                health = r.json()
            r = http.get("/v1/network/status")
            if r.status_code == 200:
                net = r.json()
    except httpx.HTTPError:
        pass
    return health, net


@app.command("up")
def up(
    ctx: typer.Context,
    validators: int = typer.Option(4, "--validators", min=1, max=64, help="Validators (first run only)."),
    full_nodes: int = typer.Option(0, "--full-nodes", min=0, max=64, help="Non-validating full nodes."),
    base_port: int = typer.Option(26600, "--base-port", help="Node i: API base+2i, P2P base+2i+1."),
    chain_id: str = typer.Option("govledger-local", "--chain-id", help="Chain id (first run only)."),
    wait_s: float = typer.Option(60.0, "--wait", help="Seconds to wait for every node's /health."),
) -> None:
    """Create the network on first use, then start every node that is not running."""
    st = state_of(ctx)
    if not manifest_path(st.home).exists():
        create_network(
            st.home,
            validators=validators,
            full_nodes=full_nodes,
            base_port=base_port,
            chain_id=chain_id,
            passphrase=st.passphrase,
            scrypt_n=st.scrypt_n,
        )
        say(f"created a network of {validators} validators and {full_nodes} full nodes in {st.home}/network")
    started = start_nodes(st.home, env={"GOVLEDGER_PASSPHRASE": st.passphrase})
    say(f"started {len(started)} node(s): {', '.join(n.name for n in started) or 'none (all running)'}")
    try:
        _wait_healthy(st.home, wait_s)
    except GovledgerError as exc:
        # Half a network left running would hold its ports and data: undo this command's starts.
        stop_nodes(st.home, [n.name for n in started])
        raise GovledgerError(
            exc.code, f"{exc.message}; stopped the {len(started)} node(s) this command started"
        ) from None
    status(ctx)


def _wait_healthy(home: Path, wait_s: float) -> None:
    """Until every running node of the network at `home` serves /health; raise if one exits."""
    deadline = time.monotonic() + wait_s
    manifest = load_manifest(home)
    waiting = {n.name: n for n in manifest.nodes if n.pid}
    while waiting and time.monotonic() < deadline:
        for name, node in list(waiting.items()):
            if not node_alive(node):
                raise GovledgerError("network.node_died", f"{name} exited; see {node.log}")
            if _probe(node.url)[0] is not None:
                del waiting[name]
        if waiting:
            time.sleep(0.2)  # polling the nodes' /health until they serve it
    if waiting:
        raise GovledgerError("network.not_ready", f"no /health from {', '.join(waiting)} within {wait_s}s")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Height, peers and last block age of every node (from their /health and /v1/network/status)."""
    st = state_of(ctx)
    manifest = load_manifest(st.home)
    table = Table(title=f"network {manifest.chain_id}")
    for col in ("node", "role", "pid", "api", "height", "h/round", "peers", "age", "state"):
        table.add_column(col)
    for node in manifest.nodes:
        alive = node_alive(node)
        health, net = _probe(node.url) if alive else (None, None)
        live_validator = net.get("validator") if net else None  # the current set, not the genesis one
        role = "validator" if (node.validator if live_validator is None else live_validator) else "full"
        port = str(node.api_port)
        if health is None:
            table.add_row(node.name, role, str(node.pid or "-"), port, "-", "-", "-", "-", "down")
            continue
        peers = str(len(net["peers"])) if net else "?"
        cons = net["consensus"] if net else {}
        state = "failed" if net and net.get("failed") else "syncing" if net and net.get("syncing") else "ok"
        table.add_row(
            node.name,
            role,
            str(node.pid),
            port,
            str(health["height"]),
            f"{cons.get('height', '?')}/{cons.get('round', '?')}",
            peers,
            f"{health['last_block_age_ms'] / 1000:.1f} s",
            state,
        )
    out_console.print(table)


@app.command("down")
def down(
    ctx: typer.Context,
    grace_s: float = typer.Option(15.0, "--grace", help="Seconds between SIGTERM and SIGKILL."),
) -> None:
    """Stop every node: SIGTERM, then SIGKILL after --grace seconds."""
    st = state_of(ctx)
    killed = stop_nodes(st.home, grace_s=grace_s)
    say("network stopped" + (f" (killed: {', '.join(killed)})" if killed else ""))


@app.command("join")
def join(
    ctx: typer.Context,
    genesis: Path = typer.Option(..., "--genesis", help="The network's genesis.json."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address peers dial (--p2p-host of node start)."),
    p2p_port: int = typer.Option(26656, "--p2p-port", min=1, max=65535),
    api_port: int = typer.Option(8000, "--api-port", min=1, max=65535),
    name: str = typer.Option("", "--name", help="A name for humans in peers.json."),
) -> None:
    """Prepare --home as a new node of an existing network; print its peers.json entry."""
    st = state_of(ctx)
    try:
        genesis_bytes = genesis.read_bytes()
    except OSError as exc:
        raise GovledgerError("network.bad_genesis", f"cannot read {genesis}: {exc.strerror}") from None
    doc = parse_genesis(genesis_bytes)
    if (st.home / "chain").exists() or (st.home / "genesis.json").exists():
        raise GovledgerError("network.exists", f"{st.home} already holds a node")
    key = SigningKey.generate()
    st.save_key(VALIDATOR_KEY, key)
    (st.home / "genesis.json").write_bytes(genesis_bytes)
    (st.home / "node.json").write_text(
        msgspec.json.encode({"chain_id": doc.chain_id, "validator_key": VALIDATOR_KEY}).decode()
    )
    init_chain(st.home, genesis_bytes)
    entry = PeerEntry(
        key.public_key.key_id().hex(),
        host,
        p2p_port,
        api_port,
        NodeIdentity(key).certificate_pem.decode(),
        validator=False,
        name=name or st.home.name,
    )
    say(f"node home ready in {st.home}; add this entry to every node's peers.json, then `node start`")
    say(f"to make it a validator, governance submits set_validators with key {entry.id}")
    print(msgspec.json.format(msgspec.json.encode(entry), indent=2).decode())
