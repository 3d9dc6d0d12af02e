"""ISO/IEC 18013-5 mdocs (mobile driving licence, EUDI PID): issuance (IssuerSigned with a signed
MSO), presentation (a DeviceResponse with DeviceAuth) and verification, offline.

Theory of operation
-------------------
**Issuer.** Every data element becomes an `IssuerSignedItem` `{digestID, random (32 bytes),
elementIdentifier, elementValue}` embedded as `#6.24(bstr)`; the Mobile Security Object (MSO) holds
the digest of each embedded item per namespace (`valueDigests`), the holder's device key
(`deviceKeyInfo.deviceKey`, a COSE_Key), the docType and `validityInfo` (signed, validFrom,
validUntil as tdate). The MSO is embedded (`#6.24`) and signed as the payload of a COSE_Sign1
(`issuerAuth`) by the document signer (DS) key, whose certificate chain goes in the unprotected
header `x5chain` (33). What the wallet receives is `IssuerSigned` `{nameSpaces, issuerAuth}`,
CBOR-encoded (OpenID4VCI's `mso_mdoc` credential is its base64url).

**Holder.** A presentation keeps the chosen elements (the others' digests stay in the MSO, unopened)
and proves possession of the device key: `deviceSigned.deviceAuth.deviceSignature` is a COSE_Sign1
with a detached payload over `DeviceAuthenticationBytes` =
`#6.24(["DeviceAuthentication", SessionTranscript, docType, DeviceNameSpacesBytes])`. The
SessionTranscript binds the answer to one session: for proximity, the engagement and reader key;
for OpenID4VP, `oid4vp_session_transcript` (client_id, nonce, response_uri). The result is a
`DeviceResponse` `{version "1.0", documents, status 0}`.

**Verifier** (`Verifier.verify`, never raises for bad input; each failure an `Outcome` code, the
table in `cose.CODES` and docs/apps/identity.md), per document in this order: shape; issuerAuth
headers (alg ES256/ES384/EdDSA, protected); x5chain to a trusted IACA at `now` (`mdoc_pki`); the MSO
signature under the DS key; MSO shape, docType equal to the document's and accepted; validFrom <=
now <= validUntil (with skew) and `signed` inside the DS certificate's validity; every returned
element's digest equal to the MSO's for its digestID, no digestID or identifier twice; then device
authentication: the deviceSignature under the MSO's device key over this SessionTranscript, and
device-signed elements only where the MSO's keyAuthorizations allow them. deviceMac (which needs
the proximity session's ECDH keys) is refused as unsupported.

`Verifier.verify_issuer_signed` runs the issuer half only: what a wallet checks on receipt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from govledger.identity import cose, mdoc_pki
from govledger.identity.cose import as_list, as_map, embed, embedded, fail
from govledger.identity.errors import CheckFailed, Outcome, failed
from govledger.identity.jose import JwsSigner, PublicKeyT

MDL_DOCTYPE = "org.iso.18013.5.1.mDL"
MDL_NAMESPACE = "org.iso.18013.5.1"
PID_DOCTYPE = "eu.europa.ec.eudi.pid.1"
PID_NAMESPACE = "eu.europa.ec.eudi.pid.1"
DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
}
RANDOM_BYTES = 32
MIN_RANDOM_BYTES = 16  # ISO 18013-5 9.1.2.5: at least 16 bytes of salt per element
MAX_DOCUMENTS = 8
MAX_ELEMENTS = 256

RandomBytes = Callable[[int], bytes]


def tdate(moment: dt.datetime) -> cbor2.CBORTag:
    """An RFC 3339 date-time without fractions, in UTC (`tdate`, tag 0), as 18013-5 requires."""
    return cbor2.CBORTag(0, moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _utc(value: Any, what: str) -> dt.datetime:
    # cbor2 decodes tag 0 to an aware datetime; a tdate string that is not RFC 3339 fails there.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    fail("time.bad_claim", f"{what} is not a tdate (tag 0 RFC 3339 date-time)")


# --- issuer --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSigner:
    """A DS key (ES256 / ES384 / EdDSA) and its certificate chain (DER, the DS certificate first)."""

    signer: JwsSigner
    x5chain: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if self.signer.alg not in cose.COSE_ALG:
            fail("cose.unsupported_alg", f"a document signer signs with {sorted(cose.COSE_ALG)}")
        if not self.x5chain:
            fail("mdoc.bad_certificate", "a document signer needs its certificate")


def issue(
    ds: DocumentSigner,
    *,
    doc_type: str,
    name_spaces: Mapping[str, Mapping[str, Any]],
    device_key: PublicKeyT,
    signed: dt.datetime,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    digest_alg: str = "SHA-256",
    key_authorizations: Mapping[str, Any] | None = None,
    rng: RandomBytes = secrets.token_bytes,
) -> bytes:
    """`IssuerSigned` (CBOR) for the holder whose device key is `device_key`.

    Element values are CBOR values: `datetime.date` becomes a full-date (tag 1004) as 18013-5
    encodes birth_date, issue_date and expiry_date; bytes stay bytes (portrait).
    """
    if digest_alg not in DIGESTS:
        fail("mdoc.unsupported_digest", f"digestAlgorithm {digest_alg!r}")
    if not valid_from <= valid_until:
        fail("input.wrong_type", "validFrom must not be after validUntil")
    h = DIGESTS[digest_alg]
    items: dict[str, list[cbor2.CBORTag]] = {}
    digests: dict[str, dict[int, bytes]] = {}
    # Digest ids are a random permutation per namespace: their order must not reveal element order.
    for ns, elements in name_spaces.items():
        ids = list(range(len(elements)))
        _shuffle(ids, rng)
        items[ns], digests[ns] = [], {}
        for digest_id, (name, value) in zip(ids, elements.items(), strict=True):
            item = embed(
                {
                    "digestID": digest_id,
                    "random": rng(RANDOM_BYTES),
                    "elementIdentifier": name,
                    "elementValue": value,
                }
            )
            items[ns].append(item)
            digests[ns][digest_id] = h(cose.dumps(item)).digest()
    device_key_info: dict[str, Any] = {"deviceKey": cose.cose_key(device_key)}
    if key_authorizations:
        device_key_info["keyAuthorizations"] = dict(key_authorizations)
    mso = {
        "version": "1.0",
        "digestAlgorithm": digest_alg,
        "valueDigests": digests,
        "deviceKeyInfo": device_key_info,
        "docType": doc_type,
        "validityInfo": {
            "signed": tdate(signed),
            "validFrom": tdate(valid_from),
            "validUntil": tdate(valid_until),
        },
    }
    x5chain: bytes | list[bytes] = ds.x5chain[0] if len(ds.x5chain) == 1 else list(ds.x5chain)
    issuer_auth = cose.sign1(ds.signer, cose.dumps(embed(mso)), unprotected={cose.X5CHAIN: x5chain})
    return cose.dumps({"nameSpaces": items, "issuerAuth": issuer_auth})


def _shuffle(values: list[int], rng: RandomBytes) -> None:
    for i in range(len(values) - 1, 0, -1):  # Fisher-Yates with the injected randomness
        j = int.from_bytes(rng(8), "big") % (i + 1)
        values[i], values[j] = values[j], values[i]


# --- holder --------------------------------------------------------------------------------------------


def oid4vp_session_transcript(
    client_id: str, nonce: str, response_uri: str, jwk_thumbprint: bytes | None = None
) -> list[Any]:
    """SessionTranscript of an OpenID4VP 1.0 presentation (Appendix B.2.6.1):
    `[null, null, ["OpenID4VPHandover", SHA-256(cbor([client_id, nonce, jwk_thumbprint, response_uri]))]]`."""
    info = cose.dumps([client_id, nonce, jwk_thumbprint, response_uri])
    return [None, None, ["OpenID4VPHandover", hashlib.sha256(info).digest()]]


def _device_authentication_bytes(session_transcript: Any, doc_type: str, device_ns: Any) -> bytes:
    return cose.dumps(embed(["DeviceAuthentication", session_transcript, doc_type, device_ns]))


def present(
    issuer_signed: bytes,
    *,
    device: JwsSigner,
    session_transcript: Any,
    disclose: Mapping[str, Iterable[str]] | None = None,
    device_signed: Mapping[str, Mapping[str, Any]] | None = None,
) -> bytes:
    """A DeviceResponse (CBOR) with the chosen elements (`{namespace: [identifiers]}`, None: all)
    and, optionally, elements the device signs itself (only those the MSO authorises will verify).

    Raises CheckFailed when `issuer_signed` is not an IssuerSigned (the wallet checked it on receipt).
    """
    doc = as_map(cose.loads(issuer_signed, what="IssuerSigned"), "IssuerSigned")
    issuer_auth = cose.parse_sign1(doc.get("issuerAuth"), what="issuerAuth")
    _, mso = embedded(cose.loads(issuer_auth.payload, what="MSO"), what="MSO")
    doc_type = as_map(mso, "MSO").get("docType")
    if not isinstance(doc_type, str):
        fail("input.wrong_type", "the MSO has no docType")
    name_spaces = as_map(doc.get("nameSpaces", {}), "nameSpaces")
    chosen: dict[str, list[Any]] = {}
    for ns, items in name_spaces.items():
        wanted = None if disclose is None else set(disclose.get(ns, ()))
        kept = [it for it in as_list(items, ns) if wanted is None or _identifier(it) in wanted]
        if kept:
            chosen[ns] = kept
    device_ns = embed({ns: dict(values) for ns, values in (device_signed or {}).items()})
    detached = _device_authentication_bytes(session_transcript, doc_type, device_ns)
    signature = cose.sign1(device, None, detached=detached)
    document = {
        "docType": doc_type,
        "issuerSigned": {"nameSpaces": chosen, "issuerAuth": doc["issuerAuth"]},
        "deviceSigned": {"nameSpaces": device_ns, "deviceAuth": {"deviceSignature": signature}},
    }
    return cose.dumps({"version": "1.0", "documents": [document], "status": 0})


def _identifier(item: Any) -> Any:
    _, decoded = embedded(item, what="IssuerSignedItem")
    return as_map(decoded, "IssuerSignedItem").get("elementIdentifier")


# --- verifier ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedDocument:
    doc_type: str
    claims: dict[str, dict[str, Any]]  # namespace -> identifier -> value
    device_key: PublicKeyT
    signer: str  # the DS certificate's subject
    iaca: str  # the trusted IACA's subject
    valid_from: dt.datetime
    valid_until: dt.datetime
    key_authorizations: Mapping[Any, Any] = field(default_factory=dict)
    device_signed: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Verifier:
    """A relying party's standing configuration: trusted IACA certificates (DER), accepted docTypes."""

    iaca: Sequence[bytes]
    accepted_doc_types: tuple[str, ...] = ()
    skew_s: int = 60
    _anchors: tuple[x509.Certificate, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_anchors", tuple(x509.load_der_x509_certificate(d) for d in self.iaca))

    def verify(
        self, device_response: Any, *, session_transcript: Any, now_s: int, require_device_auth: bool = True
    ) -> Outcome:
        """Verify a DeviceResponse; claims are `{docType: {namespace: {identifier: value}}}`."""
        try:
            docs = self.verify_raw(
                device_response,
                session_transcript=session_transcript,
                now_s=now_s,
                require_device_auth=require_device_auth,
            )
        except CheckFailed as exc:
            return failed(exc)
        return Outcome(
            "ok",
            claims={d.doc_type: d.claims for d in docs},
            issuer=docs[0].signer,
            details={"documents": docs},
        )

    def verify_issuer_signed(self, issuer_signed: Any, *, doc_type: str, now_s: int) -> Outcome:
        """The issuer half alone (a wallet receiving a credential): claims `{namespace: {id: value}}`."""
        try:
            parsed = as_map(cose.loads(issuer_signed, what="IssuerSigned"), "IssuerSigned")
            d = self._issuer_signed(doc_type, parsed, _at(now_s))
        except CheckFailed as exc:
            return failed(exc)
        return Outcome("ok", claims=d.claims, issuer=d.signer, details={"document": d})

    def verify_raw(
        self, device_response: Any, *, session_transcript: Any, now_s: int, require_device_auth: bool
    ) -> list[VerifiedDocument]:
        response = as_map(cose.loads(device_response, what="DeviceResponse"), "DeviceResponse")
        if response.get("version") != "1.0":
            fail("mdoc.bad_response", f"DeviceResponse version {response.get('version')!r} is not 1.0")
        if response.get("status") != 0:
            fail("mdoc.bad_response", f"DeviceResponse status {response.get('status')!r} (not OK)")
        documents = as_list(response.get("documents"), "documents")
        if not 1 <= len(documents) <= MAX_DOCUMENTS:
            fail("mdoc.bad_response", f"a DeviceResponse holds 1 to {MAX_DOCUMENTS} documents")
        at = _at(now_s)
        out = []
        for raw in documents:
            doc = as_map(raw, "Document")
            doc_type = doc.get("docType")
            if not isinstance(doc_type, str):
                fail("mdoc.bad_response", "a Document has a docType string")
            verified = self._issuer_signed(doc_type, as_map(doc.get("issuerSigned"), "issuerSigned"), at)
            device_signed = doc.get("deviceSigned")
            if device_signed is None:
                if require_device_auth:
                    fail("mdoc.device_auth_missing", "the Document has no deviceSigned")
                out.append(verified)
                continue
            out.append(
                self._device_signed(verified, as_map(device_signed, "deviceSigned"), session_transcript)
            )
        return out

    # -- the issuer half --------------------------------------------------------------------------------

    def _issuer_signed(
        self, doc_type: str, issuer_signed: Mapping[Any, Any], at: dt.datetime
    ) -> VerifiedDocument:
        auth = cose.parse_sign1(issuer_signed.get("issuerAuth"), what="issuerAuth")
        if auth.payload is None:
            fail("cose.malformed", "issuerAuth has no payload (the MSO)")
        raw_chain = auth.header(cose.X5CHAIN)
        ders = [raw_chain] if isinstance(raw_chain, bytes) else raw_chain
        if not isinstance(ders, list | tuple) or not ders or not all(isinstance(d, bytes) for d in ders):
            fail("mdoc.bad_certificate", "issuerAuth has no x5chain of DER certificates")
        chain = [mdoc_pki.load(d, "an x5chain entry") for d in ders]
        anchor = mdoc_pki.verify_chain(chain, self._anchors, at)
        ds_key = chain[0].public_key()
        if not isinstance(ds_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) or not auth.verifies(
            ds_key
        ):
            fail("mdoc.bad_signature", "the MSO signature does not verify under the document signer key")
        _, mso_value = embedded(cose.loads(auth.payload, what="MSO"), what="MSO")
        mso = as_map(mso_value, "MSO")
        if mso.get("version") != "1.0":
            fail("mdoc.bad_response", f"MSO version {mso.get('version')!r} is not 1.0")
        digest_alg = mso.get("digestAlgorithm")
        if digest_alg not in DIGESTS:
            fail("mdoc.unsupported_digest", f"digestAlgorithm {str(digest_alg)[:40]!r}")
        if mso.get("docType") != doc_type:
            fail("mdoc.doc_type_mismatch", f"the MSO was signed for {str(mso.get('docType'))[:80]!r}")
        if self.accepted_doc_types and doc_type not in self.accepted_doc_types:
            fail("mdoc.wrong_doc_type", f"docType {doc_type[:80]!r} is not accepted here")
        validity = as_map(mso.get("validityInfo"), "validityInfo")
        signed = _utc(validity.get("signed"), "validityInfo.signed")
        valid_from = _utc(validity.get("validFrom"), "validityInfo.validFrom")
        valid_until = _utc(validity.get("validUntil"), "validityInfo.validUntil")
        skew = dt.timedelta(seconds=self.skew_s)
        if at + skew < valid_from:
            fail("time.not_yet_valid", f"the mdoc is valid from {valid_from:%Y-%m-%dT%H:%M:%SZ}")
        if at - skew > valid_until:
            fail("time.expired", f"the mdoc expired at {valid_until:%Y-%m-%dT%H:%M:%SZ}")
        if not chain[0].not_valid_before_utc - skew <= signed <= chain[0].not_valid_after_utc + skew:
            fail(
                "mdoc.bad_certificate",
                "the MSO was signed outside the document signer certificate's validity",
            )
        key_info = as_map(mso.get("deviceKeyInfo"), "deviceKeyInfo")
        device_key = cose.public_key(key_info.get("deviceKey"))
        authorizations = as_map(key_info.get("keyAuthorizations", {}), "keyAuthorizations")
        claims = _check_digests(
            as_map(issuer_signed.get("nameSpaces", {}), "nameSpaces"),
            as_map(mso.get("valueDigests"), "valueDigests"),
            DIGESTS[digest_alg],
        )
        return VerifiedDocument(
            doc_type=doc_type,
            claims=claims,
            device_key=device_key,
            signer=chain[0].subject.rfc4514_string(),
            iaca=anchor.subject.rfc4514_string(),
            valid_from=valid_from,
            valid_until=valid_until,
            key_authorizations=authorizations,
        )

    # -- the device half --------------------------------------------------------------------------------

    def _device_signed(
        self, verified: VerifiedDocument, device_signed: Mapping[Any, Any], session_transcript: Any
    ) -> VerifiedDocument:
        ns_item = device_signed.get("nameSpaces")
        _, device_ns = embedded(ns_item, what="DeviceNameSpaces")
        device_ns = as_map(device_ns, "DeviceNameSpaces")
        auth = as_map(device_signed.get("deviceAuth"), "deviceAuth")
        if "deviceMac" in auth and "deviceSignature" not in auth:
            fail("mdoc.device_mac_unsupported", "deviceMac needs the proximity session keys")
        signature = cose.parse_sign1(auth.get("deviceSignature"), what="deviceSignature")
        if signature.payload is not None:
            fail("cose.malformed", "deviceSignature carries its payload; it must be detached (nil)")
        detached = _device_authentication_bytes(session_transcript, verified.doc_type, ns_item)
        if not signature.verifies(verified.device_key, detached):
            fail("mdoc.bad_device_signature", "the device signature does not verify for this session")
        extra = {str(ns): dict(as_map(v, str(ns))) for ns, v in device_ns.items()}
        _check_authorised(extra, verified.key_authorizations)
        return dataclasses.replace(verified, device_signed=extra)


def _check_authorised(device_ns: Mapping[str, Mapping[str, Any]], auth: Mapping[Any, Any]) -> None:
    """Device-signed elements only where the MSO's keyAuthorizations allow (ISO 18013-5 9.1.2.4):
    a whole namespace (`nameSpaces`) or single elements (`dataElements`)."""
    whole = auth.get("nameSpaces", [])
    elements = auth.get("dataElements", {})
    for ns, values in device_ns.items():
        if isinstance(whole, list | tuple) and ns in whole:
            continue
        allowed = elements.get(ns, []) if isinstance(elements, Mapping) else []
        for name in values:
            if not isinstance(allowed, list | tuple) or name not in allowed:
                fail("mdoc.unauthorized_device_element", f"{ns[:60]}/{str(name)[:60]} is not authorised")


def _check_digests(
    name_spaces: Mapping[Any, Any], value_digests: Mapping[Any, Any], h: Callable[[bytes], Any]
) -> dict[str, dict[str, Any]]:
    claims: dict[str, dict[str, Any]] = {}
    total = 0
    for ns, items in name_spaces.items():
        digests = value_digests.get(ns)
        if not isinstance(digests, Mapping):
            fail("mdoc.digest_mismatch", f"namespace {str(ns)[:60]!r} is not signed in the MSO")
        seen_ids: set[int] = set()
        values: dict[str, Any] = {}
        for raw in as_list(items, str(ns)):
            total += 1
            if total > MAX_ELEMENTS:
                fail("input.too_large", f"at most {MAX_ELEMENTS} elements")
            encoded, item_value = embedded(raw, what="IssuerSignedItem")
            item = as_map(item_value, "IssuerSignedItem")
            digest_id, name, salt = item.get("digestID"), item.get("elementIdentifier"), item.get("random")
            if not isinstance(digest_id, int) or isinstance(digest_id, bool) or not isinstance(name, str):
                fail(
                    "input.wrong_type", "an IssuerSignedItem has an integer digestID and a string identifier"
                )
            if not isinstance(salt, bytes) or len(salt) < MIN_RANDOM_BYTES:
                fail("input.wrong_type", f"an IssuerSignedItem has at least {MIN_RANDOM_BYTES} random bytes")
            if "elementValue" not in item:
                fail("input.wrong_type", "an IssuerSignedItem has an elementValue")
            if digest_id in seen_ids or name in values:
                fail("mdoc.duplicate_element", f"{str(ns)[:60]}/{name[:60]} is returned twice")
            seen_ids.add(digest_id)
            expected = digests.get(digest_id)
            if not isinstance(expected, bytes) or h(encoded).digest() != expected:
                fail("mdoc.digest_mismatch", f"{str(ns)[:60]}/{name[:60]} does not match the signed digest")
            values[name] = item["elementValue"]
        claims[str(ns)] = values
    return claims


def _at(now_s: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(now_s, tz=dt.UTC)
