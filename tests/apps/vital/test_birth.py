"""Births: notification, the two-step registration check, late registration on a court order."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.privacy.model import LEGAL_BASES, RecordErasure, RectifyData
from govledger.apps.vital import queries, store
from govledger.apps.vital.model import ById, Page, Person, RegisterBirth

from ..privacy.harness import DAY_MS, A, Ledger, kid, sha
from .world import FACILITY, ORDER, family, from_notification, notified_and_registered, notify


def test_a_notification_waits_for_registration(led: Ledger) -> None:
    fam = family(led, "f")
    r = led.ok("vital", "notify_birth", notify(fam, "N1", led.time_ms - DAY_MS), A.hospital)
    assert r.events[0].subject == "notification:N1"
    n = store.notification(led.view("vital"), "N1")
    assert n is not None and n.status == "pending" and n.notifier_key == kid(A.hospital)
    assert n.notifier_member == "hospital-1" and n.time_ms == led.time_ms
    assert [x.notification_id for x in queries.pending_notifications(led.view("vital"), Page())] == ["N1"]


def test_the_two_step_registration(led: Ledger) -> None:
    fam = family(led, "f")
    n = notify(fam, "N1", led.time_ms - DAY_MS)
    led.ok("vital", "notify_birth", n, A.hospital)
    r = led.ok("vital", "register_birth", from_notification(n, "B1"), A.registrar)
    assert [e.subject for e in r.events] == ["B1"]
    rec = store.record(led.view("vital"), "B1")
    assert rec is not None and rec.registration_number == "B-00000001" and rec.status == "registered"
    assert (rec.version, rec.kind, rec.notification_id, rec.event_ms) == (1, "birth", "N1", n.born_at_ms)
    assert rec.registrar_key == kid(A.registrar) and rec.registrar_member == "registrar-1"
    used = store.notification(led.view("vital"), "N1")
    assert used is not None and used.status == "registered" and used.record_id == "B1"
    assert queries.pending_notifications(led.view("vital"), Page()) == []
    _, second = notified_and_registered(led, "g")
    assert queries.by_registration_number(led.view("vital"), ById("B-00000002")) == queries.status(
        led.view("vital"), ById(second)
    )


@pytest.mark.parametrize("what", ["commitment", "time", "facility", "parents"])
def test_a_registration_must_say_what_the_notification_said(led: Ledger, what: str) -> None:
    fam = family(led, "f")
    n = notify(fam, "N1", led.time_ms - DAY_MS)
    led.ok("vital", "notify_birth", n, A.hospital)
    body = from_notification(n, "B1")
    if what == "commitment":  # the father's data, rectified after the notification
        led.ok(
            "privacy",
            "rectify_data",
            RectifyData(fam.father.pseudonym, "civil", sha("new"), "x"),
            A.registrar,
        )
        father = Person("father", fam.father.pseudonym, sha("new"))
        body = msgspec.structs.replace(body, persons=[fam.child, fam.mother, father])
    elif what == "time":
        body = msgspec.structs.replace(body, born_at_ms=n.born_at_ms - 1)
    elif what == "facility":
        body = msgspec.structs.replace(body, facility="Elsewhere")
    else:
        body = msgspec.structs.replace(body, persons=[fam.child, fam.mother])
    led.refused("vital", "register_birth", body, A.registrar, code="vital.notification_mismatch")


def test_notification_rules(led: Ledger) -> None:
    fam = family(led, "f")
    t = led.time_ms
    stranger = Person("child", sha("pseudonym:stranger"), sha("unregistered"))
    cases = [
        (notify(fam, "N1", t + 10_000), "vital.bad_time"),
        (notify(fam, "N1", t - 31 * DAY_MS), "vital.late_notification"),
        (notify(fam, "bad id", t), "vital.bad_identifier"),
        (notify(fam, "N1", t, facility=""), "vital.bad_text"),
        (
            msgspec.structs.replace(notify(fam, "N1", t), persons=[fam.mother, fam.father]),
            "vital.bad_persons",
        ),
        (msgspec.structs.replace(notify(fam, "N1", t), persons=[fam.child, fam.child]), "vital.bad_persons"),
        (
            msgspec.structs.replace(
                notify(fam, "N1", t),
                persons=[fam.child, Person("uncle", fam.mother.pseudonym, fam.mother.commitment)],
            ),
            "vital.bad_persons",
        ),
        (msgspec.structs.replace(notify(fam, "N1", t), persons=[stranger]), "vital.commitment_unknown"),
    ]
    three = family(led, "g")
    cases.append(
        (
            msgspec.structs.replace(
                notify(fam, "N1", t),
                persons=[*fam.persons, Person("parent", three.mother.pseudonym, three.mother.commitment)],
            ),
            "vital.bad_persons",
        )
    )
    for body, code in cases:
        led.refused("vital", "notify_birth", body, A.hospital, code=code)


def test_stale_or_erased_commitments_are_refused(led: Ledger) -> None:
    fam = family(led, "f")
    led.ok(
        "privacy", "rectify_data", RectifyData(fam.mother.pseudonym, "civil", sha("new"), "typo"), A.registrar
    )
    led.refused(
        "vital",
        "notify_birth",
        notify(fam, "N1", led.time_ms),
        A.hospital,
        code="vital.commitment_not_current",
    )
    fam2 = family(led, "g")
    led.ok("privacy", "record_erasure", RecordErasure(fam2.father.pseudonym, LEGAL_BASES[0], sha("o")), A.dpo)
    led.refused(
        "vital", "notify_birth", notify(fam2, "N2", led.time_ms), A.hospital, code="vital.subject_erased"
    )


def test_duplicates_are_refused(led: Ledger) -> None:
    fam = family(led, "f")
    n = notify(fam, "N1", led.time_ms)
    led.ok("vital", "notify_birth", n, A.hospital)
    led.refused("vital", "notify_birth", n, A.hospital, code="vital.notification_exists")
    led.refused(
        "vital",
        "notify_birth",
        notify(fam, "N2", led.time_ms),
        A.hospital,
        code="vital.duplicate_notification",
    )
    led.ok("vital", "register_birth", from_notification(n, "B1"), A.registrar)
    led.refused(
        "vital",
        "notify_birth",
        notify(fam, "N3", led.time_ms),
        A.hospital,
        code="vital.duplicate_registration",
    )
    led.refused(
        "vital", "register_birth", from_notification(n, "B1"), A.registrar, code="vital.record_exists"
    )
    led.refused(
        "vital", "register_birth", from_notification(n, "B2"), A.registrar, code="vital.notification_used"
    )
    late = RegisterBirth("B3", n.persons, n.born_at_ms, n.facility, court_order=ORDER)
    led.refused("vital", "register_birth", late, A.registrar, A.court, code="vital.duplicate_registration")


def test_registration_basis_rules(led: Ledger) -> None:
    fam = family(led, "f")
    t = led.time_ms
    led.refused(
        "vital",
        "register_birth",
        RegisterBirth("B1", fam.persons, t, FACILITY),
        A.registrar,
        code="vital.court_order_required",
    )
    both = RegisterBirth("B1", fam.persons, t, FACILITY, "N1", ORDER)
    led.refused("vital", "register_birth", both, A.registrar, A.court, code="vital.bad_basis")
    led.refused(
        "vital",
        "register_birth",
        RegisterBirth("B1", fam.persons, t, FACILITY, "N9"),
        A.registrar,
        code="vital.unknown_notification",
    )
    bad_order = RegisterBirth(
        "B1", fam.persons, t, FACILITY, court_order=msgspec.structs.replace(ORDER, document_sha256=b"x")
    )
    led.refused("vital", "register_birth", bad_order, A.registrar, A.court, code="vital.bad_digest")


def test_a_notified_birth_is_registered_within_a_year_or_by_court_order(led: Ledger) -> None:
    fam = family(led, "f")
    n = notify(fam, "N1", led.time_ms - DAY_MS)
    led.ok("vital", "notify_birth", n, A.hospital)
    led.block([], advance_ms=366 * DAY_MS)
    led.refused(
        "vital", "register_birth", from_notification(n, "B1"), A.registrar, code="vital.late_registration"
    )
    late = RegisterBirth("B1", n.persons, n.born_at_ms, n.facility, court_order=ORDER)
    r = led.ok("vital", "register_birth", late, A.registrar, A.court)
    assert r.events[0].attributes["court"] == kid(A.court).hex()
    rec = store.record(led.view("vital"), "B1")
    assert rec is not None and rec.court_order == ORDER and rec.notification_id == "N1"
    closed = store.notification(led.view("vital"), "N1")
    assert closed is not None and closed.status == "registered"  # the court-ordered one closed it


def test_late_registration_without_any_notification(led: Ledger) -> None:
    fam = family(led, "f")
    body = RegisterBirth("B1", fam.persons, led.time_ms - 5 * 365 * DAY_MS, "Home birth", court_order=ORDER)
    led.ok("vital", "register_birth", body, A.registrar, A.court)
    rec = store.record(led.view("vital"), "B1")
    assert rec is not None and rec.notification_id == "" and rec.court_order == ORDER


@pytest.mark.parametrize(
    ("signers", "court_order"),
    [((A.registrar,), True), ((A.court,), True), ((A.hospital,), False), ((A.court,), False)],
)
def test_birth_signers(led: Ledger, signers: tuple[object, ...], court_order: bool) -> None:
    fam = family(led, "f")
    n = notify(fam, "N1", led.time_ms)
    led.ok("vital", "notify_birth", n, A.hospital)
    body = from_notification(n, "B1")
    if court_order:
        body = RegisterBirth("B1", n.persons, n.born_at_ms, n.facility, court_order=ORDER)
    led.refused("vital", "register_birth", body, *signers, code="auth.missing_signers")  # type: ignore[arg-type]


def test_notification_needs_a_hospital(led: Ledger) -> None:
    fam = family(led, "f")
    for who in (A.registrar, A.outsider, A.certifier):
        led.refused("vital", "notify_birth", notify(fam, "N1", led.time_ms), who, code="auth.missing_signers")


def test_pending_notifications_page_with_start_after(led: Ledger) -> None:
    for nid in ("N3", "N1", "N2"):
        fam = family(led, nid.lower())
        led.ok("vital", "notify_birth", notify(fam, nid, led.time_ms - DAY_MS), A.hospital)
    view = led.view("vital")

    def page(after: str, limit: int) -> list[str]:
        return [n.notification_id for n in queries.pending_notifications(view, Page(after, limit))]

    assert page("", 2) == ["N1", "N2"]
    assert page("N2", 2) == ["N3"]
    assert page("N1", 1) == ["N2"]
    assert page("N3", 5) == []
