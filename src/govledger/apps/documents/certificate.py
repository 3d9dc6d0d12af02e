"""The certificate hook: any registry record (a land title, a company extract, a birth record) as an
OpenAttestation document, ready to wrap, issue on a ledger document store and hand to its holder.

Registries expose `certificate_data(view, id) -> Record | None` (land does; company and vital follow
the same shape). `certificate_document` turns such a Record, generically over any msgspec Struct,
into a raw OpenAttestation v2 document:

    {"$template": {"name": <record type>, "type": "EMBEDDED_RENDERER", "url": <renderer>},
     "issuers": [<the issuer: name, documentStore or tokenRegistry or DID, identity proof>],
     "id": <document id>, "recordType": "land.TitleCertificate", "record": {<the record's fields>},
     "ledger": {"chainId": ..., "height": ..., "app": ...}}

JSON mapping of the record (what JavaScript reads back unchanged): bytes become `0x` lower-case hex
(key ids, digests, commitments); integers beyond 2^53 become decimal strings (JavaScript numbers
would round them, and so would the number salting); tuples become arrays; struct field names are
kept. Floats never occur in wire types and are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from govledger.documents.errors import fail
from govledger.documents.js import MAX_SAFE_INTEGER
from govledger.ledger.app import AppView

RENDERER_URL_DEFAULT = "https://renderer.govledger.example/"


@dataclass(frozen=True)
class IssuerSpec:
    """Who issues: exactly one of `document_store`, `token_registry` (0x addresses of ledger stores)
    with a DNS-TXT `dns_location`, or a DID issuer (`did`, `did_key`) with optional DNS-DID location
    and ledger revocation store."""

    name: str
    document_store: str = ""
    token_registry: str = ""
    dns_location: str = ""
    did: str = ""
    did_key: str = ""
    revocation_store: str = ""

    def entry(self) -> dict[str, Any]:
        if self.did:
            revocation: dict[str, str] = (
                {"type": "REVOCATION_STORE", "location": self.revocation_store}
                if self.revocation_store
                else {"type": "NONE"}
            )
            proof = {"type": "DNS-DID", "key": self.did_key, "location": self.dns_location}
            if not self.dns_location:
                proof = {"type": "DID", "key": self.did_key}
            return {"id": self.did, "name": self.name, "revocation": revocation, "identityProof": proof}
        stores = [
            (k, v)
            for k, v in (("documentStore", self.document_store), ("tokenRegistry", self.token_registry))
            if v
        ]
        if len(stores) != 1 or not self.dns_location:
            fail("documents.bad_issuer", "an issuer has one store or registry and a DNS location, or a DID")
        return {
            "name": self.name,
            stores[0][0]: stores[0][1],
            "identityProof": {"type": "DNS-TXT", "location": self.dns_location},
        }


def record_json(record: Any) -> Any:
    """The JSON form of a wire record for a document (see the module docstring)."""
    return _jsonable(msgspec.to_builtins(record, builtin_types=(bytes,), str_keys=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        fail("documents.bad_value", "records carry no floats")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    fail("documents.bad_value", f"cannot put a {type(value).__name__} in a document")


def certificate_document(
    record: Any,
    *,
    issuer: IssuerSpec,
    record_type: str,
    document_id: str,
    renderer_url: str = RENDERER_URL_DEFAULT,
    ledger: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A raw OpenAttestation v2 document carrying `record` (any msgspec Struct)."""
    doc: dict[str, Any] = {
        "$template": {"name": record_type, "type": "EMBEDDED_RENDERER", "url": renderer_url},
        "issuers": [issuer.entry()],
        "id": document_id,
        "recordType": record_type,
        "record": record_json(record),
    }
    if ledger:
        doc["ledger"] = _jsonable(dict(ledger))
    return doc


CertificateData = Callable[[AppView, str], Any]


def certificate_hook(
    certificate_data: CertificateData, record_type: str
) -> Callable[..., dict[str, Any] | None]:
    """Wrap a registry's `certificate_data(view, id)` into a function producing raw documents:
    `hook(view, id, issuer=..., ledger=...) -> dict | None` (None when the registry has no such id)."""

    def hook(view: AppView, item_id: str, *, issuer: IssuerSpec, **kwargs: Any) -> dict[str, Any] | None:
        record = certificate_data(view, item_id)
        if record is None:
            return None
        return certificate_document(
            record, issuer=issuer, record_type=record_type, document_id=f"{record_type}:{item_id}", **kwargs
        )

    return hook
