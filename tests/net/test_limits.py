"""Every bound of the transport, exercised by a misbehaving peer over real sockets."""

from __future__ import annotations

import asyncio
import struct

import pytest

from govledger.net import channels
from govledger.net.framing import encode_frame

from .helpers import LOCALHOST, Node, closed_by_peer, config, connect_pair, identity, raw_client, run

SMALL = config(max_frame_bytes=64 * 1024, recv_bytes_burst=1 << 20, send_queue_bytes_max=1 << 20)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (struct.pack(">IB", 64 * 1024 + 1, channels.TXS), "oversize_frame"),
        (struct.pack(">IB", 0xFFFF_FFFF, channels.TXS), "oversize_frame"),
        (struct.pack(">IB", 0, channels.TXS), "malformed_header"),
        (struct.pack(">IB", 10, 42), "unknown_channel"),
        (encode_frame(channels.CONTROL, b"\x01\x00\x01\x01x"), "bad_control"),  # a second HELLO
    ],
)
def test_protocol_violations_close_the_connection(header: bytes, reason: str) -> None:
    async def scenario() -> None:
        ia, ic = identity(60), identity(61)
        a = await Node(ia, [ic], cfg=SMALL).start()
        reader, writer = await raw_client(ic, [ia.certificate_pem], a.addr, SMALL)
        await a.until(lambda: ic.key_id in a.pm.connected())
        writer.write(header)  # no payload follows: the header alone must be enough to decide
        await writer.drain()
        assert await closed_by_peer(reader)
        await a.until(lambda: a.disconnects(reason) == 1)
        assert a.events == [("up", ic.key_id, ""), ("down", ic.key_id, reason)]
        assert a.pm.stats().frames_in[channels.TXS] == 0
        writer.close()
        await a.pm.stop()

    run(scenario())


def test_rate_limit_closes_counts_and_backs_the_peer_off() -> None:
    async def scenario() -> None:
        strict = config(recv_frames_per_s=5.0, recv_frames_burst=20, rate_limit_penalty_s=60.0)
        ia, ib = identity(62), identity(63)
        a = await Node(ia, [ib], cfg=strict).start()
        b = await Node(ib, [ia]).start()  # b has default-fast limits and floods a
        await connect_pair(b, a)
        for i in range(200):
            b.pm.send(a.id, channels.TXS, i.to_bytes(4, "big"))
        await a.until(lambda: a.disconnects("rate_limited") == 1)
        assert b.id not in a.pm.connected()
        # Charged before delivery: at most the burst (minus any PING) reached the node.
        assert len(a.frames[(b.id, channels.TXS)]) <= 20
        # b redials (its backoff is short) and is refused while the penalty lasts
        await a.until(lambda: a.disconnects("penalized") >= 2)
        await b.until(lambda: b.disconnects("refused") >= 2)
        assert b.id not in a.pm.connected() and a.id not in b.pm.connected()
        assert a.events == [("up", b.id, ""), ("down", b.id, "rate_limited")]
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())


def test_slow_consumer_fills_the_bounded_queue_and_is_disconnected() -> None:
    async def scenario() -> None:
        queue_bytes_max = 1 << 20
        cfg = config(
            max_frame_bytes=128 * 1024,
            recv_bytes_burst=1 << 20,
            send_queue_bytes_max=queue_bytes_max,
            send_queue_frames_max=64,
            write_buffer_bytes_high=64 * 1024,
            write_timeout_s=30.0,  # so the queue bound, not the write timeout, is what trips
        )
        ia, ic = identity(64), identity(65)
        a = await Node(ia, [ic], cfg=cfg).start()
        # c completes HELLO and then never reads again: its TCP window closes, a's buffers fill
        reader, writer = await raw_client(ic, [ia.certificate_pem], a.addr, cfg)
        await a.until(lambda: ic.key_id in a.pm.connected())
        payload = bytes(64 * 1024)
        sent = 0
        peak = 0
        while a.pm.send(ic.key_id, channels.BLOCKSYNC, payload):
            sent += 1
            info = a.pm.connection_info(ic.key_id)
            assert info is not None
            peak = max(peak, info.queued_bytes)
            assert info.queued_bytes <= queue_bytes_max and info.queued_frames <= 64
            # Kernel buffers on loopback absorb a few MiB; far below this the queue must have filled.
            assert sent < 4000, "send queue never filled"
            await asyncio.sleep(0)  # let the writer task run, as the node's loop would
        assert a.disconnects("send_queue_full") == 1
        assert a.pm.connection_info(ic.key_id) is None
        assert peak > queue_bytes_max // 2  # it really was the queue that filled
        assert a.events[-1] == ("down", ic.key_id, "send_queue_full")
        assert not a.pm.send(ic.key_id, channels.BLOCKSYNC, b"x")
        writer.close()
        del reader
        await a.pm.stop()

    run(scenario())


def test_unauthenticated_connections_are_capped() -> None:
    async def scenario() -> None:
        ia = identity(66)
        a = await Node(ia, [], cfg=config(inbound_pending_max=2, handshake_timeout_s=5.0)).start()
        # plain TCP that never starts TLS: each occupies a pending slot until the handshake timeout
        held = [await asyncio.open_connection(LOCALHOST, a.addr[1]) for _ in range(2)]
        await a.until(lambda: a.pm.stats().inbound_accepted == 2)
        reader, writer = await asyncio.open_connection(LOCALHOST, a.addr[1])
        assert await closed_by_peer(reader)  # closed at once, long before any handshake timeout
        await a.until(lambda: a.disconnects("inbound_pending_full") == 1)
        writer.close()
        for _, w in held:
            w.close()
        await a.pm.stop()

    run(scenario())


def test_send_rejects_caller_bugs_before_they_reach_a_peer() -> None:
    async def scenario() -> None:
        ia, ib = identity(67), identity(68)
        a = await Node(ia, [ib], cfg=SMALL).start()
        b = await Node(ib, [ia], cfg=SMALL).start()
        await connect_pair(a, b)
        with pytest.raises(ValueError):
            a.pm.send(b.id, channels.TXS, bytes(SMALL.max_frame_bytes))  # payload max is one less
        with pytest.raises(ValueError):
            a.pm.send(b.id, channels.CONTROL, b"\x02")
        assert a.pm.send(b.id, channels.TXS, bytes(SMALL.max_frame_bytes - 1))
        assert a.pm.broadcast(channels.TXS, b"all") == 1
        await b.frames_until(lambda: len(b.frames[(a.id, channels.TXS)]) == 2)
        assert not a.pm.send(bytes(20), channels.TXS, b"nobody")
        assert a.pm.stats().sends_dropped == 1
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())


def test_threadsafe_send_from_another_thread() -> None:
    async def scenario() -> None:
        ia, ib = identity(69), identity(70)
        a = await Node(ia, [ib]).start()
        b = await Node(ib, [ia]).start()
        await connect_pair(a, b)

        def from_thread() -> list[bool]:
            futures = [a.pm.send_threadsafe(b.id, channels.TXS, bytes([i])) for i in range(50)]
            return [f.result(timeout=10) for f in futures]

        results = await asyncio.to_thread(from_thread)
        assert all(results)
        await b.frames_until(lambda: len(b.frames[(a.id, channels.TXS)]) == 50)
        assert b.frames[(a.id, channels.TXS)] == [bytes([i]) for i in range(50)]
        assert b.id in await asyncio.to_thread(a.pm.connected)
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())
