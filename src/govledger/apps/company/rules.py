"""The rules every company operation shares: shape validation and who signs for a company.

Shape checks raise `company.*` codes before any state is read (a malformed id must never reach a key).

Who signs for a company is computed from its record at block time:
- **the board**: a majority (n // 2 + 1) of the directors serving at block time, each signing as
  its party (threshold of its keys). A company with no serving director cannot sign as a board;
- **an officer**: any one serving director or secretary (annual returns);
- **a party**: `threshold` of its bound keys.
Unknown companies and parties add no requirement here: the operation's check refuses them with their
own code (`company.unknown_company`, `company.unknown_party`), so nothing succeeds on the strength of
a requirement that could not be computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized

from govledger.apps.common import keys, shape
from govledger.apps.company import store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    ACTIVE,
    DIRECTOR,
    MAX_CODE_CHARS,
    MAX_ID_CHARS,
    MAX_MINOR_UNITS,
    MAX_NAME_CHARS,
    MAX_SHARES,
    MAX_TIME_MS,
    OFFICER_ROLES,
    Appointment,
    CompanyVersion,
    Party,
)
from govledger.ledger.app import NOBODY_ELSE, AllOf, AppView, Requirement, SignedBy, Threshold

IMPOSSIBLE: Requirement = Threshold(k=1, of=[])
DIGEST_BYTES = 32

# --- shape ----------------------------------------------------------------------------------------------


def identifier(value: str, what: str) -> None:
    if not shape.is_identifier(value, MAX_ID_CHARS):
        fail("company.bad_identifier", f"{what} {value!r} must be 1-{MAX_ID_CHARS} of [A-Za-z0-9._:-]")


def identifiers(values: Iterable[str], what: str) -> None:
    for v in values:
        identifier(v, what)


def code(value: str, what: str) -> None:
    if not shape.is_code(value, MAX_CODE_CHARS):
        fail("company.bad_code", f"{what} {value!r} must be 1-{MAX_CODE_CHARS} of [a-z0-9_]")


def one_of(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        fail("company.bad_vocabulary", f"{what} {value!r} must be one of: {', '.join(choices)}")


def bounded(items: Sized, low: int, high: int, what: str) -> None:
    if not low <= len(items) <= high:
        fail("company.too_many", f"{what}: {len(items)} given, {low}..{high} allowed")


def distinct(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        fail("company.duplicate", f"{what}: the same value is listed twice")


_FORBIDDEN = frozenset(range(0x20)) | frozenset(range(0x7F, 0xA0)) | {0x2028, 0x2029, 0xFEFF}


def company_name(value: str) -> None:
    """Public registry data: 1-160 characters, no control characters, no leading or trailing space."""
    ok = (
        0 < len(value) <= MAX_NAME_CHARS
        and value == value.strip(" ")
        and not any(ord(c) in _FORBIDDEN for c in value)
    )
    if not ok:
        fail("company.bad_name", f"a company name is 1-{MAX_NAME_CHARS} characters without control codes")


def digest(value: bytes, what: str) -> None:
    if len(value) != DIGEST_BYTES:
        fail("company.bad_digest", f"{what} must be a 32-byte SHA-256 digest")


def commitment(value: bytes, what: str) -> None:
    if len(value) != DIGEST_BYTES or value == bytes(DIGEST_BYTES):
        fail("company.bad_commitment", f"{what} must be the 32-byte salted hash of the vault record")


def currency(value: str) -> None:
    if not shape.is_currency(value):
        fail("company.bad_currency", f"currency {value!r} must be an ISO 4217 code such as AED, EUR or USD")


def shares(value: int, what: str) -> None:
    if not 0 < value <= MAX_SHARES:
        fail("company.bad_amount", f"{what} {value} must be 1..{MAX_SHARES} shares")


def money(value: int, what: str, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_MINOR_UNITS:
        fail("company.bad_amount", f"{what} {value} must be {low}..{MAX_MINOR_UNITS} minor units")


def time_ms(value: int, what: str) -> None:
    if not 0 <= value <= MAX_TIME_MS:
        fail("company.bad_time", f"{what} {value} must be a block time in milliseconds, 0..{MAX_TIME_MS}")


def within(value: int, low: int, high: int, what: str) -> None:
    """A time (or height) that must fall in [low, high]: not in the past, not too far ahead."""
    time_ms(value, what)
    if not low <= value <= high:
        fail("company.bad_time", f"{what} {value} must be within {low}..{high}")


def key_binding(key_ids: list[bytes], threshold: int, max_keys: int) -> None:
    problem = keys.binding_problem(key_ids, threshold, max_keys, "party")
    if problem is not None:
        fail("company.bad_party", problem)


# --- state ----------------------------------------------------------------------------------------------


def require_active(company: CompanyVersion) -> None:
    if company.status != ACTIVE:
        fail("company.not_active", f"company {company.company_id!r} is {company.status}")


def active_company(view: AppView, company_id: str) -> CompanyVersion:
    identifier(company_id, "company_id")
    company = store.load_company(view, company_id)
    require_active(company)
    return company


def serving(
    company: CompanyVersion, now_ms: int, roles: tuple[str, ...] = OFFICER_ROLES
) -> list[Appointment]:
    """Appointments in `roles` in effect at block time `now_ms`."""
    return [
        a
        for a in company.officers
        if a.role in roles and a.appointed_ms <= now_ms and (a.ended_ms == 0 or now_ms < a.ended_ms)
    ]


def open_appointment(company: CompanyVersion, party_id: str, role: str) -> Appointment | None:
    """The party's appointment to `role` that has no end set (serving or scheduled), if any."""
    for a in company.officers:
        if a.party_id == party_id and a.role == role and a.ended_ms == 0:
            return a
    return None


# --- who signs ------------------------------------------------------------------------------------------


def party_requirement(party: Party) -> Requirement:
    return Threshold(k=party.threshold, of=[SignedBy(k) for k in party.key_ids])


def parties_requirement(view: AppView, party_ids: Iterable[str]) -> Requirement:
    """Every listed party that exists (validated ids first; unknown ones are refused by the check)."""
    out: list[Requirement] = []
    for pid in dict.fromkeys(party_ids):
        identifier(pid, "party")
        p = store.get_party(view, pid)
        if p is not None:
            out.append(party_requirement(p))
    return AllOf(of=out) if out else NOBODY_ELSE


def board_requirement(view: AppView, company: CompanyVersion, now_ms: int) -> Requirement:
    directors = serving(company, now_ms, (DIRECTOR,))
    reqs = [party_requirement(store.load_party(view, a.party_id)) for a in directors]
    if not reqs:
        return IMPOSSIBLE
    return Threshold(k=len(reqs) // 2 + 1, of=reqs)


def any_officer_requirement(view: AppView, company: CompanyVersion, now_ms: int) -> Requirement:
    officers = serving(company, now_ms)
    reqs = [party_requirement(store.load_party(view, a.party_id)) for a in officers]
    return Threshold(k=1, of=reqs) if reqs else IMPOSSIBLE


def board_of(view: AppView, company_id: str, now_ms: int) -> Requirement:
    """The board of `company_id`, or nothing when the company is unknown (its check refuses it)."""
    identifier(company_id, "company_id")
    company = store.get_company(view, company_id)
    return NOBODY_ELSE if company is None else board_requirement(view, company, now_ms)
