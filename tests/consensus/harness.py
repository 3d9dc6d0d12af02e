"""Test helpers for the consensus core: keys, validator sets and a core wired to recording ports."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

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
from govledger.consensus.privval import MemoryPrivValStore, PrivValidator
from govledger.consensus.proposer import ProposerState
from govledger.consensus.types import (
    Message,
    Proposal,
    Validator,
    ValidatorSet,
    Vote,
    VoteKind,
    WalRecord,
)

CHAIN = "test-chain"
TIMEOUTS = TimeoutConfig(1000, 100, 500, 50, 700, 70)


def vid(i: int) -> bytes:
    """Validator i's id; ids ascend with i, so with equal powers validator i proposes round i at height 1."""
    return bytes([i + 1]) * 20


def vset(powers: Sequence[int]) -> ValidatorSet:
    return ValidatorSet.of(Validator(vid(i), p) for i, p in enumerate(powers))


def _secret(validator: bytes) -> bytes:
    return hashlib.sha256(b"test-key" + validator).digest()


def raw_sign(i: int, message: bytes) -> bytes:
    return hmac.new(_secret(vid(i)), message, "sha256").digest()


def verify(validator: bytes, message: bytes, signature: bytes) -> bool:
    return hmac.compare_digest(hmac.new(_secret(validator), message, "sha256").digest(), signature)


def signed(message: Message, i: int) -> Message:
    return message.with_signature(raw_sign(i, message.sign_bytes(CHAIN)))


def vote(kind: VoteKind, height: int, round_: int, value: bytes | None, i: int) -> Vote:
    value_hash = h(value) if value is not None else None
    v = signed(Vote(kind, height, round_, value_hash, vid(i)), i)
    assert isinstance(v, Vote)
    return v


def proposal(height: int, round_: int, value: bytes, valid_round: int, i: int) -> Proposal:
    p = signed(Proposal(height, round_, h(value), value, valid_round, vid(i)), i)
    assert isinstance(p, Proposal)
    return p


class RecordingWal:
    def __init__(self, log: list[str]) -> None:
        self.records: list[tuple[WalRecord, bool]] = []
        self._log = log

    def append(self, record: WalRecord, sync: bool) -> None:
        self.records.append((record, sync))
        self._log.append(f"wal:{type(record).__name__}:{'sync' if sync else 'nosync'}")

    def replay(self, height: int) -> list[WalRecord]:
        return [r for r, _ in self.records if r.height == height]


class Harness:
    """One core (validator `me`) with recording ports; peers are simulated by signed messages."""

    def __init__(
        self,
        me: int | None = 1,
        powers: Sequence[int] = (1, 1, 1, 1),
        invalid: Iterable[bytes] = (),
        privval_store: MemoryPrivValStore | None = None,
        wal: RecordingWal | None = None,
        config: CoreConfig | None = None,
    ) -> None:
        self.me = me
        self.powers = tuple(powers)
        self.validators = vset(powers)
        self.invalid = set(invalid)
        self.log: list[str] = []
        self.wal = wal or RecordingWal(self.log)
        self.wal._log = self.log
        self.store = privval_store or MemoryPrivValStore()
        self.proposed: list[tuple[int, int]] = []
        self.value_suffix = b""
        self.validated: list[bytes] = []
        sign = self._refuse
        if me is not None:
            privval = PrivValidator(CHAIN, vid(me), lambda m: raw_sign(me, m), self.store)
            sign = privval.sign
        self.core = ConsensusCore(
            config or CoreConfig(CHAIN, timeouts=TIMEOUTS),
            vid(me) if me is not None else None,
            CorePorts(
                sign=sign, verify=verify, get_value=self._get_value, validate=self._validate, wal=self.wal
            ),
        )

    @staticmethod
    def _refuse(message: Message) -> Message:
        raise AssertionError("an observer never signs")

    def _get_value(self, height: int, round_: int) -> bytes:
        self.proposed.append((height, round_))
        return b"value-%d-%d" % (height, round_) + self.value_suffix

    def _validate(self, height: int, value: bytes) -> bool:
        self.validated.append(value)
        return value not in self.invalid

    def start(self, height: int = 1, replay: Sequence[WalRecord] = ()) -> list[Effect]:
        return self._note(self.core.on_start(height, ProposerState.genesis(self.validators), replay))

    def _note(self, effects: list[Effect]) -> list[Effect]:
        for e in effects:
            self.log.append(f"effect:{type(e).__name__}")
        return effects

    def propose(
        self, round_: int, value: bytes, valid_round: int = -1, by: int | None = None, height: int = 1
    ) -> list[Effect]:
        proposer = by if by is not None else self.proposer_index(round_)
        return self._note(self.core.on_proposal(proposal(height, round_, value, valid_round, proposer)))

    def votes(
        self, kind: VoteKind, round_: int, value: bytes | None, *who: int, height: int = 1
    ) -> list[Effect]:
        out: list[Effect] = []
        for i in who:
            out += self._note(self.core.on_vote(vote(kind, height, round_, value, i)))
        return out

    def prevotes(self, round_: int, value: bytes | None, *who: int) -> list[Effect]:
        return self.votes(VoteKind.PREVOTE, round_, value, *who)

    def precommits(self, round_: int, value: bytes | None, *who: int) -> list[Effect]:
        return self.votes(VoteKind.PRECOMMIT, round_, value, *who)

    def proposer_index(self, round_: int) -> int:
        return list(self.validators.ids()).index(self.core.proposer(round_))


def broadcasts(effects: Iterable[Effect]) -> list[Message]:
    return [e.message for e in effects if isinstance(e, Broadcast)]


def own_votes(effects: Iterable[Effect]) -> list[tuple[VoteKind, int, bytes | None]]:
    return [(m.kind, m.round, m.value_hash) for m in broadcasts(effects) if isinstance(m, Vote)]


def timeouts(effects: Iterable[Effect]) -> list[ScheduleTimeout]:
    return [e for e in effects if isinstance(e, ScheduleTimeout)]


def decisions(effects: Iterable[Effect]) -> list[Decide]:
    return [e for e in effects if isinstance(e, Decide)]


def evidence(effects: Iterable[Effect]) -> list[EvidenceFound]:
    return [e for e in effects if isinstance(e, EvidenceFound)]


def h(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()
