"""HTTP edge of the identity service: an OpenID4VCI issuer, an OpenID4VP verifier, status lists, DIDs.

Mount: `app.include_router(govledger.identity.api.router)` and set `app.state.identity` to an
`IdentityService` (the node wiring builds one from its config and committed state). Routes:

    GET  /.well-known/openid-credential-issuer/identity/issuer   issuer metadata (OID4VCI §12.2)
    GET  /.well-known/oauth-authorization-server/identity/issuer AS metadata (token endpoint)
    POST /identity/issuer/offers        back office: create an offer (Bearer admin token)
    POST /identity/issuer/token         pre-authorized_code grant (form)
    POST /identity/issuer/nonce         c_nonce (Cache-Control: no-store)
    POST /identity/issuer/credential    {credential_configuration_id, proofs: {jwt: [...]}}
    GET  /identity/status/{list_id}                 Token Status List (`statuslist+jwt`)
    GET  /identity/status/{list_id}/{purpose}       W3C BitstringStatusListCredential (`vc+jwt`)
    GET  /identity/dids/{did}                       DID resolution (did:govledger from state, key, jwk, web)
    GET  /identity/trust?issuer=&type=&at_ms=       trusted-issuer registry answer
    POST /identity/verifier/requests    start an OpenID4VP request from a DCQL query
    POST /identity/verifier/response    direct_post endpoint (form: vp_token, state)
    GET  /identity/verifier/results/{state}         what the verifier learnt
    POST /identity/verify               verify one credential/presentation (dc+sd-jwt, vc+jwt, di)

Who signs what: the issuer service signs credentials and published status lists with its DID key
(`issuer_signer`, kid = DID URL); the ledger stores the DID document, accreditations and status
values; wallets sign key proofs and KB-JWTs. The ledger is reached through `LedgerPort` (a reader
of committed state and a way to allocate status indices), so this module needs no node.

Errors: OAuth endpoints answer `{error, error_description, code}` (RFC 6749 §5.2); the others the
API's usual `{"error": {"code", "message"}}`, 4xx. Request bodies are capped at 64 KiB.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from govledger.apps.identity import queries as idq
from govledger.apps.identity import store as idstore
from govledger.apps.identity.model import ByListId, TrustedAt
from govledger.identity import oid4vci, oid4vp, sdjwt_vc, vc
from govledger.identity.did import DidResolver, LedgerMethod, WebMethod
from govledger.identity.encoding import MAX_TOKEN_BYTES, json_loads
from govledger.identity.errors import CheckFailed, Outcome, fail
from govledger.identity.jose import JwsSigner
from govledger.identity.oid4vci import CredentialConfiguration, IssuerFlow, MintRequest
from govledger.identity.oid4vp import VerifierFlow
from govledger.identity.status_list import (
    StatusBits,
    bitstring_status_list_credential,
    status_list_token,
)
from govledger.ledger.app import AppView
from govledger.ledger.state import StateReader

MAX_BODY = MAX_TOKEN_BYTES


class LedgerPort(Protocol):
    chain_id: str

    def reader(self) -> StateReader:
        """The latest committed state."""
        ...

    def allocate(self, list_id: str, count: int, subject_ref: bytes) -> list[int]:
        """Submit `identity.status_allocate` signed by the issuer, wait for commit, return the indices."""
        ...


@dataclass
class IdentityService:
    base_url: str
    ledger: LedgerPort
    issuer_did: str
    issuer_signer: JwsSigner
    configurations: dict[str, CredentialConfiguration]
    admin_token: str = ""
    require_trust: bool = True
    web_dids: Mapping[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    rng: Callable[[int], bytes] = secrets.token_bytes
    issuer: IssuerFlow = field(init=False)
    verifier_flow: VerifierFlow = field(init=False)
    resolver: DidResolver = field(init=False)
    lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        ledger = LedgerMethod(lambda did: idq.LedgerDids(self.view())(did), self.ledger.chain_id)
        self.resolver = DidResolver({"govledger": ledger, "web": WebMethod(documents=self.web_dids)})
        self.issuer = IssuerFlow(self.credential_issuer, self.configurations, self.mint, rng=self.rng)
        self.verifier_flow = VerifierFlow(
            f"{self.base_url}/identity/verifier/response", self.verifier(), rng=self.rng
        )

    @property
    def credential_issuer(self) -> str:
        return f"{self.base_url}/identity/issuer"

    def now_s(self) -> int:
        return int(self.clock())

    def view(self) -> AppView:
        return AppView(self.ledger.reader(), idq.NAME)

    def verifier(self) -> sdjwt_vc.Verifier:
        return sdjwt_vc.Verifier(
            self.resolver,
            trust=_LiveTrust(self) if self.require_trust else None,
            status=_LiveStatus(self),
        )

    def status_uri(self, list_id: str) -> str:
        return f"{self.base_url}/identity/status/{list_id}"

    def mint(self, req: MintRequest) -> str:
        """Issue one SD-JWT VC for an accepted credential request (OID4VCI's last step)."""
        cfg = req.configuration
        status = None
        if cfg.status_list_id:
            lst = idstore.get_list(self.view(), cfg.status_list_id)
            if lst is None:
                fail("oid4vc.invalid_request", f"status list {cfg.status_list_id!r} does not exist")
            (index,) = self.ledger.allocate(cfg.status_list_id, 1, req.subject_ref)
            status = sdjwt_vc.StatusRef(lst.uri, index)
        paths = cfg.sd_paths if cfg.sd_paths is not None else [(k,) for k in req.claims]
        return sdjwt_vc.issue(
            self.issuer_signer,
            iss=self.issuer_did,
            vct=cfg.vct,
            claims=req.claims,
            sd_paths=paths,
            holder_jwk=req.holder_jwk,
            iat=req.now_s,
            exp=req.now_s + cfg.ttl_s,
            status=status,
            rng=self.rng,
        )


class _LiveTrust:
    def __init__(self, svc: IdentityService) -> None:
        self._svc = svc

    def accredited(self, issuer: str, credential_type: str, at_s: int) -> bool:
        return idq.LedgerTrust(self._svc.view()).accredited(issuer, credential_type, at_s)


class _LiveStatus:
    def __init__(self, svc: IdentityService) -> None:
        self._svc = svc

    def token_status(self, uri: str, index: int, issuer: str) -> int:
        return idq.LedgerStatus(self._svc.view()).token_status(uri, index, issuer)

    def bitstring_status(self, list_credential: str, purpose: str, index: int, issuer: str) -> int:
        return idq.LedgerStatus(self._svc.view()).bitstring_status(list_credential, purpose, index, issuer)


router = APIRouter(tags=["identity"])


def service_of(request: Request) -> IdentityService:
    svc: IdentityService = request.app.state.identity
    return svc


def _error(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _oauth(exc: CheckFailed) -> JSONResponse:
    body, status = oid4vci.oauth_error(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(body, status_code=status, headers={**headers, "Cache-Control": "no-store"})


async def _body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        fail("input.too_large", f"request bodies are at most {MAX_BODY} bytes")
    return raw


async def _form(request: Request) -> dict[str, str]:
    raw = await _body(request)
    try:
        pairs = urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        fail("oid4vc.invalid_request", "the form is not UTF-8")
    if any(len(v) != 1 for v in pairs.values()):
        fail("oid4vc.invalid_request", "a form parameter appears more than once")
    return {k: v[0] for k, v in pairs.items()}


async def _json(request: Request) -> Any:
    return json_loads(await _body(request), what="request body")


def _no_store(body: Any) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# --- issuer -------------------------------------------------------------------------------------------


@router.get("/.well-known/openid-credential-issuer/identity/issuer")
def issuer_metadata(request: Request) -> JSONResponse:
    svc = service_of(request)
    return JSONResponse(oid4vci.issuer_metadata(svc.credential_issuer, svc.configurations))


@router.get("/.well-known/oauth-authorization-server/identity/issuer")
def as_metadata(request: Request) -> JSONResponse:
    return JSONResponse(oid4vci.authorization_server_metadata(service_of(request).credential_issuer))


@router.post("/identity/issuer/offers")
async def create_offer(request: Request) -> JSONResponse:
    svc = service_of(request)
    token = request.headers.get("authorization", "")
    if not svc.admin_token or not secrets.compare_digest(token, f"Bearer {svc.admin_token}"):
        return _error("oid4vc.unauthorized", "creating offers needs the back-office token", 401)
    try:
        body = await _json(request)
        if not isinstance(body, dict):
            fail("oid4vc.invalid_request", "the body is a JSON object")
        ids = body.get("credential_configuration_ids")
        claims = body.get("claims")
        if (
            not isinstance(ids, list)
            or not all(isinstance(i, str) for i in ids)
            or not isinstance(claims, dict)
        ):
            fail(
                "oid4vc.invalid_request",
                "credential_configuration_ids (strings) and claims (object) are required",
            )
        ref_hex = body.get("subject_ref", "")
        ref = bytes.fromhex(ref_hex) if isinstance(ref_hex, str) and len(ref_hex) in (0, 64) else None
        if ref is None:
            fail("oid4vc.invalid_request", "subject_ref is 64 hex digits")
        with svc.lock:
            offer, tx_code = svc.issuer.create_offer(
                ids,
                claims,
                now_s=svc.now_s(),
                with_tx_code=body.get("tx_code", True) is not False,
                subject_ref=ref,
            )
    except (CheckFailed, ValueError) as exc:
        code = exc.code if isinstance(exc, CheckFailed) else "oid4vc.invalid_request"
        return _error(code, str(getattr(exc, "message", exc)))
    uri = oid4vci.offer_uri(offer)
    return _no_store(
        {"offer": offer, "offer_uri": uri, "tx_code": tx_code, "qr_svg": oid4vci.offer_qr_svg(uri)}
    )


@router.post("/identity/issuer/token")
async def token(request: Request) -> JSONResponse:
    svc = service_of(request)
    try:
        form = await _form(request)
        with svc.lock:
            return _no_store(svc.issuer.token(form, now_s=svc.now_s()))
    except CheckFailed as exc:
        return _oauth(exc)


@router.post("/identity/issuer/nonce")
def nonce(request: Request) -> JSONResponse:
    svc = service_of(request)
    with svc.lock:
        return _no_store(svc.issuer.nonce(now_s=svc.now_s()))


@router.post("/identity/issuer/credential")
async def credential(request: Request) -> JSONResponse:
    svc = service_of(request)
    try:
        body = await _json(request)
        with svc.lock:
            return _no_store(
                svc.issuer.credential(request.headers.get("authorization", ""), body, now_s=svc.now_s())
            )
    except CheckFailed as exc:
        if not exc.code.startswith("oid4vc."):
            exc = CheckFailed("oid4vc.invalid_request", f"{exc.code}: {exc.message}")
        return _oauth(exc)


# --- status lists -------------------------------------------------------------------------------------


def _values(svc: IdentityService, list_id: str) -> tuple[Any, StatusBits] | None:
    values = idq.status_values(svc.view(), ByListId(list_id))
    if values is None or values.list.issuer_did != svc.issuer_did:
        return None
    return values, StatusBits(values.list.bits, values.data)


@router.get("/identity/status/{list_id}")
def status_token(request: Request, list_id: str) -> Response:
    svc = service_of(request)
    found = _values(svc, list_id)
    if found is None:
        return _error("identity.unknown_list", f"no status list {list_id[:64]!r} of this issuer", 404)
    values, bits = found
    jwt = status_list_token(
        bits, uri=values.list.uri, signer=svc.issuer_signer, iat=svc.now_s(), iss=svc.issuer_did
    )
    return Response(jwt, media_type="application/statuslist+jwt")


@router.get("/identity/status/{list_id}/{purpose}")
def status_bitstring(request: Request, list_id: str, purpose: str) -> Response:
    svc = service_of(request)
    found = _values(svc, list_id)
    if found is None or purpose not in idq.W3C_SUFFIX:
        return _error(
            "identity.unknown_list", f"no {purpose[:20]!r} list {list_id[:64]!r} of this issuer", 404
        )
    values, _ = found
    cred = bitstring_status_list_credential(
        list_id=f"{values.list.uri}/{purpose}",
        issuer=svc.issuer_did,
        purpose=purpose,
        bitstring=idq.w3c_bitstring(values, purpose),
        valid_from=vc.format_datetime(svc.now_s()),
    )
    return Response(vc.sign_jose(cred, svc.issuer_signer), media_type="application/vc+jwt")


# --- DIDs and trust -----------------------------------------------------------------------------------


@router.get("/identity/dids/{did:path}")
def resolve_did(request: Request, did: str) -> JSONResponse:
    res = service_of(request).resolver.resolve(did)
    if not res.ok or res.document is None:
        status = 404 if res.code in ("did.not_found", "did.deactivated") else 400
        return _error(res.code, res.message, status)
    doc = res.document
    return JSONResponse({"didDocument": doc.document, "didDocumentMetadata": dict(doc.metadata)})


@router.get("/identity/trust")
def trust(request: Request, issuer: str, type: str, at_ms: int = 0) -> JSONResponse:
    svc = service_of(request)
    at = at_ms or svc.now_s() * 1000
    answer = idq.trusted(svc.view(), TrustedAt(issuer, type, at))
    acc = answer.accreditation
    return JSONResponse(
        {
            "trusted": answer.trusted,
            "accreditation": None
            if acc is None
            else {
                "valid_from_ms": acc.valid_from_ms,
                "valid_until_ms": acc.valid_until_ms,
                "withdrawn": acc.withdrawn,
                "version": acc.version,
                "height": acc.height,
            },
            "proofs": "POST /v1/query/identity/trusted with {issuer_did, credential_type, at_ms} adds proofs",
        }
    )


# --- verifier -----------------------------------------------------------------------------------------


@router.post("/identity/verifier/requests")
async def start_request(request: Request) -> JSONResponse:
    svc = service_of(request)
    try:
        body = await _json(request)
        if not isinstance(body, dict):
            fail("oid4vc.invalid_request", "the body is a JSON object with dcql_query")
        with svc.lock:
            req = svc.verifier_flow.start(body.get("dcql_query"), now_s=svc.now_s())
    except CheckFailed as exc:
        return _error(exc.code, exc.message)
    return _no_store({"request": req, "request_uri": oid4vp.request_uri(req)})


@router.post("/identity/verifier/response")
async def direct_post(request: Request) -> JSONResponse:
    svc = service_of(request)
    try:
        form = await _form(request)
        with svc.lock:
            result = svc.verifier_flow.response(form, now_s=svc.now_s())
    except CheckFailed as exc:
        return _error(exc.code, exc.message)
    if not result.ok:
        return _error(result.code, result.message)
    return _no_store({})


@router.get("/identity/verifier/results/{state}")
def result(request: Request, state: str) -> JSONResponse:
    svc = service_of(request)
    with svc.lock:
        found = svc.verifier_flow.results.get(state)
    if found is None:
        return _error("oid4vc.unknown_transaction", "no result for that state", 404)
    return _no_store({"code": found.code, "message": found.message, "credentials": dict(found.credentials)})


@router.post("/identity/verify")
async def verify(request: Request) -> JSONResponse:
    """Verify one credential: {format: dc+sd-jwt | vc+jwt | di, credential, nonce?, aud?, require_kb?}."""
    svc = service_of(request)
    try:
        body = await _json(request)
        if not isinstance(body, dict):
            fail("input.wrong_type", "the body is a JSON object")
    except CheckFailed as exc:
        return _error(exc.code, exc.message)
    out = verify_any(svc, body)
    return JSONResponse(
        {"code": out.code, "message": out.message, "issuer": out.issuer, "claims": dict(out.claims)},
        status_code=200 if out.ok else 422,
    )


def verify_any(svc: IdentityService, body: Mapping[str, Any]) -> Outcome:
    fmt = body.get("format", "dc+sd-jwt")
    now = svc.now_s()
    if fmt == "dc+sd-jwt":
        return svc.verifier().verify(
            body.get("credential"),
            now_s=now,
            nonce=str(body.get("nonce", "")),
            aud=str(body.get("aud", "")),
            require_kb=body.get("require_kb", True) is not False,
        )
    policy = vc.VcPolicy(
        now_s=now, trust=_LiveTrust(svc) if svc.require_trust else None, status=_LiveStatus(svc)
    )
    if fmt == "vc+jwt":
        return vc.verify_jose(body.get("credential"), svc.resolver, policy)
    if fmt == "di":
        return vc.verify_data_integrity(body.get("credential"), svc.resolver, policy)
    return Outcome("input.wrong_type", f"unknown format {str(fmt)[:40]!r}")
