"""OpenAttestation v2 documents: wrap, obfuscate, sign and verify, bit-compatible with the JS libraries.

Pure functions over JSON values; no ledger, network or clock inside. The ledger side (document
stores, token registries) is `govledger.apps.documents`; verification reaches it through the
`StatusSource` protocol.

    raw = {"issuers": [...], "$template": {...}, "recipient": {...}}
    batch = wrap_documents([raw1, raw2])             # salted, hashed, one merkleRoot for the batch
    shown = obfuscate(batch[0], ["recipient.address"])   # still verifies
    signed = sign_document(batch[0], EthSigner(key), created="2026-11-27T00:00:00Z")
    report = verify(json_bytes, VerifyOptions(status=..., dns=..., trust=...))
    report.valid()                                    # oa-verify's isValid over the fragments

Modules: `js` (JavaScript number formatting and JSON), `keccak`, `wrap`, `merkle`, `obfuscate`,
`sign` (secp256k1 / EIP-191, DID documents, DNS records, trust list), `verify`, `qr`.
"""

from govledger.documents.errors import DocumentError
from govledger.documents.obfuscate import obfuscate
from govledger.documents.sign import (
    DidResolver,
    DnsResolver,
    EthSigner,
    ImplicitEthrResolver,
    StaticDnsResolver,
    TrustedIssuer,
    TrustList,
    did_issuer,
    did_txt_record,
    sign_document,
    store_txt_record,
)
from govledger.documents.verify import (
    Fragment,
    HashStatus,
    Report,
    StatusSource,
    TokenStatus,
    VerifyOptions,
    verify,
    verify_integrity,
)
from govledger.documents.wrap import document_data, target_hash, wrap_document, wrap_documents

__all__ = [
    "DidResolver",
    "DnsResolver",
    "DocumentError",
    "EthSigner",
    "Fragment",
    "HashStatus",
    "ImplicitEthrResolver",
    "Report",
    "StaticDnsResolver",
    "StatusSource",
    "TokenStatus",
    "TrustList",
    "TrustedIssuer",
    "VerifyOptions",
    "did_issuer",
    "did_txt_record",
    "document_data",
    "obfuscate",
    "sign_document",
    "store_txt_record",
    "target_hash",
    "verify",
    "verify_integrity",
    "wrap_document",
    "wrap_documents",
]
