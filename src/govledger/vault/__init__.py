"""The personal-data vault: off-ledger, encrypted, one key per data subject, shared by every registry.

The safe default API is `Vault` (store.py) plus the pure helpers below; the ledger half is the
`privacy` app. Design, GDPR mapping and threat model: docs/privacy.md.

    vault = Vault(data_dir / "vault", KeyFile(data_dir / "vault.key"))
    p = vault.pseudonym("vital", national_id)              # what the ledger may see of a person
    sealed = vault.put("vital", p, "birth", {"given_name": "Ama", ...})
    # commit privacy.register_data(sealed.register_body()), then use sealed.commitment in the app
    log = new_access_request(p, "birth", "certificate_issuance")
    # commit privacy.log_access(log) signed by the requester, then:
    record = vault.read(sign_read(requester_key, vault.vault_id, log), storage.snapshot())
    verify_commitment(record.fields, record.salt, sealed.commitment)   # anyone, offline
"""

from govledger.vault.access import (
    GRANT_TTL_BLOCKS,
    CommittedState,
    ReadRequest,
    new_access_request,
    sign_read,
)
from govledger.vault.commitment import commitment, verify_commitment
from govledger.vault.errors import CODES, VaultError
from govledger.vault.masterkey import KeyFile, Passphrase, create_key_file
from govledger.vault.model import ErasureReport, PersonalRecord, Sealed, SubjectStatus
from govledger.vault.store import DEFAULT_AUDIT_PERIOD_MS, Vault

__all__ = [
    "CODES",
    "DEFAULT_AUDIT_PERIOD_MS",
    "GRANT_TTL_BLOCKS",
    "CommittedState",
    "ErasureReport",
    "KeyFile",
    "Passphrase",
    "PersonalRecord",
    "ReadRequest",
    "Sealed",
    "SubjectStatus",
    "Vault",
    "VaultError",
    "commitment",
    "create_key_file",
    "new_access_request",
    "sign_read",
    "verify_commitment",
]
