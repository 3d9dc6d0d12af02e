"""Selective disclosure round trips, and DID signing / DNS records / resolvers."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.documents import DocumentError, EthSigner, obfuscate, sign_document, wrap_documents
from govledger.documents import sign as signmod
from govledger.documents.verify import verify_integrity
from govledger.documents.wrap import flatten

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")


def raw(i: int = 0) -> dict:  # type: ignore[type-arg]
    return {
        "issuers": [
            {
                "name": "I",
                "documentStore": "0x" + "11" * 20,
                "identityProof": {"type": "DNS-TXT", "location": "x.y"},
            }
        ],
        "recipient": {"name": f"R{i}", "address": {"street": "s", "zip": 12345}},
        "items": [{"a": 1, "b": 2}, {"c": 3}],
        "only": {"one": True},
    }


def _wrapped() -> dict:  # type: ignore[type-arg]
    return wrap_documents([raw(0), raw(1)], random_bytes=random.Random(5).randbytes)[0]


@pytest.mark.parametrize(
    "paths",
    [
        ["recipient.name"],
        ["recipient.address"],
        ["recipient"],
        ["items"],
        ["items.0.a"],
        ["only.one"],
        ["recipient.address.zip", "recipient.address.street"],
        ["issuers.0.name"],
    ],
)
def test_obfuscation_keeps_the_document_valid(paths: list[str]) -> None:
    doc = _wrapped()
    hidden = obfuscate(doc, paths)
    assert verify_integrity(json.dumps(hidden)).status == "VALID"
    assert doc == _wrapped(), "the input is not modified"
    for p in paths:
        assert p not in flatten(hidden["data"])
    assert hidden["signature"] == doc["signature"]


def test_emptied_parents_are_removed_not_left_as_leaves() -> None:
    hidden = obfuscate(_wrapped(), ["only.one"])
    assert "only" not in hidden["data"]  # OpenAttestation would leave `only: {}` and fail its own check
    hidden = obfuscate(_wrapped(), ["recipient.address.zip", "recipient.address.street", "recipient.name"])
    assert "recipient" not in hidden["data"]


@pytest.mark.parametrize(
    ("paths", "code"),
    [
        (["nope"], "documents.bad_path"),
        (["recipient..name"], "documents.bad_path"),
        (["items.1"], "documents.bad_path"),  # an array element: would renumber its siblings
        (["items.01.c"], "documents.bad_path"),
        (["items.1.c"], "documents.empties_array_element"),
        (["recipient.name.x"], "documents.bad_path"),
    ],
)
def test_obfuscation_refusals(paths: list[str], code: str) -> None:
    with pytest.raises(DocumentError) as e:
        obfuscate(_wrapped(), paths)
    assert e.value.code == code


@given(
    st.sets(
        st.sampled_from(
            [
                "recipient.name",
                "recipient.address",
                "items",
                "only",
                "issuers.0.name",
                "recipient.address.zip",
                "items.0.b",
            ]
        ),
        min_size=1,
    )
)
@settings(max_examples=40)
def test_obfuscation_round_trips_in_any_order(paths: set[str]) -> None:
    doc = _wrapped()
    ordered = sorted(paths, key=len, reverse=True)  # children before parents
    step = doc
    for p in ordered:
        try:
            step = obfuscate(step, [p])
        except DocumentError as e:
            assert e.code == "documents.bad_path"  # its parent went first; nothing else may fail
    assert verify_integrity(json.dumps(step)).status == "VALID"


def test_eip191_known_vector() -> None:
    """web3.js / ethers documentation vector: personal-sign of "Some data"."""
    s = EthSigner(KEY)
    assert s.address == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    sig = s.personal_sign(b"Some data")
    assert sig == (
        "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c"
        "747ef045e5d18a5f5d4300f8e1a0291c"
    )
    assert signmod.recover_personal(b"Some data", sig) == s.address
    assert "4c08" not in repr(s)


def test_recover_refuses_malformed_signatures() -> None:
    good = EthSigner(KEY).personal_sign(b"m")
    for bad in ("", "0x", good[:-2], good[:-2] + "1d", "0x" + "00" * 65, "0x" + "ff" * 65, good.upper(), 5):
        assert signmod.recover_personal(b"m", bad) is None  # type: ignore[arg-type]
    v0 = good[:-2] + ("00" if good.endswith("1b") else "01")  # ethers also accepts v in {0, 1}
    assert signmod.recover_personal(b"m", v0) == EthSigner(KEY).address


def test_signer_key_checks_and_document_signing() -> None:
    for bad in (b"", b"\x00" * 32, b"\xff" * 32):
        with pytest.raises(DocumentError):
            EthSigner(bad)
    with pytest.raises(DocumentError):
        sign_document({"signature": {}}, EthSigner(KEY), created="t")
    doc = sign_document(_wrapped(), EthSigner(KEY), created="2026-01-01T00:00:00Z")
    doc = sign_document(doc, EthSigner(b"\x02" * 32), created="2026-01-01T00:00:00Z")
    assert [p["verificationMethod"] for p in doc["proof"]] == [
        EthSigner(KEY).key_id,
        EthSigner(b"\x02" * 32).key_id,
    ]


def test_checksum_did_and_records() -> None:
    assert (
        signmod.checksum_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    )
    with pytest.raises(ValueError):
        signmod.checksum_address("0x12")
    did = "did:ethr:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    doc = signmod.implicit_ethr_document(did)
    assert doc is not None and doc["verificationMethod"][0]["blockchainAccountId"].startswith(
        "eip155:1:0x5aAe"
    )
    assert signmod.parse_did_ethr("did:ethr:sepolia:0x" + "ab" * 20) == (11155111, "0x" + "ab" * 20)
    assert signmod.parse_did_ethr("did:ethr:0x1:0x" + "ab" * 20) == (1, "0x" + "ab" * 20)
    assert signmod.parse_did_ethr("did:web:example.com") is None
    assert signmod.parse_did_ethr("did:ethr:mars:0x" + "ab" * 20) is None
    rec = signmod.parse_store_record(signmod.store_txt_record("0x" + "ab" * 20, 1337))
    assert rec == signmod.StoreRecord("ethereum", "1337", "0x" + "ab" * 20)
    assert signmod.parse_store_record("v=spf1 -all") is None
    assert signmod.parse_did_record(signmod.did_txt_record(did + "#controller")) == signmod.DidRecord(
        did + "#controller", "1.0"
    )
    assert signmod.parse_did_record("openatts a=other; p=x; v=1") is None
    dns = signmod.StaticDnsResolver({"Example.COM.": ["a"]})
    assert dns.txt("example.com") == ["a"] and dns.txt("other") == []
    with pytest.raises(ValueError):
        signmod.TrustList((signmod.TrustedIssuer("bogus", "x", "n"),))
