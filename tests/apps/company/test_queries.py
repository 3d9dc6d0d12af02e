"""Queries: every one answers from the keys it reads; impossible ids answer None; the certificate."""

from __future__ import annotations

from govledger.apps.company.app import APP
from govledger.apps.company.model import (
    AppointmentsPage,
    ClassRef,
    CompanyAt,
    CompanyId,
    FilingRef,
    HistoryPage,
    HoldingRef,
    IssueLicence,
    KeyId,
    LicenceRef,
    PartyId,
    ResolutionRef,
    ResolutionsPage,
    ShareholdersPage,
    VoteRef,
)
from govledger.apps.company.queries import QUERIES, certificate_data
from govledger.ledger.app import to_builtins

from .harness import BOARD, DAY_MS, A, Ledger, kid, propose, sha, vote


def test_every_query_answers_and_bad_ids_read_nothing(led: Ledger) -> None:
    led.ok(
        "issue_licence",
        IssueLicence("ACME", "L1", ["trading"], 90 * DAY_MS, 1, "AED", "P1"),
        *BOARD,
        A.licensing,
    )
    propose(led, "R1")
    assert vote(led, "R1", "alice").code == "ok"
    good = {
        "company": CompanyId("ACME"),
        "company_at": CompanyAt("ACME", 1),
        "history": HistoryPage("ACME"),
        "officers": CompanyId("ACME"),
        "appointments": AppointmentsPage("ACME"),
        "share_class": ClassRef("ACME", "ORD"),
        "shareholders": ShareholdersPage("ACME", "ORD"),
        "holding": HoldingRef("ACME", "ORD", "alice"),
        "licence": LicenceRef("ACME", "L1"),
        "licences": CompanyId("ACME"),
        "resolution": ResolutionRef("ACME", "R1"),
        "resolutions": ResolutionsPage("ACME"),
        "vote": VoteRef("ACME", "R1", "alice"),
        "filing": FilingRef("ACME", 1),
        "party": PartyId("alice"),
        "party_by_key": KeyId(kid(A.alice)),
        "certificate": CompanyId("ACME"),
    }
    assert set(good) == set(QUERIES) == set(APP.queries)
    answers = {name: QUERIES[name].run(led.view, params) for name, params in good.items()}
    assert answers["filing"] is None  # not filed yet
    assert all(v not in (None, []) for k, v in answers.items() if k != "filing"), answers
    for v in answers.values():
        to_builtins(v)  # JSON-able for the API
    bad = {
        "company": CompanyId("a/b"),
        "company_at": CompanyAt("ACME", 0),
        "history": HistoryPage("NOPE"),
        "officers": CompanyId(""),
        "appointments": AppointmentsPage("a/b"),
        "share_class": ClassRef("ACME", "a/b"),
        "shareholders": ShareholdersPage("ACME", "a/b"),
        "holding": HoldingRef("ACME", "ORD", "x" * 65),
        "licence": LicenceRef("ACME", "a/b"),
        "licences": CompanyId("a/b"),
        "resolution": ResolutionRef("ACME", "a/b"),
        "resolutions": ResolutionsPage("NOPE"),
        "vote": VoteRef("ACME", "R1", "a/b"),
        "filing": FilingRef("ACME", 0),
        "party": PartyId("a/b"),
        "party_by_key": KeyId(b"short"),
        "certificate": CompanyId("a/b"),
    }
    for name, params in bad.items():
        assert QUERIES[name].run(led.view, params) in (None, []), name


def test_certificate_of_good_standing(led: Ledger) -> None:
    cert = certificate_data(led.view, "ACME")
    assert cert is not None
    assert (cert.name, cert.legal_form, cert.status, cert.good_standing) == (
        "Acme Trading LLC",
        "llc",
        "active",
        True,
    )
    assert [(o.party_id, o.role, o.commitment) for o in cert.officers] == [
        ("alice", "director", sha("vault:alice")),
        ("bob", "director", sha("vault:bob")),
        ("carol", "secretary", sha("vault:carol")),
    ]
    assert [(c.class_id, c.issued) for c in cert.share_classes] == [("ORD", 1000), ("PREF", 100)]
    assert cert.office_commitment == sha("office:ACME") and cert.version == 1
    assert certificate_data(led.view, "NOPE") is None
