"""The consensus write-ahead log (spec/consensus/wal.md): framing, recovery, replay, rotation.

What it owns: turning the core's records (received proposals and votes, fired timeouts, catch-ups,
own signed messages, end-of-height markers) into durable bytes, and getting the current height's
records back after a crash, whatever state the crash left the tail in.

Frame layout (big-endian)::

    crc32 u32 | length u32 | type u8 | payload (length bytes, canonical msgspec encoding)

The CRC-32 (zlib; no CRC-32C is installable here) covers length, type and payload, so a flipped
length is caught too. `length` is bounded by `RECORD_BYTES_MAX`, so a corrupt length never makes
the reader allocate gigabytes.

Recovery: frames are read until the first one that is incomplete (a torn write: the process died
mid-append) or fails its CRC or decoding (corruption). Everything from there on is cut off and
reported in a `WalRecovery`; recovery never raises on bad bytes. Records written with `sync=True`
survive: `append(..., sync=True)` returns only after fsync.

Replay: `replay(h)` returns the records whose height is h, in write order. Filtering by height
(rather than trusting that an `EndHeight(h-1)` marker was written) makes the crash window between
a decision and its marker harmless.

Rotation (file WAL): segments `wal-<n>.log` of about `segment_bytes_max`; the head rolls at an
`EndHeight`, and segments that hold only heights below the last ended height are deleted, keeping
"the latest block and the block before it" as wal.md asks.
"""

from __future__ import annotations

import os
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from govledger.codec import decode, encode
from govledger.consensus.types import CatchUp, EndHeight, Proposal, Timeout, Vote, WalRecord
from govledger.errors import CodecError

RECORD_BYTES_MAX = 16 << 20  # above CoreConfig.value_bytes_max (8 MiB) plus the proposal's fields
SEGMENT_BYTES_MAX_DEFAULT = 10 << 20  # wal.md: "rotates files when they get too big (> 10MB)"
_HEADER = struct.Struct(">IIB")

_TYPE_CODES: dict[type, int] = {Proposal: 1, Vote: 2, Timeout: 3, CatchUp: 4, EndHeight: 5}
_CODE_TYPES: dict[int, type[WalRecord]] = {
    1: Proposal,
    2: Vote,
    3: Timeout,
    4: CatchUp,
    5: EndHeight,
}


@dataclass(frozen=True, slots=True)
class WalRecovery:
    """What opening (or recovering) a WAL found. `problem` is None for a clean tail."""

    records: int
    good_bytes: int
    truncated_bytes: int
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ScanResult:
    records: list[WalRecord]
    good_bytes: int
    problem: str | None


def encode_frame(record: WalRecord) -> bytes:
    payload = encode(record)
    if len(payload) > RECORD_BYTES_MAX:
        raise ValueError(f"WAL record of {len(payload)} bytes exceeds {RECORD_BYTES_MAX}")
    code = _TYPE_CODES[type(record)]
    body = _HEADER.pack(0, len(payload), code)[4:] + payload
    return struct.pack(">I", zlib.crc32(body)) + body


def scan_frames(data: bytes | bytearray | memoryview) -> ScanResult:
    """Decode frames from the start of `data` up to the first bad or incomplete one."""
    view = memoryview(data)
    records: list[WalRecord] = []
    offset = 0
    problem: str | None = None
    while offset < len(view):
        if len(view) - offset < _HEADER.size:
            problem = f"torn: {len(view) - offset} bytes of a frame header at offset {offset}"
            break
        crc, length, code = _HEADER.unpack_from(view, offset)
        if length > RECORD_BYTES_MAX:
            problem = f"corrupt: frame length {length} at offset {offset} exceeds {RECORD_BYTES_MAX}"
            break
        end = offset + _HEADER.size + length
        if end > len(view):
            problem = f"torn: frame at offset {offset} needs {end - offset} bytes, {len(view) - offset} left"
            break
        if zlib.crc32(view[offset + 4 : end]) != crc:
            problem = f"corrupt: CRC mismatch in the frame at offset {offset}"
            break
        record_type = _CODE_TYPES.get(code)
        if record_type is None:
            problem = f"corrupt: unknown record type {code} at offset {offset}"
            break
        try:
            records.append(decode(bytes(view[offset + _HEADER.size : end]), record_type, RECORD_BYTES_MAX))
        except CodecError as exc:
            problem = f"corrupt: undecodable record at offset {offset}: {exc.message}"
            break
        offset = end
    return ScanResult(records, offset, problem)


class MemoryWal:
    """The WAL for the simulator: the same frames in memory, with a crash model.

    Bytes appended without sync sit in a simulated page cache; `crash` keeps the synced prefix plus
    a random part of the rest (possibly cutting a frame, possibly flipping a byte), and `recover`
    runs the real scanner over what is left, exactly as `FileWal` does on open.
    """

    def __init__(self) -> None:
        self._frames: list[tuple[int, bytes]] = []  # (height, frame)
        self._durable = 0  # number of frames known to be on disk
        self._torn_tail = b""
        self.syncs = 0
        self.appends = 0

    def append(self, record: WalRecord, sync: bool) -> None:
        self._frames.append((record.height, encode_frame(record)))
        self.appends += 1
        if sync:
            self._durable = len(self._frames)
            self.syncs += 1
        if isinstance(record, EndHeight) and sync:
            self._prune_below(record.height)

    def _prune_below(self, height: int) -> None:
        keep = [(h, f) for h, f in self._frames if h >= height]
        self._durable -= len(self._frames) - len(keep)
        self._frames = keep

    def crash(self, rng: random.Random) -> None:
        """Lose what was not synced, except a random prefix of it; maybe corrupt that prefix."""
        tail = b"".join(f for _, f in self._frames[self._durable :])
        kept = bytearray(tail[: rng.randint(0, len(tail))])
        if kept and rng.random() < 0.25:
            kept[rng.randrange(len(kept))] ^= 1 << rng.randrange(8)
        self._frames = self._frames[: self._durable]
        self._torn_tail = bytes(kept)

    def recover(self) -> WalRecovery:
        """Re-read the surviving tail after a crash; cut it at the first bad frame."""
        tail, self._torn_tail = self._torn_tail, b""
        result = scan_frames(tail)
        for record in result.records:
            self._frames.append((record.height, encode_frame(record)))
        self._durable = len(self._frames)
        return WalRecovery(
            len(self._frames), result.good_bytes, len(tail) - result.good_bytes, result.problem
        )

    def replay(self, height: int) -> list[WalRecord]:
        blob = b"".join(f for h, f in self._frames if h == height)
        result = scan_frames(blob)
        assert result.problem is None, result.problem
        return result.records

    def size_bytes(self) -> int:
        return sum(len(f) for _, f in self._frames)


class FileWal:
    """The WAL on disk: segment files in one directory, recovered on open."""

    def __init__(self, directory: Path, segment_bytes_max: int = SEGMENT_BYTES_MAX_DEFAULT) -> None:
        assert segment_bytes_max > 0
        self.directory = directory
        self.segment_bytes_max = segment_bytes_max
        directory.mkdir(parents=True, exist_ok=True)
        self._heights: dict[Path, tuple[int, int]] = {}  # segment -> (min height, max height)
        self.recovery = self._recover()
        segments = self._segments()
        self._head = segments[-1] if segments else self._segment_path(0)
        self._fd = os.open(self._head, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._head_bytes = os.fstat(self._fd).st_size
        if not segments:
            _fsync_dir(directory)

    def _segment_path(self, n: int) -> Path:
        return self.directory / f"wal-{n:016d}.log"

    def _segments(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("wal-*.log") if p.name[4:-4].isdigit())

    def _recover(self) -> WalRecovery:
        records = good = truncated = 0
        problem: str | None = None
        segments = self._segments()
        for i, path in enumerate(segments):
            data = path.read_bytes()
            result = scan_frames(data)
            records += len(result.records)
            good += result.good_bytes
            if result.records:
                heights = [r.height for r in result.records]
                self._heights[path] = (min(heights), max(heights))
            if result.problem is None:
                continue
            problem = f"{path.name}: {result.problem}"
            truncated += len(data) - result.good_bytes
            with path.open("r+b") as f:
                f.truncate(result.good_bytes)
                os.fsync(f.fileno())
            for later in segments[i + 1 :]:  # unreachable after a cut; kept for forensics
                truncated += later.stat().st_size
                later.rename(later.with_suffix(".corrupt"))
            break
        return WalRecovery(records, good, truncated, problem)

    def append(self, record: WalRecord, sync: bool) -> None:
        frame = encode_frame(record)
        written = os.write(self._fd, frame)
        assert written == len(frame), "short write to the WAL"
        self._head_bytes += len(frame)
        low, high = self._heights.get(self._head, (record.height, record.height))
        self._heights[self._head] = (min(low, record.height), max(high, record.height))
        if sync:
            os.fsync(self._fd)
        if isinstance(record, EndHeight):
            if self._head_bytes >= self.segment_bytes_max:
                self._roll()
            self._prune_below(record.height)

    def _roll(self) -> None:
        os.fsync(self._fd)
        os.close(self._fd)
        n = int(self._head.name[4:-4]) + 1
        self._head = self._segment_path(n)
        self._fd = os.open(self._head, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._head_bytes = 0
        _fsync_dir(self.directory)

    def _prune_below(self, height: int) -> None:
        for path in self._segments():
            if path == self._head:
                continue
            _, high = self._heights.get(path, (0, 0))
            if high < height:
                path.unlink()
                self._heights.pop(path, None)

    def replay(self, height: int) -> list[WalRecord]:
        out: list[WalRecord] = []
        for path in self._segments():
            low, high = self._heights.get(path, (0, -1))
            if low <= height <= high:
                out.extend(r for r in scan_frames(path.read_bytes()).records if r.height == height)
        return out

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._segments())

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
