"""BFT test networks: in-process ones over real loopback TLS (keys, genesis, nodes), helpers for
real-process ones (`govledger network up`: the CLI, free ports, /health heights), and bounded waits.

Every wait polls an observable condition (heights, stored blocks, state) against a deadline;
nothing sleeps for a guessed duration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from govledger.codec import Record, encode
from govledger.consensus.core import TimeoutConfig
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.tx import Transaction
from govledger.net.identity import NodeIdentity
from govledger.node.addressbook import PeerEntry
from govledger.node.bft import BftConfig, BftNode
from govledger.node.devnet import DEV_MEMBERS, DEV_PASSPHRASE, init_chain
from govledger.node.network import network_genesis
from govledger.node.node import NodeConfig

CHAIN_ID = "bft-test"
FAST = TimeoutConfig(600, 200, 300, 100, 300, 100)
WAIT_S = 60.0
POLL_S = 0.02
PROCESS_WAIT_S = 90.0
PROCESS_POLL_S = 0.1
"""Real processes are polled over HTTP, less often: each check is a request to every node."""
SCRYPT_N = "1024"
"""Cheap key-file encryption for the CLI's test networks (the default work factor is for real keys)."""


def wait_for(
    predicate: Callable[[], bool],
    timeout_s: float = WAIT_S,
    what: str = "condition",
    poll_s: float = POLL_S,
) -> None:
    """Poll `predicate` until true; fail loudly after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(poll_s)


def wait_processes(predicate: Callable[[], bool], what: str, timeout_s: float = PROCESS_WAIT_S) -> None:
    """`wait_for` at the pace suited to polling real node processes over HTTP."""
    wait_for(predicate, timeout_s, what, PROCESS_POLL_S)


# --- real processes (`govledger network up`) --------------------------------------------------------


def cli(home: Path, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `govledger --home HOME ARGS...` in a subprocess with the dev passphrase; never raises on
    a non-zero exit (callers assert on `returncode` and show `stderr`)."""
    env = {**os.environ, "GOVLEDGER_SCRYPT_N": SCRYPT_N, "GOVLEDGER_PASSPHRASE": DEV_PASSPHRASE}
    return subprocess.run(
        [sys.executable, "-m", "govledger.cli.main", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        check=False,
    )


def health_height(url: str) -> int | None:
    """The node's height from GET /health, or None while it does not answer (down, starting, hung)."""
    try:
        r = httpx.get(url + "/health", timeout=2)
        return int(r.json()["height"]) if r.status_code == 200 else None
    except httpx.HTTPError:
        return None


# --- in-process networks ----------------------------------------------------------------------------


@dataclass
class Net:
    root: Path
    genesis: bytes
    node_keys: list[SigningKey]
    members: dict[str, SigningKey]
    validators: int
    nodes: dict[int, BftNode] = field(default_factory=dict)
    book: list[PeerEntry] = field(default_factory=list)
    nonce: int = 0
    config: dict[str, Any] = field(default_factory=dict)

    def home(self, i: int) -> Path:
        return self.root / f"node-{i}"

    def make(self, i: int, **bft: Any) -> BftNode:
        cfg = NodeConfig(
            data_dir=self.home(i),
            sync=False,
            empty_block_interval_ms=self.config.get("empty_block_interval_ms", 0),
            verify_threads=1,
        )
        options: dict[str, Any] = {
            "peers": tuple(self.book),
            "timeouts": FAST,
            "gossip_interval_ms": 200,
            **self.config.get("bft", {}),
            **bft,
        }
        return BftNode(cfg, self.node_keys[i], BftConfig(**options))

    def start(self, i: int, **bft: Any) -> BftNode:
        node = self.make(i, **bft)
        node.start()
        self.nodes[i] = node
        self.connect()
        return node

    def connect(self) -> None:
        addresses = {n.node_id: n.p2p_address for n in self.nodes.values()}
        for n in self.nodes.values():
            n.set_peer_addresses(addresses)

    def stop(self, i: int) -> None:
        self.nodes.pop(i).stop()

    def stop_all(self) -> None:
        for i in list(self.nodes):
            self.stop(i)

    def tx(self, app: str, op: str, body: Record, signers: Sequence[str | SigningKey]) -> Transaction:
        keys = [self.members[s] if isinstance(s, str) else s for s in signers]
        self.nonce += 1
        return txmod.build(CHAIN_ID, app, op, encode(body), keys, nonce=self.nonce, expiry_height=10_000)

    def heights(self) -> dict[int, int]:
        return {i: n.chain.height for i, n in self.nodes.items()}

    def wait_height(self, h: int, nodes: Sequence[int] | None = None, timeout_s: float = WAIT_S) -> None:
        which = list(self.nodes) if nodes is None else list(nodes)
        wait_for(
            lambda: all(self.nodes[i].chain.height >= h for i in which),
            timeout_s,
            f"height {h} on nodes {which} (now {self.heights()})",
        )

    def wait_committed(
        self, tx_id: bytes, nodes: Sequence[int] | None = None, timeout_s: float = WAIT_S
    ) -> None:
        which = list(self.nodes) if nodes is None else list(nodes)
        wait_for(
            lambda: all(self.nodes[i].storage.tx_location(tx_id) is not None for i in which),
            timeout_s,
            f"tx {tx_id.hex()[:12]} committed on {which}",
        )

    def assert_same_chain(self, nodes: Sequence[int] | None = None) -> int:
        """Every pair of nodes holds identical blocks up to the lower tip; returns that tip."""
        which = list(self.nodes) if nodes is None else list(nodes)
        tip = min(self.nodes[i].chain.height for i in which)
        for h in range(0, tip + 1):
            hashes = {self.nodes[i].storage.block_bytes(h) for i in which}
            assert len(hashes) == 1, f"nodes disagree at height {h}"
        return tip


def make_net(root: Path, validators: int, full_nodes: int = 0, **config: Any) -> Net:
    node_keys = [SigningKey.generate(Scheme.ED25519) for _ in range(validators + full_nodes)]
    members = {m[0]: SigningKey.generate(Scheme.ED25519) for m in DEV_MEMBERS}
    genesis = network_genesis(CHAIN_ID, node_keys[:validators], members)
    net = Net(root, genesis, node_keys, members, validators, config=config)
    for i, key in enumerate(node_keys):
        init_chain(net.home(i), genesis)
        cert = NodeIdentity(key).certificate_pem.decode()
        net.book.append(
            PeerEntry(key.public_key.key_id().hex(), "127.0.0.1", 0, 0, cert, i < validators, f"node-{i}")
        )
    return net


@contextmanager
def running(net: Net, nodes: Sequence[int]) -> Iterator[Net]:
    try:
        for i in nodes:
            net.start(i)
        yield net
    finally:
        net.stop_all()
