"""Shared pieces of the transport tests: deterministic identities, a recording node, raw TLS clients.

Synchronisation is by events and futures with bounded timeouts (`PeerManager.wait_until`, futures
resolved from callbacks), never by sleeping for a guessed duration.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import ssl
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from govledger.crypto.signatures import Scheme, SigningKey
from govledger.net.framing import NetConfig
from govledger.net.identity import NodeIdentity
from govledger.net.peers import Address, PeerManager
from govledger.net.transport import client_context, exchange_hello, open_tls

T = TypeVar("T")

LOCALHOST = "127.0.0.1"
EPHEMERAL: Address = (LOCALHOST, 0)

# Fast timeouts so failure paths finish in well under a second, still far above loopback latency.
FAST = NetConfig(
    network="test-net",
    ping_interval_s=0.5,
    idle_timeout_s=5.0,
    handshake_timeout_s=3.0,
    write_timeout_s=5.0,
    dial_backoff_min_s=0.02,
    dial_backoff_max_s=0.3,
    rate_limit_penalty_s=60.0,
)

WAIT_S = 10.0
"""Upper bound for anything that should happen "promptly"; a pass takes milliseconds."""


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    """Run one test scenario on a fresh loop, bounded as a whole."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout_s):
            return await coro

    return asyncio.run(bounded())


def identity(n: int) -> NodeIdentity:
    return NodeIdentity(SigningKey.from_private_bytes(Scheme.ED25519, bytes([n]) * 32))


def config(**changes: Any) -> NetConfig:
    return dataclasses.replace(FAST, **changes)


class Node:
    """A PeerManager plus a recorder of everything its callbacks saw."""

    def __init__(
        self,
        ident: NodeIdentity,
        pinned: Iterable[NodeIdentity],
        allowed: Callable[[bytes], bool] | None = None,
        cfg: NetConfig = FAST,
        listen: Address = EPHEMERAL,
        seed: int = 0,
    ) -> None:
        self.ident = ident
        self.id = ident.key_id
        pinned = list(pinned)
        ids = {p.key_id for p in pinned}
        self.frames: dict[tuple[bytes, int], list[bytes]] = defaultdict(list)
        self.events: list[tuple[str, bytes, str]] = []
        self._frame_waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.pm = PeerManager(
            ident,
            listen,
            {},
            allowed if allowed is not None else ids.__contains__,
            self._on_frame,
            self._on_up,
            self._on_down,
            peer_certificates=[p.certificate_pem for p in pinned],
            config=cfg,
            rng=random.Random(seed),
        )

    def _on_frame(self, peer: bytes, channel: int, payload: bytes) -> None:
        self.frames[(peer, channel)].append(payload)
        for predicate, future in list(self._frame_waiters):
            if not future.done() and predicate():
                future.set_result(None)

    def _on_up(self, peer: bytes) -> None:
        self.events.append(("up", peer, ""))

    def _on_down(self, peer: bytes, reason: str) -> None:
        self.events.append(("down", peer, reason))

    async def start(self) -> Node:
        await self.pm.start()
        return self

    @property
    def addr(self) -> Address:
        return self.pm.listen_address

    def dial(self, *others: Node) -> None:
        self.pm.set_peers({o.id: o.addr for o in others})

    async def frames_until(self, predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._frame_waiters.append((predicate, future))
        async with asyncio.timeout(timeout_s):
            await future

    async def until(self, predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
        assert await self.pm.wait_until(predicate, timeout_s), "condition not reached in time"

    def disconnects(self, reason: str) -> int:
        return self.pm.stats().disconnects[reason]


async def connect_pair(a: Node, b: Node) -> None:
    a.dial(b)
    await a.until(lambda: b.id in a.pm.connected())
    await b.until(lambda: a.id in b.pm.connected())


async def raw_client(
    ident: NodeIdentity,
    trusted: Iterable[bytes],
    addr: Address,
    cfg: NetConfig = FAST,
    hello: bool = True,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A bare TLS client with `ident`'s certificate, optionally past HELLO: a peer we fully control."""
    context = client_context(ident, trusted)
    reader, writer = await open_tls(addr[0], addr[1], context, cfg)
    if hello:
        await exchange_hello(reader, writer, cfg)
    return reader, writer


async def closed_by_peer(reader: asyncio.StreamReader, timeout_s: float = WAIT_S) -> bool:
    """True once the other side has closed (EOF, reset or TLS error), reading and discarding data."""
    async with asyncio.timeout(timeout_s):
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, ssl.SSLError, OSError):
            pass
    return True


def established_between(ports: Iterable[int]) -> int:
    """ESTABLISHED TCP sockets on 127.0.0.1 whose local port is one of `ports` (Linux /proc)."""
    wanted = set(ports)
    count = 0
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "01" and int(local.split(":")[1], 16) in wanted:
                count += 1
    return count
