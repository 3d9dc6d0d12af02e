"""Every error the privacy app raises: a stable code `privacy.<reason>` and what it means.

The table is the contract (docs/privacy.md lists the same words); `fail` refuses codes that are not in
it, so a new rule cannot ship without its documented code.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    "privacy.bad_identifier": "a registry, record id, role or purpose is not a short identifier",
    "privacy.bad_digest": "a pseudonym, commitment, request id or document digest is not 32 bytes",
    "privacy.bad_text": "a reason or note is empty where required or longer than its bound",
    "privacy.bad_purposes": "a purpose list is too long or names a purpose twice",
    "privacy.bad_legal_basis": "the legal basis is not one of GDPR Art. 17(1)(a)-(f)",
    "privacy.registry_mismatch": "the subject's pseudonym belongs to another registry",
    "privacy.already_registered": "the subject already has a data record with that id",
    "privacy.commitment_exists": "that commitment is already registered (salts make commitments unique)",
    "privacy.unknown_subject": "no data is registered for that pseudonym",
    "privacy.unknown_record": "the subject has no data record with that id",
    "privacy.unknown_version": "the data record has no such version",
    "privacy.unchanged": "the rectified commitment equals the current one",
    "privacy.too_many_versions": "the data record reached its bound on versions",
    "privacy.subject_erased": "the subject's data was erased; nothing more can be registered or read",
    "privacy.already_erased": "an erasure is already recorded for that subject",
    "privacy.request_exists": "an access-log entry with that request id already exists for the subject",
    "privacy.not_a_member": "the requesting key is not an active key of a governance member",
    "privacy.purpose_not_allowed": "none of the requester's roles is allowed to read for that purpose",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
