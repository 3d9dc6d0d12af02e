"""Wire types: sign bytes, canonical encoding, validator sets, commits and evidence."""

from __future__ import annotations

import pytest

from govledger.codec import decode, encode
from govledger.consensus.types import (
    CatchUp,
    Commit,
    ConsensusError,
    DuplicateVoteEvidence,
    EndHeight,
    Proposal,
    Status,
    Step,
    Timeout,
    TimeoutKind,
    Validator,
    ValidatorSet,
    Vote,
    VoteKind,
    WalRecord,
    check_proposal,
    check_vote,
)
from govledger.errors import CodecError
from govledger.ledger.block import precommit_sign_bytes

from .harness import CHAIN, h, proposal, verify, vid, vote, vset


def test_precommit_sign_bytes_equal_the_ledgers_commit_sign_bytes() -> None:
    # The precommits that decide a height are the ledger's commit signatures, unchanged.
    v = vote(VoteKind.PRECOMMIT, 7, 2, b"block", 0)
    assert v.sign_bytes(CHAIN) == precommit_sign_bytes(CHAIN, 7, 2, h(b"block"))


def test_sign_bytes_are_domain_separated_and_exclude_the_signature() -> None:
    prevote = Vote(VoteKind.PREVOTE, 1, 0, h(b"x"), vid(0))
    precommit = Vote(VoteKind.PRECOMMIT, 1, 0, h(b"x"), vid(0))
    p = Proposal(1, 0, h(b"x"), b"x", -1, vid(0))
    assert len({prevote.sign_bytes(CHAIN), precommit.sign_bytes(CHAIN), p.sign_bytes(CHAIN)}) == 3
    assert prevote.sign_bytes(CHAIN) != prevote.sign_bytes("other-chain")
    assert prevote.with_signature(b"sig").sign_bytes(CHAIN) == prevote.sign_bytes(CHAIN)
    # The value bytes are bound by their hash, not signed again.
    assert p.sign_bytes(CHAIN) == Proposal(1, 0, h(b"x"), b"", -1, vid(0)).sign_bytes(CHAIN)
    # nil signs differently from any value.
    assert Vote(VoteKind.PREVOTE, 1, 0, None, vid(0)).sign_bytes(CHAIN) != prevote.sign_bytes(CHAIN)


@pytest.mark.parametrize(
    "record",
    [
        proposal(3, 1, b"v", 0, 1),
        vote(VoteKind.PREVOTE, 3, 1, None, 2),
        Timeout(TimeoutKind.PREVOTE, 3, 4),
        EndHeight(9),
        CatchUp(Commit(3, 1, h(b"v"), (vote(VoteKind.PRECOMMIT, 3, 1, b"v", 0),)), b"v"),
    ],
)
def test_wal_records_round_trip_through_the_canonical_codec(record: WalRecord) -> None:
    assert decode(encode(record), type(record)) == record


def test_wire_union_decodes_by_tag() -> None:
    status = Status(4, 2, Step.PREVOTE, True, b"\x05", b"")
    assert decode(encode(status), Proposal | Vote | Status) == status  # type: ignore[arg-type,unused-ignore]


def test_validator_set_rejects_bad_sets() -> None:
    with pytest.raises(ValueError):
        ValidatorSet((Validator(vid(1), 1), Validator(vid(0), 1)))  # not ascending
    with pytest.raises(ValueError):
        ValidatorSet((Validator(vid(0), 0),))
    with pytest.raises(ValueError):
        ValidatorSet(())
    with pytest.raises(CodecError):
        decode(encode(ValidatorSet((Validator(vid(0), 1), Validator(vid(1), 1))))[:-1], ValidatorSet)
    assert ValidatorSet.of([Validator(vid(2), 5), Validator(vid(0), 1)]).ids() == (vid(0), vid(2))


def test_structural_checks() -> None:
    with pytest.raises(ConsensusError):
        check_proposal(Proposal(1, 0, h(b"v"), b"v", 0, vid(0)), 100)  # valid round not below round
    with pytest.raises(ConsensusError):
        check_proposal(Proposal(1, 0, h(b"v"), b"v" * 101, -1, vid(0)), 100)
    with pytest.raises(ConsensusError):
        check_vote(Vote(VoteKind.PREVOTE, 0, 0, None, vid(0)))
    with pytest.raises(ConsensusError):
        check_vote(Vote(VoteKind.PREVOTE, 1, 0, b"short", vid(0)))


def _commit(value: bytes, who: tuple[int, ...], height: int = 1, round_: int = 0) -> Commit:
    return Commit(
        height, round_, h(value), tuple(vote(VoteKind.PRECOMMIT, height, round_, value, i) for i in who)
    )


def test_commit_verify_needs_more_than_two_thirds_of_the_power() -> None:
    validators = vset((1, 1, 1, 1))
    _commit(b"v", (0, 1, 2)).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError, match="two thirds"):
        _commit(b"v", (0, 1)).verify(validators, CHAIN, verify)
    weighted = vset((5, 1, 1, 1))
    _commit(b"v", (0, 1)).verify(weighted, CHAIN, verify)  # 6 of 8 > 2/3
    with pytest.raises(ConsensusError):
        _commit(b"v", (1, 2, 3)).verify(weighted, CHAIN, verify)


def test_commit_verify_rejects_duplicates_forgeries_and_strays() -> None:
    validators = vset((1, 1, 1, 1))
    c = _commit(b"v", (0, 1, 2))
    with pytest.raises(ConsensusError, match="twice"):
        Commit(1, 0, h(b"v"), (*c.precommits[:2], c.precommits[1])).verify(validators, CHAIN, verify)
    forged = c.precommits[2].with_signature(b"\x00" * 32)
    with pytest.raises(ConsensusError, match="signature"):
        Commit(1, 0, h(b"v"), (*c.precommits[:2], forged)).verify(validators, CHAIN, verify)
    other = vote(VoteKind.PRECOMMIT, 1, 0, b"w", 2)
    with pytest.raises(ConsensusError, match="another"):
        Commit(1, 0, h(b"v"), (*c.precommits[:2], other)).verify(validators, CHAIN, verify)
    prevote = vote(VoteKind.PREVOTE, 1, 0, b"v", 2)
    with pytest.raises(ConsensusError, match="only precommits"):
        Commit(1, 0, h(b"v"), (*c.precommits[:2], prevote)).verify(validators, CHAIN, verify)


def test_duplicate_vote_evidence_is_canonical_and_verifies() -> None:
    validators = vset((1, 1, 1, 1))
    a = vote(VoteKind.PREVOTE, 2, 1, b"x", 3)
    b = vote(VoteKind.PREVOTE, 2, 1, None, 3)
    ev = DuplicateVoteEvidence.of(a, b)
    assert ev == DuplicateVoteEvidence.of(b, a)
    assert ev.vote_a.value_hash is None  # nil sorts first
    ev.verify(validators, CHAIN, verify)
    assert ev.validator == vid(3) and ev.height == 2
    with pytest.raises(ConsensusError):
        DuplicateVoteEvidence(ev.vote_b, ev.vote_a).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError):
        DuplicateVoteEvidence.of(a, vote(VoteKind.PREVOTE, 2, 2, None, 3)).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError):
        DuplicateVoteEvidence.of(a, a).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError):
        DuplicateVoteEvidence.of(a, vote(VoteKind.PREVOTE, 2, 1, b"y", 2)).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError):
        DuplicateVoteEvidence.of(a, b.with_signature(b"bad")).verify(validators, CHAIN, verify)
    with pytest.raises(ConsensusError):
        ev.verify(vset((1, 1, 1)), CHAIN, verify)  # validator 3 not in that set
