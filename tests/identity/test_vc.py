"""W3C VC 2.0: the W3C vc-di-eddsa vectors, Data Integrity and VC-JOSE round trips, and refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from govledger.identity import vc
from govledger.identity.did import DidResolver, did_key, did_key_url
from govledger.identity.encoding import multibase_decode
from govledger.identity.jose import JwsSigner

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "w3c-vc-di-eddsa" / "TestVectors"
NOW = 1_800_000_000

needs_vectors = pytest.mark.skipif(
    not VECTORS.exists(), reason="shared/vectors/w3c-vc-di-eddsa is not present"
)


def _load(rel: str) -> Any:
    return json.loads((VECTORS / rel).read_text())


def _text(rel: str) -> str:
    return (VECTORS / rel).read_text().strip()


SUITES = [
    ("eddsa-rdfc-2022", "eddsa-rdfc-2022/signedDataInt.json", "DataInt"),
    ("eddsa-jcs-2022", "eddsa-jcs-2022/signedJCS.json", "JCS"),
]


@needs_vectors
@pytest.mark.parametrize(("suite", "signed", "tag"), SUITES)
def test_w3c_vectors_verify_and_reproduce(suite: str, signed: str, tag: str) -> None:
    doc = _load(signed)
    assert vc.verify_data_integrity(doc, DidResolver()).ok
    pair = _load("keyPair.json")
    secret = multibase_decode(pair["privateKeyMultibase"])
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = ed25519.Ed25519PrivateKey.from_private_bytes(secret[2:])
    again = vc.sign_data_integrity(
        _load("unsigned.json"),
        key,
        verification_method=doc["proof"]["verificationMethod"],
        created=doc["proof"]["created"],
        suite=suite,
    )
    assert again == doc  # bit for bit, signature included (Ed25519 is deterministic)
    if suite == "eddsa-rdfc-2022":
        assert vc.canonical_rdf(_load("unsigned.json")).strip() == _text(f"{suite}/canonDoc{tag}.txt")
    else:
        assert vc.canonical_jcs(_load("unsigned.json")).decode() == _text(f"{suite}/canonDoc{tag}.txt")


@needs_vectors
@pytest.mark.parametrize(("suite", "signed", "tag"), SUITES)
def test_tampering_breaks_the_vector(suite: str, signed: str, tag: str) -> None:
    doc = _load(signed)
    doc["credentialSubject"]["alumniOf"] = "Another School"
    assert vc.verify_data_integrity(doc, DidResolver()).code == "jose.bad_signature"


@needs_vectors
def test_unpackaged_context_is_refused_offline() -> None:
    employment = _load("eddsa-rdfc-2022/employ/signedDataInt.json")  # uses https://w3id.org/citizenship/v4rc1
    out = vc.verify_data_integrity(employment, DidResolver())
    assert out.code == "vc.bad_context" and "not packaged" in out.message


ISSUER_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)
ISSUER_DID = did_key(ISSUER_KEY.public_key())
CRED: dict[str, Any] = {
    "@context": [vc.V2_CONTEXT, vc.EXAMPLES_CONTEXT],
    "type": ["VerifiableCredential", "ResidenceCredential"],
    "issuer": ISSUER_DID,
    "validFrom": "2026-01-01T00:00:00Z",
    "validUntil": "2031-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:alice", "residentRegion": "Uusimaa"},
}


@pytest.mark.parametrize("suite", vc.SUITES)
def test_data_integrity_round_trip_with_policy(suite: str) -> None:
    signed = vc.sign_data_integrity(
        CRED,
        ISSUER_KEY,
        verification_method=did_key_url(ISSUER_KEY.public_key()),
        created="2026-01-01T00:00:00Z",
        suite=suite,
    )
    out = vc.verify_data_integrity(json.dumps(signed), DidResolver(), vc.VcPolicy(now_s=NOW))
    assert out.ok and out.issuer == ISSUER_DID
    late = vc.verify_data_integrity(signed, DidResolver(), vc.VcPolicy(now_s=2_000_000_000))
    assert late.code == "time.expired"
    wrong_issuer = copy.deepcopy(signed)
    wrong_issuer["issuer"] = "did:example:other"
    assert vc.verify_data_integrity(wrong_issuer, DidResolver(), vc.VcPolicy(now_s=NOW)).code in (
        "jose.bad_signature",
        "vc.issuer_mismatch",
    )


def test_vc_jose_round_trip_and_rules() -> None:
    signer = JwsSigner(ISSUER_KEY, kid=did_key_url(ISSUER_KEY.public_key()))
    token = vc.sign_jose(CRED, signer)
    out = vc.verify_jose(
        token, DidResolver(), vc.VcPolicy(now_s=NOW, accepted_types=("ResidenceCredential",))
    )
    assert out.ok and out.claims["credentialSubject"]["residentRegion"] == "Uusimaa"
    assert (
        vc.verify_jose(token, DidResolver(), vc.VcPolicy(now_s=NOW, accepted_types=("Other",))).code
        == "vc.wrong_type"
    )
    assert vc.verify_jose(token, DidResolver(), vc.VcPolicy(now_s=1_700_000_000)).code == "time.not_yet_valid"

    class NoTrust:
        def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool:
            return False

    assert (
        vc.verify_jose(token, DidResolver(), vc.VcPolicy(now_s=NOW, trust=NoTrust())).code
        == "vc.untrusted_issuer"
    )
    h, p, s = token.split(".")
    assert (
        vc.verify_jose(f"{h}.{p}.{s[:-4]}AAAA", DidResolver(), vc.VcPolicy(now_s=NOW)).code
        == "jose.bad_signature"
    )
    with pytest.raises(Exception) as exc:
        vc.sign_jose(CRED, JwsSigner.generate("EdDSA", kid="did:example:x#1"))
    assert getattr(exc.value, "code", "") == "vc.issuer_mismatch"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda c: c.update({"@context": ["https://www.w3.org/2018/credentials/v1"]}), "vc.bad_context"),
        (lambda c: c.update({"type": ["ResidenceCredential"]}), "vc.missing_claim"),
        (lambda c: c.pop("issuer"), "vc.missing_claim"),
        (lambda c: c.update({"validFrom": "yesterday"}), "time.bad_claim"),
        (lambda c: c.update({"validFrom": "2026-01-01T00:00:00"}), "time.bad_claim"),
    ],
)
def test_credential_shape_rules(mutate: Any, code: str) -> None:
    cred = copy.deepcopy(CRED)
    mutate(cred)
    signed = vc.sign_data_integrity(
        cred,
        ISSUER_KEY,
        verification_method=did_key_url(ISSUER_KEY.public_key()),
        created="2026-01-01T00:00:00Z",
        suite="eddsa-jcs-2022",
    )
    assert vc.verify_data_integrity(signed, DidResolver(), vc.VcPolicy(now_s=NOW)).code == code


@pytest.mark.parametrize(
    ("proof_change", "code"),
    [
        ({"type": "Ed25519Signature2020"}, "vc.bad_proof"),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "vc.bad_proof"),
        ({"proofPurpose": "authentication"}, "vc.bad_proof"),
        ({"proofValue": "uAAAA"}, "vc.bad_proof"),
        ({"proofValue": "z1"}, "vc.bad_proof"),
        ({"verificationMethod": "did:example:nobody#1"}, "did.unsupported_method"),
        ({"verificationMethod": 5}, "vc.bad_proof"),
    ],
)
def test_proof_rules(proof_change: dict[str, Any], code: str) -> None:
    signed = vc.sign_data_integrity(
        CRED,
        ISSUER_KEY,
        verification_method=did_key_url(ISSUER_KEY.public_key()),
        created="2026-01-01T00:00:00Z",
    )
    signed["proof"].update(proof_change)
    assert vc.verify_data_integrity(signed, DidResolver()).code == code


@pytest.mark.parametrize("bad", ["{", "[]", 5, None, "{" * 100 + "}" * 100])
def test_malformed_documents(bad: Any) -> None:
    assert not vc.verify_data_integrity(bad, DidResolver()).ok
    assert not vc.verify_jose(bad, DidResolver(), vc.VcPolicy(now_s=NOW)).ok
