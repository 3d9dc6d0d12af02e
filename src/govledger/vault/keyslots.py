"""Data-subject keys on disk: a flat file of fixed-size slots, overwritten in place to destroy a key.

Why not LMDB, where everything else lives: LMDB is copy-on-write, so a deleted value stays in a freed
page until the page is reused, and an erased key could be read back from the file. Crypto-shredding
needs an *overwrite*, so the wrapped keys live here, one 128-byte slot each:

    byte 0        0x01 used, 0x00 free
    bytes 1..32   the pseudonym the key belongs to (also bound into the wrapping)
    bytes 33..92  the wrapped key: nonce (12) || AES-256-GCM(data key) (48)
    bytes 93..127 zero

Destroying a key writes 128 zero bytes over its slot with `pwrite` and `fsync`s before anything else
is told it is gone. The slot number of each live subject is kept in LMDB (govledger.vault.store),
which commits *after* the slot is written on creation and *after* it is zeroed on erasure; `scrub`,
run on every open, zeroes any slot that LMDB does not list as in use, so a crash between the two steps
can leave neither an orphaned key nor a live one that was meant to be gone (it looks only at the
free slots and those past LMDB's high-water mark, the only places a leftover can be).

Limits, said plainly (docs/privacy.md): on copy-on-write or log-structured file systems (btrfs, ZFS)
and on SSDs whose controller remaps writes, an in-place overwrite may leave the old bytes in blocks the
file no longer uses. The wrapped key is useless without the master key, so the residual risk needs the
master key *and* raw access to the device; run the vault on a file system that overwrites in place, or
on an encrypted volume whose key is rotated after erasures.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from govledger.vault.errors import fail
from govledger.vault.masterkey import WRAPPED_BYTES

SLOT_BYTES = 128
PSEUDONYM_BYTES = 32
MAX_SLOTS = 1 << 26  # 64 Mi subjects, an 8 GiB file: a bound, so a corrupt index cannot seek to 2^63
_USED = 1
_ZERO = bytes(SLOT_BYTES)


class KeySlots:
    """Fixed-size slots in `<vault>/data_keys.slots`. Thread-safe; one process owns the vault."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def slot_count(self) -> int:
        return os.fstat(self._fd).st_size // SLOT_BYTES

    def write(self, slot: int, pseudonym: bytes, wrapped: bytes) -> None:
        """Write a key into `slot` and make it durable."""
        assert 0 <= slot < MAX_SLOTS and len(pseudonym) == PSEUDONYM_BYTES and len(wrapped) == WRAPPED_BYTES
        raw = bytes([_USED]) + pseudonym + wrapped
        raw += bytes(SLOT_BYTES - len(raw))
        with self._lock:
            os.pwrite(self._fd, raw, slot * SLOT_BYTES)
            os.fsync(self._fd)

    def read(self, slot: int, pseudonym: bytes) -> bytes | None:
        """The wrapped key in `slot`, None if the slot was zeroed (an erasure in progress or done)."""
        if not 0 <= slot < MAX_SLOTS:
            fail("vault.corrupt", f"slot {slot} is out of range")
        raw = os.pread(self._fd, SLOT_BYTES, slot * SLOT_BYTES)
        if len(raw) != SLOT_BYTES or raw[0] != _USED:
            return None
        if raw[1 : 1 + PSEUDONYM_BYTES] != pseudonym:
            fail("vault.integrity", f"slot {slot} holds another subject's key")
        start = 1 + PSEUDONYM_BYTES
        return raw[start : start + WRAPPED_BYTES]

    def destroy(self, slot: int) -> None:
        """Overwrite the slot with zeros, durably. Idempotent."""
        assert 0 <= slot < MAX_SLOTS
        with self._lock:
            if slot < self.slot_count():
                os.pwrite(self._fd, _ZERO, slot * SLOT_BYTES)
                os.fsync(self._fd)

    def scrub(self, free: Iterable[int], high_water: int) -> int:
        """Zero every non-zero slot LMDB does not list as in use: the `free` ones and those at or past
        `high_water` (never allocated as far as LMDB knows). Return how many were zeroed.

        Only those can hold a leftover: a crash after writing a new key but before LMDB recorded it
        leaves it in one of them; a crash after zeroing a key but before LMDB freed it leaves a zero
        slot that reads as erased. So the scrub costs O(free slots), not O(all subjects).
        """
        zeroed = 0
        count = self.slot_count()
        for slot in [*free, *range(high_water, count)]:
            if slot < count and os.pread(self._fd, SLOT_BYTES, slot * SLOT_BYTES) != _ZERO:
                self.destroy(slot)
                zeroed += 1
        return zeroed
