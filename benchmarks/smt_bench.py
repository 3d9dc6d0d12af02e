"""State tree benchmark: update cost per changed key, get/prove latency and proof size by tree size.

    .venv/bin/python benchmarks/smt_bench.py                  # 10^4, 10^5 and 10^6 keys (~1.5 min)
    .venv/bin/python benchmarks/smt_bench.py --keys 100000 --batch 2000
    .venv/bin/python benchmarks/smt_bench.py --store lmdb      # the ledger's kind of store

How it measures, and why:
- The tree is filled with random keys through its own `update`, in large batches, into a
  MemoryNodeStore. Then `--batches` batches of `--batch` changes run back to back, each on top of
  the previous version with its nodes persisted, as the ledger does once per block. The mix is 45%
  updates of present keys, 45% inserts of new keys, 10% deletes of present keys.
- Update cost is CPU time (`time.process_time`) of `update()` alone, divided by the batch's number
  of changes; the table shows the median and the best batch. It excludes persisting the nodes,
  which is the ledger's LMDB write.
- get/prove are timed over random present and absent keys at the newest version; proof sizes are
  of the canonical encoding (`codec.encode`), which is what a client receives.
- After the fill the benchmark's own millions of objects are frozen out of the cyclic GC
  (`gc.freeze()`), so that full collections walking them are not charged to the tree.
- `--store lmdb` puts the nodes in a temporary LMDB database and reads them the way
  `ledger.storage.Storage.get_node` does (one read transaction per node), to show what the
  ledger's store adds.
- The machines are shared and their speed drifts by up to 2x within minutes, so the script also
  prints SHA-256 of 120 bytes measured in the same run as a yardstick.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Mapping
from typing import Any

import lmdb

from govledger.codec import encode
from govledger.crypto.smt import MemoryNodeStore, SparseMerkleTree, verify_proof

FILL_BATCH = 100_000


class LmdbNodeStore:
    """Nodes in LMDB, read like ledger.storage.Storage.get_node: a read transaction per node."""

    def __init__(self, path: str) -> None:
        self.env = lmdb.open(path, map_size=1 << 36, max_dbs=1, sync=False, metasync=False)
        self.db = self.env.open_db(b"nodes")

    def get_node(self, node_key: bytes) -> bytes | None:
        with self.env.begin(db=self.db) as txn:
            value: Any = txn.get(node_key)
            return None if value is None else bytes(value)

    def put_many(self, nodes: Mapping[bytes, bytes]) -> None:
        with self.env.begin(write=True, db=self.db) as txn:
            for k in sorted(nodes):  # all keys of one update share its version: they append
                txn.put(k, nodes[k], append=True)


def sha256_us() -> float:
    msg = b"\x5a" * 120
    n = 20_000
    return min(timeit.repeat(lambda: hashlib.sha256(msg).digest(), number=n, repeat=5)) / n * 1e6


def run(keys: int, batch: int, batches: int, seed: int, lmdb_dir: str | None) -> dict[str, float]:
    rnd = random.Random(seed)
    store: MemoryNodeStore | LmdbNodeStore = (
        MemoryNodeStore() if lmdb_dir is None else LmdbNodeStore(lmdb_dir)
    )
    tree = SparseMerkleTree(store)
    present = [rnd.randbytes(32) for _ in range(keys)]
    version: int | None = None
    started = time.perf_counter()
    for start in range(0, keys, FILL_BATCH):
        new = 0 if version is None else version + 1
        up = tree.update(version, new, {k: rnd.randbytes(32) for k in present[start : start + FILL_BATCH]})
        store.put_many(up.new_nodes)
        version = new
    fill_s = time.perf_counter() - started
    assert version is not None

    gc.collect()
    gc.freeze()
    costs: list[float] = []
    nodes = stored = 0
    changed = 0
    for _ in range(batches):
        changes: dict[bytes, bytes | None] = {}
        while len(changes) < batch:
            r = rnd.random()
            if r < 0.45:
                changes[rnd.choice(present)] = rnd.randbytes(32)
            elif r < 0.90:
                k = rnd.randbytes(32)
                present.append(k)
                changes[k] = rnd.randbytes(32)
            else:
                changes[rnd.choice(present)] = None
        cpu = time.process_time()
        up = tree.update(version, version + 1, changes)
        costs.append((time.process_time() - cpu) / len(changes) * 1e6)
        store.put_many(up.new_nodes)
        version += 1
        nodes += len(up.new_nodes)
        stored += sum(map(len, up.new_nodes.values()))
        changed += len(changes)

    # Reads at the newest version: half present keys, half absent ones.
    probes = [rnd.choice(present) for _ in range(1000)] + [rnd.randbytes(32) for _ in range(1000)]
    started = time.process_time()
    for k in probes:
        tree.get(k, version)
    get_us = (time.process_time() - started) / len(probes) * 1e6
    started = time.process_time()
    proofs = [tree.prove(k, version) for k in probes]
    prove_us = (time.process_time() - started) / len(probes) * 1e6
    root = tree.root_hash(version)
    values = [tree.get(k, version) for k in probes]
    started = time.process_time()
    ok = all(verify_proof(root, k, v, p) for k, v, p in zip(probes, values, proofs, strict=True))
    verify_us = (time.process_time() - started) / len(probes) * 1e6
    assert ok, "a proof did not verify"
    sizes = [len(encode(p)) for p in proofs]
    member = [s for s, v in zip(sizes, values, strict=True) if v is not None]
    absent = [s for s, v in zip(sizes, values, strict=True) if v is None]
    return {
        "keys": keys,
        "fill_s": fill_s,
        "us_median": statistics.median(costs),
        "us_min": min(costs),
        "nodes_per_change": nodes / changed,
        "bytes_per_change": stored / changed,
        "get_us": get_us,
        "prove_us": prove_us,
        "verify_us": verify_us,
        "proof_member": statistics.mean(member),
        "proof_absent": statistics.mean(absent),
        "proof_max": max(sizes),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keys", type=int, action="append", help="tree size, repeatable (default 1e4 1e5 1e6)")
    ap.add_argument("--batch", type=int, default=5000, help="changes per update (default 5000)")
    ap.add_argument("--batches", type=int, default=5, help="measured updates per size (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", choices=["memory", "lmdb"], default="memory")
    args = ap.parse_args()
    sizes = args.keys or [10_000, 100_000, 1_000_000]

    print(
        f"python {sys.version.split()[0]}, {args.store} store, batch {args.batch}, "
        f"{args.batches} batches per size",
        flush=True,
    )
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"yardstick: SHA-256 of 120 bytes = {sha256_us():.2f} µs (before); load average {load}", flush=True)
    head = (
        f"{'keys':>9} {'update µs/chg':>14} {'(best)':>7} {'nodes/chg':>9} {'bytes/chg':>9} "
        f"{'get µs':>7} {'prove µs':>8} {'verify µs':>9} {'proof B in/out/max':>19} {'fill s':>6}"
    )
    print(head)
    print("-" * len(head))
    for keys in sizes:
        if args.store == "lmdb":
            with tempfile.TemporaryDirectory(prefix="smt-bench-") as tmp:
                r = run(keys, args.batch, args.batches, args.seed, tmp)
        else:
            r = run(keys, args.batch, args.batches, args.seed, None)
        proof = f"{r['proof_member']:.0f}/{r['proof_absent']:.0f}/{r['proof_max']:.0f}"
        print(
            f"{keys:>9,} {r['us_median']:>14.1f} {r['us_min']:>7.1f} {r['nodes_per_change']:>9.2f} "
            f"{r['bytes_per_change']:>9.0f} {r['get_us']:>7.1f} {r['prove_us']:>8.1f} {r['verify_us']:>9.1f} "
            f"{proof:>19} {r['fill_s']:>6.1f}",
            flush=True,
        )
        gc.unfreeze()
        gc.collect()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"yardstick: SHA-256 of 120 bytes = {sha256_us():.2f} µs (after); load average {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
