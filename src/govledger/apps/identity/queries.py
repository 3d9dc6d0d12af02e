"""Identity queries, and the ledger as a source for verifiers (DIDs, trust, status).

Every query reads key by key, so the node proves each key it touched against a signed header: a
DID document, an accreditation or a status value read here is as trustworthy as the ledger.

`LedgerDids`, `LedgerTrust` and `LedgerStatus` adapt a state view to the verifier interfaces of
`govledger.identity` (`did.LedgerMethod`, `TrustRegistry`, `TokenStatusSource`, `BitstringSource`).
Over a node's committed state they serve the API; over a view rebuilt from proved query answers
they serve an offline verifier the same way.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.identity import store
from govledger.apps.identity.model import (
    Accreditation,
    AccreditationRef,
    ByDid,
    ByDidId,
    ByListId,
    DidAt,
    DidRecord,
    ListValues,
    StatusAnswer,
    StatusAt,
    StatusList,
    SubjectIndices,
    SubjectRef,
    TrustAnswer,
    TrustedAt,
)
from govledger.apps.identity.ops_did import valid_id
from govledger.apps.identity.ops_trust import trusted as _trusted
from govledger.codec import decode_trusted
from govledger.crypto.signatures import PublicKey
from govledger.identity import did as didlib
from govledger.identity.errors import fail
from govledger.identity.status_list import StatusBits, bitstring_get, to_w3c
from govledger.ledger.app import AppView, Query

NAME = "identity"
MAX_HISTORY = 200


# --- DID documents ------------------------------------------------------------------------------------


def _ed25519(pk: PublicKey) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PublicKey.from_public_bytes(bytes(pk.key))


def did_document(rec: DidRecord) -> dict[str, Any]:
    """The W3C DID document of a ledger DID record (Multikey verification methods)."""
    doc: dict[str, Any] = {"@context": [didlib.DID_CONTEXT, didlib.MULTIKEY_CONTEXT], "id": rec.did}
    vms = []
    rels: dict[str, list[str]] = {p: [] for p in didlib.PURPOSES}
    for k in rec.keys:
        vm_id = f"{rec.did}#{k.fragment}"
        vms.append(
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": rec.did,
                "publicKeyMultibase": didlib.multikey_encode(_ed25519(k.public_key)),
            }
        )
        for p in k.purposes:
            rels[p].append(vm_id)
    doc["verificationMethod"] = vms
    doc.update({p: ids for p, ids in rels.items() if ids})
    if rec.services:
        doc["service"] = [
            {"id": f"{rec.did}#{s.fragment}", "type": s.type, "serviceEndpoint": s.endpoint}
            for s in rec.services
        ]
    return doc


def document_metadata(rec: DidRecord) -> dict[str, Any]:
    return {
        "versionId": str(rec.version),
        "created_ms": rec.created_ms,
        "updated_ms": rec.time_ms,
        "height": rec.height,
        "deactivated": rec.deactivated,
    }


def _split_did(did: str) -> tuple[str, str] | None:
    parts = did.split(":")
    if len(parts) != 4 or parts[:2] != ["did", "govledger"] or not valid_id(parts[3]):
        return None
    return parts[2], parts[3]


class LedgerDids:
    """did:govledger lookups over a state view (for `did.LedgerMethod`)."""

    def __init__(self, view: AppView) -> None:
        self._view = view.other(NAME)

    def __call__(self, did: str) -> didlib.DidDocument | None:
        split = _split_did(did)
        rec = store.get_did(self._view, split[1]) if split else None
        if rec is None or rec.did != did:
            return None
        return didlib.DidDocument(did, did_document(rec), rec.deactivated, document_metadata(rec))


def ledger_method(view: AppView, chain_id: str) -> didlib.LedgerMethod:
    return didlib.LedgerMethod(LedgerDids(view), chain_id)


# --- trust and status as verifier sources -------------------------------------------------------------


class LedgerTrust:
    """The trusted-issuer registry as `TrustRegistry` (times in seconds, as JWTs carry them)."""

    def __init__(self, view: AppView) -> None:
        self._view = view.other(NAME)

    def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool:
        return _trusted(store.get_accreditation(self._view, issuer, credential_type), at_s * 1000)


W3C_SUFFIX = {"revocation": "/revocation", "suspension": "/suspension"}


def list_id_of_uri(uri: str) -> str:
    """Convention: a list's URI ends with its id (`https://issuer.example/identity/status/<id>`)."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


class LedgerStatus:
    """Status values read straight from ledger state (no published token needed)."""

    def __init__(self, view: AppView) -> None:
        self._view = view.other(NAME)

    def _list(self, uri: str, issuer: str) -> StatusList:
        list_id = list_id_of_uri(uri)
        lst = store.get_list(self._view, list_id) if valid_id(list_id) else None
        if lst is None or lst.uri != uri:
            fail("vc.status_unavailable", f"no ledger status list at {uri[:120]}")
        if lst.issuer_did != issuer:
            fail("vc.status_unavailable", "the status list belongs to another issuer")
        return lst

    def token_status(self, uri: str, index: int, issuer: str) -> int:
        lst = self._list(uri, issuer)
        if not 0 <= index < lst.size or not store.is_allocated(self._view, lst.list_id, index):
            fail("vc.status_unavailable", f"index {index} is not an allocated entry")
        return store.status_value(self._view, lst, index)

    def bitstring_status(self, list_credential: str, purpose: str, index: int, issuer: str) -> int:
        suffix = W3C_SUFFIX.get(purpose)
        if suffix is None or not list_credential.endswith(suffix):
            fail("vc.status_unavailable", f"unsupported status purpose {purpose[:40]!r}")
        value = self.token_status(list_credential[: -len(suffix)], index, issuer)
        return int(value == {"revocation": 1, "suspension": 2}[purpose])


def w3c_bitstring(values: ListValues, purpose: str) -> bytes:
    wanted = {"revocation": 1, "suspension": 2}[purpose]
    return to_w3c(StatusBits(values.list.bits, values.data), wanted)


# --- queries ------------------------------------------------------------------------------------------


def did(view: AppView, p: ByDidId) -> DidRecord | None:
    return store.get_did(view, p.did_id) if valid_id(p.did_id) else None


def did_version(view: AppView, p: DidAt) -> DidRecord | None:
    return store.get_did_version(view, p.did_id, p.version) if valid_id(p.did_id) and p.version > 0 else None


def did_history(view: AppView, p: ByDidId) -> list[DidRecord]:
    """Every version, oldest first (the first MAX_HISTORY)."""
    if not valid_id(p.did_id):
        return []
    rows = view.scan(store.did_version_prefix(p.did_id), limit=MAX_HISTORY)
    return [decode_trusted(v, DidRecord) for _, v in rows]


def resolve(view: AppView, p: ByDid) -> dict[str, Any] | None:
    """DID resolution: {didDocument, didDocumentMetadata} of a did:govledger DID, or None."""
    split = _split_did(p.did)
    rec = store.get_did(view, split[1]) if split else None
    if rec is None or rec.did != p.did:
        return None
    return {"didDocument": did_document(rec), "didDocumentMetadata": document_metadata(rec)}


def accreditation(view: AppView, p: AccreditationRef) -> Accreditation | None:
    return store.get_accreditation(view, p.issuer_did, p.credential_type)


def accreditations_of(view: AppView, p: ByDid) -> list[Accreditation]:
    return [
        decode_trusted(v, Accreditation) for _, v in view.scan(store.trust_prefix(p.did), limit=MAX_HISTORY)
    ]


def accreditation_history(view: AppView, p: AccreditationRef) -> list[Accreditation]:
    prefix = store.trust_version_prefix(p.issuer_did, p.credential_type)
    return [decode_trusted(v, Accreditation) for _, v in view.scan(prefix, limit=MAX_HISTORY)]


def trusted(view: AppView, p: TrustedAt) -> TrustAnswer:
    a = store.get_accreditation(view, p.issuer_did, p.credential_type)
    return TrustAnswer(_trusted(a, p.at_ms), a)


def status_list(view: AppView, p: ByListId) -> StatusList | None:
    return store.get_list(view, p.list_id) if valid_id(p.list_id) else None


def status(view: AppView, p: StatusAt) -> StatusAnswer | None:
    lst = status_list(view, ByListId(p.list_id))
    if lst is None or not 0 <= p.index < lst.size:
        return None
    allocated = store.is_allocated(view, lst.list_id, p.index)
    return StatusAnswer(lst.list_id, p.index, allocated, store.status_value(view, lst, p.index), lst.version)


def status_values(view: AppView, p: ByListId) -> ListValues | None:
    lst = status_list(view, p)
    return None if lst is None else ListValues(lst, store.list_values(view, lst))


def subject_indices(view: AppView, p: SubjectRef) -> SubjectIndices | None:
    return store.get_binding(view, p.list_id, p.subject_ref) if valid_id(p.list_id) else None


def bitstring_bit(values: ListValues, purpose: str, index: int) -> int:
    return bitstring_get(w3c_bitstring(values, purpose), index)


QUERIES: dict[str, Query[Any]] = {
    "did": Query(ByDidId, did, "The current record of a ledger DID (keys, services, threshold)."),
    "did_version": Query(DidAt, did_version, "One version of a ledger DID."),
    "did_history": Query(ByDidId, did_history, "Every version of a ledger DID, oldest first."),
    "resolve": Query(ByDid, resolve, "DID resolution: the DID document and its metadata."),
    "accreditation": Query(AccreditationRef, accreditation, "An issuer's accreditation for a type."),
    "accreditations_of": Query(ByDid, accreditations_of, "Every type an issuer DID is accredited for."),
    "accreditation_history": Query(
        AccreditationRef, accreditation_history, "Every version of an accreditation."
    ),
    "trusted": Query(TrustedAt, trusted, "Whether an issuer may issue a type at a time (ms)."),
    "status_list": Query(ByListId, status_list, "A status list's record."),
    "status": Query(StatusAt, status, "One status entry: allocated, value, list version."),
    "status_values": Query(
        ByListId, status_values, "A list's packed values (IETF layout), every chunk proved."
    ),
    "subject_indices": Query(SubjectRef, subject_indices, "Entries bound to a registry record's handle."),
}
