"""Real processes: a 4-validator network (`govledger network up`) under load, through crashes.

One scenario, phase by phase, on one network (starting processes is the expensive part):
kill -9 one validator (the chain keeps going), kill a second (the chain halts, nobody forks),
restore both (it resumes, they catch up), SIGSTOP/SIGCONT a validator, restart all at once. Then
every node holds the same blocks (hash per height) and `govledger verify-chain` passes on every data
directory. Waits poll /health with deadlines; the one fixed window is the halt check, which must
observe that nothing happens for a while.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.ledger import tx as txmod
from govledger.ledger.storage import Storage
from govledger.node.devnet import DEV_PASSPHRASE, load_key
from govledger.node.network import Manifest, free_base_port, load_manifest, node_alive
from tests.bft.harness import cli, health_height, wait_processes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

HALT_WINDOW_S = 4.0
"""How long a halted chain must show no new height (> 4 propose/vote timeouts of the local network)."""


class Load:
    """Submits pre-signed attest.record batches to the live nodes' batch API, round robin."""

    def __init__(self, home: Path, manifest: Manifest) -> None:
        self.key = load_key(home / "network" / "keys" / "registrar-1.key.json", DEV_PASSPHRASE)
        self.manifest = manifest
        self.chain_id = manifest.chain_id
        self.admitted = 0
        self.stopped = threading.Event()
        self.paused: set[str] = set()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.n = 0

    def batch(self, size: int, height: int) -> bytes:
        raws = []
        for _ in range(size):
            self.n += 1
            body = RecordBody(self.n.to_bytes(32, "big"), "deed", f"load {self.n}")
            t = txmod.build(
                self.chain_id,
                "attest",
                "record",
                encode(body),
                [self.key],
                nonce=self.n,
                expiry_height=height + 10_000,
            )
            raws.append(encode(t))
        return encode(raws)

    def run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self.stopped.is_set():
                for node in self.manifest.nodes:
                    if self.stopped.is_set():
                        return
                    if node.name in self.paused:
                        continue
                    h = health_height(node.url)
                    if h is None:
                        continue
                    try:
                        r = http.post(
                            node.url + "/v1/txs/batch",
                            content=self.batch(20, h),
                            headers={"content-type": "application/msgpack"},
                        )
                        if r.status_code == 200:
                            self.admitted += sum(1 for x in r.json() if x["code"] == "ok")
                    except httpx.HTTPError:
                        pass
                self.stopped.wait(0.1)  # pacing: ~200 tx/s offered in total

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(30)


def test_four_validator_processes_survive_crashes_without_forking(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = free_base_port(10)
    up = cli(home, "network", "up", "--validators", "4", "--base-port", str(base))
    assert up.returncode == 0, up.stderr
    manifest = load_manifest(home)
    nodes = {n.name: n for n in manifest.nodes}
    url = {name: n.url for name, n in nodes.items()}

    def heights(names: list[str]) -> dict[str, int | None]:
        return {name: health_height(url[name]) for name in names}

    def advance(names: list[str], by: int, what: str) -> int:
        start = max(h or 0 for h in heights(names).values())
        wait_processes(lambda: all((h or 0) >= start + by for h in heights(names).values()), what)
        return start + by

    def pid(name: str) -> int:
        return {n.name: n for n in load_manifest(home).nodes}[name].pid

    try:
        with Load(home, manifest) as load:
            all4 = ["node-0", "node-1", "node-2", "node-3"]
            advance(all4, 5, "4 validators make progress under load")
            assert load.admitted > 0

            # kill -9 one validator: 30 of 40 power remain, more than 2/3: the chain keeps going.
            os.kill(pid("node-3"), signal.SIGKILL)
            load.paused.add("node-3")
            advance(["node-0", "node-1", "node-2"], 5, "3 of 4 validators keep deciding")

            # kill -9 a second: 20 of 40, not more than 2/3: no height can be decided.
            os.kill(pid("node-2"), signal.SIGKILL)
            load.paused.add("node-2")
            live = ["node-0", "node-1"]
            wait_processes(
                lambda: len({h for h in heights(live).values()}) == 1,
                "the two survivors agree on the last decided height",
            )
            halted = heights(live)
            time.sleep(HALT_WINDOW_S)  # observing that nothing happens: the chain is halted
            assert heights(live) == halted, "2 of 4 validators decided a height"

            # Restore both: they restart from their data (WAL, privval, LMDB), catch up; the chain resumes.
            restart = cli(home, "network", "up")
            assert restart.returncode == 0, restart.stderr
            load.paused.clear()
            resumed = advance(all4, 4, "the chain resumes with all four")
            assert resumed > max(h or 0 for h in halted.values())

            # SIGSTOP a validator (a hung process, not a dead one), then let it go on.
            frozen = pid("node-1")
            os.kill(frozen, signal.SIGSTOP)
            load.paused.add("node-1")
            try:
                advance(["node-0", "node-2", "node-3"], 4, "3 validators decide while one is stopped")
            finally:
                os.kill(frozen, signal.SIGCONT)
            load.paused.clear()
            target = max(h or 0 for h in heights(all4).values())
            wait_processes(
                lambda: (heights(["node-1"])["node-1"] or 0) >= target, "the stopped validator catches up"
            )

        # Restart all at once (SIGTERM to everyone, then up again), then more blocks.
        down = cli(home, "network", "down")
        assert down.returncode == 0, down.stderr
        assert not any(node_alive(n) for n in load_manifest(home).nodes)
        again = cli(home, "network", "up")
        assert again.returncode == 0, again.stderr
        status = cli(home, "network", "status")
        assert status.returncode == 0 and "node-3" in status.stdout, status.stderr
        advance(all4, 3, "the network restarted all at once decides again")
        final = max(h or 0 for h in heights(all4).values())
        wait_processes(
            lambda: all((h or 0) >= final for h in heights(all4).values()), "all nodes at the same tip"
        )
    finally:
        cli(home, "network", "down")

    # Same blocks everywhere, and every data directory verifies from genesis.
    stores = [Storage(Path(n.home) / "chain", readonly=True) for n in manifest.nodes]
    try:
        tip = min(s.height() for s in stores)
        assert tip >= final
        for h in range(tip + 1):
            assert len({s.block_bytes(h) for s in stores}) == 1, f"fork at height {h}"
        txs = sum(len(s.block(h).txs) for h in range(1, tip + 1) for s in stores[:1])  # type: ignore[union-attr]
        assert txs > 0
    finally:
        for s in stores:
            s.close()
    for n in manifest.nodes:
        check = cli(Path(n.home), "verify-chain", timeout_s=300)
        assert check.returncode == 0, f"{n.name}: {check.stderr}"
        assert check.stdout.startswith("ok: chain"), check.stdout


def _processes_under(path: Path) -> list[int]:
    """Pids of live processes whose command line names `path` (node processes name their home)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # exited while we looked
        if str(path).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_network_that_cannot_start_whole_is_stopped_not_left_half_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = free_base_port(8)
    with socket.socket() as squatter:  # node-1's API port (base + 2) is taken: node-1 cannot start
        squatter.bind(("127.0.0.1", base + 2))
        squatter.listen()
        up = cli(home, "network", "up", "--validators", "3", "--base-port", str(base))
    left = _processes_under(home)
    for pid in left:  # a failing run must not leak nodes into the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert up.returncode == 2, up.stderr
    assert "network.node_died" in up.stderr and "node-1 exited" in up.stderr, up.stderr
    assert "stopped the 3 node(s) this command started" in up.stderr
    assert left == []
    assert all(n.pid == 0 for n in load_manifest(home).nodes)
