"""Connecting, exchanging frames, tie-breaking, reconnecting: real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from govledger.net import channels

from .helpers import (
    LOCALHOST,
    WAIT_S,
    Node,
    closed_by_peer,
    config,
    connect_pair,
    established_between,
    identity,
    raw_client,
    run,
)


async def until_any(nodes: list[Node], predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Wait for a predicate over several nodes: re-checked whenever any of them changes state."""
    waits = [asyncio.create_task(n.pm.wait_until(predicate, timeout_s)) for n in nodes]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        assert any(t.result() for t in done), "condition not reached in time"
    finally:
        for t in waits:
            t.cancel()


def agreed(a: Node, b: Node) -> bool:
    """Both ends hold a connection to each other, and it is the same TCP connection."""
    ia, ib = a.pm.connection_info(b.id), b.pm.connection_info(a.id)
    return (
        ia is not None
        and ib is not None
        and ia.local_addr == ib.remote_addr
        and ia.remote_addr == ib.local_addr
        and ia.outbound != ib.outbound
    )


async def eventually(predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    # Only for OS state (/proc), which emits no event: poll it, bounded by a deadline.
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.01)


def test_three_nodes_exchange_frames_in_order_on_several_channels() -> None:
    async def scenario() -> None:
        ids = [identity(i) for i in (1, 2, 3)]
        nodes = [await Node(ident, ids, seed=i).start() for i, ident in enumerate(ids)]
        for n in nodes:
            n.dial(*[o for o in nodes if o is not n])  # everyone dials everyone: tie-breaks included
        pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
        for a, b in pairs:
            await until_any([a, b], lambda a=a, b=b: agreed(a, b))  # type: ignore[misc]

        sizes = {channels.CONSENSUS: 100, channels.TXS: 3000, channels.BLOCKSYNC: 70_000}
        count = 150
        for n in nodes:
            for o in nodes:
                if o is n:
                    continue
                for i in range(count):
                    for ch, size in sizes.items():
                        payload = i.to_bytes(4, "big") + n.id + bytes(size)
                        assert n.pm.send(o.id, ch, payload)
        # one frame above the 1 MiB read chunk, read in pieces and joined
        big = bytes(range(256)) * (3 * 4096 + 7)
        assert nodes[0].pm.send(nodes[1].id, channels.BLOCKSYNC, big)

        for n in nodes:
            senders = [o for o in nodes if o is not n]

            def complete(n: Node = n, senders: list[Node] = senders) -> bool:
                extra = 1 if n is nodes[1] else 0
                return all(
                    len(n.frames[(s.id, ch)])
                    >= count + (extra if s is nodes[0] and ch == channels.BLOCKSYNC else 0)
                    for s in senders
                    for ch in sizes
                )

            await n.frames_until(complete)
            for s in senders:
                for ch, size in sizes.items():
                    got = n.frames[(s.id, ch)][:count]
                    assert [int.from_bytes(p[:4], "big") for p in got] == list(range(count))  # order kept
                    assert all(p[4:24] == s.id and len(p) == 24 + size for p in got)
        assert nodes[1].frames[(nodes[0].id, channels.BLOCKSYNC)][-1] == big

        stats = nodes[0].pm.stats()
        assert stats.frames_out[channels.TXS] == 2 * count
        assert stats.bytes_out[channels.TXS] == 2 * count * (5 + 4 + 20 + 3000)
        assert nodes[1].pm.stats().frames_in[channels.BLOCKSYNC] >= count * 2 + 1
        assert stats.disconnects["rate_limited"] == 0 and stats.handler_errors == 0
        for n in nodes:
            await n.pm.stop()

    run(scenario())


def test_simultaneous_dial_leaves_exactly_one_connection_per_pair() -> None:
    async def scenario() -> None:
        tie_breaks = 0
        for round_ in range(5):
            ia, ib = identity(10 + 2 * round_), identity(11 + 2 * round_)
            a = await Node(ia, [ia, ib], seed=round_).start()
            b = await Node(ib, [ia, ib], seed=round_ + 100).start()
            a.dial(b)
            b.dial(a)  # same loop tick: both dial loops start before either connection exists
            await until_any([a, b], lambda a=a, b=b: agreed(a, b))  # type: ignore[misc]
            ports = [a.addr[1], b.addr[1]]
            await eventually(lambda ports=ports: established_between(ports) == 1)  # type: ignore[misc]

            ab = a.pm.connection_info(b.id)
            assert ab is not None
            lower_is_a = a.id < b.id
            stats = [a.pm.stats(), b.pm.stats()]
            both_admitted = all(s.disconnects["duplicate"] + s.disconnects["replaced"] >= 1 for s in stats)
            if both_admitted:
                # Both connections reached both ends: the one initiated by the lower key id survived.
                tie_breaks += 1
                assert ab.outbound == lower_is_a
            for n in (a, b):  # up/down strictly alternate, ending up
                kinds = [e[0] for e in n.events]
                assert kinds[0] == "up" and kinds[-1] == "up"
                assert all(x != y for x, y in itertools.pairwise(kinds))
            await a.pm.stop()
            await b.pm.stop()
        assert tie_breaks >= 1  # the scenario really exercised the tie-break

    run(scenario())


def test_reconnects_after_peer_restarts_on_same_port() -> None:
    async def scenario() -> None:
        ia, ib = identity(30), identity(31)
        a = await Node(ia, [ia, ib]).start()
        b = await Node(ib, [ia, ib]).start()
        await connect_pair(a, b)  # only a dials
        port_b = b.addr[1]
        await b.pm.stop()
        await a.until(lambda: b.id not in a.pm.connected())

        loop = asyncio.get_running_loop()
        restarted_at = loop.time()
        b2 = await Node(ib, [ia, ib], listen=(LOCALHOST, port_b)).start()  # listens only, never dials
        await a.until(lambda: b.id in a.pm.connected())
        elapsed = loop.time() - restarted_at
        # backoff is capped at dial_backoff_max_s (0.3 s) with jitter at most the cap: well under 2 s
        assert elapsed < 2.0, elapsed
        await b2.until(lambda: a.id in b2.pm.connected())
        assert a.pm.send(b.id, channels.STATUS, b"after restart")
        await b2.frames_until(lambda: len(b2.frames[(a.id, channels.STATUS)]) == 1)
        assert [e[0] for e in a.events] == ["up", "down", "up"]
        await a.pm.stop()
        await b2.pm.stop()

    run(scenario())


def test_stop_closes_everything_and_leaves_no_tasks() -> None:
    async def scenario() -> None:
        ia, ib = identity(40), identity(41)
        a = await Node(ia, [ia, ib]).start()
        b = await Node(ib, [ia, ib]).start()
        await connect_pair(a, b)
        await a.pm.stop()
        await b.until(lambda: not b.pm.connected())
        assert a.events[-1] == ("down", b.id, "stopped")
        assert b.events[-1][0] == "down"
        assert not a.pm.send(b.id, channels.TXS, b"x")
        await b.pm.stop()
        await a.pm.stop()  # idempotent
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, leftover

    run(scenario())


def test_keepalive_keeps_idle_links_up_and_silence_is_detected() -> None:
    async def scenario() -> None:
        cfg = config(ping_interval_s=0.1, idle_timeout_s=0.5)
        ia, ib, ic = identity(50), identity(51), identity(52)
        a = await Node(ia, [ia, ib, ic], cfg=cfg).start()
        b = await Node(ib, [ia, ib, ic], cfg=cfg).start()
        await connect_pair(a, b)
        # c completes HELLO and then says nothing, not even PING
        reader, writer = await raw_client(ic, [ia.certificate_pem], a.addr, cfg)
        await a.until(lambda: ic.key_id in a.pm.connected())
        assert await closed_by_peer(reader, timeout_s=5.0)
        await a.until(lambda: a.disconnects("idle_timeout") == 1)
        # b idled as long as c did, but its pings kept the link alive
        assert b.id in a.pm.connected() and a.id in b.pm.connected()
        writer.close()
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())
