"""Incorporation, registered office and articles: success, every signer, every rule."""

from __future__ import annotations

import msgspec
import pytest

from govledger.apps.company.model import (
    FILING_GRACE_MS,
    Allotment,
    AmendArticles,
    ChangeRegisteredOffice,
    Incorporate,
    NewOfficer,
    NewShareClass,
)
from govledger.apps.company.store import company_of_name

from .harness import (
    BOARD,
    YEAR_MS,
    A,
    Ledger,
    attrs,
    incorporation,
    pass_resolution,
    propose,
    sha,
    signers_for,
    vote,
)

# --- incorporate -----------------------------------------------------------------------------------

NEW = incorporation(
    "GLOBEX",
    "Globex Corporation",
    founders=["carol", "dave"],
    officers=[NewOfficer("carol", "director"), NewOfficer("erin", "secretary")],
    allotments=[Allotment("ORD", "carol", 500), Allotment("ORD", "frank", 10)],
)


def test_incorporation_writes_version_1_capital_and_timers(led: Ledger) -> None:
    r = led.ok("incorporate", NEW, A.clerk, *signers_for(NEW))
    assert [(e.kind, e.subject) for e in r.events] == [("incorporated", "GLOBEX")]
    assert attrs(r, "incorporated")["founders"] == "carol,dave"
    c = led.company("GLOBEX")
    assert (c.version, c.status, c.entry.op, c.incorporated_ms) == (1, "active", "incorporate", led.time_ms)
    assert [(a.party_id, a.role, a.appointed_ms) for a in c.officers] == [
        ("carol", "director", led.time_ms),
        ("erin", "secretary", led.time_ms),
    ]
    assert c.classes == ["ORD", "PREF"] and c.next_filing_due_ms == led.time_ms + YEAR_MS + FILING_GRACE_MS
    assert led.share_class("ORD", "GLOBEX").issued == 510 and led.share_class("ORD", "GLOBEX").holders == 2
    assert led.share_class("PREF", "GLOBEX").issued == 0
    assert led.holding("frank", company_id="GLOBEX") == 10
    assert company_of_name(led.view, "GLOBEX  corporation") == "GLOBEX"
    assert c.entry.signer_ids == sorted({k.public_key.key_id() for k in [A.clerk, *signers_for(NEW)]})


@pytest.mark.parametrize("missing", ["clerk", "carol", "dave", "erin"])
def test_incorporation_needs_registrar_founders_and_officers(led: Ledger, missing: str) -> None:
    signers = {"clerk": A.clerk, "carol": A.carol, "dave": A.dave, "erin": A.erin}
    del signers[missing]
    led.refused("incorporate", NEW, *signers.values(), code="auth.missing_signers")


def _with(body: Incorporate, **changes: object) -> Incorporate:
    return msgspec.structs.replace(body, **changes)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"company_id": "ACME"}, "company.company_exists"),
        ({"company_id": "bad id"}, "company.bad_identifier"),
        ({"name": "ACME   TRADING llc"}, "company.name_taken"),
        ({"name": ""}, "company.bad_name"),
        ({"name": "Bad\nName"}, "company.bad_name"),
        ({"name": " Padded"}, "company.bad_name"),
        ({"legal_form": "gmbh"}, "company.bad_vocabulary"),
        ({"articles_sha256": b"x"}, "company.bad_digest"),
        ({"office_commitment": bytes(32)}, "company.bad_commitment"),
        ({"founders": []}, "company.too_many"),
        ({"founders": ["carol", "carol"]}, "company.duplicate"),
        ({"founders": ["carol", "nobody"]}, "company.unknown_party"),
        ({"officers": [NewOfficer("erin", "secretary")]}, "company.no_director"),
        (
            {"officers": [NewOfficer("carol", "director"), NewOfficer("carol", "director")]},
            "company.duplicate",
        ),
        ({"officers": [NewOfficer("carol", "chairman")]}, "company.bad_vocabulary"),
        ({"share_classes": []}, "company.too_many"),
        ({"share_classes": [NewShareClass("ORD", 101, 1, "AED", 10)]}, "company.bad_amount"),
        ({"share_classes": [NewShareClass("ORD", 1, 1, "aed", 10)]}, "company.bad_currency"),
        ({"allotments": [Allotment("COMMON", "carol", 1)]}, "company.unknown_class"),
        ({"allotments": [Allotment("PREF", "carol", 10_001)]}, "company.exceeds_authorised"),
        ({"allotments": [Allotment("ORD", "carol", 0)]}, "company.bad_amount"),
        ({"allotments": [Allotment("ORD", "nobody", 5)]}, "company.unknown_party"),
        ({"allotments": [Allotment("ORD", "carol", 1), Allotment("ORD", "carol", 2)]}, "company.duplicate"),
        ({"original_incorporation_ms": 10**17}, "company.bad_time"),
    ],
)
def test_incorporation_rules(led: Ledger, changes: dict[str, object], code: str) -> None:
    led.refused("incorporate", _with(NEW, **changes), A.clerk, *signers_for(NEW), code=code)


def test_original_incorporation_date_must_be_past(led: Ledger) -> None:
    body = _with(NEW, original_incorporation_ms=led.time_ms + 10 * YEAR_MS)
    led.refused("incorporate", body, A.clerk, *signers_for(NEW), code="company.bad_time")
    body = _with(NEW, original_incorporation_ms=led.time_ms - 10 * YEAR_MS)
    led.ok("incorporate", body, A.clerk, *signers_for(NEW))
    assert led.company("GLOBEX").original_incorporation_ms == body.original_incorporation_ms


def test_non_ascii_names_are_compared_exactly(led: Ledger) -> None:
    body = _with(NEW, name="Société Générale de Café SAS")
    led.ok("incorporate", body, A.clerk, *signers_for(NEW))
    other = _with(NEW, company_id="SG2", name="SOCIÉTÉ GÉNÉRALE DE CAFÉ SAS")
    led.ok("incorporate", other, A.clerk, *signers_for(NEW))  # É vs é: not folded (deterministic)
    same = _with(NEW, company_id="SG3", name="société  Générale de Café sas")
    led.refused("incorporate", same, A.clerk, *signers_for(NEW), code="company.name_taken")


# --- change_registered_office ----------------------------------------------------------------------


def test_change_registered_office(led: Ledger) -> None:
    r = led.ok("change_registered_office", ChangeRegisteredOffice("ACME", sha("office:2")), *BOARD)
    assert attrs(r, "registered_office_changed")["version"] == 2
    c = led.company()
    assert c.office_commitment == sha("office:2") and c.entry.op == "change_registered_office"


@pytest.mark.parametrize("signers", [[A.alice], [A.bob], [A.carol, A.alice], [A.clerk]])
def test_office_needs_a_board_majority(led: Ledger, signers: list[object]) -> None:
    led.refused(
        "change_registered_office",
        ChangeRegisteredOffice("ACME", sha("office:2")),
        *signers,  # type: ignore[arg-type]
        code="auth.missing_signers",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (ChangeRegisteredOffice("ACME", bytes(32)), "company.bad_commitment"),
        (ChangeRegisteredOffice("NOPE", sha("o")), "company.unknown_company"),
        (ChangeRegisteredOffice("no/pe", sha("o")), "company.bad_identifier"),
    ],
)
def test_office_rules(led: Ledger, body: ChangeRegisteredOffice, code: str) -> None:
    led.refused("change_registered_office", body, *BOARD, code=code)


# --- amend_articles --------------------------------------------------------------------------------


def test_amend_articles_on_a_passed_special_resolution(led: Ledger) -> None:
    pass_resolution(led, "R1", "special", sha("articles:v2"))
    r = led.ok("amend_articles", AmendArticles("ACME", sha("articles:v2"), "R1"), *BOARD)
    assert attrs(r, "articles_amended")["articles_version"] == 2
    assert led.company().articles_sha256 == sha("articles:v2")
    assert led.resolution("R1").used_by == "amend_articles"
    led.refused(
        "amend_articles",
        AmendArticles("ACME", sha("articles:v2"), "R1"),
        *BOARD,
        code="company.resolution_used",
    )


def test_amend_articles_rules(led: Ledger) -> None:
    body = AmendArticles("ACME", sha("articles:v2"), "R1")
    led.refused("amend_articles", body, *BOARD, code="company.unknown_resolution")
    propose(led, "R1", "special", sha("articles:v2"))
    led.refused("amend_articles", body, *BOARD, code="company.resolution_not_passed")
    pass_resolution(led, "R2", "ordinary", sha("articles:v2"))
    led.refused(
        "amend_articles",
        AmendArticles("ACME", sha("articles:v2"), "R2"),
        *BOARD,
        code="company.resolution_mismatch",
    )
    pass_resolution(led, "R3", "special", sha("articles:v3"))
    led.refused(
        "amend_articles",
        AmendArticles("ACME", sha("articles:v2"), "R3"),
        *BOARD,
        code="company.resolution_mismatch",
    )
    led.refused("amend_articles", AmendArticles("ACME", b"x", "R3"), *BOARD, code="company.bad_digest")
    led.refused(
        "amend_articles",
        AmendArticles("ACME", sha("articles:v3"), "R3"),
        A.alice,
        code="auth.missing_signers",
    )


def test_a_failed_special_resolution_cannot_amend(led: Ledger) -> None:
    propose(led, "R1", "special", sha("articles:v2"))
    assert vote(led, "R1", "alice", "yes").code == "ok"  # 600 yes
    assert vote(led, "R1", "bob", "no").code == "ok"  # 400 no: 60 % < 75 %
    led.tick(11 * 24 * 3600 * 1000)
    assert led.resolution("R1").status == "failed"
    led.refused(
        "amend_articles",
        AmendArticles("ACME", sha("articles:v2"), "R1"),
        *BOARD,
        code="company.resolution_not_passed",
    )
