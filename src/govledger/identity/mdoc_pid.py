"""A PID-style mdoc (namespace `eu.europa.ec.eudi.pid.1`) from a civil-register birth record.

The registry knows the birth (its event time, place and registration number, `vital.Certificate`)
and, through a logged vault read, the names; the issuer adds what it asserts itself (nationality,
authority, country). Age answers (`age_over_NN`, ISO 18013-5 / PID rulebook) are computed here, as
for the SD-JWT age credential (`claims.age_claims`): they are fixed at issuance, so the mdoc expires
no later than the next birthday that flips one of them (`claims.derived_expiry`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from govledger.identity.claims import age_claims, age_on, birth_date_from_ms, derived_expiry
from govledger.identity.errors import fail

PID_VALIDITY_YEARS = 5


def pid_from_birth(
    *,
    event_ms: int,
    place: str,
    registration_number: str,
    family_name: str,
    given_name: str,
    nationality: str,
    issuing_authority: str,
    issuing_country: str,
    issued: dt.date,
) -> tuple[dict[str, Any], dt.date]:
    """(PID elements, expiry date) for `mdoc.issue(..., name_spaces={PID_NAMESPACE: elements})`."""
    if not all(isinstance(v, str) and v for v in (family_name, given_name, nationality, issuing_country)):
        fail("input.wrong_type", "names, nationality and issuing country are non-empty strings")
    birth = birth_date_from_ms(event_ms)
    ages = age_claims(birth, issued)
    limit = dt.date(issued.year + PID_VALIDITY_YEARS, issued.month, min(issued.day, 28))
    flips = derived_expiry(birth, issued)
    expiry = min(limit, flips - dt.timedelta(days=1)) if flips else limit
    elements: dict[str, Any] = {
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": birth,
        **ages,
        "age_in_years": age_on(birth, issued),
        "age_birth_year": birth.year,
        "birth_place": place,
        "nationality": nationality,
        "issuance_date": issued,
        "expiry_date": expiry,
        "issuing_authority": issuing_authority,
        "issuing_country": issuing_country,
        "document_number": registration_number,
    }
    return elements, expiry
