"""Random input sequences against the core's invariants (Hypothesis).

Inputs come from a small space (4 rounds, 3 values, 4 validators, all three timeouts) so that
interesting interleavings, equivocations included, are common. Whatever the order, the core must
never raise, never try to sign twice in one step, never move its lock backwards, and precommit or
decide a value only when the log it was given justifies it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.consensus.core import Decide
from govledger.consensus.types import Message, Timeout, TimeoutKind, Vote, VoteKind

from .harness import Harness, broadcasts, h, proposal, vote

VALUES = (b"value-A", b"value-B", b"value-bad")
ME = 1

_proposals = st.builds(
    lambda r, v, vr: ("proposal", r, v, min(vr, r - 1)),
    st.integers(0, 3),
    st.sampled_from(VALUES),
    st.integers(-1, 2),
)
_votes = st.builds(
    lambda kind, r, v, who: ("vote", kind, r, v, who),
    st.sampled_from((VoteKind.PREVOTE, VoteKind.PRECOMMIT)),
    st.integers(0, 3),
    st.sampled_from((*VALUES[:2], None)),
    st.sampled_from((0, 2, 3)),
)
_timeouts = st.builds(
    lambda kind, r: ("timeout", kind, r), st.sampled_from(tuple(TimeoutKind)), st.integers(0, 3)
)
_inputs = st.lists(st.one_of(_proposals, _votes, _timeouts), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_inputs)
def test_core_invariants_under_random_inputs(inputs: list[tuple[object, ...]]) -> None:
    harness = Harness(me=ME, invalid=[b"value-bad"])
    harness.start()
    core = harness.core
    given_proposals: set[tuple[int, bytes]] = set()
    given_votes: dict[tuple[VoteKind, int, bytes | None], set[int]] = {}
    own: list[Message] = []
    lock_history = [core.locked[0]]
    for item in inputs:
        if core.decided:
            break
        if item[0] == "proposal":
            _, r, value, vr = item
            assert isinstance(r, int) and isinstance(value, bytes) and isinstance(vr, int)
            proposer = harness.proposer_index(r)
            if proposer == ME:
                continue  # this core proposes its own rounds
            given_proposals.add((r, h(value)))
            effects = core.on_proposal(proposal(1, r, value, vr, proposer))
        elif item[0] == "vote":
            _, kind, r, value, who = item
            assert isinstance(kind, VoteKind) and isinstance(r, int) and isinstance(who, int)
            assert value is None or isinstance(value, bytes)
            value_hash = h(value) if value is not None else None
            given_votes.setdefault((kind, r, value_hash), set()).add(who)
            effects = core.on_vote(vote(kind, 1, r, value, who))
        else:
            _, kind, r = item
            assert isinstance(kind, TimeoutKind) and isinstance(r, int)
            effects = core.on_timeout(Timeout(kind, 1, r))
        for m in broadcasts(effects):
            own.append(m)
            if isinstance(m, Vote):
                given_votes.setdefault((m.kind, m.round, m.value_hash), set()).add(ME)
            else:
                given_proposals.add((m.round, m.value_hash))
        lock_history.append(core.locked[0])
        for effect in effects:
            if isinstance(effect, Decide):
                assert effect.value != b"value-bad"
                assert (effect.round, effect.value_hash) in given_proposals
                assert len(given_votes.get((VoteKind.PRECOMMIT, effect.round, effect.value_hash), ())) >= 3
    assert core.stats.get("sign_refused", 0) == 0  # the rules never ask to sign twice in one step
    keys = [(m.round, m.msg_type) for m in own]
    assert len(keys) == len(set(keys))
    assert lock_history == sorted(lock_history)
    for m in own:
        if isinstance(m, Vote) and m.kind == VoteKind.PRECOMMIT and m.value_hash is not None:
            assert (m.round, m.value_hash) in given_proposals
            assert len(given_votes[(VoteKind.PREVOTE, m.round, m.value_hash)]) >= 3
            assert m.value_hash != h(b"value-bad")
