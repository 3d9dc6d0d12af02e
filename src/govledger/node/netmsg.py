"""What the node puts in the payload of each transport channel, and how it is decoded from a peer.

`net/` moves opaque frames on numbered channels (`net/channels.py`); this module gives each channel
its payload, always one canonical MessagePack record (`codec.encode`), decoded strictly
(`codec.decode`: unknown fields, wrong types and non-canonical bytes are refused) with a size bound
checked before any decoding work:

| channel     | payload                                   | bound                         |
|-------------|-------------------------------------------|-------------------------------|
| CONSENSUS   | `Proposal` / `Vote` / `CatchUp`            | value bytes max + 1 MiB       |
| STATUS      | `Status` (consensus position, ~1/s)        | 64 KiB                        |
| TXS         | `TxBatch` (raw signed transactions)        | `TX_BATCH_BYTES_MAX`          |
| BLOCKSYNC   | `BlockRequest` / `BlockResponse`           | `BLOCK_RESPONSE_BYTES_MAX` +  |
| EVIDENCE    | unused: evidence travels as a transaction (`governance.report_evidence`) through TXS |

A payload that fails to decode is dropped and counted by the caller; it never raises past
`decode_*`, because a peer's bytes are untrusted input, not a bug.
"""

from __future__ import annotations

from typing import Final

from govledger.codec import Record, decode, encode
from govledger.consensus.types import CatchUp, Proposal, Status, Vote
from govledger.errors import CodecError

__all__ = [
    "BLOCK_REQUEST_COUNT_MAX",
    "BLOCK_RESPONSE_BYTES_MAX",
    "TX_BATCH_BYTES_MAX",
    "TX_BATCH_TXS_MAX",
    "BlockRequest",
    "BlockResponse",
    "ConsensusMessage",
    "SyncedBlock",
    "TxBatch",
    "consensus_bytes_max",
    "decode_blocksync",
    "decode_consensus",
    "decode_status",
    "decode_tx_batch",
    "encode_tx_batches",
]

MIB: Final = 1 << 20
STATUS_BYTES_MAX: Final = 64 * 1024
"""A Status holds two bitmaps of at most 1,024 validators each: a few hundred bytes."""
TX_BATCH_BYTES_MAX: Final = 1 * MIB
"""Gossiped transaction batches are cut at this size, so one batch never delays consensus frames long."""
TX_BATCH_TXS_MAX: Final = 10_000
BLOCK_REQUEST_COUNT_MAX: Final = 64
BLOCK_RESPONSE_BYTES_MAX: Final = 8 * MIB
"""A response carries blocks up to this many bytes (always at least one block, even a larger one)."""
_BLOCK_RESPONSE_SLACK: Final = 9 * MIB
"""Decode bound for a response: its byte budget plus one maximal block (8 MiB value) and framing."""

ConsensusMessage = Proposal | Vote | CatchUp


class TxBatch(Record, frozen=True, tag="txs"):
    """Transactions admitted by the sender's mempool; the receiver admits them without re-gossip."""

    txs: list[bytes]


class BlockRequest(Record, frozen=True, tag="block_request"):
    """Ask for the committed blocks `start .. start + count - 1` with their commits."""

    start: int
    count: int


class SyncedBlock(Record, frozen=True):
    """A stored block and its commit, as the sender stored them (canonical `Block` and `Commit`)."""

    block: bytes
    commit: bytes


class BlockResponse(Record, frozen=True, tag="block_response"):
    """The blocks from `start` on that the sender holds (possibly fewer than asked, or none)."""

    start: int
    blocks: list[SyncedBlock]


BlockSyncMessage = BlockRequest | BlockResponse


def consensus_bytes_max(value_bytes_max: int) -> int:
    """A proposal or catch-up carries one value plus signatures and a commit; 1 MiB covers the rest."""
    return value_bytes_max + MIB


def decode_consensus(payload: bytes, value_bytes_max: int) -> ConsensusMessage | None:
    try:
        return decode(payload, ConsensusMessage, max_bytes=consensus_bytes_max(value_bytes_max))  # type: ignore[arg-type]
    except CodecError:
        return None


def decode_status(payload: bytes) -> Status | None:
    try:
        return decode(payload, Status, max_bytes=STATUS_BYTES_MAX)
    except CodecError:
        return None


def decode_tx_batch(payload: bytes) -> TxBatch | None:
    try:
        batch = decode(payload, TxBatch, max_bytes=TX_BATCH_BYTES_MAX + 64 * 1024)
    except CodecError:
        return None
    return batch if len(batch.txs) <= TX_BATCH_TXS_MAX else None


def decode_blocksync(payload: bytes) -> BlockRequest | BlockResponse | None:
    try:
        msg: BlockRequest | BlockResponse = decode(
            payload,
            BlockSyncMessage,  # type: ignore[arg-type]
            max_bytes=BLOCK_RESPONSE_BYTES_MAX + _BLOCK_RESPONSE_SLACK,
        )
    except CodecError:
        return None
    if isinstance(msg, BlockRequest) and not (msg.start >= 1 and 1 <= msg.count <= BLOCK_REQUEST_COUNT_MAX):
        return None
    return msg


def encode_tx_batches(raws: list[bytes]) -> list[bytes]:
    """Payloads of at most `TX_BATCH_BYTES_MAX` bytes (a single larger tx goes alone; txs are <= 64 KiB)."""
    out: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for raw in raws:
        if chunk and (size + len(raw) + 8 > TX_BATCH_BYTES_MAX or len(chunk) >= TX_BATCH_TXS_MAX):
            out.append(encode(TxBatch(chunk)))
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw) + 8  # msgpack bin header
    if chunk:
        out.append(encode(TxBatch(chunk)))
    return out
