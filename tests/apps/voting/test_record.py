"""The exported record: assembled from ledger state, it passes the independent verifier; altering any
ballot, proof, key, tally value or the ledger's own account makes it fail with a precise message."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from govledger.apps.voting import record
from govledger.apps.voting.model import ElectionExport
from govledger.errors import GovledgerError
from govledger.voting.group import elem_bytes, exp_bytes
from govledger.voting.records import (
    ElectionRecord,
    EncryptedBallot,
    EncryptedContest,
    RangeProof,
    SchnorrProof,
)

from . import world as w
from .conftest import CLOSED_EXPECTED, World


@pytest.fixture
def exported(small_export: ElectionExport) -> ElectionExport:
    return small_export


def test_the_record_holds_counted_and_challenged_ballots_and_verifies(exported: ElectionExport) -> None:
    r = exported.record
    assert [b.state for b in r.ballots] == ["cast", "cast", "cast", "challenged", "cast"]
    assert [u.status for u in exported.uncounted] == ["superseded"]
    assert len(r.challenged_reveals) == 1 and r.challenged_decryptions == ()
    assert {c.label: [o.value for o in c.options] for c in r.tally.contests} == CLOSED_EXPECTED
    assert (r.parameters.guardians, r.parameters.quorum) == (5, 3)
    report = record.verify_export(exported)
    assert report.ok, report.summary()
    assert record.verify_export(exported.record).ok  # a bare ElectionGuard record verifies too


def test_an_election_is_exported_only_once_tallied(closed_world: World) -> None:
    led = closed_world.led
    with pytest.raises(GovledgerError, match="not tallied"):
        record.export_election(record.view_fetch(led.view, led.height), "voting-test", w.E)
    with pytest.raises(GovledgerError, match="not on the ledger"):
        record.export_election(record.view_fetch(led.view, led.height), "voting-test", "nope")


def test_files_round_trip_strictly(exported: ElectionExport) -> None:
    for as_json in (True, False):
        assert record.load(record.dump(exported, as_json)) == exported
    assert record.load(msgspec.json.encode(exported.record)) == exported.record
    with pytest.raises(GovledgerError, match=r"election\.bad_record"):
        record.load(msgspec.json.encode({**msgspec.to_builtins(exported), "extra": 1}))


# --- tampering ------------------------------------------------------------------------------------------

Edit = Callable[[ElectionExport], ElectionExport]


def _rec(ex: ElectionExport, **changes: object) -> ElectionExport:
    return msgspec.structs.replace(ex, record=msgspec.structs.replace(ex.record, **changes))


def _ballot(ex: ElectionExport, n: int, edit: Callable[[EncryptedBallot], EncryptedBallot]) -> ElectionExport:
    ballots = list(ex.record.ballots)
    ballots[n] = msgspec.structs.replace(ballots[n], ballot=edit(ballots[n].ballot))
    return _rec(ex, ballots=tuple(ballots))


def _contest(
    n_contest: int, edit: Callable[[EncryptedContest], EncryptedContest]
) -> Callable[[EncryptedBallot], EncryptedBallot]:
    def apply(ballot: EncryptedBallot) -> EncryptedBallot:
        contests = list(ballot.contests)
        contests[n_contest] = edit(contests[n_contest])
        return msgspec.structs.replace(ballot, contests=tuple(contests))

    return apply


def _selection_proof(contest: EncryptedContest) -> EncryptedContest:
    sels = list(contest.selections)
    proof = sels[1].proof
    sels[1] = msgspec.structs.replace(
        sels[1], proof=RangeProof(proof.challenges, (exp_bytes(1), *proof.responses[1:]))
    )
    return msgspec.structs.replace(contest, selections=tuple(sels))


def _swap_selections(contest: EncryptedContest) -> EncryptedContest:
    sels = list(contest.selections)
    sels[0], sels[1] = sels[1], sels[0]
    return msgspec.structs.replace(contest, selections=tuple(sels))


def _limit_proof(contest: EncryptedContest) -> EncryptedContest:
    p = contest.proof
    return msgspec.structs.replace(contest, proof=RangeProof(p.challenges, (exp_bytes(2), *p.responses[1:])))


def _guardian_proof(ex: ElectionExport) -> ElectionExport:
    keys = list(ex.record.guardians)
    proofs = list(keys[1].proofs)
    proofs[2] = SchnorrProof(proofs[2].challenge, exp_bytes(99))
    keys[1] = msgspec.structs.replace(keys[1], proofs=tuple(proofs))
    return _rec(ex, guardians=tuple(keys))


def _tally_value(ex: ElectionExport) -> ElectionExport:
    contests = list(ex.record.tally.contests)
    options = list(contests[2].options)
    options[1] = msgspec.structs.replace(options[1], value=options[1].value + 1)
    contests[2] = msgspec.structs.replace(contests[2], options=tuple(options))
    return _rec(ex, tally=msgspec.structs.replace(ex.record.tally, contests=tuple(contests)))


def _decryption_proof(ex: ElectionExport) -> ElectionExport:
    contests = list(ex.record.tally.contests)
    options = list(contests[1].options)
    proof = msgspec.structs.replace(options[0].proof, response=exp_bytes(3))
    options[0] = msgspec.structs.replace(options[0], proof=proof)
    contests[1] = msgspec.structs.replace(contests[1], options=tuple(options))
    return _rec(ex, tally=msgspec.structs.replace(ex.record.tally, contests=tuple(contests)))


def _encrypted_tally(ex: ElectionExport) -> ElectionExport:
    t = ex.record.encrypted_tally
    contests = list(t.contests)
    cts = list(contests[0].ciphertexts)
    cts[2] = msgspec.structs.replace(cts[2], alpha=elem_bytes(4))
    contests[0] = msgspec.structs.replace(contests[0], ciphertexts=tuple(cts))
    return _rec(ex, encrypted_tally=msgspec.structs.replace(t, contests=tuple(contests)))


def _drop_counted_ballot(ex: ElectionExport) -> ElectionExport:
    return _rec(ex, ballots=ex.record.ballots[1:])


def _reveal(ex: ElectionExport) -> ElectionExport:
    (rv,) = ex.record.challenged_reveals
    return _rec(ex, challenged_reveals=(msgspec.structs.replace(rv, ballot_nonce=bytes(32)),))


def _uncounted(ex: ElectionExport) -> ElectionExport:
    (u,) = ex.uncounted
    ballot = _contest(0, _selection_proof)(u.ballot)
    return msgspec.structs.replace(ex, uncounted=(msgspec.structs.replace(u, ballot=ballot),))


def _counts(ex: ElectionExport) -> ElectionExport:
    return msgspec.structs.replace(ex, counts=msgspec.structs.replace(ex.counts, cast=ex.counts.cast + 1))


def _closing_code(ex: ElectionExport) -> ElectionExport:
    (chain,) = ex.record.devices
    return _rec(ex, devices=(msgspec.structs.replace(chain, closing_code=bytes(32)),))


def _counted_as_challenged(ex: ElectionExport) -> ElectionExport:
    ballots = list(ex.record.ballots)
    ballots[0] = msgspec.structs.replace(ballots[0], state="challenged")
    return _rec(ex, ballots=tuple(ballots))


CASES: list[tuple[str, Edit, str, str]] = [
    (
        "range proof",
        lambda ex: _ballot(ex, 0, _contest(0, _selection_proof)),
        "5.D",
        "contest 1 ('mayor') option 2 ('bob')",
    ),
    (
        "swapped selections",
        lambda ex: _ballot(ex, 1, _contest(0, _swap_selections)),
        "7.A",
        "contest 1 ('mayor'): contest hash",
    ),
    (
        "limit proof",
        lambda ex: _ballot(ex, 2, _contest(1, _limit_proof)),
        "6.D",
        "contest 2 ('council') selection limit",
    ),
    (
        "confirmation code",
        lambda ex: _ballot(ex, 0, lambda b: msgspec.structs.replace(b, confirmation_code=bytes(32))),
        "7.B",
        "confirmation code",
    ),
    ("guardian proof", _guardian_proof, "2.C", "guardian 2 coefficient 2"),
    ("tally value", _tally_value, "10.A", "tally contest 3 ('measure-1') option 2 ('no')"),
    ("decryption proof", _decryption_proof, "9.B", "tally contest 2 ('council') option 1 ('dan')"),
    ("encrypted tally", _encrypted_tally, "8.A", "tally contest 1 ('mayor') option 3 ('carol')"),
    ("dropped ballot", _drop_counted_ballot, "8", "cast ballots"),
    ("reveal nonce", _reveal, "R", "challenged ballot"),
    ("device chain", _closing_code, "7.G", "device 'booth-1'"),
    ("counted ballot opened", _counted_as_challenged, "S", "was never decrypted"),
    ("uncounted ballot proof", _uncounted, "L.1", "uncounted ballot"),
    ("counts", _counts, "L.3", "counts say"),
]


@pytest.mark.parametrize(("edit", "step", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_any_alteration_fails_with_the_step_and_the_place(
    exported: ElectionExport, edit: Edit, step: str, where: str
) -> None:
    report = record.verify_export(edit(exported))
    assert not report.ok
    failures = [f for f in report.failures if f.step == step]
    assert failures, report.summary()
    assert any(where in f.message for f in failures), report.summary()


def test_a_bare_record_with_a_bad_ballot_fails_too(exported: ElectionExport) -> None:
    tampered: ElectionRecord = _ballot(exported, 0, _contest(0, _selection_proof)).record
    assert "5.D" in record.verify_export(tampered).steps_failed()
