"""Vote bookkeeping for one height: per (round, kind) weighted tallies, and per-round senders.

Owns the part of Algorithm 1's "message log" that holds votes, and answers the threshold questions
the upon-rules ask: "2f+1 ⟨PREVOTE, h, r, id(v)⟩", "2f+1 ⟨PRECOMMIT, h, r, *⟩", "f+1 ⟨*, h, r⟩".

- A validator's first vote per (round, kind) counts everywhere. A second, different vote is a
  conflict (the core turns it into evidence); it can still count for its own value's tally when the
  core finds that value relevant (see `VoteSet`), never twice for one value, never for "any".
- Power, not head count: every threshold is by voting power (`types.is_quorum`).
- Bounds: a VoteSet holds at most one vote per validator; `HeightVotes` holds at most
  `rounds_max` rounds and evicts the lowest round below the current one when full (old rounds are
  needed only by the POL rule, line 28, and by decisions in old rounds, line 49; forgetting them
  can cost liveness in a pathological height, never safety).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from govledger.consensus.types import Vote, VoteKind, is_one_third_plus, is_quorum

# A validator that equivocates can have at most this many votes (one per value) counted in the
# per-value tallies of one (round, kind); its first vote alone counts for the "any" tallies.
CONFLICTING_VALUES_PER_VALIDATOR_MAX = 4


class AddOutcome(Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class VoteSet:
    """The votes of one kind in one round of one height, with tallies by value hash (None is nil).

    `votes` holds each validator's first vote: it alone counts for "2f+1 ⟨*⟩" (lines 34, 47) and
    for the bitmaps peers use. `by_value` may also hold an equivocator's later votes for other
    values (`add_conflicting`), because the paper's message log keeps every message: without them a
    node that saw an equivocator's nil first could never count the polka another honest node locked
    on, and the height could stall (the simulator found exactly that). This cannot break safety:
    two values reaching 2f+1 in one tally needs more than 1/3 Byzantine power.
    """

    __slots__ = (
        "by_value",
        "conflicting",
        "height",
        "kind",
        "power_any",
        "power_by_value",
        "round",
        "total",
        "votes",
    )

    def __init__(self, kind: VoteKind, height: int, round_: int, total: int) -> None:
        self.kind = kind
        self.height = height
        self.round = round_
        self.total = total
        self.votes: dict[bytes, Vote] = {}
        self.by_value: dict[bytes | None, dict[bytes, Vote]] = {}
        self.power_by_value: dict[bytes | None, int] = {}
        self.power_any = 0
        self.conflicting: dict[bytes, int] = {}

    def existing(self, validator: bytes) -> Vote | None:
        return self.votes.get(validator)

    def has(self, validator: bytes, value_hash: bytes | None) -> bool:
        return validator in self.by_value.get(value_hash, ())

    def add(self, vote: Vote, power: int) -> tuple[AddOutcome, Vote | None]:
        """Count `vote` unless its validator already voted; returns the earlier vote on conflict."""
        assert (vote.kind, vote.height, vote.round) == (self.kind, self.height, self.round)
        assert power > 0
        earlier = self.votes.get(vote.validator)
        if earlier is not None:
            same = earlier.value_hash == vote.value_hash
            return (AddOutcome.DUPLICATE, earlier) if same else (AddOutcome.CONFLICT, earlier)
        self.votes[vote.validator] = vote
        self._count_for_value(vote, power)
        self.power_any += power
        assert self.power_any <= self.total
        return AddOutcome.ADDED, None

    def add_conflicting(self, vote: Vote, power: int) -> bool:
        """Count an equivocator's further vote for its value only; False if its bound is reached."""
        assert vote.validator in self.votes and not self.has(vote.validator, vote.value_hash)
        used = self.conflicting.get(vote.validator, 0)
        if used >= CONFLICTING_VALUES_PER_VALIDATOR_MAX:
            return False
        self.conflicting[vote.validator] = used + 1
        self._count_for_value(vote, power)
        return True

    def _count_for_value(self, vote: Vote, power: int) -> None:
        self.by_value.setdefault(vote.value_hash, {})[vote.validator] = vote
        self.power_by_value[vote.value_hash] = self.power_by_value.get(vote.value_hash, 0) + power
        assert self.power_by_value[vote.value_hash] <= self.total

    def has_quorum_any(self) -> bool:
        return is_quorum(self.power_any, self.total)

    def has_quorum_for(self, value_hash: bytes | None) -> bool:
        return is_quorum(self.power_by_value.get(value_hash, 0), self.total)

    def quorum_value(self) -> tuple[bool, bytes | None]:
        """(True, id) if some id(v) or nil holds 2f+1; at most one can while faults stay below 1/3."""
        for value_hash, power in self.power_by_value.items():
            if is_quorum(power, self.total):
                return True, value_hash
        return False, None

    def votes_for(self, value_hash: bytes | None) -> tuple[Vote, ...]:
        """The counted votes for one value, ordered by validator id (a commit's canonical order)."""
        return tuple(sorted(self.by_value.get(value_hash, {}).values(), key=_by_validator))

    def bitmap(self, index: Mapping[bytes, int], size: int) -> bytes:
        bits = bytearray((size + 7) // 8)
        for validator in self.votes:
            i = index[validator]
            bits[i >> 3] |= 1 << (i & 7)
        return bytes(bits)


def _by_validator(v: Vote) -> bytes:
    return v.validator


def bitmap_has(bitmap: bytes, i: int) -> bool:
    return (i >> 3) < len(bitmap) and bool(bitmap[i >> 3] & (1 << (i & 7)))


class HeightVotes:
    """All vote sets of one height plus, per round, which validators sent anything (line 55)."""

    def __init__(self, height: int, powers: Mapping[bytes, int], rounds_max: int) -> None:
        assert rounds_max >= 2
        self.height = height
        self.powers = powers
        self.total = sum(powers.values())
        self.rounds_max = rounds_max
        self._sets: dict[tuple[int, VoteKind], VoteSet] = {}
        self._senders: dict[int, dict[bytes, None]] = {}
        self._sender_power: dict[int, int] = {}
        self.evicted_rounds = 0

    def get(self, round_: int, kind: VoteKind) -> VoteSet | None:
        return self._sets.get((round_, kind))

    def admit_round(self, round_: int, current_round: int) -> tuple[bool, int | None]:
        """Make room for `round_`: (admitted, evicted round or None).

        When `rounds_max` rounds are held, the lowest round below both `round_` and the current
        round is evicted; rounds at or above the current one are never evicted, so the rules that
        drive progress (the current round and line 55's higher rounds) always have their votes.
        """
        if round_ in self._senders:
            return True, None
        evicted: int | None = None
        if len(self._senders) >= self.rounds_max:
            lowest = min(self._senders)
            if lowest >= min(round_, current_round):
                return False, None
            del self._senders[lowest]
            self._sender_power.pop(lowest, None)
            for kind in VoteKind:
                self._sets.pop((lowest, kind), None)
            self.evicted_rounds += 1
            evicted = lowest
        self._senders[round_] = {}
        return True, evicted

    def vote_set(self, round_: int, kind: VoteKind) -> VoteSet:
        """The vote set of an admitted round, created on first use."""
        assert round_ in self._senders, "admit_round first"
        found = self._sets.get((round_, kind))
        if found is None:
            found = self._sets[(round_, kind)] = VoteSet(kind, self.height, round_, self.total)
        return found

    def note_sender(self, round_: int, sender: bytes) -> None:
        """`sender` sent a message (proposal or vote) in an admitted round (line 55 counts these)."""
        senders = self._senders[round_]
        if sender not in senders:
            senders[sender] = None
            self._sender_power[round_] = self._sender_power.get(round_, 0) + self.powers[sender]

    def has_one_third_plus_senders(self, round_: int) -> bool:
        return is_one_third_plus(self._sender_power.get(round_, 0), self.total)

    def rounds_held(self) -> int:
        return len(self._senders)
