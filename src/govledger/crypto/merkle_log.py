"""RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs, and a compact log frontier.

This module owns the transparency-log maths that every read proof rests on. It follows RFC 9162
(Certificate Transparency v2) to the letter so that any independent CT-style verifier can check our
proofs: leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right), and the
hash of the empty tree is SHA-256("").

Design:
- Builders take the full list of leaf hashes and are iterative: a proof needs the roots of the
  sibling subtrees, which together cover at most n leaves, so a proof costs O(n) hashes and no
  recursion depth. Callers that need faster proofs keep the subtree roots themselves.
- Verifiers implement the RFC 9162 §2.1.3.2 / §2.1.4.2 algorithms step by step and never raise:
  they see untrusted proofs from the network, so any malformed input is simply `False`.
- A root does not commit to the tree size: a proof can verify against the same root under a
  different size of the same shape. Callers must take sizes from a signed checkpoint that binds
  (size, root) together, never from the party supplying the proof (RFC 9162 signs both in the STH).
- `CompactRange` keeps only the roots of the perfect subtrees on the log's right edge (one per set
  bit of the size), so an appending node tracks the current root in O(log n) memory.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
# A tree of at most 2**64 leaves has proofs of at most 64 (inclusion) or 65 (consistency) hashes;
# anything longer is rejected before hashing so a hostile proof cannot buy CPU time.
_MAX_SIZE = 1 << 64
_MAX_PROOF = 66

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def _split(width: int) -> int:
    """The largest power of two strictly smaller than `width` (width >= 2): RFC 9162's k."""
    return 1 << ((width - 1).bit_length() - 1)


def _range_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) in O(end - start) time and O(log) memory."""
    if start == end:
        return EMPTY_ROOT
    # Stack of perfect-subtree roots; merging whenever the count's low bit carries rebuilds exactly
    # the RFC tree, whose left subtrees are always perfect.
    stack: list[bytes] = []
    for count, i in enumerate(range(start, end)):
        h = leaf_hashes[i]
        while count & 1:
            h = _sha256(b"\x01" + stack.pop() + h).digest()
            count >>= 1
        stack.append(h)
    h = stack.pop()
    while stack:
        h = _sha256(b"\x01" + stack.pop() + h).digest()
    return h


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the tree whose leaves have these hashes (every block's tx and result roots).

    Level by level, an odd last node promoted unchanged: the same tree as RFC 9162's recursion
    (its left subtrees are perfect), but one comprehension per level instead of a loop per leaf.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[n]): sibling hashes from the leaf up to the root."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} out of range for a tree of size {n}")
    start, end = 0, n
    path: list[bytes] = []
    # Walks the RFC recursion top-down, so siblings come out root-first; the RFC lists them leaf-first.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_range_root(leaf_hashes, start + k, end))
            end = start + k
        else:
            path.append(_range_root(leaf_hashes, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[n]) for 0 < old_size < n.

    old_size == n and old_size == 0 give the empty proof: every tree extends itself and the empty
    tree, and `verify_consistency` accepts exactly those cases with an empty proof.
    """
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} out of range for a tree of size {n}")
    if old_size in (0, n):
        return []
    m, start, width = old_size, 0, n
    # b of SUBPROOF(m, D, b): stays True while the walk follows the left edge of the old tree.
    on_left_edge = True
    suffix: list[bytes] = []
    while m != width:
        k = _split(width)
        if m <= k:
            suffix.append(_range_root(leaf_hashes, start + k, start + width))
            width = k
        else:
            suffix.append(_range_root(leaf_hashes, start, start + k))
            start += k
            m -= k
            width -= k
            on_left_edge = False
    proof = [] if on_left_edge else [_range_root(leaf_hashes, start, start + width)]
    proof.extend(reversed(suffix))
    return proof


def _is_size(value: object) -> bool:
    return type(value) is int and 0 <= value < _MAX_SIZE


def _is_hash(value: object) -> bool:
    return type(value) is bytes and len(value) == HASH_SIZE


def _is_path(proof: object) -> bool:
    if not isinstance(proof, Sequence) or isinstance(proof, (bytes, str)):
        return False
    return len(proof) <= _MAX_PROOF and all(_is_hash(p) for p in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf `index` of a `tree_size` tree has hash `leaf_hash`?"""
    if not (
        _is_hash(leaf_hash) and _is_hash(root) and _is_size(index) and _is_size(tree_size) and _is_path(proof)
    ):
        return False
    # 1. leaf_index must be < tree_size.
    if index >= tree_size:
        return False
    # 2./3.
    fn, sn = index, tree_size - 1
    r = leaf_hash
    # 4.
    for p in proof:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # ii.
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5.
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the `old_size` tree with `old_root` a prefix of the `new_size` one?

    The RFC defines proofs for 0 < old_size < new_size only. Outside it, the empty proof is accepted
    exactly when the claim holds without one: equal sizes with equal roots, or an empty old tree.
    """
    if not (
        _is_size(old_size)
        and _is_size(new_size)
        and _is_hash(old_root)
        and _is_hash(new_root)
        and _is_path(proof)
    ):
        return False
    if old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return len(proof) == 0 and hmac.compare_digest(old_root, EMPTY_ROOT)
    # 1.
    if len(proof) == 0:
        return False
    path = list(proof)
    # 2. old_size is a power of two: the old root is itself a node of the new tree.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:  # ii.
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    return hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root) and sn == 0


class CompactRange:
    """Append-only accumulator of a log's right frontier: enough to compute its root, O(log n) memory.

    `to_bytes` is `size` as 8 bytes big-endian followed by the frontier hashes, largest (leftmost)
    subtree first; there is one hash per set bit of `size`, so the encoding is canonical.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Roots of the perfect subtrees covering the log, left to right."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        if not _is_hash(leaf_hash):
            raise ValueError("leaf hash must be 32 bytes")
        if self._size + 1 >= _MAX_SIZE:
            raise ValueError("log is full")
        h = leaf_hash
        count = self._size
        # Each trailing one bit of the old size is a perfect subtree the new leaf completes.
        while count & 1:
            h = node_hash(self._hashes.pop(), h)
            count >>= 1
        self._hashes.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> CompactRange:
        other = CompactRange()
        other._size = self._size
        other._hashes = list(self._hashes)
        return other

    def to_bytes(self) -> bytes:
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Inverse of `to_bytes`; ValueError unless `data` is exactly such an encoding."""
        if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < 8:
            raise ValueError("compact range encoding is too short")
        data = bytes(data)
        size = int.from_bytes(data[:8], "big")
        count = size.bit_count()
        if len(data) != 8 + count * HASH_SIZE:
            raise ValueError(f"compact range of size {size} needs exactly {count} hashes")
        out = cls()
        out._size = size
        out._hashes = [data[8 + i * HASH_SIZE : 8 + (i + 1) * HASH_SIZE] for i in range(count)]
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
