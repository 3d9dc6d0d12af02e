"""The set of validator links of one node: listen, dial, admit, keep one connection per peer.

`PeerManager` owns who we talk to; `net/transport.py` owns how one link behaves. It:

- listens on `listen_addr` and upgrades each accepted TCP stream to mutual TLS 1.3, at most
  `inbound_pending_max` unauthenticated streams at a time (pre-auth work is what strangers can cost us);
- dials every configured peer, one dial loop per peer, with exponential backoff and equal jitter drawn
  from an injected `random.Random`, bounded by `dial_backoff_max_s`; it never dials a peer that is
  connected or serving a rate-limit penalty;
- admits a connection only if the key in the peer's certificate is allowed, is the key we meant to
  dial (outbound), is not ours, is not penalized, and the connection cap `connections_max` holds;
- keeps exactly one connection per peer. When both sides dial at once, both keep the connection
  initiated by the lower key id (bytewise), a rule each side evaluates alone and reaches the same
  answer with. Two connections in the same direction mean the older one is a leftover of a restart
  the peer went through, so the newer wins;
- reports `on_peer_up(peer)` / `on_peer_down(peer, reason)` strictly alternating per peer (a swap of
  connections is a down("replaced") immediately followed by an up, so the node re-sends its status);
- counts frames and bytes per channel each way, and closes by reason (`NetCounters`).

Threading: everything runs on the event loop that called `start()`. Only `connected()`, `stats()`,
`send_threadsafe()` and `broadcast_threadsafe()` may be called from other threads. Callbacks run on
the loop thread and must not block; an exception in one is logged and counted, never fatal.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import ssl
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from govledger.net.channels import ALL
from govledger.net.framing import (
    CloseReason,
    FrameError,
    NetConfig,
    RecvLimiter,
    backoff_s,
    check_outgoing,
)
from govledger.net.identity import NodeIdentity, PeerIdentityError, certificate_key_id, peer_key_id
from govledger.net.transport import (
    Connection,
    NetCounters,
    accept_tls,
    client_context,
    close_quietly,
    exchange_hello,
    open_tls,
    server_context,
    trust_certificates,
)

__all__ = ["Address", "ConnectionInfo", "NetStats", "PeerManager"]

log = logging.getLogger("govledger.net")

Address = tuple[str, int]
FrameHandler = Callable[[bytes, int, bytes], None]
PeerUpHandler = Callable[[bytes], None]
PeerDownHandler = Callable[[bytes, str], None]

_KEY_ID_BYTES: Final = 20
_ATTEMPT_MAX: Final = 64  # the counter stays bounded; backoff_s caps the delay itself
_STOP_WAIT_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A snapshot of the live connection to one peer."""

    peer_id: bytes
    outbound: bool
    local_addr: Address | None
    remote_addr: Address | None
    queued_frames: int
    queued_bytes: int


@dataclass(frozen=True, slots=True)
class NetStats:
    """A snapshot of the counters (monotonic since construction) plus current gauges."""

    connected: frozenset[bytes]
    frames_in: dict[int, int]
    bytes_in: dict[int, int]
    frames_out: dict[int, int]
    bytes_out: dict[int, int]
    disconnects: dict[str, int]
    dials: int
    inbound_accepted: int
    sends_dropped: int
    handler_errors: int


class PeerManager:
    """Authenticated, bounded frame links to a fixed, allow-listed set of peers. See module docstring.

    `peers` maps key id -> (host, port) of the peers to dial; an entry for our own key id is ignored,
    so the whole validator address book may be passed. `peer_certificates` are the PEM certificates
    to pin (every peer that may connect, dialed or not); `allowed(key_id)` is consulted on every
    admission (both directions), so it can follow validator-set changes (call `refresh_allowed()` to drop live
    connections it no longer allows). Frames arrive through `on_frame(peer_id, channel, payload)`.
    """

    def __init__(
        self,
        identity: NodeIdentity,
        listen_addr: Address,
        peers: Mapping[bytes, Address],
        allowed: Callable[[bytes], bool],
        on_frame: FrameHandler,
        on_peer_up: PeerUpHandler | None = None,
        on_peer_down: PeerDownHandler | None = None,
        *,
        peer_certificates: Iterable[bytes] = (),
        config: NetConfig | None = None,
        channels: frozenset[int] = ALL,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not channels or any(not 1 <= ch <= 255 for ch in channels):
            raise ValueError("channels must be a non-empty set of ids in 1..255 (0 is CONTROL)")
        self._identity = identity
        self._listen_addr = listen_addr
        self._allowed = allowed
        self._on_frame = on_frame
        self._on_peer_up = on_peer_up
        self._on_peer_down = on_peer_down
        self._config = config if config is not None else NetConfig()
        self._channels = frozenset(channels)
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._peers: dict[bytes, Address] = self._checked_peers(peers)
        self._certs: dict[bytes, bytes] = {}
        for pem in peer_certificates:
            self._certs[certificate_key_id(pem)] = bytes(pem)
        self._counters = NetCounters(self._channels)

        self._active: dict[bytes, Connection] = {}
        # Immutable copy for other threads: reading one reference is atomic, iterating a dict is not.
        self._connected: frozenset[bytes] = frozenset()
        self._dialers: dict[bytes, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inbound_pending = 0
        self._limiters: dict[bytes, RecvLimiter] = {}
        self._penalty_until: dict[bytes, float] = {}
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._server_ctx: ssl.SSLContext | None = None
        self._client_ctx: ssl.SSLContext | None = None
        self._bound: Address | None = None
        self._stopping = False

    # --- lifecycle ---

    async def start(self) -> None:
        """Bind the listener and start dialing. Returns once listening (not once connected)."""
        if self._loop is not None:
            raise RuntimeError("PeerManager.start() called twice")
        self._loop = asyncio.get_running_loop()
        self._server_ctx = server_context(self._identity, self._certs.values())
        self._client_ctx = client_context(self._identity, self._certs.values())
        host, port = self._listen_addr
        self._server = await asyncio.start_server(
            self._accept, host, port, limit=self._config.read_chunk_bytes
        )
        sockname = self._server.sockets[0].getsockname()
        self._bound = (str(sockname[0]), int(sockname[1]))
        log.info("net: %s listening on %s:%d", self.key_id.hex(), *self._bound)
        for peer in self._peers:
            self._start_dialer(peer)

    async def stop(self) -> None:
        """Stop listening and dialing, close every connection (each reported down "stopped"), and wait
        (bounded) for every task this manager started. Idempotent."""
        if self._loop is None or self._stopping:
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        # A connection accepted just before close() has a handler task that has not run yet. Let it take
        # its first step (it sees _stopping and aborts its socket): Python 3.11 never closes the socket
        # of a stream whose handler task is cancelled before it starts, e.g. by asyncio.run's cleanup.
        await asyncio.sleep(0)
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._active.values()):
            conn.close(CloseReason.STOPPED)
        pending = list(self._tasks)
        if pending:
            _, still = await asyncio.wait(pending, timeout=_STOP_WAIT_S)
            if still:
                log.error("net: %d tasks did not finish within %.1fs of stop", len(still), _STOP_WAIT_S)
        if self._server is not None:
            await self._server.wait_closed()
        # Aborted transports close their sockets in a callback on the next loop iteration: run it, so
        # that when stop() returns no socket of ours is open.
        await asyncio.sleep(0)
        self._notify()

    # --- public API (loop thread unless stated) ---

    @property
    def key_id(self) -> bytes:
        return self._identity.key_id

    @property
    def listen_address(self) -> Address:
        """The bound (host, port); with port 0 in `listen_addr` this is where to find the ephemeral port."""
        if self._bound is None:
            raise RuntimeError("PeerManager is not started")
        return self._bound

    def send(self, peer_id: bytes, channel: int, payload: bytes) -> bool:
        """Queue one frame to one peer. False if not connected, or if its send queue is full (then the
        peer is also disconnected). Raises ValueError/TypeError for a closed channel or oversize payload."""
        check_outgoing(channel, payload, self._config, self._channels)
        conn = self._active.get(peer_id)
        if conn is None or not conn.send(channel, payload):
            self._counters.sends_dropped += 1
            return False
        return True

    def broadcast(self, channel: int, payload: bytes) -> int:
        """Queue one frame to every connected peer (the payload is shared, not copied); returns how many."""
        check_outgoing(channel, payload, self._config, self._channels)
        queued = 0
        for conn in list(self._active.values()):
            if conn.send(channel, payload):
                queued += 1
            else:
                self._counters.sends_dropped += 1
        return queued

    def send_threadsafe(
        self, peer_id: bytes, channel: int, payload: bytes
    ) -> concurrent.futures.Future[bool]:
        """`send` from any thread; the future resolves to its result once the loop has run it."""
        check_outgoing(channel, payload, self._config, self._channels)
        return self._run_threadsafe(lambda: self.send(peer_id, channel, payload))

    def broadcast_threadsafe(self, channel: int, payload: bytes) -> concurrent.futures.Future[int]:
        """`broadcast` from any thread."""
        check_outgoing(channel, payload, self._config, self._channels)
        return self._run_threadsafe(lambda: self.broadcast(channel, payload))

    def connected(self) -> set[bytes]:
        """Key ids with an established connection. Thread-safe."""
        return set(self._connected)

    def connection_info(self, peer_id: bytes) -> ConnectionInfo | None:
        conn = self._active.get(peer_id)
        if conn is None:
            return None
        return ConnectionInfo(
            conn.peer_id,
            conn.outbound,
            conn.local_addr,
            conn.remote_addr,
            conn.queued_frames,
            conn.queued_bytes,
        )

    def stats(self) -> NetStats:
        """Snapshot of the counters. Thread-safe (the counter dicts never change size)."""
        c = self._counters
        return NetStats(
            connected=self._connected,
            frames_in=dict(c.frames_in),
            bytes_in=dict(c.bytes_in),
            frames_out=dict(c.frames_out),
            bytes_out=dict(c.bytes_out),
            disconnects=dict(c.disconnects),
            dials=c.dials,
            inbound_accepted=c.inbound_accepted,
            sends_dropped=c.sends_dropped,
            handler_errors=c.handler_errors,
        )

    def set_peers(self, peers: Mapping[bytes, Address]) -> None:
        """Replace the dial list (validator-set or address change): new peers get a dial loop, removed
        ones lose theirs (an existing connection stays while `allowed` says so), changed addresses are
        used from the next attempt. Also applies `refresh_allowed()`."""
        new = self._checked_peers(peers)
        for peer in set(self._peers) - set(new):
            task = self._dialers.pop(peer, None)
            if task is not None:
                task.cancel()
        added = set(new) - set(self._peers)
        self._peers = new
        if self._loop is not None and not self._stopping:
            for peer in added:
                self._start_dialer(peer)
        self.refresh_allowed()

    def add_peer_certificate(self, pem: bytes) -> bytes:
        """Pin one more peer certificate (for handshakes from now on); returns its key id. Pins are never
        removed from the TLS contexts; taking a peer out of `allowed` is what revokes it."""
        peer = certificate_key_id(pem)
        self._certs[peer] = bytes(pem)
        for context in (self._server_ctx, self._client_ctx):
            if context is not None:
                trust_certificates(context, [pem])
        return peer

    def refresh_allowed(self) -> None:
        """Close live connections to peers `allowed` no longer admits (after a validator-set change)."""
        for conn in list(self._active.values()):
            if not self._is_allowed(conn.peer_id):
                conn.close(CloseReason.NOT_ALLOWED)

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until `predicate()` holds, re-checked at every connection state change (a connection
        admitted, closed or rejected); False on timeout. For startup ("quorum connected") and tests."""
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            return predicate()
        return True

    # --- dialing ---

    def _start_dialer(self, peer: bytes) -> None:
        task = self._spawn(self._dial_loop(peer), f"net-dial-{peer.hex()[:12]}")
        self._dialers[peer] = task

    async def _dial_loop(self, peer: bytes) -> None:
        attempt = 0
        while not self._stopping and peer in self._peers:
            while peer in self._active:
                await self._changed.wait()
            delay_s = self._penalty_remaining_s(peer)
            if attempt:
                delay_s = max(delay_s, self._backoff_s(attempt))
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            if peer in self._active or self._stopping:
                continue
            # No allow-list check before dialing: the one check is after the handshake, on the key the
            # listener proved, in both directions. A configured but disallowed peer therefore costs one
            # handshake per `dial_backoff_max_s`, and is found again as soon as governance re-admits it.
            admitted = await self._dial_once(peer)
            # Even after a success, the next dial waits backoff(1): a peer that admits and then drops us
            # at once must not turn this loop into a hot one.
            attempt = 1 if admitted else min(attempt + 1, _ATTEMPT_MAX)

    def _backoff_s(self, attempt: int) -> float:
        return backoff_s(attempt, self._config.dial_backoff_min_s, self._config.dial_backoff_max_s, self._rng)

    async def _dial_once(self, peer: bytes) -> bool:
        address = self._peers.get(peer)
        assert self._client_ctx is not None
        if address is None:
            return False
        self._counters.dials += 1
        try:
            reader, writer = await open_tls(address[0], address[1], self._client_ctx, self._config)
        except ssl.SSLError as exc:
            self._count_failure(CloseReason.TLS_FAILED, f"dial {peer.hex()} at {address}: {exc}")
            return False
        except (OSError, TimeoutError) as exc:
            self._count_failure(CloseReason.CONNECT_FAILED, f"dial {peer.hex()} at {address}: {exc!r}")
            return False
        return await self._admit(reader, writer, outbound=True, expected=peer)

    # --- accepting ---

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._counters.inbound_accepted += 1
        if self._stopping:
            close_quietly(writer)
            return
        if self._inbound_pending >= self._config.inbound_pending_max:
            close_quietly(writer)
            self._count_failure(CloseReason.INBOUND_PENDING_FULL, "too many handshakes in progress")
            return
        task = asyncio.current_task()
        assert task is not None
        self._track(task)
        self._inbound_pending += 1
        try:
            assert self._server_ctx is not None
            try:
                await accept_tls(writer, self._server_ctx, self._config)
            except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
                close_quietly(writer)
                self._count_failure(CloseReason.TLS_FAILED, f"inbound from {_peername(writer)}: {exc!r}")
                return
            await self._admit(reader, writer, outbound=False, expected=None)
        except asyncio.CancelledError:
            # Only stop() cancels this task. Close the socket and end normally: this task belongs to
            # asyncio's server, whose 3.11 done-callback logs a spurious error for a cancelled handler.
            close_quietly(writer)
        finally:
            self._inbound_pending -= 1

    # --- admission (both directions) ---

    async def _admit(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        outbound: bool,
        expected: bytes | None,
    ) -> bool:
        """Authenticate a TLS stream, exchange HELLO and register it; False (stream closed) if refused."""
        try:
            peer = peer_key_id(writer.get_extra_info("ssl_object"))
        except PeerIdentityError as exc:
            return self._refuse(writer, CloseReason.BAD_CERTIFICATE, exc.message)
        refusal = self._admission_error(peer, expected)
        if refusal is not None:
            return self._refuse(writer, refusal, f"peer {peer.hex()} ({_peername(writer)})")
        try:
            await exchange_hello(reader, writer, self._config)
        except asyncio.CancelledError:
            close_quietly(writer)  # stop() or set_peers() during HELLO: do not leak the socket
            raise
        except FrameError as exc:
            return self._refuse(writer, exc.reason, f"peer {peer.hex()}: {exc.detail}")
        except ssl.SSLError as exc:
            # A TLS 1.3 server judges our certificate after our handshake "completed": its alert lands here.
            return self._refuse(writer, CloseReason.TLS_FAILED, f"peer {peer.hex()}: {exc}")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            return self._refuse(writer, CloseReason.REFUSED, f"peer {peer.hex()} closed: {exc!r}")
        except (OSError, TimeoutError) as exc:
            return self._refuse(writer, CloseReason.HELLO_FAILED, f"peer {peer.hex()}: {exc!r}")
        # Checked again: allowed/penalty/stop may have changed while we awaited the HELLO.
        refusal = CloseReason.STOPPED if self._stopping else self._admission_error(peer, expected)
        if refusal is not None:
            return self._refuse(writer, refusal, f"peer {peer.hex()} after HELLO")
        self._register(
            Connection(
                reader,
                writer,
                peer_id=peer,
                outbound=outbound,
                config=self._config,
                channels=self._channels,
                limiter=self._limiter(peer),
                clock=self._clock,
                counters=self._counters,
                on_frame=self._deliver,
                on_close=self._on_conn_closed,
            )
        )
        return True

    def _admission_error(self, peer: bytes, expected: bytes | None) -> CloseReason | None:
        if peer == self.key_id:
            return CloseReason.SELF
        if expected is not None and peer != expected:
            return CloseReason.UNEXPECTED_PEER
        if not self._is_allowed(peer):
            return CloseReason.NOT_ALLOWED
        if self._penalty_remaining_s(peer) > 0:
            return CloseReason.PENALIZED
        if peer not in self._active and len(self._active) >= self._config.connections_max:
            return CloseReason.TOO_MANY_CONNECTIONS
        return None

    def _register(self, conn: Connection) -> None:
        peer = conn.peer_id
        existing = self._active.get(peer)
        if existing is not None and self._keep_existing(existing, conn):
            conn.close(CloseReason.DUPLICATE)
            return
        if existing is not None:
            existing.close(CloseReason.REPLACED)  # reports down("replaced") through _on_conn_closed
        self._active[peer] = conn
        self._connected = frozenset(self._active)
        conn.start()
        for task in conn.tasks:
            self._track(task)
        log.info(
            "net: connected to %s (%s, %s)",
            peer.hex(),
            "outbound" if conn.outbound else "inbound",
            conn.remote_addr,
        )
        self._notify()
        self._callback(self._on_peer_up, peer)

    def _keep_existing(self, existing: Connection, new: Connection) -> bool:
        """Tie-break between two connections to one peer; both ends compute the same answer."""
        if existing.outbound == new.outbound:
            return False  # same initiator: it redialed, so it no longer uses the older one
        # The connection initiated by the lower key id wins. If ours is lower, that is our outbound one.
        preferred_outbound = self.key_id < existing.peer_id
        return existing.outbound == preferred_outbound

    def _on_conn_closed(self, conn: Connection, reason: CloseReason) -> None:
        if reason == CloseReason.RATE_LIMITED:
            self._penalize(conn.peer_id)
        if self._active.get(conn.peer_id) is conn:
            del self._active[conn.peer_id]
            self._connected = frozenset(self._active)
            self._notify()
            self._callback(self._on_peer_down, conn.peer_id, str(reason))
        else:
            self._notify()

    def _refuse(self, writer: asyncio.StreamWriter, reason: CloseReason, detail: str) -> bool:
        close_quietly(writer)
        self._count_failure(reason, detail)
        return False

    def _count_failure(self, reason: CloseReason, detail: str) -> None:
        self._counters.closed(reason)
        level = logging.DEBUG if reason in (CloseReason.CONNECT_FAILED, CloseReason.STOPPED) else logging.INFO
        if reason in (CloseReason.NOT_ALLOWED, CloseReason.UNEXPECTED_PEER, CloseReason.BAD_CERTIFICATE):
            level = logging.WARNING
        log.log(level, "net: refused connection (%s): %s", reason, detail)
        self._notify()

    # --- per-peer limits ---

    def _limiter(self, peer: bytes) -> RecvLimiter:
        limiter = self._limiters.get(peer)
        if limiter is None:
            if len(self._limiters) >= 2 * self._config.connections_max:
                # Bounded: forget the budgets of peers not connected now (they restart full, once).
                self._limiters = {p: lim for p, lim in self._limiters.items() if p in self._active}
            limiter = RecvLimiter(self._config, self._clock())
            self._limiters[peer] = limiter
        return limiter

    def _penalize(self, peer: bytes) -> None:
        now = self._clock()
        self._penalty_until = {p: t for p, t in self._penalty_until.items() if t > now}  # bounded
        self._penalty_until[peer] = now + self._config.rate_limit_penalty_s
        log.warning(
            "net: %s exceeded its receive rate; refused for %.1fs",
            peer.hex(),
            self._config.rate_limit_penalty_s,
        )

    def _penalty_remaining_s(self, peer: bytes) -> float:
        until = self._penalty_until.get(peer)
        return 0.0 if until is None else max(0.0, until - self._clock())

    # --- plumbing ---

    def _deliver(self, conn: Connection, channel: int, payload: bytes) -> None:
        self._callback(self._on_frame, conn.peer_id, channel, payload)

    def _is_allowed(self, peer: bytes) -> bool:
        try:
            return bool(self._allowed(peer))
        except Exception:
            log.exception("net: allowed() raised for %s; treating it as not allowed", peer.hex())
            self._counters.handler_errors += 1
            return False

    def _callback(self, fn: Callable[..., None] | None, *args: Any) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except Exception:
            # A bug in the node must not tear down the link layer; it is logged loudly and counted.
            log.exception("net: callback %r raised", fn)
            self._counters.handler_errors += 1

    def _notify(self) -> None:
        # Wake every waiter (dial loops, wait_until) and arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._track(task)
        return task

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run_threadsafe(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        loop = self._loop
        if loop is None:
            raise RuntimeError("PeerManager is not started")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future

    def _checked_peers(self, peers: Mapping[bytes, Address]) -> dict[bytes, Address]:
        out: dict[bytes, Address] = {}
        for peer, (host, port) in peers.items():
            if not isinstance(peer, bytes) or len(peer) != _KEY_ID_BYTES:
                raise ValueError(f"peer ids are {_KEY_ID_BYTES}-byte key ids, got {peer!r}")
            if not 0 < port < 65536:
                raise ValueError(f"bad port {port} for peer {peer.hex()}")
            if peer != self._identity.key_id:
                out[peer] = (str(host), int(port))
        return out

    def __repr__(self) -> str:
        return f"PeerManager(id={self.key_id.hex()}, connected={len(self._connected)})"


def _peername(writer: asyncio.StreamWriter) -> object:
    return writer.get_extra_info("peername")
