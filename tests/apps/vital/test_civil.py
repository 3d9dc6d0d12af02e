"""Deaths, marriages and divorces: success paths, every signer missing, every rule broken."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.vital import queries, store
from govledger.apps.vital.model import ById, Person, RegisterDivorce

from ..privacy.harness import DAY_MS, A, Ledger, kid, sha
from .world import MARRY_SIGNERS, death, marriage, notified_and_registered

DECREE = sha("decree 2026/4")

# --- deaths -------------------------------------------------------------------------------------------


def test_a_death_is_registered_by_certifier_and_registrar(led: Ledger) -> None:
    fam, birth = notified_and_registered(led, "f")
    r = led.ok("vital", "register_death", death(led, fam.child, "D1", birth), A.certifier, A.registrar)
    assert r.events[0].subject == "D1" and r.events[0].attributes["certifier"] == kid(A.certifier).hex()
    rec = store.record(led.view("vital"), "D1")
    assert rec is not None and rec.registration_number == "D-00000001" and rec.related == birth


@pytest.mark.parametrize("signers", [(A.certifier,), (A.registrar,), (A.hospital, A.registrar)])
def test_a_death_needs_both_signers(led: Ledger, signers: tuple[object, ...]) -> None:
    fam, _ = notified_and_registered(led, "f")
    led.refused(
        "vital", "register_death", death(led, fam.mother, "D1"), *signers, code="auth.missing_signers"
    )  # type: ignore[arg-type]


def test_death_rules(led: Ledger) -> None:
    fam, birth = notified_and_registered(led, "f")
    other, other_birth = notified_and_registered(led, "g")
    d = death(led, fam.child, "D1", birth)
    cases = [
        (msgspec.structs.replace(d, birth_record_id=other_birth), "vital.subject_mismatch"),
        (msgspec.structs.replace(d, birth_record_id="nope"), "vital.unknown_record"),
        (msgspec.structs.replace(d, died_at_ms=led.time_ms + 5000), "vital.bad_time"),
        (msgspec.structs.replace(d, died_at_ms=0), "vital.bad_time"),  # before the birth
        (msgspec.structs.replace(d, deceased=fam.child), "vital.bad_persons"),  # role "child"
        (msgspec.structs.replace(d, place=""), "vital.bad_text"),
    ]
    for body, code in cases:
        led.refused("vital", "register_death", body, A.certifier, A.registrar, code=code)
    led.ok("vital", "register_death", d, A.certifier, A.registrar)
    again = msgspec.structs.replace(d, record_id="D2")
    led.refused("vital", "register_death", again, A.certifier, A.registrar, code="vital.already_deceased")
    led.ok("vital", "register_marriage", marriage(led, "M1", other.mother, other.father), *MARRY_SIGNERS)
    wrong = death(led, other.child, "D3", "M1")
    led.refused("vital", "register_death", wrong, A.certifier, A.registrar, code="vital.wrong_kind")


# --- marriages ----------------------------------------------------------------------------------------


def test_a_marriage_is_signed_by_both_spouses_officiant_and_registrar(led: Ledger) -> None:
    a, b = led.person("x"), led.person("x")
    r = led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    assert r.events[0].subject == "M1" and r.events[0].attributes["officiant"] == kid(A.officiant).hex()
    rec = store.record(led.view("vital"), "M1")
    assert (
        rec is not None
        and rec.party_keys == [kid(A.alice), kid(A.bob)]
        and rec.registration_number == "M-00000001"
    )


@pytest.mark.parametrize("missing", range(4))
def test_a_marriage_needs_every_signer(led: Ledger, missing: int) -> None:
    a, b = led.person("x"), led.person("x")
    signers = [s for i, s in enumerate(MARRY_SIGNERS) if i != missing]
    led.refused(
        "vital", "register_marriage", marriage(led, "M1", a, b), *signers, code="auth.missing_signers"
    )


def test_marriage_rules(led: Ledger) -> None:
    a, b, c = led.person("x"), led.person("x"), led.person("x")
    m = marriage(led, "M1", a, b)
    cases = [
        (msgspec.structs.replace(m, spouses=[m.spouses[0], m.spouses[0]]), "vital.bad_persons"),
        (msgspec.structs.replace(m, spouses=[m.spouses[0]]), "vital.bad_persons"),
        (
            msgspec.structs.replace(m, spouses=[m.spouses[0], Person("child", b.pseudonym, b.commitment)]),
            "vital.bad_persons",
        ),
        (msgspec.structs.replace(m, spouse_keys=[kid(A.alice), kid(A.alice)]), "vital.bad_persons"),
        (msgspec.structs.replace(m, married_at_ms=led.time_ms + 10_000), "vital.bad_time"),
    ]
    for body, code in cases:
        led.refused("vital", "register_marriage", body, *MARRY_SIGNERS, code=code)
    led.ok("vital", "register_marriage", m, *MARRY_SIGNERS)
    led.refused(
        "vital", "register_marriage", marriage(led, "M2", c, a), *MARRY_SIGNERS, code="vital.already_married"
    )
    led.refused(
        "vital",
        "register_marriage",
        marriage(led, "M1", c, led.person("x")),
        *MARRY_SIGNERS,
        code="vital.record_exists",
    )
    dead = led.person("x")
    led.ok("vital", "register_death", death(led, dead, "D1"), A.certifier, A.registrar)
    led.refused(
        "vital", "register_marriage", marriage(led, "M3", c, dead), *MARRY_SIGNERS, code="vital.deceased"
    )


def test_a_spouse_death_ends_the_marriage_for_the_survivor(led: Ledger) -> None:
    a, b, c = led.person("x"), led.person("x"), led.person("x")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    led.ok("vital", "register_death", death(led, b, "D1"), A.certifier, A.registrar)
    led.ok("vital", "register_marriage", marriage(led, "M2", a, c), *MARRY_SIGNERS)


# --- divorces -----------------------------------------------------------------------------------------


def test_a_divorce_dissolves_the_marriage(led: Ledger) -> None:
    a, b, c = led.person("x"), led.person("x"), led.person("x")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    r = led.ok("vital", "register_divorce", RegisterDivorce("V1", "M1", DECREE, led.time_ms), A.court)
    assert [e.subject for e in r.events] == ["V1", "M1"]
    history = queries.record(led.view("vital"), ById("M1"))
    assert [v.change for v in history.versions] == ["registration", "dissolution"]
    assert history.current is not None and history.current.dissolved_by == "V1"
    divorce = store.record(led.view("vital"), "V1")
    assert divorce is not None and divorce.persons == history.versions[0].persons and divorce.related == "M1"
    led.ok("vital", "register_marriage", marriage(led, "M2", a, c), *MARRY_SIGNERS)  # free to remarry


def test_divorce_rules(led: Ledger) -> None:
    a, b = led.person("x"), led.person("x")
    _, birth = notified_and_registered(led, "f")
    led.ok("vital", "register_marriage", marriage(led, "M1", a, b), *MARRY_SIGNERS)
    t = led.time_ms
    cases = [
        (RegisterDivorce("V1", "nope", DECREE, t), "vital.unknown_record"),
        (RegisterDivorce("V1", birth, DECREE, t), "vital.wrong_kind"),
        (RegisterDivorce("V1", "M1", b"x", t), "vital.bad_digest"),
        (RegisterDivorce("V1", "M1", DECREE, t - DAY_MS), "vital.bad_time"),
        (RegisterDivorce("V1", "M1", DECREE, t + DAY_MS), "vital.bad_time"),
    ]
    for body, code in cases:
        led.refused("vital", "register_divorce", body, A.court, code=code)
    led.refused(
        "vital",
        "register_divorce",
        RegisterDivorce("V1", "M1", DECREE, t),
        A.registrar,
        code="auth.missing_signers",
    )
    led.ok("vital", "register_divorce", RegisterDivorce("V1", "M1", DECREE, t), A.court)
    led.refused(
        "vital",
        "register_divorce",
        RegisterDivorce("V2", "M1", DECREE, led.time_ms),
        A.court,
        code="vital.already_dissolved",
    )
