"""Wire format and limits of the transport, without any I/O (sans-I/O, like h11).

This module owns everything about a frame that can be decided from bytes and numbers alone, so it is
tested without sockets and `net/transport.py` only moves bytes:

- The frame: `length` (4 bytes, big-endian, unsigned) + `channel` (1 byte) + payload, where `length`
  counts the channel byte and the payload, so `length` is in 1..`max_frame_bytes`. A length of 0
  (no room for the channel byte) is malformed, a length above the limit is oversize; both close the
  connection *before* any payload byte is read or buffered.
- Channel 0 carries the transport's control frames: HELLO (once, first, each way) and PING. Node
  channels (1..255) are opaque; a channel outside the connection's set is a protocol error.
- `NetConfig`: every bound the transport enforces (frame size, send queue, receive rates, timeouts,
  backoff, concurrent handshakes, connections), validated once at construction.
- `TokenBucket` / `RecvLimiter`: per-peer receive rate limits on bytes/s and frames/s, with the clock
  passed in so they are deterministic under test; `backoff_s`: the dial backoff, randomness passed in.
- `CloseReason`: the closed set of reasons a connection ends with; metrics are keyed by it.
"""

from __future__ import annotations

import enum
import random
import struct
from dataclasses import dataclass
from typing import Final

from govledger.net.channels import CONTROL

__all__ = [
    "FRAME_HEADER_BYTES",
    "HELLO_PAYLOAD_BYTES_MAX",
    "MIB",
    "NETWORK_NAME_BYTES_MAX",
    "PING_PAYLOAD",
    "PROTOCOL_VERSION",
    "CloseReason",
    "FrameError",
    "NetConfig",
    "RecvLimiter",
    "TokenBucket",
    "backoff_s",
    "check_outgoing",
    "encode_frame",
    "encode_header",
    "hello_payload",
    "parse_control",
    "parse_header",
    "parse_hello",
]

MIB: Final = 1 << 20
PROTOCOL_VERSION: Final = 1

_HEADER = struct.Struct(">IB")
FRAME_HEADER_BYTES: Final = _HEADER.size  # 5
_LENGTH_MAX: Final = 0xFFFF_FFFF

CONTROL_HELLO: Final = 1
CONTROL_PING: Final = 2
PING_PAYLOAD: Final = bytes([CONTROL_PING])
"""Keepalive: no reply is needed, it only keeps the peer's read timeout from firing."""

NETWORK_NAME_BYTES_MAX: Final = 64
_HELLO = struct.Struct(">BHB")  # type, protocol version, network name length
HELLO_PAYLOAD_BYTES_MAX: Final = _HELLO.size + NETWORK_NAME_BYTES_MAX


class CloseReason(enum.StrEnum):
    """Why a connection (or a connection attempt) ended; a fixed set so metrics stay bounded."""

    # the link
    EOF = "eof"
    IO_ERROR = "io_error"
    IDLE_TIMEOUT = "idle_timeout"
    WRITE_TIMEOUT = "write_timeout"
    CONNECT_FAILED = "connect_failed"
    TLS_FAILED = "tls_failed"
    REFUSED = "refused"
    """The peer closed during TLS/HELLO: usually it did not admit us (not allowed, penalized, duplicate)."""
    # the peer broke the protocol or a limit
    OVERSIZE_FRAME = "oversize_frame"
    MALFORMED_HEADER = "malformed_header"
    UNKNOWN_CHANNEL = "unknown_channel"
    BAD_CONTROL = "bad_control"
    HELLO_FAILED = "hello_failed"
    RATE_LIMITED = "rate_limited"
    SEND_QUEUE_FULL = "send_queue_full"
    # admission after the TLS handshake
    BAD_CERTIFICATE = "bad_certificate"
    NOT_ALLOWED = "not_allowed"
    UNEXPECTED_PEER = "unexpected_peer"
    SELF = "self"
    PENALIZED = "penalized"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    INBOUND_PENDING_FULL = "inbound_pending_full"
    # our own decisions
    DUPLICATE = "duplicate"
    REPLACED = "replaced"
    STOPPED = "stopped"


class FrameError(Exception):
    """The peer sent bytes that break the framing protocol; the connection must close."""

    def __init__(self, reason: CloseReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class NetConfig:
    """Every limit of the transport. Sizes in bytes, rates per second, durations in seconds.

    Memory per connection is bounded by `send_queue_bytes_max` (frames waiting for the socket) +
    `write_buffer_bytes_high` (plus one frame handed to the TLS layer) on the way out, and by one
    frame (twice `max_frame_bytes` while a chunked payload is joined) on the way in.
    """

    network: str = "govledger"
    """Name both sides must agree on in HELLO (the chain id), so a testnet node never joins mainnet."""
    max_frame_bytes: int = 16 * MIB
    """Upper bound of the length field (channel byte + payload)."""
    send_queue_frames_max: int = 4096
    send_queue_bytes_max: int = 48 * MIB
    """Over either bound the peer is too slow: it is disconnected rather than buffered without limit."""
    write_buffer_bytes_high: int = 1 * MIB
    """asyncio transport high-water mark; above it the writer waits (with `write_timeout_s`)."""
    recv_bytes_per_s: float = 32 * MIB
    recv_bytes_burst: int = 48 * MIB
    recv_frames_per_s: float = 10_000.0
    recv_frames_burst: int = 20_000
    """Per peer (not per connection, so reconnecting does not refill the bucket)."""
    rate_limit_penalty_s: float = 30.0
    """A peer that exceeded a receive rate is refused (and not dialed) for this long."""
    ping_interval_s: float = 5.0
    idle_timeout_s: float = 20.0
    """No byte of progress for this long on a read means the peer is dead."""
    handshake_timeout_s: float = 5.0
    """TCP connect + TLS handshake + HELLO exchange, each side."""
    write_timeout_s: float = 20.0
    """A drain that takes longer than this means the peer stopped reading."""
    dial_backoff_min_s: float = 0.1
    dial_backoff_max_s: float = 10.0
    inbound_pending_max: int = 32
    """Concurrent unauthenticated inbound connections (TLS + HELLO in progress)."""
    connections_max: int = 256
    """Authenticated connections; a consortium has tens of validators, so this is far above need."""
    read_chunk_bytes: int = 1 * MIB
    """Large payloads are read in chunks of this size, each within `idle_timeout_s`."""

    def __post_init__(self) -> None:
        frame_wire_max = FRAME_HEADER_BYTES - 1 + self.max_frame_bytes
        name = self.network.encode()
        checks: list[tuple[bool, str]] = [
            (
                0 < len(name) <= NETWORK_NAME_BYTES_MAX,
                f"network name must be 1..{NETWORK_NAME_BYTES_MAX} bytes",
            ),
            (2 <= self.max_frame_bytes <= _LENGTH_MAX, "max_frame_bytes must be in 2..2**32-1"),
            (self.send_queue_frames_max >= 1, "send_queue_frames_max must be >= 1"),
            # one maximal frame must fit, or a legal send could never be queued
            (self.send_queue_bytes_max >= frame_wire_max, "send_queue_bytes_max must hold one max frame"),
            (self.write_buffer_bytes_high >= 1, "write_buffer_bytes_high must be >= 1"),
            (self.recv_bytes_per_s > 0 and self.recv_frames_per_s > 0, "receive rates must be > 0"),
            # a legal maximal frame must pass a full bucket, or the limit would reject valid traffic
            (self.recv_bytes_burst >= frame_wire_max, "recv_bytes_burst must admit one max frame"),
            (self.recv_frames_burst >= 1, "recv_frames_burst must be >= 1"),
            (self.rate_limit_penalty_s >= 0, "rate_limit_penalty_s must be >= 0"),
            (self.ping_interval_s > 0, "ping_interval_s must be > 0"),
            # the peer pings every ping_interval_s; give one lost/late ping slack before giving up
            (
                self.idle_timeout_s >= 2 * self.ping_interval_s,
                "idle_timeout_s must be >= 2 * ping_interval_s",
            ),
            (self.handshake_timeout_s > 0 and self.write_timeout_s > 0, "timeouts must be > 0"),
            (0 < self.dial_backoff_min_s <= self.dial_backoff_max_s, "need 0 < backoff min <= max"),
            (self.inbound_pending_max >= 1 and self.connections_max >= 1, "connection caps must be >= 1"),
            (self.read_chunk_bytes >= 1, "read_chunk_bytes must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"NetConfig: {message}")

    @property
    def payload_bytes_max(self) -> int:
        return self.max_frame_bytes - 1


def encode_header(channel: int, payload_len: int) -> bytes:
    return _HEADER.pack(payload_len + 1, channel)


def encode_frame(channel: int, payload: bytes) -> bytes:
    """Header + payload in one buffer (for small frames and tests; large ones are written in two)."""
    return encode_header(channel, len(payload)) + payload


def parse_header(header: bytes, max_frame_bytes: int, channels: frozenset[int]) -> tuple[int, int]:
    """(channel, payload length) of a 5-byte header, or FrameError: checked before reading the payload."""
    assert len(header) == FRAME_HEADER_BYTES
    length, channel = _HEADER.unpack(header)
    if length == 0:
        raise FrameError(CloseReason.MALFORMED_HEADER, "frame length 0 leaves no room for the channel")
    if length > max_frame_bytes:
        raise FrameError(CloseReason.OVERSIZE_FRAME, f"frame of {length} bytes over limit {max_frame_bytes}")
    if channel != CONTROL and channel not in channels:
        raise FrameError(CloseReason.UNKNOWN_CHANNEL, f"channel {channel} is not open on this connection")
    return channel, length - 1


def check_outgoing(channel: int, payload: bytes, config: NetConfig, channels: frozenset[int]) -> None:
    """Sending-side assertion of the receiving side's rules: a caller bug raises, never reaches a peer."""
    if channel == CONTROL or channel not in channels:
        raise ValueError(f"channel {channel} is not an open application channel")
    if not isinstance(payload, bytes):
        raise TypeError(f"payload must be bytes, not {type(payload).__name__}")
    if len(payload) > config.payload_bytes_max:
        raise ValueError(f"payload of {len(payload)} bytes over limit {config.payload_bytes_max}")


def hello_payload(network: str, version: int = PROTOCOL_VERSION) -> bytes:
    name = network.encode()
    assert 0 < len(name) <= NETWORK_NAME_BYTES_MAX
    return _HELLO.pack(CONTROL_HELLO, version, len(name)) + name


def parse_hello(payload: bytes, network: str) -> None:
    """Accept exactly our protocol version and network name; anything else raises FrameError."""
    if len(payload) < _HELLO.size or payload[0] != CONTROL_HELLO:
        raise FrameError(CloseReason.HELLO_FAILED, "first frame is not a HELLO")
    _, version, name_len = _HELLO.unpack_from(payload)
    name = payload[_HELLO.size :]
    if len(name) != name_len:
        raise FrameError(CloseReason.HELLO_FAILED, "HELLO length does not match its network name")
    if version != PROTOCOL_VERSION:
        raise FrameError(
            CloseReason.HELLO_FAILED, f"peer speaks protocol {version}, we speak {PROTOCOL_VERSION}"
        )
    if name != network.encode():
        raise FrameError(CloseReason.HELLO_FAILED, f"peer is on network {name!r}, we are on {network!r}")


def parse_control(payload: bytes) -> None:
    """Control frames after HELLO: only PING (which needs no action). A second HELLO is a violation."""
    if payload != PING_PAYLOAD:
        raise FrameError(CloseReason.BAD_CONTROL, f"unexpected control frame {payload[:8].hex()}")


class TokenBucket:
    """Classic token bucket: `capacity` tokens, refilled at `rate_per_s`; time is passed in."""

    __slots__ = ("capacity", "rate_per_s", "tokens", "updated_at")

    def __init__(self, rate_per_s: float, capacity: float, now: float) -> None:
        assert rate_per_s > 0 and capacity > 0
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self.tokens = capacity
        self.updated_at = now

    def take(self, amount: float, now: float) -> bool:
        """Remove `amount` tokens if present; a clock that steps back refills nothing."""
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        self.updated_at = max(self.updated_at, now)
        if amount > self.tokens:
            return False
        self.tokens -= amount
        return True


class RecvLimiter:
    """A peer's receive budget: bytes/s and frames/s; a frame must fit both."""

    __slots__ = ("bytes", "frames")

    def __init__(self, config: NetConfig, now: float) -> None:
        self.bytes = TokenBucket(config.recv_bytes_per_s, config.recv_bytes_burst, now)
        self.frames = TokenBucket(config.recv_frames_per_s, config.recv_frames_burst, now)

    def admit(self, frame_bytes: int, now: float) -> bool:
        return self.frames.take(1, now) and self.bytes.take(frame_bytes, now)


def backoff_s(attempt: int, min_s: float, max_s: float, rng: random.Random) -> float:
    """Dial delay before retry number `attempt` (>= 1): exponential with equal jitter, never above `max_s`.

    Uniform in [c/2, c] with c = min(max_s, min_s * 2**(attempt-1)): the floor keeps a retry storm
    from collapsing to zero delay, the jitter keeps validators that lost a peer together from redialing
    in lockstep.
    """
    assert attempt >= 1 and 0 < min_s <= max_s
    ceiling = min(max_s, min_s * 2.0 ** min(attempt - 1, 64))
    return ceiling / 2 + rng.random() * ceiling / 2
