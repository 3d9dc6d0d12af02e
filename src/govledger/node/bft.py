"""`BftNode`: a validator (or full node) of a Byzantine-fault-tolerant network of govledger nodes.

It keeps the facade of the single-validator `Node` (`submit`, `add_listener`, `chain`, `storage`,
`mempool`, `stats`, `start`, `stop`), so the REST API and the CLI run on it unchanged, and replaces
solo block production with the Tendermint core (`consensus/core.py`) driven over the authenticated
transport (`net/peers.py`).

Theory of operation
===================

Ordering. Each height runs Algorithm 1 in `ConsensusCore`. The node plugs the ledger into its ports:

- `get_value(h, r)` builds a block from the mempool *without removing* the transactions
  (`Mempool.peek`): a round that fails must not lose them. The block is executed once while it is
  built and the result (`PendingBlock`) is cached by header hash.
- `validate(h, v)` decodes the block strictly and re-executes it against our tip
  (`Chain.execute_block`: parent, time, every envelope and signature, every root; a transaction
  whose exact bytes the mempool already admitted is not decoded or signature-checked twice); the result is
  cached by header hash, so a decided block is executed exactly once here.
- `value_hash(v)` is the block's header hash, so the ledger commit's `block_hash` is the header hash
  and the decision's precommits are, unchanged, the ledger's `CommitSig`s.
- On `Decide` the cached block is committed with the 2f+1 precommits (one LMDB transaction), its
  transactions leave the mempool, listeners are told, the proposer state advances
  (`ProposerState.next_height` with the set of h+1, persisted per height), and the next height starts.

Starting a height. After a decision the node waits `commit_wait_ms`, then starts h+1 as soon as it
has something to do: transactions in its mempool, a consensus message for h+1 from a peer, or
`empty_block_interval_ms` since the last block (heartbeat blocks; 0 disables them). These are
liveness choices only; safety never depends on when a height starts.

Gossip. Own proposals and votes are broadcast when the core emits them (already signed by the
privval and fsynced to the WAL). Lost messages are recovered by Status gossip: every
`gossip_interval_ms` each node broadcasts `core.status()`; a node answers a peer's Status with
`CatchUp(commit, block)` from its store if the peer is one height behind, else with
`core.messages_for_peer(status)` (answers are rate-limited per peer). Transactions: see `gossip.py`.

Block sync. A peer whose Status is more than one height ahead of ours puts the node in sync mode
(`blocksync.py`): consensus inputs are set aside, windows of blocks are fetched, each block's commit
is checked against the validator set of its height and the block is re-executed before it is
committed; then consensus restarts at the new height.

Evidence. `EvidenceFound` becomes a `governance.report_evidence` transaction signed by this node's
key, admitted into the mempool and gossiped like any other; the governance app verifies both vote
signatures against the set of the evidence's height and records it once.

Threading model
===============

- `bft-net`: an asyncio event loop owning the `PeerManager` (TLS links), timers (`call_later`) and
  frame decoding. It never runs ledger or consensus code; it turns frames into inbox items.
- `bft-core`: the only thread that touches the `ConsensusCore`, the block cache, the block syncer and
  chain writes. It takes items from one inbox (bounded: items from the network beyond `inbox_max`
  are dropped and counted; timers and control items are never dropped) and handles them one at a
  time, so the core is fed serially and block execution (the slow part) never blocks the loop.
- `bft-txin`: admits gossiped transaction batches (signature checks release the GIL).
- `bft-serve`: reads blocks from storage for peers' block-sync requests (bounded outstanding).
- API threads call `submit` (mempool admission is thread-safe) and read `chain`/`storage`.
Listeners run on `bft-core` after each commit and must not block (as with `Node`).

Crash safety: LMDB commits a block atomically; the WAL (fsync before any own message leaves) and the
privval (fsync before a signature is released) make a restart re-derive the same round state
(`on_start(h, ..., replay=wal.replay(h))` with h = stored height + 1) without ever double signing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from govledger.codec import Record, decode, decode_trusted, encode, sha256
from govledger.consensus.core import (
    Broadcast,
    ConsensusCore,
    CoreConfig,
    CorePorts,
    Decide,
    Effect,
    EvidenceFound,
    ScheduleTimeout,
    TimeoutConfig,
)
from govledger.consensus.privval import FilePrivValStore, PrivValidator
from govledger.consensus.proposer import ProposerState
from govledger.consensus.types import (
    CatchUp,
    DuplicateVoteEvidence,
    Proposal,
    Status,
    Timeout,
    Vote,
    VoteKind,
)
from govledger.consensus.types import Commit as ConsensusCommit
from govledger.consensus.types import Validator as ConsensusValidator
from govledger.consensus.types import ValidatorSet as ConsensusValidatorSet
from govledger.consensus.wal import FileWal
from govledger.crypto.signatures import PublicKey, SigningKey, verify
from govledger.errors import GovledgerError
from govledger.ledger import tx as txmod
from govledger.ledger.block import Block, Commit, CommitSig, Header, ValidatorSet, commit_problem
from govledger.ledger.chain import PendingBlock
from govledger.ledger.mempool import Admitted
from govledger.ledger.storage import MAX_BLOCK_BYTES
from govledger.net import channels
from govledger.net.framing import NetConfig
from govledger.net.identity import NodeIdentity
from govledger.net.peers import Address, PeerManager
from govledger.node.addressbook import PeerEntry
from govledger.node.blocksync import BlockSyncer, SyncConfig, serve_blocks
from govledger.node.gossip import TxIngress
from govledger.node.netmsg import (
    BlockRequest,
    BlockResponse,
    ConsensusMessage,
    SyncedBlock,
    decode_blocksync,
    decode_consensus,
    decode_status,
    decode_tx_batch,
    encode_tx_batches,
)
from govledger.node.node import CommittedBlock, Node, NodeConfig

__all__ = ["BftConfig", "BftNode", "consensus_set"]

log = logging.getLogger("govledger.bft")

T = TypeVar("T")

PENDING_BLOCKS_MAX: Final = 16
"""Executed candidate blocks kept for the current height (proposals of a few rounds)."""
REPORTED_EVIDENCE_MAX: Final = 4096
DEFERRED_TIMEOUTS_MAX: Final = 16
SERVES_OUTSTANDING_MAX: Final = 8
STOP_JOIN_S: Final = 30.0
BUILD_SHARE_OF_PROPOSE: Final = 0.3
"""A proposed block should take at most this share of timeoutPropose to execute (see _block_txs_max)."""
BLOCK_TXS_MIN: Final = 100
EXEC_SAMPLE_TXS_MIN: Final = 50
NET_START_S: Final = 10.0
REGOSSIP_TXS_MAX: Final = 10_000
REGOSSIP_BYTES_MAX: Final = 16 << 20
"""Per regossip check: the oldest pending transactions, bounded (the rest wait for the next check)."""


@dataclass(frozen=True)
class BftConfig:
    """The BFT-specific settings of a node (the ledger settings stay in `NodeConfig`)."""

    listen: Address = ("127.0.0.1", 0)
    peers: tuple[PeerEntry, ...] = ()
    """The address book (own entry ignored): pinned, allowed, dialed when the port is known."""
    validator: bool = True
    """False: a full node that follows consensus but never signs (`ConsensusCore(my_id=None)`)."""
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    commit_wait_ms: int = 0
    gossip_interval_ms: int = 1000
    tick_ms: int = 50
    status_answer_interval_ms: int = 100
    """Per peer: at most one Status answered per interval (answers can carry whole blocks)."""
    block_bytes_max: int = 4 << 20
    value_bytes_max: int = 8 << 20
    inbox_max: int = 20_000
    tx_ingress_batches_max: int = 256
    precheck_gossiped: bool = False
    """Pre-check (authorisation + the app's check) transactions gossiped by peers, not only those
    submitted here. Off: the submitting node pre-checked them and every peer is allow-listed; a peer
    gossiping junk costs block space (failed receipts), never safety. Signatures are always checked."""
    regossip_interval_ms: int = 10_000
    """A node that does not propose (a full node, or a validator outside the current set) sends the
    transactions still pending since its previous check (one check per interval) again to the
    validators: the first send may have reached none (none connected yet, an ingress queue full),
    and unlike a validator it will never put them in a block itself. Long enough that transactions
    merely queued behind a backlog are rarely sent twice."""
    resend_after_ms: int = 5000
    """A proposal or catch-up already sent to a peer on its live connection is not sent again for
    this long, even if the peer's (older) Status still says it lacks it."""
    sync: SyncConfig = field(default_factory=SyncConfig)
    sync_stall_s: float = 15.0
    """Sync mode with no block applied for this long gives up and resumes consensus."""
    net: NetConfig | None = None
    """Transport limits; None: defaults with the chain id as network name and short dial backoff."""

    def __post_init__(self) -> None:
        assert self.commit_wait_ms >= 0 and self.gossip_interval_ms > 0 and self.tick_ms > 0
        assert 0 < self.block_bytes_max < self.value_bytes_max
        assert self.inbox_max > 0 and self.sync_stall_s > 0


# --- inbox items (consumed by the core thread) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Msg:
    peer: bytes
    message: ConsensusMessage


@dataclass(frozen=True, slots=True)
class _PeerStatus:
    peer: bytes
    status: Status


@dataclass(frozen=True, slots=True)
class _Blocks:
    peer: bytes
    response: BlockResponse


@dataclass(frozen=True, slots=True)
class _TimeoutFired:
    timeout: Timeout


@dataclass(frozen=True, slots=True)
class _PeerUp:
    peer: bytes


@dataclass(frozen=True, slots=True)
class _PeerDown:
    peer: bytes


@dataclass(frozen=True, slots=True)
class _Tick:
    pass


@dataclass(frozen=True, slots=True)
class _Nudge:
    pass


@dataclass(frozen=True, slots=True)
class _Call:
    fn: Callable[[], Any]
    future: concurrent.futures.Future[Any]


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Item = _Msg | _PeerStatus | _Blocks | _TimeoutFired | _PeerUp | _PeerDown | _Tick | _Nudge | _Call | _Stop


class _Inbox:
    """FIFO of core inputs. Network items are bounded (dropped when full); internal ones never are."""

    def __init__(self, net_max: int) -> None:
        self._items: deque[tuple[bool, _Item]] = deque()
        self._net = 0
        self._net_max = net_max
        self._cv = threading.Condition()
        self.dropped = 0

    def put(self, item: _Item, *, net: bool = False) -> bool:
        with self._cv:
            if net:
                if self._net >= self._net_max:
                    self.dropped += 1
                    return False
                self._net += 1
            self._items.append((net, item))
            self._cv.notify()
        return True

    def get(self) -> _Item:
        with self._cv:
            while not self._items:
                self._cv.wait()
            net, item = self._items.popleft()
            if net:
                self._net -= 1
            return item

    def __len__(self) -> int:
        return len(self._items)


class _ProposerFile(Record, frozen=True):
    """The proposer state for `height` (= stored height + 1 when written)."""

    height: int
    state: ProposerState


class _HeaderOnly(msgspec.Struct):
    """A block decoded only as far as its header (the transactions stay raw bytes)."""

    header: Header
    txs: msgspec.Raw


def consensus_set(validators: ValidatorSet) -> ConsensusValidatorSet:
    """The ledger's validator set as the consensus core sees it: key ids and powers, by id."""
    return ConsensusValidatorSet.of(
        ConsensusValidator(v.public_key.key_id(), v.power) for v in validators.validators
    )


def header_hash_of(value: bytes) -> bytes:
    """id(v): the header hash of an encoded block, or SHA-256 of bytes that are not a block."""
    try:
        return msgspec.msgpack.decode(value, type=_HeaderOnly).header.hash()
    except (msgspec.DecodeError, msgspec.ValidationError):
        return sha256(b"govledger/not-a-block/v1\x00" + value)


class BftNode(Node):
    """A node of a BFT network. See the module docstring for how it works and its threads."""

    def __init__(self, config: NodeConfig, node_key: SigningKey, bft: BftConfig) -> None:
        if config.block_process:
            raise GovledgerError("node.bad_config", "a BFT node executes blocks on its consensus thread")
        super().__init__(config, node_key, require_validator=False)
        self.bft = bft
        self.node_id = node_key.public_key.key_id()
        self.identity = NodeIdentity(node_key)
        self.chain_id = self.chain.chain_id
        state_dir = config.data_dir / "bft"
        state_dir.mkdir(parents=True, exist_ok=True)
        self._state_dir = state_dir
        self.wal = FileWal(state_dir / "wal")
        if self.wal.recovery.problem is not None:
            log.warning("consensus WAL recovered with a cut tail: %s", self.wal.recovery)
        self.privval = PrivValidator(
            self.chain_id, self.node_id, node_key.sign, FilePrivValStore(state_dir / "privval.state")
        )
        self.core = ConsensusCore(
            CoreConfig(self.chain_id, timeouts=bft.timeouts, value_bytes_max=bft.value_bytes_max),
            self.node_id if bft.validator else None,
            CorePorts(
                sign=self.privval.sign,
                verify=self._verify_vote,
                get_value=self._get_value,
                validate=self._validate,
                wal=self.wal,
                value_hash=header_hash_of,
            ),
        )
        self.syncer = BlockSyncer(bft.sync)
        self._inbox = _Inbox(bft.inbox_max)
        self._ingress = TxIngress(self._admit_gossiped, bft.tx_ingress_batches_max)
        self._serve_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="bft-serve")
        self._serve_slots = threading.BoundedSemaphore(SERVES_OUTSTANDING_MAX)
        self._book = {p.key_id: p for p in bft.peers if p.key_id != self.node_id}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._core_thread: threading.Thread | None = None
        self.peers: PeerManager | None = None
        self._running = False
        self.failed: str | None = None
        # called once, on the core thread, when consensus stops (`node start` exits so a supervisor
        # restarts the process, which resumes from its WAL); must not block
        self.on_failure: Callable[[str], None] | None = None
        # core-thread state
        self._pending: OrderedDict[bytes, PendingBlock] = OrderedDict()
        self._pubkeys: dict[bytes, PublicKey] = {}
        self._cs_sets: dict[bytes, ConsensusValidatorSet] = {}
        self._proposer: ProposerState | None = None
        self._waiting_start: int | None = None
        self._decided_at = 0.0
        self._future_seen = False
        self._last_block_at = time.monotonic()
        self._height_started_at = time.monotonic()
        self._syncing = False
        self._sync_progress_at = 0.0
        self._deferred: list[Timeout] = []
        self._next_gossip = 0.0
        self._next_regossip = 0.0
        self._regossip_seen: set[bytes] = set()
        self._answered_at: dict[bytes, float] = {}
        # What went to which peer on its live connection: (kind, height, round, hash) -> when.
        self._sent: dict[bytes, dict[tuple[str, int, int, bytes], float]] = {}
        self._proposal_seen_at: dict[tuple[int, bytes], float] = {}
        self._reported: OrderedDict[tuple[bytes, int], None] = OrderedDict()
        self._tick_pending = False
        self._nudge_pending = False
        self._exec_ms_per_tx: float | None = None
        self.bft_stats: dict[str, int] = {}

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen, start dialing, start consensus at (stored height + 1). Returns once listening."""
        if self._running:
            raise RuntimeError("BftNode.start() called twice")
        self._running = True
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._loop_thread = threading.Thread(target=loop.run_forever, name="bft-net", daemon=True)
        self._loop_thread.start()
        asyncio.run_coroutine_threadsafe(self._net_start(), loop).result(NET_START_S)
        self._ingress.start()
        self._core_thread = threading.Thread(target=self._core_main, name="bft-core", daemon=True)
        self._core_thread.start()
        loop.call_soon_threadsafe(self._arm_tick)

    async def _net_start(self) -> None:
        net = self.bft.net or NetConfig(network=self.chain_id, dial_backoff_max_s=2.0)
        dial = {kid: (p.host, p.p2p_port) for kid, p in self._book.items() if p.p2p_port > 0}
        self.peers = PeerManager(
            self.identity,
            self.bft.listen,
            dial,
            self._book.__contains__,
            self._on_frame,
            self._on_peer_up,
            self._on_peer_down,
            peer_certificates=[p.certificate.encode() for p in self._book.values()],
            config=net,
        )
        await self.peers.start()

    def stop(self) -> None:
        """Stop consensus (the block being committed finishes), the transport, then storage."""
        if self._running:
            self._running = False
            self._inbox.put(_Stop())
            if self._core_thread is not None:
                self._core_thread.join(STOP_JOIN_S)
            self._ingress.stop()
            self._serve_pool.shutdown(wait=True, cancel_futures=True)
            loop = self._loop
            if loop is not None and self.peers is not None:
                try:
                    asyncio.run_coroutine_threadsafe(self.peers.stop(), loop).result(STOP_JOIN_S)
                except (concurrent.futures.TimeoutError, RuntimeError):
                    log.error("transport did not stop within %.0fs", STOP_JOIN_S)
            if loop is not None:
                loop.call_soon_threadsafe(loop.stop)
                if self._loop_thread is not None:
                    self._loop_thread.join(STOP_JOIN_S)
                loop.close()
        self.wal.close()
        super().stop()

    def produce_block(self, time_ms: int | None = None) -> CommittedBlock | None:
        raise GovledgerError("node.bft", "in a BFT network blocks are decided by consensus, not produced")

    # --- facade ----------------------------------------------------------------------------------

    def submit(self, raws: Sequence[bytes]) -> list[Admitted]:
        """Admit into the mempool and gossip what was admitted to every peer."""
        results = self.mempool.admit(raws)
        admitted = [bytes(raw) for raw, r in zip(raws, results, strict=True) if r.ok]
        if admitted:
            self._gossip_txs(admitted)
            self._nudge()
        return results

    @property
    def p2p_address(self) -> Address:
        assert self.peers is not None, "not started"
        return self.peers.listen_address

    def set_peer_addresses(self, addresses: Mapping[bytes, Address]) -> None:
        """Dial these peers (from the book) at these addresses, e.g. once in-process peers are bound."""
        wanted = {k: a for k, a in addresses.items() if k in self._book}
        loop, peers = self._loop, self.peers
        assert loop is not None and peers is not None, "not started"
        loop.call_soon_threadsafe(peers.set_peers, wanted)

    def inject(self, message: ConsensusMessage) -> None:
        """Feed a consensus message as if a peer had sent it (tests, tooling)."""
        self._inbox.put(_Msg(b"", message))

    def run_on_core(self, fn: Callable[[], T], timeout_s: float = 30.0) -> T:
        """Run `fn` on the core thread (where the core and the block cache live) and return its result."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._inbox.put(_Call(fn, future))
        return future.result(timeout_s)

    def network_status(self) -> dict[str, Any]:
        """A JSON-able snapshot for operators (`/v1/network/status`). Safe from any thread."""
        peers = self.peers
        connected = sorted(peers.connected()) if peers is not None else []
        net = peers.stats() if peers is not None else None
        core = self.core
        return {
            "node_id": self.node_id.hex(),
            "validator": self.bft.validator
            and self.node_id in self.chain.validator_set(self.chain.height + 1).by_id(),
            "height": self.chain.height,
            "consensus": {"height": core.height, "round": core.round, "step": int(core.step)},
            "syncing": self._syncing,
            "failed": self.failed,
            "peers": [p.hex() for p in connected],
            "peers_known": len(self._book),
            "inbox": len(self._inbox),
            "inbox_dropped": self._inbox.dropped,
            "txin_dropped_batches": self._ingress.dropped_batches,
            "stats": {**self.stats, **self.bft_stats},
            "core_stats": dict(core.stats),
            "sync_stats": dict(self.syncer.stats),
            "net": None
            if net is None
            else {
                "frames_out": sum(net.frames_out.values()),
                "bytes_out": sum(net.bytes_out.values()),
                "frames_in": sum(net.frames_in.values()),
                "bytes_in": sum(net.bytes_in.values()),
                "frames_out_by_channel": {channels.name(c): n for c, n in net.frames_out.items()},
                "bytes_out_by_channel": {channels.name(c): n for c, n in net.bytes_out.items()},
                "sends_dropped": net.sends_dropped,
                "disconnects": dict(net.disconnects),
            },
        }

    # --- transport callbacks (loop thread) ------------------------------------------------------------

    def _on_frame(self, peer: bytes, channel: int, payload: bytes) -> None:
        if channel == channels.CONSENSUS:
            msg = decode_consensus(payload, self.bft.value_bytes_max)
            if msg is None:
                self._count("bad_frames")
            else:
                self._inbox.put(_Msg(peer, msg), net=True)
        elif channel == channels.STATUS:
            status = decode_status(payload)
            if status is None:
                self._count("bad_frames")
            else:
                self._inbox.put(_PeerStatus(peer, status), net=True)
        elif channel == channels.TXS:
            batch = decode_tx_batch(payload)
            if batch is None:
                self._count("bad_frames")
            else:
                self._ingress.offer(batch.txs)
        elif channel == channels.BLOCKSYNC:
            sync_msg = decode_blocksync(payload)
            if isinstance(sync_msg, BlockRequest):
                self._serve(peer, sync_msg)
            elif isinstance(sync_msg, BlockResponse):
                self._inbox.put(_Blocks(peer, sync_msg), net=True)
            else:
                self._count("bad_frames")

    def _on_peer_up(self, peer: bytes) -> None:
        self._inbox.put(_PeerUp(peer), net=True)

    def _on_peer_down(self, peer: bytes, reason: str) -> None:
        self._inbox.put(_PeerDown(peer), net=True)

    def _serve(self, peer: bytes, request: BlockRequest) -> None:
        if not self._serve_slots.acquire(blocking=False):
            self._count("serve_dropped")
            return

        def work() -> None:
            try:
                response = serve_blocks(self.storage, request)
                self._send(peer, channels.BLOCKSYNC, encode(response))
            finally:
                self._serve_slots.release()

        try:
            self._serve_pool.submit(work)
        except RuntimeError:  # shutting down
            self._serve_slots.release()

    def _arm_tick(self) -> None:
        loop = self._loop
        if loop is None or not self._running:
            return
        if not self._tick_pending:
            self._tick_pending = True
            self._inbox.put(_Tick())
        loop.call_later(self.bft.tick_ms / 1000, self._arm_tick)

    # --- sending (any thread) -------------------------------------------------------------------------

    def _send(self, peer: bytes, channel: int, payload: bytes) -> None:
        peers = self.peers
        if peers is None or not self._running:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            peers.send_threadsafe(peer, channel, payload)

    def _broadcast(self, channel: int, payload: bytes) -> None:
        peers = self.peers
        if peers is None or not self._running:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            peers.broadcast_threadsafe(channel, payload)

    def _gossip_txs(self, raws: list[bytes]) -> None:
        for payload in encode_tx_batches(raws):
            self._broadcast(channels.TXS, payload)
        self._count("txs_gossiped", len(raws))

    def _admit_gossiped(self, raws: list[bytes]) -> int:
        results = self.mempool.admit(raws, precheck=self.bft.precheck_gossiped)
        ok = sum(1 for r in results if r.ok)
        if ok:
            self._nudge()
        return ok

    def _nudge(self) -> None:
        if self._waiting_start is not None and not self._nudge_pending:
            self._nudge_pending = True
            self._inbox.put(_Nudge())

    def _call_later(self, delay_s: float, item: _Item) -> None:
        loop = self._loop
        if loop is None or not self._running:
            return
        inbox = self._inbox

        def arm() -> None:
            loop.call_later(delay_s, inbox.put, item)

        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(arm)

    def _count(self, what: str, n: int = 1) -> None:
        self.bft_stats[what] = self.bft_stats.get(what, 0) + n

    # --- the core thread ------------------------------------------------------------------------------

    def _core_main(self) -> None:
        try:
            self._boot()
        except Exception as exc:
            self._fail(f"boot failed: {exc!r}")
        while True:
            item = self._inbox.get()
            if isinstance(item, _Stop):
                return
            if isinstance(item, _Call):
                self._run_call(item)
                continue
            if self.failed is not None:
                continue
            try:
                self._handle(item)
            except Exception as exc:
                # The state machine's invariants may no longer hold: stop taking part rather than risk
                # acting on a broken state. Storage is consistent (LMDB commits are atomic); a restart
                # recovers from the WAL.
                self._fail(f"{type(item).__name__} handling failed: {exc!r}")

    def _fail(self, why: str) -> None:
        log.critical("consensus stopped: %s", why, exc_info=True)
        self.failed = why
        if self.on_failure is not None:
            try:
                self.on_failure(why)
            except Exception:  # a broken hook must not hide the failure itself
                log.exception("on_failure hook failed")

    @staticmethod
    def _run_call(item: _Call) -> None:
        if not item.future.set_running_or_notify_cancel():
            return
        try:
            item.future.set_result(item.fn())
        except BaseException as exc:
            item.future.set_exception(exc)

    def _handle(self, item: _Item) -> None:
        if isinstance(item, _Msg):
            self._on_message(item.message)
        elif isinstance(item, _TimeoutFired):
            self._on_timeout(item.timeout)
        elif isinstance(item, _PeerStatus):
            self._on_status(item.peer, item.status)
        elif isinstance(item, _Blocks):
            self.syncer.on_response(item.peer, item.response)
            if self._syncing:
                self._sync_step()
        elif isinstance(item, _Tick):
            self._tick_pending = False
            self._on_tick()
        elif isinstance(item, _Nudge):
            self._nudge_pending = False
            self._maybe_start()
        elif isinstance(item, _PeerUp):
            self._send(item.peer, channels.STATUS, encode(self.core.status()))
        elif isinstance(item, _PeerDown):
            self.syncer.forget_peer(item.peer)
            self._answered_at.pop(item.peer, None)
            self._sent.pop(item.peer, None)  # a new connection starts from nothing sent

    def _boot(self) -> None:
        h = self.chain.height + 1
        self._proposer = self._proposer_state_for(h)
        self._start_height(h)

    def _start_height(self, h: int) -> None:
        assert h == self.chain.height + 1, "consensus must start at the height after the stored tip"
        assert self._proposer is not None and len(self._proposer.validators) > 0
        self._waiting_start = None
        self._pending.clear()
        self._pubkeys = {}
        for height in (h, h + 1):
            self._pubkeys.update(
                {k: v.public_key for k, v in self.chain.validator_set(height).by_id().items()}
            )
        self._height_started_at = time.monotonic()
        self._proposal_seen_at.clear()
        for sent in self._sent.values():
            for key in [k for k in sent if k[1] < h - 1]:
                del sent[key]
        self._apply_effects(self.core.on_start(h, self._proposer, replay=self.wal.replay(h)))

    def _on_message(self, message: ConsensusMessage) -> None:
        if self._syncing:
            self._count("dropped_while_syncing")
            return
        core = self.core
        if self._waiting_start is not None and message.height == core.height + 1:
            self._future_seen = True  # someone started the next height: so do we (after commit wait)
        if isinstance(message, Proposal):
            if message.height == core.height and len(self._proposal_seen_at) < 64:
                self._proposal_seen_at.setdefault((message.round, message.value_hash), time.monotonic())
            self._apply_effects(core.on_proposal(message))
        elif isinstance(message, Vote):
            self._apply_effects(core.on_vote(message))
        else:
            self._apply_effects(core.on_catchup(message))
        if self._future_seen:
            self._maybe_start()

    def _on_timeout(self, timeout: Timeout) -> None:
        if self._syncing:
            # Kept, not dropped: if sync ends without moving the height, the core still needs it.
            self._deferred = [*self._deferred, timeout][-DEFERRED_TIMEOUTS_MAX:]
            return
        self._apply_effects(self.core.on_timeout(timeout))

    def _apply_effects(self, effects: list[Effect]) -> None:
        decided = False
        for e in effects:
            if isinstance(e, Broadcast):
                self._broadcast(channels.CONSENSUS, encode(e.message))
                self._count("consensus_broadcasts")
                if isinstance(e.message, Proposal) and self.peers is not None:
                    m = e.message
                    for peer in self.peers.connected():
                        self._mark_sent(peer, ("proposal", m.height, m.round, m.value_hash))
            elif isinstance(e, ScheduleTimeout):
                self._call_later(e.duration_ms / 1000, _TimeoutFired(e.timeout))
            elif isinstance(e, Decide):
                self._on_decide(e)
                decided = True
            elif isinstance(e, EvidenceFound):
                self._on_evidence(e.evidence)
        if decided:
            self._maybe_start()  # after the rest of this batch of effects, which is of the old height

    # --- ports (called by the core, on the core thread) ----------------------------------------------

    def _verify_vote(self, validator: bytes, message: bytes, signature: bytes) -> bool:
        key = self._pubkeys.get(validator)
        return key is not None and verify(key, message, signature)

    def _block_txs_max(self) -> int:
        """How many transactions to propose: what this node executes in a share of timeoutPropose.

        A block that takes longer to build (and, on the other validators, to check) than the propose
        timeout makes every validator prevote nil and the round fails, again and again. Sizing
        blocks by the measured execution rate keeps rounds inside their timeouts under any load.
        """
        rate = self._exec_ms_per_tx
        if rate is None:
            return self.config.max_block_txs
        budget_ms = self.bft.timeouts.propose_base_ms * BUILD_SHARE_OF_PROPOSE
        return max(BLOCK_TXS_MIN, min(self.config.max_block_txs, int(budget_ms / rate)))

    def _note_exec(self, txs: int, started: float) -> None:
        if txs >= EXEC_SAMPLE_TXS_MIN:
            ms_per_tx = (time.perf_counter() - started) * 1000 / txs
            old = self._exec_ms_per_tx
            self._exec_ms_per_tx = ms_per_tx if old is None else 0.7 * old + 0.3 * ms_per_tx

    def _get_value(self, height: int, round_: int) -> bytes:
        assert height == self.chain.height + 1
        candidates = self.mempool.peek(self._block_txs_max(), self.bft.block_bytes_max)
        now_ms = int(time.time() * 1000)
        started = time.perf_counter()
        pending = self.chain.build_block(candidates, now_ms, self.node_id)
        self._note_exec(len(candidates), started)
        if pending.dropped:  # expired or already committed: they can never enter a block
            self.mempool.remove([tid for tid, _ in pending.dropped])
        self._cache(pending.header.hash(), pending)
        self._count("blocks_built")
        return pending.block_bytes

    def _validate(self, height: int, value: bytes) -> bool:
        if height != self.chain.height + 1:
            # Only a stale core asks (block sync moved the tip): the stored block is the valid one.
            stored = self.storage.block_bytes(height) if height <= self.chain.height else None
            return stored is not None and header_hash_of(stored) == header_hash_of(value)
        value_hash = header_hash_of(value)
        if value_hash in self._pending:
            return True
        try:
            block = decode(value, Block, max_bytes=self.bft.value_bytes_max)
            header = block.header
            if header.chain_id != self.chain_id or header.height != height:
                return False
            if header.proposer not in self.chain.validator_set(height).by_id():
                return False
            started = time.perf_counter()
            pending = self.chain.execute_block(block, admitted=self.mempool.admitted)
            self._note_exec(len(block.txs), started)
        except GovledgerError as exc:
            log.warning("refusing block %d %s: %s", height, value_hash.hex()[:12], exc.message)
            self._count("blocks_refused")
            return False
        self._cache(value_hash, pending)
        self._count("blocks_validated")
        return True

    def _cache(self, value_hash: bytes, pending: PendingBlock) -> None:
        self._pending[value_hash] = pending
        while len(self._pending) > PENDING_BLOCKS_MAX:
            self._pending.popitem(last=False)

    # --- deciding and committing ---------------------------------------------------------------------

    def _on_decide(self, d: Decide) -> None:
        pending = self._pending.pop(d.value_hash, None)
        if pending is None:  # evicted from the cache: execute again (validate said it executes)
            block = decode(d.value, Block, max_bytes=self.bft.value_bytes_max)
            pending = self.chain.execute_block(block, admitted=self.mempool.admitted)
        assert pending.header.hash() == d.value_hash
        commit = Commit(
            height=d.height,
            round=d.round,
            block_hash=d.value_hash,
            signatures=[CommitSig(v.validator, v.signature) for v in d.commit.precommits],
        )
        self._commit_block(pending, commit)
        self._await_start()

    def _commit_block(self, pending: PendingBlock, commit: Commit) -> None:
        h = pending.header.height
        self.chain.commit(pending, commit)
        self.mempool.remove(pending.tx_ids)
        assert self._proposer is not None
        self._proposer = self._proposer.next_height(self._consensus_set(self.chain.validator_set(h + 1)))
        self._save_proposer_state(h + 1, self._proposer)
        self._pending.clear()
        now = time.monotonic()
        produce_ms = (now - self._height_started_at) * 1000
        self._last_block_at = now
        self.stats["blocks"] += 1
        self.stats["txs"] += len(pending.receipts)
        self.stats["failed_txs"] += sum(1 for r in pending.receipts if r.code != "ok")
        done = CommittedBlock(pending.header, pending.receipts, pending.events(), produce_ms)
        for listener in list(self._listeners):
            try:
                listener(done)
            except Exception:  # a broken listener must not stop the chain
                log.exception("commit listener failed")

    def _await_start(self) -> None:
        self._waiting_start = self.chain.height + 1
        self._decided_at = time.monotonic()
        self._future_seen = False
        wait_s = self.bft.commit_wait_ms / 1000
        if wait_s > 0:
            self._call_later(wait_s, _Nudge())

    def _maybe_start(self) -> None:
        h = self._waiting_start
        if h is None or self._syncing:
            return
        now = time.monotonic()
        if now < self._decided_at + self.bft.commit_wait_ms / 1000:
            return
        heartbeat_s = self.config.empty_block_interval_ms / 1000
        due = (
            len(self.mempool) > 0
            or self._future_seen
            or (heartbeat_s > 0 and now >= self._last_block_at + heartbeat_s)
        )
        if due:
            self._start_height(h)

    # --- gossip and status ---------------------------------------------------------------------------

    def _on_tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_gossip:
            self._next_gossip = now + self.bft.gossip_interval_ms / 1000
            self._broadcast(channels.STATUS, encode(self.core.status()))
        if now >= self._next_regossip:
            self._next_regossip = now + self.bft.regossip_interval_ms / 1000
            self._regossip()
        if self._syncing:
            self._sync_step()
        elif self.syncer.behind(self.chain.height):
            self._enter_sync()
        else:
            self._maybe_start()

    def _regossip(self) -> None:
        """Non-proposing nodes: send again to the validators what was already pending at the last check."""
        validators = self.chain.validator_set(self.chain.height + 1).by_id()
        if self.node_id in validators:
            self._regossip_seen = set()  # it proposes in its turn: nothing it holds is stranded
            return
        pending = self.mempool.peek(REGOSSIP_TXS_MAX, REGOSSIP_BYTES_MAX)
        # Expired ones can never enter a block; a proposer drops them when it builds one, we never do.
        expired = {c.tx_id for c in pending if c.tx.payload.expiry_height <= self.chain.height}
        if expired:
            self.mempool.remove(list(expired))
            self._count("txs_expired", len(expired))
        stale = [bytes(c.raw) for c in pending if c.tx_id in self._regossip_seen and c.tx_id not in expired]
        self._regossip_seen = {c.tx_id for c in pending}
        targets = [p for p in (self.peers.connected() if self.peers else []) if p in validators]
        if stale and targets:
            # Validators that already hold or committed them refuse them before any signature check.
            for payload in encode_tx_batches(stale):
                for peer in targets:
                    self._send(peer, channels.TXS, payload)
            self._count("txs_regossiped", len(stale))

    def _on_status(self, peer: bytes, status: Status) -> None:
        self.syncer.note_tip(peer, status.height - 1)
        now = time.monotonic()
        last = self._answered_at.get(peer, 0.0)
        if now - last >= self.bft.status_answer_interval_ms / 1000:
            self._answered_at[peer] = now
            self._answer_status(peer, status)
        if not self._syncing and self.syncer.behind(self.chain.height):
            self._enter_sync()

    def _answer_status(self, peer: bytes, status: Status) -> None:
        tip = self.chain.height
        if 1 <= status.height <= tip:
            # One height behind (working on our tip): a CatchUp decides it. Further behind, the peer
            # block-syncs (our Status tells it how far we are).
            if status.height == tip and self._should_send(peer, ("catchup", tip, 0, b"")):
                catchup = self._stored_catchup(status.height)
                if catchup is not None:
                    self._send(peer, channels.CONSENSUS, encode(catchup))
                    self._count("catchups_sent")
            return
        if self._syncing or status.height != self.core.height:
            return
        now = time.monotonic()
        for m in self.core.messages_for_peer(status):
            if isinstance(m, Proposal):
                seen = self._proposal_seen_at.get((m.round, m.value_hash), 0.0)
                if now - seen < self.bft.gossip_interval_ms / 1000:
                    continue  # just arrived here: the peer is most likely receiving it from its origin
                if not self._should_send(peer, ("proposal", m.height, m.round, m.value_hash)):
                    continue
            self._send(peer, channels.CONSENSUS, encode(m))
            self._count("gossip_resent")

    def _mark_sent(self, peer: bytes, key: tuple[str, int, int, bytes]) -> None:
        sent = self._sent.setdefault(peer, {})
        if len(sent) >= 256:  # bounded; entries of old heights are also dropped at each height start
            sent.clear()
        sent[key] = time.monotonic()

    def _should_send(self, peer: bytes, key: tuple[str, int, int, bytes]) -> bool:
        """True (and noted) unless `key` went to `peer` on this connection less than resend_after ago."""
        at = self._sent.get(peer, {}).get(key)
        if at is not None and time.monotonic() - at < self.bft.resend_after_ms / 1000:
            self._count("resend_suppressed")
            return False
        self._mark_sent(peer, key)
        return True

    def _stored_catchup(self, height: int) -> CatchUp | None:
        value = self.storage.block_bytes(height)
        commit = self.storage.commit(height)
        if value is None or commit is None:
            return None
        votes = tuple(
            Vote(VoteKind.PRECOMMIT, height, commit.round, commit.block_hash, s.validator, s.signature)
            for s in sorted(commit.signatures, key=lambda s: s.validator)
        )
        return CatchUp(ConsensusCommit(height, commit.round, commit.block_hash, votes), value)

    # --- block sync ----------------------------------------------------------------------------------

    def _enter_sync(self) -> None:
        log.info("block sync: at height %d, peers report up to %d", self.chain.height, self.syncer.target())
        self._syncing = True
        self._sync_progress_at = time.monotonic()
        self._count("sync_sessions")
        self._sync_step()

    def _sync_step(self) -> None:
        applied = 0
        while applied < self.bft.sync.window_blocks:
            item = self.syncer.next_block(self.chain.height)
            if item is None:
                break
            peer, synced = item
            if not self._apply_synced(peer, synced):
                break
            applied += 1
        now = time.monotonic()
        if applied:
            self._sync_progress_at = now
        for peer, request in self.syncer.requests(self.chain.height, now):
            self._send(peer, channels.BLOCKSYNC, encode(request))
        stalled = now - self._sync_progress_at > self.bft.sync_stall_s
        if not self.syncer.behind(self.chain.height) or stalled:
            if stalled:
                log.warning("block sync stalled at height %d; resuming consensus", self.chain.height)
            self._leave_sync()

    def _apply_synced(self, peer: bytes, synced: SyncedBlock) -> bool:
        h = self.chain.height + 1
        try:
            block = decode(synced.block, Block, max_bytes=MAX_BLOCK_BYTES)
            commit = decode(synced.commit, Commit, max_bytes=MAX_BLOCK_BYTES)
            if block.header.height != h or commit.height != h:
                raise GovledgerError("sync.wrong_height", f"expected block {h}")
            problem = commit_problem(commit, block.header, self.chain.validator_set(h))
            if problem is not None:
                raise GovledgerError("sync.bad_commit", problem)
            pending = self.chain.execute_block(block, admitted=self.mempool.admitted)
        except GovledgerError as exc:
            log.warning("block sync: block %d from %s refused: %s", h, peer.hex()[:12], exc.message)
            self.syncer.reject(h, peer)
            return False
        self._commit_block(pending, commit)
        self._count("blocks_synced")
        return True

    def _leave_sync(self) -> None:
        self._syncing = False
        h = self.chain.height + 1
        log.info("block sync done at height %d; consensus resumes at %d", self.chain.height, h)
        deferred, self._deferred = self._deferred, []
        if not self.core.decided and self.core.height == h:
            for t in deferred:  # nothing moved: the core's timers still matter
                self._apply_effects(self.core.on_timeout(t))
        elif self.core.height < h or self.core.decided:
            self._start_height(h)

    # --- evidence ------------------------------------------------------------------------------------

    def _on_evidence(self, ev: DuplicateVoteEvidence) -> None:
        key = (ev.validator, ev.height)
        log.warning(
            "equivocation by %s at height %d round %d", ev.validator.hex(), ev.height, ev.vote_a.round
        )
        if key in self._reported:
            return
        self._reported[key] = None
        while len(self._reported) > REPORTED_EVIDENCE_MAX:
            self._reported.popitem(last=False)
        self._count("evidence_found")
        try:
            in_set = self.node_id in self.chain.validator_set(ev.height).by_id()
        except GovledgerError:
            in_set = False
        if not (self.bft.validator and in_set):
            return  # only a validator of that height may report (governance.report_evidence)
        from govledger.apps.governance.evidence import ReportEvidence

        body = encode(ReportEvidence(encode(ev)))
        tx = txmod.build(
            self.chain_id,
            "governance",
            "report_evidence",
            body,
            [self.key],
            nonce=secrets.randbits(63),
            expiry_height=self.chain.height + 1000,
        )
        result = self.submit([encode(tx)])[0]
        log.warning("evidence report %s: %s %s", result.tx_id.hex()[:12], result.code, result.message)
        self._count("evidence_reported" if result.ok else "evidence_report_refused")

    # --- proposer state and validator sets ----------------------------------------------------------

    def _consensus_set(self, validators: ValidatorSet) -> ConsensusValidatorSet:
        key = validators.hash()
        cached = self._cs_sets.get(key)
        if cached is None:
            if len(self._cs_sets) >= 64:
                self._cs_sets.clear()
            cached = self._cs_sets[key] = consensus_set(validators)
        return cached

    def _stored_valset(self, height: int) -> ValidatorSet:
        """The set that signs `height`, reading only the header of a stored block."""
        if height > self.chain.height:
            return self.chain.validator_set(height)
        raw = self.storage.block_bytes(height)
        assert raw is not None, f"stored block {height} missing"
        header = msgspec.msgpack.decode(raw, type=_HeaderOnly).header
        vs = self.storage.valset(header.validators_hash)
        assert vs is not None, "validator set named by a stored header is missing"
        return vs

    def _proposer_path(self) -> Path:
        return self._state_dir / "proposer.state"

    def _proposer_state_for(self, height: int) -> ProposerState:
        """The proposer state at the start of `height`: the saved one, rolled forward if it is older."""
        start, state = 1, ProposerState.genesis(self._consensus_set(self._stored_valset(1)))
        try:
            saved = decode_trusted(self._proposer_path().read_bytes(), _ProposerFile)
            if 1 <= saved.height <= height:
                start, state = saved.height, saved.state
        except (OSError, GovledgerError):
            pass  # missing or unreadable: recompute from genesis (deterministic, just slower)
        for h in range(start, height):
            state = state.next_height(self._consensus_set(self._stored_valset(h + 1)))
        return state

    def _save_proposer_state(self, height: int, state: ProposerState) -> None:
        # No fsync: a lost or torn file is recomputed from the stored chain on the next start.
        path = self._proposer_path()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(encode(_ProposerFile(height, state)))
        os.replace(tmp, path)
