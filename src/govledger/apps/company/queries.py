"""Read-only questions about the company register, and the data of a certificate.

The node proves every key a query reads, so each query reads only what its answer needs, key by key,
and says when a list is complete: a company lists its classes, licences and open resolutions and
counts its versions, appointments and resolutions; a class counts its holders (`shareholders`, the one
query that scans a holdings prefix, reports whether its page is complete). Ids that cannot exist
answer None (or an empty list) without reading odd keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from govledger.apps.common.keys import KEY_ID_BYTES
from govledger.apps.common.reads import counted_page, listed, page_limit, scan_after, valid_ids
from govledger.apps.common.versions import numbered_page
from govledger.apps.company import store
from govledger.apps.company.model import (
    ACTIVE,
    MAX_PAGE,
    MAX_RESOLUTIONS_PAGE,
    Appointment,
    AppointmentsPage,
    CertificateLicence,
    CertificateOfficer,
    ClassRef,
    CompanyAt,
    CompanyCertificate,
    CompanyId,
    CompanyVersion,
    Filing,
    FilingRef,
    HistoryPage,
    HoldingRef,
    KeyId,
    Licence,
    LicenceRef,
    Party,
    PartyId,
    Resolution,
    ResolutionRef,
    ResolutionsPage,
    ShareClass,
    Shareholder,
    Shareholders,
    ShareholdersPage,
    Shares,
    Vote,
    VoteRef,
)
from govledger.codec import decode_trusted
from govledger.ledger.app import AppView, Query


def company(view: AppView, p: CompanyId) -> CompanyVersion | None:
    return store.get_company(view, p.company_id) if valid_ids(p.company_id) else None


def company_at(view: AppView, p: CompanyAt) -> CompanyVersion | None:
    if not valid_ids(p.company_id) or not 1 <= p.version < 10**10:
        return None
    return view.get_as(store.version_key(p.company_id, p.version), CompanyVersion)


def history(view: AppView, p: HistoryPage) -> list[CompanyVersion]:
    """The lifecycle: versions `from_version` .. (at most 100 per page), oldest first, each with its entry."""
    current = company(view, CompanyId(p.company_id))
    if current is None:
        return []
    key_of = partial(store.version_key, p.company_id)
    limit = page_limit(p.limit, MAX_PAGE)
    return numbered_page(
        view, key_of, CompanyVersion, p.from_version, current.version, limit, "company versions"
    )


def officers(view: AppView, p: CompanyId) -> list[Appointment]:
    """Current and scheduled appointments (compare their times with the answer's block time)."""
    c = company(view, p)
    return [] if c is None else list(c.officers)


def appointments(view: AppView, p: AppointmentsPage) -> list[Appointment]:
    """Every appointment ever made, in order, including ended ones (paged, at most 100)."""
    c = company(view, CompanyId(p.company_id))
    if c is None:
        return []
    key_of = partial(store.appointment_key, p.company_id)
    limit = page_limit(p.limit, MAX_PAGE)
    return numbered_page(view, key_of, Appointment, p.from_seq, c.appointments, limit, "appointments")


def share_class(view: AppView, p: ClassRef) -> ShareClass | None:
    return store.get_class(view, p.company_id, p.class_id) if valid_ids(p.company_id, p.class_id) else None


def shareholders(view: AppView, p: ShareholdersPage) -> Shareholders | None:
    """Holders of one class in party-id order after `start_after`, with their numbers of shares."""
    cls = share_class(view, ClassRef(p.company_id, p.class_id))
    if cls is None:
        return None
    prefix = store.holdings_prefix(p.company_id, p.class_id)
    rows, complete = counted_page(view, prefix, p.start_after, page_limit(p.limit, MAX_PAGE), cls.holders)
    page = [Shareholder(party_id, decode_trusted(v, Shares).amount) for party_id, v in rows]
    return Shareholders(p.company_id, p.class_id, cls.issued, cls.holders, page, complete)


def holding(view: AppView, p: HoldingRef) -> Shareholder | None:
    if not valid_ids(p.company_id, p.class_id, p.party_id):
        return None
    return Shareholder(p.party_id, store.holding(view, p.company_id, p.class_id, p.party_id))


def licence(view: AppView, p: LicenceRef) -> Licence | None:
    return (
        store.get_licence(view, p.company_id, p.licence_id) if valid_ids(p.company_id, p.licence_id) else None
    )


def licences(view: AppView, p: CompanyId) -> list[Licence]:
    c = company(view, p)
    if c is None:
        return []
    get = partial(store.get_licence, view, c.company_id)
    return listed(c.licences, get, "a company lists only existing licences")


def resolution(view: AppView, p: ResolutionRef) -> Resolution | None:
    if not valid_ids(p.company_id, p.resolution_id):
        return None
    return store.get_resolution(view, p.company_id, p.resolution_id)


def resolutions(view: AppView, p: ResolutionsPage) -> list[Resolution]:
    """The company's resolutions in id order after `start_after`, at most `limit` (500) of them; a
    shorter page is the last (the company counts them all in `resolutions`)."""
    c = company(view, CompanyId(p.company_id))
    if c is None or (p.start_after and not valid_ids(p.start_after)):
        return []
    prefix = store.resolutions_prefix(c.company_id)
    rows = scan_after(view, prefix, p.start_after, page_limit(p.limit, MAX_RESOLUTIONS_PAGE))
    return [decode_trusted(v, Resolution) for _, v in rows]


def vote(view: AppView, p: VoteRef) -> Vote | None:
    if not valid_ids(p.company_id, p.resolution_id, p.party_id):
        return None
    return view.get_as(store.vote_key(p.company_id, p.resolution_id, p.party_id), Vote)


def filing(view: AppView, p: FilingRef) -> Filing | None:
    if not valid_ids(p.company_id) or not 1 <= p.period <= 999_999:
        return None
    return view.get_as(store.filing_key(p.company_id, p.period), Filing)


def party(view: AppView, p: PartyId) -> Party | None:
    return store.get_party(view, p.party_id) if valid_ids(p.party_id) else None


def party_by_key(view: AppView, p: KeyId) -> Party | None:
    party_id = store.party_of_key(view, p.key_id) if len(p.key_id) == KEY_ID_BYTES else None
    return None if party_id is None else store.get_party(view, party_id)


def certificate_data(view: AppView, company_id: str) -> CompanyCertificate | None:
    """What a certificate of incorporation / good standing states for `company_id` (pure in `view`).

    Officers appear by party id, role and personal-data commitment: whoever issues the certificate as a
    verifiable credential fetches their names from the vault, and the holder can prove they match.
    """
    c = company(view, CompanyId(company_id))
    if c is None:
        return None
    cert_officers = []
    for a in c.officers:
        if a.ended_ms:
            continue  # scheduled to end or ended: a certificate lists the standing appointments
        who = store.get_party(view, a.party_id)
        assert who is not None, "an officer is a registered party"
        cert_officers.append(CertificateOfficer(a.party_id, a.role, a.appointed_ms, who.commitment))
    classes = listed(
        c.classes, partial(store.get_class, view, c.company_id), "a company lists only existing classes"
    )
    cert_licences = [
        CertificateLicence(lic.licence_id, lic.activities, lic.status, lic.expires_ms)
        for lic in licences(view, CompanyId(company_id))
    ]
    good = c.status == ACTIVE and not c.in_default and c.strike_off_notice is None
    return CompanyCertificate(
        company_id=c.company_id,
        name=c.name,
        legal_form=c.legal_form,
        status=c.status,
        good_standing=good,
        incorporated_ms=c.incorporated_ms,
        original_incorporation_ms=c.original_incorporation_ms,
        articles_sha256=c.articles_sha256,
        office_commitment=c.office_commitment,
        officers=cert_officers,
        share_classes=classes,
        licences=cert_licences,
        filed_through=c.filed_through,
        next_filing_due_ms=c.next_filing_due_ms,
        in_default=c.in_default,
        strike_off_notice=c.strike_off_notice,
        ended_ms=c.ended_ms,
        version=c.version,
        last_entry=c.entry,
    )


def _certificate(view: AppView, p: CompanyId) -> CompanyCertificate | None:
    return certificate_data(view, p.company_id) if valid_ids(p.company_id) else None


QUERIES: dict[str, Query[Any]] = {
    "company": Query(CompanyId, company, "The company's current register entry (its latest version)."),
    "company_at": Query(CompanyAt, company_at, "One version of a company's register entry."),
    "history": Query(HistoryPage, history, "Every version from incorporation to dissolution, paged."),
    "officers": Query(CompanyId, officers, "Current and scheduled directors and secretaries."),
    "appointments": Query(AppointmentsPage, appointments, "Every appointment ever made, paged."),
    "share_class": Query(ClassRef, share_class, "A share class: votes, par value, authorised, issued."),
    "shareholders": Query(ShareholdersPage, shareholders, "Holders of a share class, paged."),
    "holding": Query(HoldingRef, holding, "A party's shares of one class."),
    "licence": Query(LicenceRef, licence, "A licence: activities, term, expiry, status, reason."),
    "licences": Query(CompanyId, licences, "Every licence of a company."),
    "resolution": Query(ResolutionRef, resolution, "A resolution: record height, deadline, tally, result."),
    "resolutions": Query(ResolutionsPage, resolutions, "A company's resolutions in id order, paged."),
    "vote": Query(VoteRef, vote, "A party's vote on a resolution, with its weight."),
    "filing": Query(FilingRef, filing, "The annual return of one period, if filed."),
    "party": Query(PartyId, party, "A party: kind, commitment, key ids."),
    "party_by_key": Query(KeyId, party_by_key, "The party a key id is bound to."),
    "certificate": Query(CompanyId, _certificate, "What a certificate of good standing states."),
}
