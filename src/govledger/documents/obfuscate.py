"""Selective disclosure: hide fields of a wrapped document and keep it verifiable.

Theory of operation
-------------------
Every field's leaf hash is part of the document's targetHash. Hiding a field removes it from `data`
and appends its leaf hash to `privacy.obfuscatedData`; the targetHash, recomputed from the remaining
leaves plus those hashes, is unchanged, so the issuer's signature or ledger issuance still covers the
document. Because each value was salted with 122 random bits, the hash reveals nothing about it.

Paths are dotted (`recipient.address`, `issuers.0.name`) and may name a leaf or a whole subtree.

**The upstream quirk, and how this module avoids it.** In a flattened document an empty object or
array is a leaf of its own. OpenAttestation's `obfuscateDocument` deletes `recipient.name` and leaves
`recipient: {}` behind: a new leaf `{"recipient":{}}` that was never hashed, so OpenAttestation's own
verifier then reports the document tampered (shared/vectors/.../obfuscated-wrapped.json is such a
document). Here, when hiding a field empties its parent object, the parent is removed too, up the
tree: an object that was non-empty was never a leaf, so removing it changes no hash. Emptying an
*array element* cannot be repaired that way (removing it would renumber its siblings' paths), so it
is refused with `documents.empties_array_element`; hide the whole array instead. Naming an array
element itself is refused for the same reason (`documents.bad_path`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from govledger.documents.errors import fail
from govledger.documents.wrap import flatten_under, leaf_hash

MAX_PATHS = 1000


def obfuscate(wrapped: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of `wrapped` with the fields at `paths` hidden; the input is not modified."""
    doc = copy.deepcopy(dict(wrapped))
    data = doc.get("data")
    if not isinstance(data, dict):
        fail("documents.not_wrapped", "a wrapped document has an object `data`")
    wanted = list(dict.fromkeys(paths))
    if len(wanted) > MAX_PATHS:
        fail("documents.too_large", f"at most {MAX_PATHS} paths at once")
    hidden: list[str] = []
    for path in wanted:
        hidden.extend(_hide(data, path))
    privacy = doc.get("privacy")
    privacy = dict(privacy) if isinstance(privacy, Mapping) else {}
    existing = privacy.get("obfuscatedData", [])
    privacy["obfuscatedData"] = [*(existing if isinstance(existing, list) else []), *hidden]
    doc["privacy"] = privacy
    return doc


def _hide(data: dict[str, Any], path: str) -> list[str]:
    """Remove the field at `path` from `data` (and the ancestors it empties); its leaf hashes."""
    parts = path.split(".") if isinstance(path, str) else [""]
    if "" in parts:
        fail("documents.bad_path", f"path {path!r} has an empty component")
    chain: list[tuple[Any, Any]] = []  # (container, key) from the top down to the field
    node: Any = data
    for part in parts:
        if isinstance(node, dict) and part in node:
            chain.append((node, part))
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and str(int(part)) == part and int(part) < len(node):
            chain.append((node, int(part)))
            node = node[int(part)]
        else:
            fail("documents.bad_path", f"path {path!r} names no field of the document")
    container, key = chain[-1]
    if isinstance(container, list):
        fail("documents.bad_path", f"{path!r} is an array element: hide the whole array instead")
    hashes = [leaf_hash(p, v) for p, v in flatten_under(node, path).items()]
    del container[key]
    level = len(chain) - 1
    while level > 0 and not chain[level][0]:  # the container we just emptied
        parent, parent_key = chain[level - 1]
        if isinstance(parent, list):
            fail("documents.empties_array_element", f"hiding {path!r} leaves an empty object in an array")
        del parent[parent_key]
        level -= 1
    return hashes
