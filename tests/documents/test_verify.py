"""The verifier: each fragment, against the real ledger app as status source; every malformed input
yields a failed check with a code and never an exception."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.apps.documents.model import (
    CreateRegistry,
    CreateStore,
    Issue,
    Mint,
    RevokeBatch,
    RevokeDocument,
    TokenRef,
)
from govledger.apps.documents.status import LedgerStatusSource
from govledger.documents import (
    EthSigner,
    StaticDnsResolver,
    TrustedIssuer,
    TrustList,
    VerifyOptions,
    did_issuer,
    did_txt_record,
    obfuscate,
    sign_document,
    store_txt_record,
    verify,
    wrap_documents,
)
from govledger.documents.sign import checksum_address
from govledger.documents.verify import HashStatus, TokenStatus, verify_integrity
from govledger.documents.wrap import wrap_document

from .harness import A, Ledger, kid, registry_address, store_address

SIGNER = EthSigner(b"\x05" * 32)
STORE = checksum_address(store_address("moe"))
REGISTRY = checksum_address(registry_address("ebl"))
NET_ID = 1337
DNS = StaticDnsResolver(
    {
        "moe.example.gov": [store_txt_record(STORE, NET_ID)],
        "ebl.example.gov": [store_txt_record(REGISTRY, NET_ID)],
        "did.example.gov": [did_txt_record(SIGNER.key_id)],
    }
)


def store_raw(i: int) -> dict[str, Any]:
    return {
        "issuers": [
            {
                "name": "MOE",
                "documentStore": STORE,
                "identityProof": {"type": "DNS-TXT", "location": "moe.example.gov"},
            }
        ],
        "recipient": {"name": f"S{i}"},
    }


def ledger_with_batch() -> tuple[Ledger, list[dict[str, Any]]]:
    led = Ledger()
    led.ok("create_store", CreateStore("moe", kid(A.owner)), A.owner, A.issuer)
    docs = wrap_documents([store_raw(i) for i in range(4)])
    led.ok(
        "issue",
        Issue(store_address("moe"), [bytes.fromhex(docs[0]["signature"]["merkleRoot"])]),
        A.owner,
        A.issuer,
    )
    return led, docs


def options(led: Ledger, **kw: Any) -> VerifyOptions:
    return VerifyOptions(status=LedgerStatusSource(led.view), dns=DNS, network_id=NET_ID, **kw)


def test_issued_batch_verifies_and_revocation_is_reported() -> None:
    led, docs = ledger_with_batch()
    report = verify(json.dumps(docs[1]), options(led))
    assert report.valid(), report.fragments
    assert report.fragment("GovledgerDocumentStoreIssued").data["details"][0]["height"] == led.height
    # revoke one document: it fails, its batch-mates do not
    led.ok(
        "revoke_document",
        RevokeDocument(store_address("moe"), [bytes.fromhex(docs[1]["signature"]["targetHash"])], "error"),
        A.owner,
        A.issuer,
    )
    bad = verify(docs[1], options(led))
    assert not bad.valid() and bad.fragment("GovledgerDocumentStoreRevocation").code == "status.revoked"
    assert verify(docs[2], options(led)).valid()
    led.ok(
        "revoke_batch",
        RevokeBatch(store_address("moe"), bytes.fromhex(docs[0]["signature"]["merkleRoot"]), "withdrawn"),
        A.owner,
        A.issuer,
    )
    assert verify(docs[2], options(led)).fragment("GovledgerDocumentStoreRevocation").code == "status.revoked"


def test_not_issued_unknown_store_and_identity() -> None:
    led, _ = ledger_with_batch()
    other = wrap_documents([store_raw(9)])[0]
    assert verify(other, options(led)).fragment("GovledgerDocumentStoreIssued").code == "status.not_issued"
    foreign = copy.deepcopy(store_raw(1))
    foreign["issuers"][0]["documentStore"] = "0x" + "12" * 20
    r = verify(wrap_document(foreign), options(led))
    assert r.fragment("GovledgerDocumentStoreIssued").code == "status.unknown_store"
    assert r.fragment("OpenAttestationDnsTxtIdentityProof").code == "identity.dns_record_not_found"
    wrong_net = verify(
        wrap_document(store_raw(1)), VerifyOptions(status=LedgerStatusSource(led.view), dns=DNS, network_id=1)
    )
    assert wrong_net.fragment("OpenAttestationDnsTxtIdentityProof").code == "identity.dns_record_not_found"
    no_plugins = verify(wrap_document(store_raw(1)))
    assert no_plugins.fragment("GovledgerDocumentStoreIssued").status == "ERROR"
    assert no_plugins.fragment("OpenAttestationDnsTxtIdentityProof").code == "identity.no_resolver"


def test_trust_list() -> None:
    led, docs = ledger_with_batch()
    trusted = TrustList(
        (TrustedIssuer("documentStore", STORE.lower(), "Ministry of Education", "moe.example.gov"),)
    )
    r = verify(docs[0], options(led, trust=trusted))
    assert r.valid() and r.fragment("GovledgerTrustList").data == {"issuers": ["Ministry of Education"]}
    r = verify(docs[0], options(led, trust=TrustList()))
    assert not r.valid() and r.fragment("GovledgerTrustList").code == "identity.untrusted_issuer"


def test_did_signed_documents() -> None:
    raw = {"issuers": [did_issuer(SIGNER, "Customs")], "permit": {"no": 7}}
    signed = sign_document(wrap_documents([raw, raw])[1], SIGNER, created="2026-01-01T00:00:00Z")
    r = verify(signed, VerifyOptions(trust=TrustList((TrustedIssuer("did", SIGNER.did, "Customs"),))))
    assert r.valid(), r.fragments
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert verify(unsigned).fragment("OpenAttestationDidIdentityProof").code == "identity.unsigned"
    other = sign_document(unsigned, EthSigner(b"\x06" * 32), created="t")
    assert verify(other).fragment("OpenAttestationDidSignedDocumentStatus").code == "signature.proof_missing"
    forged = copy.deepcopy(signed)
    forged["proof"][0]["signature"] = EthSigner(b"\x06" * 32).personal_sign(
        bytes.fromhex(signed["signature"]["merkleRoot"])
    )
    assert verify(forged).fragment("OpenAttestationDidIdentityProof").code == "signature.wrong_signature"
    odd = copy.deepcopy(signed)
    odd["proof"][0]["type"] = "Ed25519Signature2099"
    assert verify(odd).fragment("OpenAttestationDidSignedDocumentStatus").status == "SKIPPED"
    assert verify(odd).fragment("OpenAttestationDidIdentityProof").code == "identity.unsigned"

    class NoKeys:
        def resolve(self, did: str) -> dict[str, Any]:
            return {"verificationMethod": [{"id": SIGNER.key_id, "type": "Ed25519VerificationKey2018"}]}

    assert verify(signed, VerifyOptions(did=NoKeys())).fragment("OpenAttestationDidIdentityProof").code == (
        "signature.unsupported_key_type"
    )
    dns_did = copy.deepcopy(raw)
    dns_did["issuers"][0]["identityProof"] = {
        "type": "DNS-DID",
        "key": SIGNER.key_id,
        "location": "did.example.gov",
    }
    signed2 = sign_document(wrap_document(dns_did), SIGNER, created="t")
    r = verify(signed2, VerifyOptions(dns=DNS))
    assert r.valid() and r.fragment("OpenAttestationDnsDidIdentityProof").status == "VALID"
    ocsp = copy.deepcopy(raw)
    ocsp["issuers"][0]["revocation"] = {"type": "OCSP_RESPONDER", "location": "https://ocsp.example"}
    r = verify(sign_document(wrap_document(ocsp), SIGNER, created="t"))
    assert r.fragment("OpenAttestationDidSignedDocumentStatus").code == "status.unsupported_revocation"


def test_did_signed_with_ledger_revocation_store() -> None:
    led = Ledger()
    led.ok("create_store", CreateStore("moe", kid(A.owner)), A.owner, A.issuer)
    raw = {
        "issuers": [did_issuer(SIGNER, "Customs", revocation={"type": "REVOCATION_STORE", "location": STORE})]
    }
    signed = sign_document(wrap_document(raw), SIGNER, created="t")
    assert verify(signed, options(led)).valid()
    led.ok(
        "revoke_document",
        RevokeDocument(store_address("moe"), [bytes.fromhex(signed["signature"]["targetHash"])], "fraud"),
        A.owner,
        A.issuer,
    )
    r = verify(signed, options(led))
    assert r.fragment("OpenAttestationDidSignedDocumentStatus").code == "status.revoked"


def test_transferable_record_status_follows_the_registry() -> None:
    led = Ledger()
    led.ok("create_registry", CreateRegistry("ebl", kid(A.owner)), A.owner, A.issuer)
    raw = {
        "issuers": [
            {
                "name": "Carrier",
                "tokenRegistry": REGISTRY,
                "identityProof": {"type": "DNS-TXT", "location": "ebl.example.gov"},
            }
        ]
    }
    doc = wrap_document(raw)
    token = bytes.fromhex(doc["signature"]["merkleRoot"])
    assert (
        verify(doc, options(led)).fragment("GovledgerTokenRegistryStatus").code == "status.token_not_minted"
    )
    led.ok("mint", Mint(registry_address("ebl"), token, kid(A.shipper), kid(A.carrier)), A.owner, A.issuer)
    r = verify(doc, options(led))
    assert (
        r.valid()
        and r.fragment("GovledgerTokenRegistryStatus").data["details"][0]["holder"] == kid(A.carrier).hex()
    )
    led.ok("surrender", TokenRef(registry_address("ebl"), token), A.shipper, A.carrier)
    assert (
        verify(doc, options(led)).fragment("GovledgerTokenRegistryStatus").code == "status.token_surrendered"
    )
    led.ok("accept_surrender", TokenRef(registry_address("ebl"), token), A.owner)
    assert verify(doc, options(led)).fragment("GovledgerTokenRegistryStatus").code == "status.token_burned"


def test_failing_plugins_are_reported_not_raised() -> None:
    class Broken:
        def hash_status(self, store: str, hash_hex: str) -> HashStatus:
            raise ConnectionError("node unreachable")

        def token_status(self, registry: str, token_id: str) -> TokenStatus:
            raise ConnectionError("node unreachable")

    class BrokenDns:
        def txt(self, name: str) -> list[str]:
            raise TimeoutError("dns")

    r = verify(wrap_document(store_raw(0)), VerifyOptions(status=Broken(), dns=BrokenDns()))
    assert r.fragment("GovledgerDocumentStoreIssued").code == "status.source_error"
    assert r.fragment("OpenAttestationDnsTxtIdentityProof").code == "identity.source_error"
    assert not r.valid()


GOOD = wrap_document(store_raw(0))


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node: Any = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (b"{not json", "document.malformed_json"),
        (b"\xff\xfe", "document.malformed_json"),
        (b"[]", "document.not_wrapped"),
        ("null", "document.not_wrapped"),
        (b"[" * 500 + b"]" * 500, "document.too_large"),
        (b" " * (5 * 1024 * 1024), "document.too_large"),
        (12345, "document.malformed_json"),
        (_mutate(["data"], "x"), "document.not_wrapped"),
        (
            _mutate(["version"], "https://schema.openattestation.com/3.0/schema.json"),
            "document.unknown_version",
        ),
        (_mutate(["signature"], []), "document.not_wrapped"),
        (_mutate(["signature", "type"], "SHA256MerkleProof"), "integrity.unknown_algorithm"),
        (_mutate(["signature", "targetHash"], "ABC"), "integrity.bad_hash_format"),
        (_mutate(["signature", "targetHash"], 7), "integrity.bad_hash_format"),
        (_mutate(["signature", "merkleRoot"], "0" * 64), "integrity.merkle_proof_mismatch"),
        (_mutate(["signature", "proof"], ["zz"]), "integrity.bad_hash_format"),
        (_mutate(["signature", "proof"], ["0" * 64] * 33), "document.too_large"),
        (_mutate(["privacy"], {"obfuscatedData": [1]}), "integrity.bad_obfuscated_data"),
        (_mutate(["privacy"], {"obfuscatedData": ["0" * 64]}), "integrity.target_hash_mismatch"),
        (_mutate(["data", "a.b"], "x"), "integrity.dotted_key"),
        (_mutate(["data", "recipient", "name"], 5), "integrity.target_hash_mismatch"),
    ],
)
def test_malformed_inputs_fail_with_a_code(document: Any, code: str) -> None:
    report = verify(document)
    integrity = report.fragments[0]
    assert integrity.status == "INVALID" and integrity.code == code, integrity
    assert not report.valid()
    assert verify_integrity(document).code == code


@pytest.mark.parametrize(
    ("issuers", "code"),
    [
        ("x", "document.bad_issuers"),
        ([], "document.bad_issuers"),
        ([{"name": "a", "documentStore": "0x12"}], "document.bad_issuers"),
        ([{"name": "a"}] * 17, "document.too_large"),
    ],
)
def test_malformed_issuers_fail_status_and_identity(issuers: Any, code: str) -> None:
    doc = wrap_document({"issuers": issuers}, validate=False)
    report = verify(doc, VerifyOptions(dns=DNS))
    assert report.fragment("OpenAttestationHash").status == "VALID"
    assert report.fragment("GovledgerDocumentStoreIssued").code == code
    assert not report.valid()


def test_bad_salted_type_is_reported() -> None:
    doc = copy.deepcopy(GOOD)
    doc["data"]["issuers"][0]["name"] = "1b8dc011-05e0-405e-a687-4b2292a9455a:weird:x"
    assert verify(doc).fragment("GovledgerDocumentStoreIssued").code == "document.bad_salted_value"


json_any = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(st.one_of(json_any, st.binary(max_size=200), st.text(max_size=200)))
@settings(max_examples=200)
def test_verify_never_raises(document: Any) -> None:
    report = verify(document, VerifyOptions(dns=DNS))
    assert not report.valid()


@given(st.sampled_from(["signature", "data", "privacy", "proof", "version"]), json_any)
@settings(max_examples=200)
def test_verify_never_raises_on_mutated_documents(field: str, value: Any) -> None:
    doc = sign_document(copy.deepcopy(GOOD), SIGNER, created="t")
    doc[field] = value
    verify(doc, VerifyOptions(dns=DNS))
    verify(obfuscate(GOOD, ["recipient"]))
