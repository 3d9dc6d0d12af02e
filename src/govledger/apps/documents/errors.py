"""Every error the documents app raises: a stable code `documents.<reason>` and what it means.

The table is the contract (docs/apps/documents.md lists the same words); `fail` refuses codes that
are not in it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape of a body
    "documents.bad_name": "a store or registry name is not 1-64 characters of [A-Za-z0-9._:-]",
    "documents.bad_hash": "a merkleRoot, targetHash or token id is not 32 bytes",
    "documents.bad_address": "a store or registry address is not 20 bytes",
    "documents.bad_key": "a key id (owner, holder, beneficiary, nominee) is not 20 bytes",
    "documents.bad_reason": "a revocation reason is not 1-32 characters of [a-z0-9_]",
    "documents.too_many": "a list exceeds its bound (roots per issue, hashes per revocation)",
    "documents.duplicate": "a list names the same hash twice",
    # document stores
    "documents.store_exists": "a document store with that name (and so that address) already exists",
    "documents.unknown_store": "no document store has that address",
    "documents.already_issued": "the merkleRoot is already issued by this store",
    "documents.not_issued": "the merkleRoot was never issued by this store",
    "documents.already_revoked": "the hash is already revoked in this store",
    "documents.same_owner": "the new owner is the current owner",
    # token registries (transferable records)
    "documents.registry_exists": "a token registry with that name (and so that address) already exists",
    "documents.unknown_registry": "no token registry has that address",
    "documents.token_exists": "the token id was minted before (ids are never reused, even after burning)",
    "documents.unknown_token": "the registry has no token with that id",
    "documents.token_not_active": "the record is surrendered or burned: only the registry may act on it",
    "documents.not_surrendered": "the record is not surrendered, so there is nothing to accept or reject",
    "documents.same_party": "the new holder, beneficiary or nominee is the current one",
    "documents.not_nominated": "the holder may only endorse the beneficiary's nominee as new beneficiary",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
