"""Authenticated, bounded, rate-limited frame links between two validators over asyncio TCP + TLS 1.3.

This module owns one connection's life after TCP is up: the mutual-TLS handshake, the HELLO exchange,
and then reading, writing and keeping alive frames (wire format in `net/framing.py`). Who to connect
to, and which of two connections to keep, is `net/peers.py`'s business.

Authentication is by pinning, since every certificate is self-signed (`net/identity.py`):
1. both contexts require TLS 1.3 and a peer certificate (`CERT_REQUIRED`), and trust exactly the
   pinned certificates of the allowed peers (loaded as trust anchors); hostname checking is off,
   because the identity is a key, not a name;
2. after the handshake the caller derives the peer's key id from the certificate it presented
   (`identity.peer_key_id`) and checks it against the allow-list (and, when dialing, against the key
   it meant to reach). OpenSSL has checked that the peer holds the certificate's private key.
3. each side then sends HELLO (protocol version, network name) and waits for the peer's. HELLO goes
   out only after our own checks passed, so receiving the peer's HELLO proves the peer accepted us:
   in TLS 1.3 the client finishes its handshake before the server has judged the client's certificate.

Bounds enforced here, per connection (values in `NetConfig`):
- inbound: the header is validated before any payload byte is read; a frame must fit the peer's
  token buckets (bytes/s, frames/s) or the connection closes `rate_limited`; the payload is read in
  chunks, each within `idle_timeout_s`; a peer silent for `idle_timeout_s` is dead (peers PING every
  `ping_interval_s`).
- outbound: a FIFO send queue bounded in frames and bytes; a send that does not fit disconnects the
  peer (`send_queue_full`) rather than buffering without limit. The asyncio transport's buffer is
  capped by `write_buffer_bytes_high`, and a drain slower than `write_timeout_s` disconnects too.
Order is preserved per connection (one FIFO for all channels), hence per channel.

Every close aborts the socket (no graceful TLS shutdown to wait on): buffers are freed at once, and
a peer that stopped reading cannot hold our close open.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import ssl
from collections.abc import Callable, Iterable
from typing import Final

from govledger.net.channels import CONTROL
from govledger.net.framing import (
    FRAME_HEADER_BYTES,
    HELLO_PAYLOAD_BYTES_MAX,
    PING_PAYLOAD,
    CloseReason,
    FrameError,
    NetConfig,
    RecvLimiter,
    encode_frame,
    encode_header,
    hello_payload,
    parse_control,
    parse_header,
    parse_hello,
)
from govledger.net.identity import NodeIdentity

__all__ = [
    "Connection",
    "NetCounters",
    "accept_tls",
    "client_context",
    "close_quietly",
    "exchange_hello",
    "open_tls",
    "server_context",
    "trust_certificates",
]

log = logging.getLogger("govledger.net")

# Frames smaller than this are coalesced into one write (one TLS record instead of one per frame);
# larger ones are written as header + payload so a 16 MiB payload is never copied.
_COALESCE_BYTES: Final = 64 * 1024
_BATCH_BYTES_MAX: Final = 256 * 1024

# Reasons that mean the peer broke the protocol or a limit: worth a warning in the operator's log.
_PEER_FAULTS: Final = frozenset(
    {
        CloseReason.OVERSIZE_FRAME,
        CloseReason.MALFORMED_HEADER,
        CloseReason.UNKNOWN_CHANNEL,
        CloseReason.BAD_CONTROL,
        CloseReason.HELLO_FAILED,
        CloseReason.RATE_LIMITED,
        CloseReason.BAD_CERTIFICATE,
        CloseReason.NOT_ALLOWED,
        CloseReason.UNEXPECTED_PEER,
    }
)

# Reasons that are our own bookkeeping, not news.
_ROUTINE: Final = frozenset({CloseReason.DUPLICATE, CloseReason.REPLACED, CloseReason.STOPPED})


# --- TLS contexts -----------------------------------------------------------------------------------


def _base_context(protocol: int, identity: NodeIdentity, trusted: Iterable[bytes]) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    # Hostnames mean nothing here (peers are keys); must be switched off before verify_mode is set.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    # No resumption: a resumed session skips certificate authentication, and there is nothing to gain
    # from it on a handful of long-lived links. asyncio never offers a session as a client; as a server
    # we issue no TLS 1.3 tickets at all (OP_NO_TICKET alone only makes them stateful in TLS 1.3).
    context.options |= ssl.OP_NO_TICKET
    if protocol == ssl.PROTOCOL_TLS_SERVER:
        context.num_tickets = 0
    identity.load_into(context)
    trust_certificates(context, trusted)
    return context


def server_context(identity: NodeIdentity, trusted: Iterable[bytes]) -> ssl.SSLContext:
    """Accepting side: TLS 1.3 only, client certificate required, `trusted` PEMs as the only anchors."""
    return _base_context(ssl.PROTOCOL_TLS_SERVER, identity, trusted)


def client_context(identity: NodeIdentity, trusted: Iterable[bytes]) -> ssl.SSLContext:
    """Dialing side: TLS 1.3 only, server certificate must chain to a pinned one, no hostname check."""
    return _base_context(ssl.PROTOCOL_TLS_CLIENT, identity, trusted)


def trust_certificates(context: ssl.SSLContext, pems: Iterable[bytes]) -> None:
    """Add pinned peer certificates as trust anchors (affects handshakes started afterwards)."""
    data = "".join(pem.decode("ascii") for pem in pems)
    if data:
        context.load_verify_locations(cadata=data)


# --- connection establishment -----------------------------------------------------------------------


async def open_tls(
    host: str, port: int, context: ssl.SSLContext, config: NetConfig
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP connect + TLS handshake within `handshake_timeout_s`; raises OSError/ssl.SSLError/TimeoutError."""
    async with asyncio.timeout(config.handshake_timeout_s):
        return await asyncio.open_connection(
            host,
            port,
            ssl=context,
            ssl_handshake_timeout=config.handshake_timeout_s,
            limit=config.read_chunk_bytes,
        )


async def accept_tls(writer: asyncio.StreamWriter, context: ssl.SSLContext, config: NetConfig) -> None:
    """Upgrade an accepted TCP stream to TLS in place, within `handshake_timeout_s`."""
    async with asyncio.timeout(config.handshake_timeout_s):
        await writer.start_tls(context, ssl_handshake_timeout=config.handshake_timeout_s)


async def exchange_hello(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, config: NetConfig
) -> None:
    """Send our HELLO, then require the peer's as its first frame.

    Raises FrameError, asyncio.IncompleteReadError, OSError (ssl.SSLError included) or TimeoutError.
    """
    async with asyncio.timeout(config.handshake_timeout_s):
        writer.write(encode_frame(CONTROL, hello_payload(config.network)))
        await writer.drain()
        header = await reader.readexactly(FRAME_HEADER_BYTES)
        # No application channel is open yet: any channel but CONTROL fails as unknown_channel.
        _, payload_len = parse_header(header, 1 + HELLO_PAYLOAD_BYTES_MAX, frozenset())
        parse_hello(await reader.readexactly(payload_len), config.network)


# --- counters ---------------------------------------------------------------------------------------


class NetCounters:
    """Monotonic counters for metrics, owned by the event loop thread.

    Frames and bytes are per channel (0 = CONTROL: HELLO is not counted, PINGs are); bytes include
    the 5-byte header; "out" counts frames when handed to the TLS layer. The dicts are created with
    every key they will ever hold (channels and reasons are closed sets), so their size is bounded and
    another thread may copy them without "changed size" errors.
    """

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "dials",
        "disconnects",
        "frames_in",
        "frames_out",
        "handler_errors",
        "inbound_accepted",
        "sends_dropped",
    )

    def __init__(self, channels: Iterable[int]) -> None:
        keys = sorted({CONTROL, *channels})
        self.frames_in: dict[int, int] = dict.fromkeys(keys, 0)
        self.bytes_in: dict[int, int] = dict.fromkeys(keys, 0)
        self.frames_out: dict[int, int] = dict.fromkeys(keys, 0)
        self.bytes_out: dict[int, int] = dict.fromkeys(keys, 0)
        self.disconnects: dict[str, int] = {str(reason): 0 for reason in CloseReason}
        self.dials = 0
        self.inbound_accepted = 0
        self.sends_dropped = 0
        """`send`/`broadcast` calls that returned False or skipped a peer (not connected, queue full)."""
        self.handler_errors = 0
        """Exceptions raised by the node's callbacks (logged, then ignored)."""

    def closed(self, reason: CloseReason) -> None:
        self.disconnects[str(reason)] += 1


# --- an authenticated connection ---------------------------------------------------------------------

FrameSink = Callable[["Connection", int, bytes], None]
CloseSink = Callable[["Connection", CloseReason], None]


class Connection:
    """One authenticated link to one peer: a reader, a writer and a keepalive task.

    Created after TLS + HELLO succeeded; `start()` begins I/O. `close(reason)` is idempotent, aborts
    the socket, cancels the tasks and reports once to `on_close`. All methods run on the loop thread.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        peer_id: bytes,
        outbound: bool,
        config: NetConfig,
        channels: frozenset[int],
        limiter: RecvLimiter,
        clock: Callable[[], float],
        counters: NetCounters,
        on_frame: FrameSink,
        on_close: CloseSink,
    ) -> None:
        self.peer_id = peer_id
        self.outbound = outbound
        """True if we dialed it; the tie-break between two connections to one peer depends on it."""
        self._reader = reader
        self._writer = writer
        self._config = config
        self._channels = channels
        self._limiter = limiter
        self._clock = clock
        self._counters = counters
        self._on_frame = on_frame
        self._on_close = on_close
        self._queue: collections.deque[tuple[int, bytes]] = collections.deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = False
        self.close_reason: CloseReason | None = None
        self.local_addr = _addr(writer.get_extra_info("sockname"))
        self.remote_addr = _addr(writer.get_extra_info("peername"))

    @property
    def tasks(self) -> tuple[asyncio.Task[None], ...]:
        return tuple(self._tasks)

    @property
    def queued_frames(self) -> int:
        return len(self._queue)

    @property
    def queued_bytes(self) -> int:
        """Bytes (headers included) waiting in the send queue; never above `send_queue_bytes_max`."""
        return self._queued_bytes

    def start(self) -> None:
        assert not self._tasks and not self.closed
        self._writer.transport.set_write_buffer_limits(high=self._config.write_buffer_bytes_high)
        peer = self.peer_id.hex()[:12]
        self._tasks = [
            asyncio.create_task(self._read_loop(), name=f"net-read-{peer}"),
            asyncio.create_task(self._write_loop(), name=f"net-write-{peer}"),
            asyncio.create_task(self._keepalive_loop(), name=f"net-ping-{peer}"),
        ]

    def send(self, channel: int, payload: bytes) -> bool:
        """Queue a frame; False (and the connection closed) if the queue cannot take it."""
        if self.closed:
            return False
        size = FRAME_HEADER_BYTES + len(payload)
        if (
            len(self._queue) >= self._config.send_queue_frames_max
            or self._queued_bytes + size > self._config.send_queue_bytes_max
        ):
            # The peer does not keep up. Dropping frames silently would hide it and buffering more
            # would grow without bound; disconnecting frees the queue and the node resyncs on reconnect.
            self.close(CloseReason.SEND_QUEUE_FULL)
            return False
        self._queue.append((channel, payload))
        self._queued_bytes += size
        self._wakeup.set()
        return True

    def close(self, reason: CloseReason) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._queue.clear()
        self._queued_bytes = 0
        close_quietly(self._writer)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._counters.closed(reason)
        level = (
            logging.WARNING
            if reason in _PEER_FAULTS
            else logging.DEBUG
            if reason in _ROUTINE
            else logging.INFO
        )
        log.log(level, "net: closed connection to %s (%s): %s", self.peer_id.hex(), self.remote_addr, reason)
        self._on_close(self, reason)

    async def wait_closed(self) -> None:
        """Wait for the connection's tasks to finish after `close` (they are cancelled, so promptly)."""
        assert self.closed
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- reading --

    async def _read_loop(self) -> None:
        try:
            while not self.closed:
                channel, payload = await self._read_frame()
                if channel == CONTROL:
                    parse_control(payload)
                    continue
                self._on_frame(self, channel, payload)
        except FrameError as exc:
            log.warning("net: %s broke the protocol: %s", self.peer_id.hex(), exc.detail)
            self.close(exc.reason)
        except asyncio.IncompleteReadError:
            self.close(CloseReason.EOF)
        except TimeoutError:
            self.close(CloseReason.IDLE_TIMEOUT)
        except (OSError, ssl.SSLError):
            self.close(CloseReason.IO_ERROR)

    async def _read_frame(self) -> tuple[int, bytes]:
        config = self._config
        async with asyncio.timeout(config.idle_timeout_s):
            header = await self._reader.readexactly(FRAME_HEADER_BYTES)
        channel, payload_len = parse_header(header, config.max_frame_bytes, self._channels)
        frame_bytes = FRAME_HEADER_BYTES + payload_len
        # Charged before the payload is read, so an over-budget peer never makes us buffer its frame.
        if not self._limiter.admit(frame_bytes, self._clock()):
            raise FrameError(
                CloseReason.RATE_LIMITED, f"frame of {frame_bytes} bytes over the receive budget"
            )
        payload = await self._read_payload(payload_len)
        self._counters.frames_in[channel] += 1
        self._counters.bytes_in[channel] += frame_bytes
        return channel, payload

    async def _read_payload(self, size: int) -> bytes:
        chunk = self._config.read_chunk_bytes
        timeout_s = self._config.idle_timeout_s
        if size <= chunk:
            async with asyncio.timeout(timeout_s):
                return await self._reader.readexactly(size)
        # Progress-based deadline: a large frame on a slow link is fine as long as bytes keep coming.
        parts: list[bytes] = []
        remaining = size
        while remaining:
            async with asyncio.timeout(timeout_s):
                part = await self._reader.readexactly(min(chunk, remaining))
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts)

    # -- writing --

    async def _write_loop(self) -> None:
        try:
            while not self.closed:
                if not self._queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                self._write_batch()
                async with asyncio.timeout(self._config.write_timeout_s):
                    await self._writer.drain()
        except TimeoutError:
            self.close(CloseReason.WRITE_TIMEOUT)
        except (OSError, ssl.SSLError):
            self.close(CloseReason.IO_ERROR)

    def _write_batch(self) -> None:
        """Hand queued frames to the transport: small ones coalesced, large ones without a copy."""
        small: list[bytes] = []
        batch_bytes = 0
        while self._queue and batch_bytes < _BATCH_BYTES_MAX:
            channel, payload = self._queue.popleft()
            size = FRAME_HEADER_BYTES + len(payload)
            self._queued_bytes -= size
            self._counters.frames_out[channel] += 1
            self._counters.bytes_out[channel] += size
            batch_bytes += size
            if len(payload) < _COALESCE_BYTES:
                small.append(encode_header(channel, len(payload)))
                small.append(payload)
                continue
            if small:
                self._writer.write(b"".join(small))
                small = []
            self._writer.write(encode_header(channel, len(payload)))
            self._writer.write(payload)
        if small:
            self._writer.write(b"".join(small))
        assert self._queued_bytes >= 0

    async def _keepalive_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(self._config.ping_interval_s)
            self._enqueue_control(PING_PAYLOAD)

    def _enqueue_control(self, payload: bytes) -> None:
        # Same queue and limits as node frames: a peer too slow for a PING is too slow, full stop.
        self.send(CONTROL, payload)


def _addr(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Drop the socket now: no flush, no TLS close_notify, buffers freed; never raises."""
    with contextlib.suppress(Exception):
        writer.transport.abort()
