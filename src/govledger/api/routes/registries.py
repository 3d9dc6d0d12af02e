"""Registry routes: typed reads of the land, company and civil registers, each with its proof.

Every route runs one query of its app (apps/<app>/queries.py) through the same code as the generic
`POST /v1/query/{app}/{name}` (`node.queries.run_query`) and answers a `RegistryAnswer`: the query
it ran and its parameters, then the generic answer (height, result, proof). A client re-runs that
query over the proved keys (`sdk.verify.verify_query_answer(answer, trust, app, query, params)`),
so these routes are conveniences with nothing new to trust. Every route takes `?height=` to read
the register as it stood at the end of a past block (proved at that height, as the generic route does).

Ids are checked before any state is read: a malformed id is `400 <app>.bad_identifier` (the apps' own
rule). A record that does not exist is `404` with a stable code (`land.parcel_not_found`, ...);
lists (history, encumbrances, parcels of a party) of something that does not exist are 404 too.

Civil-register routes return only what the ledger holds without personal data: status and version,
and per person a role, a pseudonym and the commitment of their vault record. Names and dates stay in
the vault (`/v1/vault/...`, logged reads).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.context import ctx_of
from govledger.api.errors import ApiError
from govledger.api.http import json_response
from govledger.apps.company import rules as company_rules
from govledger.apps.company.model import (
    MAX_PAGE as COMPANY_MAX_PAGE,
)
from govledger.apps.company.model import (
    MAX_RESOLUTIONS_PAGE,
    Appointment,
    CompanyVersion,
    Licence,
    Resolution,
    Shareholders,
)
from govledger.apps.land import rules as land_rules
from govledger.apps.land.model import (
    MAX_HISTORY_PAGE,
    MAX_PARTY_PARCELS_PAGE,
    RRR,
    Parcel,
    Party,
    PartyParcels,
    TitleVersion,
)
from govledger.apps.vital import rules as vital_rules
from govledger.apps.vital.model import RecordCommitments, RecordStatusAnswer
from govledger.codec import Record
from govledger.ledger.proofs import StateProof
from govledger.node.queries import QueryAnswer, run_query


def _as_of(
    request: Request,
    height: Annotated[
        int | None,
        Query(ge=0, description="Read the register as it stood at the end of this block (default: now)."),
    ] = None,
) -> None:
    """Every register route takes `?height=`: the answer is read and proved at that height."""
    request.state.registry_height = height


router = APIRouter(prefix="/v1", dependencies=[Depends(_as_of)])

ID_DOC = "1-64 characters of [A-Za-z0-9._:-], starting with a letter or digit."


class RegistryAnswer(Record, frozen=True):
    """The query that was run (`app`, `query`, `params`) and its answer with the proof of every key read."""

    app: str
    query: str
    params: dict[str, Any]
    height: int
    result: Any
    proof: StateProof


# --- OpenAPI: the result's schema inside the answer's --------------------------------------------------


def _inline(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """msgspec's `$defs` references resolved in place (these result types are not recursive)."""
    if depth > 32:
        return {"type": "object"}
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs, depth + 1)
        return {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _answer_doc(result_type: Any, what: str, not_found: str = "") -> dict[int | str, dict[str, Any]]:
    schema = msgspec.json.schema(result_type)
    result = _inline(schema, schema.get("$defs", {}))
    answer = {
        "type": "object",
        "required": ["app", "query", "params", "height", "result", "proof"],
        "properties": {
            "app": {"type": "string"},
            "query": {"type": "string", "description": "The app query that produced `result`."},
            "params": {"type": "object", "description": "Its parameters, to re-run it over the proof."},
            "height": {"type": "integer", "description": "The height the answer was read at."},
            "result": result,
            "proof": {
                "type": "object",
                "description": "StateProof: every key the query read, with its sparse Merkle proof "
                "against the header at `height` and the commit certifying it.",
            },
        },
    }
    out: dict[int | str, dict[str, Any]] = {
        200: {"description": what, "content": {"application/json": {"schema": answer}}},
        400: {"description": "Malformed id or parameter (`<app>.bad_identifier`, `request.invalid`)."},
    }
    if not_found:
        out[404] = {"description": f"`{not_found}`: no such record."}
    return out


# --- running a query ------------------------------------------------------------------------------------


async def _answer(
    request: Request,
    app: str,
    query: str,
    params: dict[str, Any],
    not_found: tuple[str, str] | None = None,
) -> Response:
    """Run `app.query(params)` like the generic route; 404 `not_found` if it finds nothing (None)."""
    answer = await _run(request, app, query, params)
    if not_found is not None and answer.result is None:
        raise ApiError(not_found[0], not_found[1], 404)
    return json_response(RegistryAnswer(app, query, params, answer.height, answer.result, answer.proof))


async def _run(request: Request, app: str, query: str, params: dict[str, Any]) -> QueryAnswer:
    chain = ctx_of(request).node.chain
    target = chain.apps.get(app)
    if target is None:
        raise ApiError("app.unknown", f"no app named {app!r} is installed")
    height: int | None = getattr(request.state, "registry_height", None)
    answer: QueryAnswer = await run_in_threadpool(run_query, chain, target, query, params, height)
    return answer


async def _exists(request: Request, app: str, query: str, params: dict[str, Any]) -> bool:
    """Whether `query` (a lookup by id) finds something now; for lists that are empty when it does not."""
    return (await _run(request, app, query, params)).result is not None


async def _list_of(
    request: Request,
    app: str,
    owner: tuple[str, dict[str, Any]],
    not_found: tuple[str, str],
    query: str,
    page: dict[str, Any] | None = None,
) -> Response:
    """A list query about one record, run with the owner's params plus `page`.

    The list answers [] for a record that does not exist, so the owner lookup is what tells 404 apart.
    """
    owner_query, owner_params = owner
    if not await _exists(request, app, owner_query, owner_params):
        raise ApiError(*not_found, 404)
    return await _answer(request, app, query, {**owner_params, **(page or {})})


def _land_id(value: str, what: str) -> str:
    land_rules.identifier(value, what)
    return value


def _company_id(value: str, what: str) -> str:
    company_rules.identifier(value, what)
    return value


def _vital_id(value: str, what: str) -> str:
    vital_rules.identifier(value, what)
    return value


def _start_after(value: str, check: Callable[[str, str], str]) -> str:
    return check(value, "start_after") if value else ""


# --- land --------------------------------------------------------------------------------------------

LAND: list[str | Enum] = ["land register"]


def _no_parcel(parcel_id: str) -> tuple[str, str]:
    return "land.parcel_not_found", f"no parcel {parcel_id!r} in the land register"


def _no_party(party_id: str) -> tuple[str, str]:
    return "land.party_not_found", f"no party {party_id!r} in the land register"


async def _parcel_list(
    request: Request, parcel_id: str, query: str, page: dict[str, Any] | None = None
) -> Response:
    """A list query by parcel id: 404 if the parcel has no title."""
    _land_id(parcel_id, "parcel_id")
    owner = ("title", {"parcel_id": parcel_id})
    return await _list_of(request, "land", owner, _no_parcel(parcel_id), query, page)


@router.get(
    "/land/parcels/{parcel_id}",
    tags=LAND,
    summary="The current title of a parcel",
    description="Owners with their shares, active encumbrance ids, buildings, priority notice, and the "
    f"entry that made this version (operation, documents, signers). Parcel id: {ID_DOC}",
    responses=_answer_doc(TitleVersion, "The current title version.", "land.parcel_not_found"),
)
async def land_title(request: Request, parcel_id: str) -> Response:
    _land_id(parcel_id, "parcel_id")
    return await _answer(request, "land", "title", {"parcel_id": parcel_id}, not_found=_no_parcel(parcel_id))


@router.get(
    "/land/parcels/{parcel_id}/spatial",
    tags=LAND,
    summary="The spatial unit of a parcel",
    description="Boundary (GeoJSON-shaped, integer centimetres), legal area, land use, lineage, status.",
    responses=_answer_doc(Parcel, "The spatial unit.", "land.parcel_not_found"),
)
async def land_parcel(request: Request, parcel_id: str) -> Response:
    _land_id(parcel_id, "parcel_id")
    return await _answer(request, "land", "parcel", {"parcel_id": parcel_id}, not_found=_no_parcel(parcel_id))


@router.get(
    "/land/parcels/{parcel_id}/history",
    tags=LAND,
    summary="Every version of a parcel's title, oldest first",
    description="Each version carries its entry: which operation, which documents (SHA-256), which keys "
    f"signed, at which height and block time. Paged: up to `limit` (at most {MAX_HISTORY_PAGE}) versions "
    "from `from_version`; the current title's `version` says how many there are.",
    responses=_answer_doc(list[TitleVersion], "Title versions.", "land.parcel_not_found"),
)
async def land_history(
    request: Request,
    parcel_id: str,
    from_version: Annotated[int, Query(ge=1, le=10**9)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = MAX_HISTORY_PAGE,
) -> Response:
    return await _parcel_list(request, parcel_id, "history", {"from_version": from_version, "limit": limit})


@router.get(
    "/land/parcels/{parcel_id}/versions/{version}",
    tags=LAND,
    summary="One version of a parcel's title",
    responses=_answer_doc(TitleVersion, "That title version.", "land.version_not_found"),
)
async def land_title_at(
    request: Request, parcel_id: str, version: Annotated[int, Path(ge=1, le=10**9)]
) -> Response:
    _land_id(parcel_id, "parcel_id")
    params = {"parcel_id": parcel_id, "version": version}
    not_found = ("land.version_not_found", f"parcel {parcel_id!r} has no title version {version}")
    return await _answer(request, "land", "title_at", params, not_found=not_found)


@router.get(
    "/land/parcels/{parcel_id}/encumbrances",
    tags=LAND,
    summary="The active mortgages, caveats, leases and servitudes of a parcel",
    responses=_answer_doc(list[RRR], "Active rights and restrictions.", "land.parcel_not_found"),
)
async def land_encumbrances(request: Request, parcel_id: str) -> Response:
    return await _parcel_list(request, parcel_id, "encumbrances")


@router.get(
    "/land/parties/{party_id}",
    tags=LAND,
    summary="A party of the land register",
    description="Kind, personal-data commitment, key ids and threshold (or group members), parcel count. "
    "No names: those are in the vault.",
    responses=_answer_doc(Party, "The party.", "land.party_not_found"),
)
async def land_party(request: Request, party_id: str) -> Response:
    _land_id(party_id, "party_id")
    return await _answer(request, "land", "party", {"party_id": party_id}, not_found=_no_party(party_id))


@router.get(
    "/land/parties/{party_id}/parcels",
    tags=LAND,
    summary="The parcels a party holds a share in, in parcel-id order",
    description=f"Paged: up to `limit` (at most {MAX_PARTY_PARCELS_PAGE}) parcels after `start_after`. "
    "`complete` is true on the last page; ask for the next with `start_after` = the last parcel id.",
    responses=_answer_doc(PartyParcels, "A page of the party's parcels.", "land.party_not_found"),
)
async def land_parcels_of_party(
    request: Request,
    party_id: str,
    start_after: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PARTY_PARCELS_PAGE)] = 100,
) -> Response:
    _land_id(party_id, "party_id")
    params = {"party_id": party_id, "start_after": _start_after(start_after, _land_id), "limit": limit}
    return await _answer(request, "land", "parcels_of_party", params, not_found=_no_party(party_id))


# --- companies -------------------------------------------------------------------------------------

COMPANIES: list[str | Enum] = ["company register"]


def _no_company(company_id: str) -> tuple[str, str]:
    return "company.not_found", f"no company {company_id!r} in the register"


async def _company_list(
    request: Request, company_id: str, query: str, page: dict[str, Any] | None = None
) -> Response:
    """A list query by company id: 404 if the company does not exist."""
    _company_id(company_id, "company_id")
    owner = ("company", {"company_id": company_id})
    return await _list_of(request, "company", owner, _no_company(company_id), query, page)


@router.get(
    "/companies/{company_id}",
    tags=COMPANIES,
    summary="A company's current register entry",
    description="Name, status, registered office, articles hash, officers, share classes, licences, open "
    f"resolutions and the counters of its lists. Company id: {ID_DOC}",
    responses=_answer_doc(CompanyVersion, "The latest version of the entry.", "company.not_found"),
)
async def company_show(request: Request, company_id: str) -> Response:
    _company_id(company_id, "company_id")
    params = {"company_id": company_id}
    return await _answer(request, "company", "company", params, not_found=_no_company(company_id))


@router.get(
    "/companies/{company_id}/lifecycle",
    tags=COMPANIES,
    summary="Every version of a company's entry, from incorporation to dissolution",
    description=f"Paged: up to `limit` (at most {COMPANY_MAX_PAGE}) versions from `from_version`; the "
    "current entry's `version` says how many there are.",
    responses=_answer_doc(list[CompanyVersion], "Versions, oldest first.", "company.not_found"),
)
async def company_lifecycle(
    request: Request,
    company_id: str,
    from_version: Annotated[int, Query(ge=1, le=10**9)] = 1,
    limit: Annotated[int, Query(ge=1, le=COMPANY_MAX_PAGE)] = COMPANY_MAX_PAGE,
) -> Response:
    page = {"from_version": from_version, "limit": limit}
    return await _company_list(request, company_id, "history", page)


@router.get(
    "/companies/{company_id}/officers",
    tags=COMPANIES,
    summary="A company's current and scheduled directors and secretaries",
    responses=_answer_doc(list[Appointment], "Appointments.", "company.not_found"),
)
async def company_officers(request: Request, company_id: str) -> Response:
    return await _company_list(request, company_id, "officers")


@router.get(
    "/companies/{company_id}/licences",
    tags=COMPANIES,
    summary="Every licence of a company",
    responses=_answer_doc(list[Licence], "Licences: activities, term, expiry, status.", "company.not_found"),
)
async def company_licences(request: Request, company_id: str) -> Response:
    return await _company_list(request, company_id, "licences")


@router.get(
    "/companies/{company_id}/resolutions",
    tags=COMPANIES,
    summary="A company's resolutions in id order, with their tallies and results",
    description=f"Paged: up to `limit` (at most {MAX_RESOLUTIONS_PAGE}) after `start_after`; a shorter page "
    "is the last (the entry's `resolutions` counts them all).",
    responses=_answer_doc(list[Resolution], "Resolutions in id order.", "company.not_found"),
)
async def company_resolutions(
    request: Request,
    company_id: str,
    start_after: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_RESOLUTIONS_PAGE)] = MAX_RESOLUTIONS_PAGE,
) -> Response:
    page = {"start_after": _start_after(start_after, _company_id), "limit": limit}
    return await _company_list(request, company_id, "resolutions", page)


@router.get(
    "/companies/{company_id}/classes/{class_id}/shareholders",
    tags=COMPANIES,
    summary="Holders of one share class, in party-id order",
    description=f"Paged: up to `limit` (at most {COMPANY_MAX_PAGE}) holders after `start_after`; `complete` "
    "is true on the last page.",
    responses=_answer_doc(Shareholders, "A page of holders.", "company.class_not_found"),
)
async def company_shareholders(
    request: Request,
    company_id: str,
    class_id: str,
    start_after: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=COMPANY_MAX_PAGE)] = COMPANY_MAX_PAGE,
) -> Response:
    _company_id(company_id, "company_id")
    _company_id(class_id, "class_id")
    params = {
        "company_id": company_id,
        "class_id": class_id,
        "start_after": _start_after(start_after, _company_id),
        "limit": limit,
    }
    not_found = ("company.class_not_found", f"company {company_id!r} has no share class {class_id!r}")
    return await _answer(request, "company", "shareholders", params, not_found=not_found)


# --- vital records ---------------------------------------------------------------------------------

VITAL: list[str | Enum] = ["civil register"]


def _no_record(record_id: str) -> tuple[str, str]:
    return "vital.record_not_found", f"no record {record_id!r} in the civil register"


@router.get(
    "/vital/records/{record_id}",
    tags=VITAL,
    summary="A civil-register record's status",
    description="Kind (birth, death, marriage, divorce), status, version, and the divorce that dissolved a "
    "marriage. No personal data.",
    responses=_answer_doc(RecordStatusAnswer, "The record's status.", "vital.record_not_found"),
)
async def vital_status(request: Request, record_id: str) -> Response:
    _vital_id(record_id, "record_id")
    return await _answer(request, "vital", "status", {"id": record_id}, not_found=_no_record(record_id))


@router.get(
    "/vital/records/{record_id}/commitments",
    tags=VITAL,
    summary="A record's persons as the ledger holds them: role, pseudonym, commitment",
    description="With status and registration number; whether each person's data was erased. Dates, "
    "places and names are not here: they are read from the vault, each read logged on the ledger.",
    responses=_answer_doc(RecordCommitments, "The record's commitments.", "vital.record_not_found"),
)
async def vital_commitments(request: Request, record_id: str) -> Response:
    _vital_id(record_id, "record_id")
    return await _answer(request, "vital", "commitments", {"id": record_id}, not_found=_no_record(record_id))


@router.get(
    "/vital/registrations/{number}",
    tags=VITAL,
    summary="A record's status by its registration number",
    responses=_answer_doc(RecordStatusAnswer, "The record's status.", "vital.record_not_found"),
)
async def vital_by_number(request: Request, number: str) -> Response:
    _vital_id(number, "registration number")
    not_found = ("vital.record_not_found", f"no record with registration number {number!r}")
    return await _answer(request, "vital", "by_registration_number", {"id": number}, not_found=not_found)
