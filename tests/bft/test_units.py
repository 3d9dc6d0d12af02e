"""Unit tests of the BFT node's pure parts: block-sync bookkeeping, wire payloads, mempool peek/remove."""

from __future__ import annotations

from pathlib import Path

from govledger.apps.attest.app import RecordBody
from govledger.codec import encode
from govledger.consensus.types import Status, Step, Vote, VoteKind
from govledger.ledger.chain import Chain
from govledger.ledger.mempool import Mempool
from govledger.node.blocksync import BlockSyncer, SyncConfig, serve_blocks
from govledger.node.netmsg import (
    TX_BATCH_BYTES_MAX,
    BlockRequest,
    BlockResponse,
    SyncedBlock,
    TxBatch,
    decode_blocksync,
    decode_consensus,
    decode_status,
    decode_tx_batch,
    encode_tx_batches,
)
from tests.bft.harness import make_net

A, B, C = b"a" * 20, b"b" * 20, b"c" * 20


def _block(n: int) -> SyncedBlock:
    return SyncedBlock(bytes([n]), b"c")


def test_syncer_is_behind_only_when_a_peer_is_two_or_more_ahead() -> None:
    s = BlockSyncer()
    assert not s.behind(10)
    s.note_tip(A, 11)  # one ahead: consensus catch-up handles it
    assert not s.behind(10)
    s.note_tip(B, 12)
    assert s.behind(10)


def test_syncer_windows_are_spread_over_peers_bounded_and_in_order() -> None:
    s = BlockSyncer(SyncConfig(window_blocks=4, requests_max=3, request_timeout_s=5))
    s.note_tip(A, 100)
    s.note_tip(B, 100)
    reqs = s.requests(0, now=0.0)
    assert [(r.start, r.count) for _, r in reqs] == [(1, 4), (5, 4), (9, 4)]
    assert {p for p, _ in reqs} == {A, B}
    assert s.requests(0, now=1.0) == []  # requests_max in flight
    # Responses arrive out of order; blocks are handed out strictly by height.
    by_start = {r.start: p for p, r in reqs}
    s.on_response(by_start[5], BlockResponse(5, [_block(n) for n in range(5, 9)]))
    assert s.next_block(0) is None
    s.on_response(by_start[1], BlockResponse(1, [_block(n) for n in range(1, 5)]))
    got = []
    tip = 0
    while (item := s.next_block(tip)) is not None:
        got.append(item[1].block[0])
        tip += 1
    assert got == list(range(1, 9))


def test_syncer_skips_peers_that_time_out_answer_empty_or_send_bad_blocks() -> None:
    s = BlockSyncer(SyncConfig(window_blocks=2, requests_max=1, request_timeout_s=5))
    s.note_tip(A, 10)
    [(peer, req)] = s.requests(0, now=0.0)
    assert peer == A
    assert s.requests(0, now=6.0) == []  # A timed out and is forgotten; nobody else has the blocks
    assert not s.behind(0)
    s.note_tip(B, 10)
    [(peer, req)] = s.requests(0, now=7.0)
    s.on_response(B, BlockResponse(req.start, []))  # claims a tip it does not serve
    assert B not in set(s.peers())
    s.note_tip(C, 10)
    [(peer, req)] = s.requests(0, now=8.0)
    s.on_response(C, BlockResponse(req.start, [_block(1), _block(2)]))
    item = s.next_block(0)
    assert item is not None and item[0] == C
    s.reject(1, C)  # block 1 failed verification: everything from C is dropped
    assert s.next_block(0) is None and C not in set(s.peers())
    s.on_response(A, BlockResponse(1, [_block(1)]))  # unsolicited: ignored
    assert s.stats["unsolicited"] == 1


def test_serve_blocks_returns_stored_blocks_with_commits(tmp_path: Path) -> None:
    from tests.bft.harness import running

    net = make_net(tmp_path, 1, empty_block_interval_ms=20)
    with running(net, [0]):
        net.wait_height(4)
        storage = net.nodes[0].storage
        resp = serve_blocks(storage, BlockRequest(2, 3))
        assert resp.start == 2 and len(resp.blocks) == 3
        assert resp.blocks[0].block == storage.block_bytes(2)
        far = serve_blocks(storage, BlockRequest(10_000, 5))
        assert far.blocks == []


def test_wire_payloads_decode_strictly_and_within_bounds() -> None:
    vote = Vote(VoteKind.PREVOTE, 3, 0, b"\x01" * 32, A, b"s" * 64)
    assert decode_consensus(encode(vote), 1 << 20) == vote
    assert decode_consensus(b"\xc1garbage", 1 << 20) is None
    assert decode_consensus(encode(vote) + b"\x00", 1 << 20) is None  # trailing bytes
    status = Status(3, 0, Step.PROPOSE, False, b"", b"")
    assert decode_status(encode(status)) == status
    assert decode_status(encode(vote)) is None  # a vote is not a status
    assert decode_blocksync(encode(BlockRequest(0, 1))) is None  # height 0 has no commit to sync
    assert decode_blocksync(encode(BlockRequest(1, 10_000))) is None  # over the window bound
    assert decode_blocksync(encode(BlockRequest(1, 8))) == BlockRequest(1, 8)
    assert decode_tx_batch(encode(TxBatch([b"x"] * 10_001))) is None


def test_tx_batches_are_cut_at_the_byte_bound() -> None:
    raws = [bytes(1000)] * 3000
    payloads = encode_tx_batches(raws)
    assert len(payloads) == 3
    assert all(len(p) <= TX_BATCH_BYTES_MAX for p in payloads)
    decoded = [t for p in payloads for t in decode_tx_batch(p).txs]  # type: ignore[union-attr]
    assert decoded == raws


def test_mempool_peek_keeps_and_remove_drops(tmp_path: Path) -> None:
    from govledger.ledger.storage import Storage

    net = make_net(tmp_path, 1)
    from govledger.apps import registry

    storage = Storage(net.home(0) / "chain", sync=False)
    try:
        chain = Chain(storage, registry.apps(), registry.authority())
        pool = Mempool(chain)
        raws = [
            encode(net.tx("attest", "record", RecordBody(bytes([i]) * 32, "deed", "r"), ["registrar-1"]))
            for i in range(5)
        ]
        results = pool.admit(raws)
        assert all(r.ok for r in results)
        first = pool.peek(3, 1 << 20)
        assert [c.tx_id for c in first] == [r.tx_id for r in results[:3]]
        assert len(pool) == 5  # peeking removes nothing: a failed round loses no transaction
        assert pool.peek(10, len(raws[0]) * 2 + 1) == first[:2]  # the byte bound
        assert pool.remove([results[0].tx_id, results[1].tx_id, b"\x00" * 32]) == 2
        assert [c.tx_id for c in pool.peek(10, 1 << 20)] == [r.tx_id for r in results[2:]]
        assert pool.pending_bytes == sum(len(r) for r in raws[2:])
    finally:
        storage.close()
