"""Every error the land app raises: a stable code `land.<reason>` and what it means.

The table is the contract (docs/apps/land.md is generated from the same words); `fail` refuses codes
that are not in it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape of a body
    "land.bad_identifier": "an id is not 1-64 characters of [A-Za-z0-9._:-] starting with a letter or digit",
    "land.bad_code": "a code (land use, building use) is not 1-32 characters of [a-z0-9_]",
    "land.bad_share": "a share is not a fraction num/den in lowest terms with 0 < num <= den <= 10^12",
    "land.bad_holdings": "a list of holdings is empty, too long, or names a party twice",
    "land.shares_not_one": "shares that must make a whole (owners, group members, heirs) do not sum to 1",
    "land.shares_mismatch": "the shares sold do not equal the shares bought",
    "land.share_too_fine": "the resulting share needs a denominator above 10^12",
    "land.too_many": "a list exceeds its bound (owners, encumbrances, buildings, children, ...)",
    "land.bad_source": "a source has an unknown kind or a digest that is not 32 bytes",
    "land.source_required": "the operation needs a source document of a kind it accepts",
    "land.source_not_attested": "a source names an attest digest that is not recorded or was revoked",
    "land.bad_time": "a time is out of range or in the wrong order",
    "land.bad_amount": "an amount is not a positive whole number of cents within bounds",
    "land.bad_currency": "a currency is not an ISO 4217 code (three capital letters)",
    "land.bad_vocabulary": "a value is not one of the documented choices (kinds, grounds, periods)",
    # parties
    "land.unknown_party": "no party with that id is registered",
    "land.party_exists": "a party with that id is already registered",
    "land.bad_party": "kind, keys, threshold or members do not fit the party's kind",
    "land.bad_commitment": "the personal-data commitment is not a 32-byte hash",
    "land.key_in_use": "the key is already bound to another party",
    # parcels and geometry
    "land.unknown_parcel": "no parcel with that id is registered",
    "land.parcel_exists": "a parcel with that id already exists (ids are never reused)",
    "land.parcel_retired": "the parcel was subdivided or merged; its successors carry its title",
    "land.bad_boundary": "the polygon is not closed, oriented, bounded and non-degenerate",
    "land.bad_area": "the legal area is not a positive whole number of square metres",
    "land.area_mismatch": "the legal area differs from the polygon's area by more than the tolerance",
    "land.areas_do_not_add_up": "the new parcels' areas do not sum to the old parcels' areas",
    # title rules
    "land.not_current_owner": "a party acting as owner does not hold a share of the parcel now",
    "land.share_exceeds_holding": "a seller sells more than the share it holds",
    "land.caveat": "an active caveat forbids dealings with the parcel",
    "land.mortgaged": "an unreleased mortgage forbids the transfer",
    "land.priority_notice": "another buyer's priority notice reserves the parcel until it is used or expires",
    "land.unknown_notice": "the parcel has no active priority notice with that id",
    "land.owners_differ": "parcels to merge have different owners or shares",
    "land.encumbrances_differ": "parcels to merge carry different encumbrances",
    "land.bad_heirs": "the deceased is listed among the heirs",
    # RRRs
    "land.rrr_exists": "the parcel already has a right/restriction with that id",
    "land.unknown_rrr": "the parcel has no active right/restriction of that kind with that id",
    "land.bad_lender": "the lender is not a registered organisation",
    "land.bad_servitude": "a servitude needs exactly one of a dominant parcel and a beneficiary",
    # buildings
    "land.unknown_building": "the parcel has no standing building with that id",
    "land.building_exists": "a building with that id already exists",
    "land.building_outside_parcel": "the footprint is not inside the parcel's bounding box or CRS",
    "land.buildings_unassigned": "every existing building must go to exactly one new parcel",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
