"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the credential profile of SD-JWT used by the EUDI wallet.

Theory of operation
-------------------
An SD-JWT VC is an SD-JWT with header `typ: dc+sd-jwt` and these claims in the clear (never
selectively disclosable, `vc.sd_forbidden` otherwise): `iss` (here a DID), `vct` (the credential
type), `cnf.jwk` (the holder's key, for key binding), `iat`/`nbf`/`exp` and `status` (an IETF Token
Status List reference `{status_list: {idx, uri}}`). Everything else may be disclosable.

`verify` runs the SD-JWT checks of `sdjwt.verify_raw` with the issuer key found through the DID
resolver (`iss` + header `kid`, purpose assertionMethod), then the profile's rules in this order:
typ -> vct present and accepted -> nothing forbidden was disclosed -> issuer trust (the trusted-
issuer registry accredits `iss` for `vct` at the credential's `iat`, EBSI's rule: a credential
issued while its issuer was accredited stays trusted; withdrawing trust for what was already issued
is the issuer's revocation, via the status list) -> status (0 valid, 1 revoked, 2 suspended).

The legacy `typ: vc+sd-jwt` is accepted on verification (wallets in the field still send it) and
never produced. Issuer metadata over HTTPS (`/.well-known/jwt-vc-issuer`) and x5c chains are not
supported: issuers are DIDs, and the ledger's trusted-issuer registry says which DIDs count.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from govledger.identity import sdjwt
from govledger.identity.did import DidResolver
from govledger.identity.errors import CheckFailed, Outcome, fail, failed
from govledger.identity.jose import JwsSigner, PublicKeyT
from govledger.identity.status_list import (
    INVALID,
    SUSPENDED,
    VALID,
    StatusBits,
    token_status_reference,
    verify_status_list_token,
)

TYP = "dc+sd-jwt"
LEGACY_TYP = "vc+sd-jwt"
NEVER_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})


# --- issuance -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRef:
    uri: str
    index: int


def issue(
    signer: JwsSigner,
    *,
    iss: str,
    vct: str,
    claims: dict[str, Any],
    sd_paths: Iterable[sdjwt.Path],
    holder_jwk: dict[str, Any] | None,
    iat: int,
    exp: int = 0,
    nbf: int = 0,
    status: StatusRef | None = None,
    decoys_max: int = 3,
    rng: sdjwt.RandomBytes = secrets.token_bytes,
) -> str:
    """An SD-JWT VC (`<JWT>~<disclosures>~`), signed by `signer` whose kid is a DID URL of `iss`."""
    paths = [tuple(p) for p in sd_paths]
    for p in paths:
        if p and p[0] in NEVER_DISCLOSABLE:
            fail("vc.sd_forbidden", f"{p[0]} must stay in the clear")
    reserved = NEVER_DISCLOSABLE & set(claims)
    if reserved:
        fail("input.wrong_type", f"pass {sorted(reserved)} as arguments, not as claims")
    body: dict[str, Any] = {"iss": iss, "iat": iat, "vct": vct, **claims}
    if exp:
        body["exp"] = exp
    if nbf:
        body["nbf"] = nbf
    if holder_jwk is not None:
        body["cnf"] = {"jwk": holder_jwk}
    if status is not None:
        body["status"] = token_status_reference(status.uri, status.index)
    issued = sdjwt.issue(body, paths, signer, typ=TYP, decoys_max=decoys_max, rng=rng)
    return issued.serialize()


# --- verification -------------------------------------------------------------------------------------


class TrustRegistry(Protocol):
    def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool: ...


class TokenStatusSource(Protocol):
    def token_status(self, uri: str, index: int, issuer: str) -> int:
        """The status value at `index` of the list at `uri` whose issuer is `issuer` (raise CheckFailed)."""
        ...


@dataclass(frozen=True)
class Verifier:
    """A verifier's standing configuration; per-request values go to `verify`."""

    resolver: DidResolver
    trust: TrustRegistry | None = None
    status: TokenStatusSource | None = None
    accepted_vct: tuple[str, ...] = ()
    skew_s: int = 60
    kb_max_age_s: int = 300
    accept_legacy_typ: bool = True

    def issuer_key(self, header: dict[str, Any], payload: dict[str, Any]) -> PublicKeyT:
        iss = payload.get("iss")
        if not isinstance(iss, str):
            fail("vc.missing_claim", "an SD-JWT VC has an `iss` claim")
        kid = header.get("kid", "")
        return self.resolver.issuer_key(iss, kid if isinstance(kid, str) else "")

    def verify(
        self, presentation: Any, *, now_s: int, nonce: str = "", aud: str = "", require_kb: bool = True
    ) -> Outcome:
        """Verify an SD-JWT VC presentation; never raises for bad input."""
        try:
            v, details = self.verify_raw(
                presentation, now_s=now_s, nonce=nonce, aud=aud, require_kb=require_kb
            )
        except CheckFailed as exc:
            return failed(exc)
        return Outcome("ok", claims=v.claims, issuer=str(v.payload["iss"]), details=details)

    def verify_raw(
        self, presentation: Any, *, now_s: int, nonce: str, aud: str, require_kb: bool
    ) -> tuple[sdjwt.VerifiedSdJwt, dict[str, Any]]:
        typs = (TYP, LEGACY_TYP) if self.accept_legacy_typ else (TYP,)
        policy = sdjwt.Policy(
            now_s=now_s,
            skew_s=self.skew_s,
            require_kb=require_kb,
            nonce=nonce,
            aud=aud,
            kb_max_age_s=self.kb_max_age_s,
        )
        v = sdjwt.verify_raw(presentation, self.issuer_key, policy)
        if v.header.get("typ") not in typs:
            fail("vc.bad_typ", f"typ {v.header.get('typ')!r} is not {TYP}")
        vct = v.payload.get("vct")
        if not isinstance(vct, str) or not vct:
            fail("vc.missing_claim", "vct is missing (or was made disclosable)")
        if self.accepted_vct and vct not in self.accepted_vct:
            fail("vc.wrong_type", f"vct {vct[:120]!r} is not accepted here")
        for path in v.disclosed:
            if len(path) == 1 and path[0] in NEVER_DISCLOSABLE:
                fail("vc.sd_forbidden", f"{path[0]} was selectively disclosable")
        iss = str(v.payload["iss"])
        iat = v.payload.get("iat")
        at_s = int(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else now_s
        if self.trust is not None and not self.trust.accredited(iss, vct, at_s):
            fail("vc.untrusted_issuer", f"{iss[:120]} is not accredited for {vct[:120]}")
        status_value = self._status(v.payload, iss)
        details = {
            "vct": vct,
            "header": v.header,
            "kb": v.kb,
            "holder_jwk": v.holder_jwk,
            "disclosed": [list(p) for p in v.disclosed],
            "status": status_value,
        }
        return v, details

    def _status(self, payload: dict[str, Any], iss: str) -> int | None:
        status = payload.get("status")
        if status is None:
            return None
        ref = status.get("status_list") if isinstance(status, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("uri"), str):
            fail("input.wrong_type", "status is {status_list: {idx, uri}}")
        idx = ref.get("idx")
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            fail("input.wrong_type", "status_list.idx is a non-negative integer")
        if self.status is None:
            return None
        value = self.status.token_status(ref["uri"], idx, iss)
        if value == SUSPENDED:
            fail("vc.suspended", "the credential is suspended")
        if value != VALID:
            fail(
                "vc.revoked",
                f"the credential's status is {value} (invalid)" if value != INVALID else "revoked",
            )
        return value


class FetchedTokenStatus:
    """Token Status Lists fetched as `statuslist+jwt` (by an injected fetcher) and verified.

    The token must verify under a key of the credential's own issuer (its DID, `kid` in the token
    header) and its `sub` must be the URI the credential names. A verified list is cached for
    `max_ttl_s` against the injected clock (the token's own `ttl` is not consulted yet), in a
    table of at most `max_entries` lists.
    """

    def __init__(
        self,
        fetch: Callable[[str], str | None],
        resolver: DidResolver,
        clock: Callable[[], float],
        *,
        max_entries: int = 256,
        max_ttl_s: int = 3600,
    ) -> None:
        self._fetch, self._resolver, self._clock = fetch, resolver, clock
        self._cache: dict[tuple[str, str], tuple[float, StatusBits]] = {}
        self._max_entries, self._max_ttl_s = max_entries, max_ttl_s

    def token_status(self, uri: str, index: int, issuer: str) -> int:
        now = self._clock()
        hit = self._cache.get((uri, issuer))
        if hit is None or hit[0] <= now:
            token = self._fetch(uri)
            if token is None:
                fail("vc.status_unavailable", f"the status list {uri[:120]} could not be fetched")
            from govledger.identity.jose import decode_jws

            kid = decode_jws(token, what="status list token").header.get("kid", "")
            key = self._resolver.issuer_key(issuer, kid if isinstance(kid, str) else "")
            try:
                values = verify_status_list_token(token, uri=uri, key=key, now_s=int(now))
            except CheckFailed as exc:
                fail("vc.status_unavailable", f"status list token: {exc.code}: {exc.message}")
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            hit = (now + self._max_ttl_s, values)
            self._cache[(uri, issuer)] = hit
        try:
            return hit[1].get(index)
        except CheckFailed as exc:
            fail("vc.status_unavailable", exc.message)


class StaticTrust:
    """A trust list in memory: {(issuer DID, credential type)}; for tests and closed deployments."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = set(pairs)

    def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool:
        return (issuer, credential_type) in self._pairs
