"""Documents: OpenAttestation document stores and TradeTrust-style token registries on the ledger.

Two rules for this package (as h11 states its own):
1. Everything that decides whether a documents transaction succeeds is in this package's pure
   functions; the executor only adds the governance policy for "documents.<op>" and checks signatures.
2. The ledger never sees a document: stores hold 32-byte Merkle roots and revoked hashes, registries
   hold 32-byte token ids and the key ids of holders and beneficiaries. The documents themselves
   travel off-ledger (email, a wallet, a QR code) and are checked with `govledger.documents.verify`.

Theory of operation
-------------------
An issuer wraps a batch of documents (`govledger.documents.wrap`): each gets a targetHash, the
batch a merkleRoot. One `issue` transaction records the root in the issuer's document store: from
then on every document of the batch verifies as issued, at that height and block time, provably
against a signed header. `revoke_document` revokes one document by its targetHash (or a subtree by a
node hash on its proof path); `revoke_batch` a whole issued batch. Both are final.

A document names its store as OpenAttestation names an Ethereum DocumentStore: `documentStore:
"0x<20-byte address>"`, the address derived from the chain id and the store's name, and a DNS-TXT
record `openatts net=ethereum netId=<id> addr=<address>` at the issuer's domain binds the two.

Transferable records (a title deed, an electronic bill of lading) are minted in a token registry
under their merkleRoot and then move between beneficiary and holder by their own signatures, each
move appended to the record's endorsement chain, until surrendered to the issuer and burned
(`ops_tokens.py`).

Who signs: store and registry operations need the store's (registry's) owner key and, by the app
itself and by default policy, one governance member with role `issuer`; holder and beneficiary moves
need only the parties (policy NOBODY_ELSE). Rules per operation head `ops_stores.py` and
`ops_tokens.py`; keys are in `store.py`; codes in `errors.py`; the human account in
docs/apps/documents.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.documents import ops_stores, ops_tokens, queries
from govledger.ledger.app import NOBODY_ELSE, App, HasRole, Operation, Requirement

NAME = "documents"
DOCUMENTS_ROLES = ("issuer",)

_ISSUER = HasRole(role="issuer")

DEFAULT_POLICIES: dict[str, Requirement] = {
    "documents.create_store": _ISSUER,
    "documents.issue": _ISSUER,
    "documents.revoke_document": _ISSUER,
    "documents.revoke_batch": _ISSUER,
    "documents.transfer_store_owner": _ISSUER,
    "documents.create_registry": _ISSUER,
    "documents.mint": _ISSUER,
    "documents.transfer_holder": NOBODY_ELSE,
    "documents.nominate": NOBODY_ELSE,
    "documents.endorse_beneficiary": NOBODY_ELSE,
    "documents.transfer_owners": NOBODY_ELSE,
    "documents.surrender": NOBODY_ELSE,
    "documents.accept_surrender": NOBODY_ELSE,
    "documents.reject_surrender": NOBODY_ELSE,
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in DEFAULT_POLICIES.items()}


OPERATIONS: dict[str, Operation[Any]] = {**ops_stores.OPERATIONS, **ops_tokens.OPERATIONS}

assert sorted(f"documents.{op}" for op in OPERATIONS) == sorted(DEFAULT_POLICIES), "a policy per operation"

APP = App(
    name=NAME,
    doc="OpenAttestation document stores (issue, revoke) and token registries for transferable records.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
)

__all__ = ["APP", "DEFAULT_POLICIES", "DOCUMENTS_ROLES", "NAME", "default_policies_json"]
