"""Instructions per transaction outside the signature checks: a figure this noisy machine cannot move.

    .venv/bin/python -m benchmarks.instructions                     # this checkout
    .venv/bin/python -m benchmarks.instructions --src /tmp/old/src  # another tree (a git worktree)

Times on this shared 2-core machine swing by a third within minutes (the same one-thread profile
measured 150 and 234 µs per transaction a minute apart), so small changes to the node's own work
cannot be judged by time. Instruction counts can: `valgrind --tool=callgrind` counts the same total
for the same binary and input whatever else the machine is doing.

The workload is the headline one (`attest.record` through `Node.submit` in batches of 1,000 and
`Node.produce_block` in blocks of 5,000, durable LMDB commits), run twice in a child process under
callgrind, for 1,000 and for 6,000 transactions; the difference divided by 5,000 removes start-up and
imports. Signature checks are replaced by "valid" in the child: libsodium's verification is a fixed
cost measured by the `make bench` baselines, and leaving it in would drown what this measures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from govledger.codec import Record, decode, encode
from govledger.crypto.signatures import Scheme, SigningKey

SMALL, LARGE = 1_000, 6_000
BATCH, BLOCK = 1_000, 5_000
# A fixed, throwaway validator seed: parent and child must agree on genesis; it signs nothing real.
VALIDATOR_SEED = bytes(range(32))


class Workload(Record, frozen=True):
    genesis: bytes
    raws: list[bytes]


def _validator() -> SigningKey:
    return SigningKey.from_private_bytes(Scheme.ED25519, VALIDATOR_SEED)


def prepare(path: Path, count: int = LARGE) -> None:
    """Write the genesis and `count` pre-signed transactions the child replays."""
    from govledger.node.loadgen import AttestWorkload

    load = AttestWorkload()
    setup, raws = load.prepare(count)
    assert not setup, "the attest workload needs no set-up"
    path.write_bytes(encode(Workload(genesis=load.genesis(_validator()), raws=raws)))


def run_workload(path: Path, count: int) -> None:
    """The measured work (the child's body): admit and commit `count` transactions, every one ok."""
    from govledger.crypto import signatures
    from govledger.ledger import storage

    def all_valid(self: signatures.BatchVerifier, items: Sequence[object]) -> list[bool]:
        return [True] * len(items)

    # Patched for this call only: the tests run it in their own process.
    verify_many, map_size = signatures.BatchVerifier.verify_many, storage.MAP_SIZE_BYTES
    signatures.BatchVerifier.verify_many = all_valid  # type: ignore[method-assign]
    storage.MAP_SIZE_BYTES = 1 << 30  # valgrind cannot reserve the node's 1 TiB of address space
    try:
        _commit_all(path, count)
    finally:
        signatures.BatchVerifier.verify_many = verify_many  # type: ignore[method-assign]
        storage.MAP_SIZE_BYTES = map_size


def _commit_all(path: Path, count: int) -> None:
    from govledger.node.devnet import init_chain
    from govledger.node.node import Node, NodeConfig

    work = decode(path.read_bytes(), Workload, max_bytes=1 << 30)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        init_chain(root, work.genesis)
        node = Node(NodeConfig(data_dir=root, verify_threads=1, max_block_txs=BLOCK), _validator())
        try:
            raws = work.raws[:count]
            for i in range(0, count, BATCH):
                refused = [r for r in node.submit(raws[i : i + BATCH]) if not r.ok]
                if refused:
                    raise RuntimeError(f"refused at admission: {refused[0].code}")
                if len(node.mempool) >= BLOCK:
                    node.produce_block()
            while len(node.mempool):
                node.produce_block()
            if node.stats["txs"] != count or node.stats["failed_txs"]:
                raise RuntimeError(f"expected {count} ok transactions, got {node.stats}")
        finally:
            node.stop()


def _instructions(src: Path, data: Path, count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path(__file__).resolve().parent.parent}"}
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "benchmarks.instructions",
                "--child",
                str(count),
                "--data",
                str(data),
            ],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no instruction total")


def per_tx(src: Path, data: Path) -> float:
    return (_instructions(src, data, LARGE) - _instructions(src, data, SMALL)) / (LARGE - SMALL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", action="append", type=Path, help="a src/ tree to measure (repeatable)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        run_workload(args.data, args.child)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian package valgrind)", file=sys.stderr)
        return 2
    srcs = args.src or [Path(__file__).resolve().parent.parent / "src"]
    missing = [str(src) for src in srcs if not (src / "govledger" / "__init__.py").is_file()]
    if missing:
        print(f"not a src/ tree holding govledger: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "workload.msgpack"
        prepare(data)
        for src in srcs:
            print(
                f"{per_tx(src, data):,.0f} instructions per tx outside signature checks  ({src})", flush=True
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
