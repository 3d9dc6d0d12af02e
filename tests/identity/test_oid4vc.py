"""End to end: OpenID4VCI issuance into the wallet and OpenID4VP presentation, over the FastAPI router
(TestClient), with the ledger as DID registry, trusted-issuer registry and status list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from govledger.apps.identity import queries as q
from govledger.apps.identity.model import Accredit, DidUpdate, StatusSet, SubjectRef
from govledger.apps.vital.model import Certificate, CertificatePerson
from govledger.identity import certificates, claims, oid4vci, sdjwt, sdjwt_vc, vc
from govledger.identity.api import IdentityService, router
from govledger.identity.did import DidResolver
from govledger.identity.errors import CheckFailed
from govledger.identity.oid4vci import CredentialConfiguration
from govledger.wallet import client as wallet_client
from govledger.wallet.wallet import Wallet

from .harness import (
    BASE_URL,
    LIST_ID,
    LIST_URI,
    MOI_DID,
    HarnessPort,
    K,
    Ledger,
    did_key_of,
    fresh_world,
    moi_signer,
)

PID = "urn:eudi:pid:1"
AGE = claims.AGE_VCT
BIRTH = certificates.vct_for("vital.Certificate")
ADMIN = {"Authorization": "Bearer back-office"}


class World:
    def __init__(self) -> None:
        self.led: Ledger = fresh_world()
        for vct in (PID, AGE, BIRTH):
            self.led.ok("trust_accredit", Accredit(MOI_DID, vct, 0), K.trust)
        self.now = self.led.time_ms // 1000 + 5
        configs = {
            "pid": CredentialConfiguration("pid", PID, "Person identification", status_list_id=LIST_ID),
            "age": CredentialConfiguration("age", AGE, "Age and residence", status_list_id=LIST_ID),
        }
        self.svc = IdentityService(
            base_url=BASE_URL,
            ledger=HarnessPort(self.led, K.moi),
            issuer_did=MOI_DID,
            issuer_signer=moi_signer(),
            configurations=configs,
            admin_token="back-office",
            clock=lambda: self.now,
        )
        app = FastAPI()
        app.state.identity = self.svc
        app.include_router(router)
        self.http = TestClient(app)
        # the wallet resolves ledger DIDs as a light client would: from (proved) ledger state
        self.wallet = Wallet(resolver=DidResolver({"govledger": q.ledger_method(self.led.view, "id-test")}))

    def offer(self, config: str, subject: dict[str, Any], **extra: Any) -> dict[str, Any]:
        body = {"credential_configuration_ids": [config], "claims": subject, **extra}
        r = self.http.post("/identity/issuer/offers", json=body, headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def receive(self, config: str, subject: dict[str, Any]) -> Any:
        o = self.offer(config, subject)
        (cred,) = wallet_client.receive(
            self.http, self.wallet, o["offer_uri"], tx_code=o["tx_code"], now_s=self.now
        )
        return cred

    def ask(self, dcql: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post("/identity/verifier/requests", json={"dcql_query": dcql})
        assert r.status_code == 200, r.text
        return dict(r.json()["request"])

    def result(self, state: str) -> dict[str, Any]:
        return dict(self.http.get(f"/identity/verifier/results/{state}").json())


@pytest.fixture
def w() -> Iterator[World]:
    yield World()


PERSON = {
    "given_name": "Aino",
    "family_name": "Virtanen",
    "birthdate": "2001-03-04",
    "address": {"locality": "Espoo", "region": "Uusimaa", "country": "FI"},
}

AGE_QUERY = {
    "credentials": [
        {
            "id": "age",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [AGE]},
            "claims": [{"path": ["age_over_18"], "values": [True]}],
        }
    ]
}


def _age_claims(today: dt.date) -> dict[str, Any]:
    c, _ = claims.age_residence_claims(
        birth=dt.date(2001, 3, 4), today=today, residence={"region": "Uusimaa", "country": "FI"}
    )
    return c


def test_issue_then_prove_over_18_without_the_birth_date(w: World) -> None:
    cred = w.receive("age", _age_claims(dt.date(2026, 6, 1)))
    assert cred.vct == AGE and cred.issuer == MOI_DID and cred.claims["birthdate"] == "2001-03-04"
    req = w.ask(AGE_QUERY)
    reply = wallet_client.present(w.http, w.wallet, req, now_s=w.now)
    assert reply == {}
    res = w.result(req["state"])
    assert res["code"] == "ok", res
    (seen,) = res["credentials"]["age"]
    assert seen["age_over_18"] is True
    assert "birthdate" not in seen and "resident_region" not in seen and "age_over_21" not in seen


def test_resident_of_region_with_claim_sets(w: World) -> None:
    w.receive("age", _age_claims(dt.date(2026, 6, 1)))
    query = {
        "credentials": [
            {
                "id": "res",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [AGE]},
                "claims": [
                    {"id": "r", "path": ["resident_region"], "values": ["Uusimaa"]},
                    {"id": "c", "path": ["resident_country"]},
                ],
                "claim_sets": [["r"], ["c"]],
            }
        ]
    }
    req = w.ask(query)
    form = w.wallet.respond(req, now_s=w.now)
    assert w.http.post("/identity/verifier/response", data=form).status_code == 200
    (seen,) = w.result(req["state"])["credentials"]["res"]
    assert seen["resident_region"] == "Uusimaa" and "resident_country" not in seen


def test_pid_selective_disclosure_and_revocation_on_the_ledger(w: World) -> None:
    cred = w.receive("pid", PERSON)
    status = sdjwt.split(cred.raw)
    payload = sdjwt.decode_jws(status.jwt).payload_json()
    idx = payload["status"]["status_list"]["idx"]
    assert payload["status"]["status_list"]["uri"] == LIST_URI
    query = {
        "credentials": [{"id": "pid", "format": "dc+sd-jwt", "claims": [{"path": ["address", "locality"]}]}]
    }
    req = w.ask(query)
    wallet_client.present(w.http, w.wallet, req, now_s=w.now)
    (seen,) = w.result(req["state"])["credentials"]["pid"]
    assert seen["address"]["locality"] == "Espoo" and "given_name" not in seen

    w.led.ok("status_set", StatusSet(LIST_ID, [idx], 2, "under review"), K.moi)
    req = w.ask(query)
    r = w.http.post("/identity/verifier/response", data=w.wallet.respond(req, now_s=w.now))
    assert r.status_code == 400 and r.json()["error"]["code"] == "vc.suspended"
    w.led.ok("status_set", StatusSet(LIST_ID, [idx], 1, "fraud"), K.moi)
    req = w.ask(query)
    r = w.http.post("/identity/verifier/response", data=w.wallet.respond(req, now_s=w.now))
    assert r.json()["error"]["code"] == "vc.revoked"
    assert w.result(req["state"])["code"] == "vc.revoked"

    # the published lists say the same, in both conventions
    token = w.http.get(f"/identity/status/{LIST_ID}")
    assert token.headers["content-type"].startswith("application/statuslist+jwt")
    fetched = sdjwt_vc.FetchedTokenStatus(
        lambda uri: w.http.get(uri).text, w.svc.resolver, clock=lambda: w.now
    )
    assert fetched.token_status(LIST_URI, idx, MOI_DID) == 1
    w3c = w.http.get(f"/identity/status/{LIST_ID}/revocation").text
    out = vc.verify_jose(w3c, w.svc.resolver, vc.VcPolicy(now_s=w.now))
    assert out.ok, out
    from govledger.identity.status_list import bitstring_get, decode_bitstring

    bits = decode_bitstring(out.claims["credentialSubject"]["encodedList"])
    assert bitstring_get(bits, idx) == 1 and sum(bits) == 1 << (7 - idx % 8)


def test_untrusted_and_rotated_issuers_are_refused(w: World) -> None:
    w.receive("pid", PERSON)
    query = {"credentials": [{"id": "pid", "format": "dc+sd-jwt", "claims": [{"path": ["given_name"]}]}]}
    w.led.ok("trust_withdraw", _withdraw(PID), K.trust, advance_ms=60_000)
    # issued before the withdrawal: still trusted (EBSI rule)
    req = w.ask(query)
    assert (
        w.http.post("/identity/verifier/response", data=w.wallet.respond(req, now_s=w.now)).status_code == 200
    )
    # an issuer that was never accredited for the type
    w.svc.configurations["other"] = CredentialConfiguration("other", "urn:unaccredited")
    w2 = w.offer("other", {"x": 1})
    wallet_client.receive(w.http, w.wallet, w2["offer_uri"], tx_code=w2["tx_code"], now_s=w.now)
    req = w.ask(
        {"credentials": [{"id": "o", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:unaccredited"]}}]}
    )
    r = w.http.post("/identity/verifier/response", data=w.wallet.respond(req, now_s=w.now))
    assert r.json()["error"]["code"] == "vc.untrusted_issuer"
    # key rotation on the ledger: credentials signed by the retired key no longer verify
    w.led.ok(
        "did_update", DidUpdate("moi", 1, [did_key_of(K.moi_rotated, "key-2")], []), K.moi, K.moi_rotated
    )
    req = w.ask(query)
    r = w.http.post("/identity/verifier/response", data=w.wallet.respond(req, now_s=w.now))
    assert r.json()["error"]["code"] == "did.key_not_found"


def _withdraw(vct: str) -> Any:
    from govledger.apps.identity.model import WithdrawAccreditation

    return WithdrawAccreditation(MOI_DID, vct, "policy change")


def test_oid4vci_refusals(w: World) -> None:
    o = w.offer("pid", PERSON)
    offer = oid4vci.parse_offer_uri(o["offer_uri"])
    code = offer["grants"][oid4vci.PRE_AUTH_GRANT]["pre-authorized_code"]
    token_url = "/identity/issuer/token"

    def token(**form: str) -> Any:
        return w.http.post(token_url, data={"grant_type": oid4vci.PRE_AUTH_GRANT, **form})

    assert (
        token(
            **{"pre-authorized_code": code, "tx_code": "000000" if o["tx_code"] != "000000" else "1"}
        ).json()["error"]
        == "invalid_grant"
    )
    assert w.http.post(token_url, data={"grant_type": "password"}).json()["error"] == "invalid_request"
    good = token(**{"pre-authorized_code": code, "tx_code": o["tx_code"]})
    assert good.status_code == 200 and good.headers["cache-control"] == "no-store"
    assert (
        token(**{"pre-authorized_code": code, "tx_code": o["tx_code"]}).json()["error"] == "invalid_grant"
    )  # used
    auth = {"Authorization": "Bearer " + good.json()["access_token"]}
    cred_url = "/identity/issuer/credential"
    nonce = w.http.post("/identity/issuer/nonce").json()["c_nonce"]
    proof = w.wallet.key_proof(credential_issuer="https://evil.example", nonce=nonce, now_s=w.now)
    body = {"credential_configuration_id": "pid", "proofs": {"jwt": [proof]}}
    assert w.http.post(cred_url, json=body, headers=auth).json()["error"] == "invalid_proof"
    proof = w.wallet.key_proof(credential_issuer=w.svc.credential_issuer, nonce="made-up", now_s=w.now)
    body["proofs"] = {"jwt": [proof]}
    assert w.http.post(cred_url, json=body, headers=auth).json()["error"] == "invalid_nonce"
    r = w.http.post(cred_url, json=body)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    body["credential_configuration_id"] = "age"
    assert (
        w.http.post(cred_url, json=body, headers=auth).json()["error"] == "unknown_credential_configuration"
    )
    assert w.http.post(cred_url, content=b"{", headers=auth).json()["error"] == "invalid_request"
    unsigned = "eyJhbGciOiJub25lIn0.e30."
    body = {"credential_configuration_id": "pid", "proofs": {"jwt": [unsigned]}}
    assert w.http.post(cred_url, json=body, headers=auth).json()["error"] == "invalid_proof"


def test_tx_code_is_burnt_after_five_wrong_guesses(w: World) -> None:
    o = w.offer("pid", PERSON)
    code = oid4vci.parse_offer_uri(o["offer_uri"])["grants"][oid4vci.PRE_AUTH_GRANT]["pre-authorized_code"]
    wrong = "111111" if o["tx_code"] != "111111" else "222222"
    for _ in range(5):
        w.http.post(
            "/identity/issuer/token",
            data={"grant_type": oid4vci.PRE_AUTH_GRANT, "pre-authorized_code": code, "tx_code": wrong},
        )
    r = w.http.post(
        "/identity/issuer/token",
        data={"grant_type": oid4vci.PRE_AUTH_GRANT, "pre-authorized_code": code, "tx_code": o["tx_code"]},
    )
    assert r.json()["error"] == "invalid_grant"


def test_offer_endpoint_and_metadata(w: World) -> None:
    assert w.http.post("/identity/issuer/offers", json={}).status_code == 401
    r = w.http.post(
        "/identity/issuer/offers",
        json={"credential_configuration_ids": ["nope"], "claims": {}},
        headers=ADMIN,
    )
    assert r.json()["error"]["code"] == "oid4vc.unknown_configuration"
    o = w.offer("pid", PERSON)
    assert o["qr_svg"].startswith("<svg") and o["offer_uri"].startswith(
        "openid-credential-offer://?credential_offer="
    )
    assert len(oid4vci.offer_qr_png(o["offer_uri"])) > 100
    meta = w.http.get("/.well-known/openid-credential-issuer/identity/issuer").json()
    assert meta["nonce_endpoint"] == f"{BASE_URL}/identity/issuer/nonce"
    assert meta["credential_configurations_supported"]["pid"]["format"] == "dc+sd-jwt"
    did = w.http.get(f"/identity/dids/{MOI_DID}").json()
    assert did["didDocument"]["id"] == MOI_DID
    assert w.http.get("/identity/dids/did:govledger:id-test:nobody").status_code == 404
    assert w.http.get("/identity/dids/not-a-did").json()["error"]["code"] == "did.malformed"
    assert w.http.get("/identity/trust", params={"issuer": MOI_DID, "type": PID}).json()["trusted"] is True
    assert w.http.get(f"/identity/status/{LIST_ID}/nonsense").status_code == 404
    assert w.http.get("/identity/status/unknown").status_code == 404


def test_verifier_refusals(w: World) -> None:
    w.receive("age", _age_claims(dt.date(2026, 6, 1)))
    assert (
        w.http.post("/identity/verifier/requests", json={"dcql_query": {"credentials": []}}).json()["error"][
            "code"
        ]
        == "oid4vc.dcql"
    )
    req = w.ask(AGE_QUERY)
    form = w.wallet.respond(req, now_s=w.now)
    replay_ok = w.http.post("/identity/verifier/response", data=form)
    assert replay_ok.status_code == 200
    again = w.http.post("/identity/verifier/response", data=form)  # the request is consumed
    assert again.json()["error"]["code"] == "oid4vc.unknown_transaction"
    req2 = w.ask(AGE_QUERY)
    stolen = {**form, "state": req2["state"]}  # a presentation made for another request: wrong nonce
    assert w.http.post("/identity/verifier/response", data=stolen).json()["error"]["code"] == "sdjwt.kb_nonce"
    req3 = w.ask({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID]}}]})
    with pytest.raises(CheckFailed) as exc:
        w.wallet.respond(req3, now_s=w.now)
    assert exc.value.code == "oid4vc.dcql"
    req4 = w.ask(AGE_QUERY)
    bad = {"state": req4["state"], "vp_token": '{"age": ["not-an-sd-jwt"]}'}
    assert w.http.post("/identity/verifier/response", data=bad).json()["error"]["code"] == "sdjwt.malformed"
    req5 = w.ask(AGE_QUERY)
    assert (
        w.http.post("/identity/verifier/response", data={"state": req5["state"], "vp_token": "{}"}).json()[
            "error"
        ]["code"]
        == "oid4vc.dcql"
    )
    assert w.http.post("/identity/verifier/response", content=b"x" * 70_000).status_code == 400


def test_verify_endpoint(w: World) -> None:
    cred = w.receive("pid", PERSON)
    ok = w.http.post("/identity/verify", json={"credential": cred.raw, "require_kb": False})
    assert ok.status_code == 200 and ok.json()["claims"]["given_name"] == "Aino"
    bad = w.http.post("/identity/verify", json={"credential": cred.raw[:-20], "require_kb": False})
    assert bad.status_code == 422
    assert (
        w.http.post("/identity/verify", json={"format": "mdoc", "credential": ""}).json()["code"]
        == "input.wrong_type"
    )


def test_birth_certificate_tie_in_and_derived_age(w: World) -> None:
    """A vital registry Certificate becomes an SD-JWT VC; revoking its record's entries is one query away."""
    birth_ms = int(dt.datetime(2001, 3, 4, 8, 30, tzinfo=dt.UTC).timestamp() * 1000)
    record = Certificate(
        record_id="B-1",
        kind="birth",
        registration_number="B-00000001",
        status="registered",
        version=1,
        event_ms=birth_ms,
        place="Espoo",
        registered_height=3,
        registered_ms=birth_ms + 86_400_000,
        version_height=3,
        version_ms=birth_ms + 86_400_000,
        persons=[CertificatePerson("child", b"\x01" * 16, b"\x02" * 32, False)],
        registrar_key=b"\x03" * 20,
        registrar_member="registrar-1",
        related="",
        dissolved_by="",
        court_order=None,
    )
    ref = certificates.subject_ref(b"k" * 32, "vital.Certificate", record.record_id)
    (idx,) = w.svc.ledger.allocate(LIST_ID, 1, ref)
    raw = certificates.certificate_credential(
        record,
        record_type="vital.Certificate",
        signer=moi_signer(),
        iss=MOI_DID,
        holder_jwk=w.wallet.holder_jwk,
        iat=w.now,
        disclosable=["place", "event_ms", "persons", "registration_number"],
        status=sdjwt_vc.StatusRef(LIST_URI, idx),
        ledger={"chain_id": "id-test", "height": w.led.height},
    )
    stored = w.wallet.add(raw, now_s=w.now)
    assert stored.claims["persons"][0]["commitment"] == "02" * 32 and stored.claims["kind"] == "birth"
    # issuer side: derive the age answers from the verified birth certificate
    birth = claims.birth_date_from_ms(stored.claims["event_ms"])
    derived, _paths = claims.age_residence_claims(birth=birth, today=dt.date(2026, 6, 1))
    assert derived["age_over_18"] and derived["age_over_21"] and not derived["age_over_65"]
    assert claims.derived_expiry(birth, dt.date(2026, 6, 1)) == dt.date(2066, 3, 4)
    # present only the place of birth
    pres = sdjwt.present(raw, [["place"]], holder=w.wallet.holder, nonce="n", aud="a", iat=w.now)
    out = w.svc.verifier().verify(pres, now_s=w.now, nonce="n", aud="a")
    assert out.ok and out.claims["place"] == "Espoo" and "event_ms" not in out.claims
    assert out.claims["record_type"] == "vital.Certificate" and out.claims["record_status"] == "registered"
    # the registry record changes: the issuer finds the bound entries and revokes them
    bound = q.subject_indices(w.led.view, SubjectRef(LIST_ID, ref))
    assert bound is not None and bound.indices == [idx]
    w.led.ok("status_set", StatusSet(LIST_ID, bound.indices, 1, "record amended"), K.moi)
    assert w.svc.verifier().verify(pres, now_s=w.now, nonce="n", aud="a").code == "vc.revoked"


def test_wallet_persistence(tmp_path: Any, w: World) -> None:
    w.receive("pid", PERSON)
    path = tmp_path / "wallet.json"
    w.wallet.save(path)
    again = Wallet.load(path, resolver=w.wallet.resolver)
    assert again.holder_jwk == w.wallet.holder_jwk and [c.id for c in again.credentials] == [
        c.id for c in w.wallet.credentials
    ]
    # and refuses a credential bound to another key
    other = Wallet(resolver=w.wallet.resolver)
    with pytest.raises(CheckFailed) as exc:
        other.add(w.wallet.credentials[0].raw, now_s=w.now)
    assert exc.value.code == "sdjwt.no_holder_key"


def test_age_claims_edge_cases() -> None:
    leap = dt.date(2008, 2, 29)
    assert not claims.age_claims(leap, dt.date(2026, 2, 28))["age_over_18"]
    assert claims.age_claims(leap, dt.date(2026, 3, 1))["age_over_18"]
    assert claims.birthday_after(leap, 18) == dt.date(2026, 3, 1)
    with pytest.raises(CheckFailed):
        claims.age_claims(dt.date(2030, 1, 1), dt.date(2026, 1, 1))
