"""Identity: ledger DIDs, the trusted-issuer registry and credential status lists.

Two rules for this package (as h11 states its own):
1. Everything that decides whether an identity transaction succeeds is in this package's pure
   functions; the executor only adds the governance policy for "identity.<op>" and checks signatures.
2. The package never sees a credential or personal data: credentials live in wallets. The ledger
   holds what verifiers must be able to trust without asking the issuer: keys (DID documents),
   who may issue what (accreditations), and whether a credential still stands (status values).

Theory of operation
-------------------
- DIDs (`ops_did.py`): `did:govledger:<chain>:<id>` documents are ledger state with every version
  kept. The DID's own controller keys sign its updates (a threshold of them), new keys prove
  possession, and a rotation is effective for the next read: no cache sits between a verifier and
  a rotated key (`identity.did.DidResolver` never caches this method).
- Trusted issuers (`ops_trust.py`): accreditations (issuer DID, credential type, validity window)
  are written by the `trust_registry` role or an `admin` (governance policy), with history. A
  verifier asks "was this DID accredited for this vct at the credential's iat?".
- Status lists (`ops_status.py`): values per index in the IETF layout, chunked; indices allocated
  pseudorandomly from the transaction id; revoked is final, suspended is reversible. The published
  forms (Token Status List JWT, W3C Bitstring Status List credential) are computed from state by
  `govledger.identity.status_list` at the edge, and signed by the issuer there.

Queries in `queries.py` (each key read is proved); key layout in `store.py`; codes in `errors.py`;
the guide in docs/apps/identity.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.identity import ops_did, ops_status, ops_trust, queries
from govledger.ledger.app import NOBODY_ELSE, App, HasRole, Operation, Requirement, Threshold

NAME = "identity"
IDENTITY_ROLES = ("trust_registry", "issuer", "admin")

_TRUST_REGISTRY = Threshold(k=1, of=[HasRole(role="trust_registry"), HasRole(role="admin")])

# The governance policies a network installs for this app (genesis `policies`), one per operation.
# DIDs are self-sovereign (their own keys sign); accreditations are the trust registry's; opening a
# status list needs an `issuer` member; allocating and setting statuses only the list's owners.
DEFAULT_POLICIES: dict[str, Requirement] = {
    "identity.did_create": NOBODY_ELSE,
    "identity.did_update": NOBODY_ELSE,
    "identity.did_deactivate": NOBODY_ELSE,
    "identity.trust_accredit": _TRUST_REGISTRY,
    "identity.trust_withdraw": _TRUST_REGISTRY,
    "identity.status_list_create": HasRole(role="issuer"),
    "identity.status_allocate": NOBODY_ELSE,
    "identity.status_set": NOBODY_ELSE,
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in DEFAULT_POLICIES.items()}


OPERATIONS: dict[str, Operation[Any]] = {
    **ops_did.OPERATIONS,
    **ops_trust.OPERATIONS,
    **ops_status.OPERATIONS,
}

assert sorted(f"{NAME}.{op}" for op in OPERATIONS) == sorted(DEFAULT_POLICIES), "a policy per operation"

APP = App(
    name=NAME,
    doc="Identity: did:govledger DIDs with key rotation, the trusted-issuer registry, status lists.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
)

__all__ = ["APP", "DEFAULT_POLICIES", "IDENTITY_ROLES", "NAME", "default_policies_json"]
