"""Every error the vault raises: a stable code `vault.<reason>` and what it means.

Callers (an API route, a CLI command, a credential issuer) branch on the code, never on the message.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import GovledgerError

CODES: dict[str, str] = {
    # opening the vault
    "vault.key_file": "the master key file is missing, not 32 bytes, or readable by group/others",
    "vault.wrong_master_key": "the master key (file or passphrase) is not the one this vault was made with",
    "vault.bad_passphrase": "a passphrase vault needs a non-empty passphrase",
    "vault.locked": "another process has this vault open",
    "vault.corrupt": "a stored structure does not decode or breaks an invariant",
    # inputs
    "vault.bad_fields": "record fields are not 1-64 fields of identifier -> text within the size bounds",
    "vault.bad_identifier": "a registry or record id is not a short identifier",
    "vault.bad_pseudonym": "a pseudonym is not 32 bytes",
    # records
    "vault.unknown_subject": "the vault holds no data for that pseudonym",
    "vault.unknown_record": "the subject has no record with that id (or no such version)",
    "vault.record_exists": "the subject already has a record with that id (rectify it instead)",
    "vault.version_purged": "the version was superseded and removed after its audit period",
    "vault.erased": "the subject's data key was destroyed (GDPR Art. 17): no version can be read",
    "vault.integrity": "a ciphertext, its binding (subject, record, version) or a wrapped key was altered",
    "vault.commitment_mismatch": "the decrypted record does not open the commitment the ledger holds",
    # authorisation against the ledger
    "vault.bad_signature": "the read request is not signed by the requester's key",
    "vault.not_logged": "no committed access-log entry matches the request: the read is refused",
    "vault.grant_mismatch": "the committed entry names another requester, record, version or purpose",
    "vault.grant_expired": "the committed entry is older than the read window (in blocks)",
    "vault.grant_used": "the committed entry was already used for a read (one read per entry)",
    "vault.not_authorised": "the requester's key or roles no longer allow the purpose at the ledger tip",
    "vault.erasure_not_recorded": "no committed erasure record for the subject: the vault will not shred",
}


class VaultError(GovledgerError):
    """A vault operation refused; nothing was changed."""


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise VaultError(code, message)
