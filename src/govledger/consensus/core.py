"""The Tendermint consensus state machine of one validator: Algorithm 1 of the paper, sans I/O.

Two rules for this file (after h11's state machine):

1. Everything that decides what the protocol does next lives here: the upon-rules, the locks, the
   thresholds, which messages count, when a timer is asked for. Transport, gossip scheduling,
   block building, block execution, key storage and disk writes live elsewhere and are reached
   only through the injected ports (`CorePorts`).
2. No clocks, randomness or sockets. Inputs are method calls (`on_start`, `on_proposal`, `on_vote`,
   `on_timeout`, `on_catchup`); outputs are the returned list of effects (`Broadcast`,
   `ScheduleTimeout`, `Decide`, `EvidenceFound`), to be carried out in order. The same inputs in the
   same order give the same effects, which is what makes WAL replay and the simulator work.

Theory of operation
===================

The paper (consensus-paper/consensus.tex, Algorithm 1) states the protocol as upon-rules over a
message log. This core keeps that log for the current height (proposals per round, vote sets per
(round, kind), the senders seen per round) and after every input re-evaluates the rules until none
fires. Line numbers below are Algorithm 1's:

  line 10        upon start: StartRound(0)                          -> on_start
  lines 11-20    StartRound: the proposer proposes validValue or getValue(), others time out
  lines 22-27    ⟨PROPOSAL, h, r, v, -1⟩ in step propose: prevote id(v) if valid(v) and
                 (lockedRound = -1 or lockedValue = v), else nil
  lines 28-33    ⟨PROPOSAL, h, r, v, vr⟩ + 2f+1 ⟨PREVOTE, h, vr, id(v)⟩, 0 <= vr < r, step propose:
                 prevote id(v) if valid(v) and (lockedRound <= vr or lockedValue = v), else nil
  lines 34-35    2f+1 ⟨PREVOTE, h, r, *⟩ in step prevote, first time: schedule timeoutPrevote
  lines 36-43    ⟨PROPOSAL, h, r, v, *⟩ + 2f+1 ⟨PREVOTE, h, r, id(v)⟩, valid(v), step >= prevote,
                 first time: in step prevote lock v and precommit id(v); in any case validValue := v
  lines 44-46    2f+1 ⟨PREVOTE, h, r, nil⟩ in step prevote: precommit nil
  lines 47-48    2f+1 ⟨PRECOMMIT, h, r, *⟩, first time: schedule timeoutPrecommit
  lines 49-54    ⟨PROPOSAL, h, r', v, *⟩ + 2f+1 ⟨PRECOMMIT, h, r', id(v)⟩ for ANY round r',
                 valid(v): decide v
  lines 55-56    f+1 ⟨*, h, r', ...⟩ with r' > round: StartRound(r')  (highest such r')
  lines 57-67    OnTimeoutPropose / OnTimeoutPrevote / OnTimeoutPrecommit

"2f+1" and "f+1" are by voting power: more than 2/3 and more than 1/3 of the height's total power.
Each validator counts once per (round, kind): the first vote that arrives; a later different vote
is equivocation and becomes `EvidenceFound` (DuplicateVoteEvidence) instead of being counted.

Deviations from the paper, all on purpose:

- Height change (lines 52-54). On a decision the core emits `Decide` and waits: the node stores the
  block, executes it, learns the next validator set, and calls `on_start(h + 1, ...)`. Messages for
  h + 1 that arrive meanwhile are buffered (bounded); messages for h + 2 and beyond are dropped
  (the sender will gossip them again, or the node catches up by block sync).
- Catch-up. A node that missed a decision gets `CatchUp(commit, value)` from a peer that made it:
  2f+1 signed precommits for id(v) plus v, which is exactly line 49's condition without the
  proposal message, so `on_catchup` decides through the same `_decide`.
- Own messages are signed through the `sign` port (the privval, which refuses double signs) and
  written to the WAL with fsync *before* they appear in any effect, then counted in the log like a
  received message (the paper: "both sent and received messages are stored in a local message log").
- A proposer whose own proposal cannot be signed (privval refusal after a crash) schedules its own
  timeoutPropose, so it leaves the propose step like everyone else.

Durability and replay (spec/consensus/wal.md)
---------------------------------------------

Every input that changes the log or the state is appended to the WAL *before* it is applied
(`sync=False`): proposals, votes, timeouts that fire, catch-ups. Own signed messages are appended
with `sync=True` before their `Broadcast` is emitted, and a decision appends `EndHeight(h)` with
`sync=True` before `Decide`, so the inputs behind any externally visible act are durable. After a
crash, the node calls `on_start(h, proposers, replay=wal.replay(h))`: the core restarts round 0 and
re-applies the records in order. Because the core is deterministic, it re-derives the same state
and the same own messages; own messages found in the replay are reused verbatim rather than signed
again (which also keeps a proposer from proposing a different value after a restart), and the
privval returns the same signature for an identical message and refuses a different one.

Bounds
------

value bytes (config), proposals per round (config, extra equivocating proposals are dropped),
rounds held per height (config; the lowest old round is evicted), round window above the current
round (config), future-height buffer (total and per sender), rule-evaluation steps per input
(assert). Every dropped message is counted in `stats` by reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from govledger.codec import sha256
from govledger.consensus.proposer import ProposerRotation, ProposerState
from govledger.consensus.types import (
    CatchUp,
    Commit,
    ConsensusError,
    DuplicateVoteEvidence,
    EndHeight,
    Message,
    Proposal,
    SignedMsgType,
    Status,
    Step,
    Timeout,
    TimeoutKind,
    Validator,
    ValidatorSet,
    Verifier,
    Vote,
    VoteKind,
    WalRecord,
    check_chain_id,
    check_proposal,
    check_vote,
)
from govledger.consensus.votes import AddOutcome, HeightVotes, bitmap_has
from govledger.errors import GovledgerError

# A fixpoint of the rules is reached in a handful of steps (each step changes step_p, round_p, or a
# "first time" flag); this bound turns a rule that keeps firing into a loud failure, not a hang.
RULE_STEPS_MAX = 64

# Before the first on_start the core has no validator set; this one-entry set is never used for
# counting (every input is dropped until on_start), it only keeps the fields typed.
_PLACEHOLDER = Validator(b"\x00", 1)


# --- effects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send this own, signed, already-durable message to every peer."""

    message: Message


@dataclass(frozen=True, slots=True)
class ScheduleTimeout:
    """Call `on_timeout(self.timeout)` after `duration_ms` (of the node's clock)."""

    kind: TimeoutKind
    height: int
    round: int
    duration_ms: int

    @property
    def timeout(self) -> Timeout:
        return Timeout(self.kind, self.height, self.round)


@dataclass(frozen=True, slots=True)
class Decide:
    """`value` (with id `value_hash`) is decided at `height`; `commit` holds its 2f+1 precommits."""

    height: int
    round: int
    value_hash: bytes
    value: bytes
    commit: Commit


@dataclass(frozen=True, slots=True)
class EvidenceFound:
    evidence: DuplicateVoteEvidence


Effect = Broadcast | ScheduleTimeout | Decide | EvidenceFound


# --- configuration and ports --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """timeoutX(r) = X_base_ms + r * X_delta_ms (the paper's initTimeoutX + r * timeoutDelta)."""

    propose_base_ms: int = 3000
    propose_delta_ms: int = 500
    prevote_base_ms: int = 1000
    prevote_delta_ms: int = 500
    precommit_base_ms: int = 1000
    precommit_delta_ms: int = 500

    def duration_ms(self, kind: TimeoutKind, round_: int) -> int:
        if kind == TimeoutKind.PROPOSE:
            return self.propose_base_ms + round_ * self.propose_delta_ms
        if kind == TimeoutKind.PREVOTE:
            return self.prevote_base_ms + round_ * self.prevote_delta_ms
        return self.precommit_base_ms + round_ * self.precommit_delta_ms


@dataclass(frozen=True, slots=True)
class CoreConfig:
    chain_id: str
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    value_bytes_max: int = 8 << 20
    proposals_per_round_max: int = 4
    rounds_held_max: int = 256
    round_window: int = 128
    future_messages_max: int = 4096
    future_messages_per_sender_max: int = 256

    def __post_init__(self) -> None:
        check_chain_id(self.chain_id)
        assert self.value_bytes_max > 0 and self.proposals_per_round_max >= 1
        assert self.rounds_held_max >= 2 and self.round_window >= 1
        assert 0 < self.future_messages_per_sender_max <= self.future_messages_max


class WalWriter(Protocol):
    def append(self, record: WalRecord, sync: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class CorePorts:
    """What the core needs from the node. All are called synchronously, from the core's thread.

    sign: returns the message with its signature, or raises GovledgerError to refuse (the privval
        refuses double signs). It must not change anything but the signature.
    verify: (validator id, sign bytes, signature) -> bool, for messages from others.
    get_value: (height, round) -> a value to propose (line 17's getValue()).
    validate: (height, value) -> valid(v); must be deterministic (it is re-run on replay).
    wal: the write-ahead log; `append(record, sync=True)` returns only once the record is durable.
    value_hash: id(v); SHA-256 unless the ledger identifies values otherwise.
    """

    sign: Callable[[Message], Message]
    verify: Verifier
    get_value: Callable[[int, int], bytes]
    validate: Callable[[int, bytes], bool]
    wal: WalWriter
    value_hash: Callable[[bytes], bytes] = sha256


# --- the state machine --------------------------------------------------------------------------


class ConsensusCore:
    """One validator's Tendermint state machine. See the module header for the rules."""

    def __init__(self, config: CoreConfig, validator_id: bytes | None, ports: CorePorts) -> None:
        self.config = config
        self.validator_id = validator_id
        self.ports = ports
        self.stats: dict[str, int] = {}
        self._out: list[Effect] = []
        self._started = False
        self._decided = False
        self._replaying = False
        self._replay_has_end = False
        self._future: dict[Message, None] = {}  # insertion-ordered set of next-height messages
        self._future_per_sender: dict[bytes, int] = {}
        self._reset(0, None)

    # -- per-height state (Algorithm 1's variables, lines 1-8) -----------------------------------

    def _reset(self, height: int, proposers: ProposerState | None) -> None:
        self._height = height
        self._round = 0
        self._step = Step.PROPOSE
        self._decided = False
        self._locked_round = -1
        self._locked_hash: bytes | None = None
        self._valid_round = -1
        self._valid_hash: bytes | None = None
        self._valid_value: bytes | None = None
        self._proposals: dict[int, list[Proposal]] = {}
        self._validity: dict[bytes, bool] = {}
        self._own: dict[tuple[int, SignedMsgType], Message] = {}
        self._fired: set[tuple[int, int]] = set()
        self._evidence_keys: set[tuple[bytes, int, VoteKind]] = set()
        if proposers is None:
            self._validators = ValidatorSet((_PLACEHOLDER,))
        else:
            self._validators = proposers.validators
        self._powers = self._validators.powers()
        self._index = {vid: i for i, vid in enumerate(self._validators.ids())}
        self._rotation = ProposerRotation(proposers or ProposerState.genesis(self._validators))
        self._votes = HeightVotes(height, self._powers, self.config.rounds_held_max)

    # -- read-only views ------------------------------------------------------------------------

    @property
    def height(self) -> int:
        return self._height

    @property
    def round(self) -> int:
        return self._round

    @property
    def step(self) -> Step:
        return self._step

    @property
    def decided(self) -> bool:
        """True between a Decide and the next on_start."""
        return self._decided

    @property
    def locked(self) -> tuple[int, bytes | None]:
        return self._locked_round, self._locked_hash

    @property
    def valid(self) -> tuple[int, bytes | None]:
        return self._valid_round, self._valid_hash

    @property
    def validators(self) -> ValidatorSet:
        return self._validators

    def proposer(self, round_: int) -> bytes:
        return self._rotation.proposer(round_)

    def status(self) -> Status:
        """This node's position, for gossip: peers answer with `messages_for_peer`."""
        if not self._started:
            return Status(0, 0, Step.PROPOSE, False, b"", b"")
        if self._decided:
            return Status(self._height + 1, 0, Step.PROPOSE, False, b"", b"")
        r = self._round
        return Status(
            self._height,
            r,
            self._step,
            bool(self._proposals.get(r)),
            self._bitmap(r, VoteKind.PREVOTE),
            self._bitmap(r, VoteKind.PRECOMMIT),
        )

    def messages_for_peer(self, status: Status) -> list[Message]:
        """What a peer at `status` (same height) may lack; at most 2K + 5N messages.

        Its round's proposals and the POL prevotes behind them (lines 22/28 need them), its round's
        votes missing from its bitmaps, and, if we are in a later round, our round's proposals and
        votes (enough senders for its line 55). A peer at a lower height needs a CatchUp from the
        node's block store instead; a peer ahead of us needs nothing from us.
        """
        if not self._started or self._decided or status.height != self._height:
            return []
        out: list[Message] = []
        r = status.round
        if 0 <= r <= self._round + self.config.round_window:
            for p in self._proposals.get(r, ()):
                if not status.has_proposal:
                    out.append(p)
                if p.valid_round >= 0 and status.step == Step.PROPOSE:
                    pol = self._votes.get(p.valid_round, VoteKind.PREVOTE)
                    out.extend(pol.votes_for(p.value_hash) if pol else ())
            out.extend(self._missing(r, VoteKind.PREVOTE, status.prevotes))
            out.extend(self._missing(r, VoteKind.PRECOMMIT, status.precommits))
        if self._round > r:
            out.extend(self._proposals.get(self._round, ()))
            out.extend(self._missing(self._round, VoteKind.PREVOTE, b""))
            out.extend(self._missing(self._round, VoteKind.PRECOMMIT, b""))
        return out

    def _bitmap(self, round_: int, kind: VoteKind) -> bytes:
        vs = self._votes.get(round_, kind)
        return vs.bitmap(self._index, len(self._index)) if vs else b""

    def _missing(self, round_: int, kind: VoteKind, bitmap: bytes) -> list[Vote]:
        vs = self._votes.get(round_, kind)
        if vs is None:
            return []
        return [v for v in vs.votes.values() if not bitmap_has(bitmap, self._index[v.validator])]

    # -- inputs ---------------------------------------------------------------------------------

    def on_start(
        self, height: int, proposers: ProposerState, replay: Sequence[WalRecord] = ()
    ) -> list[Effect]:
        """Start `height` (line 10), first re-applying this height's WAL records after a restart."""
        if height < 1 or (self._started and height <= self._height):
            raise ValueError(f"cannot start height {height} at height {self._height}")
        self._out = []
        self._started = True
        self._reset(height, proposers)
        buffered = [m for m in self._future if m.height == height]
        self._future, self._future_per_sender = {}, {}
        records = [rec for rec in replay if rec.height == height]
        self._replay_has_end = any(isinstance(rec, EndHeight) for rec in records)
        for rec in records:
            if isinstance(rec, Proposal | Vote) and rec.sender == self.validator_id:
                self._own.setdefault((rec.round, rec.msg_type), rec)
        self._replaying = True
        try:
            self._start_round(0)
            self._run_rules(())
            for rec in records:
                if not self._decided:
                    self._replay(rec)
        finally:
            self._replaying = False
            self._replay_has_end = False
        self._count("replayed_records", len(records))
        for message in buffered:
            if self._decided:
                break
            self._input(message, verify=True)
        return self._take()

    def on_proposal(self, proposal: Proposal) -> list[Effect]:
        self._out = []
        self._input(proposal, verify=True)
        return self._take()

    def on_vote(self, vote: Vote) -> list[Effect]:
        self._out = []
        self._input(vote, verify=True)
        return self._take()

    def on_timeout(self, timeout: Timeout) -> list[Effect]:
        self._out = []
        if self._started and not self._decided and self._timeout(timeout):
            self._run_rules((timeout.round,))
        else:
            self._count("timeout_stale")
        return self._take()

    def on_catchup(self, catchup: CatchUp) -> list[Effect]:
        """A peer's decided value and commit for our current height (a lagging node's shortcut)."""
        self._out = []
        if not self._started or self._decided or catchup.height != self._height:
            self._count("catchup_stale")
        else:
            self._catchup(catchup, verify=True)
        return self._take()

    def _take(self) -> list[Effect]:
        out, self._out = self._out, []
        return out

    def _count(self, reason: str, n: int = 1) -> None:
        self.stats[reason] = self.stats.get(reason, 0) + n

    # -- admission of messages ------------------------------------------------------------------

    def _input(self, message: Message, verify: bool) -> None:
        try:
            if isinstance(message, Proposal):
                check_proposal(message, self.config.value_bytes_max)
            else:
                check_vote(message)
        except ConsensusError:
            self._count("drop_malformed")
            return
        if not self._started:
            self._count("drop_not_started")
        elif message.height == self._height + 1:
            self._buffer_future(message)
        elif message.height != self._height or self._decided:
            self._count("drop_other_height")
        elif isinstance(message, Proposal):
            if self._accept_proposal(message, verify):
                self._run_rules((message.round,))
        elif self._accept_vote(message, verify):
            self._run_rules((message.round,))

    def _buffer_future(self, message: Message) -> None:
        # Unverified until its height starts (its validator set is not known yet), so the
        # per-sender cap keys on the claimed sender: spoofing costs liveness, never safety.
        sender = message.sender
        count = self._future_per_sender.get(sender, 0)
        if len(self._future) >= self.config.future_messages_max:
            self._count("drop_future_full")
        elif count >= self.config.future_messages_per_sender_max:
            self._count("drop_future_sender_full")
        elif message in self._future:
            self._count("drop_duplicate")
        else:
            self._future[message] = None
            self._future_per_sender[sender] = count + 1

    def _admit_round(self, round_: int) -> bool:
        if round_ > self._round + self.config.round_window:
            self._count("drop_round_window")
            return False
        admitted, evicted = self._votes.admit_round(round_, self._round)
        if evicted is not None:
            self._proposals.pop(evicted, None)
        if not admitted:
            self._count("drop_rounds_full")
        return admitted

    def _accept_proposal(self, p: Proposal, verify: bool) -> bool:
        """Add a proposal from proposer(h, r) to the log; False if dropped (counted in stats)."""
        if p.round > self._round + self.config.round_window:
            self._count("drop_round_window")
            return False
        if p.proposer != self._rotation.proposer(p.round):
            self._count("drop_not_proposer")
            return False
        held = self._proposals.get(p.round, [])
        if any(q.value_hash == p.value_hash and q.valid_round == p.valid_round for q in held):
            self._count("drop_duplicate")
            return False
        if len(held) >= self.config.proposals_per_round_max:
            self._count("drop_proposals_full")
            return False
        if self.ports.value_hash(p.value) != p.value_hash:
            self._count("drop_value_hash_mismatch")
            return False
        if verify and not self.ports.verify(p.proposer, p.sign_bytes(self.config.chain_id), p.signature):
            self._count("drop_bad_signature")
            return False
        if not self._admit_round(p.round):
            return False
        if not self._replaying:
            self.ports.wal.append(p, sync=False)
        self._proposals.setdefault(p.round, []).append(p)
        self._votes.note_sender(p.round, p.proposer)
        return True

    def _accept_vote(self, v: Vote, verify: bool) -> bool:
        """Count a vote; report equivocation; False if nothing changed."""
        power = self._powers.get(v.validator)
        if power is None:
            self._count("drop_unknown_validator")
            return False
        if v.round > self._round + self.config.round_window:
            self._count("drop_round_window")
            return False
        vote_set = self._votes.get(v.round, v.kind)
        if vote_set is not None and vote_set.has(v.validator, v.value_hash):
            self._count("drop_duplicate")
            return False
        if verify and not self.ports.verify(v.validator, v.sign_bytes(self.config.chain_id), v.signature):
            self._count("drop_bad_signature")
            return False
        earlier = vote_set.existing(v.validator) if vote_set is not None else None
        if vote_set is not None and earlier is not None:
            self._report_equivocation(earlier, v)
            # Counted for its own value only, and only for a value some proposal makes relevant;
            # gossip re-sends such votes with the POL, so dropping the others loses nothing needed.
            if not self._relevant(v.round, v.value_hash) or not vote_set.add_conflicting(v, power):
                return False
        else:
            if not self._admit_round(v.round):
                return False
            outcome, _ = self._votes.vote_set(v.round, v.kind).add(v, power)
            assert outcome == AddOutcome.ADDED
            self._votes.note_sender(v.round, v.validator)
        if not self._replaying:
            self.ports.wal.append(v, sync=False)
        return True

    def _relevant(self, round_: int, value_hash: bytes | None) -> bool:
        """Is `value_hash` proposed in `round_`, or named by a proposal as its POL in `round_`?"""
        if value_hash is None:
            return False
        if self._proposal_for(round_, value_hash) is not None:
            return True
        return any(
            p.valid_round == round_ and p.value_hash == value_hash
            for held in self._proposals.values()
            for p in held
        )

    def _report_equivocation(self, earlier: Vote, later: Vote) -> None:
        key = (later.validator, later.round, later.kind)
        if key in self._evidence_keys:
            self._count("drop_equivocation_known")
            return
        self._evidence_keys.add(key)
        self._count("evidence")
        self._out.append(EvidenceFound(DuplicateVoteEvidence.of(earlier, later)))

    def _replay(self, rec: WalRecord) -> None:
        """Re-apply one WAL record (already verified before it was written)."""
        if isinstance(rec, Proposal | Vote):
            if rec.sender == self.validator_id:
                self._deliver_own(rec)
                self._run_rules((rec.round,))
            elif (
                self._accept_proposal(rec, False)
                if isinstance(rec, Proposal)
                else self._accept_vote(rec, False)
            ):
                self._run_rules((rec.round,))
        elif isinstance(rec, Timeout):
            if self._timeout(rec):
                self._run_rules((rec.round,))
        elif isinstance(rec, CatchUp):
            self._catchup(rec, verify=False)

    # -- own messages ---------------------------------------------------------------------------

    def _send(self, message: Message) -> bool:
        """Sign (privval), make durable (WAL, fsync), count, and broadcast an own message.

        A message recorded in the replayed WAL for the same (round, type) is reused as is: it is
        what peers may already hold, and signing anything else there would be a double sign.
        """
        if self.validator_id is None or self.validator_id not in self._powers:
            return False
        key = (message.round, message.msg_type)
        signed = self._own.get(key)
        if signed is None:
            try:
                signed = self.ports.sign(message)
            except GovledgerError:
                self._count("sign_refused")
                return False
            assert signed.unsigned() == message.unsigned(), "the signer changed the message"
            self.ports.wal.append(signed, sync=True)
            self._own[key] = signed
        elif signed.unsigned() != message.unsigned():
            self._count("replay_divergence")
        self._deliver_own(signed)
        self._out.append(Broadcast(signed))
        return True

    def _deliver_own(self, message: Message) -> None:
        """Put an own message into the log without the checks a peer's message gets."""
        if not self._admit_round(message.round):
            return
        if isinstance(message, Proposal):
            held = self._proposals.setdefault(message.round, [])
            if message not in held:
                held.append(message)
        else:
            self._votes.vote_set(message.round, message.kind).add(message, self._powers[message.validator])
        self._votes.note_sender(message.round, message.sender)

    def _vote(self, kind: VoteKind, value_hash: bytes | None) -> None:
        if self.validator_id is not None:  # an observer (non-validator) follows the rules silently
            self._send(Vote(kind, self._height, self._round, value_hash, self.validator_id))

    # -- the rules ------------------------------------------------------------------------------

    def _run_rules(self, touched: Iterable[int]) -> None:
        """Fire upon-rules until none applies (the paper executes each rule atomically)."""
        rounds = set(touched)
        for _ in range(RULE_STEPS_MAX):
            if self._decided:
                return
            if self._rule_decide(sorted(rounds | {self._round})):  # line 49
                return
            if self._rule_round_skip(rounds):  # line 55
                continue
            if not self._rules_current_round():
                return
        raise AssertionError("consensus rules did not reach a fixpoint")

    def _rules_current_round(self) -> bool:
        r = self._round
        if self._step == Step.PROPOSE and self._rule_proposal(r):  # lines 22, 28
            return True
        prevotes = self._votes.get(r, VoteKind.PREVOTE)
        if prevotes is not None:
            if self._step >= Step.PREVOTE and (r, 36) not in self._fired and self._rule_polka(r):
                return True
            if self._step == Step.PREVOTE and prevotes.has_quorum_for(None):  # line 44
                self._step = Step.PRECOMMIT  # line 46
                self._vote(VoteKind.PRECOMMIT, None)  # line 45
                return True
            if self._step == Step.PREVOTE and (r, 34) not in self._fired and prevotes.has_quorum_any():
                self._fired.add((r, 34))  # line 34, "for the first time"
                self._schedule(TimeoutKind.PREVOTE)  # line 35
                return True
        precommits = self._votes.get(r, VoteKind.PRECOMMIT)
        if precommits is not None and (r, 47) not in self._fired and precommits.has_quorum_any():
            self._fired.add((r, 47))  # line 47, "for the first time"
            self._schedule(TimeoutKind.PRECOMMIT)  # line 48
            return True
        return False

    def _rule_proposal(self, r: int) -> bool:
        """Lines 22-33: the first proposal of round r that can be acted on gets our prevote."""
        for p in self._proposals.get(r, ()):
            if p.valid_round == -1:  # line 22
                ok = self._valid(p) and (self._locked_round == -1 or self._locked_hash == p.value_hash)  # 23
            else:  # line 28; admission guarantees 0 <= vr < r
                pol = self._votes.get(p.valid_round, VoteKind.PREVOTE)
                if pol is None or not pol.has_quorum_for(p.value_hash):
                    continue
                ok = self._valid(p) and (
                    self._locked_round <= p.valid_round or self._locked_hash == p.value_hash
                )  # line 29
            self._step = Step.PREVOTE  # lines 27, 33
            self._vote(VoteKind.PREVOTE, p.value_hash if ok else None)  # lines 24/26, 30/32
            return True
        return False

    def _rule_polka(self, r: int) -> bool:
        """Lines 36-43: a proposal plus 2f+1 prevotes for it in the current round."""
        prevotes = self._votes.get(r, VoteKind.PREVOTE)
        assert prevotes is not None
        found, value_hash = prevotes.quorum_value()
        if not found or value_hash is None:
            return False
        p = self._proposal_for(r, value_hash)
        if p is None or not self._valid(p):
            return False
        self._fired.add((r, 36))
        if self._step == Step.PREVOTE:  # line 37
            self._locked_hash, self._locked_round = value_hash, r  # lines 38-39
            self._step = Step.PRECOMMIT  # line 41
            self._vote(VoteKind.PRECOMMIT, value_hash)  # line 40
        self._valid_value, self._valid_hash, self._valid_round = p.value, value_hash, r  # lines 42-43
        return True

    def _rule_decide(self, rounds: Iterable[int]) -> bool:
        """Line 49: a proposal plus 2f+1 precommits for it in any round r'."""
        for r in rounds:
            precommits = self._votes.get(r, VoteKind.PRECOMMIT)
            if precommits is None:
                continue
            found, value_hash = precommits.quorum_value()
            if not found or value_hash is None:
                continue
            p = self._proposal_for(r, value_hash)
            if p is None or not self._valid(p):  # line 50
                continue
            self._decide(r, p.value, value_hash, precommits.votes_for(value_hash))
            return True
        return False

    def _rule_round_skip(self, rounds: Iterable[int]) -> bool:
        """Line 55: f+1 senders in a later round; go to the highest such round."""
        later = [r for r in rounds if r > self._round and self._votes.has_one_third_plus_senders(r)]
        if not later:
            return False
        self._start_round(max(later))  # line 56
        return True

    def _start_round(self, r: int) -> None:
        """StartRound (lines 11-20)."""
        self._round = r  # line 12
        self._step = Step.PROPOSE  # line 13
        me = self.validator_id
        if me is None or self._rotation.proposer(r) != me:  # line 14
            self._schedule(TimeoutKind.PROPOSE)  # line 20
            return
        recorded = self._own.get((r, SignedMsgType.PROPOSAL))
        if recorded is not None:  # replay: the value we already proposed, not a new one
            sent = self._send(recorded.unsigned())
        elif self._valid_value is not None and self._valid_hash is not None:  # lines 15-16
            value = self._valid_value
            sent = self._send(Proposal(self._height, r, self._valid_hash, value, self._valid_round, me))
        else:
            value = self.ports.get_value(self._height, r)  # line 17
            assert len(value) <= self.config.value_bytes_max, "get_value returned an oversize value"
            value_hash = self.ports.value_hash(value)
            sent = self._send(Proposal(self._height, r, value_hash, value, self._valid_round, me))  # line 18
        if not sent:
            self._schedule(TimeoutKind.PROPOSE)

    def _timeout(self, t: Timeout) -> bool:
        """OnTimeoutPropose/Prevote/Precommit (lines 57-67); True if it changed anything."""
        if t.height != self._height or t.round != self._round:
            return False
        if t.kind == TimeoutKind.PROPOSE and self._step == Step.PROPOSE:  # line 58
            self._log_timeout(t)
            self._step = Step.PREVOTE  # line 60
            self._vote(VoteKind.PREVOTE, None)  # line 59
        elif t.kind == TimeoutKind.PREVOTE and self._step == Step.PREVOTE:  # line 62
            self._log_timeout(t)
            self._step = Step.PRECOMMIT  # line 64
            self._vote(VoteKind.PRECOMMIT, None)  # line 63
        elif t.kind == TimeoutKind.PRECOMMIT:  # line 66
            self._log_timeout(t)
            self._start_round(self._round + 1)  # line 67
        else:
            return False
        return True

    def _log_timeout(self, t: Timeout) -> None:
        if not self._replaying:
            self.ports.wal.append(t, sync=False)

    def _catchup(self, c: CatchUp, verify: bool) -> None:
        value_hash = c.commit.value_hash
        if verify:
            try:
                c.commit.verify(self._validators, self.config.chain_id, self.ports.verify)
            except ConsensusError:
                self._count("drop_bad_commit")
                return
        if self.ports.value_hash(c.value) != value_hash:
            self._count("drop_value_hash_mismatch")
            return
        if not self.ports.validate(self._height, c.value):
            # 2f+1 precommits for an invalid value: more than a third is faulty. Refuse it.
            self._count("drop_catchup_invalid_value")
            return
        self._validity[value_hash] = True
        if not self._replaying:
            self.ports.wal.append(c, sync=False)
        self._decide(c.commit.round, c.value, value_hash, c.commit.precommits)

    def _decide(self, r: int, value: bytes, value_hash: bytes, precommits: tuple[Vote, ...]) -> None:
        """Lines 51-54, up to the height change, which waits for the node's on_start."""
        if not self._replay_has_end:
            self.ports.wal.append(EndHeight(self._height), sync=True)
        self._decided = True
        commit = Commit(self._height, r, value_hash, precommits)
        self._out.append(Decide(self._height, r, value_hash, value, commit))

    # -- helpers --------------------------------------------------------------------------------

    def _schedule(self, kind: TimeoutKind) -> None:
        duration = self.config.timeouts.duration_ms(kind, self._round)
        self._out.append(ScheduleTimeout(kind, self._height, self._round, duration))

    def _proposal_for(self, r: int, value_hash: bytes) -> Proposal | None:
        for p in self._proposals.get(r, ()):
            if p.value_hash == value_hash:
                return p
        return None

    def _valid(self, p: Proposal) -> bool:
        """valid(v), asked once per value and height (validation may execute a whole block)."""
        known = self._validity.get(p.value_hash)
        if known is None:
            known = self._validity[p.value_hash] = bool(self.ports.validate(self._height, p.value))
        return known
