"""What this machine can do at best, measured in the same run as the node: the baselines."""

from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from govledger.crypto.signatures import BatchVerifier, SigningKey, verify
from govledger.crypto.smt import MemoryNodeStore, SparseMerkleTree


def ed25519_verify_per_s(n: int) -> float:
    key = SigningKey.generate()
    items = [(key.public_key, i.to_bytes(8, "big"), key.sign(i.to_bytes(8, "big"))) for i in range(n)]
    start = time.perf_counter()
    for pk, m, s in items:
        verify(pk, m, s)
    return n / (time.perf_counter() - start)


def ed25519_batch_verify_per_s(n: int, threads: int = 2) -> float:
    key = SigningKey.generate()
    items = [(key.public_key, i.to_bytes(8, "big"), key.sign(i.to_bytes(8, "big"))) for i in range(n)]
    v = BatchVerifier(threads=threads)
    try:
        start = time.perf_counter()
        v.verify_many(items)
        return n / (time.perf_counter() - start)
    finally:
        v.close()


def sha256_per_s(n: int) -> float:
    msg = b"\x5a" * 120
    start = time.perf_counter()
    for _ in range(n):
        hashlib.sha256(msg).digest()
    return n / (time.perf_counter() - start)


def fsync_per_s(directory: Path, n: int) -> float:
    fd, name = tempfile.mkstemp(dir=directory)
    try:
        start = time.perf_counter()
        for i in range(n):
            os.pwrite(fd, i.to_bytes(8, "big") * 512, 0)
            os.fsync(fd)
        return n / (time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(name)


def smt_update_us_per_change(keys: int, batch: int, rounds: int = 3) -> float:
    """Median µs per changed key for batches of `batch` random updates on a tree of `keys` keys."""
    store = MemoryNodeStore()
    tree = SparseMerkleTree(store)
    version = 0
    fill = 50_000
    for start in range(0, keys, fill):
        changes = {
            hashlib.sha256(i.to_bytes(8, "big")).digest(): hashlib.sha256(
                b"v" + i.to_bytes(8, "big")
            ).digest()
            for i in range(start, min(keys, start + fill))
        }
        up = tree.update(version if version else None, version + 1, changes)
        store.put_many(up.new_nodes)
        version += 1
    samples = []
    for r in range(rounds):
        changes = {
            hashlib.sha256(f"k{r}-{i}".encode()).digest(): hashlib.sha256(f"v{i}".encode()).digest()
            for i in range(batch)
        }
        t0 = time.perf_counter()
        up = tree.update(version, version + 1, changes)
        samples.append((time.perf_counter() - t0) / batch * 1e6)
        store.put_many(up.new_nodes)
        version += 1
    return statistics.median(samples)
