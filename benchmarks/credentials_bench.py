"""Credential verification per second, single core: OpenAttestation v2 documents by govledger's verifier
beside OpenAttestation's own JavaScript verifier, and SD-JWT VCs by govledger beside the `sd-jwt`
reference package (PyPI sd-jwt 0.10.4), each pair on the same inputs in the same run.

    .venv/bin/python -m benchmarks.credentials_bench            # ~1 min
    .venv/bin/python -m benchmarks.credentials_bench --smoke    # a few dozen documents, < 20 s

What each side checks (the rows of the table name them too):

- **documents, integrity**: govledger `documents.verify_integrity` (targetHash from the salted data and
  obfuscatedData, Merkle proof to merkleRoot) beside open-attestation's `verifySignature` (the same).
- **documents, integrity + DID signature**: DID-signed documents (did:ethr, OpenAttestationSignature2018,
  revocation NONE, DID identity proof), wrapped 4 to a batch. govledger `documents.verify` with an
  offline did:ethr resolver (every fragment; the ones that do not apply are SKIPPED) beside oa-verify's
  `verificationBuilder` over OpenAttestationHash, OpenAttestationDidSignedDocumentStatus and
  OpenAttestationDidIdentityProof with an offline did:ethr resolver: on both sides integrity, the
  signature over merkleRoot recovered and matched against the DID's key (once for the status fragment,
  once for the identity fragment, as oa-verify does), and `isValid` over the fragments.
- **documents, full pipeline (govledger only)**: registry certificates as `certificates.build` makes
  them: the issuer is a ledger document store *and* a DID signer with its revocations in that store.
  govledger adds to the above: the merkleRoot issued by the store, no hash on the path
  targetHash..merkleRoot revoked (read for the issuance fragment and again for the DID status
  fragment), and the store on a trust list, all read from a documents-app state snapshot through
  `LedgerStatusSource` (the state a node proves with every read). oa-verify cannot run these checks:
  its document-store and revocation-store checks call an Ethereum contract, so there is no JS column.
- **SD-JWT VC**: ES256 issuer (did:jwk), 8 selectively disclosable claims all disclosed, ES256 holder
  key (`cnf`), a KB-JWT with nonce, audience and sd_hash. govledger `sdjwt_vc.Verifier.verify`: issuer
  key resolved from the did:jwk on every token, issuer signature, disclosure digests, iat/nbf/exp,
  KB-JWT signature, typ, nonce, aud, freshness and sd_hash, typ/vct profile rules; the full row adds
  issuer trust (a static accreditation table) and status (an IETF Token Status List token, signed by
  the issuer, fetched and verified once, then read from the verifier's cache as a deployed verifier
  does). The reference `SDJWTVerifier(...).get_verified_payload()` checks the issuer signature (key
  from the same did:jwk, decoded in its callback), disclosure digests, the KB-JWT signature, typ, aud,
  nonce and sd_hash; it has no time, freshness, trust or status checks, so the like-for-like ratio is
  the row without trust and status.

How it measures: every verifier runs on one thread over the same list of inputs, round-robin, for a
fixed time, each verdict checked; the median, min and max are over `rounds` runs, the two sides
alternating per run so that the machine's drift hits both. The JS side runs as a Node subprocess (one
per run) that reads the documents from a temp file, checks every verdict once (and warms the JIT), and
times its loops with `process.hrtime`: Node's start-up and module loading are not counted. Its
packages are the interop tests' (tests/interop/openattestation, from the lockfile, installed by the
same `install_packages`); without Node or npm the JS column says so.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govledger.apps.documents.model import CreateStore, Issue, RevokeDocument
from govledger.apps.documents.status import LedgerStatusSource
from govledger.documents import (
    EthSigner,
    TrustedIssuer,
    TrustList,
    VerifyOptions,
    did_issuer,
    sign_document,
    verify,
    verify_integrity,
    wrap_documents,
)
from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.did import DidResolver, did_jwk
from govledger.identity.jose import JwsSigner
from govledger.identity.status_list import StatusBits, status_list_token

ROOT = Path(__file__).resolve().parents[1]
OA_DIR = ROOT / "tests" / "interop" / "openattestation"
JS_DRIVER = Path(__file__).resolve().with_name("credentials_oa.js")
BATCH = 4  # documents per wrapped batch: each has a 2-hash Merkle proof
CREATED = "2026-11-27T00:00:00.000Z"
NOW = 1_800_000_000
NONCE, AUD = "n-0S6_WzA2Mj", "https://verifier.example.gov"
VCT = "urn:eudi:pid:1"
STATUS_URI = "https://ledger.example.gov/status/pid-1"
JS_TIMEOUT_S = 300


# --- the inputs ------------------------------------------------------------------------------------------


def birth_record(i: int) -> dict[str, Any]:
    """A registry record of the size the vital-records certificates carry."""
    return {
        "registrationNumber": f"B-2026-{i:06d}",
        "child": {"givenName": f"Child {i}", "familyName": "Tan", "sex": "F", "dateOfBirth": "2026-03-14"},
        "placeOfBirth": {"facility": "General Hospital", "district": "Central", "country": "SG"},
        "mother": {"commitment": "0x" + f"{i:064x}", "nationality": "SG"},
        "father": {"commitment": "0x" + f"{i + 1:064x}", "nationality": "MY"},
        "registeredAt": 1_774_000_000_000 + i,
        "amendments": [],
    }


def raw_document(i: int, issuer: dict[str, Any]) -> dict[str, Any]:
    return {
        "$template": {
            "name": "vital.BirthCertificate",
            "type": "EMBEDDED_RENDERER",
            "url": "https://r.example/",
        },
        "issuers": [issuer],
        "id": f"vital.BirthCertificate:B-2026-{i:06d}",
        "name": "Certificate of Birth",
        "recordType": "vital.BirthCertificate",
        "record": birth_record(i),
        "ledger": {"chainId": "bench", "app": "vital", "height": 1000 + i, "timeMs": 1_774_000_000_000},
    }


def signed_batches(raws: list[dict[str, Any]], signer: EthSigner) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(raws), BATCH):
        out.extend(
            sign_document(d, signer, created=CREATED) for d in wrap_documents(raws[start : start + BATCH])
        )
    return out


@dataclass
class LedgerDocs:
    """Registry certificates issued on a documents-app state snapshot, and how to verify them."""

    documents: list[dict[str, Any]]
    options: VerifyOptions


def ledger_documents(n: int, signer: EthSigner) -> LedgerDocs:
    # The documents app's own test ledger: the real executor, governance and app over an in-memory
    # state; what LedgerStatusSource reads is what a node serves (and proves) from its snapshot.
    from tests.documents.harness import A, Ledger, kid, store_address

    led = Ledger()
    led.ok("create_store", CreateStore("births", kid(A.owner)), A.owner, A.issuer)
    store = "0x" + store_address("births").hex()
    issuer = {
        "id": signer.did,
        "name": "Civil Registry",
        "documentStore": store,
        "revocation": {"type": "REVOCATION_STORE", "location": store},
        "identityProof": {"type": "DID", "key": signer.key_id},
    }
    docs = signed_batches([raw_document(i, issuer) for i in range(n + BATCH)], signer)
    roots = sorted({bytes.fromhex(d["signature"]["merkleRoot"]) for d in docs})
    led.ok("issue", Issue(bytes.fromhex(store[2:]), roots), A.owner, A.issuer)
    # The last batch is issued and then revoked: the store's revocation table is not empty.
    revoked = [bytes.fromhex(d["signature"]["targetHash"]) for d in docs[n:]]
    led.ok(
        "revoke_document", RevokeDocument(bytes.fromhex(store[2:]), revoked, "superseded"), A.owner, A.issuer
    )
    trust = TrustList((TrustedIssuer("documentStore", store, "Civil Registry", "registry.example.gov"),))
    options = VerifyOptions(status=LedgerStatusSource(led.view), trust=trust)
    assert not verify(docs[n], options).valid(), "a revoked certificate verified"
    return LedgerDocs(docs[:n], options)


@dataclass
class Tokens:
    presentations: list[str]
    full: sdjwt_vc.Verifier
    plain: sdjwt_vc.Verifier


def sd_jwt_tokens(n: int) -> Tokens:
    issuer = JwsSigner.generate("ES256")
    iss = did_jwk(issuer.public_jwk())
    issuer = issuer.with_kid(iss + "#0")
    claims: dict[str, Any] = {
        "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
        "address": {"street_address": "Heidestr. 17", "locality": "Köln", "country": "DE"},
        "nationalities": ["DE"], "age_over_18": True, "resident_region": "NRW", "place_of_birth": "Berlin",
    }  # fmt: skip
    presentations = []
    for i in range(n):
        holder = JwsSigner.generate("ES256")
        raw = sdjwt_vc.issue(
            issuer, iss=iss, vct=VCT, claims={**claims, "document_number": f"P{i:08d}"},
            sd_paths=[(k,) for k in claims], holder_jwk=holder.public_jwk(), iat=NOW - 60,
            exp=NOW + 86_400, status=sdjwt_vc.StatusRef(STATUS_URI, 7 * i + 3),
        )  # fmt: skip
        presentations.append(sdjwt.present(raw, None, holder=holder, nonce=NONCE, aud=AUD, iat=NOW))
    values = StatusBits.empty(8 * n + 16, 1).with_value(5, 1)  # one revoked entry, not ours
    list_token = status_list_token(values, uri=STATUS_URI, signer=issuer, iat=NOW - 30, iss=iss)
    resolver = DidResolver()
    status = sdjwt_vc.FetchedTokenStatus(
        lambda uri: list_token if uri == STATUS_URI else None, resolver, lambda: float(NOW)
    )
    full = sdjwt_vc.Verifier(
        resolver, trust=sdjwt_vc.StaticTrust([(iss, VCT)]), status=status, accepted_vct=(VCT,)
    )
    return Tokens(presentations, full, sdjwt_vc.Verifier(resolver, accepted_vct=(VCT,)))


# --- timing --------------------------------------------------------------------------------------------


def rate(items: Sequence[Any], check: Callable[[Any], bool], seconds: float) -> float:
    """Items verified per second, round-robin over `items` for `seconds`; every verdict must be true."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            if not check(item):
                raise AssertionError(f"item {n % len(items)} did not verify")
            n += 1
    return n / (time.perf_counter() - start)


def js_unavailable() -> str:
    """Why OpenAttestation's verifier cannot run here ('' when it can), installing its packages."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        return "Node.js/npm not on PATH"
    from tests.interop.openattestation.conftest import install_packages

    try:
        install_packages(npm)
    except (AssertionError, OSError, subprocess.TimeoutExpired) as exc:
        return f"npm install failed: {str(exc)[:200]}"
    return ""


def js_rates(documents: list[dict[str, Any]], seconds: float) -> dict[str, float]:
    """One timed run of the JS verifier: {"full": docs/s, "integrity": docs/s}."""
    node = shutil.which("node")
    assert node is not None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"documents": documents, "seconds": seconds, "rounds": 1}, f)
    try:
        env = {**os.environ, "NODE_PATH": str(OA_DIR / "node_modules")}
        proc = subprocess.run(
            [node, str(JS_DRIVER), f.name], capture_output=True, env=env, timeout=JS_TIMEOUT_S, check=False
        )
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise RuntimeError(f"credentials_oa.js failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    out = json.loads(proc.stdout)
    assert out["checked"] == len(documents)
    return {"full": out["full"][0], "integrity": out["integrity"][0]}


def ref_verifier() -> Callable[[str], bool]:
    from jwcrypto.jwk import JWK
    from sd_jwt.verifier import SDJWTVerifier

    def issuer_key(iss: str, header: dict[str, Any]) -> Any:
        # did:jwk: the key is the DID (what govledger's resolver does on every token too).
        jwk = iss.removeprefix("did:jwk:")
        return JWK(**json.loads(base64.urlsafe_b64decode(jwk + "=" * (-len(jwk) % 4))))

    def check(presentation: str) -> bool:
        payload = SDJWTVerifier(presentation, issuer_key, AUD, NONCE).get_verified_payload()
        return bool(payload.get("given_name") == "Erika")

    return check


# --- the section ------------------------------------------------------------------------------------------


Spread = tuple[float, float, float]


def spread(xs: list[float]) -> Spread:
    return statistics.median(xs), min(xs), max(xs)


def fmt(s: Spread | None) -> str:
    return "n/a" if s is None else f"{s[0]:,.0f} ({s[1]:,.0f} - {s[2]:,.0f})"


def ratio(a: Spread, b: Spread | None) -> str:
    return "" if b is None else f"{a[0] / b[0]:.2f}"


def section(smoke: bool) -> list[str]:
    n_docs, n_tokens = (24, 16) if smoke else (200, 64)
    seconds, rounds = (0.4, 1) if smoke else (2.0, 3)
    signer = EthSigner(bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
    print(f"== credentials: {n_docs} documents, {n_tokens} SD-JWT VCs, {rounds} x {seconds} s per figure")
    plain = signed_batches(
        [raw_document(i, did_issuer(signer, "Civil Registry")) for i in range(n_docs)], signer
    )
    certs = ledger_documents(n_docs, signer)
    tokens = sd_jwt_tokens(n_tokens)
    reference = ref_verifier()
    why_no_js = js_unavailable()
    if why_no_js:
        print(f"   OpenAttestation JS verifier not measured: {why_no_js}")

    series: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        series.setdefault(name, []).append(value)
        print(f"   {name:<34} {value:>10,.0f} /s", flush=True)

    offline = VerifyOptions()

    def ours_full(p: str) -> bool:
        return bool(tokens.full.verify(p, now_s=NOW + 1, nonce=NONCE, aud=AUD).code == "ok")

    def ours_plain(p: str) -> bool:
        return bool(tokens.plain.verify(p, now_s=NOW + 1, nonce=NONCE, aud=AUD).code == "ok")

    for r in range(rounds):
        print(f"-- run {r + 1}/{rounds}")
        add("doc integrity, ours", rate(plain, lambda d: verify_integrity(d).status == "VALID", seconds))
        add("doc did, ours", rate(plain, lambda d: verify(d, offline).valid(), seconds))
        if not why_no_js:
            js = js_rates(plain, seconds)
            add("doc integrity, oa", js["integrity"])
            add("doc did, oa-verify", js["full"])
        add(
            "doc full ledger, ours",
            rate(certs.documents, lambda d: verify(d, certs.options).valid(), seconds),
        )
        add("sd-jwt full, ours", rate(tokens.presentations, ours_full, seconds))
        add("sd-jwt kb, ours", rate(tokens.presentations, ours_plain, seconds))
        add("sd-jwt kb, reference", rate(tokens.presentations, reference, seconds))

    s = {k: spread(v) for k, v in series.items()}
    assert all(v[0] > 0 for v in s.values()), "a verifier produced no results"
    js_label = "OpenAttestation JS" + (f" (not measured: {why_no_js})" if why_no_js else "")
    oa_int, oa_did = s.get("doc integrity, oa"), s.get("doc did, oa-verify")
    lines = [
        "## Credential verification, single core: govledger beside OpenAttestation and sd-jwt (same run)",
        "",
        "`make bench`, module `benchmarks/credentials_bench.py`",
        "(alone: `python -m benchmarks.credentials_bench`).",
        f"{n_docs} OpenAttestation v2 documents (wrapped {BATCH} to a batch, DID-signed with did:ethr)",
        f"and {n_tokens} SD-JWT VCs (ES256 issuer and holder, 8 disclosures, KB-JWT); per second,",
        f"median (min - max) of {rounds} runs of {seconds:g} s, the two sides alternating.",
        "OpenAttestation: @govtechsg/oa-verify 9.4.0 and @govtechsg/open-attestation 6.9.7 on Node,",
        "timed inside the script (start-up excluded).",
        "",
        "| checks | govledger | baseline | baseline is | govledger / baseline |",
        "|---|---|---|---|---|",
        f"| document integrity (targetHash, Merkle proof) | {fmt(s['doc integrity, ours'])} | {fmt(oa_int)} "
        f"| open-attestation `verifySignature` | {ratio(s['doc integrity, ours'], oa_int)} |",
        f"| document integrity + DID signature (status and identity fragments), offline did:ethr "
        f"| {fmt(s['doc did, ours'])} | {fmt(oa_did)} | oa-verify, same three fragments "
        f"| {ratio(s['doc did, ours'], oa_did)} |",
        f"| the above + ledger issuance, revocation on the proof path, trust list (snapshot) "
        f"| {fmt(s['doc full ledger, ours'])} | n/a | oa-verify needs Ethereum for these | |",
        f"| SD-JWT VC: signature, disclosures, times, KB-JWT (nonce, aud, sd_hash, freshness) "
        f"| {fmt(s['sd-jwt kb, ours'])} | {fmt(s['sd-jwt kb, reference'])} | sd-jwt 0.10.4 `SDJWTVerifier` "
        f"(no time checks) | {ratio(s['sd-jwt kb, ours'], s['sd-jwt kb, reference'])} |",
        f"| SD-JWT VC: the above + issuer trust + Token Status List (cached list) "
        f"| {fmt(s['sd-jwt full, ours'])} | {fmt(s['sd-jwt kb, reference'])} | the same reference run "
        f"| {ratio(s['sd-jwt full, ours'], s['sd-jwt kb, reference'])} |",
        "",
        f"Baseline column for documents: {js_label}.",
        "The module docstring lists exactly what each side checks.",
        "",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    print("\n".join(section(args.smoke)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
