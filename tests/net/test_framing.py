"""The wire format and limits, without sockets."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govledger.net import channels
from govledger.net.framing import (
    FRAME_HEADER_BYTES,
    PING_PAYLOAD,
    CloseReason,
    FrameError,
    NetConfig,
    RecvLimiter,
    TokenBucket,
    backoff_s,
    check_outgoing,
    encode_frame,
    encode_header,
    hello_payload,
    parse_control,
    parse_header,
    parse_hello,
)

CFG = NetConfig()
OPEN = channels.ALL


@given(st.sampled_from(sorted(OPEN | {channels.CONTROL})), st.integers(0, CFG.max_frame_bytes - 1))
def test_header_roundtrip(channel: int, payload_len: int) -> None:
    header = encode_header(channel, payload_len)
    assert len(header) == FRAME_HEADER_BYTES
    assert parse_header(header, CFG.max_frame_bytes, OPEN) == (channel, payload_len)


def test_frame_layout_is_length_then_channel_then_payload() -> None:
    assert encode_frame(channels.TXS, b"abc") == b"\x00\x00\x00\x04\x02abc"


@pytest.mark.parametrize(
    ("length", "channel", "reason"),
    [
        (0, channels.TXS, CloseReason.MALFORMED_HEADER),
        (CFG.max_frame_bytes + 1, channels.TXS, CloseReason.OVERSIZE_FRAME),
        (0xFFFF_FFFF, channels.TXS, CloseReason.OVERSIZE_FRAME),
        (10, 99, CloseReason.UNKNOWN_CHANNEL),
        (10, 255, CloseReason.UNKNOWN_CHANNEL),
    ],
)
def test_bad_headers_are_rejected_before_any_payload(length: int, channel: int, reason: CloseReason) -> None:
    with pytest.raises(FrameError) as info:
        parse_header(struct.pack(">IB", length, channel), CFG.max_frame_bytes, OPEN)
    assert info.value.reason == reason


def test_max_frame_is_inclusive() -> None:
    header = struct.pack(">IB", 1000, channels.CONSENSUS)
    assert parse_header(header, 1000, OPEN) == (channels.CONSENSUS, 999)


def test_hello_checks_version_and_network() -> None:
    parse_hello(hello_payload("net-a"), "net-a")
    for payload in [
        hello_payload("net-b"),
        hello_payload("net-a", version=2),
        PING_PAYLOAD,
        b"",
        b"\x01\x00",
    ]:
        with pytest.raises(FrameError) as info:
            parse_hello(payload, "net-a")
        assert info.value.reason == CloseReason.HELLO_FAILED
    with pytest.raises(FrameError):
        parse_hello(hello_payload("net-a") + b"x", "net-a")  # trailing byte


def test_only_ping_after_hello() -> None:
    parse_control(PING_PAYLOAD)
    for payload in [hello_payload("x"), b"", b"\x02\x00", b"\x09"]:
        with pytest.raises(FrameError) as info:
            parse_control(payload)
        assert info.value.reason == CloseReason.BAD_CONTROL


def test_outgoing_is_checked_on_the_sending_side() -> None:
    check_outgoing(channels.TXS, b"x" * CFG.payload_bytes_max, CFG, OPEN)
    with pytest.raises(ValueError):
        check_outgoing(channels.TXS, b"x" * (CFG.payload_bytes_max + 1), CFG, OPEN)
    with pytest.raises(ValueError):
        check_outgoing(channels.CONTROL, b"x", CFG, OPEN)
    with pytest.raises(ValueError):
        check_outgoing(77, b"x", CFG, OPEN)
    with pytest.raises(TypeError):
        check_outgoing(channels.TXS, bytearray(b"x"), CFG, OPEN)  # type: ignore[arg-type]


def test_token_bucket_refills_at_rate_up_to_capacity() -> None:
    bucket = TokenBucket(rate_per_s=10.0, capacity=5.0, now=0.0)
    assert all(bucket.take(1, 0.0) for _ in range(5))
    assert not bucket.take(1, 0.0)
    assert bucket.take(1, 0.1)  # 0.1 s * 10/s = 1 token
    assert not bucket.take(1, 0.1)
    assert bucket.take(5, 100.0)  # capped at capacity, not 1000
    assert not bucket.take(1, 100.0)
    assert not bucket.take(1, 50.0)  # a clock stepping back refills nothing


def test_recv_limiter_needs_both_budgets() -> None:
    cfg = NetConfig(
        max_frame_bytes=100,
        recv_bytes_burst=200,
        recv_frames_burst=3,
        recv_bytes_per_s=1,
        recv_frames_per_s=1,
    )
    limiter = RecvLimiter(cfg, now=0.0)
    assert limiter.admit(100, 0.0)
    assert limiter.admit(100, 0.0)
    assert not limiter.admit(1, 0.0)  # bytes exhausted
    limiter = RecvLimiter(cfg, now=0.0)
    assert all(limiter.admit(1, 0.0) for _ in range(3))
    assert not limiter.admit(1, 0.0)  # frames exhausted


@pytest.mark.parametrize(
    "changes",
    [
        {"network": ""},
        {"network": "x" * 65},
        {"max_frame_bytes": 1},
        {"max_frame_bytes": 1 << 32},
        {"send_queue_bytes_max": 1000},  # cannot hold one max frame
        {"recv_bytes_burst": 1000},  # would reject a legal max frame
        {"idle_timeout_s": 5.0, "ping_interval_s": 5.0},
        {"dial_backoff_min_s": 0.0},
        {"dial_backoff_min_s": 2.0, "dial_backoff_max_s": 1.0},
        {"send_queue_frames_max": 0},
        {"inbound_pending_max": 0},
    ],
)
def test_config_rejects_inconsistent_bounds(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NetConfig(**changes)  # type: ignore[arg-type]


def test_channel_names() -> None:
    assert channels.name(channels.CONSENSUS) == "consensus"
    assert channels.name(200) == "ch200"
    assert channels.CONTROL not in channels.ALL


@given(st.integers(1, 10_000), st.integers(0, 2**32))
def test_backoff_is_bounded_jittered_and_reproducible(attempt: int, seed: int) -> None:
    delay = backoff_s(attempt, 0.1, 10.0, random.Random(seed))
    ceiling = min(10.0, 0.1 * 2.0 ** min(attempt - 1, 64))
    assert ceiling / 2 <= delay <= ceiling <= 10.0
    assert delay == backoff_s(attempt, 0.1, 10.0, random.Random(seed))  # injected randomness only


def test_backoff_grows_exponentially_until_the_cap() -> None:
    top = [backoff_s(n, 0.1, 10.0, _MaxRandom()) for n in range(1, 10)]
    assert top == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0], abs=1e-6)


class _MaxRandom(random.Random):
    def random(self) -> float:
        return 1.0 - 1e-12
