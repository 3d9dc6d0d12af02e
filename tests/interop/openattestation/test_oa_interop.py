"""govledger's documents module against OpenAttestation's own code, in both directions.

- documents wrapped, DID-signed and obfuscated by govledger pass OpenAttestation's `verifySignature`
  and oa-verify's integrity, DID-signature, DID/DNS-DID/DNS-TXT identity fragments (offline: implicit
  did:ethr resolver, stub provider, table DNS resolver);
- documents wrapped, signed and obfuscated by OpenAttestation pass govledger's verifier;
- a tampered field fails both; the upstream fixtures get the same verdict from both;
- JavaScript's `String(n)` and `JSON.stringify(s)` agree with `govledger.documents.js` on thousands of
  values, the edge cases first.
"""

from __future__ import annotations

import copy
import json
import math
import random
import struct
from pathlib import Path
from typing import Any

from govledger.documents import (
    EthSigner,
    StaticDnsResolver,
    VerifyOptions,
    did_issuer,
    did_txt_record,
    obfuscate,
    sign_document,
    store_txt_record,
    verify,
    wrap_documents,
)
from govledger.documents import js as jsmod

from .conftest import Node

VECTORS = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "vectors"
    / "openattestation"
    / "test"
    / "fixtures"
    / "v2"
)
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
SIGNER = EthSigner(KEY)
STORE = "0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d"
NET_ID = 1337  # dnsprove accepts only listed Ethereum network ids; 1337 is "local"
DNS = {
    "certs.example.gov": [store_txt_record(STORE, NET_ID)],
    "did.example.gov": [did_txt_record(SIGNER.key_id)],
}
CREATED = "2026-11-27T00:00:00.000Z"


def _rng_bytes(seed: int):  # type: ignore[no-untyped-def]
    return random.Random(seed).randbytes


def store_doc(i: int) -> dict[str, Any]:
    return {
        "$template": {"name": "main", "type": "EMBEDDED_RENDERER", "url": "https://renderer.example.gov"},
        "issuers": [
            {
                "name": "Ministry of Education",
                "documentStore": STORE,
                "identityProof": {"type": "DNS-TXT", "location": "certs.example.gov"},
            }
        ],
        "id": f"CERT-{i}",
        "recipient": {"name": f"Student {i}", "address": {"street": "1 Main St", "country": "SG"}},
        "grades": [{"course": "Maths", "score": 91.5}, {"course": "Art", "score": 1e21}],
        "flags": {"honours": i % 2 == 0, "note": None, "tiny": 1e-7, "neg0": -0.0, "five": 5.0},
        "empty": {},
        "none": [],
        "unicode": "Zoë — 東京 😀",
    }


def did_doc(i: int, dns_did: bool = False) -> dict[str, Any]:
    issuer = did_issuer(SIGNER, "Customs Authority")
    if dns_did:
        issuer["identityProof"] = {"type": "DNS-DID", "key": SIGNER.key_id, "location": "did.example.gov"}
    return {
        "$template": {"name": "main", "type": "EMBEDDED_RENDERER", "url": "https://renderer.example.gov"},
        "issuers": [issuer],
        "id": f"PERMIT-{i}",
        "recipient": {"name": f"Trader {i}", "company": {"uen": f"2026{i:05d}K"}},
        "goods": [{"hs": "2204", "litres": 5000}],
    }


def _by_name(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {f["name"]: (f["status"], f["code"]) for f in result["fragments"]}


def test_js_number_and_string_semantics(oa_node: Node) -> None:
    rng = random.Random(20261127)
    edge = [
        1e21,
        1e-7,
        -0.0,
        5.0,
        0.1,
        1e20,
        123e-20,
        1e-6,
        9.999999999999999e20,
        2**53,
        2**53 + 1,
        2**64,
        10**25,
        5e-324,
        1.7976931348623157e308,
        -1.5e-9,
        0.000001234,
        123456789.125,
    ]
    randoms = []
    while len(randoms) < 3000:
        x = struct.unpack("<d", rng.randbytes(8))[0]
        if math.isfinite(x):
            randoms.append(x)
    randoms += [rng.uniform(-1e6, 1e6) for _ in range(500)] + [
        rng.randint(-(2**70), 2**70) for _ in range(300)
    ]
    numbers = edge + randoms
    strings = [
        "plain",
        'q"uote',
        "back\\slash",
        "\x00\x1f\x7f",
        "\u2028\u2029",
        "é東😀",
        "\ud800",
        "a\udfffb",
        "\ud83d\ude00",
        "\t\n\r\b\f",
        "</script>",
    ]
    # JSON carries Python ints exactly and floats by repr, which JavaScript parses to the same double
    answer = oa_node.run("js_semantics.js", {"numbers": numbers, "strings": strings})
    assert answer["numbers"] == [jsmod.number_to_string(n) for n in numbers]
    assert answer["strings"] == [jsmod.stringify_string(s) for s in strings]


def test_govledger_documents_pass_openattestation(oa_node: Node) -> None:
    batch = wrap_documents([store_doc(i) for i in range(5)], random_bytes=_rng_bytes(1))
    did_batch = wrap_documents([did_doc(i) for i in range(3)], random_bytes=_rng_bytes(2))
    did_signed = [sign_document(d, SIGNER, created=CREATED) for d in did_batch]
    dns_did = [sign_document(d, SIGNER, created=CREATED) for d in wrap_documents([did_doc(9, True)])]
    hidden = [
        obfuscate(batch[0], ["recipient.address", "grades", "flags.note"]),
        obfuscate(did_signed[0], ["recipient.company.uen"]),  # empties `company`: removed with it
        obfuscate(obfuscate(batch[1], ["recipient.name"]), ["unicode", "empty"]),
    ]
    docs = batch + did_signed + dns_did + hidden
    results = oa_node.run("verify.js", {"documents": docs, "dns": DNS, "chainId": NET_ID})
    for doc, res in zip(docs, results, strict=True):
        frags = _by_name(res)
        assert res["signature"] is True, doc["data"].get("id")
        assert frags["OpenAttestationHash"] == ("VALID", "")
        # and govledger agrees on every document
        ours = verify(json.dumps(doc), VerifyOptions(dns=StaticDnsResolver(DNS), network_id=NET_ID))
        assert ours.fragment("OpenAttestationHash").status == "VALID"
    for res in results[5:8] + results[10:11]:
        frags = _by_name(res)
        assert frags["OpenAttestationDidSignedDocumentStatus"] == ("VALID", "")
        assert frags["OpenAttestationDidIdentityProof"] == ("VALID", "")
        assert res["valid"] is True
    assert _by_name(results[8])["OpenAttestationDnsDidIdentityProof"] == ("VALID", "")
    assert results[8]["valid"] is True
    for res in results[:5]:
        assert _by_name(res)["OpenAttestationDnsTxtIdentityProof"] == ("VALID", "")


def test_openattestation_documents_pass_govledger(oa_node: Node) -> None:
    raws = [store_doc(i) for i in range(4)]
    wrapped = oa_node.run("wrap.js", {"documents": raws, "batch": True})
    signed = oa_node.run(
        "wrap.js",
        {
            "documents": [did_doc(i) for i in range(3)],
            "batch": True,
            "sign": {"privateKey": "0x" + KEY.hex(), "key": SIGNER.key_id},
        },
    )
    hidden = oa_node.run(
        "wrap.js", {"documents": [store_doc(7)], "batch": False, "obfuscate": ["recipient", "grades"]}
    )
    options = VerifyOptions(dns=StaticDnsResolver(DNS), network_id=NET_ID)
    assert len({d["signature"]["merkleRoot"] for d in wrapped}) == 1
    for doc in wrapped + hidden:
        report = verify(json.dumps(doc).encode(), options)
        assert report.fragment("OpenAttestationHash").status == "VALID"
        assert report.fragment("OpenAttestationDnsTxtIdentityProof").status == "VALID"
    for doc in signed:
        report = verify(json.dumps(doc), options)
        assert report.valid(), report.fragments
        assert report.fragment("OpenAttestationDidSignedDocumentStatus").status == "VALID"
        assert report.fragment("OpenAttestationDidIdentityProof").status == "VALID"
        assert (
            doc["proof"][0]["signature"]
            == sign_document({k: v for k, v in doc.items() if k != "proof"}, SIGNER, created=CREATED)[
                "proof"
            ][0]["signature"]
        ), "RFC 6979 signatures are deterministic: both sides sign identically"


def test_tampered_field_fails_both(oa_node: Node) -> None:
    ours = wrap_documents([store_doc(1)], random_bytes=_rng_bytes(3))[0]
    theirs = oa_node.run("wrap.js", {"documents": [store_doc(1)], "batch": False})[0]
    signed = sign_document(wrap_documents([did_doc(1)])[0], SIGNER, created=CREATED)
    tampered = []
    for doc in (ours, theirs, signed):
        t = copy.deepcopy(doc)
        salted = t["data"]["recipient"]["name"]
        t["data"]["recipient"]["name"] = salted[: salted.rindex(":") + 1] + "Mallory"
        tampered.append(t)
    forged = copy.deepcopy(signed)
    forged["proof"][0]["signature"] = EthSigner(b"\x07" * 32).personal_sign(
        bytes.fromhex(signed["signature"]["merkleRoot"])
    )
    results = oa_node.run("verify.js", {"documents": [*tampered, forged], "dns": DNS, "chainId": NET_ID})
    for doc, res in zip(tampered, results[:3], strict=True):
        assert res["signature"] is False
        assert _by_name(res)["OpenAttestationHash"] == ("INVALID", "DOCUMENT_TAMPERED")
        report = verify(json.dumps(doc))
        assert report.fragment("OpenAttestationHash").code == "integrity.target_hash_mismatch"
    assert _by_name(results[3])["OpenAttestationDidIdentityProof"][0] == "INVALID"
    assert verify(forged).fragment("OpenAttestationDidIdentityProof").code == "signature.wrong_signature"


def test_upstream_fixtures_same_verdict(oa_node: Node) -> None:
    names = sorted(p.name for p in VECTORS.glob("*.json") if p.name != "raw-document.json")
    docs = [json.loads((VECTORS / n).read_text()) for n in names]
    results = oa_node.run("verify.js", {"documents": docs})
    for name, doc, res in zip(names, docs, results, strict=True):
        ours = verify(json.dumps(doc)).fragment("OpenAttestationHash").status
        assert res["signature"] is (ours == "VALID"), name
        assert (name == "obfuscated-wrapped.json") is (ours == "INVALID"), name


def test_upstream_obfuscation_quirk_and_ours(oa_node: Node) -> None:
    """OpenAttestation's obfuscation of `recipient.name` leaves `recipient: {}` and fails its own
    check; govledger's removes the emptied object and passes both."""
    raw = store_doc(3)
    raw["recipient"] = {"name": "Only Field"}
    theirs = oa_node.run("wrap.js", {"documents": [raw], "obfuscate": ["recipient.name"]})[0]
    ours = obfuscate(wrap_documents([raw])[0], ["recipient.name"])
    assert theirs["data"]["recipient"] == {} and "recipient" not in ours["data"]
    results = oa_node.run("verify.js", {"documents": [theirs, ours]})
    assert [r["signature"] for r in results] == [False, True]
    assert verify(theirs).fragment("OpenAttestationHash").code == "integrity.target_hash_mismatch"
    assert verify(ours).fragment("OpenAttestationHash").status == "VALID"
