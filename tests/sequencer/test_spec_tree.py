"""The box tree: incremental roots equal roots hashed from scratch, paths verify, boxes intersect."""
from __future__ import annotations

import pytest

import random

import numpy as np

from hypothesis import given, settings
from hypothesis import strategies as st

from sequencer.spec import BoxTree, compute_root
from sequencer.spec import box as boxes
from sequencer.spec.constants import FUNDING_MAX, FUNDING_MIN, GRID_MAX
from sequencer.spec.tree import EMPTY_LEAF_HASH, blind_hash, node_hash, path_root

market_boxes = st.tuples(st.integers(0, GRID_MAX), st.integers(0, GRID_MAX),
                         st.integers(FUNDING_MIN, FUNDING_MAX), st.integers(FUNDING_MIN, FUNDING_MAX))


@given(market_boxes)
def test_pack_roundtrip(b):
    packed = boxes.pack(b)
    assert 0 <= packed < 1 << 128 and boxes.unpack(packed) == b


def random_box(rng: random.Random, m: int):
    out = []
    for _ in range(m):
        lo, hi = sorted(rng.randrange(GRID_MAX + 1) for _ in range(2))
        flo, fhi = sorted(rng.randrange(-1000, 1000) for _ in range(2))
        out.append((lo, hi, flo, fhi))
    return tuple(out)


@pytest.mark.parametrize("arity,depth,m", [(2, 4, 2), (4, 2, 2), (4, 3, 4), (2, 3, 7)])
def test_incremental_equals_from_scratch(arity, depth, m):
    rng = random.Random(arity * 100 + depth)
    tree = BoxTree(arity, depth, m)
    assert tree.root == BoxTree.build(arity, depth, m).root  # empty trees agree
    leaves = {}
    for _ in range(12):
        i = rng.randrange(arity ** depth)
        leaves[i] = (rng.randrange(1, 1 << 250), random_box(rng, m), rng.randrange(1 << 250))
        tree.update(i, *leaves[i])
        assert tree.root_box == boxes.intersect([b for _, b, _ in leaves.values()] + [boxes.full(m)])
    scratch = BoxTree.build(arity, depth, m, leaves=[(i, h, b, s) for i, (h, b, s) in leaves.items()])
    assert scratch.root == tree.root and scratch.root_box == tree.root_box
    for i in range(arity ** depth):  # every leaf's opening and its owner's path recompute the root
        h, b = tree.leaf(i)
        assert compute_root(arity, h, b, tree.blind_at(0, i), i, tree.opening(i)) == (tree.root, tree.root_box)
        assert path_root(arity, h, i, tree.path(i)) == tree.root


def test_root_binds_every_leaf_box():
    tree = BoxTree(2, 3, 1)
    tree.update(5, 123, ((10, 20, 0, 0),))
    root = tree.root
    tree.update(5, 123, ((10, 21, 0, 0),))  # same leaf hash, other box
    assert tree.root != root


def test_sibling_box_is_bound():
    """An opening with a forged sibling box does not recompute the root (tree.py docstring)."""
    tree = BoxTree(2, 2, 1)
    tree.update(0, 1, ((10, 20, 0, 0),), 11)
    tree.update(1, 2, ((5, 100, 0, 0),), 12)
    path = tree.opening(0)
    assert compute_root(2, 1, ((10, 20, 0, 0),), 11, 0, path)[0] == tree.root
    forged = [type(path[0])(path[0].position, path[0].sibling_hashes, (((0, 100, 0, 0),),),
                            path[0].sibling_blinds), *path[1:]]
    assert compute_root(2, 1, ((10, 20, 0, 0),), 11, 0, forged)[0] != tree.root


def test_node_hash_nests_above_16_inputs():
    full = boxes.full(4)
    # 4 children + 16 packed boxes = 20 inputs: the boxes are hashed apart
    assert node_hash([EMPTY_LEAF_HASH] * 4, [full] * 4, 0) != node_hash([EMPTY_LEAF_HASH] * 4, [full] * 3 + [
        ((1, GRID_MAX, FUNDING_MIN, FUNDING_MAX),) + full[1:]], 0)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_leaves_outside_matches_a_sweep(data):
    m = 2
    rng = random.Random(data.draw(st.integers(0, 1 << 30)))
    tree = BoxTree(4, 2, m)
    for i in rng.sample(range(16), 6):
        tree.update(i, i + 1, random_box(rng, m))
    g = [data.draw(st.integers(0, GRID_MAX)) for _ in range(m)]
    f = [data.draw(st.integers(-1000, 1000)) for _ in range(m)]
    sweep = [i for i in range(16) if not boxes.contains(tree.leaf(i)[1], g, f)]
    assert tree.leaves_outside(g, f) == sweep


@pytest.mark.parametrize("n", [16, 17, 20, 32, 40])
def test_hash_fields_nests_above_16_inputs(n):
    from circuits.crypto.poseidon import poseidon_hash
    from sequencer.spec.hashing import hash_fields

    xs = list(range(1, n + 1))
    chunks = [xs[i:i + 16] for i in range(0, n, 16)]
    expected = poseidon_hash(xs) if n <= 16 else poseidon_hash([poseidon_hash(ch) for ch in chunks])
    assert hash_fields(xs) == expected


# --- the batched build and update against the spec's definition ------------------------------
def reference_tree(arity, depth, m, leaves):
    """(root, root box) straight from the definition: blind_hash, node_hash and intersect, every node."""
    hs = [EMPTY_LEAF_HASH] * arity ** depth
    bs = [boxes.full(m)] * arity ** depth
    ss = [0] * arity ** depth
    for i, (h, b, s) in leaves.items():
        hs[i], bs[i], ss[i] = h, b, s
    for _ in range(depth):
        groups = range(0, len(hs), arity)
        ss = [blind_hash(ss[g:g + arity]) for g in groups]
        hs, bs = ([node_hash(hs[g:g + arity], bs[g:g + arity], s) for g, s in zip(groups, ss)],
                  [boxes.intersect(bs[g:g + arity]) for g in groups])
    return hs[0], bs[0]


# (4, 2, 5): 4 + 20 inputs, the 20 packed boxes hashed as 16 + 4; (2, 3, 9): 2 + 18, as 16 + 2;
# (4, 3, 4): the MAINNET shape, 4 + 16; (2, 4, 7): 2 + 14 = 16, one Poseidon.
SHAPES = [(4, 2, 5), (2, 3, 9), (4, 3, 4), (2, 4, 7), (2, 5, 1)]


@pytest.mark.parametrize("arity,depth,m", SHAPES)
@pytest.mark.parametrize("fill", [0.0, 0.1, 1.0])
def test_build_and_update_match_the_definition(arity, depth, m, fill):
    rng = random.Random(f"{arity}-{depth}-{m}-{fill}")
    n = arity ** depth
    leaves = {i: (rng.randrange(1 << 250), random_box(rng, m), rng.randrange(1 << 250))
              for i in range(n) if rng.random() < fill}
    expected = reference_tree(arity, depth, m, leaves)
    sparse = BoxTree.build(arity, depth, m, leaves=[(i, h, b, s) for i, (h, b, s) in leaves.items()])
    assert (sparse.root, sparse.root_box) == expected
    dense_hashes = [leaves.get(i, (EMPTY_LEAF_HASH,))[0] for i in range(n)]
    dense_boxes = np.array([leaves.get(i, (0, boxes.full(m)))[1] for i in range(n)], dtype=np.int64)
    dense_salts = [leaves.get(i, (0, 0, 0))[2] for i in range(n)]
    dense = BoxTree.build(arity, depth, m, leaf_hashes=dense_hashes, leaf_boxes=dense_boxes, leaf_salts=dense_salts)
    incremental = BoxTree(arity, depth, m)
    for i, (h, b, s) in leaves.items():
        incremental.update(i, h, b, s)
    for tree in (dense, incremental):  # every node agrees, not only the root
        for k in range(depth + 1):
            assert (tree.node_limbs[k] == sparse.node_limbs[k]).all()
            assert (tree.boxes[k] == sparse.boxes[k]).all()
            assert (tree.blinds[k] == sparse.blinds[k]).all()
    for i in rng.sample(range(n), min(n, 8)):
        h, b = sparse.leaf(i)
        assert compute_root(arity, h, b, sparse.blind_at(0, i), i, sparse.opening(i)) == expected
        assert path_root(arity, h, i, sparse.path(i)) == expected[0]


def test_sparse_build_counts_a_box_without_hash_and_last_write_wins():
    m, box = 2, ((5, 9, -3, 3), (0, GRID_MAX, 0, 0))
    leaves = [(6, 77, random_box(random.Random(1), m)), (3, EMPTY_LEAF_HASH, box), (6, 78, box)]
    tree = BoxTree.build(4, 2, m, leaves=leaves)
    assert (tree.root, tree.root_box) == reference_tree(4, 2, m, {3: (0, box, 0), 6: (78, box, 0)})
    assert tree.root_box == boxes.intersect([box, boxes.full(m)])


def test_clearing_every_leaf_gives_the_empty_tree():
    rng = random.Random(5)
    tree, empty = BoxTree(2, 4, 3), BoxTree(2, 4, 3)
    written = rng.sample(range(16), 6)
    for i in written:
        tree.update(i, rng.randrange(1, 1 << 250), random_box(rng, 3), rng.randrange(1 << 250))
    for i in written:
        tree.update(i, EMPTY_LEAF_HASH, boxes.full(3), 0)
    assert tree.root == empty.root == tree.empty_hashes[4] and tree.root_box == boxes.full(3)


def test_out_of_range_inputs_are_refused():
    from sequencer.spec.constants import FIELD_MODULUS

    tree = BoxTree(2, 2, 1)
    with pytest.raises(ValueError):
        tree.update(0, FIELD_MODULUS, boxes.full(1))
    with pytest.raises(ValueError):
        tree.update(0, 1, ((0, GRID_MAX + 1, 0, 0),))
    with pytest.raises(ValueError):
        BoxTree.build(2, 2, 1, leaves=[(1, 1, ((0, 1, FUNDING_MIN - 1, 0),))])


@pytest.mark.parametrize("w", [1, 5, 16, 17, 20, 32, 33])
def test_batched_hash_fields_rows(w):
    from sequencer.spec.hashing import hash_fields
    from sequencer.spec.tree import _hash_fields_rows, _to_ints, _to_limbs

    rng = random.Random(w)
    rows = [[rng.randrange(1 << 253) for _ in range(w)] for _ in range(3)]
    limbs = np.stack([_to_limbs(r) for r in rows])
    assert _to_ints(_hash_fields_rows(limbs)) == [hash_fields(r) for r in rows]
