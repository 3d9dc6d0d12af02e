"""Weighted round-robin proposer selection, exactly as spec/consensus/proposer-selection.md.

One selection run (the spec's final `ProposerSelection`):

1. scale: if max(A) - min(A) > 2P, divide every priority by ceil(diff / 2P), so the window stays
   within 2P (ceil, as CometBFT does: the spec's "max distance becomes 2 * P" needs it);
2. center: subtract avg = sum(A) / n, so the sum stays near zero;
3. increment: A(i) += VP(i);
4. elect the highest priority (ties: the smaller validator id) and subtract P from it.

Divisions truncate toward zero (Go's `/` on int64), which is what the spec's worked examples show
(e.g. avg = -13 / 3 = -4 in the "New Validator" table). Every addition is clipped to int64, per the
spec's "Proposer Priority Overflow/Underflow Handling".

Heights and rounds. `ProposerState` holds the priorities at the start of a height, before the run
that elects the round-0 proposer; the proposer of round r is the one elected by the (r+1)-th run
from that state. The next height starts from the state after exactly one run, whatever round the
height was decided in (as in CometBFT, where a block advances priorities by one), with the next
validator set applied: continuing validators keep their priority, removed ones disappear, and a new
validator starts at -1.125 * P with P the new set's total power (computed as -(P + P >> 3)).

The state is a wire `Record`, so the node stores it with each height and restores it on restart.
"""

from __future__ import annotations

from govledger.codec import Record
from govledger.consensus.types import INT64_MAX, INT64_MIN, ValidatorSet

PRIORITY_WINDOW_FACTOR = 2


def _clip(x: int) -> int:
    return INT64_MIN if x < INT64_MIN else INT64_MAX if x > INT64_MAX else x


def _div_trunc(a: int, b: int) -> int:
    """a / b rounded toward zero (Go integer division), for b > 0."""
    q = abs(a) // b
    return q if a >= 0 else -q


def selection_run(powers: tuple[int, ...], priorities: list[int], total: int) -> int:
    """One run of the spec's ProposerSelection, in place; returns the elected index.

    `powers`/`priorities` follow the validator set order (ascending ids), so the first maximum is
    the tie-break winner (the smaller id).
    """
    n = len(powers)
    assert n == len(priorities) and n > 0 and total > 0
    diff = max(priorities) - min(priorities)
    threshold = PRIORITY_WINDOW_FACTOR * total
    if diff > threshold:
        scale = -(-diff // threshold)
        for i in range(n):
            priorities[i] = _div_trunc(priorities[i], scale)
    avg = _div_trunc(sum(priorities), n)
    for i in range(n):
        priorities[i] = _clip(_clip(priorities[i] - avg) + powers[i])
    best = 0
    for i in range(1, n):
        if priorities[i] > priorities[best]:
            best = i
    priorities[best] = _clip(priorities[best] - total)
    return best


def new_validator_priority(total: int) -> int:
    """-1.125 * P, as -(P + P >> 3) (integer, as the spec notes)."""
    return _clip(-(total + (total >> 3)))


class ProposerState(Record, frozen=True):
    """Priorities at the start of a height (before round 0's election), aligned with `validators`."""

    validators: ValidatorSet
    priorities: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.priorities) != len(self.validators):
            raise ValueError("one priority per validator")
        if any(not INT64_MIN <= p <= INT64_MAX for p in self.priorities):
            raise ValueError("priorities are int64")

    @staticmethod
    def genesis(validators: ValidatorSet) -> ProposerState:
        return ProposerState(validators, (0,) * len(validators))

    def rotation(self) -> ProposerRotation:
        return ProposerRotation(self)

    def proposer(self, round_: int) -> bytes:
        """proposer(h, round); O(round * n), so the core keeps a ProposerRotation instead."""
        return self.rotation().proposer(round_)

    def next_height(self, next_validators: ValidatorSet | None = None) -> ProposerState:
        """The state for the following height: one run, then the validator changes."""
        powers = tuple(v.power for v in self.validators.validators)
        work = list(self.priorities)
        selection_run(powers, work, self.validators.total_power())
        if next_validators is None or next_validators == self.validators:
            return ProposerState(self.validators, tuple(work))
        kept = dict(zip(self.validators.ids(), work, strict=True))
        start = new_validator_priority(next_validators.total_power())
        priorities = tuple(kept.get(v.id, start) for v in next_validators.validators)
        return ProposerState(next_validators, priorities)


class ProposerRotation:
    """The proposers of one height, round by round, computed incrementally and remembered.

    Memory is one id per round asked for; the core only asks for rounds it accepts messages for,
    which are bounded by its round window.
    """

    def __init__(self, state: ProposerState) -> None:
        self._ids = state.validators.ids()
        self._powers = tuple(v.power for v in state.validators.validators)
        self._total = state.validators.total_power()
        self._work = list(state.priorities)
        self._proposers: list[bytes] = []

    def proposer(self, round_: int) -> bytes:
        assert round_ >= 0
        while len(self._proposers) <= round_:
            self._proposers.append(self._ids[selection_run(self._powers, self._work, self._total)])
        return self._proposers[round_]
