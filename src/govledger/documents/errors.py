"""The error producers of documents see (wrap, obfuscate, sign): a stable code and a message.

Verification never raises: it reports failed checks with codes instead (see `verify.py`). Building a
document from bad input is a caller's mistake, so it raises `DocumentError` with one of `CODES`.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import GovledgerError

CODES: dict[str, str] = {
    "documents.not_an_object": "a raw document (or the data of a wrapped one) is not a JSON object",
    "documents.schema": "the raw document breaks the OpenAttestation v2 schema rules govledger enforces",
    "documents.dotted_key": "a key contains '.', which OpenAttestation's flattening forbids",
    "documents.key_collision": "two fields flatten to the same path (keys that are empty strings)",
    "documents.bad_value": "a value is not JSON (bytes, NaN, infinities, non-string keys, ...)",
    "documents.too_large": "the document or batch exceeds a size bound",
    "documents.not_wrapped": "the input is not a wrapped OpenAttestation v2 document",
    "documents.bad_path": "an obfuscation path is empty, names no field, or names an array element",
    "documents.empties_array_element": "obfuscating would leave an empty object inside an array",
    "documents.bad_key": "a secp256k1 private key is not 32 bytes in range",
    "documents.bad_issuer": "the issuer entry cannot sign this document (no DID, wrong key)",
}


class DocumentError(GovledgerError):
    """A document could not be built, obfuscated or signed from this input."""


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise DocumentError(code, message)
