"""The WAL: framing, torn and corrupt tails, replay by height, rotation, and the crash model."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.consensus.types import EndHeight, Timeout, TimeoutKind, VoteKind, WalRecord
from govledger.consensus.wal import RECORD_BYTES_MAX, FileWal, MemoryWal, encode_frame, scan_frames

from .harness import proposal, vote

PV, PC = VoteKind.PREVOTE, VoteKind.PRECOMMIT


def records(height: int) -> list[WalRecord]:
    return [
        proposal(height, 0, b"value-%d" % height, -1, 0),
        vote(PV, height, 0, b"value-%d" % height, 1),
        Timeout(TimeoutKind.PREVOTE, height, 0),
        vote(PC, height, 0, None, 2),
        EndHeight(height),
    ]


def test_frames_round_trip() -> None:
    data = b"".join(encode_frame(r) for r in records(1))
    result = scan_frames(data)
    assert result.records == records(1) and result.problem is None and result.good_bytes == len(data)


def test_every_truncation_point_recovers_the_complete_prefix() -> None:
    frames = [encode_frame(r) for r in records(1)]
    data = b"".join(frames)
    boundaries = [sum(len(f) for f in frames[:i]) for i in range(len(frames) + 1)]
    for cut in range(len(data) + 1):
        result = scan_frames(data[:cut])
        complete = max(i for i, b in enumerate(boundaries) if b <= cut)
        assert result.records == records(1)[:complete]
        assert (result.problem is None) == (cut in boundaries)
        assert result.problem is None or result.problem.startswith("torn")


def test_a_flipped_bit_is_caught_by_the_crc() -> None:
    frames = [encode_frame(r) for r in records(1)]
    data = bytearray(b"".join(frames))
    offset = len(frames[0]) + 12  # inside the second frame's payload
    data[offset] ^= 0x10
    result = scan_frames(bytes(data))
    assert result.records == records(1)[:1]
    assert result.problem is not None and "CRC" in result.problem


def test_an_absurd_length_is_rejected_without_allocating() -> None:
    body = (RECORD_BYTES_MAX + 1).to_bytes(4, "big") + b"\x01"
    frame = zlib.crc32(body).to_bytes(4, "big") + body
    assert scan_frames(frame).problem is not None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_raises(data: bytes) -> None:
    result = scan_frames(encode_frame(records(1)[0]) + data)
    assert result.records[:1] == records(1)[:1]


def test_file_wal_truncates_a_torn_tail_and_reports_it(tmp_path: Path) -> None:
    wal = FileWal(tmp_path)
    for r in records(1)[:-1]:
        wal.append(r, sync=False)
    wal.append(records(1)[-1], sync=True)
    wal.append(vote(PV, 2, 0, None, 1), sync=True)
    wal.close()
    (segment,) = tmp_path.glob("wal-*.log")
    segment.write_bytes(segment.read_bytes() + encode_frame(vote(PV, 2, 0, b"x", 3))[:-5])
    reopened = FileWal(tmp_path)
    assert reopened.recovery.problem is not None and reopened.recovery.truncated_bytes > 0
    assert reopened.replay(1) == records(1)
    assert reopened.replay(2) == [vote(PV, 2, 0, None, 1)]
    reopened.append(vote(PC, 2, 0, None, 1), sync=True)  # appends after the cut, not after garbage
    reopened.close()
    again = FileWal(tmp_path)
    assert again.recovery.problem is None and len(again.replay(2)) == 2


def test_file_wal_reports_a_corrupt_record(tmp_path: Path) -> None:
    wal = FileWal(tmp_path)
    for r in records(1):
        wal.append(r, sync=True)
    wal.close()
    (segment,) = tmp_path.glob("wal-*.log")
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF
    segment.write_bytes(bytes(data))
    reopened = FileWal(tmp_path)
    assert reopened.recovery.problem is not None and "CRC" in reopened.recovery.problem
    assert reopened.replay(1) == records(1)[:-1]


def test_file_wal_rotates_and_keeps_only_the_last_heights(tmp_path: Path) -> None:
    wal = FileWal(tmp_path, segment_bytes_max=200)
    for height in range(1, 8):
        for r in records(height):
            wal.append(r, sync=isinstance(r, EndHeight))
    assert len(list(tmp_path.glob("wal-*.log"))) <= 3
    assert wal.replay(7) == records(7)
    assert wal.replay(2) == []
    wal.close()
    assert FileWal(tmp_path).replay(7) == records(7)


def test_memory_wal_crash_keeps_synced_records_and_recovers_a_torn_tail() -> None:
    rng = random.Random(7)
    for _ in range(200):
        wal = MemoryWal()
        synced = records(1)[:2]
        for r in synced[:-1]:
            wal.append(r, sync=False)
        wal.append(synced[-1], sync=True)
        for r in records(1)[2:4]:
            wal.append(r, sync=False)
        wal.crash(rng)
        recovery = wal.recover()
        replayed = wal.replay(1)
        assert replayed[:2] == synced  # fsync'd records always survive
        assert replayed == records(1)[: len(replayed)]  # a prefix, never garbage
        assert recovery.problem is None or recovery.truncated_bytes > 0


def test_oversize_records_are_refused() -> None:
    with pytest.raises(ValueError):
        encode_frame(proposal(1, 0, b"x" * (RECORD_BYTES_MAX + 1), -1, 0))
