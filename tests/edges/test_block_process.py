"""The solo node's block process (node/block_process.py): same blocks as in process, and its failures.

- The same transactions, submitted and cut at the same block times, give byte-identical blocks,
  receipts and events whether the node builds blocks on its own thread or in the child process.
- A child killed between blocks, or between building a block and sealing it, is replaced by the
  next block; nothing half-written is left and `verify-chain` re-executes the whole chain. A block
  the child wrote but never reported reaches the listeners with the next one.
- A node process killed with SIGKILL takes its child with it, so the data directory's writer lock
  is free for the next start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govledger.apps.attest.app import RecordBody
from govledger.cli.verify_chain import verify_chain
from govledger.errors import GovledgerError
from govledger.ledger.storage import Storage
from govledger.node.node import CommittedBlock, Node

from .conftest import Devnet, make_devnet, make_node

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000_000  # block times fixed by the test, so two nodes can agree on them


def records(devnet: Devnet, numbers: list[int], signer: str = "registrar-1") -> list[bytes]:
    from govledger.codec import encode

    return [
        encode(devnet.tx("attest", "record", RecordBody(n.to_bytes(32, "big"), "deed", f"REF-{n}"), [signer]))
        for n in numbers
    ]


def run_blocks(node: Node, batches: list[list[bytes]]) -> list[CommittedBlock]:
    """Admit each batch and cut one block for it at a fixed time; the blocks the listener saw."""
    seen: list[CommittedBlock] = []
    node.add_listener(seen.append)
    for i, batch in enumerate(batches):
        admitted = node.submit(batch)
        assert all(a.ok for a in admitted), [a.code for a in admitted if not a.ok]
        assert node.produce_block(time_ms=T0 + 1000 * i) is not None
    return seen


def child_pid(node: Node) -> int:
    producer = node._producer
    assert producer is not None and producer.pid is not None
    return producer.pid


def wait_gone(pid: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while Path(f"/proc/{pid}").exists():
        status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
        if "State:\tZ" in status:
            return  # exited, not yet reaped by its parent
        assert time.monotonic() < deadline, f"process {pid} is still running"
        time.sleep(0.02)


def test_the_block_process_builds_the_same_blocks_as_the_block_thread(tmp_path: Path) -> None:
    # Two nodes from one genesis and the same keys (the devnet is copied, not re-generated).
    first = make_devnet(tmp_path / "a")
    second = tmp_path / "b"
    subprocess.run(["cp", "-a", str(first.root), str(second)], check=True)
    twin = Devnet(root=second, chain_id=first.chain_id, keys=first.keys)
    # Fresh digests, then a block recording one digest twice (both pass the mempool's pre-check,
    # which sees the state before either; execution refuses the second), then an empty block.
    batches = [records(first, list(range(1, 40))), records(first, [40, 41]), []]
    batches[1] += records(first, [40], signer="notary-1")
    in_process = make_node(first)
    in_child = make_node(twin, block_process=True)
    try:
        a = run_blocks(in_process, batches)
        b = run_blocks(in_child, batches)
        assert [x.header for x in a] == [x.header for x in b]
        assert [x.receipts for x in a] == [x.receipts for x in b]
        assert [x.events for x in a] == [x.events for x in b]
        assert [r.code for r in b[1].receipts] == ["ok", "ok", "attest.already_recorded"]
        assert in_child.chain.height == in_process.chain.height == 3
        assert in_child.chain.tip == in_process.chain.tip
        for h in range(1, 4):
            assert in_child.storage.block_bytes(h) == in_process.storage.block_bytes(h)
            assert in_child.storage.commit(h) == in_process.storage.commit(h)
    finally:
        in_process.stop()
        in_child.stop()
    assert verify_chain(twin.root).tip == 3


def test_a_killed_block_process_is_replaced_and_nothing_is_half_written(devnet: Devnet) -> None:
    node = make_node(devnet, block_process=True)
    try:
        run_blocks(node, [records(devnet, [1, 2, 3])])
        # killed between blocks: the next block starts another child
        first = child_pid(node)
        os.kill(first, signal.SIGKILL)
        wait_gone(first)
        run_blocks(node, [records(devnet, [4, 5])])
        assert child_pid(node) != first and node.chain.height == 2
        # killed after building a block, before sealing it: the seal fails, nothing is written
        producer = node._producer
        assert producer is not None
        producer.build(records(devnet, [6]), T0 + 5000, node.key.public_key.key_id())
        second = child_pid(node)
        os.kill(second, signal.SIGKILL)
        wait_gone(second)
        with pytest.raises(GovledgerError) as failed:
            producer.seal(node._sign_commit(node.chain.tip))
        assert failed.value.code == "node.block_process"
        assert node.storage.height() == 2
        run_blocks(node, [records(devnet, [6, 7])])
        assert node.chain.height == 3 and node.stats["txs"] == 7
        # written but never reported (as when the child dies between writing and answering): the
        # next block reports it first, from storage, with its receipts and events
        header = producer.build(records(devnet, [8]), T0 + 9000, node.key.public_key.key_id())
        producer.seal(node._sign_commit(header))
        seen = run_blocks(node, [records(devnet, [9])])
        assert [b.header.height for b in seen] == [4, 5] and seen[0].header == header
        assert [r.code for r in seen[0].receipts] == ["ok"]
        assert [e.kind for e in seen[0].events] == ["recorded"]
        assert node.stats["txs"] == 9
    finally:
        node.stop()
    assert verify_chain(devnet.root).txs == 9


def test_a_killed_node_takes_its_block_process_with_it(devnet: Devnet) -> None:
    script = (
        "import sys\n"
        "from tests.edges.conftest import make_node, Devnet\n"
        "from govledger.node.devnet import DEV_PASSPHRASE, DevnetPaths, load_key\n"
        "from pathlib import Path\n"
        "root = Path(sys.argv[1])\n"
        "key = load_key(DevnetPaths(root).key_file('validator'), DEV_PASSPHRASE)\n"
        "node = make_node(Devnet(root=root, chain_id='', keys={'validator': key}), block_process=True)\n"
        "print(node._producer.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(devnet.root)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        # while the node runs, its child holds the writer lock
        with pytest.raises(GovledgerError) as locked:
            Storage(devnet.root / "chain")
        assert locked.value.code == "storage.locked"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    wait_gone(child)
    Storage(devnet.root / "chain").close()  # the lock is free: a new node can start


def test_a_block_process_that_cannot_open_the_chain_is_a_clear_error(tmp_path: Path) -> None:
    devnet = make_devnet(tmp_path / "net")
    (devnet.root / "chain" / "data.mdb").write_bytes(b"not an LMDB file")
    with pytest.raises(GovledgerError) as failed:
        make_node(devnet, block_process=True)
    assert failed.value.code.startswith(("node.", "storage.", "chain."))


def test_a_node_that_fails_to_start_stops_its_block_process(devnet: Devnet) -> None:
    outsider = Devnet(root=devnet.root, chain_id=devnet.chain_id, keys={"validator": devnet.keys["clerk-1"]})
    with pytest.raises(GovledgerError) as failed:
        make_node(outsider, block_process=True)
    assert failed.value.code == "node.not_validator"
    Storage(devnet.root / "chain").close()  # the child that held the writer lock is gone
