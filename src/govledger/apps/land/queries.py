"""Read-only questions about the register, and the data of a certified copy.

The node proves every key a query reads, so each query reads only what its answer needs, key by key,
and lists are complete by construction: a title lists its RRR ids and building ids, a parcel's
version count is in its current title, and a party's `parcels_held` says how many index entries
exist (the one query that scans, `parcels_of_party`, pages with `start_after` and reports whether its
page ends the list).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from govledger.apps.common.keys import KEY_ID_BYTES
from govledger.apps.common.reads import counted_page, listed, page_limit, valid_ids
from govledger.apps.common.versions import numbered_page
from govledger.apps.land import store
from govledger.apps.land.model import (
    MAX_HISTORY_PAGE,
    MAX_PARTY_PARCELS_PAGE,
    RRR,
    Building,
    BuildingId,
    CertificateOwner,
    HistoryPage,
    KeyId,
    Parcel,
    ParcelId,
    Party,
    PartyId,
    PartyParcel,
    PartyParcels,
    PartyParcelsPage,
    PriorityNotice,
    RRRId,
    Share,
    TitleAt,
    TitleCertificate,
    TitleVersion,
)
from govledger.codec import decode_trusted
from govledger.ledger.app import AppView, Query


def title(view: AppView, p: ParcelId) -> TitleVersion | None:
    return store.get_title(view, p.parcel_id) if valid_ids(p.parcel_id) else None


def parcel(view: AppView, p: ParcelId) -> Parcel | None:
    return store.get_parcel(view, p.parcel_id) if valid_ids(p.parcel_id) else None


def title_at(view: AppView, p: TitleAt) -> TitleVersion | None:
    if not valid_ids(p.parcel_id) or not 1 <= p.version < 10**10:
        return None
    return view.get_as(store.version_key(p.parcel_id, p.version), TitleVersion)


def history(view: AppView, p: HistoryPage) -> list[TitleVersion]:
    """Versions `from_version` .. up to `limit` (at most 100) of them, oldest first."""
    current = title(view, ParcelId(p.parcel_id))
    if current is None:
        return []
    limit = page_limit(p.limit, MAX_HISTORY_PAGE)
    key_of = partial(store.version_key, p.parcel_id)
    return numbered_page(view, key_of, TitleVersion, p.from_version, current.version, limit, "title versions")


def encumbrances(view: AppView, p: ParcelId) -> list[RRR]:
    """The parcel's active rights, restrictions and responsibilities other than ownership."""
    t = title(view, p)
    if t is None:
        return []
    rrr_ids = (ref.rrr_id for ref in t.encumbrances)
    return listed(rrr_ids, partial(store.get_rrr, view, t.parcel_id), "a title lists only existing RRRs")


def rrr(view: AppView, p: RRRId) -> RRR | None:
    if not valid_ids(p.parcel_id, p.rrr_id):
        return None
    return store.get_rrr(view, p.parcel_id, p.rrr_id)


def priority_notice(view: AppView, p: ParcelId) -> PriorityNotice | None:
    """The parcel's notice record; compare `expires_ms` with the answer's block time to see if in force."""
    return store.get_notice(view, p.parcel_id) if valid_ids(p.parcel_id) else None


def party(view: AppView, p: PartyId) -> Party | None:
    return store.get_party(view, p.party_id) if valid_ids(p.party_id) else None


def party_by_key(view: AppView, p: KeyId) -> Party | None:
    party_id = store.party_of_key(view, p.key_id) if len(p.key_id) == KEY_ID_BYTES else None
    return None if party_id is None else store.get_party(view, party_id)


def parcels_of_party(view: AppView, p: PartyParcelsPage) -> PartyParcels | None:
    """Parcels in which the party holds a share, in id order after `start_after`."""
    owner = party(view, PartyId(p.party_id))
    if owner is None:
        return None
    limit = page_limit(p.limit, MAX_PARTY_PARCELS_PAGE)
    prefix = store.holdings_prefix(p.party_id)
    rows, complete = counted_page(view, prefix, p.start_after, limit, owner.parcels_held)
    page = [PartyParcel(parcel_id=pid, share=decode_trusted(v, Share)) for pid, v in rows]
    return PartyParcels(party_id=p.party_id, parcels_held=owner.parcels_held, parcels=page, complete=complete)


def building(view: AppView, p: BuildingId) -> Building | None:
    return store.get_building(view, p.building_id) if valid_ids(p.building_id) else None


def certificate_data(view: AppView, parcel_id: str) -> TitleCertificate | None:
    """What a certified copy of the register shows for `parcel_id` now (a pure function of `view`).

    Owners appear by party id, share and personal-data commitment: whoever issues the certificate as a
    verifiable credential fetches the names from the vault and the holder can prove they match.
    """
    t = title(view, ParcelId(parcel_id))
    spatial = parcel(view, ParcelId(parcel_id))
    if t is None or spatial is None:
        return None
    owners = []
    for h in t.owners:
        who = store.get_party(view, h.party_id)
        assert who is not None, "an owner is always a registered party"
        owners.append(
            CertificateOwner(party_id=h.party_id, kind=who.kind, share=h.share, commitment=who.commitment)
        )
    buildings = listed(
        t.buildings, partial(store.get_building, view), "a title lists only existing buildings"
    )
    return TitleCertificate(
        parcel_id=parcel_id,
        status=t.status,
        title_version=t.version,
        land_use=spatial.land_use,
        area_m2=spatial.area_m2,
        boundary=spatial.boundary,
        owners=owners,
        encumbrances=encumbrances(view, ParcelId(parcel_id)),
        buildings=buildings,
        priority_notice=store.get_notice(view, parcel_id) if t.notice else None,
        last_entry=t.entry,
    )


def _certificate(view: AppView, p: ParcelId) -> TitleCertificate | None:
    return certificate_data(view, p.parcel_id) if valid_ids(p.parcel_id) else None


QUERIES: dict[str, Query[Any]] = {
    "title": Query(ParcelId, title, "The current title of a parcel (owners, encumbrance ids, buildings)."),
    "title_at": Query(TitleAt, title_at, "One version of a parcel's title."),
    "history": Query(HistoryPage, history, "Every version of a parcel's title, oldest first, paged."),
    "parcel": Query(ParcelId, parcel, "The spatial unit: boundary, legal area, land use, lineage."),
    "encumbrances": Query(
        ParcelId, encumbrances, "The parcel's active mortgages, caveats, leases, servitudes."
    ),
    "rrr": Query(RRRId, rrr, "One right/restriction of a parcel, active or ended."),
    "priority_notice": Query(ParcelId, priority_notice, "The parcel's priority notice, if any."),
    "party": Query(PartyId, party, "A party: kind, commitment, key ids, parcel count."),
    "party_by_key": Query(KeyId, party_by_key, "The party a key id is bound to."),
    "parcels_of_party": Query(PartyParcelsPage, parcels_of_party, "Parcels a party holds a share in."),
    "building": Query(BuildingId, building, "A building unit."),
    "certificate": Query(ParcelId, _certificate, "What a certified copy of the title shows."),
}
