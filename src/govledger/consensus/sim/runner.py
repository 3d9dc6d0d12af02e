"""The deterministic simulation: N real consensus cores, a virtual clock, and the safety checker.

Everything random comes from one `random.Random(seed)`; time is an integer of virtual
milliseconds; events sit in one heap ordered by (time, sequence number), so a seed replays the
same run, event for event, in any process (nothing iterates a set or depends on hash order). Each
processed event is hashed into `trace_hash`; `--trace` prints the same lines.

What a node is here: a `ConsensusCore` with the real `PrivValidator` (in-memory store that
survives crashes), a `MemoryWal` (unsynced bytes are lost or torn on a crash), a block store of
decided values (durable), and the gossip a real node would do: every `gossip_interval_ms` it sends
its `Status`; a peer at the same height answers with `messages_for_peer`, a peer that has already
decided that height answers with a `CatchUp` from its store.

Checks, after every step (an event and all the effects it caused):

- agreement: no two honest nodes decide different values at a height;
- validity: every decided value passes the validity function and matches its hash, and its
  commit verifies against that height's validator set (so an invalid value is never decided);
- durability: a node's decisions are sequential and a restarted node never decides a height it
  had already stored, nor anything else at one;
- no honest double sign: two different signed messages for one (validator, height, round, type)
  from an honest node (across restarts too) is a violation;
- evidence names only Byzantine validators and verifies;
- liveness after GST: every honest node decides its next height within `liveness_bound_ms` of GST,
  and each following height within the same bound of its previous decision.

A run stops at the first violation, which is reported with the line that reproduces it.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from dataclasses import dataclass, field

from govledger.codec import sha256
from govledger.consensus.core import (
    Broadcast,
    ConsensusCore,
    CoreConfig,
    CorePorts,
    Decide,
    Effect,
    EvidenceFound,
    ScheduleTimeout,
)
from govledger.consensus.privval import MemoryPrivValStore, PrivValidator
from govledger.consensus.proposer import ProposerState
from govledger.consensus.sim.app import SignFn, SimKeys, alternative_value, is_valid_value, make_value
from govledger.consensus.sim.network import Network
from govledger.consensus.sim.scenario import Partition, Scenario, SimOptions
from govledger.consensus.types import (
    CatchUp,
    Commit,
    ConsensusError,
    DuplicateVoteEvidence,
    Message,
    Proposal,
    Status,
    Timeout,
    Validator,
    ValidatorSet,
    Vote,
    VoteKind,
)
from govledger.consensus.wal import MemoryWal

CHAIN_ID = "govledger-sim"
EVENTS_MAX = 5_000_000  # a run that needs more is stuck in a loop; fail it loudly
QUEUE_MAX = 1_000_000

_DELIVER, _TIMER, _GOSSIP, _CRASH, _RESTART, _PART_START, _PART_HEAL, _GST, _NEXT_HEIGHT = range(9)
# An event is (time, sequence, kind, node, a, b): a is the sender (deliveries) or the node's epoch
# (timers, gossip ticks); b is the message, the Timeout or the Partition.
Event = tuple[int, int, int, int, int, object]


@dataclass(slots=True)
class StoredBlock:
    height: int
    value_hash: bytes
    value: bytes
    commit: Commit
    decided_ms: int


@dataclass(slots=True)
class SimNode:
    index: int
    vid: bytes
    mode: str | None  # None: honest
    wal: MemoryWal = field(default_factory=MemoryWal)
    privval_store: MemoryPrivValStore = field(default_factory=MemoryPrivValStore)
    store: list[StoredBlock] = field(default_factory=list)
    core: ConsensusCore | None = None
    epoch: int = 0
    restarts: int = 0
    caught_up: bool = False

    @property
    def honest(self) -> bool:
        return self.mode is None


@dataclass(slots=True)
class SimResult:
    seed: int
    violations: list[str]
    heights_decided: int  # the lowest store height among honest nodes
    messages_sent: int
    events: int
    virtual_ms: int
    trace_hash: str
    evidence: int
    restarts: int
    wal_truncations: int
    scenario: str
    repro: str
    trace_lines: list[str]

    @property
    def ok(self) -> bool:
        return not self.violations


class Simulation:
    def __init__(self, seed: int, options: SimOptions, trace: bool = False) -> None:
        self.seed = seed
        self.options = options
        self.rng = random.Random(seed)
        self.s = Scenario.generate(seed, options, self.rng)
        n = options.validators
        self.ids = [hashlib.sha256(b"sim-validator|%d" % i).digest()[:20] for i in range(n)]
        self.index_of = {vid: i for i, vid in enumerate(self.ids)}
        self.keys = SimKeys(seed, self.ids)
        self.nodes = [SimNode(i, self.ids[i], self.s.byzantine.get(i)) for i in range(n)]
        self.honest = [node.index for node in self.nodes if node.honest]
        self.net = Network(self.s, self.rng)
        self.config = CoreConfig(CHAIN_ID, timeouts=self.s.timeouts)
        self._queue: list[Event] = []
        self._seq = 0
        self.now = 0
        self.events = 0
        self.messages_sent = 0
        self.evidence = 0
        self.wal_truncations = 0
        self.violations: list[str] = []
        self.decided: dict[int, bytes] = {}
        self.signed: dict[tuple[bytes, int, int, int], bytes] = {}
        self.oracle: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        self._pstates: list[ProposerState] = []
        self._vsets: list[ValidatorSet] = []
        self.deadline: dict[int, int] = {}
        self.end_target: dict[int, int] = {}
        self.after_gst = False
        self._unsafe = self.s.unsafe
        self.max_ms = self.s.gst_ms + options.liveness_bound_ms * (options.heights + 3)
        self._trace_on = trace
        self.trace_lines: list[str] = []
        self._hasher = hashlib.sha256()
        self.value_nonce = 0

    # -- validator sets and proposer priorities per height (the "ledger" part) -----------------

    def validator_set(self, height: int) -> ValidatorSet:
        while len(self._vsets) < height:
            h = len(self._vsets) + 1
            powers = (
                list(self.s.powers) if h == 1 else [v.power for v in self._sorted_by_node(self._vsets[-1])]
            )
            if self.s.power_changes and h % 5 == 0 and self.honest:
                j = self.honest[(h // 5) % len(self.honest)]
                powers[j] = 1 + (powers[j] + h) % 3
            self._vsets.append(ValidatorSet.of(Validator(self.ids[i], p) for i, p in enumerate(powers)))
        return self._vsets[height - 1]

    def _sorted_by_node(self, vs: ValidatorSet) -> list[Validator]:
        return sorted(vs.validators, key=lambda v: self.index_of[v.id])

    def proposer_state(self, height: int) -> ProposerState:
        if not self._pstates:
            self._pstates.append(ProposerState.genesis(self.validator_set(1)))
        while len(self._pstates) < height:
            h = len(self._pstates) + 1
            self._pstates.append(self._pstates[-1].next_height(self.validator_set(h)))
        return self._pstates[height - 1]

    # -- event queue -----------------------------------------------------------------------------

    def _push(self, at: int, kind: int, node: int, a: int = 0, b: object = None) -> None:
        assert len(self._queue) < QUEUE_MAX, "event queue bound exceeded"
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, node, a, b))

    def _trace(self, line: str) -> None:
        self._hasher.update(line.encode())
        self._hasher.update(b"\n")
        if self._trace_on:
            self.trace_lines.append(line)

    def _violation(self, text: str) -> None:
        self.violations.append(f"t={self.now}ms {text}")
        self._trace(f"VIOLATION {text}")

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> SimResult:
        s = self.s
        self._trace(f"scenario seed={self.seed} {s.describe()}")
        for p in s.partitions:
            self._push(p.start_ms, _PART_START, -1, b=p)
            self._push(p.heal_ms, _PART_HEAL, -1, b=p)
        for c in s.crashes:
            self._push(c.at_ms, _CRASH, c.node)
            self._push(c.restart_ms, _RESTART, c.node)
        self._push(s.gst_ms, _GST, -1)
        for node in self.nodes:
            self._boot(node)
        while self._queue and not self.violations:
            at, _, kind, index, a, b = heapq.heappop(self._queue)
            if at > self.max_ms:
                break
            self.now = at
            self.events += 1
            assert self.events <= EVENTS_MAX, "event bound exceeded"
            self._check_liveness()
            if self.violations:
                break
            self._dispatch(kind, index, a, b)
            if self.after_gst and self._finished():
                break
        if not self.violations and not self._finished():
            self._violation(f"run ended at {self.now}ms before every honest node reached its target height")
        return self._result()

    def _finished(self) -> bool:
        return all(len(self.nodes[i].store) >= self.end_target.get(i, 1 << 62) for i in self.honest)

    def _dispatch(self, kind: int, index: int, a: int, b: object) -> None:
        if kind == _DELIVER:
            self._deliver(self.nodes[index], a, b)
        elif kind == _TIMER:
            node = self.nodes[index]
            assert isinstance(b, Timeout)
            if node.core is not None and node.epoch == a:
                self._trace(f"{self.now} timer {index} {b.kind.name} {b.height}/{b.round}")
                self._apply(node, node.core.on_timeout(b))
        elif kind == _GOSSIP:
            self._gossip_tick(self.nodes[index], a)
        elif kind == _CRASH:
            self._crash(self.nodes[index])
        elif kind == _RESTART:
            self._boot(self.nodes[index])
        elif kind in (_PART_START, _PART_HEAL):
            assert isinstance(b, Partition)
            self._partition(kind == _PART_START, b)
        elif kind == _GST:
            self._gst()
        elif kind == _NEXT_HEIGHT:
            self._next_height(self.nodes[index], a)

    # -- nodes -----------------------------------------------------------------------------------

    def _boot(self, node: SimNode) -> None:
        """Start (or restart after a crash) a node from its WAL and block store."""
        if node.core is not None:
            return
        recovery = node.wal.recover()
        if recovery.problem is not None:
            self.wal_truncations += 1
        privval = PrivValidator(CHAIN_ID, node.vid, self.keys.sign_fn(node.vid), node.privval_store)
        sign = privval.sign if node.honest else self._raw_signer(node)
        ports = CorePorts(
            sign=sign,
            verify=self.keys.verify,
            get_value=lambda h, r: self._get_value(node, h, r),
            validate=is_valid_value,
            wal=node.wal,
        )
        node.core = ConsensusCore(self.config, node.vid, ports)
        height = len(node.store) + 1
        replay = node.wal.replay(height)
        self._trace(f"{self.now} boot {node.index} h={height} replay={len(replay)} wal={recovery.problem}")
        self._apply(node, node.core.on_start(height, self.proposer_state(height), replay))
        phase = self.rng.randint(1, self.options.gossip_interval_ms)
        self._push(self.now + phase, _GOSSIP, node.index, node.epoch)

    def _raw_signer(self, node: SimNode) -> SignRaw:
        return SignRaw(self.keys.sign_fn(node.vid))

    def _crash(self, node: SimNode) -> None:
        if node.core is None:
            return
        self._trace(f"{self.now} crash {node.index} h={node.core.height}")
        node.core = None
        node.epoch += 1
        node.restarts += 1
        node.wal.crash(self.rng)

    def _get_value(self, node: SimNode, height: int, round_: int) -> bytes:
        self.value_nonce += 1
        return make_value(
            height, round_, node.index, node.epoch, self.value_nonce, valid=node.mode != "invalid"
        )

    def _apply(self, node: SimNode, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Broadcast):
                self._broadcast(node, effect.message)
            elif isinstance(effect, ScheduleTimeout):
                delay = max(1, int(effect.duration_ms * self.s.skew[node.index]))
                self._push(self.now + delay, _TIMER, node.index, node.epoch, effect.timeout)
            elif isinstance(effect, Decide):
                self._decide(node, effect)
            elif isinstance(effect, EvidenceFound):
                self._evidence(node, effect.evidence)

    def _decide(self, node: SimNode, d: Decide) -> None:
        self._trace(f"{self.now} decide {node.index} h={d.height} r={d.round} {d.value_hash[:6].hex()}")
        if node.honest:
            self._check_decision(node, d)
        node.store.append(StoredBlock(d.height, d.value_hash, d.value, d.commit, self.now))
        if node.honest and self.after_gst:
            self.deadline[node.index] = self.now + self.options.liveness_bound_ms
        # The node paces heights as CometBFT's timeout_commit does: the block interval.
        wait = max(1, int(self.options.commit_wait_ms * self.s.skew[node.index]))
        self._push(self.now + wait, _NEXT_HEIGHT, node.index, node.epoch)

    def _next_height(self, node: SimNode, epoch: int) -> None:
        core = node.core
        if core is None or node.epoch != epoch or not core.decided:
            return
        height = len(node.store) + 1
        self._trace(f"{self.now} start {node.index} h={height}")
        self._apply(node, core.on_start(height, self.proposer_state(height)))
        if node.caught_up:  # a lagging node asks for the next height at once, not at its next tick
            node.caught_up = False
            self._send_status(node)

    def _check_decision(self, node: SimNode, d: Decide) -> None:
        if d.height != len(node.store) + 1:
            self._violation(
                f"durability: node {node.index} decided height {d.height} with {len(node.store)} stored"
            )
        if sha256(d.value) != d.value_hash or not is_valid_value(d.height, d.value):
            self._violation(f"validity: node {node.index} decided an invalid value at height {d.height}")
        try:
            d.commit.verify(self.validator_set(d.height), CHAIN_ID, self.keys.verify)
        except ConsensusError as exc:
            self._violation(f"validity: node {node.index} decided height {d.height} with a bad commit: {exc}")
        first = self.decided.setdefault(d.height, d.value_hash)
        if first != d.value_hash:
            self._violation(
                f"agreement: node {node.index} decided {d.value_hash.hex()[:12]} at height {d.height}, "
                f"another honest node decided {first.hex()[:12]}"
            )

    def _evidence(self, node: SimNode, ev: DuplicateVoteEvidence) -> None:
        self.evidence += 1
        accused = self.index_of.get(ev.validator, -1)
        self._trace(f"{self.now} evidence {node.index} against {accused} h={ev.height}")
        if not node.honest:
            return
        try:
            ev.verify(self.validator_set(ev.height), CHAIN_ID, self.keys.verify)
        except ConsensusError as exc:
            self._violation(f"evidence from node {node.index} does not verify: {exc}")
        if accused < 0 or self.nodes[accused].honest:
            self._violation(f"evidence from node {node.index} accuses honest validator {accused}")

    # -- network ---------------------------------------------------------------------------------

    def _send(self, src: int, dst: int, message: object) -> None:
        self.messages_sent += 1
        for at in self.net.arrivals(src, dst, self.now):
            self._push(at, _DELIVER, dst, src, message)

    def _deliver(self, node: SimNode, src: int, message: object) -> None:
        core = node.core
        if core is None:
            return
        self._trace(f"{self.now} recv {node.index}<-{src} {self._describe(message)}")
        if isinstance(message, Proposal):
            self._apply(node, core.on_proposal(message))
        elif isinstance(message, Vote):
            self._apply(node, core.on_vote(message))
        elif isinstance(message, Status):
            self._answer_status(node, src, message)
        elif isinstance(message, CatchUp):
            was_decided = core.decided
            self._apply(node, core.on_catchup(message))
            node.caught_up = core.decided and not was_decided

    def _describe(self, m: object) -> str:
        if isinstance(m, Vote):
            value = m.value_hash[:4].hex() if m.value_hash else "nil"
            return f"{m.kind.name[3]}{m.height}/{m.round}/{value}/{self.index_of.get(m.validator, -1)}"
        if isinstance(m, Proposal):
            return (
                f"P{m.height}/{m.round}/{m.value_hash[:4].hex()}/{m.valid_round}/{self.index_of[m.proposer]}"
            )
        if isinstance(m, Status):
            bits = f"{m.prevotes.hex()}/{m.precommits.hex()}"
            return f"S{m.height}/{m.round}/{m.step.name[:4]}/{int(m.has_proposal)}/{bits}"
        if isinstance(m, CatchUp):
            return f"C{m.height}/{m.commit.round}/{m.commit.value_hash[:4].hex()}"
        return type(m).__name__

    def _gossip_tick(self, node: SimNode, epoch: int) -> None:
        if node.core is None or node.epoch != epoch:
            return
        self._send_status(node)
        interval = max(1, int(self.options.gossip_interval_ms * self.s.skew[node.index]))
        self._push(self.now + interval, _GOSSIP, node.index, node.epoch)

    def _send_status(self, node: SimNode) -> None:
        assert node.core is not None
        status = node.core.status()
        for j in range(len(self.nodes)):
            if j != node.index:
                self._send(node.index, j, status)

    def _answer_status(self, node: SimNode, src: int, status: Status) -> None:
        core = node.core
        assert core is not None
        if node.mode == "withhold":
            return
        if 1 <= status.height <= len(node.store):
            block = node.store[status.height - 1]
            self._send(node.index, src, CatchUp(block.commit, block.value))
        else:
            for m in core.messages_for_peer(status):
                self._send(node.index, src, m)

    def _broadcast(self, node: SimNode, message: Message) -> None:
        if node.honest:
            self._check_double_sign(node, message)
            for j in range(len(self.nodes)):
                if j != node.index:
                    self._send(node.index, j, message)
        else:
            self._byzantine_broadcast(node, message)

    def _check_double_sign(self, node: SimNode, m: Message) -> None:
        key = (node.vid, m.height, m.round, int(m.msg_type))
        digest = sha256(m.sign_bytes(CHAIN_ID))
        first = self.signed.setdefault(key, digest)
        if first != digest:
            self._violation(
                f"double sign: honest node {node.index} signed two {m.msg_type.name} at {m.height}/{m.round}"
            )

    def _partition(self, start: bool, payload: Partition) -> None:
        self._trace(f"{self.now} partition {'start' if start else 'heal'} {payload.kind} {payload.blocked}")
        if start:
            self.net.block(payload.blocked)
        else:
            self.net.heal(payload.blocked)

    def _gst(self) -> None:
        self._trace(f"{self.now} gst")
        self.after_gst = True
        self.net.after_gst = True
        for i in self.honest:
            stored = len(self.nodes[i].store)
            self.deadline[i] = self.now + self.options.liveness_bound_ms
            self.end_target[i] = max(self.options.heights, stored + 2)

    def _check_liveness(self) -> None:
        if self._unsafe or not self.deadline or self.now <= min(self.deadline.values()):
            return  # with >= 1/3 Byzantine power the protocol promises no liveness
        for i, due in self.deadline.items():
            if self.now > due and len(self.nodes[i].store) < self.end_target[i]:
                self._violation(
                    f"liveness: honest node {i} did not decide height {len(self.nodes[i].store) + 1} "
                    f"within {self.options.liveness_bound_ms}ms"
                )
                return

    # -- Byzantine behaviour ---------------------------------------------------------------------

    def _byzantine_broadcast(self, node: SimNode, m: Message) -> None:
        mode = node.mode
        if mode == "withhold" and isinstance(m, Vote):
            return
        if mode == "equivocate" and isinstance(m, Proposal):
            self._equivocate_proposal(node, m)
        elif mode in ("equivocate", "equivocate-voter") and isinstance(m, Vote):
            pair = self.oracle.get((m.height, m.round)) if mode == "equivocate" else None
            if pair is not None:
                a, b = self._byz_vote(node, m, pair[0]), self._byz_vote(node, m, pair[1])
            else:  # the vote to group A, nil to group B (a nil vote has no conflicting twin here)
                a, b = m, self._byz_vote(node, m, None) if m.value_hash is not None else m
            self._send_split(node.index, a, b)
        else:
            for j in range(len(self.nodes)):
                if j != node.index:
                    self._send(node.index, j, m)

    def _byz_vote(self, node: SimNode, template: Vote, value_hash: bytes | None) -> Vote:
        unsigned = Vote(template.kind, template.height, template.round, value_hash, node.vid)
        return unsigned.with_signature(self.keys.sign_fn(node.vid)(unsigned.sign_bytes(CHAIN_ID)))

    def _send_split(self, src: int, to_a: Message, to_b: Message) -> None:
        """`to_a` to group A and the other Byzantine nodes, `to_b` to group B."""
        group_b = self.s.groups[1]
        for j in range(len(self.nodes)):
            if j != src:
                self._send(src, j, to_b if j in group_b else to_a)

    def _equivocate_proposal(self, node: SimNode, p: Proposal) -> None:
        """Two valid proposals, one per honest group, and the coalition votes each to its group."""
        alt_value = alternative_value(p.value)
        alt = Proposal(p.height, p.round, sha256(alt_value), alt_value, p.valid_round, node.vid)
        alt = alt.with_signature(self.keys.sign_fn(node.vid)(alt.sign_bytes(CHAIN_ID)))
        self.oracle[(p.height, p.round)] = (p.value_hash, alt.value_hash)
        self._trace(f"{self.now} equivocate {node.index} {p.height}/{p.round}")
        self._send_split(node.index, p, alt)
        for b in self.nodes:
            if b.mode != "equivocate" or b.core is None:
                continue
            for kind in (VoteKind.PREVOTE, VoteKind.PRECOMMIT):
                template = Vote(kind, p.height, p.round, None, b.vid)
                self._send_split(
                    b.index,
                    self._byz_vote(b, template, p.value_hash),
                    self._byz_vote(b, template, alt.value_hash),
                )

    # -- result ----------------------------------------------------------------------------------

    def _result(self) -> SimResult:
        heights = min((len(self.nodes[i].store) for i in self.honest), default=0)
        return SimResult(
            seed=self.seed,
            violations=self.violations,
            heights_decided=heights,
            messages_sent=self.messages_sent,
            events=self.events,
            virtual_ms=self.now,
            trace_hash=self._hasher.hexdigest(),
            evidence=self.evidence,
            restarts=sum(node.restarts for node in self.nodes),
            wal_truncations=self.wal_truncations,
            scenario=self.s.describe(),
            repro=repro_line(self.seed, self.options),
            trace_lines=self.trace_lines,
        )


class SignRaw:
    """A Byzantine node's signer: no double-sign protection at all."""

    __slots__ = ("_sign",)

    def __init__(self, sign: SignFn) -> None:
        self._sign = sign

    def __call__(self, message: Message) -> Message:
        return message.with_signature(self._sign(message.sign_bytes(CHAIN_ID)))


def repro_line(seed: int, options: SimOptions) -> str:
    parts = [
        "python -m govledger.consensus.sim",
        f"--seed {seed}",
        f"--validators {options.validators}",
        f"--heights {options.heights}",
        f"--byzantine {options.byzantine}",
    ]
    if options.byzantine_count is not None:
        parts.append(f"--byzantine-count {options.byzantine_count}")
    if tuple(options.faults) != SimOptions().faults:
        parts.append(f"--faults {','.join(options.faults) or 'none'}")
    if options.equal_power:
        parts.append("--equal-power")
    return " ".join(parts)


def run_seed(seed: int, options: SimOptions | None = None, trace: bool = False) -> SimResult:
    return Simulation(seed, options or SimOptions(), trace=trace).run()
