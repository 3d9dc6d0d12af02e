"""Failure codes of the credential formats and protocols, and the `Outcome` every check returns.

Theory of operation
-------------------
Inside this package a failed check raises `CheckFailed(code, message)`; the public `verify_*`
functions catch it (and the few library exceptions malformed input can provoke) at their boundary
and return an `Outcome`. Callers therefore branch on `outcome.ok` / `outcome.code` and never see an
exception for bad input. `CODES` is the contract: docs/apps/identity.md lists the same words and
`fail` refuses a code that is not in the table, so a new rule cannot ship without its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from govledger.errors import GovledgerError

CODES: dict[str, str] = {
    # input shape
    "input.too_large": "a token, disclosure or document exceeds its size bound (64 KiB by default)",
    "input.malformed": "not the expected serialisation (base64url, JSON, compact JWS, multibase)",
    "input.bad_json": "invalid JSON, a duplicate member name, a non-finite number, or nested too deep",
    "input.wrong_type": "a member has the wrong JSON type or a required member is missing",
    # JOSE
    "jose.alg_none": "the token is unsigned (`alg: none`); never accepted",
    "jose.unsupported_alg": "the algorithm is not on the allow list (EdDSA/Ed25519, ES256, ES384)",
    "jose.bad_key": "a JWK is malformed, of an unsupported type, or does not fit the algorithm",
    "jose.private_key": "a JWK that should be public carries private members",
    "jose.bad_signature": "the signature does not verify",
    "jose.bad_typ": "the `typ` header is not the one this format requires",
    "jose.crit": "the token has a `crit` header this implementation does not understand",
    # time
    "time.expired": "`exp` (or `validUntil`) has passed, beyond the allowed clock skew",
    "time.not_yet_valid": "`nbf` (or `validFrom`) is in the future, beyond the allowed clock skew",
    "time.issued_in_future": "`iat` is in the future, beyond the allowed clock skew",
    "time.bad_claim": "a time claim is not a number (NumericDate) or not an XML Schema dateTime",
    # DIDs
    "did.malformed": "not a syntactically valid DID or DID URL",
    "did.unsupported_method": "no resolver is configured for the DID method",
    "did.not_found": "the DID does not resolve (unknown, not cached, or not served)",
    "did.deactivated": "the DID was deactivated on its ledger",
    "did.bad_document": "the DID document is malformed or its id differs from the DID",
    "did.key_not_found": "no verification method with that id for that purpose in the DID document",
    # SD-JWT
    "sdjwt.malformed": "not an SD-JWT (compact `<jwt>~<disclosure>~...~[kb-jwt]` or JSON serialisation)",
    "sdjwt.bad_disclosure": "a disclosure is not a JSON array [salt, name, value] or [salt, value]",
    "sdjwt.unreferenced_disclosure": "a disclosure is not referenced by any digest in the SD-JWT",
    "sdjwt.duplicate_digest": "a digest appears twice, or two disclosures have the same digest",
    "sdjwt.duplicate_claim": "a disclosed claim name already exists at its level, or is reserved",
    "sdjwt.unsupported_hash": "`_sd_alg` is not sha-256, sha-384 or sha-512",
    "sdjwt.too_deep": "the payload or a disclosure nests deeper than the bound",
    "sdjwt.kb_required": "the verifier requires key binding and the presentation has no KB-JWT",
    "sdjwt.kb_unexpected": "a KB-JWT is present but the SD-JWT has no `cnf` key to check it",
    "sdjwt.no_holder_key": "the SD-JWT has no usable `cnf.jwk` holder key",
    "sdjwt.kb_bad_typ": "the KB-JWT `typ` is not `kb+jwt`",
    "sdjwt.kb_nonce": "the KB-JWT nonce differs from the one the verifier issued",
    "sdjwt.kb_audience": "the KB-JWT audience differs from the verifier's identifier",
    "sdjwt.kb_stale": "the KB-JWT `iat` is older than the freshness window",
    "sdjwt.kb_sd_hash": "the KB-JWT `sd_hash` does not match the presented SD-JWT and disclosures",
    # SD-JWT VC and W3C VC
    "vc.bad_typ": "the credential's `typ` is not `dc+sd-jwt` / `vc+jwt`",
    "vc.missing_claim": "a claim the format requires (iss, vct, @context, type, issuer...) is absent",
    "vc.sd_forbidden": "a claim that must stay in the clear (iss, exp, nbf, cnf, vct, status) is disclosable",
    "vc.wrong_type": "the credential type (vct / VC type) is not one the verifier accepts",
    "vc.issuer_mismatch": "the signing key does not belong to the credential's issuer",
    "vc.untrusted_issuer": "the trusted-issuer registry does not accredit the issuer for this type",
    "vc.revoked": "the credential's status list entry says revoked / invalid",
    "vc.suspended": "the credential's status list entry says suspended",
    "vc.status_unavailable": "the status list could not be fetched, verified or read at the index",
    "vc.bad_context": "the JSON-LD `@context` is missing, not first the VC 2.0 context, or not packaged",
    "vc.bad_proof": "a Data Integrity proof is malformed (type, cryptosuite, purpose, options)",
    "vc.canonicalization": "the document cannot be canonicalised (RDFC-1.0 / JCS)",
    # status lists
    "status.bad_list": "a status list is malformed (compression, size, bits, encoding)",
    "status.bad_index": "a status index is outside the list",
    # OpenID4VCI / OpenID4VP
    "oid4vc.invalid_request": "a protocol message lacks a parameter or has a wrong one",
    "oid4vc.invalid_grant": "unknown, used or expired pre-authorized code, or wrong tx_code",
    "oid4vc.invalid_token": "unknown or expired access token",
    "oid4vc.invalid_proof": "the key proof JWT is malformed, mis-signed, or for another audience",
    "oid4vc.invalid_nonce": "the proof's nonce is unknown, used or expired",
    "oid4vc.unknown_configuration": "the credential configuration id is not offered by this issuer",
    "oid4vc.dcql": "a DCQL query is malformed or the presentation does not satisfy it",
    "oid4vc.unauthorized": "the back-office endpoint needs its bearer token",
    "oid4vc.unknown_transaction": "the verifier has no open request with that state",
}


class CheckFailed(GovledgerError):
    """A failed credential or protocol check (internal; turned into an `Outcome` at the boundary)."""


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented identity code {code}"
    raise CheckFailed(code, message)


@dataclass(frozen=True)
class Outcome:
    """The result of a verification: `code` is "ok" or a failure code from `CODES`.

    `claims` holds what was verified (disclosed claims, the credential); `issuer` the issuer id;
    `details` format-specific facts (headers, KB-JWT payload, the key used, status values).
    """

    code: str
    message: str = ""
    claims: Mapping[str, Any] = field(default_factory=dict)
    issuer: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == "ok"


def failed(exc: CheckFailed) -> Outcome:
    return Outcome(code=exc.code, message=exc.message)
