"""The kinds of certificate a citizen can ask for, and where each one's data comes from.

A kind names the registry app, its `certificate` query (the app's `certificate_data(view, id)` hook,
a pure function of proved state), the query's parameter, the record type that becomes the document's
`recordType` and the SD-JWT VC's `vct`, and the registry issuer that signs it. The civil-register
kinds (`birth`, `death`, `marriage`, `divorce`) read the same vital record and insist on its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govledger.apps.company.queries import certificate_data as company_certificate
from govledger.apps.land.queries import certificate_data as land_certificate
from govledger.apps.vital.queries import certificate_data as vital_certificate
from govledger.errors import GovledgerError
from govledger.identity.certificates import vct_for
from govledger.ledger.app import AppView


@dataclass(frozen=True)
class Kind:
    name: str
    app: str
    param: str  # the certificate query's parameter
    record_type: str
    registry: str  # key of issuers.REGISTRIES
    title: str
    data: Callable[[AppView, str], Any]
    vital_kind: str = ""  # for civil-register kinds: the record's `kind`

    @property
    def vct(self) -> str:
        return vct_for(self.record_type)

    def params(self, record_id: str) -> dict[str, str]:
        return {self.param: record_id}

    def read(self, view: AppView, record_id: str) -> Any:
        """The record, or None when there is none (or it is a vital record of another kind)."""
        record = self.data(view, record_id)
        if record is not None and self.vital_kind and record.kind != self.vital_kind:
            return None
        return record


def _vital(name: str, title: str) -> Kind:
    return Kind(name, "vital", "id", "vital.Certificate", "vital", title, vital_certificate, vital_kind=name)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "land",
            "land",
            "parcel_id",
            "land.TitleCertificate",
            "land",
            "Certified copy of the land register",
            land_certificate,
        ),
        Kind(
            "company",
            "company",
            "company_id",
            "company.CompanyCertificate",
            "company",
            "Certificate of good standing",
            company_certificate,
        ),
        _vital("birth", "Birth certificate"),
        _vital("death", "Death certificate"),
        _vital("marriage", "Marriage certificate"),
        _vital("divorce", "Divorce certificate"),
    )
}

# Apps whose committed events can make an issued certificate stale (subject = the record id).
WATCHED_APPS = frozenset(k.app for k in KINDS.values())


def kind_of(name: str) -> Kind:
    k = KINDS.get(name)
    if k is None:
        raise GovledgerError(
            "certificates.unknown_kind", f"kind must be one of {', '.join(KINDS)}, not {name[:40]!r}"
        )
    return k


def kinds_of_app(app: str) -> list[Kind]:
    return [k for k in KINDS.values() if k.app == app]
