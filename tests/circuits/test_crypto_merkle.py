"""circuits.crypto.merkle: roots against trees built by circomlibjs's Poseidon, proofs and
their path order, batch building, and tampered proofs."""
from __future__ import annotations

import random
import time

import pytest
from crypto_oracle import circomlibjs, dec, needs_node
from hypothesis import given, settings, strategies as st

from circuits.crypto.merkle import MerkleTree, empty_hashes, leaf_index, path_indices, root_from_path, verify_proof
from circuits.crypto.poseidon import poseidon_hash
from prover.field import R

SHAPES = [(2, 1), (2, 3), (2, 5), (4, 1), (4, 2), (4, 3)]  # (arity, depth)


def random_leaves(rng, arity, depth, count):
    return {rng.randrange(arity ** depth): rng.randrange(R) for _ in range(count)}


def dense(leaves, arity, depth):
    return [leaves.get(i, 0) for i in range(arity ** depth)]


@needs_node
def test_roots_equal_circomlibjs():
    rng = random.Random(4)
    cases = [(arity, depth, random_leaves(rng, arity, depth, n))
             for arity, depth in SHAPES for n in (0, 1, 5)]
    theirs = circomlibjs({"merkle": [{"arity": a, "leaves": dec(dense(lv, a, d))} for a, d, lv in cases]})
    ours = []
    for arity, depth, leaves in cases:
        one_by_one = MerkleTree(depth, arity)
        for index, leaf in leaves.items():
            one_by_one.update(index, leaf)
        batch = MerkleTree(depth, arity)
        batch.set_leaves(leaves)
        assert one_by_one.root == batch.root
        ours.append(batch.root)
    assert ours == [int(r) for r in theirs["merkle"]]


def test_empty_hashes():
    assert empty_hashes(2, 2) == [0, poseidon_hash([0, 0]), poseidon_hash([poseidon_hash([0, 0])] * 2)]
    assert MerkleTree(3, 4).root == empty_hashes(3, 4)[3] == poseidon_hash([empty_hashes(2, 4)[2]] * 4)


@pytest.mark.parametrize("arity, depth", SHAPES)
def test_proofs_verify_and_path_order(arity, depth):
    rng = random.Random(arity * 10 + depth)
    leaves = random_leaves(rng, arity, depth, 6)
    tree = MerkleTree.from_leaves(depth, dense(leaves, arity, depth), arity)
    for index in list(leaves) + [0, arity ** depth - 1]:
        leaf = tree.leaf(index)
        siblings, path = tree.proof(index)
        assert len(siblings) == len(path) == depth
        assert path == path_indices(index, depth, arity) and leaf_index(path, arity) == index
        assert all(isinstance(s, int) for s in siblings) if arity == 2 else all(len(s) == 3 for s in siblings)
        assert verify_proof(tree.root, leaf, siblings, path, arity)
        assert not verify_proof(tree.root, (leaf + 1) % R, siblings, path, arity)  # another leaf
        if depth:
            bad_path = [(path[0] + 1) % arity] + path[1:]
            assert not verify_proof(tree.root, leaf, siblings, bad_path, arity) or \
                tree.leaf(leaf_index(bad_path, arity)) == leaf                     # another position
            assert not verify_proof(tree.root, leaf, siblings, [arity] + path[1:], arity)  # digit out of range
            assert not verify_proof(tree.root, leaf, siblings[:-1], path[:-1], arity)     # too short
            sib0 = (siblings[0] + 1) % R if arity == 2 else [siblings[0][0] + 1] + siblings[0][1:]
            assert not verify_proof(tree.root, leaf, [sib0] + siblings[1:], path, arity)  # another sibling


def test_path_order_is_lsb_first():
    """Binary: the index's bits, least significant first; 4-ary: its base-4 digits."""
    assert path_indices(0b110, 3, 2) == [0, 1, 1]
    assert path_indices(1 + 2 * 4 + 3 * 16, 3, 4) == [1, 2, 3]
    tree = MerkleTree(2, 2)
    tree.update(1, 42)  # leaf 1 is the right child of the leftmost parent
    assert tree.root == poseidon_hash([poseidon_hash([0, 42]), poseidon_hash([0, 0])])
    tree4 = MerkleTree(2, 4)
    tree4.update(6, 42)  # digits [2, 1]: position 2 under parent 1
    e1 = poseidon_hash([0] * 4)
    assert tree4.root == poseidon_hash([e1, poseidon_hash([0, 0, 42, 0]), e1, e1])


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([2, 4]), st.integers(0, 6), st.data())
def test_path_indices_round_trip(arity, depth, data):
    index = data.draw(st.integers(0, arity ** depth - 1))
    assert leaf_index(path_indices(index, depth, arity), arity) == index


@settings(max_examples=6, deadline=None)
@given(st.sampled_from([2, 4]), st.lists(st.tuples(st.integers(0, 63), st.integers(0, R - 1)), max_size=12))
def test_batch_equals_sequential_updates(arity, writes):
    depth = 6 if arity == 2 else 3
    seq, batch = MerkleTree(depth, arity), MerkleTree(depth, arity)
    for index, leaf in writes:
        seq.update(index, leaf)
    batch.set_leaves(writes)  # later writes win, as in sequence
    assert seq.root == batch.root
    for index, _ in writes[:3]:
        assert seq.proof(index) == batch.proof(index)


def test_deep_sparse_tree_is_cheap():
    start = time.perf_counter()
    tree = MerkleTree(20, 2)
    for index in (0, 5, 2**20 - 1):
        tree.update(index, index + 1)
    siblings, path = tree.proof(5)
    assert verify_proof(tree.root, 6, siblings, path)
    assert siblings[-1] == tree.node(19, 1)
    assert time.perf_counter() - start < 5


def test_refusals():
    with pytest.raises(ValueError):
        MerkleTree(3, 3)
    tree = MerkleTree(2, 2)
    for bad in (-1, 4):
        with pytest.raises(IndexError):
            tree.update(bad, 1)
        with pytest.raises(IndexError):
            tree.proof(bad)
        with pytest.raises(IndexError):
            tree.set_leaves({bad: 1})
    assert not verify_proof(tree.root, 0, [0, 0], [0, 0], arity=3)


def test_custom_hash():
    """The hash is a parameter (the gadget tests pass their own)."""
    h = lambda xs: sum((i + 1) * x for i, x in enumerate(xs)) % R  # noqa: E731
    tree = MerkleTree(2, 4, hash_fn=h)
    tree.set_leaves({3: 7, 9: 1})
    assert tree.root == h([h([0, 0, 0, 7]), h([0, 0, 1, 0]), 0, 0])
    siblings, path = tree.proof(9)
    assert root_from_path(1, siblings, path, 4, h) == tree.root
