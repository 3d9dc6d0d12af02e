"""The authenticated state tree: a versioned, Jellyfish-style sparse Merkle tree over 256-bit key hashes.

Theory of operation
===================

What lives here. The tree maps key hashes (32 bytes) to value hashes (32 bytes) and keeps every
version it was asked to compute: the ledger calls `update(base, new, changes)` once per block
(version = block height) and gets back the new root hash plus the nodes to persist. The tree never
writes to storage: it reads committed nodes through a `NodeStore` and hands new ones back in a
`TreeUpdate`, which the ledger writes inside its own atomic per-block transaction. Nodes are
immutable once written, so the root of every past version stays provable until it is pruned.
The hash definitions, the proof format and `verify_proof` live in `govledger.crypto.smt_proof` (a
light client needs nothing else); they are re-exported here.

Shape (the rules; the shape depends only on the set of keys, never on history, so equal contents
give equal roots whatever sequence of batches produced them):
- A 16-ary node sits at nibble path `p` iff at least two keys start with `p`; its slot `i` holds
  whatever sits at `p || i`: nothing, a node, or a leaf. A node may have a single child, but only
  another node (keys that share a run of nibbles hang below a chain of one-child nodes; rare for
  hashed keys, and bounded by the 64 nibbles of a key).
- A leaf for key `k` sits at the shortest prefix of `k` that no other key shares. A lone key is the
  root itself. When a delete leaves a node holding a single leaf, the node disappears and the leaf
  moves up into the parent's slot, repeatedly, so the rules hold again.
- A tree with no keys has the empty root, whose hash is EMPTY_ROOT.

Hashes (exact preimages in smt_proof): leaf = H("govledger.smt.leaf" || k || v);
node = H("govledger.smt.node" || be16(bitmap) || hashes of the occupied slots in nibble order);
EMPTY_ROOT = H("govledger.smt.empty"). One hash per node, not a binary tree of up to 15 hashes
inside it: see "Costs" below.

Storage formats. Leaves are not stored on their own: a leaf lives inside the slot of its parent
node (or is the root), so reading or changing a leaf costs no extra lookup. Only nodes and roots
have node keys. A node key names the version the node was written at and its path; keys sort by
version, then depth, then path, so one block's nodes are adjacent and pruning is a range scan:

    node_key = be64(version) || u8(depth) || path    path: the node's `depth` nibbles, packed two
                                                     to a byte, the spare low half zero (9..41 bytes)

A parent records each child node's version, so unchanged subtrees are shared between versions.
Encoded nodes (the first byte says which kind):

    empty root   0x00                                                                   1 byte
    leaf root    0x02 || key_hash || value_hash                                        65 bytes
    node         0x01 || be16(bitmap) || be16(leaf_bitmap)
                      || child hashes, 32 bytes each, slot order
                      || child payloads, slot order: be64(version) for a node,
                                                     key_hash || value_hash for a leaf
                 = 5 + 40 * children + 56 * leaves bytes (at most 1,541)

`leaf_bitmap` marks the slots holding leaves (a subset of `bitmap`). Every version has a root entry
at `be64(version) || 0x00` (an empty root, a leaf root, or a node), even when nothing changed, so
`root_hash(v)` works for every version written.

Updates. `update` sorts the changes once and walks the base tree and the sorted batch together.
At a node the batch is split into runs by the node's nibble (run ends by bisection), each run is
applied to its slot, and the node is rebuilt once by splicing: untouched stretches of child hashes
and payloads are copied as byte ranges, never decoded. So a touched node costs one read, one
SHA-256 and one encode per batch however many keys changed under it. Most nodes of a batch see a
single change; `apply_one` handles that case flat. A run that reaches an empty slot or a leaf
builds the (merged) subtree from scratch. Changes that change nothing (deleting an absent key,
rewriting the same value) leave the nodes above them untouched. Every node replaced or removed,
and the base version's root entry, is reported in `stale_node_keys` for a later pruner.

Costs (benchmarks/smt_bench.py has the figures). On a random 10^6-key tree a batch rewrites about
2.2 nodes per changed key: the top levels are shared by the whole batch, the two or three bottom
ones are not, and about 1.6 of them are full (16 slots). Hashing a node's 16 slots as a 4-level
binary tree (Diem's JMT) would shrink proofs about 3x (4 siblings per level instead of up to 15),
but a full node would cost 15 SHA-256 calls, measured at ~12 µs from Python against ~1.2 µs for
the single flat hash: some 18 µs more per changed key, on a budget of 20. So this tree hashes each
node once, and a proof carries up to 15 sibling hashes per level (~2.3 KB at 10^6 keys).

No node cache. `update` never decodes a node (it splices stored bytes), so a decoded-node cache has
nothing to save. A cache of the previous update's nodes (trusted only when its hash matches the
parent's record) did skip 26-41% of store reads, but on this machine it cost as much CPU as it
saved with LMDB (a read transaction per node: ~4 µs), and 10-20% extra with a MemoryNodeStore.
Reading a whole update through one LMDB read transaction (~1.7 µs per node) is the better win.

Concurrency. `update` keeps no state between calls: its result depends only on the committed
nodes and its arguments, so candidate blocks may be computed on any thread and thrown away. `get`,
`prove` and `root_hash` only read committed nodes, so they may run concurrently with `update`
(new nodes are invisible until the ledger commits them).
"""

from __future__ import annotations

import enum
import struct
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Final, Protocol

from govledger.crypto.smt_proof import (
    EMPTY_ROOT,
    HASH_SIZE,
    LEAF_DOMAIN,
    MAX_DEPTH,
    NODE_DOMAIN,
    SparseProof,
    leaf_hash,
    verify_proof,
)
from govledger.errors import GovledgerError

__all__ = [
    "EMPTY_ROOT",
    "MemoryNodeStore",
    "NodeStore",
    "SparseMerkleTree",
    "SparseProof",
    "TreeUpdate",
    "UnknownVersionError",
    "node_key",
    "node_key_version",
    "verify_proof",
]

TAG_EMPTY: Final = 0
TAG_NODE: Final = 1
TAG_LEAF: Final = 2

MAX_VERSION: Final = (1 << 64) - 1

_EMPTY_NODE: Final = b"\x00"
_LEAF_TAG: Final = b"\x02"
_LEAF_ROOT_BYTES: Final = 1 + 2 * HASH_SIZE
_HDR: Final = 5  # tag, bitmap, leaf bitmap; child hashes start here
_pack_header = struct.Struct(">BHH").pack
_unpack_masks = struct.Struct(">HH").unpack_from
_pack_be16 = struct.Struct(">H").pack
_BE64 = struct.Struct(">Q")

# Precomputed single bytes for building paths: the depth byte of a node key; a byte keeping only
# its high nibble; a byte with its low nibble replaced; a lone high nibble.
_DEPTH_BYTE: Final = tuple(bytes([d]) for d in range(MAX_DEPTH + 1))
_HIGH_HALF: Final = tuple(bytes([b & 0xF0]) for b in range(256))
_NIBBLE_BYTE: Final = tuple(tuple(bytes([(b & 0xF0) | n]) for n in range(16)) for b in range(256))
_HIGH_NIBBLE: Final = tuple(bytes([n << 4]) for n in range(16))
_RUN_SCAN_MAX: Final = 8  # runs in shorter key ranges are found by a linear scan, longer by bisection


class UnknownVersionError(GovledgerError, KeyError):
    """No root was ever written for this version (or it was pruned). Also a KeyError."""

    def __init__(self, version: object) -> None:
        GovledgerError.__init__(
            self, "state.unknown_version", f"the state tree has no root for version {version}"
        )

    def __str__(self) -> str:
        # KeyError would repr() the message; keep GovledgerError's plain text.
        return f"{self.code}: {self.message}"


def _corrupt(node_key: bytes, why: str) -> GovledgerError:
    return GovledgerError("state.corrupt_node", f"state tree node {node_key.hex()} {why}")


def _missing(node_key: bytes) -> GovledgerError:
    return _corrupt(node_key, "is referenced by its parent but missing from the store")


class NodeStore(Protocol):
    """Read access to committed tree nodes (the ledger's LMDB `nodes` database, or a dict)."""

    def get_node(self, node_key: bytes) -> bytes | None: ...


class MemoryNodeStore:
    """A dict-backed NodeStore for tests and tools."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}

    def get_node(self, node_key: bytes) -> bytes | None:
        return self.nodes.get(node_key)

    def put_many(self, nodes: Mapping[bytes, bytes]) -> None:
        self.nodes.update(nodes)

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class TreeUpdate:
    """The result of one `update`: what the ledger must persist atomically with the block."""

    version: int
    root_hash: bytes
    new_nodes: dict[bytes, bytes]  # node_key -> encoded node; every key starts with be64(version)
    stale_node_keys: list[bytes]  # nodes superseded at this version (prunable once older roots are)


def node_key(version: int, depth: int, key_hash: bytes) -> bytes:
    """Storage key of the node at `depth` nibbles on `key_hash`'s path, as written at `version`."""
    return _BE64.pack(version) + _path(depth, key_hash)


def node_key_version(key: bytes) -> int:
    """The version a node key was written at (for pruning)."""
    return int(_BE64.unpack_from(key)[0])


def _path(depth: int, key: bytes) -> bytes:
    """The depth byte and packed path of the node at `depth` on `key`'s path (a node key sans version)."""
    half = depth >> 1
    if depth & 1:
        return _DEPTH_BYTE[depth] + key[:half] + _HIGH_HALF[key[half]]
    return _DEPTH_BYTE[depth] + key[:half]


def _run_end(keys: list[bytes], start: int, stop: int, depth: int, nib: int) -> int:
    """End of the run of `keys[start:stop]` (sorted, sharing `depth` nibbles) whose nibble is `nib`."""
    half = depth >> 1
    if stop - start <= _RUN_SCAN_MAX:
        end = start + 1
        if depth & 1:
            while end < stop and keys[end][half] & 0x0F == nib:
                end += 1
        else:
            while end < stop and keys[end][half] >> 4 == nib:
                end += 1
        return end
    if nib == 15:
        return stop
    key = keys[start]
    bound = _NIBBLE_BYTE[key[half]][nib + 1] if depth & 1 else _HIGH_NIBBLE[nib + 1]
    return bisect_left(keys, key[:half] + bound, start, stop)


class _Same(enum.Enum):
    """Marker: the subtree did not change, so its slot in the parent stays as it was."""

    SAME = 0


_SAME: Final = _Same.SAME

# What applying a run of changes to a slot yields: _SAME; None (the slot is now empty); the hash of
# a node already written at (new version, slot path); or a leaf (hash, key_hash || value_hash),
# which the parent embeds in the slot.
_Result = _Same | None | bytes | tuple[bytes, bytes]


def _leaf(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    return sha256(LEAF_DOMAIN + key + value).digest(), key + value


def _node_hash_of(raw: bytes, nk: bytes) -> bytes:
    """Hash of a stored root entry of any kind, checking its shape."""
    tag = raw[0]
    if tag == TAG_NODE and len(raw) >= _HDR:
        bm, lm = _unpack_masks(raw, 1)
        n = bm.bit_count()
        if n == 0 or lm & ~bm or len(raw) != _HDR + 40 * n + 56 * lm.bit_count():
            raise _corrupt(nk, "has a bad shape")
        return sha256(NODE_DOMAIN + raw[1:3] + raw[_HDR : _HDR + 32 * n]).digest()
    if tag == TAG_LEAF and len(raw) == _LEAF_ROOT_BYTES:
        return leaf_hash(raw[1:33], raw[33:])
    if raw == _EMPTY_NODE:
        return EMPTY_ROOT
    raise _corrupt(nk, "is not a valid root entry")


def _parse_node(raw: bytes, nk: bytes) -> tuple[int, int, int]:
    """(bitmap, leaf bitmap, offset of the payloads) of an encoded node, checking its shape."""
    if raw[0] != TAG_NODE or len(raw) < _HDR:
        raise _corrupt(nk, "should be a node")
    bm, lm = _unpack_masks(raw, 1)
    n = bm.bit_count()
    po = _HDR + 32 * n
    if n == 0 or lm & ~bm or len(raw) != po + 8 * n + 56 * lm.bit_count():
        raise _corrupt(nk, "has a bad shape")
    return bm, lm, po


class _Batch:
    """One `update` call: the sorted changes, the output, and the walk that produces it."""

    def __init__(self, store: NodeStore, version: int, keys: list[bytes], vals: list[bytes | None]) -> None:
        # Reads are the innermost operation; skip a Python frame when the store is a plain dict.
        self.get = store.nodes.get if type(store) is MemoryNodeStore else store.get_node
        self.v8 = _BE64.pack(version)
        self.keys = keys
        self.vals = vals
        self.new_nodes: dict[bytes, bytes] = {}
        self.stale: list[bytes] = []

    def write_node(self, path: bytes, bm: int, lm: int, hashes: bytes, payloads: bytes) -> bytes:
        self.new_nodes[self.v8 + path] = _pack_header(TAG_NODE, bm, lm) + hashes + payloads
        return sha256(NODE_DOMAIN + _pack_be16(bm) + hashes).digest()

    # --- building subtrees from scratch -----------------------------------------------------------

    def build_run(self, depth: int, lo: int, hi: int) -> _Result:
        """The subtree for the inserts among changes[lo:hi], which land in an empty slot."""
        vals = self.vals
        if hi - lo == 1:
            value = vals[lo]
            return None if value is None else _leaf(self.keys[lo], value)
        run_vals = vals[lo:hi]
        if None not in run_vals:
            return self.build(self.keys, vals, lo, hi, depth)  # type: ignore[arg-type]
        pairs = [(k, v) for k, v in zip(self.keys[lo:hi], run_vals, strict=True) if v is not None]
        if not pairs:
            return None
        return self.build([k for k, _ in pairs], [v for _, v in pairs], 0, len(pairs), depth)

    def build(
        self, keys: list[bytes], vals: list[bytes], lo: int, hi: int, depth: int
    ) -> bytes | tuple[bytes, bytes]:
        """The subtree holding exactly keys[lo:hi] (sorted, distinct, sharing `depth` nibbles)."""
        if hi - lo == 1:
            return _leaf(keys[lo], vals[lo])
        half = depth >> 1
        odd = depth & 1
        bm = lm = 0
        hashes: list[bytes] = []
        payloads: list[bytes] = []
        i = lo
        while i < hi:
            nib = keys[i][half] & 0x0F if odd else keys[i][half] >> 4
            j = _run_end(keys, i, hi, depth, nib)
            bit = 1 << nib
            bm |= bit
            if j - i == 1:
                key, value = keys[i], vals[i]
                hashes.append(sha256(LEAF_DOMAIN + key + value).digest())
                payloads.append(key + value)
                lm |= bit
            else:
                sub = self.build(keys, vals, i, j, depth + 1)
                assert isinstance(sub, bytes)  # two or more keys always make a node
                hashes.append(sub)
                payloads.append(self.v8)
            i = j
        return self.write_node(_path(depth, keys[lo]), bm, lm, b"".join(hashes), b"".join(payloads))

    def split2(self, depth: int, k1: bytes, v1: bytes, k2: bytes, v2: bytes) -> bytes:
        """Write the subtree holding exactly two keys that share `depth` nibbles; return its hash."""
        top = depth
        while True:  # the first nibble where they differ; usually the first one looked at
            a, b = k1[depth >> 1], k2[depth >> 1]
            if depth & 1:
                a, b = a & 0x0F, b & 0x0F
            else:
                a, b = a >> 4, b >> 4
            if a != b:
                break
            depth += 1
        h1 = sha256(LEAF_DOMAIN + k1 + v1).digest()
        h2 = sha256(LEAF_DOMAIN + k2 + v2).digest()
        bm = (1 << a) | (1 << b)
        if a < b:
            h = self.write_node(_path(depth, k1), bm, bm, h1 + h2, k1 + v1 + k2 + v2)
        else:
            h = self.write_node(_path(depth, k1), bm, bm, h2 + h1, k2 + v2 + k1 + v1)
        while depth > top:
            # The keys share more nibbles than their slot's depth: a chain of one-child nodes.
            depth -= 1
            byte = k1[depth >> 1]
            h = self.write_node(
                _path(depth, k1), 1 << (byte & 0x0F if depth & 1 else byte >> 4), 0, h, self.v8
            )
        return h

    # --- applying changes to existing subtrees ----------------------------------------------------

    def apply_leaf(self, kv: bytes, depth: int, lo: int, hi: int) -> _Result:
        """Apply changes[lo:hi] to a slot at `depth` holding the leaf `kv` (key_hash || value_hash)."""
        keys, vals = self.keys, self.vals
        leaf_key = kv[:32]
        leaf_val = kv[32:]
        if hi - lo == 1:
            key, value = keys[lo], vals[lo]
            if key == leaf_key:
                if value == leaf_val:
                    return _SAME
                return None if value is None else _leaf(key, value)
            if value is None:
                return _SAME  # deleting an absent key
            return self.split2(depth, key, value, leaf_key, leaf_val)
        # Several changes land here: merge the leaf into the sorted run and build from scratch.
        at = bisect_left(keys, leaf_key, lo, hi)
        hit = at < hi and keys[at] == leaf_key
        ks: list[bytes] = []
        vs: list[bytes] = []
        for i in range(lo, hi):
            if i == at and not hit:
                ks.append(leaf_key)
                vs.append(leaf_val)
            value = vals[i]
            if value is not None:
                ks.append(keys[i])
                vs.append(value)
        if at == hi:
            ks.append(leaf_key)
            vs.append(leaf_val)
        if len(ks) == 1 and ks[0] == leaf_key and vs[0] == leaf_val:
            return _SAME
        return self.build(ks, vs, 0, len(ks), depth) if ks else None

    def apply_one(self, nk: bytes, raw: bytes, depth: int, i: int) -> _Result:
        """Apply changes[i], the only change below the node `raw` (stored at `nk`).

        Most nodes a batch touches see exactly one change, so this path is written out flat: parse
        the node once, apply the change to one slot (recursing into a child node), and splice one
        hash and one payload into the old encoding. A node rewritten in place keeps its path, so
        its new key is the old one with the version swapped.
        """
        # _parse_node, inlined: this runs once per node per change.
        bm, lm = _unpack_masks(raw, 1)
        n = bm.bit_count()
        po = _HDR + 32 * n
        if raw[0] != TAG_NODE or len(raw) != po + 8 * n + 56 * lm.bit_count() or n == 0 or lm & ~bm:
            raise _corrupt(nk, "has a bad shape")
        if depth >= MAX_DEPTH:
            raise _corrupt(nk, "is deeper than a key hash has nibbles")
        key = self.keys[i]
        half = depth >> 1
        nib = key[half] & 0x0F if depth & 1 else key[half] >> 4
        bit = 1 << nib
        below = bit - 1
        before = (bm & below).bit_count()  # occupied slots before ours
        hs = _HDR + 32 * before
        ps = po + 8 * before + 56 * (lm & below).bit_count()
        v8 = self.v8
        payload: bytes
        if lm & bit:
            pe = ps + 64
            value = self.vals[i]
            if raw.startswith(key, ps):
                if value is None:
                    return self.clear_slot(nk, raw, bm, lm, bit, po, hs, ps, pe)
                if raw.startswith(value, ps + 32):
                    return _SAME
                h = sha256(LEAF_DOMAIN + key + value).digest()
                payload = key + value
                new_lm = lm
            else:
                if value is None:
                    return _SAME  # deleting an absent key
                h = self.split2(depth + 1, key, value, raw[ps : ps + 32], raw[ps + 32 : pe])
                payload = v8
                new_lm = lm & ~bit
            he = hs + 32
        elif bm & bit:
            pe = ps + 8
            if depth & 1:  # the child's path, as in _path(depth + 1, key)
                cnk = raw[ps:pe] + _DEPTH_BYTE[depth + 1] + key[: half + 1]
            else:
                cnk = raw[ps:pe] + _DEPTH_BYTE[depth + 1] + key[:half] + _HIGH_HALF[key[half]]
            craw = self.get(cnk)
            if craw is None:
                raise _missing(cnk)
            res = self.apply_one(cnk, craw, depth + 1, i)
            if res is _SAME:
                return _SAME
            if type(res) is bytes:
                h = res
                payload = v8
                new_lm = lm
            elif res is None:
                return self.clear_slot(nk, raw, bm, lm, bit, po, hs, ps, pe)
            else:
                assert isinstance(res, tuple)
                if bm == bit:
                    self.stale.append(nk)
                    return res  # our only child is now a leaf: it moves up in our place
                h, payload = res
                new_lm = lm | bit
            he = hs + 32
        else:
            value = self.vals[i]
            if value is None:
                return _SAME  # deleting an absent key
            h = sha256(LEAF_DOMAIN + key + value).digest()
            payload = key + value
            new_lm = lm | bit
            he, pe = hs, ps
        self.stale.append(nk)
        new_bm = bm | bit
        hashes = raw[_HDR:hs] + h + raw[he:po]
        self.new_nodes[v8 + nk[8:]] = b"".join(
            (_pack_header(TAG_NODE, new_bm, new_lm), hashes, raw[po:ps], payload, raw[pe:])
        )
        return sha256(NODE_DOMAIN + _pack_be16(new_bm) + hashes).digest()

    def clear_slot(
        self, nk: bytes, raw: bytes, bm: int, lm: int, bit: int, po: int, hs: int, ps: int, pe: int
    ) -> _Result:
        """Rebuild the node `raw` with one occupied slot emptied; the node may vanish or collapse."""
        self.stale.append(nk)
        if bm == bit:
            return None
        new_bm, new_lm = bm & ~bit, lm & ~bit
        hashes = raw[_HDR:hs] + raw[hs + 32 : po]
        payloads = raw[po:ps] + raw[pe:]
        if new_bm == new_lm and new_bm.bit_count() == 1:
            return hashes, payloads  # the one child left is a leaf: it moves up in our place
        return self.write_node(nk[8:], new_bm, new_lm, hashes, payloads)

    def apply_node(self, nk: bytes, raw: bytes, depth: int, lo: int, hi: int) -> _Result:
        """Apply changes[lo:hi] to the node `raw` (stored at `nk`) and rebuild it once.

        The runs of changes are visited in slot order, so the new encoding is spliced together as
        we go: untouched stretches of child hashes and payloads are copied as byte ranges.
        """
        if hi - lo == 1:
            return self.apply_one(nk, raw, depth, lo)
        bm, lm, po = _parse_node(raw, nk)
        if depth >= MAX_DEPTH:
            raise _corrupt(nk, "is deeper than a key hash has nibbles")
        keys = self.keys
        get = self.get
        v8 = self.v8
        key0 = keys[lo]
        half = depth >> 1
        odd = depth & 1
        child_depth = depth + 1
        # Every child's path is ours plus one nibble: precompute all but that nibble.
        cbase = _DEPTH_BYTE[child_depth] + key0[:half]
        cnib = _NIBBLE_BYTE[key0[half]] if odd else _HIGH_NIBBLE
        new_bm, new_lm = bm, lm
        hparts: list[bytes] = []
        pparts: list[bytes] = []
        hpos, ppos = _HDR, po
        changed = False
        i = lo
        while i < hi:
            nib = keys[i][half] & 0x0F if odd else keys[i][half] >> 4
            j = i + 1
            if j < hi and (keys[j][half] & 0x0F if odd else keys[j][half] >> 4) == nib:
                j = _run_end(keys, i, hi, depth, nib)
            bit = 1 << nib
            below = bit - 1
            before = (bm & below).bit_count()  # occupied slots before this one
            hs = _HDR + 32 * before
            ps = po + 8 * before + 56 * (lm & below).bit_count()
            res: _Result
            if bm & bit:
                if lm & bit:
                    pe = ps + 64
                    res = self.apply_leaf(raw[ps:pe], child_depth, i, j)
                else:
                    pe = ps + 8
                    cnk = raw[ps:pe] + cbase + cnib[nib]
                    craw = get(cnk)
                    if craw is None:
                        raise _missing(cnk)
                    if j - i == 1:
                        res = self.apply_one(cnk, craw, child_depth, i)
                    else:
                        res = self.apply_node(cnk, craw, child_depth, i, j)
                i = j
                if res is _SAME:
                    continue
                if hpos < hs:
                    hparts.append(raw[hpos:hs])
                    pparts.append(raw[ppos:ps])
                hpos, ppos = hs + 32, pe
            else:
                res = self.build_run(child_depth, i, j)
                i = j
                if res is None:
                    continue
                if hpos < hs:
                    hparts.append(raw[hpos:hs])
                    pparts.append(raw[ppos:ps])
                hpos, ppos = hs, ps
            changed = True
            if res is None:
                new_bm &= ~bit
                new_lm &= ~bit
            elif type(res) is bytes:
                new_bm |= bit
                new_lm &= ~bit
                hparts.append(res)
                pparts.append(v8)
            else:
                assert isinstance(res, tuple)
                new_bm |= bit
                new_lm |= bit
                hparts.append(res[0])
                pparts.append(res[1])
        if not changed:
            return _SAME
        self.stale.append(nk)
        if new_bm == 0:
            return None
        hparts.append(raw[hpos:po])
        pparts.append(raw[ppos:])
        hashes = b"".join(hparts)
        if new_bm == new_lm and new_bm.bit_count() == 1:
            return hashes, b"".join(pparts)  # only a leaf is left: it moves up in our place
        self.new_nodes[v8 + nk[8:]] = b"".join((_pack_header(TAG_NODE, new_bm, new_lm), hashes, *pparts))
        return sha256(NODE_DOMAIN + _pack_be16(new_bm) + hashes).digest()


class SparseMerkleTree:
    """Versioned sparse Merkle tree over committed nodes in `store` (see the module docstring)."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store

    # --- writing ----------------------------------------------------------------------------------

    def update(
        self, base_version: int | None, new_version: int, changes: Mapping[bytes, bytes | None]
    ) -> TreeUpdate:
        """Compute version `new_version` = `base_version` + `changes`; return the nodes to persist.

        `changes` maps key hashes (32 bytes) to value hashes (32 bytes), or to None to delete;
        deleting an absent key is a no-op. `base_version` None starts from the empty tree. Nothing
        is written: the caller persists `new_nodes` (and may prune `stale_node_keys` later).
        """
        if type(new_version) is not int or not 0 <= new_version <= MAX_VERSION:
            raise ValueError(f"new_version must be an integer in [0, 2**64), got {new_version!r}")
        if base_version is not None and (
            type(base_version) is not int or not 0 <= base_version < new_version
        ):
            raise ValueError(
                f"base_version must be None or an integer below {new_version}, got {base_version!r}"
            )
        keys = sorted(changes)  # determinism: the walk follows key order, never dict order
        vals = list(map(changes.__getitem__, keys))
        for k, v in zip(keys, vals, strict=True):
            if type(k) is not bytes or len(k) != HASH_SIZE:
                raise ValueError(f"state tree keys are 32-byte hashes, got {k!r}")
            if v is not None and (type(v) is not bytes or len(v) != HASH_SIZE):
                raise ValueError(f"state tree values are 32-byte hashes or None, got {v!r}")

        batch = _Batch(self.store, new_version, keys, vals)
        base_nk: bytes | None = None
        base_raw = _EMPTY_NODE
        if base_version is not None:
            base_nk = _BE64.pack(base_version) + _DEPTH_BYTE[0]
            found = self.store.get_node(base_nk)
            if found is None:
                raise UnknownVersionError(base_version)
            base_raw = found

        res: _Result = _SAME
        tag = base_raw[0]
        if not keys:
            pass
        elif tag == TAG_NODE and base_nk is not None:
            res = batch.apply_node(base_nk, base_raw, 0, 0, len(keys))
        elif tag == TAG_LEAF and len(base_raw) == _LEAF_ROOT_BYTES:
            res = batch.apply_leaf(base_raw[1:], 0, 0, len(keys))
        elif base_raw == _EMPTY_NODE:
            res = batch.build_run(0, 0, len(keys))
            if res is None:
                res = _SAME  # only deletes, of keys that were never there
        else:
            raise _corrupt(base_nk or b"", "is not a valid root entry")

        root_nk = batch.v8 + _DEPTH_BYTE[0]
        if base_nk is not None and (res is _SAME or tag != TAG_NODE):
            # The old root entry is superseded (apply_node reports a rewritten node root itself).
            batch.stale.append(base_nk)
        if res is _SAME:
            batch.new_nodes[root_nk] = base_raw  # nothing changed, but every version has a root
            root_hash = _node_hash_of(base_raw, root_nk)
        elif res is None:
            batch.new_nodes[root_nk] = _EMPTY_NODE
            root_hash = EMPTY_ROOT
        elif type(res) is bytes:
            root_hash = res  # already written at root_nk
        else:
            assert isinstance(res, tuple)
            root_hash = res[0]
            batch.new_nodes[root_nk] = _LEAF_TAG + res[1]
        return TreeUpdate(new_version, root_hash, batch.new_nodes, batch.stale)

    # --- reading ----------------------------------------------------------------------------------

    def _root(self, version: int) -> tuple[bytes, bytes]:
        if type(version) is not int or not 0 <= version <= MAX_VERSION:
            raise UnknownVersionError(version)
        nk = _BE64.pack(version) + _DEPTH_BYTE[0]
        raw = self.store.get_node(nk)
        if raw is None:
            raise UnknownVersionError(version)
        return nk, raw

    def root_hash(self, version: int) -> bytes:
        """The root hash of `version`; UnknownVersionError (a KeyError) if it was never written."""
        nk, raw = self._root(version)
        return _node_hash_of(raw, nk)

    def get(self, key_hash: bytes, version: int) -> bytes | None:
        """The value hash stored under `key_hash` at `version`, or None if absent."""
        _check_key(key_hash)
        nk, raw = self._root(version)
        get = self.store.get_node
        depth = 0
        while True:
            tag = raw[0]
            if tag == TAG_NODE:
                bm, lm, po = _parse_node(raw, nk)
                byte = key_hash[depth >> 1]
                bit = 1 << (byte & 0x0F if depth & 1 else byte >> 4)
                if not bm & bit:
                    return None
                below = bit - 1
                ps = po + 8 * (bm & below).bit_count() + 56 * (lm & below).bit_count()
                if lm & bit:
                    return raw[ps + 32 : ps + 64] if raw.startswith(key_hash, ps) else None
                depth += 1
                if depth >= MAX_DEPTH:
                    raise _corrupt(nk, "has a child deeper than a key hash has nibbles")
                nk = raw[ps : ps + 8] + _path(depth, key_hash)
                found = get(nk)
                if found is None:
                    raise _missing(nk)
                raw = found
            elif tag == TAG_LEAF and len(raw) == _LEAF_ROOT_BYTES and depth == 0:
                return raw[33:] if raw.startswith(key_hash, 1) else None
            elif raw == _EMPTY_NODE and depth == 0:
                return None
            else:
                raise _corrupt(nk, "is not a valid node")

    def prove(self, key_hash: bytes, version: int) -> SparseProof:
        """A proof that `key_hash` has its `get` value (or is absent) under `root_hash(version)`."""
        _check_key(key_hash)
        nk, raw = self._root(version)
        get = self.store.get_node
        bitmaps: list[bytes] = []
        siblings: list[bytes] = []
        depth = 0
        while True:
            tag = raw[0]
            if tag == TAG_NODE:
                bm, lm, po = _parse_node(raw, nk)
                byte = key_hash[depth >> 1]
                bit = 1 << (byte & 0x0F if depth & 1 else byte >> 4)
                below = bit - 1
                hs = _HDR + 32 * (bm & below).bit_count()
                bitmaps.append(raw[1:3])
                if not bm & bit:
                    siblings.append(raw[_HDR:po])  # an empty slot: every child is a sibling
                    return SparseProof(b"".join(bitmaps), b"".join(siblings), b"")
                siblings.append(raw[_HDR:hs])
                siblings.append(raw[hs + 32 : po])
                ps = po + 8 * (bm & below).bit_count() + 56 * (lm & below).bit_count()
                if lm & bit:
                    other = b"" if raw.startswith(key_hash, ps) else raw[ps : ps + 64]
                    return SparseProof(b"".join(bitmaps), b"".join(siblings), other)
                depth += 1
                if depth >= MAX_DEPTH:
                    raise _corrupt(nk, "has a child deeper than a key hash has nibbles")
                nk = raw[ps : ps + 8] + _path(depth, key_hash)
                found = get(nk)
                if found is None:
                    raise _missing(nk)
                raw = found
            elif tag == TAG_LEAF and len(raw) == _LEAF_ROOT_BYTES and depth == 0:
                other = b"" if raw.startswith(key_hash, 1) else raw[1:]
                return SparseProof(b"", b"", other)
            elif raw == _EMPTY_NODE and depth == 0:
                return SparseProof(b"", b"", b"")
            else:
                raise _corrupt(nk, "is not a valid node")


def _check_key(key_hash: bytes) -> None:
    if type(key_hash) is not bytes or len(key_hash) != HASH_SIZE:
        raise ValueError(f"state tree keys are 32-byte hashes, got {key_hash!r}")
