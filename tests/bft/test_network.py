"""In-process BFT networks over real loopback TLS: agreement, validator-set changes, evidence, block sync.

Each test runs real `BftNode`s (consensus core, WAL, privval, LMDB, PeerManager with mutual TLS) in
one process. Waits poll heights and stored state against deadlines; nothing sleeps to synchronise.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from govledger.apps.attest.app import RecordBody
from govledger.apps.governance.evidence import EvidenceRecord, ReportEvidence, evidence_key
from govledger.apps.governance.model import SetValidators
from govledger.codec import decode, encode
from govledger.consensus.core import TimeoutConfig
from govledger.consensus.proposer import ProposerState
from govledger.consensus.types import DuplicateVoteEvidence, Vote, VoteKind
from govledger.ledger.block import Validator, commit_problem
from govledger.ledger.state import state_key
from govledger.ledger.tx import tx_id
from govledger.node.bft import consensus_set
from govledger.sdk import Client, VerificationError
from tests.bft.harness import CHAIN_ID, Net, make_net, running, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:You should not use the .timeout. argument"),
]


def _records(net: Net, start: int, count: int) -> list[bytes]:
    out = []
    for i in range(start, start + count):
        body = RecordBody(i.to_bytes(32, "big"), "deed", f"ref {i}")
        out.append(encode(net.tx("attest", "record", body, ["registrar-1"])))
    return out


def _commits_verify(net: Net, i: int) -> None:
    node = net.nodes[i]
    for h in range(1, node.chain.height + 1):
        block = node.storage.block(h)
        commit = node.storage.commit(h)
        assert block is not None and commit is not None
        assert commit_problem(commit, block.header, node.chain.validator_set(h)) is None


def test_four_validators_agree_on_heights_with_transactions(tmp_path: Path) -> None:
    net = make_net(tmp_path, 4)
    with running(net, range(4)):
        raws = _records(net, 0, 200)
        ids = []
        for k, chunk in enumerate(raws[i : i + 50] for i in range(0, 200, 50)):
            results = net.nodes[k].submit(chunk)  # to every validator: each gossips to the others
            assert all(r.ok for r in results), {r.code for r in results}
            ids.extend(r.tx_id for r in results)
        for tid in ids:
            net.wait_committed(tid)
        tip = net.assert_same_chain()
        assert tip >= 2
        for i in range(4):
            _commits_verify(net, i)
            receipts = [r for h in range(1, tip + 1) for r in net.nodes[i].storage.receipts(h) or []]
            assert sorted(r.tx_id for r in receipts) == sorted(ids)
            assert all(r.code == "ok" for r in receipts)
        wait_for(lambda: all(len(n.mempool) == 0 for n in net.nodes.values()), what="mempools drained")
        # Each commit carries precommits of more than 2/3 of the power (here: at least 3 of 4).
        assert all(len(net.nodes[0].storage.commit(h).signatures) >= 3 for h in range(1, tip + 1))  # type: ignore[union-attr]


def test_validator_set_change_takes_effect_at_h_plus_2_and_rotation_follows(tmp_path: Path) -> None:
    # node-4 holds a validator key that genesis does not name; it follows until governance adds it.
    net = make_net(tmp_path, 4, full_nodes=1, empty_block_interval_ms=100)
    with running(net, range(5)):
        net.wait_height(2)
        new_key = net.node_keys[4]
        current = net.nodes[0].chain.validator_set(net.nodes[0].chain.height + 1).validators
        body = SetValidators([*current, Validator(new_key.public_key, 10)])
        change = net.tx("governance", "set_validators", body, ["admin-1"])
        assert net.nodes[1].submit([encode(change)])[0].ok
        net.wait_committed(tx_id(change.payload))
        h, _ = net.nodes[0].storage.tx_location(tx_id(change.payload))  # type: ignore[misc]
        net.wait_height(h + 2)
        chain = net.nodes[0].chain
        new_id = new_key.public_key.key_id()
        # The weighted round robin, recomputed here from the stored sets (the new validator starts at
        # -1.125 P, so it proposes some heights after it joins): where should it first propose?
        expected = [ProposerState.genesis(consensus_set(chain.validator_set(1)))]
        while expected[-1].proposer(0) != new_id or len(expected) < h + 2:
            nxt = chain.validator_set(min(len(expected) + 1, h + 2))
            expected.append(expected[-1].next_height(consensus_set(nxt)))
        first = len(expected)  # expected[k] is the state of height k + 1
        net.wait_height(first + 2)
        old_hash = chain.validator_set(1).hash()
        assert net.nodes[0].storage.block(h + 1).header.validators_hash == old_hash  # type: ignore[union-attr]
        new_set = chain.validator_set(h + 2)
        assert len(new_set.validators) == 5
        assert net.nodes[0].storage.block(h + 2).header.validators_hash == new_set.hash()  # type: ignore[union-attr]
        assert net.nodes[0].storage.block(h + 1).header.next_validators_hash == new_set.hash()  # type: ignore[union-attr]
        # Every round-0 block was proposed by the validator the rotation names for its height.
        state = expected[0]
        proposers = []
        for height in range(1, chain.height + 1):
            block = net.nodes[0].storage.block(height)
            commit = net.nodes[0].storage.commit(height)
            assert block is not None and commit is not None
            if commit.round == 0:
                assert block.header.proposer == state.proposer(0), f"height {height}"
            proposers.append(block.header.proposer)
            state = state.next_height(consensus_set(chain.validator_set(height + 1)))
        assert new_id not in proposers[: h + 1]
        assert new_id in proposers[h + 1 :], "the added validator never proposed"
        # ...and it signs: its precommits appear in commits after the change.
        signers = {
            s.validator
            for hh in range(h + 2, chain.height + 1)
            for s in net.nodes[0].storage.commit(hh).signatures
        }  # type: ignore[union-attr]
        assert new_id in signers
        net.assert_same_chain()
        for i in range(5):
            _commits_verify(net, i)


def _double_sign(net: Net, i: int, height: int, round_: int) -> tuple[Vote, Vote]:
    key = net.node_keys[i]
    vid = key.public_key.key_id()
    votes = []
    for value in (b"\x01" * 32, b"\x02" * 32):
        vote = Vote(VoteKind.PREVOTE, height, round_, value, vid)
        votes.append(vote.with_signature(key.sign(vote.sign_bytes(CHAIN_ID))))
    return votes[0], votes[1]


def test_double_sign_becomes_committed_evidence_then_governance_removes_the_validator(tmp_path: Path) -> None:
    net = make_net(tmp_path, 4)
    with running(net, range(4)):
        net.wait_height(1)
        # The network idles (no transactions, no heartbeat): every node has decided its tip and waits.
        wait_for(lambda: all(n.core.decided for n in net.nodes.values()), what="all nodes decided")
        target = net.nodes[0].chain.height + 1
        # Validator 3's key signs two conflicting prevotes for the next height (its privval would
        # refuse; the key is used directly, as a compromised or buggy validator would).
        a, b = _double_sign(net, 3, target, 5)
        net.nodes[0].inject(a)
        net.nodes[0].inject(b)
        bad = net.node_keys[3].public_key.key_id()
        key = state_key("governance", evidence_key(bad, target))
        wait_for(
            lambda: all(n.storage.get(key) is not None for n in net.nodes.values()), what="evidence committed"
        )
        record = decode(net.nodes[2].storage.get(key), EvidenceRecord)  # type: ignore[arg-type]
        assert (record.validator, record.height, record.round, record.vote_type) == (bad, target, 5, 1)
        assert record.reporters == [net.node_keys[0].public_key.key_id()]
        # The same evidence again (another reporter) is refused with a stable code.
        again = net.tx(
            "governance",
            "report_evidence",
            ReportEvidence(encode(DuplicateVoteEvidence.of(a, b))),
            [net.node_keys[1]],
        )
        assert net.nodes[1].submit([encode(again)])[0].code == "governance.evidence_duplicate"
        # Governance removes the equivocator; from H+2 on it signs nothing and the chain goes on.
        keep = [
            v for v in net.nodes[0].chain.validator_set(target + 1).validators if v.public_key.key_id() != bad
        ]
        removal = net.tx("governance", "set_validators", SetValidators(keep), ["admin-1"])
        assert net.nodes[0].submit([encode(removal)])[0].ok
        net.wait_committed(tx_id(removal.payload))
        h, _ = net.nodes[0].storage.tx_location(tx_id(removal.payload))  # type: ignore[misc]
        for n, raw in enumerate(_records(net, 1000, 4)):  # no heartbeat here: transactions make blocks
            result = net.nodes[n % 3].submit([raw])[0]
            assert result.ok
            net.wait_committed(result.tx_id, nodes=[0, 1, 2])
        assert net.nodes[0].chain.height >= h + 3
        assert bad not in net.nodes[0].chain.validator_set(h + 2).by_id()
        for hh in range(h + 2, net.nodes[0].chain.height + 1):
            assert bad not in {s.validator for s in net.nodes[0].storage.commit(hh).signatures}  # type: ignore[union-attr]


def test_fresh_node_block_syncs_then_follows_consensus(tmp_path: Path) -> None:
    net = make_net(tmp_path, 4, full_nodes=1, empty_block_interval_ms=50)
    with running(net, range(4)):
        for k in range(4):
            assert all(r.ok for r in net.nodes[k].submit(_records(net, 100 * k, 100)))
        net.wait_height(25)
        tip = net.nodes[0].chain.height
        fresh = net.start(4, validator=False)  # a full node: follows, never signs
        net.wait_height(tip, nodes=[4])
        assert fresh.syncer.stats.get("blocks_received", 0) > 0
        assert fresh.bft_stats.get("blocks_synced", 0) > 0
        # ...then it follows consensus: later heights arrive by consensus messages, not sync alone.
        target = net.nodes[0].chain.height + 5
        net.wait_height(target)
        net.assert_same_chain()
        _commits_verify(net, 4)
        # A validator that was stopped for a while catches up the same way when it restarts.
        net.stop(3)
        net.wait_height(net.nodes[0].chain.height + 10, nodes=[0, 1, 2, 4])
        back = net.start(3)
        net.wait_height(net.nodes[0].chain.height, nodes=[3])
        assert back.bft_stats.get("blocks_synced", 0) > 0
        net.wait_height(net.nodes[0].chain.height + 3)
        net.assert_same_chain()


def test_light_client_follows_validator_set_changes(tmp_path: Path) -> None:
    from govledger.api import create_app

    net = make_net(tmp_path, 4, full_nodes=1, empty_block_interval_ms=100)
    with running(net, range(5)):
        net.wait_height(2)
        current = net.nodes[0].chain.validator_set(net.nodes[0].chain.height + 1).validators
        body = SetValidators([*current, Validator(net.node_keys[4].public_key, 10)])
        change = net.tx("governance", "set_validators", body, ["admin-1"])
        assert net.nodes[0].submit([encode(change)])[0].ok
        net.wait_committed(tx_id(change.payload))
        h, _ = net.nodes[0].storage.tx_location(tx_id(change.payload))  # type: ignore[misc]
        net.wait_height(h + 4)
        record = net.tx("attest", "record", RecordBody(b"\x77" * 32, "deed", "after"), ["registrar-1"])
        assert net.nodes[2].submit([encode(record)])[0].ok
        net.wait_committed(tx_id(record.payload))
        with TestClient(create_app(net.nodes[0])) as api:
            client = Client("http://testserver", http=api)
            value = client.get_state("attest", b"doc/" + b"\x77" * 32)
            assert value is not None
            assert len(client.light.anchors) == 2  # genesis, and the set certified by header h + 1
            assert client.light.anchors[1][0] == h + 2
            assert client.tx_proof(tx_id(record.payload)).receipt.code == "ok"
            # A node that lies about the set of some height makes verification fail, never pass.
            liar = Client("http://testserver", http=api)
            liar.validators = lambda height=None: net.nodes[0].chain.validator_set(1)  # type: ignore[method-assign]
            with pytest.raises(VerificationError):
                liar.get_state("attest", b"doc/" + b"\x77" * 32)


def test_transactions_of_failed_rounds_are_not_lost(tmp_path: Path) -> None:
    # Round 0 always fails: everyone's propose timeout (1 ms) fires before any proposal can arrive,
    # so the round-0 proposer's block (built from its mempool) is never decided. Its transactions
    # stay in the mempools (peek, not take) and are committed in a later round, exactly once.
    failing_round_0 = TimeoutConfig(1, 500, 300, 100, 300, 100)
    net = make_net(tmp_path, 4, bft={"timeouts": failing_round_0})
    with running(net, range(4)):
        ids = []
        for k in range(4):
            results = net.nodes[k].submit(_records(net, 50 * k, 50))
            assert all(r.ok for r in results)
            ids.extend(r.tx_id for r in results)
        for tid in ids:
            net.wait_committed(tid)
        tip = net.assert_same_chain()
        storage = net.nodes[0].storage
        rounds = {h: storage.commit(h).round for h in range(1, tip + 1)}  # type: ignore[union-attr]
        assert all(r >= 1 for r in rounds.values()), rounds
        committed = [tid for h in range(1, tip + 1) for tid in (r.tx_id for r in storage.receipts(h) or [])]
        assert sorted(committed) == sorted(ids)  # every one, once
        built = sum(n.bft_stats.get("blocks_built", 0) for n in net.nodes.values())
        assert built > tip  # blocks were proposed in rounds that did not decide them
