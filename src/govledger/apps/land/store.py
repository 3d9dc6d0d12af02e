"""The land app's key space, and the only module that reads or writes it.

Key space (app-relative; ids never contain '/', so prefixes cannot collide):

    party/<party>                          -> Party
    party/<party>/parcel/<parcel>          -> Share           index: what a party holds
    key/<key id>                           -> party id         a key is bound to at most one party
    parcel/<parcel>                        -> Parcel
    title/<parcel>                         -> TitleVersion    the current version (the current pointer)
    title/<parcel>/<version, 10 digits>    -> TitleVersion    every version, never deleted
    rrr/<parcel>/<rrr id>                  -> RRR             kept after it ends, with its status
    notice/<parcel>                        -> PriorityNotice  the active one (at most one per parcel)
    building/<building>                    -> Building
    expiry/<time ms, 16 digits>/<kind>/<parcel>/<id> -> b""  what end_block expires, in time order

Rules kept here, so that no operation can forget them:
- every change to a parcel's register writes a new `TitleVersion` at `title/<p>/<v+1>` and the same
  record at `title/<p>`; a version, once written, is never rewritten;
- the party index and each party's `parcels_held` follow every change of a title's owners;
- queries read keys one by one (each gets a proof); only the party index and end_block scan.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from govledger.apps.attest.app import NAME as ATTEST
from govledger.apps.attest.app import Attestation
from govledger.apps.common.keys import bind_keys as bind_keys
from govledger.apps.common.keys import bound_elsewhere as bound_elsewhere
from govledger.apps.common.keys import party_key as party_key
from govledger.apps.common.keys import party_of_key as party_of_key
from govledger.apps.common.versions import write_version
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    ACTIVE,
    RETIRED,
    RRR,
    Building,
    EncumbranceRef,
    Entry,
    Holding,
    Parcel,
    Party,
    PriorityNotice,
    Source,
    Terms,
    TitleVersion,
)
from govledger.ledger.app import AppState, AppView, TxContext


def holding_key(party_id: str, parcel_id: str) -> bytes:
    return b"party/" + party_id.encode() + b"/parcel/" + parcel_id.encode()


def holdings_prefix(party_id: str) -> bytes:
    return b"party/" + party_id.encode() + b"/parcel/"


def parcel_key(parcel_id: str) -> bytes:
    return b"parcel/" + parcel_id.encode()


def title_key(parcel_id: str) -> bytes:
    return b"title/" + parcel_id.encode()


def version_key(parcel_id: str, version: int) -> bytes:
    return b"title/" + parcel_id.encode() + b"/" + f"{version:010d}".encode()


def rrr_key(parcel_id: str, rrr_id: str) -> bytes:
    return b"rrr/" + parcel_id.encode() + b"/" + rrr_id.encode()


def notice_key(parcel_id: str) -> bytes:
    return b"notice/" + parcel_id.encode()


def building_key(building_id: str) -> bytes:
    return b"building/" + building_id.encode()


EXPIRY_PREFIX = b"expiry/"


def expiry_key(time_ms: int, kind: str, parcel_id: str, item_id: str) -> bytes:
    return EXPIRY_PREFIX + f"{time_ms:016d}/{kind}/{parcel_id}/{item_id}".encode()


def parse_expiry_key(key: bytes) -> tuple[int, str, str, str]:
    time_ms, kind, parcel_id, item_id = key[len(EXPIRY_PREFIX) :].decode().split("/")
    return int(time_ms), kind, parcel_id, item_id


def kind_of(terms: Terms) -> str:
    tag = type(terms).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


# --- reads ----------------------------------------------------------------------------------------------


def get_party(view: AppView, party_id: str) -> Party | None:
    return view.get_as(party_key(party_id), Party)


def load_party(view: AppView, party_id: str) -> Party:
    p = get_party(view, party_id)
    if p is None:
        fail("land.unknown_party", f"no party {party_id!r} is registered")
    return p


def get_parcel(view: AppView, parcel_id: str) -> Parcel | None:
    return view.get_as(parcel_key(parcel_id), Parcel)


def load_parcel(view: AppView, parcel_id: str) -> Parcel:
    p = get_parcel(view, parcel_id)
    if p is None:
        fail("land.unknown_parcel", f"no parcel {parcel_id!r} is registered")
    return p


def get_title(view: AppView, parcel_id: str) -> TitleVersion | None:
    return view.get_as(title_key(parcel_id), TitleVersion)


def load_title(view: AppView, parcel_id: str) -> TitleVersion:
    """The current title of an existing, active parcel."""
    t = get_title(view, parcel_id)
    if t is None:
        fail("land.unknown_parcel", f"no parcel {parcel_id!r} is registered")
    if t.status == RETIRED:
        fail("land.parcel_retired", f"parcel {parcel_id!r} is retired; its successors carry its title")
    return t


def get_rrr(view: AppView, parcel_id: str, rrr_id: str) -> RRR | None:
    return view.get_as(rrr_key(parcel_id, rrr_id), RRR)


def load_active_rrr(view: AppView, title: TitleVersion, rrr_id: str, kind: str) -> RRR:
    listed = any(e.rrr_id == rrr_id and e.kind == kind for e in title.encumbrances)
    r = get_rrr(view, title.parcel_id, rrr_id) if listed else None
    if r is None or r.status != ACTIVE:
        fail("land.unknown_rrr", f"parcel {title.parcel_id!r} has no active {kind} {rrr_id!r}")
    return r


def get_notice(view: AppView, parcel_id: str) -> PriorityNotice | None:
    return view.get_as(notice_key(parcel_id), PriorityNotice)


def live_notice(view: AppView, title: TitleVersion, now_ms: int) -> PriorityNotice | None:
    """The parcel's priority notice if one is in force at `now_ms` (expiry is by time, not by cleanup)."""
    if not title.notice:
        return None
    n = get_notice(view, title.parcel_id)
    return n if n is not None and now_ms < n.expires_ms else None


def get_building(view: AppView, building_id: str) -> Building | None:
    return view.get_as(building_key(building_id), Building)


def source_attested(view: AppView, s: Source) -> bool:
    a = view.other(ATTEST).get_as(b"doc/" + s.attest_digest, Attestation)
    return a is not None and a.revoked_height == 0


# --- writes ---------------------------------------------------------------------------------------------


def tx_entry(ctx: TxContext, op: str, refs: Iterable[str], sources: list[Source]) -> Entry:
    return Entry(
        op=op,
        refs=list(refs),
        sources=sources,
        signer_ids=sorted(ctx.signer_ids),
        tx_id=ctx.tx_id,
        height=ctx.height,
        time_ms=ctx.time_ms,
    )


def block_entry(op: str, refs: Iterable[str], height: int, time_ms: int) -> Entry:
    """An entry written by end_block: nobody signed, block time decided."""
    return Entry(op=op, refs=list(refs), sources=[], signer_ids=[], tx_id=b"", height=height, time_ms=time_ms)


def put_party(state: AppState, p: Party) -> None:
    state.put(party_key(p.party_id), p)


def put_parcel(state: AppState, p: Parcel) -> None:
    state.put(parcel_key(p.parcel_id), p)


def put_rrr(state: AppState, r: RRR) -> None:
    state.put(rrr_key(r.parcel_id, r.rrr_id), r)


def put_building(state: AppState, b: Building) -> None:
    state.put(building_key(b.building_id), b)


def first_title(
    state: AppState,
    parcel_id: str,
    owners: list[Holding],
    encumbrances: list[EncumbranceRef],
    buildings: list[str],
    entry: Entry,
) -> TitleVersion:
    t = TitleVersion(
        parcel_id=parcel_id,
        version=1,
        status=ACTIVE,
        owners=owners,
        encumbrances=sorted(encumbrances, key=lambda e: e.rrr_id),
        buildings=sorted(buildings),
        notice="",
        entry=entry,
    )
    _write_version(state, t)
    _reindex(state, parcel_id, [], owners)
    return t


def next_title(
    state: AppState,
    prev: TitleVersion,
    entry: Entry,
    *,
    status: str | None = None,
    owners: list[Holding] | None = None,
    encumbrances: list[EncumbranceRef] | None = None,
    buildings: list[str] | None = None,
    notice: str | None = None,
) -> TitleVersion:
    """Write version `prev.version + 1` with the given changes; everything else carries over."""
    t = TitleVersion(
        parcel_id=prev.parcel_id,
        version=prev.version + 1,
        status=prev.status if status is None else status,
        owners=prev.owners if owners is None else owners,
        encumbrances=prev.encumbrances
        if encumbrances is None
        else sorted(encumbrances, key=lambda e: e.rrr_id),
        buildings=prev.buildings if buildings is None else sorted(buildings),
        notice=prev.notice if notice is None else notice,
        entry=entry,
    )
    _write_version(state, t)
    _reindex(state, prev.parcel_id, prev.owners, t.owners)
    return t


def end_rrr(state: AppState, title: TitleVersion, rrr: RRR, status: str, entry: Entry) -> TitleVersion:
    """Mark `rrr` ended with `status` and write the title version that no longer lists it."""
    put_rrr(state, msgspec.structs.replace(rrr, status=status, ended_height=entry.height))
    refs = [e for e in title.encumbrances if e.rrr_id != rrr.rrr_id]
    return next_title(state, title, entry, encumbrances=refs)


def _write_version(state: AppState, t: TitleVersion) -> None:
    write_version(state, version_key(t.parcel_id, t.version), title_key(t.parcel_id), t, "title")


def _reindex(state: AppState, parcel_id: str, old: list[Holding], new: list[Holding]) -> None:
    before = {h.party_id: h.share for h in old}
    after = {h.party_id: h.share for h in new}
    for party_id in sorted(before.keys() - after.keys()):
        state.delete(holding_key(party_id, parcel_id))
        _count(state, party_id, -1)
    for party_id, share in sorted(after.items()):
        if before.get(party_id) != share:
            state.put(holding_key(party_id, parcel_id), share)
        if party_id not in before:
            _count(state, party_id, +1)


def _count(state: AppState, party_id: str, delta: int) -> None:
    p = load_party(state, party_id)
    assert p.parcels_held + delta >= 0, "a party's parcel count went negative"
    put_party(state, msgspec.structs.replace(p, parcels_held=p.parcels_held + delta))
