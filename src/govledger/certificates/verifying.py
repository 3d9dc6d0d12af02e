"""Verifying a certificate against the ledger: an OpenAttestation document or an SD-JWT VC, one row
per check (integrity, issuance, revocation, identity), over any state reader.

The reader decides how far the verifier trusts the node: the API passes the node's committed
snapshot; `govledger verify` passes `SdkStateReader`, which checks a proof for every key it reads.

**OpenAttestation** runs `govledger.documents.verify` (the ledger document store as status source,
did:ethr resolved offline) and adds one identity fragment of its own, `GovledgerLedgerIssuer`: the
document's `ledger.issuerDid` is a did:govledger DID of this chain, active, whose `oa-signer` service
names every issuer's did:ethr, which owns every document store the document names, and which the
trusted-issuer registry accredits for the document's record type at its issuance time. Without it a
DID-signed document only proves that *somebody* holding a key signed it, so its absence makes the
identity check fail here (`identity.not_a_ledger_issuer`): this verifier accepts certificates issued
on this ledger.

**SD-JWT VC** runs the identity verifier with the issuer DID resolved from the ledger, trust from the
trusted-issuer registry and status from the ledger status list; rows: integrity (signature,
disclosures, times), identity (issuer DID on the ledger, accreditation), status (revocation).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govledger.apps.documents import store as docstore
from govledger.apps.documents.status import LedgerStatusSource
from govledger.apps.identity import queries as idq
from govledger.apps.identity import store as idstore
from govledger.certificates.issuers import OA_SIGNER_TYPE
from govledger.documents.verify import (
    ERROR,
    IDENTITY,
    INVALID,
    SKIPPED,
    VALID,
    Fragment,
    Report,
    VerifyOptions,
    verify,
)
from govledger.documents.wrap import document_data
from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.certificates import vct_for
from govledger.identity.did import DidResolver
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import decode_jws
from govledger.ledger.app import AppView
from govledger.ledger.state import StateReader

OA, SD_JWT = "openattestation", "dc+sd-jwt"
LEDGER_FRAGMENT = "GovledgerLedgerIssuer"
# Which fragments answer which question.
CHECK_OF = {
    "OpenAttestationHash": "integrity",
    "GovledgerDocumentStoreIssued": "issuance",
    "GovledgerDocumentStoreRevocation": "revocation",
    "GovledgerTokenRegistryStatus": "revocation",
    "OpenAttestationDidSignedDocumentStatus": "revocation",
    "OpenAttestationDnsTxtIdentityProof": "identity",
    "OpenAttestationDidIdentityProof": "identity",
    "OpenAttestationDnsDidIdentityProof": "identity",
    "GovledgerTrustList": "identity",
    LEDGER_FRAGMENT: "identity",
}
CHECKS = ("integrity", "issuance", "revocation", "identity")
MALFORMED_OA = frozenset(
    {"document.malformed_json", "document.not_wrapped", "document.unknown_version", "document.too_large"}
)
_RANK = {INVALID: 3, ERROR: 2, VALID: 1, SKIPPED: 0}


@dataclass(frozen=True)
class Check:
    check: str
    status: str
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    format: str
    valid: bool
    malformed: bool
    checks: list[Check]
    fragments: list[Fragment] = field(default_factory=list)
    issuer: str = ""
    record_type: str = ""
    claims: Mapping[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "valid": self.valid,
            "malformed": self.malformed,
            "issuer": self.issuer,
            "record_type": self.record_type,
            "checks": [
                {"check": c.check, "status": c.status, "code": c.code, "message": c.message}
                for c in self.checks
            ],
            "fragments": [
                {"name": f.name, "type": f.type, "status": f.status, "code": f.code, "message": f.message}
                for f in self.fragments
            ],
            **({"claims": dict(self.claims)} if self.claims else {}),
        }


def summarise(fragments: list[Fragment]) -> list[Check]:
    """One row per check: the worst fragment that applies (SKIPPED when none applies)."""
    rows = []
    for check in CHECKS:
        mine = [f for f in fragments if CHECK_OF.get(f.name) == check]
        applied = [f for f in mine if f.status != SKIPPED] or mine
        worst = max(applied, key=lambda f: _RANK[f.status], default=None)
        if worst is None:
            rows.append(Check(check, SKIPPED))
        else:
            rows.append(Check(check, worst.status, worst.code, worst.message))
    return rows


# --- OpenAttestation ----------------------------------------------------------------------------------


def _issued_time_s(fragments: list[Fragment]) -> int | None:
    for f in fragments:
        if f.name == "GovledgerDocumentStoreIssued" and f.status == VALID:
            times = [d.get("time_ms", 0) for d in f.data.get("details", [])]
            if times:
                return int(max(times)) // 1000
    return None


def ledger_issuer(data: Any, reader: StateReader, chain_id: str, at_s: int) -> Fragment:
    """The `GovledgerLedgerIssuer` fragment (see the module docstring)."""

    def bad(code: str, message: str) -> Fragment:
        return Fragment(LEDGER_FRAGMENT, IDENTITY, INVALID, code, message)

    ledger = data.get("ledger") if isinstance(data, dict) else None
    did = ledger.get("issuerDid") if isinstance(ledger, dict) else None
    if not isinstance(did, str) or not did.startswith("did:govledger:"):
        return bad("identity.not_a_ledger_issuer", "the document names no did:govledger issuer")
    parts = did.split(":")
    if len(parts) != 4 or parts[2] != chain_id:
        return bad("identity.other_chain", f"{did[:120]} is not a DID of chain {chain_id!r}")
    view = AppView(reader, "identity")
    rec = idstore.get_did(view, parts[3])
    if rec is None or rec.did != did or rec.deactivated:
        return bad("identity.unknown_issuer_did", f"{did[:120]} is not an active DID on this ledger")
    signers = {s.endpoint.lower() for s in rec.services if s.type == OA_SIGNER_TYPE}
    keys = {k.public_key.key_id() for k in rec.keys}
    issuers = data.get("issuers")
    if not isinstance(issuers, list) or not issuers:
        return bad("document.bad_issuers", "data.issuers must be a non-empty list")
    docs = AppView(reader, "documents")
    for issuer in issuers:
        signer = issuer.get("id") if isinstance(issuer, dict) else None
        if not isinstance(signer, str) or signer.lower() not in signers:
            return bad("identity.signer_not_in_did", f"the document's signer is not named by {did[:120]}")
        location = issuer.get("documentStore")
        if isinstance(location, str):
            try:
                store = docstore.get_store(docs, bytes.fromhex(location.removeprefix("0x")))
            except ValueError:
                store = None
            if store is None or store.owner not in keys:
                return bad("identity.store_not_owned", f"document store {location[:44]} is not {did[:120]}'s")
    record_type = data.get("recordType")
    if not isinstance(record_type, str):
        return bad("identity.no_record_type", "the document has no recordType")
    if not idq.LedgerTrust(view).accredited(did, vct_for(record_type), at_s):
        return bad("identity.not_accredited", f"{did[:120]} is not accredited for {record_type[:80]}")
    return Fragment(LEDGER_FRAGMENT, IDENTITY, VALID, data={"issuerDid": did, "recordType": record_type})


def verify_oa(document: Any, reader: StateReader, chain_id: str, *, now_s: int | None = None) -> Verdict:
    """Every check on a wrapped OpenAttestation document (bytes, text or parsed JSON)."""
    options = VerifyOptions(status=LedgerStatusSource(AppView(reader, "documents")))
    report = verify(document, options)
    fragments = list(report.fragments)
    first = fragments[0]
    if first.status != VALID and first.code in MALFORMED_OA:
        return Verdict(OA, False, True, summarise(fragments), fragments)
    data: Any = None
    try:
        data = document_data(_parsed(document))
    except Exception:  # the integrity fragment already says why
        data = None
    at_s = _issued_time_s(fragments) or (now_s if now_s is not None else int(time.time()))
    try:
        fragments.append(ledger_issuer(data, reader, chain_id, at_s))
    except Exception as exc:  # a reader that cannot prove a key: report, never raise
        fragments.append(Fragment(LEDGER_FRAGMENT, IDENTITY, ERROR, "identity.source_error", str(exc)))
    full = Report(fragments)
    record_type = data.get("recordType", "") if isinstance(data, dict) else ""
    issuer = ""
    if isinstance(data, dict) and isinstance(data.get("ledger"), dict):
        issuer = str(data["ledger"].get("issuerDid", ""))
    return Verdict(OA, full.valid(), False, summarise(fragments), fragments, issuer, str(record_type))


def _parsed(document: Any) -> Any:
    if isinstance(document, str):
        return json.loads(document)
    if isinstance(document, bytes | bytearray | memoryview):
        return json.loads(bytes(document))
    return document


# --- SD-JWT VC ----------------------------------------------------------------------------------------

MALFORMED_SD = ("input.", "sdjwt.malformed")


class _ProvingStatus:
    """Ledger status through the reader, with the value remembered for the table."""

    def __init__(self, view: AppView) -> None:
        self._status = idq.LedgerStatus(view)
        self.value: int | None = None

    def token_status(self, uri: str, index: int, issuer: str) -> int:
        self.value = self._status.token_status(uri, index, issuer)
        return self.value


def verify_sd_jwt(token: str, reader: StateReader, chain_id: str, *, now_s: int | None = None) -> Verdict:
    view = AppView(reader, "identity")
    resolver = DidResolver({"govledger": idq.ledger_method(view, chain_id)})
    now = now_s if now_s is not None else int(time.time())
    base = sdjwt_vc.Verifier(resolver).verify(token, now_s=now, require_kb=False)
    if not base.ok:
        malformed = base.code.startswith(MALFORMED_SD)
        kind = "identity" if base.code.startswith("did.") else "integrity"
        rows = [
            Check(c, SKIPPED, "check.skipped", "not checked") for c in ("integrity", "identity", "revocation")
        ]
        rows = [Check(kind, INVALID, base.code, base.message) if r.check == kind else r for r in rows]
        if kind == "identity":
            rows[0] = Check("integrity", SKIPPED, "check.skipped", "the issuer's key could not be found")
        return Verdict(SD_JWT, False, malformed, rows)
    issuer = base.issuer
    vct = str(base.details.get("vct", ""))
    rows = [Check("integrity", VALID)]
    try:
        payload = decode_jws(sdjwt.split(token).jwt).payload_json()
        iat = int(payload.get("iat", now))
        trusted = idq.LedgerTrust(view).accredited(issuer, vct, iat)
    except (CheckFailed, ValueError, TypeError) as exc:
        trusted = False
        rows.append(Check("identity", ERROR, getattr(exc, "code", "input.wrong_type"), str(exc)))
    else:
        rows.append(
            Check("identity", VALID)
            if trusted
            else Check("identity", INVALID, "vc.untrusted_issuer", f"{issuer} is not accredited for {vct}")
        )
    status = _ProvingStatus(view)
    full = sdjwt_vc.Verifier(resolver, status=status).verify(token, now_s=now, require_kb=False)
    if full.ok:
        rows.append(Check("revocation", VALID if status.value is not None else SKIPPED))
    else:
        rows.append(Check("revocation", INVALID, full.code, full.message))
    valid = full.ok and trusted
    record_type = str(base.claims.get("record_type", ""))
    return Verdict(SD_JWT, valid, False, rows, [], issuer, record_type, base.claims)


def detect(text: str) -> str:
    """OA for a JSON object, SD-JWT for `<jwt>~...`, "" for anything else."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return OA
    if "~" in stripped and stripped.count(".") >= 2 and " " not in stripped:
        return SD_JWT
    return ""
