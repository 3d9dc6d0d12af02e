"""OpenID for Verifiable Credential Issuance 1.0: the pre-authorized code flow, as pure protocol logic.

Theory of operation
-------------------
    back office          wallet                                  issuer (this module)
    create_offer ----->  offer (QR / link) + tx_code out of band
                         GET  /.well-known/openid-credential-issuer   -> issuer_metadata
                         POST token  (pre-authorized_code, tx_code)  -> access_token
                         POST nonce                                  -> c_nonce
                         POST credential {credential_configuration_id,
                                          proofs: {jwt: [proof]}}    -> {credentials: [{credential}]}

`IssuerFlow` holds the short-lived protocol state (offers, access tokens, nonces), every table
bounded and every entry with an expiry, against `now_s` handed in by the caller (no clock, no
randomness of its own: `rng` is injected). Issuing the credential itself is a callback (`Mint`),
so the same flow serves SD-JWT VC, certificates and derived age/residence credentials.

Rules (each failure is a `CheckFailed` with an `oid4vc.*` code the API maps to the OAuth error):
- a pre-authorized code is single use, expires (`offer_ttl_s`) and, when the offer has a tx_code,
  needs it; after `TX_CODE_ATTEMPTS` wrong tx_codes the code is burnt (a 6-digit PIN must not be
  guessable online) -> `invalid_grant`;
- an access token is bound to its offer's configurations and expires -> `invalid_token`;
- a key proof (`typ: openid4vci-proof+jwt`, holder key as `jwk` header, alg on the allow list) is
  signed by that key, `aud` = the credential issuer, `iat` fresh, and `nonce` a c_nonce this issuer
  handed out and nobody used yet -> `invalid_proof` / `invalid_nonce`. The credential is bound to
  the proof's key (`cnf.jwk`).
"""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import segno

from govledger.identity.encoding import b64url_encode, json_dumps, json_object
from govledger.identity.errors import CheckFailed, fail
from govledger.identity.jose import ALGORITHMS, decode_jws, public_key_from_jwk, verify_jws

PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
OFFER_SCHEME = "openid-credential-offer://"
FORMAT = "dc+sd-jwt"
TX_CODE_ATTEMPTS = 5
MAX_PROOFS = 4

K = TypeVar("K")
V = TypeVar("V")


class BoundedTable(Generic[K, V]):
    """An insertion-ordered table with a hard size bound; the oldest entries go first."""

    def __init__(self, max_entries: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._max = max_entries

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class CredentialConfiguration:
    """One credential the issuer offers (`credential_configurations_supported` entry)."""

    id: str
    vct: str
    display_name: str = ""
    sd_paths: tuple[tuple[str | int, ...], ...] | None = None  # None: every top-level claim
    ttl_s: int = 365 * 24 * 3600
    status_list_id: str = ""  # allocate a status entry per credential from this ledger list

    def metadata(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "format": FORMAT,
            "vct": self.vct,
            "cryptographic_binding_methods_supported": ["jwk"],
            "credential_signing_alg_values_supported": list(ALGORITHMS),
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(ALGORITHMS)}},
        }
        if self.display_name:
            entry["credential_metadata"] = {"display": [{"name": self.display_name, "locale": "en"}]}
        return entry


def issuer_metadata(
    credential_issuer: str, configurations: Mapping[str, CredentialConfiguration]
) -> dict[str, Any]:
    return {
        "credential_issuer": credential_issuer,
        "authorization_servers": [credential_issuer],
        "credential_endpoint": f"{credential_issuer}/credential",
        "nonce_endpoint": f"{credential_issuer}/nonce",
        "batch_credential_issuance": {"batch_size": MAX_PROOFS},
        "credential_configurations_supported": {cid: c.metadata() for cid, c in configurations.items()},
    }


def authorization_server_metadata(credential_issuer: str) -> dict[str, Any]:
    return {
        "issuer": credential_issuer,
        "token_endpoint": f"{credential_issuer}/token",
        "grant_types_supported": [PRE_AUTH_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
    }


def well_known_url(credential_issuer: str, name: str) -> str:
    """RFC 8615 placement: the well-known segment goes between host and path."""
    u = urllib.parse.urlsplit(credential_issuer)
    return f"{u.scheme}://{u.netloc}/.well-known/{name}{u.path.rstrip('/')}"


def offer_uri(offer: Mapping[str, Any]) -> str:
    return OFFER_SCHEME + "?credential_offer=" + urllib.parse.quote(json_dumps(dict(offer)), safe="")


def parse_offer_uri(uri: str) -> dict[str, Any]:
    if not isinstance(uri, str) or len(uri) > 16 * 1024:
        fail("oid4vc.invalid_request", "a credential offer URI is a string of at most 16 KiB")
    query = urllib.parse.urlsplit(uri).query
    values = urllib.parse.parse_qs(query).get("credential_offer")
    if not values:
        fail(
            "oid4vc.invalid_request",
            "the URI has no credential_offer (credential_offer_uri is not supported)",
        )
    offer = json_object(values[0], what="credential offer")
    if not isinstance(offer.get("credential_issuer"), str) or not isinstance(
        offer.get("credential_configuration_ids"), list
    ):
        fail("oid4vc.invalid_request", "an offer names credential_issuer and credential_configuration_ids")
    return offer


def offer_qr_svg(uri: str) -> str:
    """The offer as an SVG QR code (error correction M), for a screen or a letter."""
    qr = segno.make(uri, error="m", micro=False)
    return str(qr.svg_inline(scale=4))


def offer_qr_png(uri: str) -> bytes:
    import io

    buf = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buf, kind="png", scale=4)
    return buf.getvalue()


# --- issuer side --------------------------------------------------------------------------------------


@dataclass
class Offer:
    code: str
    configuration_ids: tuple[str, ...]
    claims: dict[str, Any]
    tx_code: str
    expires_s: int
    subject_ref: bytes = b""
    attempts: int = 0


@dataclass
class AccessGrant:
    offer: Offer
    expires_s: int
    issued: int = 0


@dataclass(frozen=True)
class MintRequest:
    configuration: CredentialConfiguration
    claims: dict[str, Any]
    holder_jwk: dict[str, Any]
    subject_ref: bytes
    now_s: int


Mint = Callable[[MintRequest], str]


@dataclass
class IssuerFlow:
    credential_issuer: str
    configurations: Mapping[str, CredentialConfiguration]
    mint: Mint
    rng: Callable[[int], bytes] = secrets.token_bytes
    offer_ttl_s: int = 600
    token_ttl_s: int = 300
    nonce_ttl_s: int = 300
    proof_max_age_s: int = 300
    skew_s: int = 60
    max_entries: int = 10_000
    offers: BoundedTable[str, Offer] = field(init=False)
    tokens: BoundedTable[str, AccessGrant] = field(init=False)
    nonces: BoundedTable[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.offers = BoundedTable(self.max_entries)
        self.tokens = BoundedTable(self.max_entries)
        self.nonces = BoundedTable(self.max_entries)

    def _secret(self, n: int = 32) -> str:
        return b64url_encode(self.rng(n))

    def create_offer(
        self,
        configuration_ids: list[str],
        claims: dict[str, Any],
        *,
        now_s: int,
        with_tx_code: bool = True,
        subject_ref: bytes = b"",
    ) -> tuple[dict[str, Any], str]:
        """A credential offer and its tx_code (to send by another channel; "" when none)."""
        for cid in configuration_ids:
            if cid not in self.configurations:
                fail("oid4vc.unknown_configuration", f"no credential configuration {cid!r}")
        tx_code = f"{int.from_bytes(self.rng(8), 'big') % 1_000_000:06d}" if with_tx_code else ""
        offer = Offer(
            self._secret(),
            tuple(configuration_ids),
            dict(claims),
            tx_code,
            now_s + self.offer_ttl_s,
            subject_ref,
        )
        self.offers.put(offer.code, offer)
        grant: dict[str, Any] = {"pre-authorized_code": offer.code}
        if tx_code:
            grant["tx_code"] = {"input_mode": "numeric", "length": 6, "description": "The code we sent you"}
        body = {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": list(configuration_ids),
            "grants": {PRE_AUTH_GRANT: grant},
        }
        return body, tx_code

    def token(self, form: Mapping[str, str], *, now_s: int) -> dict[str, Any]:
        if form.get("grant_type") != PRE_AUTH_GRANT:
            fail("oid4vc.invalid_request", "grant_type must be the pre-authorized_code grant")
        code = form.get("pre-authorized_code", "")
        offer = self.offers.get(code) if code else None
        if offer is None or offer.expires_s < now_s:
            fail("oid4vc.invalid_grant", "unknown, used or expired pre-authorized code")
        if offer.tx_code and not hmac.compare_digest(form.get("tx_code", ""), offer.tx_code):
            offer.attempts += 1
            if offer.attempts >= TX_CODE_ATTEMPTS:
                self.offers.pop(code)
            fail("oid4vc.invalid_grant", "wrong tx_code")
        self.offers.pop(code)
        access = self._secret()
        self.tokens.put(access, AccessGrant(offer, now_s + self.token_ttl_s))
        return {"access_token": access, "token_type": "Bearer", "expires_in": self.token_ttl_s}

    def nonce(self, *, now_s: int) -> dict[str, Any]:
        value = self._secret(24)
        self.nonces.put(value, now_s + self.nonce_ttl_s)
        return {"c_nonce": value}

    def _grant(self, authorization: str, now_s: int) -> AccessGrant:
        scheme, _, token = authorization.partition(" ")
        grant = self.tokens.get(token) if scheme.lower() == "bearer" and token else None
        if grant is None or grant.expires_s < now_s:
            fail("oid4vc.invalid_token", "unknown or expired access token")
        return grant

    def check_proof(self, proof: Any, *, now_s: int) -> dict[str, Any]:
        """The holder JWK a key proof proves possession of (consumes its nonce)."""
        try:
            jws = decode_jws(proof, what="key proof")
            if jws.header.get("typ") != PROOF_TYP:
                fail("jose.bad_typ", f"a key proof has typ {PROOF_TYP}")
            jwk = jws.header.get("jwk")
            if not isinstance(jwk, dict):
                fail("jose.bad_key", "the key proof carries the holder key as `jwk`")
            verify_jws(jws, public_key_from_jwk(jwk), what="key proof")
            body = jws.payload_json("key proof")
        except CheckFailed as exc:
            fail("oid4vc.invalid_proof", f"{exc.code}: {exc.message}")
        if body.get("aud") != self.credential_issuer:
            fail("oid4vc.invalid_proof", "the proof's aud is not this credential issuer")
        iat = body.get("iat")
        if (
            not isinstance(iat, int)
            or isinstance(iat, bool)
            or not now_s - self.proof_max_age_s <= iat <= now_s + self.skew_s
        ):
            fail("oid4vc.invalid_proof", "the proof's iat is missing or not fresh")
        nonce = body.get("nonce")
        expires = self.nonces.pop(nonce) if isinstance(nonce, str) else None
        if expires is None or expires < now_s:
            fail("oid4vc.invalid_nonce", "the proof's nonce is unknown, used or expired")
        return {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}

    def credential(self, authorization: str, request: Any, *, now_s: int) -> dict[str, Any]:
        grant = self._grant(authorization, now_s)
        if not isinstance(request, dict):
            fail("oid4vc.invalid_request", "the credential request is a JSON object")
        cid = request.get("credential_configuration_id")
        if not isinstance(cid, str) or cid not in grant.offer.configuration_ids:
            fail("oid4vc.unknown_configuration", "the configuration id was not offered with this token")
        proofs = request.get("proofs")
        jwts = proofs.get("jwt") if isinstance(proofs, dict) and len(proofs) == 1 else None
        if not isinstance(jwts, list) or not 1 <= len(jwts) <= MAX_PROOFS:
            fail("oid4vc.invalid_proof", f"proofs is {{jwt: [1..{MAX_PROOFS} key proofs]}}")
        if grant.issued + len(jwts) > MAX_PROOFS:
            fail("oid4vc.invalid_token", "this token has issued its batch")
        holder_keys = [self.check_proof(p, now_s=now_s) for p in jwts]
        grant.issued += len(jwts)
        config = self.configurations[cid]
        credentials = [
            {
                "credential": self.mint(
                    MintRequest(config, grant.offer.claims, jwk, grant.offer.subject_ref, now_s)
                )
            }
            for jwk in holder_keys
        ]
        return {"credentials": credentials}


OAUTH_ERRORS = {
    "oid4vc.invalid_request": ("invalid_request", 400),
    "oid4vc.invalid_grant": ("invalid_grant", 400),
    "oid4vc.invalid_token": ("invalid_token", 401),
    "oid4vc.invalid_proof": ("invalid_proof", 400),
    "oid4vc.invalid_nonce": ("invalid_nonce", 400),
    "oid4vc.unknown_configuration": ("unknown_credential_configuration", 400),
}


def oauth_error(exc: CheckFailed) -> tuple[dict[str, str], int]:
    """The OAuth error body and HTTP status for a failed step (RFC 6749 §5.2, OID4VCI §8.3.1.2)."""
    error, status = OAUTH_ERRORS.get(exc.code, ("invalid_request", 400))
    return {"error": error, "error_description": exc.message, "code": exc.code}, status
