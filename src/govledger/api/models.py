"""Response bodies of the REST API that are not ledger Records, shared by the server and the SDK.

Ledger Records (`Header`, `Receipt`, `StateProof`, ...) travel as msgspec renders them (bytes as
base64). These envelopes add what a URL-oriented client needs: transaction ids and hashes as hex.
They are plain msgspec Structs (unknown fields allowed) so that a newer server stays readable by an
older client. Nothing here imports FastAPI.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.ledger.block import Commit, Event, Header, Receipt, ValidatorSet

PENDING = "pending"
COMMITTED = "committed"


class ErrorBody(msgspec.Struct):
    code: str
    message: str


class ErrorEnvelope(msgspec.Struct):
    """Every non-2xx answer: `{"error": {"code": ..., "message": ...}}`."""

    error: ErrorBody


class SubmitResult(msgspec.Struct):
    """Admission outcome of one transaction; `code` is "ok" or a stable rejection code."""

    tx_id: str
    code: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == "ok"


class TxStatus(msgspec.Struct, omit_defaults=True):
    """A transaction as the node knows it: `pending` (in the mempool) or `committed` with its receipt."""

    tx_id: str
    status: str
    height: int | None = None
    index: int | None = None
    receipt: Receipt | None = None


class BlockInfo(msgspec.Struct, omit_defaults=True):
    height: int
    hash: str
    header: Header
    tx_ids: list[str]
    commit: Commit | None
    txs: list[bytes] | None = None


class BlockReceipts(msgspec.Struct):
    height: int
    receipts: list[Receipt]
    # events of the block's own rules (end_block: licence renewals, overdue returns), after the receipts'
    block_events: list[Event] = msgspec.field(default_factory=list)


class GenesisInfo(msgspec.Struct):
    """What a client trusts on first use: the chain id, block 0's hash and the genesis validator set."""

    chain_id: str
    genesis_hash: str
    validators: ValidatorSet
    document: msgspec.Raw


class Health(msgspec.Struct):
    status: str  # "ok", or "failed" when the node has stopped taking part (HTTP 503)
    chain_id: str
    height: int
    mempool_txs: int
    mempool_bytes: int
    last_block_time_ms: int
    last_block_age_ms: int
    reason: str = ""


class HistoryEntry(msgspec.Struct):
    """A transaction's events about the subject, or (`tx_id` None, `index` -1) the block's own rules'."""

    height: int
    index: int
    tx_id: str | None
    code: str
    events: list[Event]


class History(msgspec.Struct):
    app: str
    subject: str
    entries: list[HistoryEntry]


class EventMessage(msgspec.Struct):
    """One Server-Sent Event's data: a committed event, with the transaction that emitted it (if any)."""

    height: int
    tx_id: str | None
    app: str
    kind: str
    subject: str
    attributes: dict[str, Any]


class FieldInfo(msgspec.Struct, omit_defaults=True):
    name: str
    type: str
    required: bool
    default: Any = None


class OperationInfo(msgspec.Struct):
    name: str
    doc: str
    body: str
    fields: list[FieldInfo]
    schema: dict[str, Any]


class QueryInfo(msgspec.Struct):
    name: str
    doc: str
    params: str
    fields: list[FieldInfo]


class AppInfo(msgspec.Struct):
    name: str
    doc: str
    operations: list[OperationInfo]
    queries: list[QueryInfo]
