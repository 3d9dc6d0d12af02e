"""DIDs: did:key and did:jwk round trips, did:web through an injected fetcher, resolver rules and cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from govledger.identity import did as d
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import JwsSigner, jwk_of


def _code(fn: Any, *args: Any) -> str:
    with pytest.raises(CheckFailed) as exc:
        fn(*args)
    return exc.value.code


def test_did_key_ed25519_known_value() -> None:
    """The W3C vc-di-eddsa vectors' key: z6MkrJVn... is multicodec 0xed01 || 32-byte key in base58btc."""
    did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    doc = d.DidResolver().document(did)
    key = doc.key_for(f"{did}#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "assertionMethod")
    assert d.did_key(key) == did
    assert doc.document["verificationMethod"][0]["type"] == "Multikey"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_did_key_and_did_jwk_round_trips(alg: str) -> None:
    signer = JwsSigner.generate(alg)
    r = d.DidResolver()
    for did in (d.did_key(signer.public_key), d.did_jwk(signer.public_jwk())):
        key = r.key_for(did, "authentication")
        assert jwk_of(key) == signer.public_jwk()
    assert d.did_key(signer.public_key).startswith("did:key:z6Mk" if alg == "EdDSA" else "did:key:zDn")
    url = d.did_key_url(signer.public_key)
    assert jwk_of(r.key_for(url)) == signer.public_jwk()


def test_did_jwk_document_follows_the_method_spec() -> None:
    jwk = JwsSigner.generate("ES256").public_jwk()
    did = d.did_jwk(jwk)
    doc = d.DidResolver().document(did).document
    assert doc["verificationMethod"][0]["id"] == did + "#0"
    assert doc["verificationMethod"][0]["publicKeyJwk"] == jwk
    enc = "did:jwk:" + d.b64url_encode(json.dumps({**jwk, "use": "enc"}).encode())
    assert d.DidResolver().resolve(enc).code == "did.bad_document"


def test_did_web_urls_and_fetching() -> None:
    assert d.did_web_url("did:web:example.com") == "https://example.com/.well-known/did.json"
    assert (
        d.did_web_url("did:web:example.com%3A8443:user:alice")
        == "https://example.com:8443/user/alice/did.json"
    )
    assert _code(d.did_web_url, "did:key:z6Mk") == "did.malformed"
    signer = JwsSigner.generate("EdDSA")
    did = "did:web:issuer.example"
    doc = d.document_for_key(did, signer.public_key, fragment="k1", jwk=True)
    fetched: list[str] = []

    def fetch(url: str) -> bytes | None:
        fetched.append(url)
        return json.dumps(doc).encode() if url == "https://issuer.example/.well-known/did.json" else None

    clock = [0.0]
    r = d.DidResolver({"web": d.WebMethod(fetch)}, cache_ttl_s=60, clock=lambda: clock[0])
    assert jwk_of(r.key_for(did + "#k1")) == signer.public_jwk()
    r.key_for(did + "#k1")
    assert len(fetched) == 1  # cached
    clock[0] = 61
    r.key_for(did + "#k1")
    assert len(fetched) == 2  # expired and fetched again
    assert r.resolve("did:web:gone.example").code == "did.not_found"
    liar = d.DidResolver({"web": d.WebMethod(lambda url: json.dumps({**doc, "id": "did:web:x"}).encode())})
    assert liar.resolve(did).code == "did.bad_document"


def test_cache_is_bounded() -> None:
    docs = {f"did:web:h{i}.example": {"id": f"did:web:h{i}.example"} for i in range(50)}
    r = d.DidResolver({"web": d.WebMethod(documents=docs)}, cache_entries_max=10)
    for did in docs:
        assert r.resolve(did).ok
    assert len(r._cache) == 10


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "did.malformed"),
        ("did:", "did.malformed"),
        ("did:Key:abc", "did.malformed"),
        ("did:key:", "did.malformed"),
        ("did:key:abc:", "did.malformed"),
        ("did:" + "a" * 3000, "did.malformed"),
        ("did:example:abc", "did.unsupported_method"),
        ("did:key:zzzz", "jose.bad_key"),
        ("did:key:u" + "A" * 10, "jose.bad_key"),
        ("did:jwk:***", "did.malformed"),
        ("did:jwk:A", "input.malformed"),
        ("did:jwk:" + d.b64url_encode(b'{"kty":"RSA"}'), "jose.bad_key"),
    ],
)
def test_bad_dids_are_failed_checks(text: str, code: str) -> None:
    res = d.DidResolver().resolve(text)
    assert res.code == code, res


def test_purposes_and_key_selection() -> None:
    a, b = JwsSigner.generate("EdDSA"), JwsSigner.generate("EdDSA")
    did = "did:web:two.example"
    doc = {
        "id": did,
        "verificationMethod": [
            {
                "id": "#a",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": d.multikey_encode(a.public_key),
            },
            {"id": f"{did}#b", "type": "JsonWebKey", "controller": did, "publicKeyJwk": b.public_jwk()},
        ],
        "assertionMethod": ["#a", f"{did}#b"],
        "authentication": [f"{did}#b"],
    }
    r = d.DidResolver({"web": d.WebMethod(documents={did: doc})})
    assert jwk_of(r.key_for(did + "#a", "assertionMethod")) == a.public_jwk()
    assert _code(r.key_for, did + "#a", "authentication") == "did.key_not_found"
    assert _code(r.key_for, did, "assertionMethod") == "did.key_not_found"  # ambiguous without a fragment
    assert jwk_of(r.key_for(did, "authentication")) == b.public_jwk()
    assert _code(r.issuer_key, did, "did:web:other.example#a") == "vc.issuer_mismatch"
    assert jwk_of(r.issuer_key(did, "#b")) == b.public_jwk()


def test_p256_multikey_from_the_w3c_employment_vector() -> None:
    did = "did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76"
    key = d.DidResolver().key_for(did)
    assert isinstance(key, ec.EllipticCurvePublicKey) and d.did_key(key) == did
