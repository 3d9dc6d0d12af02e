"""Amendments, corrections, voiding, queries and the certificate hook."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.privacy.model import LEGAL_BASES, RecordErasure, RectifyData
from govledger.apps.vital import queries, store
from govledger.apps.vital.app import certificate_data
from govledger.apps.vital.model import Amend, ById, Person, RegisterDivorce, VitalRecord, Void

from ..privacy.harness import A, Ledger, kid, sha
from .world import MARRY_SIGNERS, death, marriage, notified_and_registered

DOC = sha("adoption order")
ORDER = sha("voiding order")


def _current(led: Ledger, rid: str) -> VitalRecord:
    rec = store.record(led.view("vital"), rid)
    assert rec is not None
    return rec


def _amend(rec: VitalRecord, change: str = "correction", **changes: object) -> Amend:
    body = Amend(rec.record_id, change, rec.persons, rec.event_ms, rec.place, "clerical error", b"")
    return msgspec.structs.replace(body, **changes)  # type: ignore[arg-type]


def test_amendments_are_versioned_and_every_version_kept(led: Ledger) -> None:
    fam, rid = notified_and_registered(led, "f")
    v1 = _current(led, rid)
    led.ok(
        "privacy",
        "rectify_data",
        RectifyData(fam.child.pseudonym, "civil", sha("renamed"), "adoption"),
        A.registrar,
    )
    persons = [Person("child", fam.child.pseudonym, sha("renamed")), fam.mother, fam.father]
    r = led.ok(
        "vital",
        "amend",
        _amend(v1, "amendment", persons=persons, reason="adoption", document_sha256=DOC),
        A.registrar,
    )
    assert r.events[0].subject == rid and r.events[0].attributes["version"] == 2
    led.ok("vital", "amend", _amend(_current(led, rid), place="General Hospital, ward 2"), A.registrar)
    history = queries.record(led.view("vital"), ById(rid))
    assert [v.version for v in history.versions] == [1, 2, 3]
    assert history.versions[0] == v1  # the first version is untouched
    assert [v.change for v in history.versions] == ["registration", "amendment", "correction"]
    assert history.current == history.versions[-1] and history.current.status == "amended"
    assert history.versions[1].document_sha256 == DOC and history.versions[1].persons[0].commitment == sha(
        "renamed"
    )
    assert history.current.registration_number == v1.registration_number


def test_amendment_rules(led: Ledger) -> None:
    fam, rid = notified_and_registered(led, "f")
    rec = _current(led, rid)
    stranger = led.person("child", "stranger")
    cases = [
        (_amend(rec, change="rewrite", place="x"), "vital.bad_change"),
        (_amend(rec, reason=" ", place="x"), "vital.reason_required"),
        (_amend(rec, "amendment", place="x"), "vital.document_required"),
        (_amend(rec, place="x", document_sha256=b"x"), "vital.bad_digest"),
        (_amend(rec), "vital.unchanged"),
        (_amend(rec, persons=[stranger, fam.mother, fam.father]), "vital.subject_mismatch"),
        (_amend(rec, persons=[fam.child, fam.father, fam.mother]), "vital.subject_mismatch"),
        (_amend(rec, event_ms=led.time_ms + 10_000), "vital.bad_time"),
        (_amend(rec, record_id="nope", place="x"), "vital.unknown_record"),
        (
            _amend(
                rec,
                persons=[Person("child", fam.child.pseudonym, sha("unregistered")), fam.mother, fam.father],
            ),
            "vital.commitment_unknown",
        ),
    ]
    for body, code in cases:
        led.refused("vital", "amend", body, A.registrar, code=code)
    led.ok(
        "privacy", "rectify_data", RectifyData(fam.mother.pseudonym, "civil", sha("m2"), "typo"), A.registrar
    )
    led.refused("vital", "amend", _amend(rec, place="y"), A.registrar, code="vital.commitment_not_current")


def test_amend_needs_a_registrar(led: Ledger) -> None:
    _, rid = notified_and_registered(led, "f")
    for who in (A.hospital, A.court, A.outsider):
        led.refused("vital", "amend", _amend(_current(led, rid), place="x"), who, code="auth.missing_signers")


def test_voiding_releases_the_child_for_a_correct_registration(led: Ledger) -> None:
    fam, rid = notified_and_registered(led, "f")
    r = led.ok("vital", "void", Void(rid, "registered twice by mistake", ORDER), A.registrar, A.court)
    assert r.events[0].subject == rid
    st = queries.status(led.view("vital"), ById(rid))
    assert st is not None and (st.status, st.version) == ("void", 2)
    assert store.indexed(led.view("vital"), "birth", fam.child.pseudonym) is None
    led.refused(
        "vital", "amend", _amend(_current(led, rid), place="x"), A.registrar, code="vital.record_void"
    )
    led.refused("vital", "void", Void(rid, "again", ORDER), A.registrar, A.court, code="vital.record_void")


@pytest.mark.parametrize("signers", [(A.registrar,), (A.court,)])
def test_void_needs_registrar_and_court(led: Ledger, signers: tuple[object, ...]) -> None:
    _, rid = notified_and_registered(led, "f")
    led.refused("vital", "void", Void(rid, "x", ORDER), *signers, code="auth.missing_signers")  # type: ignore[arg-type]


def test_void_rules(led: Ledger) -> None:
    _, rid = notified_and_registered(led, "f")
    a, b = led.person("x"), led.person("x")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    led.ok("vital", "register_divorce", RegisterDivorce("V1", "M1", ORDER, led.time_ms), A.court)
    for body, code in [
        (Void("V1", "x", ORDER), "vital.wrong_kind"),
        (Void(rid, "", ORDER), "vital.reason_required"),
        (Void(rid, "x", b"short"), "vital.bad_digest"),
        (Void("nope", "x", ORDER), "vital.unknown_record"),
    ]:
        led.refused("vital", "void", body, A.registrar, A.court, code=code)


def test_voiding_a_marriage_frees_the_spouses(led: Ledger) -> None:
    a, b, c = led.person("x"), led.person("x"), led.person("x")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    led.ok("vital", "void", Void("M1", "bigamy", ORDER), A.registrar, A.court)
    led.ok("vital", "register_marriage", marriage(led, "M2", a, c), *MARRY_SIGNERS)


def test_voiding_a_death_revives_the_marriage_unless_the_survivor_married_again(led: Ledger) -> None:
    # The case the property test found: A and B marry, A's death is registered, B marries C, then
    # A's death is voided. A is alive and still married to B: B would be married twice.
    a, b, c = led.person("x"), led.person("x"), led.person("x")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    led.ok("vital", "register_death", death(led, a, "D1"), A.certifier, A.registrar)
    led.ok("vital", "register_marriage", marriage(led, "M2", b, c), *MARRY_SIGNERS)
    led.refused(
        "vital", "void", Void("D1", "wrong person", ORDER), A.registrar, A.court, code="vital.void_conflict"
    )
    assert store.indexed(led.view("vital"), "death", a.pseudonym) == "D1"  # nothing changed
    # Once B's later marriage is dissolved, the death can be voided, and A and B are married again.
    led.ok("vital", "register_divorce", RegisterDivorce("V1", "M2", ORDER, led.time_ms), A.court)
    led.ok("vital", "void", Void("D1", "wrong person", ORDER), A.registrar, A.court)
    view = led.view("vital")
    assert store.indexed(view, "married", a.pseudonym) == store.indexed(view, "married", b.pseudonym) == "M1"
    led.refused(
        "vital", "register_marriage", marriage(led, "M3", b, c), *MARRY_SIGNERS, code="vital.already_married"
    )


def test_certificate_data_shows_no_personal_data(led: Ledger) -> None:
    fam, rid = notified_and_registered(led, "f")
    cert = certificate_data(led.view("vital"), rid)
    assert cert is not None
    assert (cert.kind, cert.registration_number, cert.status, cert.version) == (
        "birth",
        "B-00000001",
        "registered",
        1,
    )
    assert [(p.role, p.pseudonym, p.commitment, p.erased) for p in cert.persons] == [
        (p.role, p.pseudonym, p.commitment, False) for p in fam.persons
    ]
    assert cert.registrar_key == kid(A.registrar) and cert.registrar_member == "registrar-1"
    assert cert.place and cert.event_ms < cert.registered_ms
    assert queries.QUERIES["certificate"].run(led.view("vital"), ById(rid)) == cert
    led.ok("privacy", "record_erasure", RecordErasure(fam.father.pseudonym, LEGAL_BASES[2], ORDER), A.dpo)
    after = certificate_data(led.view("vital"), rid)
    assert after is not None and [p.erased for p in after.persons] == [False, False, True]
    assert certificate_data(led.view("vital"), "nope") is None


def test_unknown_records_answer_none(led: Ledger) -> None:
    assert queries.status(led.view("vital"), ById("nope")) is None
    assert queries.record(led.view("vital"), ById("nope")).versions == []
    assert queries.by_registration_number(led.view("vital"), ById("B-00000009")) is None


def test_a_record_has_at_most_100_versions(led: Ledger) -> None:
    _, rid = notified_and_registered(led, "f")
    for n in range(99):
        led.ok("vital", "amend", _amend(_current(led, rid), place=f"ward {n}"), A.registrar)
    assert _current(led, rid).version == 100
    led.refused(
        "vital",
        "amend",
        _amend(_current(led, rid), place="one more"),
        A.registrar,
        code="vital.too_many_versions",
    )
