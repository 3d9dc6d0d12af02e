"""Double-sign protection: the HRS rules of signing.md, persistence before release, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from govledger.consensus.privval import DoubleSignError, FilePrivValStore, MemoryPrivValStore, PrivValidator
from govledger.consensus.types import ConsensusError, Proposal, Vote, VoteKind

from .harness import CHAIN, h, raw_sign, vid

PV, PC = VoteKind.PREVOTE, VoteKind.PRECOMMIT


def privval(store: FilePrivValStore | MemoryPrivValStore, calls: list[bytes] | None = None) -> PrivValidator:
    def sign(message: bytes) -> bytes:
        if calls is not None:
            calls.append(message)
        return raw_sign(0, message)

    return PrivValidator(CHAIN, vid(0), sign, store)


def v(kind: VoteKind, height: int, round_: int, value: bytes | None) -> Vote:
    return Vote(kind, height, round_, h(value) if value is not None else None, vid(0))


def p(height: int, round_: int, value: bytes, valid_round: int = -1) -> Proposal:
    return Proposal(height, round_, h(value), value, valid_round, vid(0))


def test_signing_order_within_a_round_follows_signing_md() -> None:
    pv = privval(MemoryPrivValStore())
    pv.sign(p(1, 0, b"a"))
    pv.sign(v(PV, 1, 0, b"a"))
    pv.sign(v(PC, 1, 0, b"a"))
    with pytest.raises(DoubleSignError):
        pv.sign(v(PV, 1, 0, b"a"))  # a prevote after a precommit in the same round
    with pytest.raises(DoubleSignError):
        pv.sign(p(1, 0, b"a"))  # no proposal after votes in the same round
    pv.sign(v(PV, 1, 1, None))  # a later round is fine
    pv.sign(p(2, 0, b"b"))  # a later height is fine


def test_identical_message_is_re_signed_with_the_same_signature_different_one_refused() -> None:
    calls: list[bytes] = []
    pv = privval(MemoryPrivValStore(), calls)
    first = pv.sign(v(PV, 3, 1, b"a"))
    again = pv.sign(v(PV, 3, 1, b"a"))
    assert again.signature == first.signature and len(calls) == 1
    with pytest.raises(DoubleSignError) as refused:
        pv.sign(v(PV, 3, 1, b"b"))
    assert refused.value.code == "privval.double_sign"
    with pytest.raises(DoubleSignError):
        pv.sign(v(PV, 3, 1, None))  # nil conflicts with a value too


def test_state_is_persisted_before_the_signature_is_released() -> None:
    store = MemoryPrivValStore()
    pv = PrivValidator(CHAIN, vid(0), lambda m: raw_sign(0, m), store)
    signed = pv.sign(v(PV, 1, 0, b"a"))
    assert store.state is not None and store.state.signature == signed.signature
    assert store.state.hrs() == (1, 0, 2)


def test_refuses_double_sign_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "privval_state"
    first = privval(FilePrivValStore(path)).sign(v(PC, 5, 2, b"a"))
    restarted = privval(FilePrivValStore(path))  # a new process reading the same file
    with pytest.raises(DoubleSignError):
        restarted.sign(v(PC, 5, 2, b"b"))
    with pytest.raises(DoubleSignError):
        restarted.sign(v(PV, 5, 2, b"a"))
    assert restarted.sign(v(PC, 5, 2, b"a")).signature == first.signature
    assert not (tmp_path / "privval_state.tmp").exists()


def test_corrupt_state_file_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "privval_state"
    privval(FilePrivValStore(path)).sign(v(PV, 1, 0, b"a"))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ConsensusError) as failed:
        privval(FilePrivValStore(path))
    assert failed.value.code == "privval.corrupt_state"


def test_refuses_malformed_or_foreign_messages() -> None:
    pv = privval(MemoryPrivValStore())
    with pytest.raises(ConsensusError):
        pv.sign(Vote(PV, 1, 0, None, vid(1)))
    with pytest.raises(ConsensusError):
        pv.sign(Vote(PV, 0, 0, None, vid(0)))
    with pytest.raises(ConsensusError):
        pv.sign(p(1, 0, b"a", valid_round=0))
