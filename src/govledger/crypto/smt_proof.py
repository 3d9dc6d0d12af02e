"""Proofs against the state tree's root: hash definitions, the `SparseProof` record, and `verify_proof`.

This module owns everything a light client needs to check a state read, and nothing else: it has
no storage and no tree, so an SDK can import it alone. `govledger.crypto.smt` builds the tree and
the proofs; both use the hash definitions below, which are the commitment scheme of `state_root`.

Hashes (SHA-256; every preimage starts with an ASCII domain tag, so the three kinds of node can
never be confused with each other, nor with `codec.hash_of` of any wire value: a MessagePack value
that starts with the byte `g` (0x67, the positive fixint 103) is exactly one byte long):

    EMPTY_ROOT          = SHA-256("govledger.smt.empty")
    leaf(k, v)          = SHA-256("govledger.smt.leaf" || k || v)          k, v: 32-byte hashes
    node(bitmap, c...)  = SHA-256("govledger.smt.node" || be16(bitmap) || c_0 || c_1 || ...)

A node has 16 child slots, one per nibble; bit `i` of `bitmap` says slot `i` is occupied and the
`c_j` are the hashes of the occupied slots in ascending nibble order (a leaf hash or a node hash).
Empty slots contribute nothing, so a node costs one SHA-256 call however many children it has;
EMPTY_ROOT only ever appears as the root of a tree with no keys.

Nibble `i` of a key is the high half of byte `i // 2` for even `i` and the low half for odd `i`.

A proof for key `k` walks from the root down the slots named by `k`'s nibbles: level `i` of the
proof is the node at depth `i` on that path. It ends in one of three ways:
- membership: the last node's slot holds leaf(k, v);
- non-membership, empty slot: the last node's slot is empty (or the whole tree is empty);
- non-membership, other leaf: the slot holds leaf(k', v') with k' != k; the proof carries (k', v').
  Leaves sit at the shortest prefix that no other key shares, so if `k` were present it would be in
  that slot, and the slot holds a single leaf.
A tree holding exactly one key has a leaf as its root: zero levels, the leaf hash is the root.

Wire format (`SparseProof`, a `codec.Record`, so an array of three byte strings):
- `bitmaps`: be16 bitmap of each node on the path, root first; 2 bytes per level, at most 64 levels
  (a 256-bit key has 64 nibbles, and two distinct keys differ within them);
- `siblings`: for each level in the same order, the hashes of the occupied slots other than the
  path slot, ascending by nibble, concatenated (32 bytes each, at most 15 per level);
- `other_leaf`: empty, or key_hash || value_hash of the leaf in the slot (other-leaf case only).
So a proof is at most 128 + 30,720 + 64 bytes; a random tree of 10^6 keys gives about 2.3 KB.

`verify_proof` never raises: proofs come from the network, so any malformed input is `False`, and
lengths are checked before any hashing so a hostile proof cannot buy CPU time.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Annotated, Final

import msgspec

from govledger.codec import Record

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_DEPTH",
    "SparseProof",
    "leaf_hash",
    "node_hash",
    "verify_proof",
]

HASH_SIZE: Final = 32
MAX_DEPTH: Final = 64  # nibbles in a 256-bit key hash: the deepest a leaf can sit
MAX_SIBLINGS_PER_LEVEL: Final = 15

LEAF_DOMAIN: Final = b"govledger.smt.leaf"
NODE_DOMAIN: Final = b"govledger.smt.node"
EMPTY_DOMAIN: Final = b"govledger.smt.empty"

EMPTY_ROOT: Final = hashlib.sha256(EMPTY_DOMAIN).digest()

_MAX_BITMAPS_BYTES: Final = 2 * MAX_DEPTH
_MAX_SIBLINGS_BYTES: Final = MAX_DEPTH * MAX_SIBLINGS_PER_LEVEL * HASH_SIZE
_OTHER_LEAF_BYTES: Final = 2 * HASH_SIZE

_sha256 = hashlib.sha256
_BE16 = struct.Struct(">H")


class SparseProof(Record, frozen=True):
    """Membership or non-membership proof of one key against a state root (format above)."""

    bitmaps: Annotated[bytes, msgspec.Meta(max_length=_MAX_BITMAPS_BYTES)]
    siblings: Annotated[bytes, msgspec.Meta(max_length=_MAX_SIBLINGS_BYTES)]
    other_leaf: Annotated[bytes, msgspec.Meta(max_length=_OTHER_LEAF_BYTES)]


def leaf_hash(key_hash: bytes, value_hash: bytes) -> bytes:
    return _sha256(LEAF_DOMAIN + key_hash + value_hash).digest()


def node_hash(bitmap: int, child_hashes: bytes) -> bytes:
    """Hash of a node from its occupancy bitmap and its children's hashes, concatenated in slot order."""
    return _sha256(NODE_DOMAIN + _BE16.pack(bitmap) + child_hashes).digest()


def nibble(key_hash: bytes, index: int) -> int:
    byte = key_hash[index >> 1]
    return byte & 0x0F if index & 1 else byte >> 4


def same_prefix(a: bytes, b: bytes, nibbles: int) -> bool:
    """Whether `a` and `b` agree on their first `nibbles` nibbles."""
    half = nibbles >> 1
    if a[:half] != b[:half]:
        return False
    return not nibbles & 1 or (a[half] >> 4) == (b[half] >> 4)


def verify_proof(root_hash: bytes, key_hash: bytes, value_hash: bytes | None, proof: SparseProof) -> bool:
    """True iff `proof` shows that, under `root_hash`, `key_hash` maps to `value_hash` (None: is absent)."""
    try:
        return _verify(root_hash, key_hash, value_hash, proof)
    except Exception:
        # Belt and braces: _verify checks types and lengths first, but a verifier of untrusted
        # input must answer, not crash the request that carried it.
        return False


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _verify(root_hash: bytes, key_hash: bytes, value_hash: bytes | None, proof: SparseProof) -> bool:
    if not (_is_hash(root_hash) and _is_hash(key_hash) and isinstance(proof, SparseProof)):
        return False
    if value_hash is not None and not _is_hash(value_hash):
        return False
    bitmaps, siblings, other = proof.bitmaps, proof.siblings, proof.other_leaf
    # A Struct built in Python is not type-checked, so check what decoding would have enforced.
    if not (isinstance(bitmaps, bytes) and isinstance(siblings, bytes) and isinstance(other, bytes)):
        return False
    if len(bitmaps) & 1 or len(bitmaps) > _MAX_BITMAPS_BYTES or len(siblings) > _MAX_SIBLINGS_BYTES:
        return False
    levels = len(bitmaps) >> 1

    # The hash that sits in the key's slot of the last node (None: the slot is empty).
    current: bytes | None
    if value_hash is not None:
        if other:
            return False
        current = leaf_hash(key_hash, value_hash)
    elif other:
        if len(other) != _OTHER_LEAF_BYTES:
            return False
        other_key = other[:HASH_SIZE]
        # The other leaf must live in this key's slot: it shares the path, and it is not this key.
        if other_key == key_hash or not same_prefix(other_key, key_hash, levels):
            return False
        current = leaf_hash(other_key, other[HASH_SIZE:])
    else:
        current = None

    if levels == 0:
        if siblings:
            return False
        return (current if current is not None else EMPTY_ROOT) == root_hash

    # Shape check before hashing: the path slot is occupied at every level but the last, where it
    # is occupied iff something sits in it, and the sibling bytes are exactly what the bitmaps need.
    bms = struct.unpack(f">{levels}H", bitmaps)
    needed = 0
    last = levels - 1
    for depth, bm in enumerate(bms):
        on_path = bm >> nibble(key_hash, depth) & 1
        if bm == 0 or (on_path == 0 if depth < last else on_path != (current is not None)):
            return False
        needed += bm.bit_count() - on_path
    if len(siblings) != needed * HASH_SIZE:
        return False

    end = len(siblings)
    for depth in range(last, -1, -1):
        bm = bms[depth]
        nib = nibble(key_hash, depth)
        before = (bm & ((1 << nib) - 1)).bit_count()
        after = (bm >> (nib + 1)).bit_count()
        start = end - (before + after) * HASH_SIZE
        mid = start + before * HASH_SIZE
        prefix = NODE_DOMAIN + _BE16.pack(bm)
        if current is None:
            current = _sha256(prefix + siblings[start:end]).digest()
        else:
            current = _sha256(prefix + siblings[start:mid] + current + siblings[mid:end]).digest()
        end = start
    return current == root_hash
