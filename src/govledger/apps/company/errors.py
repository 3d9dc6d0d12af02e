"""Every error the company app raises: a stable code `company.<reason>` and what it means.

The table is the contract (docs/apps/company.md lists the same words); `fail` refuses codes that are
not in it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape of a body
    "company.bad_identifier": "an id is not 1-64 of [A-Za-z0-9._:-] starting with a letter or digit",
    "company.bad_code": "a code (activity, legal form, ground) is not 1-32 characters of [a-z0-9_]",
    "company.bad_vocabulary": "a value is not one of the documented choices (roles, kinds, grounds, reasons)",
    "company.bad_name": "a company name is empty, longer than 160 characters, or has control characters",
    "company.bad_digest": "a document digest is not 32 bytes (SHA-256)",
    "company.bad_commitment": "a personal-data or address commitment is not a non-zero 32-byte hash",
    "company.bad_currency": "a currency is not an ISO 4217 code (three capital letters)",
    "company.bad_amount": "a number of shares, votes per share or sum of money is out of range",
    "company.bad_time": "a time or height is out of range, in the past, or too far ahead",
    "company.too_many": "a list exceeds its bound (founders, officers, classes, licences, resolutions)",
    "company.duplicate": "a list names the same party, class, role or activity twice",
    # parties
    "company.unknown_party": "no party with that id is registered",
    "company.party_exists": "a party with that id is already registered",
    "company.bad_party": "keys or threshold do not fit: 1..8 distinct 20-byte key ids, threshold 1..keys",
    "company.key_in_use": "the key is already bound to another party",
    # companies
    "company.unknown_company": "no company with that id is registered",
    "company.company_exists": "a company with that id already exists (ids are never reused)",
    "company.name_taken": "another company is registered under the same name (case-insensitive)",
    "company.not_active": "the company is struck off or dissolved: its register is closed",
    "company.no_director": "the company would have no director",
    # officers
    "company.already_appointed": "the party already holds that office (or is scheduled to)",
    "company.not_an_officer": "the party holds no such office that has not already ended",
    "company.last_director": "the last director cannot leave before another is appointed",
    # shares
    "company.class_exists": "the company already has a share class with that id",
    "company.unknown_class": "the company has no share class with that id",
    "company.exceeds_authorised": "the issue would take the class above its authorised number of shares",
    "company.insufficient_shares": "the holder holds fewer shares of the class than the operation needs",
    "company.same_party": "seller and buyer are the same party",
    # annual returns
    "company.filing_out_of_order": "returns are filed period by period: this is not the next period",
    "company.period_not_ended": "the period has not ended yet (block time)",
    # licences
    "company.licence_exists": "the company already has a licence with that id",
    "company.unknown_licence": "the company has no licence with that id",
    "company.licence_not_active": "the licence is not active",
    "company.licence_not_suspended": "the licence is not suspended",
    "company.wrong_term": "a fee can be paid only for the licence's coming term (current term + 1)",
    "company.fee_already_paid": "the fee for that term is already recorded",
    "company.wrong_fee": "the amount or currency differs from the licence's renewal fee",
    "company.fee_unpaid": "the fee for the coming term is not paid",
    "company.filings_overdue": "an annual return is overdue (block time)",
    # resolutions
    "company.resolution_exists": "the company already has a resolution with that id",
    "company.unknown_resolution": "the company has no resolution with that id",
    "company.voting_not_open": "votes are cast only after the record height has passed",
    "company.voting_closed": "the resolution is closed or its deadline has passed (block time)",
    "company.already_voted": "the party has already voted on the resolution",
    "company.no_voting_shares": "the party held no voting shares at the record height",
    "company.resolution_not_passed": "the resolution named did not pass (or is still open)",
    "company.resolution_used": "the resolution was already acted on",
    "company.resolution_mismatch": "the resolution is of another kind or adopted another document",
    # strike-off
    "company.notice_exists": "a strike-off notice is already in force",
    "company.no_notice": "no strike-off notice is in force",
    "company.notice_period_running": "the strike-off notice period has not ended (block time)",
    "company.not_in_default": "the ground is missing filings but no return is overdue",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
