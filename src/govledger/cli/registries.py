"""Register reads on the command line: `govledger land ...`, `govledger company ...`, `govledger vital ...`.

    govledger land title P-001                    current title (owners, shares, encumbrance ids)
    govledger land history P-001 [--from 1]       every version, oldest first, with its entry
    govledger land encumbrances P-001             active mortgages, caveats, leases, servitudes
    govledger land parcels-of lp-0001 [--all]     parcels a party holds a share in
    govledger company show CO-0001                the company's current register entry
    govledger company lifecycle CO-0001           every version, incorporation to dissolution
    govledger vital status BR-00001               a record's status (`--number` for a registration number)
    govledger vital commitments BR-00001          its persons' roles, pseudonyms and commitments

Each command runs the register's query through the SDK client, which verifies every key against a
header certified by the trusted validators (pinned from <home>/genesis.json) and re-runs the query
over the proved state; the result goes to stdout as JSON, the verification line to stderr. Ids are
checked before anything is sent; a malformed id or a record that does not exist is one line on stderr
and exit code 2 (`main.GuardedGroup`). Every command takes `--height H` to read the register as it
stood at the end of block H; `parcels-of --all` reads every page at the height of the first, so the
listing is one consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from govledger.apps.company import rules as company_rules
from govledger.apps.land import rules as land_rules
from govledger.apps.land.model import MAX_HISTORY_PAGE, MAX_PARTY_PARCELS_PAGE
from govledger.apps.vital import rules as vital_rules
from govledger.cli.common import URL_OPTION, print_json, say, state_of
from govledger.cli.read_cmd import _verified_line
from govledger.errors import GovledgerError
from govledger.node.queries import QueryAnswer

land_app = typer.Typer(
    help="The land register: titles, history, encumbrances, parcels of a party.", no_args_is_help=True
)
company_app = typer.Typer(help="The company register: entries and their lifecycle.", no_args_is_help=True)
vital_app = typer.Typer(
    help="The civil register: status and commitments (no personal data).", no_args_is_help=True
)

MAX_PAGES = 1000  # --all stops here: 500,000 parcels is more than any party holds
HEIGHT_OPTION = typer.Option(
    None, "--height", min=0, help="Read the register as it stood at the end of this block (default: now)."
)


def _read(
    ctx: typer.Context,
    url: str,
    app: str,
    query: str,
    params: dict[str, Any],
    not_found: tuple[str, str],
    height: int | None,
) -> QueryAnswer:
    """The verified answer; `not_found` raised (exit 2) when the query finds nothing."""
    with state_of(ctx).client(url) as client:
        answer = client.query_answer(app, query, params, height=height)
    if answer.result is None:
        raise GovledgerError(*not_found)
    return answer


def _read_listing(
    ctx: typer.Context,
    url: str,
    app: str,
    owner: tuple[str, dict[str, Any]],
    not_found: tuple[str, str],
    listing: tuple[str, dict[str, Any]],
    height: int | None,
) -> QueryAnswer:
    """A listing (history, encumbrances) of a record that must exist, both read at one height."""
    with state_of(ctx).client(url) as client:
        found = client.query_answer(app, owner[0], owner[1], height=height)
        if found.result is None:
            raise GovledgerError(*not_found)
        return client.query_answer(app, listing[0], listing[1], height=found.height)


def _show(answer: QueryAnswer) -> None:
    print_json({"height": answer.height, "result": answer.result})
    say(_verified_line(answer.proof))


def _checked(check: Callable[[str, str], None], value: str, what: str) -> str:
    check(value, what)
    return value


# --- land ----------------------------------------------------------------------------------------------


def _parcel(parcel_id: str) -> tuple[str, str]:
    _checked(land_rules.identifier, parcel_id, "parcel id")
    return "land.parcel_not_found", f"no parcel {parcel_id!r} in the land register"


@land_app.command("title")
def land_title(
    ctx: typer.Context,
    parcel_id: str = typer.Argument(..., help="Parcel id."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """The current title of a parcel: owners and shares, encumbrance ids, buildings, the last entry."""
    not_found = _parcel(parcel_id)
    _show(_read(ctx, url, "land", "title", {"parcel_id": parcel_id}, not_found, height))


@land_app.command("history")
def land_history(
    ctx: typer.Context,
    parcel_id: str = typer.Argument(..., help="Parcel id."),
    from_version: int = typer.Option(1, "--from", min=1, help="First version to list."),
    limit: int = typer.Option(MAX_HISTORY_PAGE, "--limit", min=1, max=MAX_HISTORY_PAGE),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """Every version of a parcel's title, oldest first: which operation, documents and signers."""
    not_found = _parcel(parcel_id)
    params = {"parcel_id": parcel_id, "from_version": from_version, "limit": limit}
    owner = ("title", {"parcel_id": parcel_id})
    _show(_read_listing(ctx, url, "land", owner, not_found, ("history", params), height))


@land_app.command("encumbrances")
def land_encumbrances(
    ctx: typer.Context,
    parcel_id: str = typer.Argument(..., help="Parcel id."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """The parcel's active mortgages, caveats, leases and servitudes."""
    not_found = _parcel(parcel_id)
    params = {"parcel_id": parcel_id}
    _show(_read_listing(ctx, url, "land", ("title", params), not_found, ("encumbrances", params), height))


@land_app.command("parcels-of")
def land_parcels_of(
    ctx: typer.Context,
    party_id: str = typer.Argument(..., help="Land party id."),
    start_after: str = typer.Option("", "--after", help="List the parcels after this parcel id."),
    limit: int = typer.Option(100, "--limit", min=1, max=MAX_PARTY_PARCELS_PAGE, help="Parcels per page."),
    every: bool = typer.Option(False, "--all", help="Follow the pages to the end."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """The parcels a party holds a share in, in parcel-id order, with the shares."""
    _checked(land_rules.identifier, party_id, "party id")
    if start_after:
        _checked(land_rules.identifier, start_after, "--after")
    not_found = ("land.party_not_found", f"no party {party_id!r} in the land register")
    params: dict[str, Any] = {"party_id": party_id, "start_after": start_after, "limit": limit}
    answer = _read(ctx, url, "land", "parcels_of_party", params, not_found, height)
    if not every:
        _show(answer)
        return
    parcels = list(answer.result["parcels"])
    pinned = answer.height  # every page at the first page's height: one consistent listing
    with state_of(ctx).client(url) as client:
        for _ in range(MAX_PAGES):
            if answer.result["complete"] or not answer.result["parcels"]:
                break
            params["start_after"] = answer.result["parcels"][-1]["parcel_id"]
            answer = client.query_answer("land", "parcels_of_party", params, height=pinned)
            if answer.result is None:
                raise GovledgerError(*not_found)
            parcels += answer.result["parcels"]
    result = {**answer.result, "parcels": parcels, "complete": bool(answer.result["complete"])}
    print_json({"height": answer.height, "result": result})
    say(f"{len(parcels)} parcel(s) at height {pinned}; every page's proof verified against that header")


# --- companies -----------------------------------------------------------------------------------------


def _company(company_id: str) -> tuple[str, str]:
    _checked(company_rules.identifier, company_id, "company id")
    return "company.not_found", f"no company {company_id!r} in the register"


@company_app.command("show")
def company_show(
    ctx: typer.Context,
    company_id: str = typer.Argument(..., help="Company id."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """The company's current entry: status, office, officers, share classes, licences."""
    not_found = _company(company_id)
    _show(_read(ctx, url, "company", "company", {"company_id": company_id}, not_found, height))


@company_app.command("lifecycle")
def company_lifecycle(
    ctx: typer.Context,
    company_id: str = typer.Argument(..., help="Company id."),
    from_version: int = typer.Option(1, "--from", min=1, help="First version to list."),
    limit: int = typer.Option(100, "--limit", min=1, max=100),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """Every version of the company's entry, from incorporation to dissolution."""
    not_found = _company(company_id)
    params = {"company_id": company_id, "from_version": from_version, "limit": limit}
    owner = ("company", {"company_id": company_id})
    _show(_read_listing(ctx, url, "company", owner, not_found, ("history", params), height))


# --- vital records ---------------------------------------------------------------------------------------


@vital_app.command("status")
def vital_status(
    ctx: typer.Context,
    record_id: str = typer.Argument(..., help="Record id, or registration number with --number."),
    number: bool = typer.Option(False, "--number", help="RECORD_ID is a registration number."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """A record's kind, status and version (no personal data)."""
    _checked(vital_rules.identifier, record_id, "registration number" if number else "record id")
    query = "by_registration_number" if number else "status"
    what = "registration number" if number else "id"
    not_found = ("vital.record_not_found", f"no record with {what} {record_id!r} in the civil register")
    _show(_read(ctx, url, "vital", query, {"id": record_id}, not_found, height))


@vital_app.command("commitments")
def vital_commitments(
    ctx: typer.Context,
    record_id: str = typer.Argument(..., help="Record id."),
    height: int | None = HEIGHT_OPTION,
    url: str = URL_OPTION,
) -> None:
    """A record's persons as the ledger holds them: role, pseudonym, commitment, erased or not."""
    _checked(vital_rules.identifier, record_id, "record id")
    not_found = ("vital.record_not_found", f"no record {record_id!r} in the civil register")
    _show(_read(ctx, url, "vital", "commitments", {"id": record_id}, not_found, height))
