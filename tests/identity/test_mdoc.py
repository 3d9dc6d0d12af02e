"""ISO 18013-5 mdocs: issuance, selective presentation with DeviceAuth, and every refusal of the verifier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.identity import cose, mdoc, mdoc_pid, mdoc_pki
from govledger.identity.errors import CODES as IDENTITY_CODES
from govledger.identity.jose import JwsSigner

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
NOW_S = int(NOW.timestamp())
DAY = dt.timedelta(days=1)
ST = mdoc.oid4vp_session_transcript("x509_san_dns:rp.example.gov", "n-123", "https://rp.example.gov/post")
ELEMENTS: dict[str, Any] = {
    "family_name": "Tan",
    "given_name": "Mei Ling",
    "birth_date": dt.date(1990, 1, 2),
    "issue_date": dt.date(2026, 11, 1),
    "expiry_date": dt.date(2031, 10, 31),
    "issuing_country": "SG",
    "document_number": "S1234567D",
    "portrait": b"\xff\xd8\xff\xe0" + bytes(60),
    "driving_privileges": [{"vehicle_category_code": "B", "issue_date": dt.date(2010, 5, 1)}],
    "age_over_18": True,
}


@dataclass(frozen=True)
class Pki:
    iaca_key: ec.EllipticCurvePrivateKey
    iaca: bytes
    ds: mdoc.DocumentSigner


def make_pki(
    alg: str = "ES256",
    *,
    ds_days: tuple[int, int] = (-30, 365),
    eku: bool = True,
    other_eku: bool = False,
    name: str = "Test IACA",
) -> Pki:
    iaca_key = ec.generate_private_key(ec.SECP256R1())
    iaca = mdoc_pki.iaca_certificate(
        iaca_key, common_name=name, country="SG", not_before=NOW - 365 * DAY, not_after=NOW + 3650 * DAY
    )
    signer = JwsSigner.generate(alg)
    if eku:
        cert = mdoc_pki.document_signer_certificate(
            iaca_key,
            iaca,
            signer.public_key,
            common_name="LTA DS 1",
            not_before=NOW + ds_days[0] * DAY,
            not_after=NOW + ds_days[1] * DAY,
        )
    else:
        cert = _ds_without_eku(iaca_key, iaca, signer, other_eku)
    return Pki(iaca_key, iaca, mdoc.DocumentSigner(signer, (cert,)))


def _ds_without_eku(
    iaca_key: ec.EllipticCurvePrivateKey, iaca: bytes, signer: JwsSigner, other_eku: bool
) -> bytes:
    """A DS certificate without the mdlDS key usage: none at all, or anyExtendedKeyUsage + serverAuth."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    root = x509.load_der_x509_certificate(iaca)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "No EKU")]))
        .issuer_name(root.subject)
        .public_key(signer.public_key)
        .serial_number(7)
        .not_valid_before(NOW - 30 * DAY)
        .not_valid_after(NOW + 365 * DAY)
    )
    if other_eku:
        usages = [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE, ExtendedKeyUsageOID.SERVER_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    cert = builder.sign(iaca_key, hashes.SHA256())
    return cert.public_bytes(Encoding.DER)


PKI = make_pki()
DEVICE = JwsSigner.generate("ES256")
VERIFIER = mdoc.Verifier([PKI.iaca])


def issue(pki: Pki = PKI, device: JwsSigner = DEVICE, **kw: Any) -> bytes:
    args: dict[str, Any] = {
        "doc_type": mdoc.MDL_DOCTYPE,
        "name_spaces": {mdoc.MDL_NAMESPACE: ELEMENTS},
        "device_key": device.public_key,
        "signed": NOW - DAY,
        "valid_from": NOW - DAY,
        "valid_until": NOW + 365 * DAY,
        **kw,
    }
    return mdoc.issue(pki.ds, **args)


ISSUED = issue()


def response(issued: bytes = ISSUED, **kw: Any) -> bytes:
    return mdoc.present(issued, device=kw.pop("device", DEVICE), session_transcript=kw.pop("st", ST), **kw)


def code(resp: bytes, verifier: mdoc.Verifier = VERIFIER, now_s: int = NOW_S, **kw: Any) -> str:
    return verifier.verify(resp, session_transcript=kw.pop("st", ST), now_s=now_s, **kw).code


def edit(resp: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """Decode a DeviceResponse, let `change` edit its first document, encode again (no re-signing)."""
    value = cbor2.loads(resp)
    change(value["documents"][0])
    return cose.dumps(value)


def edit_mso(doc: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> None:
    auth = doc["issuerSigned"]["issuerAuth"]
    mso = cbor2.loads(cbor2.loads(auth[2]).value)
    change(mso)
    auth[2] = cose.dumps(cose.embed(mso))


def items(doc: dict[str, Any], ns: str = mdoc.MDL_NAMESPACE) -> list[Any]:
    return doc["issuerSigned"]["nameSpaces"][ns]  # type: ignore[no-any-return]


# --- the good path --------------------------------------------------------------------------------------


def test_issued_mdoc_verifies_with_every_element_and_full_dates() -> None:
    out = VERIFIER.verify_issuer_signed(ISSUED, doc_type=mdoc.MDL_DOCTYPE, now_s=NOW_S)
    assert out.ok, out
    assert out.claims == {mdoc.MDL_NAMESPACE: ELEMENTS}
    assert out.issuer == "CN=LTA DS 1,C=SG"
    raw = cbor2.loads(ISSUED)
    birth = next(
        cbor2.loads(i.value) for i in raw["nameSpaces"][mdoc.MDL_NAMESPACE] if b"birth_date" in i.value
    )
    assert b"\xd9\x03\xec" in cose.dumps(birth["elementValue"])  # full-date, tag 1004
    assert len(birth["random"]) == 32
    ids = [cbor2.loads(i.value)["digestID"] for i in raw["nameSpaces"][mdoc.MDL_NAMESPACE]]
    assert sorted(ids) == list(range(len(ELEMENTS)))


@pytest.mark.parametrize(
    ("ds_alg", "device_alg"), [("ES256", "ES256"), ("ES384", "EdDSA"), ("EdDSA", "ES384")]
)
def test_presentation_discloses_only_the_chosen_elements(ds_alg: str, device_alg: str) -> None:
    pki, device = make_pki(ds_alg), JwsSigner.generate(device_alg)
    issued = issue(pki, device)
    resp = response(issued, device=device, disclose={mdoc.MDL_NAMESPACE: ["age_over_18", "portrait"]})
    out = mdoc.Verifier([pki.iaca]).verify(resp, session_transcript=ST, now_s=NOW_S)
    assert out.ok, out
    assert out.claims == {
        mdoc.MDL_DOCTYPE: {mdoc.MDL_NAMESPACE: {"age_over_18": True, "portrait": ELEMENTS["portrait"]}}
    }
    assert b"Mei Ling" not in resp and b"S1234567D" not in resp


def test_device_signed_elements_need_the_issuers_authorisation() -> None:
    own = {mdoc.MDL_NAMESPACE: {"nickname": "Mei"}}
    plain = response(disclose={}, device_signed=own)
    assert code(plain) == "mdoc.unauthorized_device_element"
    for auth in ({"nameSpaces": [mdoc.MDL_NAMESPACE]}, {"dataElements": {mdoc.MDL_NAMESPACE: ["nickname"]}}):
        resp = response(issue(key_authorizations=auth), disclose={}, device_signed=own)
        out = VERIFIER.verify(resp, session_transcript=ST, now_s=NOW_S)
        assert out.ok, out
        assert out.details["documents"][0].device_signed == own
    other = response(
        issue(key_authorizations={"dataElements": {mdoc.MDL_NAMESPACE: ["other"]}}), device_signed=own
    )
    assert code(other) == "mdoc.unauthorized_device_element"


# --- device authentication ------------------------------------------------------------------------------


def test_device_signature_is_bound_to_the_session_and_the_device_key() -> None:
    resp = response()
    assert code(resp) == "ok"
    other_session = mdoc.oid4vp_session_transcript(
        "x509_san_dns:rp.example.gov", "n-124", "https://rp.example.gov/post"
    )
    assert code(resp, st=other_session) == "mdoc.bad_device_signature"
    assert code(response(device=JwsSigner.generate("ES256"))) == "mdoc.bad_device_signature"

    def retype(doc: dict[str, Any]) -> None:  # the device signed for an mDL; now claimed as a PID
        doc["docType"] = mdoc.PID_DOCTYPE

    assert code(edit(resp, retype)) == "mdoc.doc_type_mismatch"


def test_missing_or_mac_device_auth() -> None:
    def drop(doc: dict[str, Any]) -> None:
        del doc["deviceSigned"]

    assert code(edit(response(), drop)) == "mdoc.device_auth_missing"
    assert code(edit(response(), drop), require_device_auth=False) == "ok"

    def mac(doc: dict[str, Any]) -> None:
        doc["deviceSigned"]["deviceAuth"] = {"deviceMac": [b"", {}, None, bytes(32)]}

    assert code(edit(response(), mac)) == "mdoc.device_mac_unsupported"

    def attach(doc: dict[str, Any]) -> None:
        doc["deviceSigned"]["deviceAuth"]["deviceSignature"][2] = b"attached"

    assert code(edit(response(), attach)) == "cose.malformed"


# --- issuer data ----------------------------------------------------------------------------------------


def test_a_changed_element_value_fails_its_digest() -> None:
    def change(doc: dict[str, Any]) -> None:
        first = items(doc)[0]
        item = cbor2.loads(first.value)
        item["elementValue"] = "forged" if item["elementValue"] != "forged" else "other"
        items(doc)[0] = cose.embed(item)

    assert code(edit(response(), change)) == "mdoc.digest_mismatch"

    def other_namespace(doc: dict[str, Any]) -> None:  # signed items shown under an unsigned namespace
        spaces = doc["issuerSigned"]["nameSpaces"]
        spaces["org.example.extra"] = spaces.pop(mdoc.MDL_NAMESPACE)

    assert code(edit(response(), other_namespace)) == "mdoc.digest_mismatch"


def test_swapped_digest_ids_and_duplicates_are_refused() -> None:
    def swap(doc: dict[str, Any]) -> None:
        a, b = (cbor2.loads(i.value) for i in items(doc)[:2])
        a["digestID"], b["digestID"] = b["digestID"], a["digestID"]
        items(doc)[:2] = [cose.embed(a), cose.embed(b)]

    assert code(edit(response(), swap)) == "mdoc.digest_mismatch"

    def duplicate(doc: dict[str, Any]) -> None:
        items(doc).append(items(doc)[0])

    assert code(edit(response(), duplicate)) == "mdoc.duplicate_element"

    def short_salt(doc: dict[str, Any]) -> None:
        item = cbor2.loads(items(doc)[0].value)
        item["random"] = b"x"
        items(doc)[0] = cose.embed(item)

    assert code(edit(response(), short_salt)) == "input.wrong_type"


def test_an_edited_mso_breaks_the_issuer_signature() -> None:
    def extend(mso: dict[str, Any]) -> None:
        mso["validityInfo"]["validUntil"] = mdoc.tdate(NOW + 3650 * DAY)

    assert code(edit(response(), lambda d: edit_mso(d, extend))) == "mdoc.bad_signature"


def test_validity_window() -> None:
    resp = response(issue(valid_until=NOW + 100 * DAY))
    assert code(resp, now_s=NOW_S - 2 * 86_400) == "time.not_yet_valid"
    assert code(resp, now_s=NOW_S + 101 * 86_400) == "time.expired"
    assert code(resp, now_s=NOW_S - 86_400) == "ok"
    assert code(resp, now_s=NOW_S + 100 * 86_400) == "ok"
    # The DS certificate is checked at verification time too (it outlives no mdoc it signed).
    assert code(response(), now_s=NOW_S + 366 * 86_400) == "mdoc.bad_certificate"
    assert code(response(issue(signed=NOW - 40 * DAY))) == "mdoc.bad_certificate"  # before the DS cert


# --- issuer trust ---------------------------------------------------------------------------------------


def test_certificate_chain_rules() -> None:
    stranger = make_pki(name="Test IACA")  # same name, other key: only the signature tells them apart
    assert code(response(issue(stranger))) == "mdoc.untrusted_issuer"
    assert code(response(issue(stranger)), mdoc.Verifier([stranger.iaca])) == "ok"
    assert code(response(issue(make_pki(eku=False)))) == "mdoc.untrusted_issuer"
    no_eku = make_pki(eku=False)
    assert code(response(issue(no_eku)), mdoc.Verifier([no_eku.iaca])) == "mdoc.bad_certificate"
    tls = make_pki(eku=False, other_eku=True)
    assert code(response(issue(tls)), mdoc.Verifier([tls.iaca])) == "mdoc.bad_certificate"
    expired = make_pki(ds_days=(-400, -1))
    assert code(response(issue(expired, signed=NOW - 2 * DAY)), mdoc.Verifier([expired.iaca])) == (
        "mdoc.bad_certificate"
    )
    assert code(response(), mdoc.Verifier([PKI.iaca], accepted_doc_types=(mdoc.PID_DOCTYPE,))) == (
        "mdoc.wrong_doc_type"
    )

    def no_chain(doc: dict[str, Any]) -> None:
        doc["issuerSigned"]["issuerAuth"][1] = {}

    assert code(edit(response(), no_chain)) == "mdoc.bad_certificate"


def test_algorithm_rules() -> None:
    def ps256(doc: dict[str, Any]) -> None:
        doc["issuerSigned"]["issuerAuth"][0] = cose.dumps({1: -37})

    def unprotected_alg(doc: dict[str, Any]) -> None:
        auth = doc["issuerSigned"]["issuerAuth"]
        auth[0], auth[1] = b"", {**auth[1], 1: -7}

    def crit(doc: dict[str, Any]) -> None:
        doc["issuerSigned"]["issuerAuth"][1] = {**doc["issuerSigned"]["issuerAuth"][1], 2: [99]}

    assert code(edit(response(), ps256)) == "cose.unsupported_alg"
    assert code(edit(response(), unprotected_alg)) == "cose.unsupported_alg"
    assert code(edit(response(), crit)) == "cose.crit"


# --- bad input ------------------------------------------------------------------------------------------

KNOWN = set(cose.CODES) | set(IDENTITY_CODES)


def test_malformed_responses_get_codes() -> None:
    resp = response()
    assert code(resp + b"\x00") == "input.malformed"
    assert code(b"\xa2\x01\x01\x01\x02") == "input.malformed"  # duplicate map key
    assert code(bytes(300 * 1024)) == "input.too_large"
    assert VERIFIER.verify("not bytes", session_transcript=ST, now_s=NOW_S).code == "input.malformed"
    assert code(cose.dumps({"version": "2.0", "documents": [], "status": 0})) == "mdoc.bad_response"
    assert code(cose.dumps({"version": "1.0", "documents": [], "status": 0})) == "mdoc.bad_response"
    assert code(cose.dumps({"version": "1.0", "documents": [1], "status": 0})) == "input.wrong_type"
    assert code(cose.dumps([0] * 10)) == "input.wrong_type"
    deep = b"\x81" * 100 + b"\x00"
    assert code(deep) == "input.malformed"
    for exotic in (cbor2.CBORTag(5, [10**9, 3]), cbor2.CBORTag(35, "(a+)+$"), cbor2.CBORTag(258, [1])):
        assert code(cose.dumps({"version": "1.0", "documents": [exotic], "status": 0})) == "input.malformed"
    indefinite = b"\xbf" + cose.dumps("version") + cose.dumps("1.0") + b"\xff"
    assert code(indefinite) == "input.malformed"


RESPONSE = response()


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 4_000), st.integers(1, 255))
def test_any_bytes_or_any_corruption_gives_a_code_never_an_exception(
    noise: bytes, at: int, flip: int
) -> None:
    assert code(noise) in KNOWN
    corrupted = bytearray(RESPONSE)
    corrupted[at % len(corrupted)] ^= flip
    out = VERIFIER.verify(bytes(corrupted), session_transcript=ST, now_s=NOW_S)
    assert out.code in KNOWN | {"ok"}
    if out.ok:
        # A flipped byte can only hide what was signed (e.g. rename the optional `nameSpaces` member,
        # leaving nothing disclosed), never change or add a value.
        shown = out.claims[mdoc.MDL_DOCTYPE].get(mdoc.MDL_NAMESPACE, {})
        assert all(ELEMENTS[k] == v for k, v in shown.items())


# --- a PID from a birth record ------------------------------------------------------------------------------


def _birth_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 6, 30, tzinfo=dt.UTC).timestamp() * 1000)


def test_pid_from_a_birth_record_expires_before_an_age_answer_flips() -> None:
    issued = NOW.date()
    birth = dt.date(issued.year - 18, issued.month, issued.day) + 40 * DAY  # 18 in 40 days
    elements, expiry = mdoc_pid.pid_from_birth(
        event_ms=_birth_ms(birth),
        place="Singapore General Hospital",
        registration_number="B-2008-000123",
        family_name="Tan",
        given_name="Wei",
        nationality="SG",
        issuing_authority="Registry of Births and Deaths",
        issuing_country="SG",
        issued=issued,
    )
    assert elements["birth_date"] == birth and elements["age_in_years"] == 17
    assert elements["age_over_16"] is True and elements["age_over_18"] is False
    assert expiry == birth.replace(year=birth.year + 18) - DAY == elements["expiry_date"]
    valid_until = dt.datetime.combine(expiry + DAY, dt.time(), dt.UTC)
    issued_pid = mdoc.issue(
        PKI.ds,
        doc_type=mdoc.PID_DOCTYPE,
        name_spaces={mdoc.PID_NAMESPACE: elements},
        device_key=DEVICE.public_key,
        signed=NOW,
        valid_from=NOW,
        valid_until=valid_until,
    )
    resp = response(issued_pid, disclose={mdoc.PID_NAMESPACE: ["age_over_18"]})
    out = VERIFIER.verify(resp, session_transcript=ST, now_s=NOW_S)
    assert out.claims == {mdoc.PID_DOCTYPE: {mdoc.PID_NAMESPACE: {"age_over_18": False}}}
    on_birthday = int(valid_until.timestamp()) + 3600  # the answer would be wrong now: expired
    assert code(resp, now_s=on_birthday) == "time.expired"

    adult, adult_expiry = mdoc_pid.pid_from_birth(
        event_ms=_birth_ms(dt.date(1990, 1, 2)),
        place="Singapore",
        registration_number="B-1990-1",
        family_name="Tan",
        given_name="Mei",
        nationality="SG",
        issuing_authority="RBD",
        issuing_country="SG",
        issued=issued,
    )
    assert adult["age_over_21"] is True and adult["age_over_65"] is False
    assert adult_expiry.year == issued.year + mdoc_pid.PID_VALIDITY_YEARS


def test_every_mdoc_and_cose_code_is_documented() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "apps" / "identity.md").read_text()
    start = doc.index("mdoc and COSE codes")
    paragraph = doc[start : doc.index("\n\n", start)]
    groups = dict(re.findall(r"`(cose|mdoc)\.([a-z_ |\n]+)`", paragraph))
    for name in cose.CODES:
        prefix, word = name.split(".")
        assert word in re.split(r"[\s|]+", groups.get(prefix, "")), name
