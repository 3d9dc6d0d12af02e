"""Full nodes: they take transactions, follow consensus, verify every commit, and never sign.

The real-process test runs 4 validators + 2 full nodes (`govledger network up --validators 4
--full-nodes 2`). Clients talk only to the full nodes: transactions are submitted to them (each
gossips to the validators, which order them), reads with proofs come from them. Afterwards every
node, full nodes included, holds the same blocks, no commit carries a full node's signature, and
`govledger verify-chain` passes on a full node's data directory. The in-process test shows that a
transaction a full node took while no validator was connected is not stranded (a full node never
proposes, so it sends its pending transactions again). Waits poll with deadlines.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.ledger import tx as txmod
from govledger.ledger.storage import Storage
from govledger.ledger.tx import tx_id
from govledger.node.devnet import DEV_PASSPHRASE, load_key
from govledger.node.network import free_base_port, load_manifest
from govledger.sdk import Client
from tests.bft.harness import cli, health_height, make_net, wait_for, wait_processes

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore:You should not use the .timeout. argument"),
]

VALIDATORS, FULL = 4, 2
TXS_PER_FULL_NODE = 150


def _status(url: str) -> dict[str, object]:
    r = httpx.get(url + "/v1/network/status", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, dict)
    return body


def test_a_full_node_sends_again_what_no_validator_received(tmp_path: Path) -> None:
    net = make_net(tmp_path, 4, full_nodes=1, bft={"regossip_interval_ms": 200})
    try:
        full = net.start(4, validator=False)
        record = net.tx("attest", "record", RecordBody(b"\x42" * 32, "deed", "early"), ["registrar-1"])
        assert full.submit([encode(record)])[0].ok  # gossiped to nobody: no peer is up yet
        assert full.bft_stats.get("txs_gossiped", 0) == 1
        for i in range(4):
            net.start(i)
        tid = tx_id(record.payload)
        net.wait_committed(tid, timeout_s=60)
        assert full.bft_stats.get("txs_regossiped", 0) >= 1
        wait_for(lambda: len(full.mempool) == 0, what="the full node's mempool drained")
        net.wait_height(net.nodes[0].chain.height)
        net.assert_same_chain()
        signers: set[bytes] = set()
        for h in range(1, full.chain.height + 1):
            commit = full.storage.commit(h)
            assert commit is not None
            signers |= {s.validator for s in commit.signatures}
        assert full.node_id not in signers
    finally:
        net.stop_all()


@pytest.mark.slow
def test_full_nodes_take_transactions_follow_consensus_and_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = free_base_port(2 * (VALIDATORS + FULL))
    up = cli(home, "network", "up", "--validators", str(VALIDATORS), "--full-nodes", str(FULL),
             "--base-port", str(base))  # fmt: skip
    assert up.returncode == 0, up.stderr
    manifest = load_manifest(home)
    nodes = manifest.nodes
    validators = [n for n in nodes if n.validator]
    full = [n for n in nodes if not n.validator]
    assert [n.name for n in full] == ["node-4", "node-5"] and len(validators) == VALIDATORS
    genesis_ids = {n.id for n in validators}
    try:
        # Full nodes know they are not in the set, and reach every other node.
        for n in full:
            assert _status(n.url)["validator"] is False
        wait_processes(
            lambda: all(len(_status(n.url)["peers"]) == len(nodes) - 1 for n in nodes),  # type: ignore[arg-type]
            "a full mesh of 6 nodes",
        )

        # Transactions enter through the full nodes only.
        key = load_key(home / "network" / "keys" / "registrar-1.key.json", DEV_PASSPHRASE)
        tip = max(health_height(n.url) or 0 for n in nodes)
        ids: list[str] = []
        with httpx.Client(timeout=30) as http:
            for k, node in enumerate(full):
                raws = []
                for i in range(k * TXS_PER_FULL_NODE, (k + 1) * TXS_PER_FULL_NODE):
                    body = RecordBody(i.to_bytes(32, "big"), "deed", f"via {node.name}")
                    t = txmod.build(manifest.chain_id, "attest", "record", encode(body), [key],
                                    nonce=i, expiry_height=tip + 10_000)  # fmt: skip
                    raws.append(encode(t))
                r = http.post(node.url + "/v1/txs/batch", content=encode(raws),
                              headers={"content-type": "application/msgpack"})  # fmt: skip
                assert r.status_code == 200, r.text
                results = r.json()
                assert [x["code"] for x in results] == ["ok"] * len(raws)
                ids += [x["tx_id"] for x in results]

            def committed_everywhere(tid: str) -> bool:
                for n in nodes:
                    r = http.get(f"{n.url}/v1/txs/{tid}")
                    if r.status_code != 200 or r.json()["status"] != "committed":
                        return False
                return True

            # Only validators propose, so a transaction a full node took reached them by gossip.
            wait_processes(
                lambda: all(committed_everywhere(t) for t in (ids[0], ids[-1])), "both batches committed"
            )
            wait_processes(
                lambda: all(committed_everywhere(t) for t in ids), "every transaction committed everywhere"
            )

        # A full node serves reads with proofs that the SDK verifies from genesis (light client).
        with Client(full[1].url) as client:
            proof = client.tx_proof(ids[0])  # submitted through node-4, read from node-5
            assert proof.receipt.code == "ok"
            assert client.health().height >= proof.header.height

        target = max(health_height(n.url) or 0 for n in nodes)
        wait_processes(
            lambda: all((health_height(n.url) or 0) >= target for n in nodes), "every node at the same tip"
        )
    finally:
        down = cli(home, "network", "down")
    assert down.returncode == 0, down.stderr

    stores = [Storage(Path(n.home) / "chain", readonly=True) for n in nodes]
    try:
        top = min(s.height() for s in stores)
        assert top >= target
        for h in range(top + 1):
            assert len({s.block_bytes(h) for s in stores}) == 1, f"nodes disagree at height {h}"
        committed = set()
        for h in range(1, top + 1):
            commit = stores[4].commit(h)
            assert commit is not None
            signers = {s.validator.hex() for s in commit.signatures}
            assert signers <= genesis_ids, f"height {h} carries a signature from outside the validator set"
            committed |= {r.tx_id.hex() for r in stores[4].receipts(h) or [] if r.code == "ok"}
        assert set(ids) <= committed
    finally:
        for s in stores:
            s.close()
    check = cli(Path(full[0].home), "verify-chain", timeout_s=120)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: chain"), check.stdout
