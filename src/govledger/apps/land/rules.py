"""The rules every land operation shares, written as data where they can be.

Two tables decide most refusals:

- `BLOCKED_BY[op]`: which state of a parcel stops the operation. `caveat`: an active caveat (a court's or
  the registrar's freeze on dealings). `mortgage`: an unreleased mortgage. `notice`: a priority notice
  in force for someone else's sale (the transfer that matches the notice is the one exception, decided
  in the transfer's own check). Retired parcels refuse everything (`land.parcel_retired`) before this.
  Operations that only lift burdens (release, removal, termination, cancellation) are blocked by nothing.
- `SOURCES_ACCEPTED[op]`: the document kinds of which the operation needs at least one (`()` means
  sources are optional). Documents are referenced by SHA-256, never stored.

Everything else here is shape validation: ids, codes, shares, times, amounts, which all raise
`land.*` codes before any state is read (a malformed id must never reach a key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sized

from govledger.apps.common import shape
from govledger.apps.land import store
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    GROUP,
    MAX_AMOUNT_CENTS,
    MAX_CODE_CHARS,
    MAX_ID_CHARS,
    MAX_SOURCES,
    MAX_TIME_MS,
    SOURCE_KINDS,
    Holding,
    Party,
    PriorityNotice,
    Source,
    TitleVersion,
)
from govledger.ledger.app import NOBODY_ELSE, AllOf, AppView, Requirement, SignedBy, Threshold

BLOCKED_BY: Mapping[str, tuple[str, ...]] = {
    "transfer": ("caveat", "mortgage", "notice"),
    "place_priority_notice": ("caveat", "notice"),
    "register_mortgage": ("caveat", "notice"),
    "register_lease": ("caveat", "notice"),
    "register_servitude": ("caveat", "notice"),
    "subdivide": ("caveat", "notice"),
    "merge": ("caveat", "notice"),
    "succession": ("notice",),  # inheritance passes by law, caveats and mortgages follow the land
    "register_caveat": (),  # a court may freeze a reserved or mortgaged parcel
    "register_building": (),
    "demolish_building": ("caveat",),
    "release_mortgage": (),
    "remove_caveat": (),
    "terminate_lease": (),
    "release_servitude": (),
    "cancel_priority_notice": (),
}

SOURCES_ACCEPTED: Mapping[str, tuple[str, ...]] = {
    "recover_party_keys": ("identity_check",),
    "first_registration": ("survey_plan",),
    "transfer": ("deed", "sale_contract", "court_order"),
    "register_mortgage": ("mortgage_deed",),
    "release_mortgage": ("discharge", "court_order"),
    "register_caveat": ("court_order", "registrar_decision"),
    "remove_caveat": ("court_order", "registrar_decision"),
    "register_lease": ("lease_contract",),
    "terminate_lease": (),
    "register_servitude": ("servitude_deed", "court_order"),
    "release_servitude": ("servitude_deed", "court_order", "discharge"),
    "subdivide": ("survey_plan",),
    "merge": ("survey_plan",),
    "succession": ("succession_certificate", "court_order"),
    "register_building": ("survey_plan",),
    "demolish_building": ("permit", "survey_plan"),
}


# --- shape -------------------------------------------------------------------------------------------


def identifier(value: str, what: str) -> None:
    if not shape.is_identifier(value, MAX_ID_CHARS):
        fail("land.bad_identifier", f"{what} {value!r} must be 1-{MAX_ID_CHARS} of [A-Za-z0-9._:-]")


def identifiers(values: Iterable[str], what: str) -> None:
    for v in values:
        identifier(v, what)


def optional_identifier(value: str, what: str) -> None:
    if value:
        identifier(value, what)


def code(value: str, what: str) -> None:
    if not shape.is_code(value, MAX_CODE_CHARS):
        fail("land.bad_code", f"{what} {value!r} must be 1-{MAX_CODE_CHARS} of [a-z0-9_]")


def one_of(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        fail("land.bad_vocabulary", f"{what} {value!r} must be one of: {', '.join(choices)}")


def bounded(items: Sized, low: int, high: int, what: str) -> None:
    if not low <= len(items) <= high:
        fail("land.too_many", f"{what}: {len(items)} given, {low}..{high} allowed")


def holdings_shape(holdings: list[Holding], high: int, what: str) -> None:
    """1..high holdings, valid party ids, each party once (share values are checked by `shares`)."""
    if not 1 <= len(holdings) <= high:
        fail("land.bad_holdings", f"{what}: {len(holdings)} listed, 1..{high} allowed")
    identifiers((h.party_id for h in holdings), f"{what} party")
    if len({h.party_id for h in holdings}) != len(holdings):
        fail("land.bad_holdings", f"{what}: a party is listed twice")


def party_list_shape(party_ids: list[str], high: int, what: str) -> None:
    if not 1 <= len(party_ids) <= high:
        fail("land.bad_holdings", f"{what}: {len(party_ids)} listed, 1..{high} allowed")
    identifiers(party_ids, what)
    if len(set(party_ids)) != len(party_ids):
        fail("land.bad_holdings", f"{what}: a party is listed twice")


def time_ms(value: int, what: str) -> None:
    if not 0 <= value <= MAX_TIME_MS:
        fail("land.bad_time", f"{what} {value} must be a block time in milliseconds, 0..{MAX_TIME_MS}")


def amount(value: int, what: str) -> None:
    if not 0 < value <= MAX_AMOUNT_CENTS:
        fail("land.bad_amount", f"{what} {value} must be 1..{MAX_AMOUNT_CENTS} cents")


def currency(value: str) -> None:
    if not shape.is_currency(value):
        fail("land.bad_currency", f"currency {value!r} must be an ISO 4217 code such as EUR or GEL")


def source(s: Source) -> None:
    one_of(s.kind, SOURCE_KINDS, "source kind")
    if len(s.sha256) != 32:
        fail("land.bad_source", "a source's sha256 must be 32 bytes")
    if s.attest_digest and len(s.attest_digest) != 32:
        fail("land.bad_source", "a source's attest_digest must be empty or 32 bytes")


def sources_shape(op: str, sources: list[Source]) -> None:
    if len(sources) > MAX_SOURCES:
        fail("land.too_many", f"at most {MAX_SOURCES} sources")
    for s in sources:
        source(s)
    accepted = SOURCES_ACCEPTED.get(op, ())
    if accepted and not any(s.kind in accepted for s in sources):
        fail("land.source_required", f"{op} needs a source of kind {' or '.join(accepted)}")


def sources_attested(view: AppView, sources: list[Source]) -> None:
    for s in sources:
        if s.attest_digest and not store.source_attested(view, s):
            fail(
                "land.source_not_attested",
                f"attest digest {s.attest_digest.hex()} is not recorded or revoked",
            )


def sources_ok(view: AppView, op: str, sources: list[Source]) -> None:
    sources_shape(op, sources)
    sources_attested(view, sources)


# --- parcel state ------------------------------------------------------------------------------------


def not_blocked(
    view: AppView, op: str, title: TitleVersion, now_ms: int, *, except_notice: PriorityNotice | None = None
) -> None:
    """Refuse `op` if the parcel's state blocks it (see BLOCKED_BY). `except_notice` is the notice the
    operation itself consumes (the matching transfer)."""
    for blocker in BLOCKED_BY[op]:
        if blocker == "caveat":
            caveats = [e.rrr_id for e in title.encumbrances if e.kind == "caveat"]
            if caveats:
                fail("land.caveat", f"parcel {title.parcel_id!r} is frozen by caveat {caveats[0]!r}")
        elif blocker == "mortgage":
            mortgages = [e.rrr_id for e in title.encumbrances if e.kind == "mortgage"]
            if mortgages:
                fail("land.mortgaged", f"parcel {title.parcel_id!r} has unreleased mortgage {mortgages[0]!r}")
        elif blocker == "notice":
            n = store.live_notice(view, title, now_ms)
            if n is not None and n != except_notice:
                fail(
                    "land.priority_notice",
                    f"parcel {title.parcel_id!r} is reserved by priority notice {n.notice_id!r} "
                    f"until {n.expires_ms}",
                )


def current_owner_ids(title: TitleVersion) -> list[str]:
    return [h.party_id for h in title.owners]


def owners_are(title: TitleVersion, party_ids: Iterable[str]) -> None:
    owners = set(current_owner_ids(title))
    for p in party_ids:
        if p not in owners:
            fail("land.not_current_owner", f"party {p!r} holds no share of parcel {title.parcel_id!r}")


def parties_exist(view: AppView, party_ids: Iterable[str]) -> list[Party]:
    return [store.load_party(view, p) for p in party_ids]


def new_parcel_id(view: AppView, parcel_id: str) -> None:
    if store.get_parcel(view, parcel_id) is not None:
        fail("land.parcel_exists", f"parcel {parcel_id!r} exists (ids are never reused)")


def rrr_id_free(view: AppView, parcel_id: str, rrr_id: str) -> None:
    if store.get_rrr(view, parcel_id, rrr_id) is not None:
        fail("land.rrr_exists", f"parcel {parcel_id!r} already has a right or restriction {rrr_id!r}")


# --- who signs ---------------------------------------------------------------------------------------

IMPOSSIBLE: Requirement = Threshold(k=1, of=[])


def party_requirement(view: AppView, party: Party) -> Requirement:
    """A person or organisation: `threshold` of its keys. A group: every member (never nested groups)."""
    if party.kind != GROUP:
        return Threshold(k=party.threshold, of=[SignedBy(k) for k in party.key_ids])
    members = [store.get_party(view, m.party_id) for m in party.members]
    if not members or any(m is None or m.kind == GROUP for m in members):
        return IMPOSSIBLE  # registration forbids it; never let a broken group sign as nobody
    return AllOf(of=[party_requirement(view, m) for m in members if m is not None])


def parties_requirement(view: AppView, party_ids: Iterable[str]) -> Requirement:
    """Every listed party that exists; unknown ones add nothing here and are refused by the check.

    Ids are validated first: a malformed id never reaches a state key.
    """
    out: list[Requirement] = []
    for pid in dict.fromkeys(party_ids):
        identifier(pid, "party")
        p = store.get_party(view, pid)
        if p is not None:
            out.append(party_requirement(view, p))
    return AllOf(of=out) if out else NOBODY_ELSE


def owners_requirement(view: AppView, parcel_id: str, extra: Iterable[str] = ()) -> Requirement:
    """Every current owner of the parcel (if it exists and is active), plus the `extra` parties."""
    identifier(parcel_id, "parcel_id")
    t = store.get_title(view, parcel_id)
    owners = current_owner_ids(t) if t is not None else []
    return parties_requirement(view, [*owners, *extra])
