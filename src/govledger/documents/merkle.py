"""OpenAttestation's batch Merkle tree: many documents, one root to issue or sign.

Theory of operation
-------------------
Leaves are the documents' 32-byte targetHashes, sorted as byte strings (Buffer.compare). Each layer
pairs neighbours (0,1), (2,3), ...; a parent is keccak-256 of its two children *sorted* and
concatenated, so a proof needs no left/right flags; the last node of an odd layer is promoted
unchanged. A document's proof is the list of siblings it meets on the way up (none where it was
promoted). Checking folds the proof into the targetHash with the same sorted combine and compares
with the merkleRoot.

Because pairs are sorted, a proof also fixes every intermediate hash on the path; `path_hashes`
returns them, so a revocation of any subtree (a node hash) can be looked up, as oa-verify does with
Ethereum document stores.

This is not RFC 9162 (no leaf/node domain separation, sorted pairs): it is OpenAttestation's format,
kept bit for bit so that batches issued here verify there and vice versa. A batch of one document has
merkleRoot = targetHash and an empty proof.
"""

from __future__ import annotations

from collections.abc import Sequence

from govledger.documents.keccak import keccak256

MAX_BATCH = 1 << 16  # documents per batch: 16 proof entries at most, and bounded memory per wrap


def combine(a: bytes, b: bytes) -> bytes:
    """Parent of two nodes: keccak-256 of the two sorted and concatenated."""
    return keccak256(a + b if a <= b else b + a)


def build(leaves: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """(merkleRoot, proof of each leaf in the order given). Leaves are 32 bytes each."""
    if not leaves:
        raise ValueError("a batch needs at least one document")
    if len(leaves) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} documents")
    if any(len(x) != 32 for x in leaves):
        raise ValueError("leaves must be 32-byte hashes")
    layers = [sorted(leaves)]
    while len(layers[-1]) > 1:
        below = layers[-1]
        layers.append(
            [
                combine(below[i], below[i + 1]) if i + 1 < len(below) else below[i]
                for i in range(0, len(below), 2)
            ]
        )
    root = layers[-1][0]
    # OpenAttestation finds a leaf by its first position in the sorted layer; equal target hashes
    # (the same document twice, impossible with random salts) then share one proof, as there.
    first_index: dict[bytes, int] = {}
    for i, leaf in enumerate(layers[0]):
        first_index.setdefault(leaf, i)
    return root, [_proof(first_index[leaf], layers) for leaf in leaves]


def _proof(index: int, layers: list[list[bytes]]) -> list[bytes]:
    out = []
    for layer in layers[:-1]:
        sibling = index - 1 if index % 2 else index + 1
        if sibling < len(layer):
            out.append(layer[sibling])
        index //= 2
    return out


def root_of(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = combine(node, sibling)
    return node


def check(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    return root_of(leaf, proof) == root


def path_hashes(leaf: bytes, proof: Sequence[bytes]) -> list[bytes]:
    """The leaf, every intermediate node and the root, bottom-up (len(proof) + 1 hashes)."""
    out = [leaf]
    for sibling in proof:
        out.append(combine(out[-1], sibling))
    return out
