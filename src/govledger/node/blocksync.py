"""Block sync: how a node that fell behind fetches committed blocks from its peers, and serves them.

Theory of operation
===================

Consensus can only help a node that is at most one height behind (a peer answers its Status with a
`CatchUp` for that height). A node further behind (it was down, partitioned, stopped, or is new)
switches to block sync, as CometBFT's blocksync reactor does:

1. Every peer's Status tells us its working height, hence its stored tip (`height - 1`).
   `BlockSyncer.behind(my_tip)` is true when some peer's tip is more than one block ahead of ours
   (status height > ours + 1).
2. `requests(my_tip, now)` hands out windows of at most `window_blocks` heights to peers known to
   hold them, round robin, at most `requests_max` windows in flight, each with a deadline
   (`request_timeout_s`). A peer that misses its deadline, answers with nothing, or sends a block
   that fails verification is skipped (its tip is forgotten until its next Status).
3. Responses are buffered by height (bounded: `requests_max` windows of at most
   `BLOCK_RESPONSE_BYTES_MAX` bytes each) and handed out strictly in height order by
   `next_block(my_tip)`. The caller (the node's core thread) verifies each one before it commits
   it: the header's height and parent, the commit against the validator set of that height
   (`ledger.block.commit_problem` with `chain.validator_set(h)`), and full re-execution
   (`Chain.execute_block`, which recomputes every root and checks every transaction signature).
   A block that fails is reported with `reject(height)`; it is never committed.
4. When no peer is more than one block ahead and nothing is in flight, `behind` turns false and the
   node restarts consensus at its new height.

Trust: nothing a peer sends is believed before it is verified against the chain we already hold,
so a malicious peer can slow sync down (bounded by deadlines) but cannot make us commit a block
that more than 2/3 of that height's validators did not sign and that does not re-execute.

This module is pure bookkeeping (no I/O, clock passed in); `serve_blocks` reads the block store.
Threading: a `BlockSyncer` belongs to the node's core thread and is not locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from govledger.codec import encode
from govledger.ledger.storage import Storage
from govledger.node.netmsg import (
    BLOCK_REQUEST_COUNT_MAX,
    BLOCK_RESPONSE_BYTES_MAX,
    BlockRequest,
    BlockResponse,
    SyncedBlock,
)

__all__ = ["BlockSyncer", "SyncConfig", "serve_blocks"]

PEERS_TRACKED_MAX: Final = 1024


@dataclass(frozen=True, slots=True)
class SyncConfig:
    window_blocks: int = 16
    """Heights per request; a response may carry fewer (byte budget)."""
    requests_max: int = 4
    """Windows in flight at once; also bounds the response buffer."""
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        assert 1 <= self.window_blocks <= BLOCK_REQUEST_COUNT_MAX
        assert self.requests_max >= 1 and self.request_timeout_s > 0


@dataclass(slots=True)
class _Inflight:
    peer: bytes
    start: int
    count: int
    deadline: float


class BlockSyncer:
    """Which blocks to ask whom for, and the received ones waiting for their turn. See module docstring."""

    def __init__(self, config: SyncConfig | None = None) -> None:
        self.config = config or SyncConfig()
        self._tips: dict[bytes, int] = {}
        self._inflight: list[_Inflight] = []
        self._received: dict[int, tuple[bytes, SyncedBlock]] = {}
        self._turn = 0
        self.stats: dict[str, int] = {}

    # --- what peers tell us ---------------------------------------------------------------------

    def note_tip(self, peer: bytes, tip: int) -> None:
        """`peer` has committed up to `tip` (its Status height - 1)."""
        if peer not in self._tips and len(self._tips) >= PEERS_TRACKED_MAX:
            return
        self._tips[peer] = tip

    def forget_peer(self, peer: bytes) -> None:
        """The peer disconnected or misbehaved: ask it for nothing until its next Status."""
        self._tips.pop(peer, None)
        self._inflight = [r for r in self._inflight if r.peer != peer]

    def target(self) -> int:
        """The highest tip any peer reported (-1 if none)."""
        return max(self._tips.values(), default=-1)

    def behind(self, my_tip: int) -> bool:
        """Some peer is more than one block ahead, or blocks we asked for are still on their way."""
        return self.target() > my_tip + 1 or bool(self._inflight) or self._has_next(my_tip)

    # --- requests -------------------------------------------------------------------------------

    def requests(self, my_tip: int, now: float) -> list[tuple[bytes, BlockRequest]]:
        """New requests to send (peer, request); also expires overdue ones."""
        self._expire(now)
        self._drop_below(my_tip)
        out: list[tuple[bytes, BlockRequest]] = []
        cfg = self.config
        while len(self._inflight) < cfg.requests_max:
            start = self._first_uncovered(my_tip)
            if start is None:
                break
            peer = self._pick_peer(start)
            if peer is None:
                break
            count = min(cfg.window_blocks, self._tips[peer] - start + 1, self._gap_length(start))
            self._inflight.append(_Inflight(peer, start, count, now + cfg.request_timeout_s))
            out.append((peer, BlockRequest(start, count)))
            self._count("requests")
        return out

    def _expire(self, now: float) -> None:
        late = [r for r in self._inflight if r.deadline <= now]
        for r in late:
            self._count("timeouts")
            self.forget_peer(r.peer)

    def _drop_below(self, my_tip: int) -> None:
        for h in [h for h in self._received if h <= my_tip]:
            del self._received[h]
        self._inflight = [r for r in self._inflight if r.start + r.count - 1 > my_tip]

    def _covered(self, h: int) -> bool:
        return h in self._received or any(r.start <= h < r.start + r.count for r in self._inflight)

    def _first_uncovered(self, my_tip: int) -> int | None:
        horizon = my_tip + 1 + self.config.requests_max * self.config.window_blocks
        for h in range(my_tip + 1, min(self.target(), horizon - 1) + 1):
            if not self._covered(h):
                return h
        return None

    def _gap_length(self, start: int) -> int:
        n = 0
        while n < self.config.window_blocks and not self._covered(start + n):
            n += 1
        return max(n, 1)

    def _pick_peer(self, start: int) -> bytes | None:
        busy = {r.peer for r in self._inflight}
        holders = sorted(p for p, tip in self._tips.items() if tip >= start)
        if not holders:
            return None
        idle = [p for p in holders if p not in busy] or holders
        self._turn = (self._turn + 1) % len(idle)
        return idle[self._turn]

    # --- responses ------------------------------------------------------------------------------

    def on_response(self, peer: bytes, response: BlockResponse) -> None:
        """Buffer the blocks of a response to a request we made (anything else is ignored)."""
        match = next((r for r in self._inflight if r.peer == peer and r.start == response.start), None)
        if match is None:
            self._count("unsolicited")
            return
        self._inflight.remove(match)
        blocks = response.blocks[: match.count]
        if not blocks:
            self._count("empty")
            self.forget_peer(peer)  # it does not have what its Status claimed: ask others
            return
        for i, block in enumerate(blocks):
            self._received.setdefault(response.start + i, (peer, block))
        self._count("blocks_received", len(blocks))

    def _has_next(self, my_tip: int) -> bool:
        return my_tip + 1 in self._received

    def next_block(self, my_tip: int) -> tuple[bytes, SyncedBlock] | None:
        """The received block for `my_tip + 1` and the peer that sent it, if it is here."""
        self._drop_below(my_tip)
        return self._received.pop(my_tip + 1, None)

    def reject(self, height: int, peer: bytes) -> None:
        """The block for `height` from `peer` failed verification: discard what it sent, skip it."""
        self._count("rejected")
        for h in [h for h, (p, _) in self._received.items() if p == peer or h == height]:
            del self._received[h]
        self.forget_peer(peer)

    def peers(self) -> Iterable[bytes]:
        return self._tips.keys()

    def _count(self, what: str, n: int = 1) -> None:
        self.stats[what] = self.stats.get(what, 0) + n


def serve_blocks(storage: Storage, request: BlockRequest) -> BlockResponse:
    """The stored blocks (with commits) from `request.start`, up to `BLOCK_RESPONSE_BYTES_MAX` bytes.

    Stops at the first height we do not hold. Always includes the first block if we hold it, so a
    block larger than the budget still travels (alone).
    """
    out: list[SyncedBlock] = []
    total = 0
    count = min(request.count, BLOCK_REQUEST_COUNT_MAX)
    for h in range(request.start, request.start + count):
        block = storage.block_bytes(h)
        commit = storage.commit(h)
        if block is None or commit is None:
            break
        item = SyncedBlock(block, encode(commit))
        size = len(item.block) + len(item.commit)
        if out and total + size > BLOCK_RESPONSE_BYTES_MAX:
            break
        out.append(item)
        total += size
    return BlockResponse(request.start, out)
