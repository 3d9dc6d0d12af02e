"""Derived claims that answer real questions without revealing the data behind them.

A bar asks "over 18?", a council asks "resident of region X?". Neither needs a birth date or an
address. The issuer computes the answers once, from data it has verified (a birth record's event
time, a residence credential's region), and puts each answer in its own disclosable claim, next to
the source data (also disclosable). The holder then discloses `age_over_18` alone: the verifier
learns one boolean, signed by the issuer, bound to the holder's key.

`age_over_NN` follows ISO/IEC 18013-5 and the EUDI PID rulebook: true when the holder is at least
NN years old on the issuance date. Dates are calendar dates; someone born on 29 February turns a
year older on 1 March in common years. Because the answer is fixed at issuance, an `age_over_18:
false` credential goes stale on the 18th birthday; the issuer therefore sets `exp` no later than
the next threshold birthday (`derived_expiry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from govledger.identity.errors import fail

AGE_THRESHOLDS = (16, 18, 21, 65)
AGE_VCT = "urn:govledger:vct:age-residence:1"


def parse_date(value: Any, name: str = "date") -> dt.date:
    if not isinstance(value, str):
        fail("input.wrong_type", f"{name} is a YYYY-MM-DD string")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        fail("input.wrong_type", f"{name} {value!r} is not a YYYY-MM-DD date")


def age_on(birth: dt.date, today: dt.date) -> int:
    years = today.year - birth.year
    return years - ((today.month, today.day) < (birth.month, birth.day))


def birthday_after(birth: dt.date, years: int) -> dt.date:
    """The date on which someone born on `birth` turns `years` old (29 Feb -> 1 Mar in common years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return dt.date(birth.year + years, 3, 1)


def age_claims(birth: dt.date, today: dt.date, thresholds: Iterable[int] = AGE_THRESHOLDS) -> dict[str, bool]:
    if birth > today:
        fail("input.wrong_type", "the birth date is after the issuance date")
    age = age_on(birth, today)
    return {f"age_over_{n}": age >= n for n in sorted(thresholds)}


def derived_expiry(
    birth: dt.date, today: dt.date, thresholds: Iterable[int] = AGE_THRESHOLDS
) -> dt.date | None:
    """The next date one of the age answers flips, or None when none will."""
    upcoming = [birthday_after(birth, n) for n in thresholds if birthday_after(birth, n) > today]
    return min(upcoming) if upcoming else None


def birth_date_from_ms(event_ms: int) -> dt.date:
    """A birth record's event time (ms since the epoch, UTC) as a calendar date."""
    return dt.datetime.fromtimestamp(event_ms / 1000, dt.UTC).date()


def age_residence_claims(
    *,
    birth: dt.date,
    today: dt.date,
    residence: Mapping[str, Any] | None = None,
    thresholds: Iterable[int] = AGE_THRESHOLDS,
) -> tuple[dict[str, Any], list[tuple[str, ...]]]:
    """Claims and disclosable paths of an age-and-residence credential.

    Every claim is disclosable on its own: `age_over_NN`, `birthdate`, `resident_region`,
    `resident_country`, and the full `address` (whose members are disclosable too).
    """
    claims: dict[str, Any] = {"birthdate": birth.isoformat(), **age_claims(birth, today, thresholds)}
    if residence:
        region, country = residence.get("region"), residence.get("country")
        if not isinstance(region, str) or not isinstance(country, str):
            fail("input.wrong_type", "residence needs region and country strings")
        claims["resident_region"] = region
        claims["resident_country"] = country
        address = residence.get("address")
        if isinstance(address, dict):
            claims["address"] = dict(address)
    paths: list[tuple[str, ...]] = [(k,) for k in claims]
    if isinstance(claims.get("address"), dict):
        paths += [("address", k) for k in claims["address"]]
    return claims, paths
