"""Wrapping documents exactly as OpenAttestation v2 does: salt, flatten, hash, batch.

Theory of operation
-------------------
A raw document is a JSON object (`issuers`, `$template`, `recipient`, anything else). Wrapping:

1. **Salt** every primitive value into the string `"<uuid v4>:<type>:<String(value)>"` with type one of
   `string`, `number`, `boolean`, `null` (JavaScript's `String(n)` for numbers, see `js.py`). The
   128-bit random salts make every field's hash unguessable, which is what lets a holder later hide a
   field (`obfuscate.py`) without the hash giving its value away. Salts come from an injected
   `random_bytes(n)` function (the OS generator by default; a seeded one in tests).
2. **Flatten** the salted data into dotted paths (`issuers.0.name`); a key containing `.` is refused;
   empty objects and arrays are leaves of their own (`{"a":{}}`).
3. **Leaf hash** = keccak-256 of `JSON.stringify({path: saltedValue})`.
4. **targetHash** = keccak-256 of `JSON.stringify(sorted(leaf hashes + privacy.obfuscatedData))`:
   a hidden field still contributes its leaf hash, through `obfuscatedData`.
5. **Batch**: the targetHashes of all documents wrapped together form a Merkle tree (`merkle.py`);
   each document carries `merkleRoot` and its proof. Issuing or signing the root covers the batch.

The wrapped document is `{"version": "https://schema.openattestation.com/2.0/schema.json", "data": ...,
"signature": {"type": "SHA3MerkleProof", "targetHash", "proof", "merkleRoot"}}`.

Flattening reproduces one more JavaScript detail on purpose: a key that is the empty string, at the
top of the document, adds no prefix (`{"": {"a": 1}}` flattens to `a`), so it can collide with a
top-level `a`; OpenAttestation then keeps the later of the two in `Object.keys` order. The verifier
does the same (so its answer equals OpenAttestation's); `wrap_document` refuses such documents.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from govledger.documents import js, merkle
from govledger.documents.errors import fail
from govledger.documents.keccak import keccak256

SCHEMA_V2 = "https://schema.openattestation.com/2.0/schema.json"
PROOF_TYPE = "SHA3MerkleProof"
MAX_LEAVES = 100_000  # fields per document: bounds hashing work per verification

RandomBytes = Callable[[int], bytes]

_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE)
_SALT_CHARS = 37  # "<36-character uuid>:"
_ADDRESS = re.compile(r"^0x[a-fA-F0-9]{40}$")


# --- salting ----------------------------------------------------------------------------------------


def new_salt(random_bytes: RandomBytes = os.urandom) -> str:
    """A random UUID v4 (122 random bits), as OpenAttestation salts with."""
    return str(uuid.UUID(bytes=random_bytes(16), version=4))


def typed_string(value: Any) -> str:
    """`<type>:<String(value)>` for a JSON primitive."""
    if isinstance(value, str):
        return "string:" + value
    if value is True or value is False:
        return "boolean:true" if value else "boolean:false"
    if value is None:
        return "null:null"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            fail("documents.bad_value", f"{value!r} is not a JSON number")
        return "number:" + js.number_to_string(value)
    fail("documents.bad_value", f"a {type(value).__name__} is not a JSON value")


def salt_data(data: Any, random_bytes: RandomBytes = os.urandom) -> Any:
    """The salted copy of a JSON value (objects and arrays kept, every primitive salted)."""
    if isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            if not isinstance(k, str):
                fail("documents.bad_value", f"object keys must be strings, got {type(k).__name__}")
            out[k] = salt_data(v, random_bytes)
        return out
    if isinstance(data, list | tuple):
        return [salt_data(v, random_bytes) for v in data]
    return new_salt(random_bytes) + ":" + typed_string(data)


def unsalt(value: Any) -> Any:
    """The original primitive of a salted value (OpenAttestation's `unsalt`); other values unchanged.

    Raises ValueError for a salted string of an unknown type, as OpenAttestation's `getData` throws.
    """
    if not isinstance(value, str) or not _UUID4.match(value.split(":", 1)[0]):
        return value
    kind, _, text = value[_SALT_CHARS:].strip().partition(":")
    if kind == "string":
        return text
    if kind == "number":
        return _js_number(text)
    if kind == "boolean":
        return text == "true"
    if kind in ("null", "undefined"):
        return None
    raise ValueError(f"unknown salted type {kind!r}")


def unsalt_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: unsalt_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [unsalt_data(v) for v in data]
    return unsalt(data)


def _js_number(text: str) -> int | float:
    """`Number(text)` for the decimal forms `String(n)` produces (others become NaN)."""
    t = text.strip()
    if t == "":
        return 0
    try:
        if re.fullmatch(r"-?\d+", t):
            n = int(t)
            return n if abs(n) <= js.MAX_SAFE_INTEGER else float(n)  # a double, as Number() gives
        return float(t)
    except (ValueError, OverflowError):
        return math.nan


# --- flattening and hashing -------------------------------------------------------------------------


def flatten(data: Mapping[str, Any] | list[Any], *, strict: bool = True) -> dict[str, Any]:
    """Dotted paths to leaf values, as OpenAttestation's `flatten` (flatley) produces them.

    `strict` refuses two fields that flatten to the same path (possible only through empty-string
    keys at the top); otherwise the later one in JavaScript key order wins, as in OpenAttestation.
    """
    out: dict[str, Any] = {}
    _flatten_into(data, "", out, strict)
    return out


def flatten_under(node: Mapping[str, Any] | list[Any], prefix: str) -> dict[str, Any]:
    """The leaves of a subtree, with paths as they appear in the whole document (`prefix` non-empty)."""
    out: dict[str, Any] = {}
    if isinstance(node, dict | list) and node:
        _flatten_into(node, prefix, out, True)
    else:
        out[prefix] = node
    return out


def _flatten_into(
    node: Mapping[str, Any] | list[Any], prefix: str, out: dict[str, Any], strict: bool
) -> None:
    if isinstance(node, list):
        items: Iterable[tuple[str, Any]] = ((str(i), v) for i, v in enumerate(node))
    elif prefix:
        items = node.items()
    else:
        # no prefix: children are not prefixed, so collisions are possible and JS key order decides
        items = ((k, node[k]) for k in js.js_key_order(list(node)))
    for key, value in items:
        if "." in key:
            fail("documents.dotted_key", f"key {key!r} contains '.'")
        path = prefix + "." + key if prefix else key
        if isinstance(value, dict | list) and value:
            _flatten_into(value, path, out, strict)
            continue
        if strict and path in out:
            fail("documents.key_collision", f"two fields flatten to the path {path!r}")
        out[path] = value


def leaf_hash(path: str, value: Any) -> str:
    """keccak-256 of `JSON.stringify({path: value})`, hex."""
    text = "{" + js.stringify_string(path) + ":" + js.stringify_leaf(value) + "}"
    return keccak256(text.encode("utf-8")).hex()


def leaf_hashes(data: Mapping[str, Any], *, strict: bool = True) -> list[str]:
    flat = flatten(data, strict=strict)
    if len(flat) > MAX_LEAVES:
        fail("documents.too_large", f"{len(flat)} fields exceed the limit of {MAX_LEAVES}")
    return [leaf_hash(p, v) for p, v in flat.items()]


def digest(leaves: Iterable[str], obfuscated: Iterable[str] = ()) -> str:
    """targetHash: keccak-256 of the JSON array of all leaf hashes, sorted (lower-case hex sorts the
    same in JavaScript's code-unit order and Python's code-point order)."""
    hashes = sorted([*leaves, *obfuscated])
    text = "[" + ",".join('"' + h + '"' for h in hashes) + "]"
    return keccak256(text.encode("ascii")).hex()


def target_hash(data: Mapping[str, Any], obfuscated: Iterable[str] = (), *, strict: bool = True) -> str:
    return digest(leaf_hashes(data, strict=strict), obfuscated)


# --- the subset of the OpenAttestation v2 schema govledger checks before wrapping -------------------

IDENTITY_PROOF_TYPES = ("DNS-TXT", "DNS-DID", "DID")
REVOCATION_TYPES = ("NONE", "REVOCATION_STORE", "OCSP_RESPONDER")
STORE_FIELDS = ("documentStore", "tokenRegistry", "certificateStore")


def schema_errors(raw: Any) -> list[str]:
    """Violations of the OpenAttestation v2 schema rules that decide how a document is verified
    (issuers, identity proofs, revocation, template, attachments). Not the whole JSON schema: fields
    the verifiers never read are free, as `additionalProperties: true` makes them there."""
    if not isinstance(raw, Mapping):
        return ["a document must be an object"]
    errors: list[str] = []
    issuers = raw.get("issuers")
    if not isinstance(issuers, list) or not issuers:
        errors.append("issuers must be a non-empty array")
    else:
        for i, issuer in enumerate(issuers):
            errors.extend(f"issuers.{i}: {e}" for e in _issuer_errors(issuer))
    template = raw.get("$template")
    if not (template is None or isinstance(template, str)) and not (
        isinstance(template, Mapping) and isinstance(template.get("name"), str)
    ):
        errors.append("$template must be a string or an object with a string name")
    if "id" in raw and not isinstance(raw["id"], str):
        errors.append("id must be a string")
    attachments = raw.get("attachments")
    if attachments is not None:
        if not isinstance(attachments, list):
            errors.append("attachments must be an array")
        else:
            for i, a in enumerate(attachments):
                if not isinstance(a, Mapping) or not all(
                    isinstance(a.get(f), str) for f in ("filename", "type", "data")
                ):
                    errors.append(f"attachments.{i} needs string filename, type and data")
    return errors


def _issuer_errors(issuer: Any) -> list[str]:
    if not isinstance(issuer, Mapping):
        return ["an issuer must be an object"]
    errors = []
    if not isinstance(issuer.get("name"), str):
        errors.append("name must be a string")
    proof = issuer.get("identityProof")
    if not isinstance(proof, Mapping):
        return [*errors, "identityProof must be an object"]
    kind = proof.get("type")
    if kind not in IDENTITY_PROOF_TYPES:
        errors.append(f"identityProof.type must be one of {', '.join(IDENTITY_PROOF_TYPES)}")
    if kind in ("DNS-TXT", "DNS-DID") and not isinstance(proof.get("location"), str):
        errors.append("identityProof.location must be a domain name")
    if kind in ("DID", "DNS-DID"):
        if not isinstance(proof.get("key"), str):
            errors.append("identityProof.key must name the signing key")
        if not isinstance(issuer.get("id"), str):
            errors.append("id must be the issuer's DID")
    if kind == "DNS-TXT":
        stores = [f for f in STORE_FIELDS if f in issuer]
        if len(stores) != 1:
            errors.append("exactly one of documentStore, tokenRegistry, certificateStore is required")
        elif not isinstance(issuer[stores[0]], str) or not _ADDRESS.match(issuer[stores[0]]):
            errors.append(f"{stores[0]} must be a 0x-prefixed 20-byte address")
    revocation = issuer.get("revocation")
    if revocation is not None:
        if not isinstance(revocation, Mapping) or revocation.get("type") not in REVOCATION_TYPES:
            errors.append(f"revocation.type must be one of {', '.join(REVOCATION_TYPES)}")
        elif revocation["type"] != "NONE" and not isinstance(revocation.get("location"), str):
            errors.append("revocation.location is required for this revocation type")
    return errors


# --- wrapping ---------------------------------------------------------------------------------------


def wrap_document(
    raw: Mapping[str, Any], *, random_bytes: RandomBytes = os.urandom, validate: bool = True
) -> dict[str, Any]:
    """One document in a batch of its own (merkleRoot = targetHash, empty proof)."""
    if not isinstance(raw, Mapping):
        fail("documents.not_an_object", "a raw document must be a JSON object")
    if validate:
        errors = schema_errors(raw)
        if errors:
            fail("documents.schema", "; ".join(errors[:8]))
    data = salt_data(raw, random_bytes)
    th = target_hash(data)
    return {
        "version": SCHEMA_V2,
        "data": data,
        "signature": {"type": PROOF_TYPE, "targetHash": th, "proof": [], "merkleRoot": th},
    }


def wrap_documents(
    raws: Sequence[Mapping[str, Any]], *, random_bytes: RandomBytes = os.urandom, validate: bool = True
) -> list[dict[str, Any]]:
    """A batch: every document gets the shared merkleRoot and its own proof."""
    if not raws:
        fail("documents.too_large", "a batch needs at least one document")
    if len(raws) > merkle.MAX_BATCH:
        fail("documents.too_large", f"a batch holds at most {merkle.MAX_BATCH} documents")
    docs = [wrap_document(r, random_bytes=random_bytes, validate=validate) for r in raws]
    leaves = [bytes.fromhex(d["signature"]["targetHash"]) for d in docs]
    root, proofs = merkle.build(leaves)
    for d, proof in zip(docs, proofs, strict=True):
        d["signature"]["proof"] = [p.hex() for p in proof]
        d["signature"]["merkleRoot"] = root.hex()
    return docs


def document_data(wrapped: Mapping[str, Any]) -> Any:
    """The unsalted data of a wrapped document (OpenAttestation's `getData`)."""
    return unsalt_data(wrapped["data"])
