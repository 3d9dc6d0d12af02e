"""Read-only questions about document stores and token registries.

The node proves every key a query reads, so each query reads exactly the keys its answer needs:
`document_status` reads the batch's issuance and one revocation key per hash on the document's proof
path (at most 33), so its answer is a complete, provable status for one document.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.documents import store
from govledger.apps.documents.model import (
    MAX_HISTORY_PAGE,
    MAX_PROOF,
    Address,
    DocumentAnswer,
    DocumentRef,
    DocumentStore,
    Endorsement,
    HashAnswer,
    HashRef,
    HistoryPage,
    Token,
    TokenRef,
    TokenRegistry,
)
from govledger.documents import merkle
from govledger.ledger.app import AppView, Query


def document_store(view: AppView, p: Address) -> DocumentStore | None:
    return store.get_store(view, p.address)


def hash_status(view: AppView, p: HashRef) -> HashAnswer:
    """What the store says about one hash: issued as a merkleRoot, revoked."""
    known = store.get_store(view, p.store) is not None
    if not known or len(p.hash) != 32:
        return HashAnswer(store_known=known, issuance=None, revocation=None)
    return HashAnswer(
        store_known=True,
        issuance=store.get_issuance(view, p.store, p.hash),
        revocation=store.get_revocation(view, p.store, p.hash),
    )


def document_status(view: AppView, p: DocumentRef) -> DocumentAnswer:
    """One document: is its batch issued, and is any hash from targetHash up to merkleRoot revoked?

    The proof is checked here too (a wrong proof answers `valid: false` with no revocations read).
    """
    known = store.get_store(view, p.store) is not None
    shaped = len(p.target_hash) == 32 and len(p.merkle_root) == 32 and len(p.proof) <= MAX_PROOF
    if not known or not shaped or not all(len(h) == 32 for h in p.proof):
        return DocumentAnswer(store_known=known, issuance=None, revocations=[], valid=False)
    path = merkle.path_hashes(p.target_hash, p.proof)
    if path[-1] != p.merkle_root:
        return DocumentAnswer(store_known=True, issuance=None, revocations=[], valid=False)
    issuance = store.get_issuance(view, p.store, p.merkle_root)
    revocations = [r for h in path if (r := store.get_revocation(view, p.store, h)) is not None]
    return DocumentAnswer(
        store_known=True,
        issuance=issuance,
        revocations=revocations,
        valid=issuance is not None and not revocations,
    )


def token_registry(view: AppView, p: Address) -> TokenRegistry | None:
    return store.get_registry(view, p.address)


def token(view: AppView, p: TokenRef) -> Token | None:
    return store.get_token(view, p.registry, p.token_id)


def token_history(view: AppView, p: HistoryPage) -> list[Endorsement]:
    """The endorsement chain from `from_version`, oldest first, at most 100 entries per page."""
    t = token(view, TokenRef(p.registry, p.token_id))
    if t is None:
        return []
    first = max(1, p.from_version)
    last = min(t.version, first + min(max(p.limit, 1), MAX_HISTORY_PAGE) - 1)
    out = []
    for v in range(first, last + 1):
        e = store.get_endorsement(view, p.registry, p.token_id, v)
        assert e is not None, "endorsement entries are never deleted"
        out.append(e)
    return out


QUERIES: dict[str, Query[Any]] = {
    "store": Query(Address, document_store, "A document store: name, owner key, counts."),
    "hash_status": Query(HashRef, hash_status, "Issuance and revocation of one hash in a store."),
    "document_status": Query(DocumentRef, document_status, "Status of one document from its proof path."),
    "registry": Query(Address, token_registry, "A token registry: name, owner key, count."),
    "token": Query(TokenRef, token, "A transferable record: state, beneficiary, holder, nominee."),
    "token_history": Query(HistoryPage, token_history, "A record's endorsement chain, oldest first, paged."),
}
