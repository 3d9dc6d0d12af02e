"""The fast paths of hot checks agree with their plain definitions: share sums, identifiers."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govledger.apps.land import rules, shares
from govledger.apps.land.model import MAX_DENOMINATOR, MAX_ID_CHARS, Holding, Share
from govledger.errors import AppError

DENS = st.integers(1, MAX_DENOMINATOR + 5) | st.integers(1, 60)
SHARES = st.builds(lambda n, d: Share(num=n, den=d), st.integers(-2, 70), DENS)


def _plain_total(holdings: list[Holding]) -> Fraction:
    out = Fraction(0)
    for h in holdings:
        s = h.share
        if not (0 < s.num <= s.den <= MAX_DENOMINATOR and Fraction(s.num, s.den).denominator == s.den):
            raise AppError("land.bad_share", "")
        out += Fraction(s.num, s.den)
    return out


@given(st.lists(SHARES, max_size=16))
def test_total_is_the_exact_sum_and_refuses_what_the_plain_sum_refuses(values: list[Share]) -> None:
    holdings = [Holding(f"p{i}", s) for i, s in enumerate(values)]
    try:
        expected = _plain_total(holdings)
    except AppError:
        with pytest.raises(AppError) as exc:
            shares.total(holdings)
        assert exc.value.code == "land.bad_share"
        return
    assert shares.total(holdings) == expected


def _plain_identifier(value: str) -> bool:
    return (
        0 < len(value) <= MAX_ID_CHARS
        and value.isascii()
        and value[0].isalnum()
        and all(c.isalnum() or c in "._:-" for c in value)
    )


@given(st.text(alphabet=st.sampled_from("aZ09._:-/ \n\té_"), max_size=70) | st.text(max_size=8))
def test_identifier_accepts_exactly_the_plain_rule(value: str) -> None:
    try:
        rules.identifier(value, "id")
        accepted = True
    except AppError as exc:
        assert exc.code == "land.bad_identifier"
        accepted = False
    assert accepted == _plain_identifier(value)
