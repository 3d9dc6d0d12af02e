"""Credential verification per second, single core: OpenAttestation v2 documents by govledger's verifier
beside OpenAttestation's own JavaScript verifier, SD-JWT VCs by govledger beside the `sd-jwt` reference
package (PyPI sd-jwt 0.10.4), and ISO 18013-5 mdocs by govledger beside pymdoccbor 1.4.0, each pair on
the same inputs in the same run.

    .venv/bin/python -m benchmarks.credentials_bench            # ~1.5 min
    .venv/bin/python -m benchmarks.credentials_bench --smoke    # a few dozen inputs, ~7 s on an idle machine

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
- **mdoc**: mDL DeviceResponses (ES256 DS key with its certificate in `x5chain`, 10 elements including
  a 4 KiB portrait, ES256 device key, DeviceAuth over an OpenID4VP SessionTranscript). govledger
  `mdoc.Verifier.verify`: DS certificate chained to the IACA and within its validity, the DS profile
  (mdlDS key usage), the MSO signature, MSO validity window, every element's value digest; the second
  row adds the device signature over DeviceAuthentication. pymdoccbor's `MdocCbor.verify` with the
  IACA as trusted root: the DS certificate's signature by the root and its validity, the MSO signature,
  every element's digest; it has no MSO validity and no device authentication. The issuer-half row
  runs ours on the same responses without `deviceSigned`.

How it measures: every verifier runs on one thread over the same list of inputs, round-robin, for a
fixed wall time, each verdict checked, and the figure is verifications per CPU-second of the
verifying process (Python `time.process_time`, Node `process.cpuUsage`, which also counts V8's helper
threads): the machines are shared, and other load then lengthens a run without lowering its figure.
The median, min and max are over `rounds` runs, the two sides alternating per run so that what drift
remains (frequency, caches) hits both, and the ratio is the median of the per-run ratios. The JS side
runs as a Node subprocess (one per run) that reads the documents from a temp file, checks every
verdict once (and warms the JIT), and times its loops itself: Node's start-up and module loading are
not counted. Its
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


@dataclass
class Mdocs:
    responses: list[bytes]  # DeviceResponses with DeviceAuth
    issuer_only: list[bytes]  # the same without deviceSigned
    ours_full: Callable[[bytes], bool]
    ours_issuer: Callable[[bytes], bool]
    theirs: Callable[[bytes], bool] | None  # pymdoccbor, when installed


def mdoc_inputs(n: int) -> Mdocs:
    import datetime as dt

    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    from govledger.identity import cose, mdoc, mdoc_pki

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    day = dt.timedelta(days=1)
    iaca_key = ec.generate_private_key(ec.SECP256R1())
    iaca = mdoc_pki.iaca_certificate(
        iaca_key, common_name="Bench IACA", country="SG", not_before=now - day, not_after=now + 3650 * day
    )
    ds = JwsSigner.generate("ES256")
    ds_cert = mdoc_pki.document_signer_certificate(
        iaca_key, iaca, ds.public_key, common_name="Bench DS", not_before=now - day, not_after=now + 365 * day
    )
    transcript = mdoc.oid4vp_session_transcript("x509_san_dns:rp.example.gov", NONCE, AUD)
    responses = []
    for i in range(n):
        device = JwsSigner.generate("ES256")
        elements = {
            "family_name": "Tan", "given_name": f"Mei {i}", "birth_date": dt.date(1990, 1, 2),
            "issue_date": dt.date(2026, 11, 1), "expiry_date": dt.date(2031, 10, 31), "issuing_country": "SG",
            "document_number": f"S{i:07d}D", "portrait": bytes(4096), "age_over_18": True,
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": dt.date(2010, 5, 1)}],
        }  # fmt: skip
        issued = mdoc.issue(
            mdoc.DocumentSigner(ds, (ds_cert,)), doc_type=mdoc.MDL_DOCTYPE,
            name_spaces={mdoc.MDL_NAMESPACE: elements}, device_key=device.public_key,
            signed=now, valid_from=now, valid_until=now + 365 * day,
        )  # fmt: skip
        responses.append(mdoc.present(issued, device=device, session_transcript=transcript))
    issuer_only = []
    for r in responses:
        value = cbor2.loads(r)
        del value["documents"][0]["deviceSigned"]
        issuer_only.append(cose.dumps(value))
    verifier = mdoc.Verifier([iaca])

    def ours_full(r: bytes) -> bool:
        return bool(verifier.verify(r, session_transcript=transcript, now_s=int(time.time())).code == "ok")

    def ours_issuer(r: bytes) -> bool:
        out = verifier.verify(r, session_transcript=None, now_s=int(time.time()), require_device_auth=False)
        return bool(out.code == "ok")

    theirs: Callable[[bytes], bool] | None = None
    try:
        from cryptography import x509
        from pymdoccbor.mdoc.verifier import MdocCbor
    except ImportError:
        print("   pymdoccbor not installed: no mdoc baseline")
    else:
        roots = [x509.load_der_x509_certificate(iaca)]

        def theirs(r: bytes) -> bool:
            m = MdocCbor()
            m.loads(r)
            return bool(m.verify(trusted_root_certs=roots))

    return Mdocs(responses, issuer_only, ours_full, ours_issuer, theirs)


# --- timing --------------------------------------------------------------------------------------------


def rate(items: Sequence[Any], check: Callable[[Any], bool], seconds: float) -> float:
    """Items verified per CPU-second, round-robin over `items` for `seconds` of wall time.

    CPU time of this process (`time.process_time`), not wall time: on a shared machine the other
    load then slows the run down without lowering the figure. Every verdict must be true.
    """
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds or n == 0:
        if not check(items[n % len(items)]):
            raise AssertionError(f"item {n % len(items)} did not verify")
        n += 1
    return n / max(time.process_time() - cpu, 1e-9)


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


def ratio(ours: list[float], base: list[float] | None) -> str:
    """Median of the per-run ratios: each run's two figures were measured back to back."""
    if not base:
        return ""
    return f"{statistics.median(a / b for a, b in zip(ours, base, strict=True)):.2f}"


def section(smoke: bool) -> list[str]:
    n_docs, n_tokens, n_mdocs = (24, 12, 6) if smoke else (200, 64, 32)
    seconds, rounds = (0.2, 1) if smoke else (2.0, 3)
    signer = EthSigner(bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
    print(
        f"== credentials: {n_docs} documents, {n_tokens} SD-JWT VCs, {n_mdocs} mdocs, {rounds} x {seconds} s"
    )
    plain = signed_batches(
        [raw_document(i, did_issuer(signer, "Civil Registry")) for i in range(n_docs)], signer
    )
    certs = ledger_documents(n_docs, signer)
    tokens = sd_jwt_tokens(n_tokens)
    reference = ref_verifier()
    mdocs = mdoc_inputs(n_mdocs)
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
        add("mdoc device, ours", rate(mdocs.responses, mdocs.ours_full, seconds))
        add("mdoc issuer, ours", rate(mdocs.issuer_only, mdocs.ours_issuer, seconds))
        if mdocs.theirs is not None:
            add("mdoc issuer, pymdoccbor", rate(mdocs.responses, mdocs.theirs, seconds))

    assert all(min(v) > 0 for v in series.values()), "a verifier produced no results"

    def row(checks: str, ours: str, base: str | None, what: str) -> str:
        b = series.get(base) if base else None
        return f"| {checks} | {fmt(spread(series[ours]))} | {fmt(spread(b) if b else None)} | {what} | " + (
            f"{ratio(series[ours], b)} |"
        )

    js_note = f" (not measured: {why_no_js})" if why_no_js else ""
    ref = "sd-jwt kb, reference"
    lines = [
        "## Credential verification, single core: govledger beside OpenAttestation, sd-jwt and pymdoccbor",
        "",
        "`make bench`, module `benchmarks/credentials_bench.py`",
        "(alone: `python -m benchmarks.credentials_bench`).",
        f"{n_docs} OpenAttestation v2 documents (wrapped {BATCH} to a batch, DID-signed with did:ethr),",
        f"{n_tokens} SD-JWT VCs (ES256 issuer and holder, 8 disclosures, KB-JWT) and {n_mdocs} mDL",
        "DeviceResponses (ES256, 10 elements, DeviceAuth). Verifications per CPU-second of one thread",
        "(process CPU time, so other load on the shared machine does not lower the figures), median",
        f"(min - max) of {rounds} runs of {seconds:g} s, each baseline measured right after ours in every",
        "run; the ratio is the median of the per-run ratios. OpenAttestation: @govtechsg/oa-verify 9.4.0",
        "and @govtechsg/open-attestation 6.9.7 on Node, timed inside the script (start-up excluded).",
        "",
        "| checks | govledger | baseline | baseline is | govledger / baseline |",
        "|---|---|---|---|---|",
        row(
            "document integrity (targetHash, Merkle proof)",
            "doc integrity, ours",
            "doc integrity, oa",
            f"open-attestation `verifySignature`{js_note}",
        ),
        row(
            "document integrity + DID signature (status and identity fragments), offline did:ethr",
            "doc did, ours",
            "doc did, oa-verify",
            f"oa-verify, the same three fragments{js_note}",
        ),
        row(
            "the above + ledger issuance, revocation on the proof path, trust list (state snapshot)",
            "doc full ledger, ours",
            None,
            "none: oa-verify needs Ethereum for these",
        ),
        row(
            "SD-JWT VC: signature, disclosures, times, KB-JWT (nonce, aud, sd_hash, freshness)",
            "sd-jwt kb, ours",
            ref,
            "sd-jwt 0.10.4 `SDJWTVerifier` (no time checks)",
        ),
        row(
            "SD-JWT VC: the above + issuer trust + Token Status List (cached list)",
            "sd-jwt full, ours",
            ref,
            "the same reference figures",
        ),
        row(
            "mdoc issuer half: x5chain to the IACA, MSO signature, validity, value digests",
            "mdoc issuer, ours",
            "mdoc issuer, pymdoccbor" if mdocs.theirs is not None else None,
            "pymdoccbor 1.4.0 `MdocCbor.verify` (no validity check)"
            + ("" if mdocs.theirs is not None else " (not installed)"),
        ),
        row(
            "mdoc: the above + DeviceAuth over the SessionTranscript",
            "mdoc device, ours",
            "mdoc issuer, pymdoccbor" if mdocs.theirs is not None else None,
            "the same pymdoccbor figures (it has no device authentication)",
        ),
        "",
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
