"""A small holder wallet: one holder key, a credential store, DCQL matching and presentations.

Theory of operation
-------------------
The wallet keeps SD-JWT VCs exactly as issued (all disclosures) and, next to each, the claims it
verified on receipt. Receipt checks what a holder can check: the issuer's signature (DID
resolution), the disclosures, the type, and that `cnf.jwk` is the wallet's own key, so a
credential bound to someone else's key is refused before it is stored.

To answer an OpenID4VP request the wallet matches the DCQL query against its credentials, takes
the first credential that satisfies each credential query, and discloses only the claim paths the
chosen claim set needs (plus what the issuer put in the clear). Each presentation carries a KB-JWT
with the request's nonce and `aud` = the verifier's client_id. Nothing is disclosed for a query the
wallet cannot satisfy: the whole response is refused instead (`oid4vc.dcql`).

Persistence is a JSON file (`save` / `load`) holding the holder's private JWK in the clear: a test
and demo convenience, documented as such; a production wallet keeps the key in secure hardware.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from govledger.identity import oid4vci, oid4vp, sdjwt
from govledger.identity.did import DidResolver
from govledger.identity.encoding import json_dumps
from govledger.identity.errors import fail
from govledger.identity.jose import JwsSigner, encode_jws, thumbprint
from govledger.identity.sdjwt_vc import Verifier

MAX_CREDENTIALS = 1000


@dataclass(frozen=True)
class StoredCredential:
    id: str
    format: str
    raw: str  # as issued: the issuer-signed JWT and every disclosure
    vct: str
    issuer: str
    claims: dict[str, Any]  # every claim, all disclosures applied
    received_s: int


class Wallet:
    def __init__(
        self,
        holder: JwsSigner | None = None,
        *,
        resolver: DidResolver | None = None,
        rng: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.holder = holder or JwsSigner.generate("ES256")
        self.resolver = resolver or DidResolver()
        self.rng = rng
        self.credentials: list[StoredCredential] = []

    @property
    def holder_jwk(self) -> dict[str, str]:
        return self.holder.public_jwk()

    # --- receiving ------------------------------------------------------------------------------------------

    def key_proof(self, *, credential_issuer: str, nonce: str, now_s: int) -> str:
        """An OpenID4VCI key proof JWT (`openid4vci-proof+jwt`, holder key in the `jwk` header)."""
        header = {"typ": oid4vci.PROOF_TYP, "jwk": self.holder_jwk}
        body = {"aud": credential_issuer, "iat": now_s, "nonce": nonce}
        return encode_jws(header, body, self.holder.with_kid(""))

    def add(self, raw: str, *, now_s: int) -> StoredCredential:
        """Verify an issued SD-JWT VC bound to this wallet's key and store it (raises CheckFailed)."""
        if len(self.credentials) >= MAX_CREDENTIALS:
            fail("input.too_large", f"the wallet holds at most {MAX_CREDENTIALS} credentials")
        verifier = Verifier(self.resolver)
        v, details = verifier.verify_raw(raw, now_s=now_s, nonce="", aud="", require_kb=False)
        if v.holder_jwk is None or thumbprint(v.holder_jwk) != thumbprint(self.holder_jwk):
            fail("sdjwt.no_holder_key", "the credential is not bound to this wallet's key")
        cred = StoredCredential(
            id=sdjwt.digest_of(raw)[:16],
            format=oid4vp.FORMAT,
            raw=raw,
            vct=str(details["vct"]),
            issuer=str(v.payload["iss"]),
            claims=dict(v.claims),
            received_s=now_s,
        )
        self.credentials = [c for c in self.credentials if c.id != cred.id] + [cred]
        return cred

    # --- presenting -----------------------------------------------------------------------------------------

    def match(self, dcql_query: Any) -> dict[str, list[StoredCredential]]:
        """For each credential query id, the stored credentials that satisfy it."""
        oid4vp.validate_dcql(dcql_query)
        return {
            cq["id"]: [c for c in self.credentials if oid4vp.satisfies(cq, c.vct, c.claims)]
            for cq in dcql_query["credentials"]
        }

    def presentation(
        self, cred: StoredCredential, paths: list[list[str | int | None]], *, nonce: str, aud: str, now_s: int
    ) -> str:
        return sdjwt.present(cred.raw, paths, holder=self.holder, nonce=nonce, aud=aud, iat=now_s)

    def respond(self, request: Any, *, now_s: int) -> dict[str, str]:
        """The direct_post form answering an authorization request (a dict or an openid4vp:// URI)."""
        req = oid4vp.parse_request(request)
        query = req["dcql_query"]
        matches = self.match(query)
        answerable = {qid for qid, creds in matches.items() if creds}
        chosen: set[str] = set()
        for options in oid4vp.required_sets(query):
            option = next((o for o in options if set(o) <= answerable), None)
            if option is None:
                fail("oid4vc.dcql", f"the wallet cannot satisfy {options}")
            chosen.update(option)
        by_id = {cq["id"]: cq for cq in query["credentials"]}
        vp_token: dict[str, list[str]] = {}
        for qid in sorted(chosen):
            cred = matches[qid][0]
            paths = oid4vp.claims_to_disclose(by_id[qid], cred.claims) or []
            vp_token[qid] = [
                self.presentation(cred, paths, nonce=req["nonce"], aud=req["client_id"], now_s=now_s)
            ]
        return {"vp_token": json_dumps(vp_token), "state": req["state"]}

    # --- persistence ----------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        data = {
            "holder": self.holder.private_jwk(),
            "alg": self.holder.alg,
            "credentials": [asdict(c) for c in self.credentials],
        }
        path.write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, path: Path, *, resolver: DidResolver | None = None) -> Wallet:
        data = json.loads(path.read_text())
        w = cls(JwsSigner.from_private_jwk(data["holder"]), resolver=resolver)
        w.credentials = [StoredCredential(**c) for c in data["credentials"]]
        return w
