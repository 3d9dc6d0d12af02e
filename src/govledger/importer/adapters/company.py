"""Company register rows: parties (`company.register_party`) and companies (`company.incorporate`).

`company-parties` (import first): row_id, party_id, kind, commitment
    As for land parties; the custodial key is derived for app `company`, so a person's land and
    company keys differ. The operator signs as `company_registrar`.
`companies`: row_id, company_id, name, legal_form, articles_sha256, office_commitment, founders,
             directors, secretary, share_classes, holdings, incorporated_on
    founders, directors: party ids separated by `;`; secretary: a party id or empty;
    share_classes: `id:votes_per_share:par_value_minor:currency:authorised` separated by `;`;
    holdings: `party:class:shares` separated by `;` (today's members: the migration allots them);
    incorporated_on: `YYYY-MM-DD` in the predecessor register (kept as `original_incorporation_ms`).
    The founders' and officers' custodial keys sign (their consent is the legacy register's record),
    with the operator as `company_registrar`.
A row is already present when `party/<id>` (same kind and commitment) or version 1 of the company
(same name, legal form and articles) exists.
"""

from __future__ import annotations

from govledger.apps.company.model import (
    Allotment,
    CompanyVersion,
    Incorporate,
    NewOfficer,
    NewShareClass,
    Party,
    RegisterParty,
)
from govledger.apps.company.store import party_key, version_key
from govledger.codec import decode_trusted
from govledger.importer.adapters.base import (
    Adapter,
    Fields,
    Plan,
    date_ms,
    hex32,
    items,
    number,
    parts,
    text,
)
from govledger.importer.custody import Custody

APP = "company"


def plan_party(f: Fields, custody: Custody) -> Plan:
    party_id = text(f, "party_id")
    kind, commitment = text(f, "kind"), hex32(f, "commitment")
    body = RegisterParty(party_id, kind, commitment, [custody.key_id(APP, party_id)], 1)

    def same(raw: bytes) -> bool:
        p = decode_trusted(raw, Party)
        return (p.kind, p.commitment) == (kind, commitment)

    return Plan(APP, "register_party", body, (party_id,), party_key(party_id), same)


def share_classes(value: str) -> list[NewShareClass]:
    out = []
    for item in items(value, "share_classes"):
        cid, votes, par, currency, authorised = parts(item, "share_classes", 5)
        out.append(
            NewShareClass(
                cid,
                number(votes, "votes"),
                number(par, "par value"),
                currency,
                number(authorised, "authorised"),
            )
        )
    return out


def allotments(value: str) -> list[Allotment]:
    out = []
    for item in items(value, "holdings"):
        party, cid, amount = parts(item, "holdings", 3)
        out.append(Allotment(cid, party, number(amount, "shares")))
    return out


def plan_company(f: Fields, custody: Custody) -> Plan:
    company_id, name = text(f, "company_id"), text(f, "name")
    legal_form, articles = text(f, "legal_form"), hex32(f, "articles_sha256")
    officers = [NewOfficer(p, "director") for p in items(text(f, "directors"), "directors")]
    secretary = text(f, "secretary", required=False)
    if secretary:
        officers.append(NewOfficer(secretary, "secretary"))
    founders = items(text(f, "founders"), "founders")
    body = Incorporate(
        company_id=company_id,
        name=name,
        legal_form=legal_form,
        articles_sha256=articles,
        office_commitment=hex32(f, "office_commitment"),
        founders=founders,
        officers=officers,
        share_classes=share_classes(text(f, "share_classes")),
        allotments=allotments(text(f, "holdings", required=False)),
        original_incorporation_ms=date_ms(text(f, "incorporated_on", required=False), "incorporated_on"),
    )
    signing = tuple(dict.fromkeys([*founders, *(o.party_id for o in officers)]))

    def same(raw: bytes) -> bool:
        c = decode_trusted(raw, CompanyVersion)
        return (c.name, c.legal_form, c.articles_sha256) == (name, legal_form, articles)

    return Plan(APP, "incorporate", body, signing, version_key(company_id, 1), same)


PARTIES = Adapter(
    name="company-parties",
    app=APP,
    columns=("row_id", "party_id", "kind", "commitment"),
    plan=plan_party,
    exists_codes=frozenset({"company.party_exists"}),
    doc="Company parties (founders, officers, members) with custodial keys; sign as a company registrar.",
)

COMPANIES = Adapter(
    name="companies",
    app=APP,
    columns=(
        "row_id",
        "company_id",
        "name",
        "legal_form",
        "articles_sha256",
        "office_commitment",
        "founders",
        "directors",
        "secretary",
        "share_classes",
        "holdings",
        "incorporated_on",
    ),
    plan=plan_company,
    exists_codes=frozenset({"company.company_exists"}),
    doc="Companies (incorporation with officers, classes and today's holdings); sign as a company registrar.",
)
