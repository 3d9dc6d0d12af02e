"""Every error the identity app raises: a stable code `identity.<reason>` and what it means.

The table is the contract (docs/apps/identity.md lists the same words); `fail` refuses codes that are
not in it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape
    "identity.bad_identifier": "a DID id or list id is not 1-64 of [A-Za-z0-9._-]",
    "identity.bad_text": "a type, URI, note, reason or service field is empty or too long",
    "identity.bad_did": "an issuer DID is not a syntactically valid DID",
    "identity.bad_keys": "DID keys: none, too many, not Ed25519, repeated fragments or keys, bad purposes",
    "identity.no_controller": "a DID needs at least one capabilityInvocation key (its controller)",
    "identity.bad_threshold": "the threshold is not between 1 and the number of controller keys",
    "identity.bad_services": "too many services or duplicate fragments",
    "identity.bad_window": "an accreditation window is empty, or already over at the block time",
    "identity.bad_list": "a status list size or bits is out of range",
    "identity.bad_count": "an allocation count is not 1..256",
    "identity.bad_subject_ref": "a subject reference is neither empty nor 32 bytes",
    "identity.bad_indices": "status indices: none, over 256, duplicates, or outside the list",
    "identity.bad_status": "a status value the list cannot hold",
    # DIDs
    "identity.did_exists": "a DID with that id already exists",
    "identity.unknown_did": "no DID with that id",
    "identity.did_deactivated": "the DID was deactivated; it can no longer change",
    "identity.stale_version": "the update names a version that is no longer the current one",
    "identity.too_many_versions": "the DID reached its bound on versions",
    # trust registry
    "identity.unknown_accreditation": "no accreditation for that issuer and type",
    "identity.already_withdrawn": "the accreditation was already withdrawn",
    # status lists
    "identity.list_exists": "a status list with that id already exists",
    "identity.unknown_list": "no status list with that id",
    "identity.not_list_issuer": "a did:govledger issuer's controllers must sign for its list",
    "identity.list_full": "the list has no room for the allocation (kept below 7/8 full)",
    "identity.not_allocated": "a status index was never allocated",
    "identity.status_final": "a revoked entry cannot change again",
    "identity.subject_full": "a subject reference already names the maximum number of entries",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
