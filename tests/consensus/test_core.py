"""The core's transitions, rule by rule of Algorithm 1 (line numbers in the test names' comments).

Four validators of power 1 unless a test says otherwise; the core under test is validator 1. With
equal powers the proposers of height 1 are validators 0, 1, 2, 3 for rounds 0, 1, 2, 3.
"""

from __future__ import annotations

from govledger.consensus.core import CoreConfig, ScheduleTimeout
from govledger.consensus.privval import LastSignState, MemoryPrivValStore
from govledger.consensus.proposer import ProposerState
from govledger.consensus.types import (
    CatchUp,
    Commit,
    EndHeight,
    Proposal,
    Status,
    Step,
    Timeout,
    TimeoutKind,
    Vote,
    VoteKind,
)

from .harness import (
    CHAIN,
    TIMEOUTS,
    Harness,
    RecordingWal,
    broadcasts,
    decisions,
    evidence,
    h,
    own_votes,
    proposal,
    timeouts,
    vid,
    vote,
)

PV, PC = VoteKind.PREVOTE, VoteKind.PRECOMMIT
A, B = b"value-A", b"value-B"


def started(**kwargs: object) -> Harness:
    harness = Harness(**kwargs)  # type: ignore[arg-type]
    harness.start()
    return harness


def locked_on_a_in_round_0(**kwargs: object) -> Harness:
    harness = started(**kwargs)
    harness.propose(0, A)
    harness.prevotes(0, A, 0, 2)
    assert harness.core.locked == (0, h(A))
    return harness


def go_to_round(harness: Harness, target: int) -> None:
    """Leave rounds by precommit timeouts (lines 47, 65): nil precommits from the others, then the timer."""
    while harness.core.round < target:
        r = harness.core.round
        harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, r))
        harness.core.on_timeout(Timeout(TimeoutKind.PREVOTE, 1, r))
        harness.core.on_timeout(Timeout(TimeoutKind.PRECOMMIT, 1, r))


# -- StartRound (lines 11-20) --------------------------------------------------------------------


def test_non_proposer_schedules_timeout_propose_line_20() -> None:
    effects = Harness(me=1).start()
    assert timeouts(effects) == [ScheduleTimeout(TimeoutKind.PROPOSE, 1, 0, 1000)]
    assert broadcasts(effects) == []


def test_proposer_proposes_get_value_and_prevotes_it_lines_17_18_22() -> None:
    harness = Harness(me=0)
    effects = harness.start()
    sent = broadcasts(effects)
    assert isinstance(sent[0], Proposal) and sent[0].value == b"value-1-0" and sent[0].valid_round == -1
    assert own_votes(effects) == [(PV, 0, h(b"value-1-0"))]
    assert harness.proposed == [(1, 0)] and timeouts(effects) == []


def test_proposer_reproposes_valid_value_with_valid_round_lines_15_16() -> None:
    harness = locked_on_a_in_round_0()
    effects = harness.core.on_timeout(Timeout(TimeoutKind.PRECOMMIT, 1, 0))  # line 65 checks only h and r
    own = [m for m in broadcasts(effects) if isinstance(m, Proposal)]
    assert harness.core.round == 1
    assert len(own) == 1 and own[0].value == A and own[0].valid_round == 0
    assert harness.proposed == []  # getValue() not called: validValue is proposed


# -- lines 22-27 ----------------------------------------------------------------------------------


def test_prevote_for_a_valid_proposal_line_24() -> None:
    harness = started()
    assert own_votes(harness.propose(0, A)) == [(PV, 0, h(A))]
    assert harness.core.step == Step.PREVOTE


def test_prevote_nil_for_an_invalid_proposal_line_26() -> None:
    harness = started(invalid=[A])
    assert own_votes(harness.propose(0, A)) == [(PV, 0, None)]


def test_prevote_nil_on_timeout_propose_line_57_and_stale_timers_ignored() -> None:
    harness = started()
    assert harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, 3)) == []
    assert own_votes(harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, 0))) == [(PV, 0, None)]
    assert harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, 0)) == []  # step is prevote now
    assert harness.propose(0, A) == []  # too late: already prevoted this round


def test_locked_node_prevotes_nil_for_another_value_line_23() -> None:
    harness = locked_on_a_in_round_0()
    go_to_round(harness, 2)
    assert own_votes(harness.propose(2, B)) == [(PV, 2, None)]


def test_locked_node_prevotes_its_locked_value_again_line_23() -> None:
    harness = locked_on_a_in_round_0()
    go_to_round(harness, 2)
    assert own_votes(harness.propose(2, A)) == [(PV, 2, h(A))]


# -- lines 28-33 ----------------------------------------------------------------------------------


def test_unlock_on_a_newer_pol_line_29() -> None:
    harness = locked_on_a_in_round_0()
    go_to_round(harness, 2)
    harness.prevotes(1, B, 0, 2, 3)  # a polka for B in round 1 > lockedRound 0
    assert own_votes(harness.propose(2, B, valid_round=1)) == [(PV, 2, h(B))]


def test_no_unlock_on_an_older_pol_line_32() -> None:
    harness = started()
    harness.prevotes(0, B, 0, 2, 3)  # a polka for B in round 0
    go_to_round(harness, 2)
    harness.propose(2, A)
    harness.prevotes(2, A, 0, 3)
    assert harness.core.locked == (2, h(A))
    go_to_round(harness, 3)
    assert own_votes(harness.propose(3, B, valid_round=0)) == [(PV, 3, None)]  # 0 < lockedRound 2


def test_pol_rule_waits_for_the_polka_line_28() -> None:
    harness = started()
    go_to_round(harness, 2)
    assert own_votes(harness.propose(2, B, valid_round=1)) == []  # no 2f+1 prevotes for B in round 1 yet
    assert own_votes(harness.prevotes(1, B, 0, 2, 3)) == [(PV, 2, h(B))]


# -- lines 34-48 ----------------------------------------------------------------------------------


def test_timeout_prevote_scheduled_once_on_any_two_thirds_line_34() -> None:
    harness = started()
    harness.propose(0, A)
    effects = harness.prevotes(0, None, 0) + harness.prevotes(0, B, 2)
    assert timeouts(effects) == [ScheduleTimeout(TimeoutKind.PREVOTE, 1, 0, 500)]
    assert timeouts(harness.prevotes(0, None, 3)) == []


def test_polka_locks_and_precommits_lines_36_43() -> None:
    harness = started()
    harness.propose(0, A)
    effects = harness.prevotes(0, A, 0, 2)
    assert own_votes(effects) == [(PC, 0, h(A))]
    assert harness.core.locked == (0, h(A)) and harness.core.valid == (0, h(A))
    assert harness.core.step == Step.PRECOMMIT


def test_polka_without_the_proposal_does_not_lock_line_36() -> None:
    harness = started()
    harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, 0))
    effects = harness.prevotes(0, A, 0, 2, 3)
    assert (PC, 0, h(A)) not in own_votes(effects)
    assert harness.core.locked == (-1, None)


def test_polka_after_precommit_updates_valid_value_only_line_42() -> None:
    harness = started()
    harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, 0))  # prevote nil, step prevote
    harness.core.on_timeout(Timeout(TimeoutKind.PREVOTE, 1, 0))  # precommit nil, step precommit
    harness.propose(0, A)
    effects = harness.prevotes(0, A, 0, 2, 3)
    assert own_votes(effects) == []  # no second precommit
    assert harness.core.locked == (-1, None) and harness.core.valid == (0, h(A))


def test_precommit_nil_on_a_nil_polka_line_44() -> None:
    harness = started()
    harness.propose(0, A)
    assert own_votes(harness.prevotes(0, None, 0, 2, 3)) == [(PC, 0, None)]


def test_precommit_nil_on_timeout_prevote_line_61() -> None:
    harness = started()
    harness.propose(0, A)
    harness.prevotes(0, B, 0)
    harness.prevotes(0, None, 2)
    assert own_votes(harness.core.on_timeout(Timeout(TimeoutKind.PREVOTE, 1, 0))) == [(PC, 0, None)]
    assert harness.core.step == Step.PRECOMMIT


def test_timeout_precommit_scheduled_once_and_starts_next_round_lines_47_65() -> None:
    harness = started()
    effects = harness.precommits(0, None, 0, 2) + harness.precommits(0, B, 3)
    assert timeouts(effects) == [ScheduleTimeout(TimeoutKind.PRECOMMIT, 1, 0, 700)]
    assert timeouts(harness.precommits(0, None, 1)) == []
    effects = harness.core.on_timeout(Timeout(TimeoutKind.PRECOMMIT, 1, 0))
    assert harness.core.round == 1 and harness.core.step in (Step.PROPOSE, Step.PREVOTE)
    assert any(isinstance(m, Proposal) and m.round == 1 for m in broadcasts(effects))  # we propose round 1


def test_timeouts_grow_linearly_with_the_round() -> None:
    harness = started()
    durations = []
    for r in range(1, 5):
        effects = harness.core.on_timeout(Timeout(TimeoutKind.PROPOSE, 1, r - 1))
        effects += harness.core.on_timeout(Timeout(TimeoutKind.PREVOTE, 1, r - 1))
        effects += harness.core.on_timeout(Timeout(TimeoutKind.PRECOMMIT, 1, r - 1))
        durations += [t.duration_ms for t in timeouts(effects) if t.kind == TimeoutKind.PROPOSE]
    assert durations == [1000 + 100 * r for r in (2, 3, 4)]  # round 1 is ours: no timer
    assert TIMEOUTS.duration_ms(TimeoutKind.PRECOMMIT, 5) == 700 + 5 * 70


# -- line 49: decisions ---------------------------------------------------------------------------


def test_decide_with_proposal_and_two_thirds_precommits_line_49() -> None:
    harness = started()
    harness.propose(0, A)
    harness.prevotes(0, A, 0, 2)
    effects = harness.precommits(0, A, 0, 2)
    (decision,) = decisions(effects)
    assert (decision.height, decision.round, decision.value, decision.value_hash) == (1, 0, A, h(A))
    assert [v.validator for v in decision.commit.precommits] == [vid(0), vid(1), vid(2)]
    assert harness.core.decided
    assert harness.wal.records[-1] == (EndHeight(1), True)
    assert harness.log[-2:] == ["wal:EndHeight:sync", "effect:Decide"]


def test_decide_in_an_older_round_line_49() -> None:
    harness = started()
    go_to_round(harness, 3)
    harness.precommits(0, A, 0, 2, 3)
    (decision,) = decisions(harness.propose(0, A))  # the proposal arrives last
    assert decision.round == 0


def test_no_decision_for_an_invalid_value_line_50() -> None:
    harness = started(invalid=[A])
    harness.propose(0, A)
    assert decisions(harness.precommits(0, A, 0, 2, 3)) == []


def test_decided_core_ignores_its_height_and_buffers_the_next() -> None:
    harness = started()
    harness.propose(0, A)
    harness.precommits(0, A, 0, 2, 3)
    assert harness.core.decided and harness.core.status().height == 2
    assert harness.prevotes(1, A, 2) == []
    assert harness.core.on_vote(vote(PV, 2, 0, B, 0)) == []  # buffered for height 2


# -- line 55: round skip --------------------------------------------------------------------------


def test_round_skip_on_f_plus_one_senders_line_55() -> None:
    harness = started()
    harness.prevotes(3, None, 0)
    assert harness.core.round == 0  # 1 of 4 is not more than 1/3
    harness.precommits(3, B, 2)  # any message type counts
    assert harness.core.round == 3


def test_round_skip_counts_power_not_heads() -> None:
    harness = started(powers=(3, 1, 1, 1))  # total 6; validator 0 alone has 1/2 > 1/3
    harness.prevotes(5, None, 0)
    assert harness.core.round == 5


def test_weighted_quorum_needs_more_than_two_thirds_of_power() -> None:
    harness = started(powers=(3, 1, 1, 1), me=1)
    harness.propose(0, A)  # own prevote A (1)
    assert own_votes(harness.prevotes(0, A, 2)) == []  # 2 of 6
    assert own_votes(harness.prevotes(0, A, 3)) == []  # 3 of 6
    assert own_votes(harness.prevotes(0, A, 0)) == [(PC, 0, h(A))]  # 6 of 6 (5 would do)


# -- message admission ----------------------------------------------------------------------------


def test_duplicates_are_ignored_and_equivocation_becomes_evidence_first_vote_counted() -> None:
    harness = started()
    first = vote(PV, 1, 0, A, 0)
    assert harness.core.on_vote(first) == []
    assert harness.core.on_vote(first) == []
    assert harness.core.stats["drop_duplicate"] == 1
    (found,) = evidence(harness.core.on_vote(vote(PV, 1, 0, None, 0)))
    assert {found.evidence.vote_a.value_hash, found.evidence.vote_b.value_hash} == {None, h(A)}
    assert (
        evidence(harness.core.on_vote(vote(PV, 1, 0, B, 0))) == []
    )  # reported once per (validator, round, kind)
    harness.prevotes(0, None, 2, 3)  # nil: 2, validator 0's nil is not counted
    assert harness.core.step == Step.PROPOSE  # no precommit nil without 2f+1 nil


def test_an_equivocators_vote_counts_for_a_proposed_value() -> None:
    # The paper's log keeps both votes; without this, a node that saw nil first could never count
    # the polka another honest node locked on (a liveness bug the simulator found).
    harness = started()
    harness.prevotes(0, None, 0)
    harness.propose(0, A)  # own prevote A
    harness.prevotes(0, A, 2)
    assert own_votes(harness.prevotes(0, A, 0)) == [(PC, 0, h(A))]


def test_bad_messages_are_dropped() -> None:
    harness = started()
    forged = vote(PV, 1, 0, A, 0).with_signature(b"\x00" * 32)
    assert harness.core.on_vote(forged) == []
    assert harness.core.on_proposal(proposal(1, 0, A, -1, 2)) == []  # validator 2 is not round 0's proposer
    wrong = Proposal(1, 0, h(B), A, -1, vid(0))
    assert harness.core.on_proposal(wrong) == []
    stranger = Vote(PV, 1, 0, None, b"\x99" * 20, b"")
    assert harness.core.on_vote(stranger) == []
    malformed = Vote(PV, 1, -1, None, vid(0), b"")
    assert harness.core.on_vote(malformed) == []
    stats = harness.core.stats
    for reason in (
        "drop_bad_signature",
        "drop_not_proposer",
        "drop_value_hash_mismatch",
        "drop_unknown_validator",
        "drop_malformed",
    ):
        assert stats[reason] == 1, reason
    assert harness.core.step == Step.PROPOSE


def test_round_window_and_height_bounds() -> None:
    harness = started(config=CoreConfig(CHAIN, timeouts=TIMEOUTS, round_window=4))
    assert harness.prevotes(5, None, 0, 2) == []
    assert harness.core.round == 0 and harness.core.stats["drop_round_window"] == 2
    harness.core.on_vote(vote(PV, 3, 0, None, 0))
    assert harness.core.stats["drop_other_height"] == 1  # h+2 is dropped, h+1 buffered


def test_future_height_buffer_is_bounded_per_sender() -> None:
    config = CoreConfig(CHAIN, timeouts=TIMEOUTS, future_messages_max=8, future_messages_per_sender_max=2)
    harness = started(config=config)
    for r in range(4):
        harness.core.on_vote(vote(PV, 2, r, None, 0))
    assert harness.core.stats["drop_future_sender_full"] == 2


def test_buffered_next_height_messages_apply_on_start() -> None:
    harness = started()
    harness.propose(0, A)
    harness.precommits(0, A, 0, 2, 3)
    # height 2's proposer (round 0) after one run from height 1's state is validator 1: this core
    harness.core.on_vote(vote(PV, 2, 0, None, 0))
    harness.core.on_vote(vote(PV, 2, 0, None, 2))
    harness.core.on_vote(vote(PV, 2, 0, None, 3))
    effects = harness.core.on_start(2, ProposerState.genesis(harness.validators).next_height())
    assert harness.core.height == 2
    assert (PC, 0, None) in own_votes(effects)  # proposed, prevoted, then the buffered nil polka


# -- durability and signing -----------------------------------------------------------------------


def test_own_messages_are_durable_before_they_are_broadcast() -> None:
    harness = Harness(me=0)
    harness.start()
    assert harness.log[:4] == ["wal:Proposal:sync", "wal:Vote:sync", "effect:Broadcast", "effect:Broadcast"]
    harness.log.clear()
    harness.prevotes(0, None, 2)
    assert harness.log == ["wal:Vote:nosync"]  # inputs are logged before they are applied


def test_privval_refusal_silences_the_core() -> None:
    store = MemoryPrivValStore()
    store.state = LastSignState(1, 5, 3, b"\x00" * 32, b"sig")  # this key already signed round 5
    harness = started(privval_store=store)
    assert broadcasts(harness.propose(0, A)) == []
    assert harness.core.stats["sign_refused"] == 1
    assert harness.core.step == Step.PREVOTE  # the rules moved on; only the message was withheld


def test_replay_after_a_crash_rebuilds_the_state_without_new_signatures() -> None:
    before = locked_on_a_in_round_0()
    saves = before.store.saves
    after = Harness(privval_store=before.store, wal=before.wal)
    effects = after.start(replay=before.wal.replay(1))
    assert after.core.locked == (0, h(A)) and after.core.step == Step.PRECOMMIT
    assert before.store.saves == saves  # nothing signed again
    replayed = [m for m in broadcasts(effects) if isinstance(m, Vote)]
    assert [(m.kind, m.value_hash) for m in replayed] == [(PV, h(A)), (PC, h(A))]


def test_restarted_proposer_reuses_its_proposal_instead_of_a_new_value() -> None:
    before = Harness(me=0)
    (first, *_) = broadcasts(before.start())
    after = Harness(me=0, privval_store=before.store, wal=before.wal)
    after.value_suffix = b"-different-after-restart"
    effects = after.start(replay=before.wal.replay(1))
    assert broadcasts(effects)[0] == first
    assert after.proposed == []


def test_privval_ahead_of_the_wal_gives_the_same_signature_for_the_same_vote() -> None:
    before = started()
    (prevote,) = broadcasts(before.propose(0, A))
    wal = RecordingWal([])
    wal.records = [r for r in before.wal.records if not (isinstance(r[0], Vote) and r[0].validator == vid(1))]
    after = Harness(privval_store=before.store, wal=wal)
    effects = after.start(replay=wal.replay(1))
    assert broadcasts(effects) == [prevote]


def test_catchup_decides_with_a_valid_commit_only() -> None:
    harness = started()
    go_to_round(harness, 2)
    commit = Commit(1, 0, h(A), tuple(vote(PC, 1, 0, A, i) for i in (0, 2, 3)))
    assert decisions(harness.core.on_catchup(CatchUp(Commit(1, 0, h(A), commit.precommits[:2]), A))) == []
    assert decisions(harness.core.on_catchup(CatchUp(commit, B))) == []
    (decision,) = decisions(harness.core.on_catchup(CatchUp(commit, A)))
    assert decision.commit == commit and decision.round == 0


def test_messages_for_peer_sends_what_the_bitmaps_lack() -> None:
    harness = started()
    harness.propose(0, A)
    harness.prevotes(0, None, 2)
    status = harness.core.status()
    assert status.has_proposal and status.step == Step.PREVOTE
    assert harness.core.messages_for_peer(status) == []
    peer = Status(1, 0, Step.PROPOSE, False, b"", b"")
    sent = harness.core.messages_for_peer(peer)
    assert sum(isinstance(m, Proposal) for m in sent) == 1 and sum(isinstance(m, Vote) for m in sent) == 2
    go_to_round(harness, 2)
    behind = Status(1, 0, Step.PROPOSE, True, b"\xff", b"\xff")
    assert all(m.round == 2 for m in harness.core.messages_for_peer(behind))
    assert harness.core.messages_for_peer(Status(2, 0, Step.PROPOSE, False, b"", b"")) == []


def test_observer_follows_and_decides_without_signing() -> None:
    harness = started(me=None)
    harness.propose(0, A)
    harness.prevotes(0, A, 0, 1, 2)
    (decision,) = decisions(harness.precommits(0, A, 0, 1, 2))
    assert decision.value == A and harness.wal.records[-1] == (EndHeight(1), True)
