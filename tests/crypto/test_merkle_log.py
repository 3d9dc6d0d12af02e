"""RFC 9162 Merkle tree: cross-checked against pymerkle 7 and a literal transcription of the RFC."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InclusionProof, InmemoryTree, InvalidProof
from pymerkle import verify_consistency as pm_verify_consistency
from pymerkle import verify_inclusion as pm_verify_inclusion

from govledger.crypto.merkle_log import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# --- RFC 9162 §2.1 transcribed literally (recursive), as a second reference --------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:])).digest()


def rfc_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [rfc_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


def entries(n: int, salt: bytes = b"") -> list[bytes]:
    return [salt + b"entry-%d" % i for i in range(n)]


def flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def pm_tree(data: list[bytes]) -> InmemoryTree:
    # pymerkle's defaults are RFC 9162: sha256, security on (0x00 leaf / 0x01 node prefixes), and
    # SHA-256("") for the empty tree; pin them explicitly so a default change cannot hide.
    tree = InmemoryTree(algorithm="sha256", disable_security=False)
    for x in data:
        tree.append_entry(x)
    return tree


# --- hashing --------------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert root_from_leaf_hashes([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert root_from_leaf_hashes([a]) == a
    # The CT test tree: the root of the eight RFC 6962 test leaves is a published constant.
    ct_leaves = [
        bytes.fromhex(x)
        for x in [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
    ]
    ct_root = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert root_from_leaf_hashes([leaf_hash(x) for x in ct_leaves]).hex() == ct_root


def test_roots_match_pymerkle_and_rfc_for_every_size() -> None:
    data = entries(140)
    tree = pm_tree(data)
    hashes = [leaf_hash(x) for x in data]
    assert tree.get_root(0) == root_from_leaf_hashes([])
    for n in range(1, len(data) + 1):
        assert tree.get_leaf(n) == hashes[n - 1]
        ours = root_from_leaf_hashes(hashes[:n])
        assert ours == tree.get_root(n)
        if n <= 70:
            assert ours == rfc_mth(data[:n])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=80))
def test_roots_match_pymerkle_on_arbitrary_data(data: list[bytes]) -> None:
    assert root_from_leaf_hashes([leaf_hash(x) for x in data]) == pm_tree(data).get_root()


def test_large_tree_has_no_recursion_limit() -> None:
    n = (1 << 16) + 3
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = root_from_leaf_hashes(hashes)
    for index in (0, n // 2, n - 1):
        assert verify_inclusion(hashes[index], index, n, inclusion_proof(hashes, index), root)
    cr = CompactRange()
    cr.extend(hashes)
    assert cr.root() == root


# --- inclusion --------------------------------------------------------------------------------


def test_inclusion_paths_equal_pymerkle_and_rfc() -> None:
    data = entries(70)
    tree = pm_tree(data)
    hashes = [leaf_hash(x) for x in data]
    for n in range(1, len(data) + 1):
        root = root_from_leaf_hashes(hashes[:n])
        for i in range(n):
            ours = inclusion_proof(hashes[:n], i)
            assert ours == rfc_path(i, data[:n])
            theirs = tree.prove_inclusion(i + 1, n)
            # pymerkle's path starts with the leaf itself, then the RFC PATH.
            assert theirs.path == [hashes[i], *ours]
            # And pymerkle's verifier accepts our proof in its own format.
            mine = InclusionProof("sha256", True, n, i + 1, theirs.rule, [hashes[i], *ours])
            pm_verify_inclusion(hashes[i], root, mine, index=i + 1, size=n)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 90), label="n")
    salt = data.draw(st.binary(max_size=8), label="salt")
    hashes = [leaf_hash(x) for x in entries(n + 3, salt)]
    roots = [root_from_leaf_hashes(hashes[:s]) for s in range(n + 4)]
    root = roots[n]
    for i in range(n):
        proof = inclusion_proof(hashes[:n], i)
        assert verify_inclusion(hashes[i], i, n, proof, root)
        assert not verify_inclusion(flip(hashes[i]), i, n, proof, root)
        assert not verify_inclusion(hashes[i], i, n, proof, flip(root, 7))
        for j in {i - 1, i + 1, (i * 7 + 3) % n}:
            if j != i:
                assert not verify_inclusion(hashes[i], j, n, proof, root)
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = flip(bad[k], k % 8)
            assert not verify_inclusion(hashes[i], i, n, bad, root)
        if proof:
            assert not verify_inclusion(hashes[i], i, n, proof[:-1], root)
        assert not verify_inclusion(hashes[i], i, n, [*proof, root], root)
    # A different size: roots do not commit to the size (RFC 9162 signs size and root together),
    # so against the true root of that size the proof holds exactly when it is that size's proof.
    i = data.draw(st.integers(0, n - 1), label="i")
    proof = inclusion_proof(hashes[:n], i)
    for size in range(n + 4):
        if size != n:
            expected = i < size and inclusion_proof(hashes[:size], i) == proof
            assert verify_inclusion(hashes[i], i, size, proof, roots[size]) == expected


# --- consistency ------------------------------------------------------------------------------


def test_consistency_proofs_equal_rfc_and_pymerkle_agrees() -> None:
    data = entries(48)
    tree = pm_tree(data)
    hashes = [leaf_hash(x) for x in data]
    roots = [root_from_leaf_hashes(hashes[:s]) for s in range(len(data) + 1)]
    for n in range(1, len(data) + 1):
        for m in range(1, n + 1):
            ours = consistency_proof(hashes[:n], m)
            assert ours == (rfc_subproof(m, data[:n], True) if m < n else [])
            assert verify_consistency(m, n, roots[m], roots[n], ours)
            # pymerkle decomposes consistency paths differently from the RFC (its path is not
            # PROOF(m, D[n])), so compare what it exposes: its proof is valid for our roots...
            theirs = tree.prove_consistency(m, n)
            pm_verify_consistency(roots[m], roots[n], theirs, prior_size=m, later_size=n)
            # ...and its old-root fold reproduces our root of the old tree.
            assert theirs.retrieve_prior_state() == roots[m]
            if m < n:
                with pytest.raises(InvalidProof):
                    pm_verify_consistency(flip(roots[m]), roots[n], theirs)


def test_pymerkle_consistency_path_hashes_are_our_subtree_roots() -> None:
    # The layout is private API of pymerkle 7; it names the leaf range behind each path hash.
    from pymerkle.core import _consistency_path_layout

    data = entries(40)
    tree = pm_tree(data)
    hashes = [leaf_hash(x) for x in data]
    for n in range(1, len(data) + 1):
        for m in range(1, n + 1):
            proof = tree.prove_consistency(m, n)
            _, _, ranges = _consistency_path_layout(m, n)
            assert proof.path == [root_from_leaf_hashes(hashes[a:b]) for a, b in ranges]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 70), st.binary(max_size=8))
def test_every_consistency_proof_verifies_and_tampering_fails(n: int, salt: bytes) -> None:
    hashes = [leaf_hash(x) for x in entries(n, salt)]
    roots = [root_from_leaf_hashes(hashes[:s]) for s in range(n + 1)]
    for m in range(0, n + 1):
        proof = consistency_proof(hashes, m)
        assert verify_consistency(m, n, roots[m], roots[n], proof)
        assert not verify_consistency(m, n, flip(roots[m]), roots[n], proof)
        if m > 0:  # the empty tree is a prefix of every tree, whatever its root
            assert not verify_consistency(m, n, roots[m], flip(roots[n]), proof)
        assert not verify_consistency(n, m, roots[n], roots[m], proof) or m == n
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = flip(bad[k], 3)
            assert not verify_consistency(m, n, roots[m], roots[n], bad)
        if proof:
            assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
            assert not verify_consistency(m, n, roots[m], roots[n], proof[1:])
        assert not verify_consistency(m, n, roots[m], roots[n], [*proof, roots[0]])
        # Other sizes with their true roots: only a genuine proof for those sizes is accepted.
        for m2 in {m - 1, m + 1}:
            if 0 <= m2 <= n:
                expected = consistency_proof(hashes, m2) == proof
                assert verify_consistency(m2, n, roots[m2], roots[n], proof) == expected


def test_consistency_edge_cases() -> None:
    hashes = [leaf_hash(x) for x in entries(5)]
    r5 = root_from_leaf_hashes(hashes)
    assert consistency_proof(hashes, 5) == []
    assert consistency_proof(hashes, 0) == []
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(5, 5, r5, flip(r5), [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    assert verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    assert not verify_consistency(0, 5, r5, r5, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, r5, [r5])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    # RFC step 1: an empty proof never proves 0 < m < n.
    assert not verify_consistency(2, 5, root_from_leaf_hashes(hashes[:2]), r5, [])


# --- builders and verifiers on bad input ---------------------------------------------------------


def test_builders_reject_out_of_range() -> None:
    hashes = [leaf_hash(x) for x in entries(4)]
    for bad in (-1, 4, 100):
        with pytest.raises(ValueError):
            inclusion_proof(hashes, bad)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    for bad in (-1, 5):
        with pytest.raises(ValueError):
            consistency_proof(hashes, bad)


# Integers here are out of range or of the wrong shape for the proofs below (a root does not commit
# to the tree size, so a nearby size can be genuinely valid).
GARBAGE = [None, "x", b"", b"\x00" * 31, b"\x00" * 33, 2**40, -1, True, 1.5, [b"\x00" * 32], object()]


def test_verifiers_never_raise() -> None:
    hashes = [leaf_hash(x) for x in entries(6)]
    root = root_from_leaf_hashes(hashes)
    proof = inclusion_proof(hashes, 2)
    good = (hashes[2], 2, 6, proof, root)
    for pos in range(5):
        for g in GARBAGE:
            args = list(good)
            args[pos] = g
            assert verify_inclusion(*args) is False  # type: ignore[arg-type]
    assert not verify_inclusion(hashes[2], 2, 6, [*proof, *([root] * 100)], root)
    assert not verify_inclusion(hashes[2], 2, 2**64, proof, root)
    assert not verify_inclusion(hashes[2], 2, 6, b"".join(proof), root)  # type: ignore[arg-type]

    old = root_from_leaf_hashes(hashes[:3])
    cproof = consistency_proof(hashes, 3)
    cgood = (3, 6, old, root, cproof)
    assert verify_consistency(*cgood)
    for pos in range(5):
        for g in GARBAGE:
            args = list(cgood)
            args[pos] = g
            assert verify_consistency(*args) is False  # type: ignore[arg-type]
    assert not verify_consistency(6, 3, root, old, cproof)
    assert not verify_consistency(3, 6, old, root, [*cproof, *([root] * 100)])


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.binary(max_size=40), st.none()),
    st.integers(-(2**65), 2**65),
    st.integers(-(2**65), 2**65),
    st.lists(st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40)), max_size=70),
    st.binary(max_size=40),
)
def test_verifiers_never_raise_fuzz(h: bytes | None, a: int, b: int, proof: list[bytes], root: bytes) -> None:
    assert verify_inclusion(h, a, b, proof, root) in (True, False)  # type: ignore[arg-type]
    assert verify_consistency(a, b, h, root, proof) in (True, False)  # type: ignore[arg-type]


# --- CompactRange --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=16), max_size=200))
def test_compact_range_tracks_root(data: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in data]
    cr = CompactRange()
    assert cr.size == 0 and cr.root() == EMPTY_ROOT
    assert CompactRange.from_bytes(cr.to_bytes()) == cr
    for i, h in enumerate(hashes):
        cr.append(h)
        assert cr.size == i + 1
        assert len(cr.hashes) == (i + 1).bit_count()
        assert cr.root() == root_from_leaf_hashes(hashes[: i + 1])
        restored = CompactRange.from_bytes(cr.to_bytes())
        assert restored == cr and restored.root() == cr.root()
    if data:
        assert cr.root() == pm_tree(data).get_root()


def test_compact_range_persistence_and_errors() -> None:
    cr = CompactRange()
    cr.extend(leaf_hash(x) for x in entries(11))
    blob = cr.to_bytes()
    assert len(blob) == 8 + 3 * 32  # 11 = 0b1011
    assert blob[:8] == (11).to_bytes(8, "big")
    for bad in (b"", b"\x00" * 7, blob[:-1], blob + b"\x00", (12).to_bytes(8, "big") + blob[8:]):
        with pytest.raises(ValueError):
            CompactRange.from_bytes(bad)
    copy = cr.copy()
    copy.append(leaf_hash(b"more"))
    assert cr.size == 11 and copy.size == 12 and copy != cr
    for bad_leaf in (b"", b"\x00" * 31, "x" * 32, None):
        with pytest.raises(ValueError):
            cr.append(bad_leaf)  # type: ignore[arg-type]
    assert cr.size == 11
