"""SD-JWT VC verification rate, single core, with baselines measured in the same run.

Run: .venv/bin/python -m tests.identity.bench_verify   (not collected by pytest: no test_ prefix)

Each verification: split, parse, issuer key from did:jwk, issuer signature, 8 disclosures, time
checks, KB-JWT signature, nonce/aud/freshness, sd_hash. Baselines: the raw signature verifications
the same work contains (pyca/cryptography), and the reference implementation's SDJWTVerifier.
"""

from __future__ import annotations

import json
import time
from typing import Any

from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.did import DidResolver, did_jwk
from govledger.identity.jose import JwsSigner, decode_jws, verify_signature

NOW = 1_800_000_000
CLAIMS: dict[str, Any] = {
    "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
    "address": {"street_address": "Heidestr. 17", "locality": "Köln", "country": "DE"},
    "nationalities": ["DE"], "age_over_18": True, "resident_region": "NRW",
}  # fmt: skip


def rate(fn: Any, seconds: float = 2.0) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            fn()
        n += 50
    return n / (time.perf_counter() - start)


def measure(alg: str) -> None:
    issuer = JwsSigner.generate(alg)
    iss = did_jwk(issuer.public_jwk())
    issuer = issuer.with_kid(iss + "#0")
    holder = JwsSigner.generate("ES256")
    paths = [(k,) for k in CLAIMS]
    raw = sdjwt_vc.issue(
        issuer, iss=iss, vct="urn:eudi:pid:1", claims=CLAIMS, sd_paths=paths,
        holder_jwk=holder.public_jwk(), iat=NOW, exp=NOW + 3600,
    )  # fmt: skip
    pres = sdjwt.present(raw, None, holder=holder, nonce="n", aud="a", iat=NOW)
    v = sdjwt_vc.Verifier(DidResolver())
    assert v.verify(pres, now_s=NOW, nonce="n", aud="a").ok
    ours = rate(lambda: v.verify(pres, now_s=NOW, nonce="n", aud="a"))
    jws = decode_jws(raw.split("~")[0])
    kb = decode_jws(pres.rsplit("~", 1)[1])

    def raw_signatures() -> None:
        verify_signature(jws.alg, issuer.public_key, jws.signing_input, jws.signature)
        verify_signature(kb.alg, holder.public_key, kb.signing_input, kb.signature)

    raw_sig = rate(raw_signatures)
    key = JWK.from_json(json.dumps(issuer.public_jwk()))
    ref = rate(lambda: SDJWTVerifier(pres, lambda i, h: key, "a", "n").get_verified_payload())
    print(
        f"{alg} issuer + ES256 holder: govledger {ours:,.0f}/s; the two raw signature checks "
        f"{raw_sig:,.0f}/s; reference SDJWTVerifier {ref:,.0f}/s"
    )


def main() -> None:
    for alg in ("ES256", "EdDSA"):
        measure(alg)


if __name__ == "__main__":
    main()
