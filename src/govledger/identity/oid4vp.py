"""OpenID for Verifiable Presentations 1.0: DCQL queries, direct_post responses, verifier state.

Theory of operation
-------------------
    verifier                                   wallet
    start(dcql) -> authorization request ----> match(dcql, credentials): which credential, which claims
                                               present each with a KB-JWT: nonce = request nonce,
                                               aud = client_id (OID4VP 1.0 §B.3.6 for SD-JWT VC)
    response(form) <-- POST response_uri  ---- vp_token = {credential query id: [presentation, ...]}, state

The authorization request is unsigned, `response_mode=direct_post`, and the client identifier uses
the `redirect_uri:` prefix (its value is the response URI), so no request object signing is
needed; signed requests (JAR, x509_san_dns) are not implemented.

DCQL (§6) as implemented: `credentials` (id, format `dc+sd-jwt`, `meta.vct_values`, `claims` with
`path` [string | int | null] and optional `values`, `claim_sets`, `multiple`) and optional
`credential_sets` (`options`, `required`). `validate_dcql` bounds and checks a query's shape;
`satisfies` decides whether disclosed claims answer a credential query (the verifier side) and
`claims_to_disclose` which paths a wallet should reveal (the first satisfiable claim set).

`VerifierFlow` keeps open requests (bounded, expiring), verifies every presentation with the SD-JWT
VC verifier (nonce, audience, freshness, issuer trust, status) and then the DCQL constraints; the
result is kept for the verifier's front end under the request's `state`.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govledger.identity.encoding import b64url_encode, json_dumps, json_loads
from govledger.identity.errors import CheckFailed, Outcome, fail
from govledger.identity.oid4vci import BoundedTable
from govledger.identity.sdjwt_vc import Verifier

FORMAT = "dc+sd-jwt"
MAX_QUERIES = 16
MAX_CLAIMS = 64
MAX_PATH = 16
MAX_PRESENTATIONS = 8


# --- DCQL ---------------------------------------------------------------------------------------------


def _check_path(path: Any) -> list[str | int | None]:
    if not isinstance(path, list) or not 1 <= len(path) <= MAX_PATH:
        fail("oid4vc.dcql", "a claim path is a non-empty array")
    for p in path:
        if not (
            p is None or isinstance(p, str) or (isinstance(p, int) and not isinstance(p, bool) and p >= 0)
        ):
            fail("oid4vc.dcql", "a path element is a string, a non-negative integer or null")
    return path


def validate_dcql(query: Any) -> dict[str, Any]:
    """Check a DCQL query's shape (raises CheckFailed `oid4vc.dcql`); returns it unchanged."""
    if not isinstance(query, dict) or not isinstance(query.get("credentials"), list):
        fail("oid4vc.dcql", "a DCQL query has a credentials array")
    creds = query["credentials"]
    if not 1 <= len(creds) <= MAX_QUERIES:
        fail("oid4vc.dcql", f"1..{MAX_QUERIES} credential queries")
    ids: set[str] = set()
    for c in creds:
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not c["id"] or c["id"] in ids:
            fail("oid4vc.dcql", "each credential query has a unique non-empty id")
        ids.add(c["id"])
        if c.get("format") != FORMAT:
            fail("oid4vc.dcql", f"only the {FORMAT} format is supported")
        vcts = c.get("meta", {}).get("vct_values") if isinstance(c.get("meta", {}), dict) else None
        if vcts is not None and (not isinstance(vcts, list) or not all(isinstance(v, str) for v in vcts)):
            fail("oid4vc.dcql", "meta.vct_values is an array of strings")
        claims = c.get("claims", [])
        if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
            fail("oid4vc.dcql", f"claims is an array of at most {MAX_CLAIMS}")
        claim_ids = set()
        for cl in claims:
            if not isinstance(cl, dict):
                fail("oid4vc.dcql", "a claim query is an object")
            _check_path(cl.get("path"))
            if "values" in cl and not isinstance(cl["values"], list):
                fail("oid4vc.dcql", "values is an array")
            if "id" in cl:
                claim_ids.add(cl["id"])
        sets = c.get("claim_sets")
        if sets is not None and (
            not isinstance(sets, list) or not all(isinstance(s, list) and set(s) <= claim_ids for s in sets)
        ):
            fail("oid4vc.dcql", "claim_sets are arrays of claim ids")
        if "multiple" in c and not isinstance(c["multiple"], bool):
            fail("oid4vc.dcql", "multiple is a boolean")
    for cs in query.get("credential_sets", []):
        options = cs.get("options") if isinstance(cs, dict) else None
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(o, list) and set(o) <= ids for o in options)
        ):
            fail("oid4vc.dcql", "credential_sets options are arrays of credential query ids")
    return query


def select_path(claims: Any, path: Sequence[str | int | None]) -> list[Any]:
    """The values a DCQL claim path selects (§7): strings pick members, ints elements, null all elements."""
    current = [claims]
    for p in path:
        nxt: list[Any] = []
        for value in current:
            if p is None and isinstance(value, list):
                nxt.extend(value)
            elif isinstance(p, str) and isinstance(value, dict):
                if p in value:
                    nxt.append(value[p])
            elif isinstance(p, int) and isinstance(value, list) and p < len(value):
                nxt.append(value[p])
        current = nxt
    return current


def _claim_ok(claims: Mapping[str, Any], cl: Mapping[str, Any]) -> bool:
    selected = select_path(claims, cl["path"])
    if not selected:
        return False
    return "values" not in cl or any(v in cl["values"] for v in selected)


def _chosen_claims(cq: Mapping[str, Any], claims: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The claim queries of the first satisfied claim set (all claims when there are no sets)."""
    queries = cq.get("claims", [])
    sets = cq.get("claim_sets")
    if not sets:
        return queries if all(_claim_ok(claims, cl) for cl in queries) else None
    by_id = {cl.get("id"): cl for cl in queries}
    for s in sets:
        chosen = [by_id[i] for i in s]
        if all(_claim_ok(claims, cl) for cl in chosen):
            return chosen
    return None


def satisfies(cq: Mapping[str, Any], vct: str, claims: Mapping[str, Any]) -> bool:
    vcts = cq.get("meta", {}).get("vct_values")
    if vcts and vct not in vcts:
        return False
    return _chosen_claims(cq, claims) is not None


def claims_to_disclose(
    cq: Mapping[str, Any], claims: Mapping[str, Any]
) -> list[list[str | int | None]] | None:
    chosen = _chosen_claims(cq, claims)
    return None if chosen is None else [list(cl["path"]) for cl in chosen]


def required_sets(query: Mapping[str, Any]) -> list[list[list[str]]]:
    """The option lists that must be met: each credential_set (required) or every query on its own."""
    sets = query.get("credential_sets")
    if not sets:
        return [[[c["id"]]] for c in query["credentials"]]
    return [cs["options"] for cs in sets if cs.get("required", True)]


# --- authorization request ----------------------------------------------------------------------------


def authorization_request(
    *, response_uri: str, nonce: str, state: str, dcql_query: dict[str, Any]
) -> dict[str, Any]:
    return {
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "client_id": client_id_for(response_uri),
        "response_uri": response_uri,
        "nonce": nonce,
        "state": state,
        "dcql_query": dcql_query,
    }


def client_id_for(response_uri: str) -> str:
    return "redirect_uri:" + response_uri


def request_uri(request: Mapping[str, Any]) -> str:
    """`openid4vp://?...` with the request by value (dcql_query as JSON)."""
    params = {k: (json_dumps(v) if isinstance(v, dict) else str(v)) for k, v in request.items()}
    return "openid4vp://?" + urllib.parse.urlencode(params)


def parse_request(text_or_obj: Any) -> dict[str, Any]:
    """An authorization request from an `openid4vp://` URI or a dict (wallet side), checked."""
    if isinstance(text_or_obj, str):
        if len(text_or_obj) > 32 * 1024:
            fail("oid4vc.invalid_request", "the request URI is longer than 32 KiB")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(text_or_obj).query)
        req: dict[str, Any] = {k: v[0] for k, v in q.items()}
        if "dcql_query" in req:
            req["dcql_query"] = json_loads(req["dcql_query"], what="dcql_query")
    elif isinstance(text_or_obj, dict):
        req = dict(text_or_obj)
    else:
        fail("oid4vc.invalid_request", "a request is a URI or an object")
    for name in ("client_id", "response_uri", "nonce", "state"):
        if not isinstance(req.get(name), str) or not req[name]:
            fail("oid4vc.invalid_request", f"the request has no {name}")
    if req.get("response_type") != "vp_token" or req.get("response_mode") != "direct_post":
        fail("oid4vc.invalid_request", "only response_type=vp_token with response_mode=direct_post")
    if req["client_id"] != client_id_for(req["response_uri"]):
        fail("oid4vc.invalid_request", "a redirect_uri: client_id must equal the response_uri")
    validate_dcql(req.get("dcql_query"))
    return req


# --- verifier side ------------------------------------------------------------------------------------


@dataclass
class OpenRequest:
    request: dict[str, Any]
    expires_s: int


@dataclass(frozen=True)
class PresentationResult:
    """What the verifier learnt: per credential query id, the verified claims of each presentation."""

    code: str
    message: str = ""
    credentials: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == "ok"


@dataclass
class VerifierFlow:
    response_uri: str
    verifier: Verifier
    rng: Callable[[int], bytes] = secrets.token_bytes
    request_ttl_s: int = 300
    max_entries: int = 10_000
    open: BoundedTable[str, OpenRequest] = field(init=False)
    results: BoundedTable[str, PresentationResult] = field(init=False)

    def __post_init__(self) -> None:
        self.open = BoundedTable(self.max_entries)
        self.results = BoundedTable(self.max_entries)

    @property
    def client_id(self) -> str:
        return client_id_for(self.response_uri)

    def start(self, dcql_query: Any, *, now_s: int) -> dict[str, Any]:
        validate_dcql(dcql_query)
        state = b64url_encode(self.rng(16))
        req = authorization_request(
            response_uri=self.response_uri,
            nonce=b64url_encode(self.rng(24)),
            state=state,
            dcql_query=dcql_query,
        )
        self.open.put(state, OpenRequest(req, now_s + self.request_ttl_s))
        return req

    def response(self, form: Mapping[str, str], *, now_s: int) -> PresentationResult:
        """Handle a direct_post; the request is consumed whatever the outcome (no retries on a nonce)."""
        state = form.get("state", "")
        pending = self.open.pop(state) if state else None
        if pending is None or pending.expires_s < now_s:
            fail("oid4vc.unknown_transaction", "no open request with that state")
        try:
            result = self._verify(pending.request, form.get("vp_token", ""), now_s)
        except CheckFailed as exc:
            result = PresentationResult(exc.code, exc.message)
        self.results.put(state, result)
        return result

    def _verify(self, req: dict[str, Any], vp_token: str, now_s: int) -> PresentationResult:
        token = json_loads(vp_token, what="vp_token")
        if not isinstance(token, dict):
            fail("oid4vc.invalid_request", "vp_token is a JSON object keyed by credential query id")
        query = req["dcql_query"]
        by_id = {c["id"]: c for c in query["credentials"]}
        verified: dict[str, list[Mapping[str, Any]]] = {}
        for qid, presentations in token.items():
            cq = by_id.get(qid)
            if cq is None or not isinstance(presentations, list) or not presentations:
                fail("oid4vc.dcql", f"vp_token entry {str(qid)[:40]!r} does not answer a credential query")
            if len(presentations) > (MAX_PRESENTATIONS if cq.get("multiple") else 1):
                fail("oid4vc.dcql", f"too many presentations for {qid!r}")
            verified[qid] = [self._one(cq, p, req, now_s) for p in presentations]
        for options in required_sets(query):
            if not any(all(q in verified for q in option) for option in options):
                fail("oid4vc.dcql", f"no presentation answers the required options {options}")
        return PresentationResult("ok", credentials=verified)

    def _one(
        self, cq: Mapping[str, Any], presentation: Any, req: dict[str, Any], now_s: int
    ) -> Mapping[str, Any]:
        out: Outcome = self.verifier.verify(
            presentation, now_s=now_s, nonce=req["nonce"], aud=req["client_id"]
        )
        if not out.ok:
            fail(out.code, out.message)
        if not satisfies(cq, str(out.details.get("vct", "")), out.claims):
            fail("oid4vc.dcql", f"the presentation for {cq['id']!r} does not satisfy its claims")
        return out.claims
