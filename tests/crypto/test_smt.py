"""State tree: versions against a dict model, roots against an independent reference, proofs."""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Callable, Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.codec import decode, encode
from govledger.crypto.smt import (
    EMPTY_ROOT,
    MemoryNodeStore,
    SparseMerkleTree,
    SparseProof,
    TreeUpdate,
    UnknownVersionError,
    node_key,
    node_key_version,
    verify_proof,
)
from govledger.crypto.smt_proof import leaf_hash, node_hash
from govledger.errors import CodecError, GovledgerError

Model = dict[bytes, bytes]


def h(label: str | bytes) -> bytes:
    return hashlib.sha256(label if isinstance(label, bytes) else label.encode()).digest()


def nib(key: bytes, i: int) -> int:
    return key[i // 2] & 0x0F if i % 2 else key[i // 2] >> 4


def with_nibble(key: bytes, i: int, value: int) -> bytes:
    """`key` with nibble `i` set to `value` (so it shares exactly the first `i` nibbles if it differs)."""
    b = bytearray(key)
    if i % 2:
        b[i // 2] = (b[i // 2] & 0xF0) | value
    else:
        b[i // 2] = (b[i // 2] & 0x0F) | (value << 4)
    return bytes(b)


# --- an independent reference: the root straight from the shape rules -----------------------------


def ref_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root hash from first principles: a node wherever two keys share a prefix, leaves at the
    shortest unique prefix, one SHA-256 per node over its bitmap and occupied slots."""

    def sub(keys: list[bytes], depth: int) -> bytes:
        if len(keys) == 1:
            return leaf_hash(keys[0], items[keys[0]])
        groups: dict[int, list[bytes]] = {}
        for k in keys:
            groups.setdefault(nib(k, depth), []).append(k)
        bitmap = sum(1 << n for n in groups)
        return node_hash(bitmap, b"".join(sub(groups[n], depth + 1) for n in sorted(groups)))

    if not items:
        return hashlib.sha256(b"govledger.smt.empty").digest()
    return sub(sorted(items), 0)


# --- helpers ------------------------------------------------------------------------------------


class Ledger:
    """Drives a tree the way the ledger does: one update per version, nodes persisted after."""

    def __init__(self) -> None:
        self.store = MemoryNodeStore()
        self.tree = SparseMerkleTree(self.store)
        self.version: int | None = None
        self.model: Model = {}
        self.snapshots: dict[int, Model] = {}
        self.updates: dict[int, TreeUpdate] = {}

    def apply(self, changes: Mapping[bytes, bytes | None], version: int | None = None) -> TreeUpdate:
        new = (0 if self.version is None else self.version + 1) if version is None else version
        u = self.tree.update(self.version, new, changes)
        assert u.version == new
        assert all(node_key_version(k) == new for k in u.new_nodes)
        assert not set(u.stale_node_keys) & set(u.new_nodes)
        assert all(k in self.store.nodes for k in u.stale_node_keys), "stale keys name committed nodes"
        self.store.put_many(u.new_nodes)
        for k, v in changes.items():
            if v is None:
                self.model.pop(k, None)
            else:
                self.model[k] = v
        self.version = new
        self.snapshots[new] = dict(self.model)
        self.updates[new] = u
        return u


def assert_proofs(
    tree: SparseMerkleTree, version: int, snapshot: Model, keys: list[bytes], claims: list[bytes]
) -> None:
    """Every key's proof verifies for exactly the true claim, and for no other claim."""
    root = tree.root_hash(version)
    for k in keys:
        proof = tree.prove(k, version)
        truth = snapshot.get(k)
        assert verify_proof(root, k, truth, proof), (version, k.hex())
        for claim in [None, *claims]:
            if claim != truth:
                assert not verify_proof(root, k, claim, proof), (version, k.hex(), claim)


def reachable(store: MemoryNodeStore, version: int) -> Iterator[bytes]:
    """Node keys reachable from a version's root (decoding the documented node format)."""
    root_key = struct.pack(">Q", version) + b"\x00"
    stack = [(root_key, 0)]
    while stack:
        nk, depth = stack.pop()
        yield nk
        raw = store.nodes[nk]
        if raw[0] != 1:
            continue
        bm, lm = struct.unpack_from(">HH", raw, 1)
        n = bin(bm).count("1")
        offset = 5 + 32 * n
        for slot in range(16):
            if not bm >> slot & 1:
                continue
            if lm >> slot & 1:
                offset += 64
                continue
            (child_version,) = struct.unpack_from(">Q", raw, offset)
            offset += 8
            path = nk[9:]
            path = path[:-1] + bytes([path[-1] | slot]) if depth % 2 else path + bytes([slot << 4])
            stack.append((struct.pack(">QB", child_version, depth + 1) + path, depth + 1))


# --- key pool with long shared prefixes ---------------------------------------------------------

_BASE = h("base")
POOL: list[bytes] = [h(f"random-{i}") for i in range(16)]
# Keys sharing exactly 63, 62, 61, 60, 33, 32, 1 and 0 nibbles with _BASE, and some with each other.
for _pos in (63, 62, 61, 60, 33, 32, 1, 0):
    POOL.append(with_nibble(_BASE, _pos, nib(_BASE, _pos) ^ 0x5))
    POOL.append(with_nibble(_BASE, _pos, nib(_BASE, _pos) ^ 0xA))
POOL.append(_BASE)
POOL.append(with_nibble(with_nibble(_BASE, 62, 0), 63, 0))
POOL.append(with_nibble(with_nibble(_BASE, 62, 0), 63, 1))
POOL = sorted(set(POOL))
VALUES = [h(f"value-{i}") for i in range(3)]

changes_st = st.dictionaries(
    st.sampled_from(POOL), st.one_of(st.none(), st.sampled_from(VALUES)), max_size=14
)


# --- model-based tests --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(changes_st, min_size=1, max_size=8))
def test_random_batches_match_model_and_reference(batches: list[dict[bytes, bytes | None]]) -> None:
    led = Ledger()
    for changes in batches:
        u = led.apply(changes)
        assert u.root_hash == ref_root(led.model)
        assert led.tree.root_hash(u.version) == u.root_hash
    # Every version still reads as it was, and proves against its own (old) root.
    for version, snapshot in led.snapshots.items():
        for k in POOL:
            assert led.tree.get(k, version) == snapshot.get(k)
        assert_proofs(led.tree, version, snapshot, POOL[::3], VALUES)


@settings(max_examples=40, deadline=None)
@given(st.lists(changes_st, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_root_is_independent_of_history(batches: list[dict[bytes, bytes | None]], rnd: random.Random) -> None:
    incremental = Ledger()
    for changes in batches:
        incremental.apply(changes)
    final = incremental.model

    one_shot = Ledger()
    one_shot.apply(dict(final))
    # Third way: one key per version in shuffled order, with extra keys inserted then deleted.
    piecemeal = Ledger()
    extra = [k for k in POOL if k not in final][:3]
    for k in extra:
        piecemeal.apply({k: VALUES[0]})
    items = list(final.items())
    rnd.shuffle(items)
    for k, v in items:
        piecemeal.apply({k: v})
    piecemeal.apply(dict.fromkeys(extra))

    assert one_shot.model == piecemeal.model == final
    root = incremental.tree.root_hash(incremental.version or 0)
    assert one_shot.tree.root_hash(0) == root
    assert piecemeal.tree.root_hash(piecemeal.version or 0) == root
    assert root == ref_root(final)


def test_update_is_deterministic_regardless_of_dict_order() -> None:
    rnd = random.Random(5)
    base = {h(f"k{i}"): h(f"v{i}") for i in range(300)}
    batch: dict[bytes, bytes | None] = {h(f"k{i}"): None for i in range(0, 300, 7)}
    batch.update({h(f"new{i}"): h(f"nv{i}") for i in range(80)})
    results = []
    for _ in range(3):
        led = Ledger()
        items = list(base.items())
        rnd.shuffle(items)
        led.apply(dict(items))
        shuffled = list(batch.items())
        rnd.shuffle(shuffled)
        results.append(led.apply(dict(shuffled)))
    assert results[0] == results[1] == results[2]
    assert list(results[0].new_nodes) == list(results[1].new_nodes)


def test_larger_tree_against_reference() -> None:
    rnd = random.Random(11)
    led = Ledger()
    keys = [rnd.randbytes(32) for _ in range(3000)]
    for start in range(0, 3000, 1000):
        led.apply({k: rnd.randbytes(32) for k in keys[start : start + 1000]})
    for _ in range(4):
        changes: dict[bytes, bytes | None] = {}
        for _ in range(300):
            r = rnd.random()
            if r < 0.4:
                changes[rnd.choice(keys)] = rnd.randbytes(32)
            elif r < 0.7:
                k = rnd.randbytes(32)
                keys.append(k)
                changes[k] = rnd.randbytes(32)
            else:
                changes[rnd.choice(keys)] = None
        led.apply(changes)
        assert led.updates[led.version or 0].root_hash == ref_root(led.model)
    for version in (0, 3, led.version or 0):
        snapshot = led.snapshots[version]
        sample = rnd.sample(keys, 60) + [rnd.randbytes(32) for _ in range(20)]
        for k in sample:
            assert led.tree.get(k, version) == snapshot.get(k)
        assert_proofs(led.tree, version, snapshot, sample, [rnd.randbytes(32)])


# --- edge shapes --------------------------------------------------------------------------------


def test_empty_tree() -> None:
    assert hashlib.sha256(b"govledger.smt.empty").digest() == EMPTY_ROOT
    led = Ledger()
    u = led.apply({})
    assert u.root_hash == EMPTY_ROOT
    assert u.new_nodes == {node_key(0, 0, b""): b"\x00"}
    assert u.stale_node_keys == []
    assert led.tree.get(h("x"), 0) is None
    proof = led.tree.prove(h("x"), 0)
    assert proof == SparseProof(b"", b"", b"")
    assert verify_proof(EMPTY_ROOT, h("x"), None, proof)
    assert not verify_proof(EMPTY_ROOT, h("x"), h("v"), proof)
    # Deleting from an empty tree keeps it empty.
    assert led.apply({h("x"): None}).root_hash == EMPTY_ROOT


def test_single_key_is_a_leaf_root() -> None:
    k, v, other = h("k"), h("v"), h("other")
    led = Ledger()
    u = led.apply({k: v})
    assert u.root_hash == leaf_hash(k, v)
    assert u.new_nodes == {node_key(0, 0, k): b"\x02" + k + v}
    member = led.tree.prove(k, 0)
    assert member == SparseProof(b"", b"", b"")
    assert verify_proof(u.root_hash, k, v, member)
    absent = led.tree.prove(other, 0)
    assert absent.other_leaf == k + v
    assert verify_proof(u.root_hash, other, None, absent)
    assert not verify_proof(u.root_hash, k, None, absent)
    # Update in place, then delete back to empty.
    assert led.apply({k: other}).root_hash == leaf_hash(k, other)
    assert led.apply({k: None}).root_hash == EMPTY_ROOT
    assert led.tree.get(k, 0) == v and led.tree.get(k, 1) == other and led.tree.get(k, 2) is None


@pytest.mark.parametrize("shared", [60, 61, 62, 63])
def test_keys_sharing_long_prefixes(shared: int) -> None:
    a = h("deep")
    b = with_nibble(a, shared, nib(a, shared) ^ 0xF)
    c = with_nibble(a, shared - 1, nib(a, shared - 1) ^ 0x3)
    led = Ledger()
    led.apply({a: VALUES[0], b: VALUES[1]})
    assert led.updates[0].root_hash == ref_root(led.model)
    # A chain of one-child nodes down to the node where a and b part: shared + 1 levels.
    proof = led.tree.prove(a, 0)
    assert len(proof.bitmaps) == 2 * (shared + 1)
    assert len(proof.siblings) == 32
    assert_proofs(led.tree, 0, led.model, [a, b, c, h("elsewhere")], VALUES)
    # A third key parting one nibble higher, then deletes that collapse the chain again.
    led.apply({c: VALUES[2]})
    assert led.updates[1].root_hash == ref_root(led.model)
    assert_proofs(led.tree, 1, led.model, [a, b, c], VALUES)
    led.apply({a: None})
    assert led.updates[2].root_hash == ref_root(led.model)
    led.apply({c: None})
    assert led.updates[3].root_hash == leaf_hash(b, VALUES[1])
    assert led.store.nodes[node_key(3, 0, b)] == b"\x02" + b + VALUES[1]
    for version, snapshot in led.snapshots.items():
        assert_proofs(led.tree, version, snapshot, [a, b, c], VALUES)


def test_non_membership_covers_empty_slot_and_other_leaf() -> None:
    rnd = random.Random(2)
    led = Ledger()
    led.apply({rnd.randbytes(32): rnd.randbytes(32) for _ in range(40)})
    root = led.tree.root_hash(0)
    kinds = {"empty": 0, "other": 0}
    for _ in range(400):
        k = rnd.randbytes(32)
        proof = led.tree.prove(k, 0)
        kinds["other" if proof.other_leaf else "empty"] += 1
        assert verify_proof(root, k, None, proof)
        if proof.other_leaf:
            occupant = proof.other_leaf[:32]
            assert led.model[occupant] == proof.other_leaf[32:]
            # The same proof is not a membership proof for the occupant.
            assert not verify_proof(root, occupant, None, proof)
            assert not verify_proof(root, k, proof.other_leaf[32:], proof)
    assert kinds["empty"] > 20 and kinds["other"] > 20


def test_no_op_updates_still_write_a_root() -> None:
    led = Ledger()
    k = h("k")
    led.apply({k: VALUES[0], h("j"): VALUES[1]})
    for changes in ({}, {k: VALUES[0]}, {h("absent"): None}):
        before = led.version or 0
        u = led.apply(changes)
        assert u.root_hash == led.tree.root_hash(before)
        assert list(u.new_nodes) == [node_key(u.version, 0, b"")]
        assert u.stale_node_keys == [node_key(before, 0, b"")]
    assert led.tree.get(k, led.version or 0) == VALUES[0]


def test_versions_may_skip() -> None:
    led = Ledger()
    led.apply({h("a"): VALUES[0]}, version=5)
    led.apply({h("b"): VALUES[1]}, version=9)
    assert led.tree.get(h("a"), 9) == VALUES[0]
    with pytest.raises(UnknownVersionError):
        led.tree.root_hash(7)


# --- storage contract ---------------------------------------------------------------------------


def test_node_formats_and_keys() -> None:
    led = Ledger()
    a, b = with_nibble(h("x"), 0, 1), with_nibble(h("x"), 0, 9)
    u = led.apply({a: VALUES[0], b: VALUES[1]}, version=3)
    root_key = struct.pack(">QB", 3, 0)
    assert list(u.new_nodes) == [root_key]
    raw = u.new_nodes[root_key]
    bitmap = (1 << 1) | (1 << 9)
    assert raw == (
        struct.pack(">BHH", 1, bitmap, bitmap)
        + leaf_hash(a, VALUES[0])
        + leaf_hash(b, VALUES[1])
        + a
        + VALUES[0]
        + b
        + VALUES[1]
    )
    assert u.root_hash == node_hash(bitmap, leaf_hash(a, VALUES[0]) + leaf_hash(b, VALUES[1]))
    k = bytes([0xAB, 0xCD]) + bytes(30)
    assert node_key(7, 3, k) == struct.pack(">QB", 7, 3) + bytes([0xAB, 0xC0])
    assert node_key(7, 4, k) == struct.pack(">QB", 7, 4) + bytes([0xAB, 0xCD])
    assert node_key_version(node_key(2**64 - 1, 0, k)) == 2**64 - 1


def test_pruning_stale_nodes_keeps_later_versions_whole() -> None:
    """A node reported stale at version s is not needed by any version >= s."""
    rnd = random.Random(3)
    led = Ledger()
    keys = [rnd.randbytes(32) for _ in range(400)] + POOL
    for _ in range(12):
        led.apply({rnd.choice(keys): rnd.choice([None, rnd.randbytes(32)]) for _ in range(60)})
    for version in led.snapshots:
        pruned = {k for s, u in led.updates.items() if s <= version for k in u.stale_node_keys}
        for later in range(version, (led.version or 0) + 1):
            assert not pruned & set(reachable(led.store, later)), (version, later)
    # And everything reachable from every version is in the store.
    for version in led.snapshots:
        assert all(k in led.store.nodes for k in reachable(led.store, version))


def test_unknown_versions_and_bad_input() -> None:
    led = Ledger()
    led.apply({h("a"): VALUES[0]})
    calls: list[Callable[[], object]] = [
        lambda: led.tree.root_hash(1),
        lambda: led.tree.get(h("a"), 1),
        lambda: led.tree.prove(h("a"), 1),
        lambda: led.tree.update(4, 5, {}),
        lambda: led.tree.root_hash(-1),
    ]
    for call in calls:
        with pytest.raises(UnknownVersionError) as info:
            call()
        assert info.value.code == "state.unknown_version"
        assert isinstance(info.value, KeyError) and isinstance(info.value, GovledgerError)
    with pytest.raises(ValueError):
        led.tree.update(0, 0, {})
    with pytest.raises(ValueError):
        led.tree.update(0, 1, {b"short": VALUES[0]})
    with pytest.raises(ValueError):
        led.tree.update(0, 1, {h("a"): b"short"})
    with pytest.raises(ValueError):
        led.tree.get(b"short", 0)


def test_missing_node_is_reported_as_corruption() -> None:
    led = Ledger()
    rnd = random.Random(4)
    keys = [rnd.randbytes(32) for _ in range(200)]
    led.apply({k: VALUES[0] for k in keys})
    child = next(k for k in led.store.nodes if k[8] == 1)
    del led.store.nodes[child]
    with pytest.raises(GovledgerError) as info:
        for k in keys:
            led.tree.get(k, 0)
    assert info.value.code == "state.corrupt_node"
    with pytest.raises(GovledgerError):
        led.tree.update(0, 1, {k: VALUES[1] for k in keys})


@pytest.mark.parametrize(
    "garbage", [b"\x03", b"\x01\x00\x01\x00\x01" + bytes(40), b"\x02" + bytes(10), b"\x00\x00"]
)
def test_malformed_root_is_reported_as_corruption(garbage: bytes) -> None:
    led = Ledger()
    led.apply({h("a"): VALUES[0], h("b"): VALUES[1]})
    led.store.nodes[node_key(0, 0, b"")] = garbage
    for call in (
        lambda: led.tree.root_hash(0),
        lambda: led.tree.get(h("a"), 0),
        lambda: led.tree.prove(h("a"), 0),
        lambda: led.tree.update(0, 1, {h("a"): VALUES[2]}),
    ):
        with pytest.raises(GovledgerError) as info:
            call()
        assert info.value.code == "state.corrupt_node"


# --- proofs: tampering and malformed input ------------------------------------------------------


def _three_proofs() -> tuple[bytes, Model, list[tuple[bytes, bytes | None, SparseProof]]]:
    """A root and one proof of each kind: membership, empty slot, other leaf."""
    rnd = random.Random(6)
    led = Ledger()
    keys = [rnd.randbytes(32) for _ in range(300)]
    led.apply({k: rnd.randbytes(32) for k in keys})
    root = led.tree.root_hash(0)
    member = keys[17]
    cases: list[tuple[bytes, bytes | None, SparseProof]] = [
        (member, led.model[member], led.tree.prove(member, 0))
    ]
    found: set[bool] = set()
    while len(found) < 2:
        k = rnd.randbytes(32)
        p = led.tree.prove(k, 0)
        kind = bool(p.other_leaf)
        if kind not in found:
            found.add(kind)
            cases.append((k, None, p))
    return root, led.model, cases


def _flips(data: bytes) -> Iterator[bytes]:
    for i in range(len(data)):
        for mask in (0x01, 0x80):
            b = bytearray(data)
            b[i] ^= mask
            yield bytes(b)
    yield data[:-1]
    yield data + b"\x00"
    yield data + bytes(32)


def test_tampering_any_field_fails() -> None:
    root, model, cases = _three_proofs()
    for key, value, proof in cases:
        assert verify_proof(root, key, value, proof)
        levels = len(proof.bitmaps) // 2
        for bad in _flips(proof.bitmaps):
            assert not verify_proof(root, key, value, SparseProof(bad, proof.siblings, proof.other_leaf))
        for bad in _flips(proof.siblings):
            assert not verify_proof(root, key, value, SparseProof(proof.bitmaps, bad, proof.other_leaf))
        for bad in _flips(proof.other_leaf) if proof.other_leaf else [bytes(64), h("x") + h("y")]:
            assert not verify_proof(root, key, value, SparseProof(proof.bitmaps, proof.siblings, bad))
        for bad in _flips(root):
            assert not verify_proof(bad, key, value, proof)
        for claim in (h("wrong"), None if value is not None else h("v")):
            assert not verify_proof(root, key, claim, proof)
        # Another key: a membership proof never carries over; a non-membership proof may, but only
        # to keys that are absent too (a key in the same empty slot, or behind the same other leaf).
        for i in range(64):
            other_key = with_nibble(key, i, nib(key, i) ^ 1)
            if verify_proof(root, other_key, value, proof):
                assert value is None and other_key not in model and i >= levels - 1
        # Dropping the last level, or a sibling.
        if levels:
            assert not verify_proof(
                root, key, value, SparseProof(proof.bitmaps[:-2], proof.siblings, proof.other_leaf)
            )
            assert not verify_proof(
                root, key, value, SparseProof(proof.bitmaps, proof.siblings[:-32], proof.other_leaf)
            )


def test_proof_for_one_key_proves_nothing_false_about_another() -> None:
    rnd = random.Random(8)
    led = Ledger()
    keys = [rnd.randbytes(32) for _ in range(200)] + POOL
    led.apply({k: rnd.choice(VALUES) for k in keys[::2]})
    root = led.tree.root_hash(0)
    for _ in range(300):
        a, b = rnd.choice(keys), rnd.choice(keys)
        proof = led.tree.prove(a, 0)
        for claim in [None, *VALUES]:
            if verify_proof(root, b, claim, proof):
                assert led.model.get(b) == claim


def test_proof_codec_round_trip_and_bounds() -> None:
    root, _, cases = _three_proofs()
    for key, value, proof in cases:
        data = encode(proof)
        assert decode(data, SparseProof) == proof
        assert verify_proof(root, key, value, decode(data, SparseProof))
        assert len(data) < 16 * 15 * 32
    with pytest.raises(CodecError):
        decode(encode(SparseProof(bytes(130), b"", b"")), SparseProof)
    with pytest.raises(CodecError):
        decode(encode(SparseProof(b"", b"", bytes(65))), SparseProof)
    with pytest.raises(CodecError):
        decode(encode(SparseProof(b"", bytes(64 * 15 * 32 + 32), b"")), SparseProof)


junk = st.one_of(
    st.binary(max_size=200), st.none(), st.integers(), st.text(max_size=5), st.lists(st.binary(), max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(
    root=st.one_of(st.binary(min_size=32, max_size=32), junk),
    key=st.one_of(st.binary(min_size=32, max_size=32), junk),
    value=st.one_of(st.none(), st.binary(min_size=32, max_size=32), junk),
    bitmaps=st.one_of(st.binary(max_size=140), junk),
    siblings=st.one_of(st.binary(max_size=300).map(lambda b: b[: len(b) // 32 * 32]), junk),
    other=st.one_of(st.just(b""), st.binary(min_size=64, max_size=64), junk),
)
def test_malformed_proofs_return_false(
    root: object, key: object, value: object, bitmaps: object, siblings: object, other: object
) -> None:
    proof = SparseProof(bitmaps, siblings, other)  # type: ignore[arg-type]
    assert verify_proof(root, key, value, proof) is False  # type: ignore[arg-type]


def test_verify_rejects_non_proofs_and_oversize() -> None:
    root, _, cases = _three_proofs()
    key, value, proof = cases[0]
    assert verify_proof(root, key, value, proof)
    for bad in (None, b"", (proof.bitmaps, proof.siblings, proof.other_leaf), 42):
        assert verify_proof(root, key, value, bad) is False  # type: ignore[arg-type]
    assert verify_proof(root, key, value, SparseProof(b"\xff\xff" * 65, b"", b"")) is False
    assert verify_proof(root, key, value, SparseProof(b"\x00\x01", b"", b"")) is False
    assert verify_proof(root, key, bytearray(value or b""), proof) is False  # type: ignore[arg-type]


# --- speculative execution ---------------------------------------------------------------------


def test_candidate_updates_that_are_never_committed_leave_no_trace() -> None:
    """Two candidate blocks at the same height write the same node keys; the loser's nodes may even
    linger in the store (say, an overlay that was not cleaned up): nothing reachable refers to them."""
    rnd = random.Random(10)
    keys = [rnd.randbytes(32) for _ in range(500)]
    led = Ledger()
    led.apply({k: VALUES[0] for k in keys})
    loser = led.tree.update(0, 1, {k: VALUES[1] for k in keys[:250]} | {rnd.randbytes(32): VALUES[1]})
    led.store.put_many(loser.new_nodes)
    led.apply({k: VALUES[2] for k in keys[100:]})  # the winner, version 1
    led.apply({k: None for k in keys[::3]})
    assert led.updates[2].root_hash == ref_root(led.model)
    for version in (1, 2):
        assert_proofs(led.tree, version, led.snapshots[version], keys[::7], VALUES)
