"""Proposer selection against the worked examples of proposer-selection.md, plus properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.codec import decode, encode
from govledger.consensus.proposer import ProposerState, new_validator_priority, selection_run
from govledger.consensus.types import INT64_MAX, Validator, ValidatorSet


def named(**powers: int) -> ValidatorSet:
    return ValidatorSet.of(Validator(name.encode(), p) for name, p in powers.items())


def test_stable_set_sequence_from_the_spec() -> None:
    # "Stable Set": VP p1=1, p2=3 gives p2, p1, p2, p2 and then repeats (R2's example sequence).
    rotation = ProposerState.genesis(named(p1=1, p2=3)).rotation()
    assert [rotation.proposer(r).decode() for r in range(8)] == ["p2", "p1", "p2", "p2"] * 2


def test_stable_set_priorities_match_the_table() -> None:
    powers, priorities = (1, 3), [0, 0]
    after: list[list[int]] = []
    for _ in range(4):
        selection_run(powers, priorities, 4)
        after.append(priorities[:])
    # rows "A(p)-=P" of the spec's table, as (p1, p2)
    assert after == [[1, -1], [-2, 2], [-1, 1], [0, 0]]


def test_removal_example_centers_priorities() -> None:
    # "Validator Removal": last run p1=1, p2=2, p3=-3; p2 removed; avg=-1; p1 elected, ends at -1.
    priorities = [1, -3]  # p1, p3
    elected = selection_run((1, 3), priorities, 4)
    assert elected == 0 and priorities == [-1, 1]


def test_new_validator_example_from_the_spec() -> None:
    # "New Validator": p1=1, p2=3, p3=8 added with A(p3) = -1.125 * 12 ~ -13.
    assert new_validator_priority(12) == -13
    priorities = [2, -2, -13]  # the table's "last run" row (p1, p2) and the added p3
    elected = selection_run((1, 3, 8), priorities, 12)
    # avg = -13 / 3 = -4 (truncated toward zero), +VP, p1 elected and moved back by P
    assert elected == 0 and priorities == [-5, 5, -1]


def test_next_height_applies_set_changes_after_one_run() -> None:
    state = ProposerState.genesis(named(p1=1, p2=3))
    grown = named(p1=1, p2=3, p3=8)
    nxt = state.next_height(grown)
    # one run from zeros elects p2 (1, -1); p3 joins at -(12 + 12 >> 3) = -13
    assert nxt.priorities == (1, -1, -13)
    assert nxt.proposer(0) == b"p1"  # spec: avg=-4 -> 5, 3, -9; +VP -> 6, 6, -1; tie -> p1
    shrunk = nxt.next_height(named(p1=1, p3=8))
    assert len(shrunk.priorities) == 2
    assert decode(encode(shrunk), ProposerState) == shrunk


def test_a_height_advances_priorities_by_one_run_whatever_its_rounds() -> None:
    state = ProposerState.genesis(named(a=1, b=1, c=1))
    rotation = state.rotation()
    assert [rotation.proposer(r) for r in range(3)] == [b"a", b"b", b"c"]
    assert state.next_height().proposer(0) == b"b"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=7))
def test_fairness_each_validator_proposes_its_power_per_total_rounds(powers: list[int]) -> None:
    vs = ValidatorSet.of(Validator(bytes([i + 1]), p) for i, p in enumerate(powers))
    total = vs.total_power()
    rotation = ProposerState.genesis(vs).rotation()
    sequence = [rotation.proposer(r) for r in range(2 * total)]
    for start in (0, total):
        window = sequence[start : start + total]
        assert all(window.count(v.id) == v.power for v in vs.validators)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=6),
    st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=6, max_size=6),
)
def test_scaling_keeps_the_window_within_two_p_and_sum_near_zero(powers: list[int], start: list[int]) -> None:
    n, total = len(powers), sum(powers)
    priorities = start[:n]
    for _ in range(5):
        selection_run(tuple(powers), priorities, total)
        # Centering leaves |sum| < n; the run then adds P and takes P back, so the sum stays there.
        assert abs(sum(priorities)) < n
        # Scaling bounds the window by 2P; the increment widens it by < P and the election by P.
        assert max(priorities) - min(priorities) <= 4 * total


def test_priorities_clip_to_int64() -> None:
    priorities = [INT64_MAX, INT64_MAX - 1]
    selection_run((INT64_MAX // 16, 1), priorities, INT64_MAX // 16 + 1)
    assert all(abs(p) <= INT64_MAX + 1 for p in priorities)
