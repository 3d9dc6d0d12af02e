"""`govledger verify-chain`: re-check a data directory offline, from genesis, trusting nothing stored.

1. The stored genesis document equals `<home>/genesis.json`, and block 0 recomputed from it equals the
   stored block 0.
2. Every block is replayed on a fresh chain in a temporary directory: its parent hash, its commit
   against the validator set the *replayed* state names (`commit_problem`), and `Chain.execute_block`
   (every envelope, signature and root); the stored receipts must equal the recomputed ones.
3. Finally every stored table (blocks, commits, receipts, tx index, state, history, tree nodes,
   subjects, validator sets) must equal the replayed one, so a flipped byte anywhere is found and
   attributed to the height that wrote it.
The first bad height is reported (exit 1); a good chain gives a one-line summary (exit 0).
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from govledger.apps import registry
from govledger.cli.common import err_console, state_of
from govledger.crypto.signatures import BatchVerifier
from govledger.errors import GovledgerError
from govledger.ledger.block import commit_problem
from govledger.ledger.chain import Chain
from govledger.ledger.state import split_state_key
from govledger.ledger.storage import DATABASES, Storage

_BE64 = struct.Struct(">Q")
Row = tuple[bytes, bytes]
MAX_REPORTED_DIFFS = 10_000


class ChainInvalid(Exception):
    def __init__(self, height: int, reason: str) -> None:
        super().__init__(f"height {height}: {reason}")
        self.height = height
        self.reason = reason


@dataclass(frozen=True)
class VerifySummary:
    chain_id: str
    tip: int
    txs: int
    state_root: bytes

    def line(self) -> str:
        return (
            f"ok: chain {self.chain_id} verified from genesis to height {self.tip} "
            f"({self.tip + 1} blocks, {self.txs} transactions); state root {self.state_root.hex()}"
        )


def verify_chain(home: Path, on_block: Callable[[int, int], None] | None = None) -> VerifySummary:
    """Verify `home`'s chain data; raise ChainInvalid naming the first bad height."""
    chain_dir = home / "chain"
    genesis_path = home / "genesis.json"
    if not (chain_dir / "data.mdb").exists():
        raise GovledgerError("chain.not_found", f"no chain data in {chain_dir}")
    try:
        genesis = genesis_path.read_bytes()
    except OSError as exc:
        raise GovledgerError("genesis.unreadable", f"cannot read {genesis_path}: {exc.strerror}") from None
    stored = Storage(chain_dir, readonly=True)
    try:
        with tempfile.TemporaryDirectory(prefix="govledger-verify-") as tmp:
            fresh = Storage(Path(tmp) / "chain", sync=False)
            try:
                return _verify(stored, fresh, genesis, on_block)
            finally:
                fresh.close()
    finally:
        stored.close()


def _verify(
    stored: Storage, fresh: Storage, genesis: bytes, on_block: Callable[[int, int], None] | None
) -> VerifySummary:
    tip = stored.height()
    if tip < 0:
        raise ChainInvalid(0, "the data directory holds no blocks")
    if stored.genesis_bytes() != genesis:
        raise ChainInvalid(0, "the stored genesis document differs from genesis.json")
    try:
        Chain.initialise(fresh, genesis, registry.apps())
    except GovledgerError as exc:
        raise ChainInvalid(0, f"genesis.json does not initialise a chain: {exc.message}") from None
    if stored.block_bytes(0) != fresh.block_bytes(0):
        raise ChainInvalid(0, "block 0 differs from the one recomputed from genesis.json")
    verifier = BatchVerifier(threads=2)
    chain = Chain(fresh, registry.apps(), registry.authority(), verifier)
    txs = 0
    try:
        for h in range(1, tip + 1):
            try:
                txs += _replay_block(stored, chain, h)
            except ChainInvalid as bad:
                earlier = [d for d in _table_diffs(stored, fresh) if d.height < bad.height]
                raise min(earlier, key=lambda d: d.height, default=bad) from None
            if on_block is not None:
                on_block(h, tip)
    finally:
        verifier.close()
    diffs = _table_diffs(stored, fresh)
    if diffs:
        raise min(diffs, key=lambda d: d.height)
    return VerifySummary(chain_id=chain.chain_id, tip=tip, txs=txs, state_root=chain.tip.state_root)


def _replay_block(stored: Storage, chain: Chain, h: int) -> int:
    try:
        block = stored.block(h)
        commit = stored.commit(h)
        receipts = stored.receipts(h)
    except GovledgerError as exc:
        raise ChainInvalid(h, f"stored data does not decode: {exc.message}") from None
    if block is None or receipts is None:
        raise ChainInvalid(h, "the block or its receipts are missing")
    if block.header.height != h:
        raise ChainInvalid(h, f"the stored block says height {block.header.height}")
    if block.header.prev_hash != chain.tip.hash():
        raise ChainInvalid(h, "prev_hash does not match the hash of the block before it")
    if commit is None:
        raise ChainInvalid(h, "the block has no commit")
    problem = commit_problem(commit, block.header, chain.validator_set(h))
    if problem is not None:
        raise ChainInvalid(h, f"commit does not certify the block: {problem}")
    try:
        pending = chain.execute_block(block)
    except GovledgerError as exc:
        raise ChainInvalid(h, f"re-execution failed: {exc.message}") from None
    if pending.receipts != receipts:
        first = next(
            (i for i, (a, b) in enumerate(zip(receipts, pending.receipts, strict=False)) if a != b),
            min(len(receipts), len(pending.receipts)),
        )
        raise ChainInvalid(h, f"stored receipt {first} differs from the re-executed one")
    chain.commit(pending, commit)
    return len(block.txs)


# --- table-by-table comparison ----------------------------------------------------------------------


def _walk(storage: Storage, name: str) -> Iterator[tuple[bytes, bytes]]:
    yield from storage.iter_table(name)


def _merged(a: Iterator[Row], b: Iterator[Row]) -> Iterator[tuple[bytes, bytes | None, bytes | None]]:
    """(key, value in a or None, value in b or None) for every key whose values differ."""
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and x[0] < y[0]):
            assert x is not None
            yield x[0], x[1], None
            x = next(a, None)
        elif x is None or y[0] < x[0]:
            yield y[0], None, y[1]
            y = next(b, None)
        else:
            if x[1] != y[1]:
                yield x[0], x[1], y[1]
            x, y = next(a, None), next(b, None)


def _last_write(storage: Storage, full_key: bytes) -> int:
    return storage.last_write_height(full_key)


def _describe_key(full_key: bytes) -> str:
    app, key = split_state_key(full_key)
    shown = key.decode() if key.isascii() and key.decode().isprintable() else key.hex()
    return f"{app}/{shown}"


def _height_of(
    table: str, key: bytes, a: bytes | None, b: bytes | None, stored: Storage, fresh: Storage
) -> int:
    if table in ("blocks", "commits", "receipts", "nodes"):
        return int(_BE64.unpack(key[:8])[0])
    if table == "history":
        return int(_BE64.unpack(key[-8:])[0])
    if table == "subjects":
        return int(_BE64.unpack(key[-12:-4])[0])
    if table == "txindex":
        return int(_BE64.unpack((a or b or bytes(8))[:8])[0])
    if table == "state":
        return max(_last_write(stored, key), _last_write(fresh, key))
    if table == "meta" and key == b"genesis":
        return 0
    return stored.height()


def _table_diffs(stored: Storage, fresh: Storage) -> list[ChainInvalid]:
    out: list[ChainInvalid] = []
    for table in DATABASES:
        for key, a, b in _merged(_walk(stored, table), _walk(fresh, table)):
            if table == "meta" and key == b"height":
                continue  # differs legitimately while a replay stopped early
            h = _height_of(table, key, a, b, stored, fresh)
            what = f"state value of {_describe_key(key)}" if table == "state" else f"stored {table} entry"
            change = (
                "is missing"
                if a is None
                else "should not exist"
                if b is None
                else "differs from re-execution"
            )
            out.append(ChainInvalid(h, f"{what} {change}"))
            if len(out) >= MAX_REPORTED_DIFFS:
                return out
    return out


def command(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", help="Network home (default: the global --home)."),
) -> None:
    """Re-verify the whole chain offline from genesis.json: commits, re-execution, receipts, stored state."""
    target = home if home is not None else state_of(ctx).home
    with Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("blocks", total=None)

        def on_block(h: int, tip: int) -> None:
            progress.update(task, completed=h, total=tip)

        try:
            summary = verify_chain(target, on_block)
        except ChainInvalid as bad:
            progress.stop()
            typer.echo(f"error: chain.invalid: height {bad.height}: {bad.reason}", err=True)
            raise typer.Exit(1) from None
    typer.echo(summary.line())
