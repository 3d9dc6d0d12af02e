"""Privacy: the on-ledger half of personal-data protection (GDPR), shared by every registry.

Two rules for this package:
1. No personal data ever enters it. A data subject is a 32-byte pseudonym (HMAC of the subject's
   identifier under a registry key held by the vault); their data is a 32-byte salted commitment
   computed by the vault. Requester keys, purposes, heights and legal bases are not personal data of
   the subject.
2. It is the ledger's account of what the vault (govledger.vault, off-ledger, I/O at the edge) may do
   and did: which commitments exist and who registered them, who may read for which purpose, every
   read (logged *before* the vault serves it), and every erasure (recorded *before* the vault shreds).

Theory of operation
-------------------
A registry office stores a subject's data in its vault and gets back a commitment; it registers the
commitment here (`register_data`, version 1) and uses it in its own app (a vital record, a land
party). Rectification (Art. 16) registers a new version (`rectify_data`); the ledger keeps all
versions, the vault keeps old plaintext encrypted for its audit period.

To read, a requester first commits `log_access` signed with their own key; the check requires that
key to belong to a governance member holding a role that governance allows the purpose
(`set_purposes`). The vault then serves exactly one read for that committed entry, after checking the
entry against committed state itself (govledger.vault.access): no committed entry, no read. A read
is therefore never unlogged; a logged read may go unserved (the log errs on the side of showing more).

Erasure (Art. 17) is recorded by the data protection officer (`record_erasure`); the vault refuses to
shred without it and then destroys the subject's data key. The ledger keeps the commitments: without
the key and salt they are 32 random-looking bytes, and deleting them would break every past state
root and proof. After erasure nothing more is registered, rectified or logged for that pseudonym.

Operations, their own signers and rules are in `ops.py`; the key space in `store.py`; error codes in
`errors.py`; queries in `queries.py`; the design and threat model in docs/privacy.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.privacy import ops, queries, store
from govledger.apps.privacy.model import PrivacyGenesis, RolePurposes, SetPurposes
from govledger.apps.privacy.store import NAME
from govledger.ledger.app import NOBODY_ELSE, App, AppState, HasRole, Requirement, Threshold, TxContext
from govledger.ledger.block import Event

# Roles that register and rectify personal-data commitments (the controllers' staff). The company
# register has its own registrar role (apps/company/roles.py), so it is a controller in its own right.
CONTROLLER_ROLES = ("registrar", "company_registrar", "hospital", "medical_certifier", "officiant", "court")
# Roles that may rectify (GDPR Art. 16): the registries' own registrars, and the data protection officer.
RECTIFIER_ROLES = ("registrar", "company_registrar", "dpo")
PRIVACY_ROLES = ("admin", "dpo", *CONTROLLER_ROLES, "auditor")

_ANY_CONTROLLER = Threshold(k=1, of=[HasRole(role=r) for r in CONTROLLER_ROLES])

# The governance policies a network installs for this app (genesis `policies`), one per operation.
DEFAULT_POLICIES: dict[str, Requirement] = {
    "privacy.set_purposes": HasRole(role="admin"),
    "privacy.register_data": _ANY_CONTROLLER,
    "privacy.rectify_data": Threshold(k=1, of=[HasRole(role=r) for r in RECTIFIER_ROLES]),
    # The requester signs; the app's own check is the authorisation (member + role allowed the purpose).
    "privacy.log_access": NOBODY_ELSE,
    "privacy.record_erasure": HasRole(role="dpo"),
}

# Suggested purposes per role for `app_state.privacy.purposes` (governance changes them later).
DEFAULT_PURPOSES: dict[str, list[str]] = {
    "registrar": ["registration", "certificate_issuance", "rectification"],
    "company_registrar": ["registration", "certificate_issuance", "rectification"],
    "hospital": ["birth_notification"],
    "medical_certifier": ["death_certification"],
    "officiant": ["marriage_ceremony"],
    "court": ["judicial_proceedings"],
    "auditor": ["audit"],
    "dpo": ["audit", "data_subject_access"],
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in DEFAULT_POLICIES.items()}


_GENESIS_CTX = TxContext(
    chain_id="", height=0, time_ms=0, tx_id=b"", signers=(), signer_ids=frozenset(), first_signer_id=b""
)


def _genesis(state: AppState, g: PrivacyGenesis) -> list[Event]:
    for role, purposes in sorted(g.purposes.items()):
        body = SetPurposes(role, purposes)
        ops._check_set_purposes(state, body, _GENESIS_CTX)
        store.put_purposes(state, RolePurposes(role, sorted(purposes), 0))
    return []


assert sorted(f"{NAME}.{op}" for op in ops.OPERATIONS) == sorted(DEFAULT_POLICIES), "a policy per operation"

APP = App(
    name=NAME,
    doc="Personal-data commitments, purposes per role, access log and erasure records (GDPR).",
    operations=ops.OPERATIONS,
    queries=queries.QUERIES,
    genesis=_genesis,
    genesis_type=PrivacyGenesis,
)

__all__ = [
    "APP",
    "CONTROLLER_ROLES",
    "DEFAULT_POLICIES",
    "DEFAULT_PURPOSES",
    "NAME",
    "PRIVACY_ROLES",
    "RECTIFIER_ROLES",
    "default_policies_json",
]
