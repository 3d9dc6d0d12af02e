"""The wallet's HTTP side: receive through OpenID4VCI (pre-authorized code) and answer OpenID4VP.

`http` is any httpx.Client (FastAPI's TestClient is one), so the same code runs against a real
issuer or in-process in tests; timeouts are the client's configuration (`httpx.Client(timeout=10)`).
Every step checks the status and the shape of what came back and fails with a `CheckFailed`
(`oid4vc.*`) naming the step; nothing here retries or sleeps.
"""

from __future__ import annotations

from typing import Any

import httpx

from govledger.identity import oid4vci
from govledger.identity.errors import fail
from govledger.wallet.wallet import StoredCredential, Wallet


def _json(resp: httpx.Response, step: str) -> dict[str, Any]:
    if resp.status_code >= 400:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        err = body.get("error", "") if isinstance(body, dict) else ""
        code = {
            "invalid_grant": "oid4vc.invalid_grant",
            "invalid_token": "oid4vc.invalid_token",
            "invalid_proof": "oid4vc.invalid_proof",
            "invalid_nonce": "oid4vc.invalid_nonce",
            "unknown_credential_configuration": "oid4vc.unknown_configuration",
        }.get(err, "oid4vc.invalid_request")
        fail(code, f"{step}: HTTP {resp.status_code} {str(body)[:200]}")
    try:
        data = resp.json()
    except ValueError:
        fail("oid4vc.invalid_request", f"{step}: the response is not JSON")
    if not isinstance(data, dict):
        fail("oid4vc.invalid_request", f"{step}: the response is not a JSON object")
    return data


def receive(
    http: httpx.Client, wallet: Wallet, offer_uri: str, *, tx_code: str = "", now_s: int
) -> list[StoredCredential]:
    """Run the pre-authorized code flow for every configuration in the offer; store what arrives."""
    offer = oid4vci.parse_offer_uri(offer_uri)
    issuer = offer["credential_issuer"]
    grant = offer.get("grants", {}).get(oid4vci.PRE_AUTH_GRANT)
    if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
        fail("oid4vc.invalid_request", "the offer has no pre-authorized code grant")
    meta = _json(http.get(oid4vci.well_known_url(issuer, "openid-credential-issuer")), "metadata")
    if meta.get("credential_issuer") != issuer:
        fail("oid4vc.invalid_request", "the metadata names another credential issuer")
    as_url = (meta.get("authorization_servers") or [issuer])[0]
    as_meta = _json(
        http.get(oid4vci.well_known_url(as_url, "oauth-authorization-server")),
        "AS metadata",
    )
    form = {"grant_type": oid4vci.PRE_AUTH_GRANT, "pre-authorized_code": grant["pre-authorized_code"]}
    if "tx_code" in grant:
        form["tx_code"] = tx_code
    token = _json(http.post(as_meta["token_endpoint"], data=form), "token")
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    stored = []
    for cid in offer["credential_configuration_ids"]:
        nonce = _json(http.post(meta["nonce_endpoint"]), "nonce")["c_nonce"]
        proof = wallet.key_proof(credential_issuer=issuer, nonce=nonce, now_s=now_s)
        body = {"credential_configuration_id": cid, "proofs": {"jwt": [proof]}}
        issued = _json(http.post(meta["credential_endpoint"], json=body, headers=auth), "credential")
        for item in issued.get("credentials", []):
            stored.append(wallet.add(item["credential"], now_s=now_s))
    return stored


def present(http: httpx.Client, wallet: Wallet, request: Any, *, now_s: int) -> dict[str, Any]:
    """Answer an authorization request by direct_post to its response_uri; returns the verifier's reply."""
    form = wallet.respond(request, now_s=now_s)
    uri = request["response_uri"] if isinstance(request, dict) else _response_uri(request)
    return _json(http.post(uri, data=form), "direct_post")


def _response_uri(uri: str) -> str:
    from govledger.identity.oid4vp import parse_request

    return str(parse_request(uri)["response_uri"])
