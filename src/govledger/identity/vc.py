"""W3C Verifiable Credentials 2.0: VC-JOSE (`vc+jwt`) and Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022).

Theory of operation
-------------------
A W3C credential is JSON-LD: `@context` first the VC 2.0 context, `type` including
`VerifiableCredential`, an `issuer` (a DID here), `credentialSubject`, optional `validFrom` /
`validUntil` (XML Schema dateTime stamps) and `credentialStatus` (Bitstring Status List entries).
Two ways to secure one:

- VC-JOSE-COSE (JOSE half): the credential JSON is the payload of a compact JWS with header
  `typ: vc+jwt`, `cty: vc`, `kid` = the issuer's verification method (a DID URL).
- Data Integrity (vc-di-eddsa 1.0): a `proof` object with `type: DataIntegrityProof`,
  `cryptosuite`, `verificationMethod`, `proofPurpose: assertionMethod`, `created`, `proofValue`.
  hashData = SHA-256(canonical proof configuration) || SHA-256(canonical document), signed with
  Ed25519, `proofValue` = multibase base58btc. The canonical form is RDF Dataset Canonicalization
  (RDFC-1.0, pyld's URDNA2015) of N-Quads for eddsa-rdfc-2022, and RFC 8785 JCS for eddsa-jcs-2022.

JSON-LD needs contexts, and fetching them at verification time would let whoever serves them
change what a credential means. The document loader serves only the contexts packaged in
`identity/contexts/` (W3C credentials v2 and examples v2) and refuses every other URL
(`vc.bad_context`); no network. pyld has no "safe mode", but the VC 2.0 context declares `@vocab`,
so no term is silently dropped from a credential that uses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyld import jsonld

from govledger.identity.did import DidResolver, parse_did_url
from govledger.identity.encoding import MAX_TOKEN_BYTES, base58btc, json_object, multibase_decode
from govledger.identity.errors import CheckFailed, Outcome, fail, failed
from govledger.identity.jose import JwsSigner, decode_jws, encode_jws, verify_jws

V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
VC_JWT_TYP = "vc+jwt"
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")

_PACKAGED = {V2_CONTEXT: "credentials-v2.jsonld", EXAMPLES_CONTEXT: "credentials-examples-v2.jsonld"}


# --- contexts -----------------------------------------------------------------------------------------


@cache
def packaged_context(url: str) -> dict[str, Any]:
    name = _PACKAGED.get(url)
    if name is None:
        fail("vc.bad_context", f"context {url[:120]} is not packaged with govledger")
    text = resources.files("govledger.identity").joinpath("contexts", name).read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld document loader over the packaged contexts only; anything else is an error."""
    try:
        doc = packaged_context(url)
    except CheckFailed as exc:
        raise jsonld.JsonLdError(
            exc.message, "jsonld.LoadDocumentError", code="loading document failed"
        ) from None
    return {"contextUrl": None, "documentUrl": url, "document": doc}


def _check_contexts(value: Any, depth: int = 0) -> None:
    """Refuse remote contexts that are not packaged before pyld would try to load them."""
    if depth > 32:
        fail("vc.canonicalization", "the document nests too deeply")
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "@context":
                for c in v if isinstance(v, list) else [v]:
                    if isinstance(c, str) and c not in _PACKAGED:
                        fail("vc.bad_context", f"context {c[:120]} is not packaged with govledger")
            _check_contexts(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_contexts(v, depth + 1)


def canonical_rdf(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (packaged contexts only)."""
    _check_contexts(document)
    try:
        out = jsonld.normalize(
            document,
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader},
        )
    except jsonld.JsonLdError as exc:
        fail("vc.canonicalization", f"RDF canonicalisation failed: {str(exc)[:200]}")
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        fail("vc.canonicalization", f"RDF canonicalisation failed: {type(exc).__name__}")
    return str(out)


def canonical_jcs(value: Any) -> bytes:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        fail("vc.canonicalization", f"JCS canonicalisation failed: {exc}")


# --- shape and time -----------------------------------------------------------------------------------


def parse_datetime(value: Any, name: str) -> int:
    """An XML Schema dateTimeStamp as seconds since the epoch (a zone is required)."""
    if not isinstance(value, str) or len(value) > 64:
        fail("time.bad_claim", f"{name} is not a dateTime string")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        fail("time.bad_claim", f"{name} {value!r} is not a dateTime")
    if when.tzinfo is None:
        fail("time.bad_claim", f"{name} has no time zone")
    return int(when.timestamp())


def format_datetime(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not issuer:
        fail("vc.missing_claim", "the credential has no issuer id")
    return issuer


def types_of(credential: dict[str, Any]) -> list[str]:
    t = credential.get("type")
    types = [t] if isinstance(t, str) else t
    if not isinstance(types, list) or not all(isinstance(x, str) for x in types):
        fail("vc.missing_claim", "type is a string or an array of strings")
    return types


def check_shape(credential: Any) -> dict[str, Any]:
    if not isinstance(credential, dict):
        fail("input.wrong_type", "a credential is a JSON object")
    ctx = credential.get("@context")
    if not isinstance(ctx, list) or not ctx or ctx[0] != V2_CONTEXT:
        fail("vc.bad_context", "@context must be an array starting with the VC 2.0 context")
    if "VerifiableCredential" not in types_of(credential):
        fail("vc.missing_claim", "type must include VerifiableCredential")
    issuer_id(credential)
    if not isinstance(credential.get("credentialSubject"), dict | list):
        fail("vc.missing_claim", "credentialSubject is missing")
    return credential


def check_validity(credential: dict[str, Any], now_s: int, skew_s: int) -> None:
    if "validFrom" in credential and now_s + skew_s < parse_datetime(credential["validFrom"], "validFrom"):
        fail("time.not_yet_valid", "validFrom is in the future")
    if "validUntil" in credential and now_s - skew_s > parse_datetime(credential["validUntil"], "validUntil"):
        fail("time.expired", "validUntil has passed")


# --- trust and status hooks ---------------------------------------------------------------------------


class TrustRegistry(Protocol):
    def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool:
        """Whether `issuer` may issue `credential_type` at time `at_s` (seconds)."""
        ...


class BitstringSource(Protocol):
    def bitstring_status(self, list_credential: str, purpose: str, index: int, issuer: str) -> int:
        """The bit at `index` of the verified status list credential (raise CheckFailed if unknown)."""
        ...


def check_credential_status(
    credential: dict[str, Any], status: BitstringSource, issuer: str
) -> dict[str, int]:
    entries = credential.get("credentialStatus", [])
    entries = [entries] if isinstance(entries, dict) else entries
    if not isinstance(entries, list):
        fail("input.wrong_type", "credentialStatus is an object or an array")
    found: dict[str, int] = {}
    for e in entries:
        if not isinstance(e, dict) or e.get("type") != "BitstringStatusListEntry":
            continue
        purpose, url, idx = e.get("statusPurpose"), e.get("statusListCredential"), e.get("statusListIndex")
        if (
            not isinstance(purpose, str)
            or not isinstance(url, str)
            or not isinstance(idx, str)
            or not idx.isdigit()
        ):
            fail(
                "input.wrong_type",
                "a BitstringStatusListEntry needs statusPurpose, statusListCredential, index",
            )
        bit = status.bitstring_status(url, purpose, int(idx), issuer)
        found[purpose] = bit
        if bit and purpose == "revocation":
            fail("vc.revoked", "the credential is revoked")
        if bit and purpose == "suspension":
            fail("vc.suspended", "the credential is suspended")
    return found


@dataclass(frozen=True)
class VcPolicy:
    now_s: int
    skew_s: int = 60
    trust: TrustRegistry | None = None
    status: BitstringSource | None = None
    accepted_types: tuple[str, ...] = ()  # the credential must have one of these types; empty: any


def _check_common(credential: dict[str, Any], policy: VcPolicy) -> dict[str, Any]:
    check_shape(credential)
    check_validity(credential, policy.now_s, policy.skew_s)
    types = [t for t in types_of(credential) if t != "VerifiableCredential"]
    if policy.accepted_types and not set(types) & set(policy.accepted_types):
        fail("vc.wrong_type", f"types {types} are not accepted")
    issuer = issuer_id(credential)
    if policy.trust is not None:
        at = (
            parse_datetime(credential["validFrom"], "validFrom")
            if "validFrom" in credential
            else policy.now_s
        )
        if not any(policy.trust.accredited(issuer, t, at) for t in types):
            fail("vc.untrusted_issuer", f"{issuer[:120]} is not accredited for {types}")
    statuses = check_credential_status(credential, policy.status, issuer) if policy.status else {}
    return {"status": statuses}


# --- VC-JOSE ------------------------------------------------------------------------------------------


def sign_jose(credential: dict[str, Any], signer: JwsSigner) -> str:
    """A `vc+jwt`: the credential is the JWS payload; `kid` must be a verification method of the issuer."""
    check_shape(credential)
    if not signer.kid or parse_did_url(signer.kid).did != issuer_id(credential):
        fail("vc.issuer_mismatch", "the signer's kid must be a DID URL of the credential's issuer")
    return encode_jws({"typ": VC_JWT_TYP, "cty": "vc"}, credential, signer)


def verify_jose(token: Any, resolver: DidResolver, policy: VcPolicy) -> Outcome:
    try:
        jws = decode_jws(token, what="vc+jwt")
        if jws.header.get("typ") != VC_JWT_TYP:
            fail("vc.bad_typ", f"typ must be {VC_JWT_TYP}")
        credential = jws.payload_json("credential")
        issuer = issuer_id(check_shape(credential))
        kid = jws.header.get("kid")
        key = resolver.issuer_key(issuer, kid if isinstance(kid, str) else "")
        verify_jws(jws, key, what="vc+jwt")
        details = _check_common(credential, policy)
    except CheckFailed as exc:
        return failed(exc)
    return Outcome("ok", claims=credential, issuer=issuer, details=details)


# --- Data Integrity -----------------------------------------------------------------------------------


def _hash_data(document: dict[str, Any], proof_config: dict[str, Any], suite: str) -> bytes:
    if suite == "eddsa-rdfc-2022":
        doc_c = canonical_rdf(document).encode()
        proof_c = canonical_rdf(proof_config).encode()
    else:
        doc_c, proof_c = canonical_jcs(document), canonical_jcs(proof_config)
    return hashlib.sha256(proof_c).digest() + hashlib.sha256(doc_c).digest()


def sign_data_integrity(
    credential: dict[str, Any],
    key: ed25519.Ed25519PrivateKey,
    *,
    verification_method: str,
    created: str,
    suite: str = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    """The credential with a DataIntegrityProof (`proofPurpose: assertionMethod`) added."""
    if suite not in SUITES:
        fail("vc.bad_proof", f"unsupported cryptosuite {suite!r}")
    document = {k: v for k, v in credential.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {**proof, "@context": document["@context"]} if "@context" in document else dict(proof)
    if suite == "eddsa-jcs-2022":
        proof = config  # the JCS suite keeps the proof's @context in the secured document
    signature = key.sign(_hash_data(document, config, suite))
    return {**document, "proof": {**proof, "proofValue": base58btc(signature)}}


def _verify_proof(secured: dict[str, Any], resolver: DidResolver) -> str:
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        fail("vc.bad_proof", "the document has no single proof object")
    suite = proof.get("cryptosuite")
    if proof.get("type") != "DataIntegrityProof" or suite not in SUITES:
        fail("vc.bad_proof", f"unsupported proof {proof.get('type')!r}/{suite!r}")
    if proof.get("proofPurpose") != "assertionMethod":
        fail("vc.bad_proof", "proofPurpose must be assertionMethod")
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str):
        fail("vc.bad_proof", "verificationMethod must be a DID URL")
    if "created" in proof:
        parse_datetime(proof["created"], "created")
    signature = multibase_decode(str(proof.get("proofValue", "")), what="proofValue")
    if proof["proofValue"][0] != "z" or len(signature) != 64:
        fail("vc.bad_proof", "proofValue is a base58btc Ed25519 signature")
    document = {k: v for k, v in secured.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite == "eddsa-jcs-2022" and "@context" in config:
        doc_ctx = document.get("@context")
        if not isinstance(doc_ctx, list) or doc_ctx[: len(config["@context"])] != config["@context"]:
            fail("vc.bad_proof", "the proof's @context is not a prefix of the document's")
        document["@context"] = config["@context"]
    elif "@context" in document:
        config["@context"] = document["@context"]
    key = resolver.key_for(vm, "assertionMethod")
    if not isinstance(key, ed25519.Ed25519PublicKey):
        fail("jose.bad_key", "eddsa suites need an Ed25519 key")
    try:
        key.verify(signature, _hash_data(document, config, str(suite)))
    except InvalidSignature:
        fail("jose.bad_signature", "the Data Integrity proof does not verify")
    return vm


def verify_data_integrity(secured: Any, resolver: DidResolver, policy: VcPolicy | None = None) -> Outcome:
    """Verify a Data Integrity secured document; with a policy, also the credential rules."""
    try:
        if isinstance(secured, str | bytes):
            secured = json_object(secured, what="credential", max_bytes=MAX_TOKEN_BYTES)
        if not isinstance(secured, dict):
            fail("input.wrong_type", "a secured document is a JSON object")
        vm = _verify_proof(secured, resolver)
        details: dict[str, Any] = {"verificationMethod": vm}
        issuer = ""
        if policy is not None:
            issuer = issuer_id(check_shape(secured))
            if parse_did_url(vm).did != issuer:
                fail("vc.issuer_mismatch", "the proof's verification method is not the issuer's")
            details.update(_check_common(secured, policy))
    except CheckFailed as exc:
        return failed(exc)
    return Outcome(
        "ok", claims={k: v for k, v in secured.items() if k != "proof"}, issuer=issuer, details=details
    )
