"""govledger's mdocs against pymdoccbor (the EUDI wallet reference's CBOR mdoc library), both directions.

- mdocs issued and presented here verify in pymdoccbor (issuer signature, DS certificate signed by
  the trusted IACA, every returned element's digest) and it reads the same values back;
- mdocs issued by pymdoccbor verify here (issuer half), and once presented with DeviceAuth by our
  holder code, as a whole DeviceResponse: pymdoccbor has no device authentication of its own;
- a changed element fails both; a root neither trusts fails both.

pymdoccbor stamps `signed`/`validFrom` with the real clock, so these tests verify at the real time.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from govledger.identity import cose, mdoc, mdoc_pki
from govledger.identity.jose import JwsSigner

pymdoc_issuer = pytest.importorskip("pymdoccbor.mdoc.issuer", reason="pymdoccbor is in the test extras")
pymdoc_verifier = pytest.importorskip("pymdoccbor.mdoc.verifier")

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)
ST = mdoc.oid4vp_session_transcript("x509_san_dns:rp.example.gov", "n-9", "https://rp.example.gov/post")
PID = {
    "family_name": "Tan",
    "given_name": "Mei Ling",
    "birth_date": "1990-01-02",
    "age_over_18": True,
    "nationality": ["SG"],
    "issuing_country": "SG",
    "issuing_authority": "Registry of Births",
}


def pki() -> tuple[bytes, JwsSigner, bytes]:
    """(IACA DER, DS signer, DS certificate DER)."""
    iaca_key = ec.generate_private_key(ec.SECP256R1())
    iaca = mdoc_pki.iaca_certificate(
        iaca_key, common_name="SG IACA", country="SG", not_before=NOW - DAY, not_after=NOW + 3650 * DAY
    )
    ds = JwsSigner.generate("ES256")
    cert = mdoc_pki.document_signer_certificate(
        iaca_key, iaca, ds.public_key, common_name="SG DS", not_before=NOW - DAY, not_after=NOW + 365 * DAY
    )
    return iaca, ds, cert


IACA, DS, DS_CERT = pki()
DEVICE = JwsSigner.generate("ES256")


def theirs_verify(response: bytes, iaca: bytes = IACA) -> tuple[bool, dict[str, Any]]:
    m = pymdoc_verifier.MdocCbor()
    m.loads(response)
    ok = m.verify(trusted_root_certs=[x509.load_der_x509_certificate(iaca)])
    return bool(ok), m.disclosure_map


def ours_issue(elements: dict[str, Any]) -> bytes:
    return mdoc.issue(
        mdoc.DocumentSigner(DS, (DS_CERT,)),
        doc_type=mdoc.PID_DOCTYPE,
        name_spaces={mdoc.PID_NAMESPACE: elements},
        device_key=DEVICE.public_key,
        signed=NOW,
        valid_from=NOW,
        valid_until=NOW + 365 * DAY,
    )


def theirs_issue() -> bytes:
    """pymdoccbor's MdocCborIssuer with our DS key and certificate; its IssuerSigned, CBOR."""
    d = DS.private_jwk()["d"]
    private = {"KTY": "EC2", "CURVE": "P_256", "ALG": "ES256", "D": _b64(d), "KID": b"ds-1"}
    nums = DEVICE.public_key.public_numbers()  # type: ignore[union-attr]
    device = {
        "KTY": "EC2",
        "CURVE": "P_256",
        "X": nums.x.to_bytes(32, "big"),
        "Y": nums.y.to_bytes(32, "big"),
    }
    issuer = pymdoc_issuer.MdocCborIssuer(private_key=private, alg="ES256")
    issuer.new(
        data={mdoc.PID_NAMESPACE: dict(PID)},
        doctype=mdoc.PID_DOCTYPE,
        validity={"issuance_date": NOW.strftime("%Y-%m-%d"), "expiry_date": "2036-01-01"},
        devicekeyinfo=device,
        x509_chain=[DS_CERT],
    )
    document = cbor2.loads(issuer.dump())["documents"][0]
    assert document["docType"] == mdoc.PID_DOCTYPE
    return cose.dumps(document["issuerSigned"])


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now_s() -> int:
    return int(time.time())


def test_ours_verified_by_pymdoccbor_with_the_same_values() -> None:
    elements = {**PID, "birth_date": dt.date(1990, 1, 2)}
    response = mdoc.present(ours_issue(elements), device=DEVICE, session_transcript=ST)
    ok, values = theirs_verify(response)
    assert ok
    assert values[mdoc.PID_NAMESPACE] == elements  # the full-date (tag 1004) read back as a date
    ours = mdoc.Verifier([IACA]).verify(response, session_transcript=ST, now_s=now_s())
    assert ours.ok, ours


def test_ours_selective_presentation_verified_by_pymdoccbor() -> None:
    response = mdoc.present(
        ours_issue(PID), device=DEVICE, session_transcript=ST, disclose={mdoc.PID_NAMESPACE: ["age_over_18"]}
    )
    ok, values = theirs_verify(response)
    assert ok and values == {mdoc.PID_NAMESPACE: {"age_over_18": True}}


def test_theirs_verified_here_issuer_half_and_with_our_device_auth() -> None:
    issued = theirs_issue()
    verifier = mdoc.Verifier([IACA], accepted_doc_types=(mdoc.PID_DOCTYPE,))
    out = verifier.verify_issuer_signed(issued, doc_type=mdoc.PID_DOCTYPE, now_s=now_s())
    assert out.ok, out
    assert out.claims == {mdoc.PID_NAMESPACE: {**PID, "birth_date": dt.date(1990, 1, 2)}}
    response = mdoc.present(
        issued, device=DEVICE, session_transcript=ST, disclose={mdoc.PID_NAMESPACE: ["family_name"]}
    )
    full = verifier.verify(response, session_transcript=ST, now_s=now_s())
    assert full.ok, full
    assert full.claims == {mdoc.PID_DOCTYPE: {mdoc.PID_NAMESPACE: {"family_name": "Tan"}}}
    wrong_device = mdoc.present(issued, device=JwsSigner.generate("ES256"), session_transcript=ST)
    assert (
        verifier.verify(wrong_device, session_transcript=ST, now_s=now_s()).code
        == "mdoc.bad_device_signature"
    )


def _tamper(response: bytes) -> bytes:
    value = cbor2.loads(response)
    items = value["documents"][0]["issuerSigned"]["nameSpaces"][mdoc.PID_NAMESPACE]
    for i, raw in enumerate(items):
        item = cbor2.loads(raw.value)
        if item["elementIdentifier"] == "age_over_18":
            item["elementValue"] = False
            items[i] = cose.embed(item)
    return cose.dumps(value)


@pytest.mark.parametrize("issuer", ["ours", "theirs"])
def test_a_changed_element_fails_both(issuer: str) -> None:
    issued = ours_issue(PID) if issuer == "ours" else theirs_issue()
    response = mdoc.present(issued, device=DEVICE, session_transcript=ST)
    assert theirs_verify(response)[0]
    forged = _tamper(response)
    assert not theirs_verify(forged)[0]
    out = mdoc.Verifier([IACA]).verify(forged, session_transcript=ST, now_s=now_s())
    assert out.code == "mdoc.digest_mismatch"


def test_an_untrusted_root_fails_both() -> None:
    other_iaca, _, _ = pki()
    response = mdoc.present(ours_issue(PID), device=DEVICE, session_transcript=ST)
    assert not theirs_verify(response, other_iaca)[0]
    out = mdoc.Verifier([other_iaca]).verify(response, session_transcript=ST, now_s=now_s())
    assert out.code == "mdoc.untrusted_issuer"
