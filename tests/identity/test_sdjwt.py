"""SD-JWT and SD-JWT VC: issuance shapes, every verification rule with its code, and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.did import DidResolver, WebMethod, did_jwk, did_key
from govledger.identity.encoding import b64url_decode, b64url_encode, json_dumps
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import JwsSigner, encode_jws

NOW = 1_800_000_000
NONCE, AUD = "n-123", "redirect_uri:https://verifier.example/cb"
ISSUER = JwsSigner.generate("EdDSA")
ISS = did_key(ISSUER.public_key)
ISSUER = ISSUER.with_kid(f"{ISS}#{ISS.split(':')[2]}")
HOLDER = JwsSigner.generate("ES256")
VCT = "urn:eudi:pid:1"

CLAIMS: dict[str, Any] = {
    "given_name": "Erika",
    "family_name": "Mustermann",
    "birthdate": "1964-08-12",
    "address": {"street_address": "Heidestr. 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE", "FR"],
}
PATHS = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("address",),
    ("address", "locality"),
    ("nationalities", 0),
    ("nationalities", 1),
]


def issue(**kw: Any) -> str:
    args: dict[str, Any] = {
        "iss": ISS,
        "vct": VCT,
        "claims": CLAIMS,
        "sd_paths": PATHS,
        "holder_jwk": HOLDER.public_jwk(),
        "iat": NOW - 100,
        "exp": NOW + 3600,
    }
    args.update(kw)
    return sdjwt_vc.issue(ISSUER, **args)


def present(raw: str, wanted: list[list[Any]] | None, **kw: Any) -> str:
    args: dict[str, Any] = {"holder": HOLDER, "nonce": NONCE, "aud": AUD, "iat": NOW}
    args.update(kw)
    return sdjwt.present(raw, wanted, **args)


VERIFIER = sdjwt_vc.Verifier(DidResolver(), trust=sdjwt_vc.StaticTrust([(ISS, VCT)]))


def verify(pres: str, **kw: Any) -> Any:
    args: dict[str, Any] = {"now_s": NOW, "nonce": NONCE, "aud": AUD}
    args.update(kw)
    return VERIFIER.verify(pres, **args)


def test_round_trip_discloses_only_what_was_chosen() -> None:
    raw = issue()
    out = verify(present(raw, [["given_name"], ["address", "locality"], ["nationalities", 1]]))
    assert out.ok, out
    assert out.claims["given_name"] == "Erika" and "family_name" not in out.claims
    assert out.claims["address"] == {"street_address": "Heidestr. 17", "locality": "Köln", "country": "DE"}
    assert out.claims["nationalities"] == ["FR"]
    assert out.issuer == ISS and out.details["vct"] == VCT and out.details["kb"]["nonce"] == NONCE


def test_whole_subtree_and_null_paths() -> None:
    out = verify(present(issue(), [["address"], ["nationalities", None]]))
    assert (
        out.ok and out.claims["nationalities"] == ["DE", "FR"] and out.claims["address"]["locality"] == "Köln"
    )
    nothing = verify(present(issue(), []))
    assert nothing.ok and set(nothing.claims) == {"iss", "iat", "vct", "exp", "cnf", "nationalities"}
    assert nothing.claims["nationalities"] == []  # the array is in the clear, its elements are not


def test_payload_hides_claims_and_counts() -> None:
    raw = issue(decoys_max=5, rng=lambda n: b"\x05" * n)
    payload = json.loads(b64url_decode(raw.split("~")[0].split(".")[1]))
    assert "given_name" not in json.dumps(payload)
    assert payload["_sd_alg"] == "sha-256" and payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) == 4 + 5 % 6  # 4 disclosable members + decoys
    assert all(set(e) == {"..."} for e in payload["nationalities"])


@pytest.mark.parametrize("alg", ["sha-384", "sha-512"])
def test_other_digest_algorithms(alg: str) -> None:
    issued = sdjwt.issue({"iss": ISS, "vct": VCT, "a": 1}, [("a",)], ISSUER, hash_alg=alg)
    out = sdjwt.verify(
        issued.serialize(), lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False)
    )
    assert out.ok and out.claims["a"] == 1


# --- failures, each with its code ---------------------------------------------------------------------


def _forge(header: dict[str, Any], payload: dict[str, Any], signer: JwsSigner = ISSUER) -> str:
    return encode_jws(header, payload, signer)


def _tamper_payload(raw: str, **changes: Any) -> str:
    jwt, *rest = raw.split("~")
    h, p, s = jwt.split(".")
    payload = json.loads(b64url_decode(p))
    payload.update(changes)
    return ".".join([h, b64url_encode(json_dumps(payload).encode()), s]) + "~" + "~".join(rest)


def _unsigned(raw: str) -> str:
    jwt, *rest = raw.split("~")
    _, p, _ = jwt.split(".")
    header = b64url_encode(b'{"alg":"none","typ":"dc+sd-jwt"}')
    return f"{header}.{p}." + "~" + "~".join(rest)


def _hs256(raw: str) -> str:
    jwt, *rest = raw.split("~")
    _, p, s = jwt.split(".")
    header = b64url_encode(b'{"alg":"HS256"}')
    return f"{header}.{p}.{s}~" + "~".join(rest)


def _extra_disclosure(raw: str) -> str:
    stranger = issue().split("~")[1]
    parts = raw.split("~")
    return "~".join([parts[0], *parts[1:-1], stranger, parts[-1]])


def _bad_kb_typ(raw: str) -> str:
    base = sdjwt.present(raw, [["given_name"]])
    kb = encode_jws(
        {"typ": "JWT"}, {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sdjwt.digest_of(base)}, HOLDER
    )
    return base + kb


CASES: list[tuple[str, Any, str]] = [
    ("alg none", lambda r: _unsigned(present(r, [["given_name"]])), "jose.alg_none"),
    ("alg HS256", lambda r: _hs256(present(r, [["given_name"]])), "jose.unsupported_alg"),
    (
        "tampered payload",
        lambda r: _tamper_payload(present(r, [["given_name"]]), vct="urn:other"),
        "jose.bad_signature",
    ),
    (
        "foreign disclosure",
        lambda r: _extra_disclosure(present(r, [["given_name"]])),
        "sdjwt.unreferenced_disclosure",
    ),
    (
        "repeated disclosure",
        lambda r: r.split("~")[0] + "~" + r.split("~")[1] + "~" + r.split("~")[1] + "~",
        "sdjwt.duplicate_digest",
    ),
    ("no KB-JWT", lambda r: sdjwt.present(r, [["given_name"]]), "sdjwt.kb_required"),
    ("wrong nonce", lambda r: present(r, [["given_name"]], nonce="other"), "sdjwt.kb_nonce"),
    (
        "wrong audience",
        lambda r: present(r, [["given_name"]], aud="https://evil.example"),
        "sdjwt.kb_audience",
    ),
    ("stale KB-JWT", lambda r: present(r, [["given_name"]], iat=NOW - 3600), "sdjwt.kb_stale"),
    (
        "KB-JWT from the future",
        lambda r: present(r, [["given_name"]], iat=NOW + 3600),
        "time.issued_in_future",
    ),
    (
        "disclosure dropped after KB",
        lambda r: _drop_disclosure(present(r, [["given_name"], ["family_name"]])),
        "sdjwt.kb_sd_hash",
    ),
    ("KB-JWT typ", _bad_kb_typ, "sdjwt.kb_bad_typ"),
    (
        "KB by another key",
        lambda r: present(r, [["given_name"]], holder=JwsSigner.generate("ES256")),
        "jose.bad_signature",
    ),
    ("expired", lambda r: present(issue(exp=NOW - 61), [["given_name"]]), "time.expired"),
    ("not yet valid", lambda r: present(issue(nbf=NOW + 61), [["given_name"]]), "time.not_yet_valid"),
    (
        "issued in the future",
        lambda r: present(issue(iat=NOW + 61), [["given_name"]]),
        "time.issued_in_future",
    ),
    ("no cnf but KB", lambda r: present(issue(holder_jwk=None), []), "sdjwt.kb_unexpected"),
    ("not a string", lambda r: 42, "sdjwt.malformed"),
    ("no tilde", lambda r: r.split("~")[0], "sdjwt.malformed"),
    ("empty disclosure", lambda r: r.split("~")[0] + "~~x", "sdjwt.malformed"),
    ("oversize", lambda r: r + "A" * 70_000, "input.too_large"),
    ("garbage JWT", lambda r: "a.b.c~", "input.malformed"),
    ("bad base64 disclosure", lambda r: r.split("~")[0] + "~***~", "input.malformed"),
]


def _drop_disclosure(pres: str) -> str:
    parts = pres.split("~")
    return "~".join([parts[0], *parts[2:]])


@pytest.mark.parametrize(("name", "mutate", "code"), CASES, ids=[c[0] for c in CASES])
def test_failure_codes(name: str, mutate: Any, code: str) -> None:
    out = verify(mutate(issue()))
    assert out.code == code, (out.code, out.message)


def test_skew_tolerates_small_clock_differences() -> None:
    assert verify(present(issue(exp=NOW - 30, iat=NOW + 30), [])).ok


def test_time_claims_must_be_numbers() -> None:
    issued = sdjwt.issue({"iss": ISS, "vct": VCT, "exp": "tomorrow"}, [], ISSUER)
    out = sdjwt.verify(
        issued.serialize(), lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False)
    )
    assert out.code == "time.bad_claim"


def test_claim_collision_and_reserved_names() -> None:
    d = sdjwt.Disclosure.make("salt", "given_name", "Mallory")
    payload = {"iss": ISS, "given_name": "Erika", "_sd": [sdjwt.digest_of(d.encoded)]}
    jwt = _forge({"typ": "dc+sd-jwt"}, payload)
    out = sdjwt.verify(
        f"{jwt}~{d.encoded}~", lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False)
    )
    assert out.code == "sdjwt.duplicate_claim"
    reserved = sdjwt.Disclosure.make("salt", "_sd", [])
    out = sdjwt.verify(
        f"{jwt}~{reserved.encoded}~", lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False)
    )
    assert out.code == "sdjwt.duplicate_claim"
    with pytest.raises(CheckFailed):
        sdjwt.issue({"_sd": 1}, [], ISSUER)


def test_unknown_digest_algorithm() -> None:
    jwt = _forge({"typ": "dc+sd-jwt"}, {"iss": ISS, "_sd_alg": "md5"})
    out = sdjwt.verify(jwt + "~", lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False))
    assert out.code == "sdjwt.unsupported_hash"


def test_deep_nesting_is_refused_without_recursion_errors() -> None:
    jwt = _forge({"typ": "dc+sd-jwt"}, {"iss": ISS})
    deep = "[" * 5000 + "]" * 5000
    d = b64url_encode(deep.encode())
    out = sdjwt.verify(f"{jwt}~{d}~", lambda h, p: ISSUER.public_key, sdjwt.Policy(NOW, require_kb=False))
    assert out.code == "input.bad_json"


def test_duplicate_json_members_are_refused() -> None:
    header = b64url_encode(b'{"alg":"EdDSA","alg":"none"}')
    out = verify(f"{header}.e30.AAAA~")
    assert out.code == "input.bad_json"


# --- SD-JWT VC profile --------------------------------------------------------------------------------


def test_vc_rules() -> None:
    with pytest.raises(CheckFailed) as exc:
        issue(sd_paths=[*PATHS, ("vct",)])
    assert exc.value.code == "vc.sd_forbidden"
    # forged with the generic layer: `exp` made disclosable
    issued = sdjwt.issue(
        {"iss": ISS, "vct": VCT, "exp": NOW + 10, "cnf": {"jwk": HOLDER.public_jwk()}}, [("exp",)], ISSUER
    )
    assert verify(present(issued.serialize(), None)).code == "vc.sd_forbidden"
    wrong_typ = sdjwt.issue(
        {"iss": ISS, "vct": VCT, "cnf": {"jwk": HOLDER.public_jwk()}}, [], ISSUER, typ="JWT"
    )
    assert verify(present(wrong_typ.serialize(), [])).code == "vc.bad_typ"
    no_vct = sdjwt.issue({"iss": ISS, "cnf": {"jwk": HOLDER.public_jwk()}}, [], ISSUER)
    assert verify(present(no_vct.serialize(), [])).code == "vc.missing_claim"
    legacy = sdjwt.issue(
        {"iss": ISS, "vct": VCT, "cnf": {"jwk": HOLDER.public_jwk()}}, [], ISSUER, typ="vc+sd-jwt"
    )
    assert verify(present(legacy.serialize(), [])).ok


def test_trust_type_and_issuer_binding() -> None:
    pres = present(issue(), [])
    untrusted = sdjwt_vc.Verifier(DidResolver(), trust=sdjwt_vc.StaticTrust([]))
    assert untrusted.verify(pres, now_s=NOW, nonce=NONCE, aud=AUD).code == "vc.untrusted_issuer"
    picky = sdjwt_vc.Verifier(DidResolver(), accepted_vct=("urn:other",))
    assert picky.verify(pres, now_s=NOW, nonce=NONCE, aud=AUD).code == "vc.wrong_type"
    other = JwsSigner.generate("EdDSA")
    other_did = did_jwk(other.public_jwk())
    stolen = other.with_kid(f"{other_did}#0")
    raw = sdjwt_vc.issue(
        stolen, iss=ISS, vct=VCT, claims={}, sd_paths=[], holder_jwk=HOLDER.public_jwk(), iat=NOW
    )
    assert verify(present(raw, [])).code == "vc.issuer_mismatch"
    ledger_iss = sdjwt_vc.issue(
        ISSUER.with_kid(""),
        iss="did:govledger:x:y",
        vct=VCT,
        claims={},
        sd_paths=[],
        holder_jwk=None,
        iat=NOW,
    )
    assert verify(ledger_iss, require_kb=False).code == "did.unsupported_method"
    web = sdjwt_vc.issue(
        ISSUER.with_kid(""),
        iss="did:web:gone.example",
        vct=VCT,
        claims={},
        sd_paths=[],
        holder_jwk=None,
        iat=NOW,
    )
    web_verifier = sdjwt_vc.Verifier(DidResolver({"web": WebMethod()}))
    assert web_verifier.verify(web, now_s=NOW, require_kb=False).code == "did.not_found"


class _Status:
    def __init__(self, value: int) -> None:
        self.value = value

    def token_status(self, uri: str, index: int, issuer: str) -> int:
        assert (uri, index, issuer) == ("https://s.example/1", 7, ISS)
        return self.value


@pytest.mark.parametrize(
    ("value", "code"), [(0, "ok"), (1, "vc.revoked"), (2, "vc.suspended"), (3, "vc.revoked")]
)
def test_status_values(value: int, code: str) -> None:
    raw = issue(status=sdjwt_vc.StatusRef("https://s.example/1", 7))
    v = sdjwt_vc.Verifier(DidResolver(), status=_Status(value))
    assert v.verify(present(raw, []), now_s=NOW, nonce=NONCE, aud=AUD).code == code


# --- hostile input never raises -----------------------------------------------------------------------

_VALID = present(issue(), [["given_name"]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_VALID) - 1), st.text(min_size=0, max_size=8), st.integers(0, 8))
def test_mutations_never_raise(pos: int, insert: str, cut: int) -> None:
    mutated = _VALID[:pos] + insert + _VALID[pos + cut :]
    out = verify(mutated)  # must return an Outcome, never raise
    if mutated == _VALID:
        assert out.ok


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.text(max_size=300), st.binary(max_size=300), st.none(), st.integers(), st.lists(st.text()))
)
def test_arbitrary_values_never_raise(value: Any) -> None:
    assert not verify(value).ok
