"""QR payloads, and the certificate hook: a land title certificate as an issued, verifiable document."""

from __future__ import annotations

import json
import urllib.parse

import msgspec
import pytest

from govledger.apps.documents.certificate import (
    IssuerSpec,
    certificate_document,
    certificate_hook,
    record_json,
)
from govledger.apps.documents.model import CreateStore, Issue
from govledger.apps.documents.status import LedgerStatusSource
from govledger.apps.land.app import certificate_data
from govledger.codec import Record
from govledger.documents import DocumentError, StaticDnsResolver, VerifyOptions, qr, store_txt_record, verify
from govledger.documents.sign import checksum_address
from govledger.documents.wrap import document_data, wrap_documents
from govledger.ledger.app import AppView

from ..apps.land.harness import fresh_world
from .harness import A, Ledger, kid, store_address


def test_action_url_payload() -> None:
    url = qr.action_url("https://docs.example.gov/cert/42.json", redirect="https://verify.example.gov/")
    assert url.startswith("https://action.openattestation.com/?q=%7B%22type%22%3A%22DOCUMENT%22")
    q = json.loads(urllib.parse.unquote(url.split("?q=", 1)[1]))
    assert q == {
        "type": "DOCUMENT",
        "payload": {
            "uri": "https://docs.example.gov/cert/42.json",
            "permittedActions": ["VIEW"],
            "redirect": "https://verify.example.gov/",
        },
    }
    assert "key" in json.loads(urllib.parse.unquote(qr.action_url("u", key="k").split("?q=")[1]))["payload"]


def test_hash_uri_and_images() -> None:
    payload = qr.hash_uri("0x" + "ab" * 20, "11" * 32, "22" * 32)
    assert payload == f"govledger:documents?store=0x{'ab' * 20}&target={'11' * 32}&root={'22' * 32}"
    png = qr.qr_png(payload)
    svg = qr.qr_svg(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 200
    assert b"<svg" in svg
    with pytest.raises(ValueError):
        qr.qr_png("")
    with pytest.raises(ValueError):
        qr.qr_png("x" * 3000)


class Sample(Record, frozen=True):
    digest: bytes
    big: int
    small: int
    items: list[tuple[str, int]]
    maybe: str | None = None


def test_record_json_is_javascript_safe() -> None:
    out = record_json(Sample(b"\x01\x02", 2**60, 7, [("a", 1)]))
    assert out == {"digest": "0x0102", "big": str(2**60), "small": 7, "items": [["a", 1]], "maybe": None}

    class Floaty(msgspec.Struct):
        x: float

    with pytest.raises(DocumentError):
        record_json(Floaty(1.5))


def test_issuer_spec_entries() -> None:
    with pytest.raises(DocumentError):
        IssuerSpec("x").entry()
    did = IssuerSpec("x", did="did:ethr:0x" + "ab" * 20, did_key="did:ethr:0x" + "ab" * 20 + "#controller")
    assert did.entry()["identityProof"]["type"] == "DID" and did.entry()["revocation"] == {"type": "NONE"}


def test_land_title_certificate_issued_and_verified() -> None:
    land = fresh_world()
    docs_led = Ledger()
    docs_led.ok("create_store", CreateStore("land-registry", kid(A.owner)), A.owner, A.issuer)
    store = checksum_address(store_address("land-registry"))
    issuer = IssuerSpec("National Land Registry", document_store=store, dns_location="land.example.gov")
    hook = certificate_hook(certificate_data, "land.TitleCertificate")
    land_view = AppView(land.store, "land")
    raws = [
        hook(land_view, pid, issuer=issuer, ledger={"chainId": "land-test", "height": land.height})
        for pid in ("P1", "P2")
    ]
    assert hook(land_view, "nope", issuer=issuer) is None
    assert all(r is not None for r in raws)
    batch = wrap_documents([r for r in raws if r is not None])
    docs_led.ok(
        "issue",
        Issue(store_address("land-registry"), [bytes.fromhex(batch[0]["signature"]["merkleRoot"])]),
        A.owner,
        A.issuer,
    )
    options = VerifyOptions(
        status=LedgerStatusSource(docs_led.view),
        dns=StaticDnsResolver({"land.example.gov": [store_txt_record(store, 1337)]}),
        network_id=1337,
    )
    for doc in batch:
        assert verify(json.dumps(doc), options).valid()
    data = document_data(batch[0])
    assert data["recordType"] == "land.TitleCertificate" and data["id"] == "land.TitleCertificate:P1"
    assert data["record"]["parcel_id"] == "P1" and data["record"]["owners"][0]["party_id"] == "alice"
    assert data["record"]["owners"][0]["commitment"].startswith("0x")


def test_certificate_document_shape() -> None:
    doc = certificate_document(
        Sample(b"", 1, 2, []),
        issuer=IssuerSpec("I", token_registry="0x" + "cd" * 20, dns_location="a.b"),
        record_type="x.Sample",
        document_id="x:1",
    )
    assert doc["issuers"][0]["tokenRegistry"] == "0x" + "cd" * 20 and "ledger" not in doc
    assert doc["$template"]["name"] == "x.Sample"
