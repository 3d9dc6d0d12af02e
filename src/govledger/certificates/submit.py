"""Submitting signed transactions through the SDK in batches and collecting their committed receipts.

`send(client, items)` signs every item at the current height, submits them with `POST /v1/txs/batch`
(10,000 at most per call, so larger lists go in several calls), then waits for each commit and
returns one `Outcome` per item, in order: the receipt's code, or the admission code for a
transaction the node refused. Items are independent: transactions whose checks depend on another
one's effect must go in a later call (admission pre-checks run against committed state).
`mempool.full` answers are retried after a short backoff.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.block import Receipt
from govledger.ledger.mempool import FULL_CODES
from govledger.sdk import Client

BATCH = 5_000
FULL_RETRIES = 8


@dataclass(frozen=True)
class Item:
    app: str
    op: str
    body: Record
    keys: tuple[SigningKey, ...]


@dataclass(frozen=True)
class Outcome:
    code: str
    message: str
    receipt: Receipt | None  # None when the node refused admission
    height: int = 0

    @property
    def ok(self) -> bool:
        return self.code == "ok"


def item(app: str, op: str, body: Record, *keys: SigningKey) -> Item:
    return Item(app, op, body, tuple(keys))


def send(client: Client, items: Sequence[Item], *, timeout_s: float = 60.0) -> list[Outcome]:
    out: list[Outcome] = []
    for start in range(0, len(items), BATCH):
        out.extend(_send_chunk(client, items[start : start + BATCH], timeout_s))
    return out


def _send_chunk(client: Client, items: Sequence[Item], timeout_s: float) -> list[Outcome]:
    builder = client.tx_builder()
    height = client.height()
    raws = [builder.raw(i.app, i.op, i.body, list(i.keys), current_height=height) for i in items]
    refused: dict[int, Outcome] = {}
    accepted: dict[int, str] = {}
    todo = list(range(len(raws)))
    for attempt in range(FULL_RETRIES + 1):
        results = client.submit_batch([raws[i] for i in todo])
        retry = []
        for i, r in zip(todo, results, strict=True):
            if r.ok or r.code in ("tx.duplicate", "tx.replay"):
                accepted[i] = r.tx_id
            elif r.code in FULL_CODES and attempt < FULL_RETRIES:
                retry.append(i)
            else:
                refused[i] = Outcome(r.code, r.message, None)
        if not retry:
            break
        todo = retry
        time.sleep(0.2 * 2**attempt)
    return _collect(client, len(raws), accepted, refused, height, timeout_s)


def _collect(
    client: Client,
    n: int,
    accepted: dict[int, str],
    refused: dict[int, Outcome],
    start: int,
    timeout_s: float,
) -> list[Outcome]:
    """Wait for the last accepted transaction, read the receipts of the blocks since `start`, and wait
    individually only for what they do not hold (one request per block instead of per transaction)."""
    found: dict[str, tuple[Receipt, int]] = {}
    if accepted:
        last = client.wait(accepted[max(accepted)], timeout_s)
        for h in range(start + 1, (last.height or start) + 1):
            for r in client.receipts(h).receipts:
                found[r.tx_id.hex()] = (r, h)
    outcomes: list[Outcome] = []
    for i in range(n):
        if i in refused:
            outcomes.append(refused[i])
            continue
        hit = found.get(accepted[i])
        if hit is None:
            status = client.wait(accepted[i], timeout_s)
            if status.receipt is None:
                raise GovledgerError(
                    "tx.no_receipt", f"transaction {accepted[i]} committed without a receipt"
                )
            hit = (status.receipt, status.height or 0)
        receipt, h = hit
        outcomes.append(Outcome(receipt.code, receipt.message, receipt, h))
    return outcomes


def require_ok(outcomes: Sequence[Outcome], *, allowed: frozenset[str] = frozenset()) -> None:
    """Raise the first failure whose code is not in `allowed` (codes meaning "already done")."""
    for o in outcomes:
        if not o.ok and o.code not in allowed:
            raise GovledgerError(o.code, o.message)
