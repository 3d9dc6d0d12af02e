"""Officers: appointment and end of appointment, effective at block time; the board follows them."""

from __future__ import annotations

import pytest

from govledger.apps.company.model import (
    AppointmentsPage,
    AppointOfficer,
    ChangeRegisteredOffice,
    CompanyId,
    EndAppointment,
)
from govledger.apps.company.queries import appointments, officers
from govledger.crypto.signatures import SigningKey

from .harness import BOARD, DAY_MS, A, Ledger, attrs, sha


def _office(led: Ledger, *signers: SigningKey) -> str:
    return led.do(
        "change_registered_office", ChangeRegisteredOffice("ACME", sha(f"o{led.height}")), *signers
    ).code


def test_appoint_a_director_from_a_future_time(led: Ledger) -> None:
    start = led.time_ms + 5 * DAY_MS
    r = led.ok("appoint_officer", AppointOfficer("ACME", "dave", "director", start), *BOARD, A.dave)
    assert attrs(r, "officer_appointed") == {
        "effective_ms": start,
        "party_id": "dave",
        "role": "director",
        "version": 2,
    }
    c = led.company()
    assert c.appointments == 4 and [a.party_id for a in c.officers] == ["alice", "bob", "carol", "dave"]
    # before dave serves, the board is alice and bob (2 of 2); afterwards 2 of 3 suffice
    assert _office(led, A.alice, A.dave) == "auth.missing_signers"
    led.tick(5 * DAY_MS)
    assert _office(led, A.alice, A.dave) == "ok"
    assert _office(led, A.alice) == "auth.missing_signers"


@pytest.mark.parametrize("missing", ["alice", "bob", "dave"])
def test_appointment_needs_board_and_appointee(led: Ledger, missing: str) -> None:
    signers = {"alice": A.alice, "bob": A.bob, "dave": A.dave}
    del signers[missing]
    body = AppointOfficer("ACME", "dave", "director", led.time_ms + 1000)
    led.refused("appoint_officer", body, *signers.values(), code="auth.missing_signers")


@pytest.mark.parametrize(
    ("party", "role", "delta_ms", "code"),
    [
        ("alice", "director", 1000, "company.already_appointed"),
        ("nobody", "director", 1000, "company.unknown_party"),
        ("dave", "chairman", 1000, "company.bad_vocabulary"),
        ("dave", "director", -5000, "company.bad_time"),
        ("dave", "director", 400 * DAY_MS, "company.bad_time"),
    ],
)
def test_appointment_rules(led: Ledger, party: str, role: str, delta_ms: int, code: str) -> None:
    body = AppointOfficer("ACME", party, role, led.time_ms + delta_ms)
    led.refused("appoint_officer", body, *BOARD, A.dave, A.alice, code=code)


def test_resignation_takes_effect_at_its_time(led: Ledger) -> None:
    led.ok("appoint_officer", AppointOfficer("ACME", "dave", "director", led.time_ms + 1000), *BOARD, A.dave)
    end = led.time_ms + 3 * DAY_MS
    r = led.ok("end_appointment", EndAppointment("ACME", "bob", "director", end, "resignation"), A.bob)
    assert attrs(r, "appointment_ended")["reason"] == "resignation"
    assert _office(led, A.alice) == "auth.missing_signers"  # bob still serves: 2 of 3 needed
    led.tick(3 * DAY_MS)
    assert _office(led, A.alice, A.dave) == "ok"  # alice and dave now: 2 of 2
    assert _office(led, A.alice, A.bob) == "auth.missing_signers"
    assert [a.party_id for a in officers(led.view, CompanyId("ACME"))] == ["alice", "carol", "dave"]
    history = appointments(led.view, AppointmentsPage("ACME"))
    assert [(a.party_id, a.ended_ms) for a in history] == [
        ("alice", 0),
        ("bob", end),
        ("carol", 0),
        ("dave", 0),
    ]


def test_the_board_may_remove_an_officer(led: Ledger) -> None:
    body = EndAppointment("ACME", "carol", "secretary", led.time_ms + 10_000, "removal")
    led.refused("end_appointment", body, A.alice, code="auth.missing_signers")
    led.ok("end_appointment", body, *BOARD)


def test_an_officer_may_resign_alone(led: Ledger) -> None:
    led.ok(
        "end_appointment",
        EndAppointment("ACME", "carol", "secretary", led.time_ms + 1000, "resignation"),
        A.carol,
    )


def test_end_appointment_signers(led: Ledger) -> None:
    body = EndAppointment("ACME", "carol", "secretary", led.time_ms + 1000, "resignation")
    led.refused("end_appointment", body, A.dave, code="auth.missing_signers")


def test_end_appointment_rules(led: Ledger) -> None:
    t = led.time_ms + 1000
    led.refused(
        "end_appointment",
        EndAppointment("ACME", "dave", "director", t, "resignation"),
        *BOARD,
        code="company.not_an_officer",
    )
    led.refused(
        "end_appointment",
        EndAppointment("ACME", "carol", "secretary", t, "bored"),
        A.carol,
        code="company.bad_vocabulary",
    )
    led.refused(
        "end_appointment",
        EndAppointment("ACME", "carol", "secretary", led.time_ms - 10_000, "resignation"),
        A.carol,
        code="company.bad_time",
    )
    led.ok("end_appointment", EndAppointment("ACME", "bob", "director", t + 5000, "resignation"), A.bob)
    led.refused(
        "end_appointment",
        EndAppointment("ACME", "alice", "director", t + 5000, "resignation"),
        A.alice,
        code="company.last_director",
    )
    led.refused(
        "end_appointment",
        EndAppointment("ACME", "bob", "director", t + 9000, "resignation"),
        A.bob,
        code="company.not_an_officer",
    )


def test_too_many_directors(led: Ledger) -> None:
    from .harness import key, kid, person

    keys = [key(200 + i) for i in range(14)]
    led.block([led.tx("register_party", person(f"d{i}", k), A.clerk, k) for i, k in enumerate(keys)])
    board = [A.alice, A.bob]
    for i, k in enumerate(keys[:13]):  # 2 + 13 = 15 directors
        body = AppointOfficer("ACME", f"d{i}", "director", led.time_ms + 1000)
        led.ok("appoint_officer", body, *board[: len(board) // 2 + 1], k)
        board.append(k)
    assert kid(keys[0]) in {kid(k) for k in board}
    body = AppointOfficer("ACME", "d13", "director", led.time_ms + 1000)
    led.refused("appoint_officer", body, *board[:8], keys[13], code="company.too_many")
