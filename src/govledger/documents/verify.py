"""Verifying OpenAttestation v2 documents, one check per fragment, as oa-verify reports them.

Theory of operation
-------------------
`verify(document, options)` never raises: malformed JSON, wrong types, unknown algorithms, oversize
input and failing plug-ins (a status source that cannot reach its node, a DNS resolver that throws)
all become fragments with a stable `code`. A fragment has oa-verify's shape: `name`, `type`
(DOCUMENT_INTEGRITY, DOCUMENT_STATUS, ISSUER_IDENTITY) and `status` (VALID, INVALID, ERROR, SKIPPED,
where SKIPPED means "does not apply to this document"). `Report.valid` applies oa-verify's `isValid`
rule: for each type, at least one fragment VALID and every fragment VALID or SKIPPED.

Fragments, in order:

| name | type | checks |
|---|---|---|
| OpenAttestationHash | integrity | targetHash from data + obfuscatedData; proof to merkleRoot |
| GovledgerDocumentStoreIssued | status | each documentStore issuer's ledger store issued merkleRoot |
| GovledgerDocumentStoreRevocation | status | no hash on the path targetHash..merkleRoot revoked there |
| GovledgerTokenRegistryStatus | status | the record (token = merkleRoot) is minted, not surrendered/burned |
| OpenAttestationDidSignedDocumentStatus | status | DID issuers' signatures and revocation (NONE / store) |
| OpenAttestationDnsTxtIdentityProof | identity | DNS TXT `openatts` binds each store address to its domain |
| OpenAttestationDidIdentityProof | identity | each DID issuer signed merkleRoot with a key of its DID |
| OpenAttestationDnsDidIdentityProof | identity | DNS TXT `openatts a=dns-did` lists each DNS-DID key |
| GovledgerTrustList | identity | every issuer's store, registry or DID is on the trust list |

Where govledger is stricter than OpenAttestation (documented, never the other way round for
integrity): hashes must be 64 lower-case hex digits (OpenAttestation's `Buffer.from(h, "hex")`
silently drops invalid characters); `obfuscatedData` must be a list of such hashes; nesting is at
most 64 levels and input at most 4 MiB; a Merkle proof has at most 32 entries. The integrity
computation itself mirrors OpenAttestation exactly, including the `{}` leaf an upstream obfuscation
leaves behind (so such documents fail here as they fail there, with `integrity.target_hash_mismatch`).

The ledger is reached only through `StatusSource`, which the documents app implements over a state
view (`govledger.apps.documents.status`); every key it reads is provable against a signed header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from govledger.documents import js, merkle
from govledger.documents.errors import DocumentError
from govledger.documents.sign import (
    RECOVERY_METHOD,
    SIGNATURE_TYPE,
    DidResolver,
    DnsResolver,
    ImplicitEthrResolver,
    TrustList,
    is_address,
    parse_did_record,
    parse_store_record,
    recover_personal,
)
from govledger.documents.wrap import PROOF_TYPE, SCHEMA_V2, STORE_FIELDS, digest, leaf_hashes, unsalt_data

INTEGRITY = "DOCUMENT_INTEGRITY"
STATUS = "DOCUMENT_STATUS"
IDENTITY = "ISSUER_IDENTITY"
VALID, INVALID, ERROR, SKIPPED = "VALID", "INVALID", "ERROR", "SKIPPED"
TYPES = (INTEGRITY, STATUS, IDENTITY)

MAX_PROOF = 32
MAX_ISSUERS = 16
MAX_SIGNATURES = 16
_HASH = re.compile(r"^[0-9a-f]{64}$")


class Fragment(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str
    type: str
    status: str
    code: str = ""
    message: str = ""
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Report(msgspec.Struct, frozen=True):
    fragments: list[Fragment]

    def valid(self, types: Sequence[str] = TYPES) -> bool:
        """oa-verify's `isValid`: per type, some fragment VALID and all VALID or SKIPPED."""
        for t in types:
            of_type = [f for f in self.fragments if f.type == t]
            if not any(f.status == VALID for f in of_type):
                return False
            if any(f.status not in (VALID, SKIPPED) for f in of_type):
                return False
        return True

    def fragment(self, name: str) -> Fragment:
        return next(f for f in self.fragments if f.name == name)

    def codes(self) -> list[str]:
        return [f.code for f in self.fragments if f.code]


# --- what the ledger answers ------------------------------------------------------------------------


class HashStatus(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a document store knows about one hash (a merkleRoot, a targetHash or a node between)."""

    store_known: bool
    issued: bool = False
    issued_height: int = 0
    issued_time_ms: int = 0
    revoked: bool = False
    revoked_height: int = 0
    revoked_time_ms: int = 0
    reason: str = ""


TOKEN_ACTIVE, TOKEN_SURRENDERED, TOKEN_BURNED = "active", "surrendered", "burned"


class TokenStatus(msgspec.Struct, frozen=True, omit_defaults=True):
    registry_known: bool
    minted: bool = False
    state: str = ""  # TOKEN_ACTIVE | TOKEN_SURRENDERED | TOKEN_BURNED
    holder: str = ""  # hex key ids
    beneficiary: str = ""
    minted_height: int = 0


class StatusSource(Protocol):
    """The ledger (or anything else) answering for document stores and token registries.

    Addresses are `0x` hex in any case; hashes lower-case hex. May raise: the verifier reports it.
    """

    def hash_status(self, store: str, hash_hex: str) -> HashStatus: ...

    def token_status(self, registry: str, token_id: str) -> TokenStatus: ...


@dataclass(frozen=True)
class VerifyOptions:
    status: StatusSource | None = None
    dns: DnsResolver | None = None
    did: DidResolver = field(default_factory=ImplicitEthrResolver)
    trust: TrustList | None = None
    network_id: int | None = None  # the `netId` DNS-TXT records must name (None: any)
    max_bytes: int = js.MAX_JSON_BYTES_DEFAULT
    max_depth: int = js.MAX_DEPTH_DEFAULT


# --- the parsed document ----------------------------------------------------------------------------


class Malformed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Doc:
    raw: dict[str, Any]
    target_hash: str
    merkle_root: str
    proof: list[str]
    obfuscated: list[str]
    _data: Any = None
    _data_error: str = ""

    def data(self) -> dict[str, Any]:
        """Unsalted data (OpenAttestation's getData), computed once; raises Malformed."""
        if self._data is None and not self._data_error:
            try:
                self._data = unsalt_data(self.raw["data"])
            except ValueError as exc:
                self._data_error = str(exc)
        if self._data_error:
            raise Malformed("document.bad_salted_value", self._data_error)
        return self._data  # type: ignore[no-any-return]

    def issuers(self) -> list[dict[str, Any]]:
        issuers = self.data().get("issuers")
        if not isinstance(issuers, list) or not issuers or not all(isinstance(i, dict) for i in issuers):
            raise Malformed("document.bad_issuers", "data.issuers must be a non-empty list of objects")
        if len(issuers) > MAX_ISSUERS:
            raise Malformed("document.too_large", f"at most {MAX_ISSUERS} issuers")
        return issuers

    def path(self) -> list[str]:
        """targetHash, the intermediate nodes and merkleRoot."""
        leaf = bytes.fromhex(self.target_hash)
        return [h.hex() for h in merkle.path_hashes(leaf, [bytes.fromhex(p) for p in self.proof])]


def _parse(
    document: bytes | bytearray | memoryview | str | Mapping[str, Any], options: VerifyOptions
) -> _Doc:
    if isinstance(document, Mapping):
        raw: Any = document
        if js.depth(raw, options.max_depth) > options.max_depth:
            raise Malformed("document.too_large", f"nesting exceeds {options.max_depth} levels")
    else:
        try:
            raw = js.parse_json(document, options.max_bytes, options.max_depth)
        except js.JsonError as exc:
            code = "document.too_large" if "exceed" in str(exc) else "document.malformed_json"
            raise Malformed(code, str(exc)) from None
    if not isinstance(raw, dict):
        raise Malformed("document.not_wrapped", "a wrapped document is a JSON object")
    if not isinstance(raw.get("data"), dict):
        raise Malformed("document.not_wrapped", "a wrapped v2 document has an object `data`")
    version = raw.get("version")
    if version is not None and version != SCHEMA_V2:
        raise Malformed("document.unknown_version", f"version {version!r} is not OpenAttestation v2")
    sig = raw.get("signature")
    if not isinstance(sig, dict):
        raise Malformed("document.not_wrapped", "a wrapped document has a `signature` object")
    if sig.get("type") != PROOF_TYPE:
        raise Malformed(
            "integrity.unknown_algorithm", f"signature.type {sig.get('type')!r} is not {PROOF_TYPE}"
        )
    th, root, proof = sig.get("targetHash"), sig.get("merkleRoot"), sig.get("proof", [])
    if not _is_hash(th) or not _is_hash(root):
        raise Malformed("integrity.bad_hash_format", "targetHash and merkleRoot are 64 lower-case hex digits")
    if not isinstance(proof, list) or not all(_is_hash(p) for p in proof):
        raise Malformed("integrity.bad_hash_format", "signature.proof is a list of 64-hex-digit hashes")
    if len(proof) > MAX_PROOF:
        raise Malformed("document.too_large", f"a Merkle proof has at most {MAX_PROOF} entries")
    privacy = raw.get("privacy", {})
    obfuscated = privacy.get("obfuscatedData", []) if isinstance(privacy, dict) else None
    if not isinstance(obfuscated, list) or not all(_is_hash(h) for h in obfuscated):
        raise Malformed("integrity.bad_obfuscated_data", "privacy.obfuscatedData is a list of hashes")
    assert isinstance(th, str) and isinstance(root, str)
    return _Doc(raw=raw, target_hash=th, merkle_root=root, proof=proof, obfuscated=obfuscated)


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and _HASH.match(value) is not None


# --- fragments --------------------------------------------------------------------------------------


def _integrity(doc: _Doc) -> Fragment:
    name = "OpenAttestationHash"
    try:
        computed = digest(leaf_hashes(doc.raw["data"], strict=False), doc.obfuscated)
    except DocumentError as exc:
        return Fragment(name, INTEGRITY, INVALID, exc.code.replace("documents.", "integrity."), exc.message)
    if computed != doc.target_hash:
        return Fragment(
            name,
            INTEGRITY,
            INVALID,
            "integrity.target_hash_mismatch",
            "Document has been tampered with",
            {"computed": computed},
        )
    leaf = bytes.fromhex(doc.target_hash)
    if not merkle.check(leaf, [bytes.fromhex(p) for p in doc.proof], bytes.fromhex(doc.merkle_root)):
        return Fragment(
            name,
            INTEGRITY,
            INVALID,
            "integrity.merkle_proof_mismatch",
            "the Merkle proof does not lead from targetHash to merkleRoot",
        )
    return Fragment(
        name, INTEGRITY, VALID, data={"targetHash": doc.target_hash, "merkleRoot": doc.merkle_root}
    )


def _store_issuers(doc: _Doc, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field, address) of issuers naming a store of the given kinds; malformed addresses refused."""
    out = []
    for issuer in doc.issuers():
        for f in fields:
            if f in issuer:
                if not is_address(issuer[f]):
                    raise Malformed("document.bad_issuers", f"{f} {issuer[f]!r} is not a 0x address")
                out.append((f, issuer[f]))
    return out


def _need_status(options: VerifyOptions, name: str) -> StatusSource:
    if options.status is None:
        raise Malformed("status.no_source", f"{name} needs a status source (the ledger) and none was given")
    return options.status


def _issued(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "GovledgerDocumentStoreIssued"
    stores = _store_issuers(doc, ("documentStore", "certificateStore"))
    if not stores:
        return Fragment(name, STATUS, SKIPPED, "status.skipped", "no issuer uses a document store")
    source = _need_status(options, name)
    details = []
    for _, store in stores:
        st = source.hash_status(store, doc.merkle_root)
        details.append(
            {"store": store, "issued": st.issued, "height": st.issued_height, "time_ms": st.issued_time_ms}
        )
        if not st.store_known:
            return Fragment(
                name,
                STATUS,
                INVALID,
                "status.unknown_store",
                f"no document store {store}",
                {"details": details},
            )
        if not st.issued:
            return Fragment(
                name,
                STATUS,
                INVALID,
                "status.not_issued",
                f"merkleRoot is not issued by {store}",
                {"details": details},
            )
    return Fragment(name, STATUS, VALID, data={"details": details})


def _revocation_details(
    source: StatusSource, store: str, path: list[str]
) -> tuple[bool, list[dict[str, Any]]]:
    """(store known, revocations found on the path)."""
    found = []
    for h in path:
        st = source.hash_status(store, h)
        if not st.store_known:
            return False, []
        if st.revoked:
            found.append({"store": store, "hash": h, "height": st.revoked_height, "reason": st.reason})
    return True, found


def _revocation(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "GovledgerDocumentStoreRevocation"
    stores = _store_issuers(doc, ("documentStore", "certificateStore"))
    if not stores:
        return Fragment(name, STATUS, SKIPPED, "status.skipped", "no issuer uses a document store")
    source = _need_status(options, name)
    path = doc.path()
    for _, store in stores:
        known, revoked = _revocation_details(source, store, path)
        if not known:
            return Fragment(name, STATUS, INVALID, "status.unknown_store", f"no document store {store}")
        if revoked:
            return Fragment(
                name, STATUS, INVALID, "status.revoked", "the document is revoked", {"revoked": revoked}
            )
    return Fragment(name, STATUS, VALID, data={"checked": path})


def _token(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "GovledgerTokenRegistryStatus"
    registries = _store_issuers(doc, ("tokenRegistry",))
    if not registries:
        return Fragment(name, STATUS, SKIPPED, "status.skipped", "no issuer uses a token registry")
    source = _need_status(options, name)
    details = []
    for _, registry in registries:
        st = source.token_status(registry, doc.merkle_root)
        details.append(
            {"registry": registry, "state": st.state, "holder": st.holder, "beneficiary": st.beneficiary}
        )
        if not st.registry_known:
            return Fragment(name, STATUS, INVALID, "status.unknown_registry", f"no token registry {registry}")
        if not st.minted:
            return Fragment(
                name,
                STATUS,
                INVALID,
                "status.token_not_minted",
                "the record is not minted",
                {"details": details},
            )
        if st.state != "active":
            return Fragment(
                name,
                STATUS,
                INVALID,
                f"status.token_{st.state}",
                f"the record is {st.state}",
                {"details": details},
            )
    return Fragment(name, STATUS, VALID, data={"details": details})


# DID signatures are checked once and reported by two fragments (status and identity), as oa-verify.


@dataclass(frozen=True)
class _SigResult:
    did: str
    ok: bool
    code: str = ""
    message: str = ""


def _signed(doc: _Doc) -> bool:
    proof = doc.raw.get("proof")
    return isinstance(proof, list) and any(
        isinstance(p, dict) and p.get("type") == SIGNATURE_TYPE for p in proof
    )


def _check_did_issuer(doc: _Doc, issuer: dict[str, Any], options: VerifyOptions) -> _SigResult:
    did, key = issuer.get("id"), (issuer.get("identityProof") or {}).get("key")
    if not isinstance(did, str) or not did:
        return _SigResult("", False, "signature.did_missing", "id (the issuer's DID) is missing")
    if not isinstance(key, str) or not key:
        return _SigResult(did, False, "signature.key_missing", "identityProof.key is missing")
    proofs = doc.raw.get("proof")
    if not isinstance(proofs, list) or len(proofs) > MAX_SIGNATURES:
        return _SigResult(did, False, "signature.malformed", f"proof is a list of at most {MAX_SIGNATURES}")
    mine = next(
        (
            p
            for p in proofs
            if isinstance(p, dict) and str(p.get("verificationMethod", "")).lower() == key.lower()
        ),
        None,
    )
    if mine is None:
        return _SigResult(did, False, "signature.proof_missing", f"no proof for {key}")
    if mine.get("type") != SIGNATURE_TYPE:
        return _SigResult(did, False, "signature.unknown_algorithm", f"proof type {mine.get('type')!r}")
    document = options.did.resolve(did)
    methods = document.get("verificationMethod") if isinstance(document, Mapping) else None
    method = next(
        (m for m in methods or [] if isinstance(m, Mapping) and str(m.get("id", "")).lower() == key.lower()),
        None,
    )
    if method is None:
        return _SigResult(did, False, "signature.key_not_in_did", f"{key} is not a key of {did}")
    if method.get("type") != RECOVERY_METHOD:
        return _SigResult(did, False, "signature.unsupported_key_type", f"key type {method.get('type')!r}")
    account = method.get("blockchainAccountId")
    if not isinstance(account, str) or not account:
        return _SigResult(did, False, "signature.key_missing", "the key has no blockchainAccountId")
    signer = recover_personal(bytes.fromhex(doc.merkle_root), mine.get("signature"))  # type: ignore[arg-type]
    if signer is None:
        return _SigResult(did, False, "signature.malformed", "the signature is not 65 bytes of 0x hex")
    if signer.lower() != account.split(":")[-1].lower():
        return _SigResult(did, False, "signature.wrong_signature", f"merkle root is not signed by {did}")
    return _SigResult(did, True)


def _did_results(doc: _Doc, options: VerifyOptions, kinds: tuple[str, ...]) -> list[_SigResult]:
    out = []
    for issuer in doc.issuers():
        kind = (
            (issuer.get("identityProof") or {}).get("type")
            if isinstance(issuer.get("identityProof"), dict)
            else None
        )
        if kind in kinds:
            out.append(_check_did_issuer(doc, issuer, options))
    return out


def _did_status(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "OpenAttestationDidSignedDocumentStatus"
    if not _signed(doc):
        return Fragment(name, STATUS, SKIPPED, "status.skipped", "the document is not signed by a DID")
    issuers = doc.issuers()
    for issuer in issuers:
        ip = issuer.get("identityProof")
        if not isinstance(ip, dict) or ip.get("type") not in ("DID", "DNS-DID"):
            return Fragment(
                name, STATUS, INVALID, "status.invalid_issuers", "every issuer must use DID or DNS-DID"
            )
    revoked: list[dict[str, Any]] = []
    for issuer in issuers:
        rev = issuer.get("revocation")
        kind = rev.get("type") if isinstance(rev, dict) else None
        if kind is None:
            return Fragment(
                name, STATUS, INVALID, "status.missing_revocation", "an issuer has no revocation block"
            )
        if kind == "NONE":
            continue
        if kind == "REVOCATION_STORE":
            location = rev.get("location") if isinstance(rev, dict) else None
            if not is_address(location):
                return Fragment(
                    name, STATUS, INVALID, "status.bad_revocation", "revocation.location is not an address"
                )
            source = _need_status(options, name)
            known, found = _revocation_details(source, location, doc.path())  # type: ignore[arg-type]
            if not known:
                return Fragment(
                    name, STATUS, INVALID, "status.unknown_store", f"no revocation store {location}"
                )
            revoked.extend(found)
            continue
        if kind == "OCSP_RESPONDER":
            return Fragment(
                name,
                STATUS,
                ERROR,
                "status.unsupported_revocation",
                "OCSP responders need the network; govledger verifies offline against the ledger",
            )
        return Fragment(name, STATUS, INVALID, "status.unknown_revocation", f"revocation type {kind!r}")
    results = _did_results(doc, options, ("DID", "DNS-DID"))
    bad = next((r for r in results if not r.ok), None)
    data = {"issuedOnAll": bad is None, "revokedOnAny": bool(revoked), "signatures": [r.did for r in results]}
    if bad is not None:
        return Fragment(name, STATUS, INVALID, bad.code, bad.message, data)
    if revoked:
        return Fragment(
            name, STATUS, INVALID, "status.revoked", "the document is revoked", {**data, "revoked": revoked}
        )
    return Fragment(name, STATUS, VALID, data=data)


def _did_identity(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "OpenAttestationDidIdentityProof"
    if not any(_proof_type(i) == "DID" for i in doc.issuers()):
        return Fragment(name, IDENTITY, SKIPPED, "identity.skipped", "no issuer uses a DID identity proof")
    if not _signed(doc):
        return Fragment(name, IDENTITY, INVALID, "identity.unsigned", "the document is not signed")
    results = _did_results(doc, options, ("DID",))
    bad = next((r for r in results if not r.ok), None)
    if bad is not None:
        return Fragment(name, IDENTITY, INVALID, bad.code, bad.message)
    return Fragment(name, IDENTITY, VALID, data={"dids": [r.did for r in results]})


def _proof_type(issuer: Mapping[str, Any]) -> Any:
    ip = issuer.get("identityProof")
    return ip.get("type") if isinstance(ip, dict) else None


def _need_dns(options: VerifyOptions, name: str) -> DnsResolver:
    if options.dns is None:
        raise Malformed("identity.no_resolver", f"{name} needs a DNS resolver and none was given")
    return options.dns


def _dns_txt(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "OpenAttestationDnsTxtIdentityProof"
    issuers = [i for i in doc.issuers() if _proof_type(i) == "DNS-TXT" and any(f in i for f in STORE_FIELDS)]
    if not issuers:
        return Fragment(name, IDENTITY, SKIPPED, "identity.skipped", "no issuer uses DNS-TXT with a store")
    dns = _need_dns(options, name)
    found = []
    for issuer in doc.issuers():
        if _proof_type(issuer) != "DNS-TXT":
            return Fragment(
                name, IDENTITY, INVALID, "identity.invalid_issuers", "an issuer does not use DNS-TXT"
            )
        location = issuer["identityProof"].get("location")
        address = next((issuer[f] for f in STORE_FIELDS if f in issuer), None)
        if not isinstance(location, str) or not location:
            return Fragment(
                name, IDENTITY, INVALID, "identity.invalid_issuers", "identityProof.location is missing"
            )
        if not is_address(address):
            return Fragment(
                name, IDENTITY, INVALID, "identity.invalid_issuers", "the store address is missing"
            )
        records = [parse_store_record(t) for t in dns.txt(location) if isinstance(t, str)]
        match = any(
            r is not None
            and r.net == "ethereum"
            and r.addr.lower() == address.lower()  # type: ignore[union-attr]
            and (options.network_id is None or r.net_id == str(options.network_id))
            for r in records
        )
        if not match:
            return Fragment(
                name,
                IDENTITY,
                INVALID,
                "identity.dns_record_not_found",
                f"no matching DNS record at {location} for {address}",
            )
        found.append({"location": location, "value": address})
    return Fragment(name, IDENTITY, VALID, data={"identities": found})


def _dns_did(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "OpenAttestationDnsDidIdentityProof"
    if not _signed(doc) or not any(_proof_type(i) == "DNS-DID" for i in doc.issuers()):
        return Fragment(
            name, IDENTITY, SKIPPED, "identity.skipped", "the document is not issued using DNS-DID"
        )
    dns = _need_dns(options, name)
    found = []
    for issuer in doc.issuers():
        ip = issuer.get("identityProof")
        if not isinstance(ip, dict) or ip.get("type") != "DNS-DID":
            return Fragment(
                name, IDENTITY, INVALID, "identity.invalid_issuers", "an issuer does not use DNS-DID"
            )
        key, location = ip.get("key"), ip.get("location")
        if not isinstance(key, str) or not isinstance(location, str):
            return Fragment(
                name, IDENTITY, INVALID, "identity.malformed_identity_proof", "key and location required"
            )
        records = [parse_did_record(t) for t in dns.txt(location) if isinstance(t, str)]
        if not any(r is not None and r.public_key.lower() == key.lower() for r in records):
            return Fragment(
                name, IDENTITY, INVALID, "identity.dns_record_not_found", f"no DNS-DID record for {key}"
            )
        found.append({"location": location, "key": key})
    return Fragment(name, IDENTITY, VALID, data={"identities": found})


def _trust(doc: _Doc, options: VerifyOptions) -> Fragment:
    name = "GovledgerTrustList"
    if options.trust is None:
        return Fragment(name, IDENTITY, SKIPPED, "identity.skipped", "no trust list was given")
    names = []
    for issuer in doc.issuers():
        entry = None
        for kind in STORE_FIELDS:
            if isinstance(issuer.get(kind), str):
                entry = options.trust.lookup(kind, issuer[kind])
                break
        else:
            if isinstance(issuer.get("id"), str):
                entry = options.trust.lookup("did", issuer["id"])
        if entry is None:
            return Fragment(
                name, IDENTITY, INVALID, "identity.untrusted_issuer", "an issuer is not on the trust list"
            )
        names.append(entry.name)
    return Fragment(name, IDENTITY, VALID, data={"issuers": names})


_CHECKS: tuple[tuple[str, str, Callable[[_Doc, VerifyOptions], Fragment]], ...] = (
    ("GovledgerDocumentStoreIssued", STATUS, _issued),
    ("GovledgerDocumentStoreRevocation", STATUS, _revocation),
    ("GovledgerTokenRegistryStatus", STATUS, _token),
    ("OpenAttestationDidSignedDocumentStatus", STATUS, _did_status),
    ("OpenAttestationDnsTxtIdentityProof", IDENTITY, _dns_txt),
    ("OpenAttestationDidIdentityProof", IDENTITY, _did_identity),
    ("OpenAttestationDnsDidIdentityProof", IDENTITY, _dns_did),
    ("GovledgerTrustList", IDENTITY, _trust),
)


def _run(
    name: str, kind: str, check: Callable[[_Doc, VerifyOptions], Fragment], doc: _Doc, options: VerifyOptions
) -> Fragment:
    try:
        return check(doc, options)
    except Malformed as exc:
        status = ERROR if exc.code.endswith(("no_source", "no_resolver")) else INVALID
        return Fragment(name, kind, status, exc.code, exc.message)
    except Exception as exc:  # a plug-in (status source, resolver) failed: report, never raise
        prefix = "status" if kind == STATUS else "identity"
        return Fragment(name, kind, ERROR, f"{prefix}.source_error", f"{type(exc).__name__}: {exc}")


# --- the entry points -------------------------------------------------------------------------------


def verify(
    document: bytes | bytearray | memoryview | str | Mapping[str, Any], options: VerifyOptions | None = None
) -> Report:
    """Every check on one wrapped document; never raises."""
    options = options or VerifyOptions()
    try:
        doc = _parse(document, options)
    except Malformed as exc:
        first = Fragment("OpenAttestationHash", INTEGRITY, INVALID, exc.code, exc.message)
        rest = [
            Fragment(n, t, SKIPPED, "document.unreadable", "the document could not be read")
            for n, t, _ in _CHECKS
        ]
        return Report([first, *rest])
    except Exception as exc:  # pragma: no cover - a bug; still never raise to the caller
        first = Fragment("OpenAttestationHash", INTEGRITY, ERROR, "document.unexpected_error", repr(exc))
        return Report([first])
    fragments = [_run("OpenAttestationHash", INTEGRITY, lambda d, _o: _integrity(d), doc, options)]
    fragments.extend(_run(n, t, check, doc, options) for n, t, check in _CHECKS)
    return Report(fragments)


def verify_integrity(document: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> Fragment:
    """Only the integrity fragment (document hash + Merkle proof): the hot path for bulk checks."""
    options = VerifyOptions()
    try:
        doc = _parse(document, options)
    except Malformed as exc:
        return Fragment("OpenAttestationHash", INTEGRITY, INVALID, exc.code, exc.message)
    return _run("OpenAttestationHash", INTEGRITY, lambda d, _o: _integrity(d), doc, options)
