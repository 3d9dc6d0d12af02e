"""Exact ownership arithmetic: shares are rationals (`fractions.Fraction`, integers only), never floats.

The pure functions here compute new owner lists; the operations check their preconditions and write
the result. Every owner list they return is sorted by party id, names each party once, and sums to
exactly 1, which `assert_whole` checks on the way out (the invariant is asserted where it is made).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from govledger.apps.land.errors import fail
from govledger.apps.land.model import MAX_DENOMINATOR, Holding, Share

ONE = Fraction(1)


def to_fraction(s: Share) -> Fraction:
    """The value of a share from a body or state; refuses anything not in lowest terms within bounds."""
    ok = 0 < s.num <= s.den <= MAX_DENOMINATOR and math.gcd(s.num, s.den) == 1
    if not ok:
        fail("land.bad_share", f"share {s.num}/{s.den} must be in lowest terms with 0 < num <= den <= 1e12")
    return Fraction(s.num, s.den)


def to_share(f: Fraction) -> Share:
    if f.denominator > MAX_DENOMINATOR:
        fail("land.share_too_fine", f"share {f} needs a denominator above {MAX_DENOMINATOR}")
    return Share(num=f.numerator, den=f.denominator)


def as_map(holdings: Iterable[Holding]) -> dict[str, Fraction]:
    """Party id -> share, refusing a party listed twice (callers check ids and list lengths first)."""
    out: dict[str, Fraction] = {}
    for h in holdings:
        if h.party_id in out:
            fail("land.bad_holdings", f"party {h.party_id!r} is listed twice")
        out[h.party_id] = to_fraction(h.share)
    return out


def total(holdings: Iterable[Holding]) -> Fraction:
    # Summed over integers and reduced once: a Fraction per term and per partial sum costs a gcd each.
    num, den = 0, 1
    for h in holdings:
        s = h.share
        if not (0 < s.num <= s.den <= MAX_DENOMINATOR and math.gcd(s.num, s.den) == 1):
            to_fraction(s)  # refuses it, with the message
        num, den = num * s.den + s.num * den, den * s.den
    return Fraction(num, den)


def from_map(shares: dict[str, Fraction]) -> list[Holding]:
    """Sorted holdings, dropping parties left with nothing."""
    return [Holding(party_id=p, share=to_share(f)) for p, f in sorted(shares.items()) if f != 0]


def require_whole(holdings: list[Holding], what: str) -> None:
    s = total(holdings)
    if s != ONE:
        fail("land.shares_not_one", f"{what} shares sum to {s}, not 1")


def assert_whole(owners: list[Holding]) -> list[Holding]:
    """The title invariant, asserted wherever a new owner list is made."""
    assert owners == sorted(owners, key=lambda h: h.party_id), "owners must be sorted"
    assert len({h.party_id for h in owners}) == len(owners), "an owner is listed twice"
    assert total(owners) == ONE, "owners' shares must sum to exactly 1"
    return owners


def after_transfer(owners: list[Holding], sellers: list[Holding], buyers: list[Holding]) -> list[Holding]:
    """Owners after each seller gives up its sold share and each buyer adds its bought share.

    Preconditions (checked by the operation, refused here too): every seller owns at least what it
    sells, and the shares sold equal the shares bought.
    """
    held = as_map(owners)
    for party, sold in as_map(sellers).items():
        have = held.get(party)
        if have is None:
            fail("land.not_current_owner", f"seller {party!r} is not a current owner")
        if sold > have:
            fail("land.share_exceeds_holding", f"seller {party!r} sells {sold} but holds {have}")
        held[party] = have - sold
    sold_total, bought_total = total(sellers), total(buyers)
    if sold_total != bought_total:
        fail("land.shares_mismatch", f"shares sold ({sold_total}) differ from shares bought ({bought_total})")
    for party, bought in as_map(buyers).items():
        held[party] = held.get(party, Fraction(0)) + bought
    return assert_whole(from_map(held))


def after_succession(owners: list[Holding], deceased: str, heirs: list[Holding]) -> list[Holding]:
    """Owners after the deceased's holding passes to the heirs in the certificate's proportions."""
    held = as_map(owners)
    estate = held.pop(deceased, None)
    if estate is None:
        fail("land.not_current_owner", f"the deceased {deceased!r} is not a current owner")
    for party, part in as_map(heirs).items():
        held[party] = held.get(party, Fraction(0)) + estate * part
    return assert_whole(from_map(held))
