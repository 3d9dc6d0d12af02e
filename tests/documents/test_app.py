"""The documents ledger app: every operation's success, missing signers, each rule, nothing written."""

from __future__ import annotations

import pytest

from govledger.apps.documents import queries
from govledger.apps.documents.model import (
    Address,
    CreateRegistry,
    CreateStore,
    DocumentRef,
    EndorseBeneficiary,
    HashRef,
    HistoryPage,
    Issue,
    Mint,
    Nominate,
    RevokeBatch,
    RevokeDocument,
    TokenRef,
    TransferHolder,
    TransferOwners,
    TransferStoreOwner,
)
from govledger.apps.documents.store import derive_address
from govledger.documents import merkle

from .harness import CHAIN_ID, A, Ledger, h, kid, registry_address, store_address

S = store_address("moe-certs")
R = registry_address("ebl-registry")
ROOT = h("root-1")
TOKEN = h("bill-of-lading-1")
OWNER_ISSUER = (A.owner, A.issuer)
"""The signers of a store's or registry's owner operations: its owner key and an issuer member."""
MINT = Mint(R, TOKEN, kid(A.shipper), kid(A.carrier))
"""The token the `reg` fixture mints: the shipper its beneficiary, the carrier its holder."""


@pytest.fixture
def led() -> Ledger:
    led = Ledger()
    led.ok("create_store", CreateStore("moe-certs", kid(A.owner)), *OWNER_ISSUER)
    return led


@pytest.fixture
def reg() -> Ledger:
    led = Ledger()
    led.ok("create_registry", CreateRegistry("ebl-registry", kid(A.owner)), *OWNER_ISSUER)
    led.ok("mint", MINT, *OWNER_ISSUER)
    return led


# --- document stores ----------------------------------------------------------------------------


def test_create_store_derives_its_address(led: Ledger) -> None:
    s = queries.document_store(led.view, Address(S))
    assert s is not None and s.name == "moe-certs" and s.owner == kid(A.owner)
    assert derive_address(CHAIN_ID, "store", "moe-certs") == S and len(S) == 20
    assert derive_address("other-chain", "store", "moe-certs") != S


def test_create_store_rules(led: Ledger) -> None:
    led.refused(
        "create_store",
        CreateStore("moe-certs", kid(A.owner)),
        *OWNER_ISSUER,
        code="documents.store_exists",
    )
    led.refused(
        "create_store", CreateStore("bad name", kid(A.owner)), *OWNER_ISSUER, code="documents.bad_name"
    )
    led.refused("create_store", CreateStore("x", b"short"), *OWNER_ISSUER, code="documents.bad_key")
    led.refused("create_store", CreateStore("x", kid(A.owner)), A.owner, code="auth.missing_signers")
    led.refused("create_store", CreateStore("x", kid(A.owner)), A.issuer, code="auth.missing_signers")


def test_issue_and_status(led: Ledger) -> None:
    r = led.ok("issue", Issue(S, [ROOT, h("root-2")]), *OWNER_ISSUER)
    assert [e.kind for e in r.events] == ["issued", "issued"]
    ans = queries.hash_status(led.view, HashRef(S, ROOT))
    assert ans.store_known and ans.issuance is not None and ans.issuance.height == led.height
    assert ans.issuance.time_ms == led.time_ms and ans.revocation is None
    s = queries.document_store(led.view, Address(S))
    assert s is not None and s.issued_count == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (Issue(S, []), "documents.too_many"),
        (Issue(S, [h(str(i)) for i in range(257)]), "documents.too_many"),
        (Issue(S, [ROOT, ROOT]), "documents.duplicate"),
        (Issue(S, [b"\x01" * 31]), "documents.bad_hash"),
        (Issue(b"\x00" * 20, [ROOT]), "documents.unknown_store"),
        (Issue(b"\x00" * 3, [ROOT]), "documents.bad_address"),
    ],
)
def test_issue_rules(led: Ledger, body: Issue, code: str) -> None:
    led.refused("issue", body, *OWNER_ISSUER, code=code)


def test_issue_twice_and_signers(led: Ledger) -> None:
    led.ok("issue", Issue(S, [ROOT]), *OWNER_ISSUER)
    led.refused("issue", Issue(S, [h("x"), ROOT]), *OWNER_ISSUER, code="documents.already_issued")
    led.refused("issue", Issue(S, [h("y")]), A.owner, code="auth.missing_signers")  # no issuer member
    led.refused("issue", Issue(S, [h("y")]), A.issuer, code="auth.missing_signers")  # not the owner
    led.refused("issue", Issue(S, [h("y")]), A.outsider, A.issuer, code="auth.missing_signers")


def test_revoke_document_and_batch(led: Ledger) -> None:
    led.ok("issue", Issue(S, [ROOT]), *OWNER_ISSUER)
    led.ok("revoke_document", RevokeDocument(S, [h("doc-1"), h("doc-2")], "superseded"), *OWNER_ISSUER)
    ans = queries.hash_status(led.view, HashRef(S, h("doc-1")))
    assert (
        ans.revocation is not None
        and ans.revocation.kind == "document"
        and ans.revocation.reason == "superseded"
    )
    led.refused(
        "revoke_document",
        RevokeDocument(S, [h("doc-2")], "error"),
        *OWNER_ISSUER,
        code="documents.already_revoked",
    )
    led.refused(
        "revoke_document",
        RevokeDocument(S, [h("d")], "Bad Reason"),
        *OWNER_ISSUER,
        code="documents.bad_reason",
    )
    led.refused("revoke_document", RevokeDocument(S, [h("d")], "error"), A.owner, code="auth.missing_signers")
    led.refused(
        "revoke_batch", RevokeBatch(S, h("never"), "error"), *OWNER_ISSUER, code="documents.not_issued"
    )
    led.ok("revoke_batch", RevokeBatch(S, ROOT, "withdrawn"), *OWNER_ISSUER)
    led.refused(
        "revoke_batch", RevokeBatch(S, ROOT, "withdrawn"), *OWNER_ISSUER, code="documents.already_revoked"
    )
    led.refused("revoke_batch", RevokeBatch(S, ROOT, "x"), A.issuer, code="auth.missing_signers")
    s = queries.document_store(led.view, Address(S))
    assert s is not None and s.revoked_count == 3


def test_document_status_follows_the_proof_path(led: Ledger) -> None:
    leaves = [h(f"doc-{i}") for i in range(5)]
    root, proofs = merkle.build(leaves)
    led.ok("issue", Issue(S, [root]), *OWNER_ISSUER)
    ans = queries.document_status(led.view, DocumentRef(S, leaves[0], root, proofs[0]))
    assert ans.valid and ans.issuance is not None and ans.revocations == []
    # revoking an intermediate node revokes its whole subtree
    node = merkle.path_hashes(leaves[0], proofs[0])[1]
    led.ok("revoke_document", RevokeDocument(S, [node], "fraud"), *OWNER_ISSUER)
    ans = queries.document_status(led.view, DocumentRef(S, leaves[0], root, proofs[0]))
    assert not ans.valid and [r.hash for r in ans.revocations] == [node]
    # a document outside that subtree is unaffected
    other = next(i for i in range(5) if node not in merkle.path_hashes(leaves[i], proofs[i]))
    assert queries.document_status(led.view, DocumentRef(S, leaves[other], root, proofs[other])).valid
    # a wrong proof is answered, not raised
    assert not queries.document_status(led.view, DocumentRef(S, leaves[0], root, [])).valid
    assert not queries.document_status(led.view, DocumentRef(b"\x00" * 20, leaves[0], root, [])).store_known


def test_transfer_store_owner(led: Ledger) -> None:
    body = TransferStoreOwner(S, kid(A.owner2))
    led.refused("transfer_store_owner", body, *OWNER_ISSUER, code="auth.missing_signers")  # new owner absent
    led.refused(
        "transfer_store_owner",
        TransferStoreOwner(S, kid(A.owner)),
        *OWNER_ISSUER,
        code="documents.same_owner",
    )
    led.ok("transfer_store_owner", body, A.owner, A.owner2, A.issuer)
    led.refused("issue", Issue(S, [ROOT]), *OWNER_ISSUER, code="auth.missing_signers")
    led.ok("issue", Issue(S, [ROOT]), A.owner2, A.issuer2)


# --- token registries: the life of an electronic bill of lading -----------------------------------


def _token(led: Ledger):  # type: ignore[no-untyped-def]
    t = queries.token(led.view, TokenRef(R, TOKEN))
    assert t is not None
    return t


def test_mint_rules(reg: Ledger) -> None:
    t2 = Mint(R, h("t2"), kid(A.shipper), kid(A.carrier))
    reg.refused("mint", MINT, *OWNER_ISSUER, code="documents.token_exists")
    reg.refused("mint", t2, A.owner, code="auth.missing_signers")
    reg.refused("mint", t2, A.issuer, code="auth.missing_signers")
    reg.refused("mint", Mint(R, h("t2"), b"x", kid(A.carrier)), *OWNER_ISSUER, code="documents.bad_key")
    reg.refused(
        "mint",
        Mint(b"\x01" * 20, h("t2"), kid(A.shipper), kid(A.carrier)),
        *OWNER_ISSUER,
        code="documents.unknown_registry",
    )
    reg.refused(
        "create_registry",
        CreateRegistry("ebl-registry", kid(A.owner)),
        *OWNER_ISSUER,
        code="documents.registry_exists",
    )


def test_endorsement_chain(reg: Ledger) -> None:
    # shipper (beneficiary) ships; carrier holds; the document goes to the bank, then the consignee buys
    to_consignee = EndorseBeneficiary(R, TOKEN, kid(A.consignee))
    reg.refused(
        "transfer_holder", TransferHolder(R, TOKEN, kid(A.bank)), A.shipper, code="auth.missing_signers"
    )
    reg.ok("transfer_holder", TransferHolder(R, TOKEN, kid(A.bank)), A.carrier)
    reg.refused("transfer_holder", TransferHolder(R, TOKEN, kid(A.bank)), A.bank, code="documents.same_party")
    reg.refused("nominate", Nominate(R, TOKEN, kid(A.consignee)), A.bank, code="auth.missing_signers")
    reg.refused("nominate", Nominate(R, TOKEN, kid(A.shipper)), A.shipper, code="documents.same_party")
    reg.refused("endorse_beneficiary", to_consignee, A.bank, code="documents.not_nominated")
    reg.ok("nominate", Nominate(R, TOKEN, kid(A.consignee)), A.shipper)
    reg.refused("endorse_beneficiary", to_consignee, A.shipper, code="auth.missing_signers")
    reg.ok("endorse_beneficiary", to_consignee, A.bank)
    t = _token(reg)
    assert (t.beneficiary, t.holder, t.nominee) == (kid(A.consignee), kid(A.bank), b"")
    reg.ok("transfer_holder", TransferHolder(R, TOKEN, kid(A.consignee)), A.bank)
    # holder == beneficiary: may endorse anyone directly
    reg.ok("endorse_beneficiary", EndorseBeneficiary(R, TOKEN, kid(A.shipper)), A.consignee)
    reg.refused(
        "transfer_owners",
        TransferOwners(R, TOKEN, kid(A.shipper), kid(A.consignee)),
        A.shipper,
        A.consignee,
        code="documents.same_party",
    )
    reg.refused(
        "transfer_owners",
        TransferOwners(R, TOKEN, kid(A.bank), kid(A.bank)),
        A.consignee,
        code="auth.missing_signers",
    )
    reg.ok(
        "transfer_owners",
        TransferOwners(R, TOKEN, kid(A.consignee), kid(A.consignee)),
        A.shipper,
        A.consignee,
    )
    history = queries.token_history(reg.view, HistoryPage(R, TOKEN))
    assert [e.action for e in history] == [
        "minted",
        "holder_transferred",
        "nominated",
        "beneficiary_endorsed",
        "holder_transferred",
        "beneficiary_endorsed",
        "owners_transferred",
    ]
    assert [e.version for e in history] == list(range(1, 8))
    assert history[1].holder == kid(A.bank) and history[1].signer_ids == [kid(A.carrier)]
    assert [e.version for e in queries.token_history(reg.view, HistoryPage(R, TOKEN, 3, 2))] == [3, 4]


def test_surrender_accept_burns(reg: Ledger) -> None:
    reg.refused("surrender", TokenRef(R, TOKEN), A.shipper, code="auth.missing_signers")  # holder missing
    reg.refused("accept_surrender", TokenRef(R, TOKEN), A.owner, code="documents.not_surrendered")
    reg.ok("surrender", TokenRef(R, TOKEN), A.shipper, A.carrier)
    assert _token(reg).state == "surrendered"
    reg.refused(
        "transfer_holder", TransferHolder(R, TOKEN, kid(A.bank)), A.carrier, code="documents.token_not_active"
    )
    reg.refused("surrender", TokenRef(R, TOKEN), A.shipper, A.carrier, code="documents.token_not_active")
    reg.refused("accept_surrender", TokenRef(R, TOKEN), A.shipper, code="auth.missing_signers")
    reg.ok("accept_surrender", TokenRef(R, TOKEN), A.owner)
    assert _token(reg).state == "burned"
    reg.refused("reject_surrender", TokenRef(R, TOKEN), A.owner, code="documents.not_surrendered")
    reg.refused("mint", MINT, *OWNER_ISSUER, code="documents.token_exists")


def test_surrender_reject_restores(reg: Ledger) -> None:
    reg.ok("surrender", TokenRef(R, TOKEN), A.shipper, A.carrier)
    reg.ok("reject_surrender", TokenRef(R, TOKEN), A.owner)
    t = _token(reg)
    assert (t.state, t.beneficiary, t.holder) == ("active", kid(A.shipper), kid(A.carrier))
    reg.ok("transfer_holder", TransferHolder(R, TOKEN, kid(A.bank)), A.carrier)


def test_unknown_token_and_queries(reg: Ledger) -> None:
    reg.refused(
        "transfer_holder",
        TransferHolder(R, h("nope"), kid(A.bank)),
        A.carrier,
        code="documents.unknown_token",
    )
    reg.refused("surrender", TokenRef(R, b"short"), A.carrier, code="documents.bad_hash")
    assert queries.token(reg.view, TokenRef(R, h("nope"))) is None
    assert queries.token_history(reg.view, HistoryPage(R, h("nope"))) == []
    registry = queries.token_registry(reg.view, Address(R))
    assert registry is not None and registry.minted_count == 1


def test_same_block_double_issue_only_one_succeeds() -> None:
    led = Ledger()
    led.ok("create_store", CreateStore("s", kid(A.owner)), *OWNER_ISSUER)
    s = store_address("s")
    codes = [
        r.code
        for r in led.block(
            [
                led.tx("issue", Issue(s, [ROOT]), *OWNER_ISSUER),
                led.tx("issue", Issue(s, [ROOT]), *OWNER_ISSUER),
            ]
        )
    ]
    assert codes == ["ok", "documents.already_issued"]
