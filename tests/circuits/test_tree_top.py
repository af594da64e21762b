"""The tree's top threaded through a batch's writes (`circuits.settlement.tree.TreeTop`), against
the spec's tree (`sequencer.spec.tree.BoxTree`), and the forgeries it must refuse.

A chain of writes that keep the box (a trade's, a deposit's: the writes most slots make) is
built alone at the demo shape (4-ary, depth 5) and the tiny one (binary): each write checks
its node at height D - T against the carried top and replaces it, and only the chain's ends
hash the top to a root. Completeness: the chain's root is the spec's after the same writes,
whichever leaves share the top's nodes. Soundness: a write that reads its leaf, or a
neighbour's path, as it stood before an earlier write of the chain (a replayed nonce, a
spent balance: what the per-write root check used to refuse) has no witness, and neither has
a top that does not open the old root; a disabled write changes nothing.
"""
from __future__ import annotations

import random

import pytest

from circuits.dsl import Circuit
from circuits.dsl.compiled import ConstraintError
from circuits.dsl.testing import assert_tamper_breaks
from circuits.settlement import tree as ctree
from circuits.settlement.witness import top_inputs
from prover.field import R
from sequencer.spec import box as spec_box
from sequencer.spec import tree as spec_tree
from sequencer.spec.constants import DEMO, TINY

WRITES = 3


def _chain_circuit(preset, n: int = WRITES):
    """n writes that keep the box, in order, from the old top (inputs) to the new root (output)."""
    c = Circuit("top_chain")
    top = ctree.declare_top(c, preset)
    c.output("old_root", ctree.top_root(c, preset, top))
    for i in range(n):
        with c.scope(f"w{i}"):
            path = ctree.declare_path(c, f"w{i}", preset, keep_box=True)
            en, old, new, index = (c.private_input(f"w{i}.{k}") for k in ("enabled", "old", "new", "index"))
            bits = ctree.index_bits_of(c, en, index, preset)
            top, _ = ctree.leaf_write(c, preset, en, top, bits, old, new, None, path)
    c.output("new_root", ctree.top_root(c, preset, top))
    return c.compile()


@pytest.fixture(scope="module")
def demo_chain():
    return _chain_circuit(DEMO)


@pytest.fixture(scope="module")
def tiny_chain():
    return _chain_circuit(TINY)


def _tree(preset, rng, n: int):
    """A tree with n random leaves (salted, random boxes)."""
    m = preset.num_markets
    leaves = []
    for i in rng.sample(range(preset.capacity), n):
        box = tuple((lo, lo + 10, -5, 5) for lo in (rng.randrange(0, 60_000) for _ in range(m)))
        leaves.append((i, rng.randrange(1, 1 << 250), box, rng.randrange(1, 1 << 250), None))
    return spec_tree.BoxTree.build(preset.arity, preset.depth, m, leaves=leaves)


def _opening(preset, tree, i: int, index: int, new_hash: int) -> dict:
    """Write i's inputs for writing `new_hash` at `index` of `tree` as it stands (box and salt kept)."""
    a, hashed = preset.arity, preset.depth - ctree.top_levels(preset)
    levels = tree.opening(index)
    commits = {f"w{i}.box_commit": [tree.box_commitment_at(k + 1, index // a ** (k + 1)) for k in range(1, hashed)]}
    return {**(commits if hashed > 1 else {}),f"w{i}.enabled": 1, f"w{i}.old": tree.hash_at(0, index), f"w{i}.new": new_hash, f"w{i}.index": index,
            f"w{i}.sib_hash": [list(lv.sibling_hashes) for lv in levels[:hashed]],
            f"w{i}.sib_box": [[spec_box.pack_box(b) for b in levels[0].sibling_boxes]],
            f"w{i}.node_box": [spec_box.pack_box(tree.box_at(0, index))],
            f"w{i}.blind": [tree.blind_at(1, index // a)]}


def _write(tree, index: int, new_hash: int) -> None:
    tree.update(index, new_hash, tree.box_at(0, index), tree.blind_at(0, index))


def _chain(preset, tree, indices, rng) -> tuple[dict, int]:
    """(the chain's inputs writing random hashes at `indices` in order, the spec's new root)."""
    inputs = top_inputs(tree, preset)
    for i, index in enumerate(indices):
        new_hash = rng.randrange(1, R)
        inputs.update(_opening(preset, tree, i, index, new_hash))
        _write(tree, index, new_hash)
    return inputs, tree.root


def _same_top_node(preset, index: int) -> int:
    """Another leaf under the same node at height D - T (its last index digit changed)."""
    return index ^ 1


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("preset_name", ["demo", "tiny"])
def test_a_chain_of_writes_gives_the_spec_root(demo_chain, tiny_chain, preset_name, seed):
    """Random leaves; then one leaf written twice, and a neighbour under the same top node
    between: each write reads what the one before left."""
    preset, cc = (DEMO, demo_chain) if preset_name == "demo" else (TINY, tiny_chain)
    rng = random.Random(seed)
    for indices in ([rng.randrange(preset.capacity) for _ in range(WRITES)], [5, _same_top_node(preset, 5), 5]):
        tree = _tree(preset, rng, 9)
        old_root = tree.root
        inputs, root = _chain(preset, tree, indices, rng)
        out = cc.outputs(cc.witness(inputs))
        assert (out["old_root"], out["new_root"]) == (old_root, root)


def test_every_wire_of_the_chain_is_pinned(demo_chain):
    rng = random.Random(4)
    inputs, _ = _chain(DEMO, _tree(DEMO, rng, 9), [3, 2, 3], rng)
    assert_tamper_breaks(demo_chain, demo_chain.witness(inputs))


@pytest.mark.parametrize("preset_name", ["demo", "tiny"])
@pytest.mark.parametrize("stale", ["own leaf", "neighbour's path"])
def test_a_stale_read_has_no_witness(demo_chain, tiny_chain, preset_name, stale):
    """Write 0 changes leaf 5; write 2 then reads leaf 5 (or its neighbour under the same top
    node) with the opening it had before write 0: the leaf and path of the old tree, which
    hash to the old root. The carried top holds write 0's node: no witness."""
    preset, cc = (DEMO, demo_chain) if preset_name == "demo" else (TINY, tiny_chain)
    rng = random.Random(9)
    tree = _tree(preset, rng, 9)
    target = 5 if stale == "own leaf" else _same_top_node(preset, 5)
    before = _opening(preset, tree, 2, target, 77)  # write 2's reading of the old tree
    inputs, _ = _chain(preset, tree, [5, 40 % preset.capacity, target], rng)
    cc.witness(inputs)
    forged = {**inputs, **before}
    with pytest.raises(ConstraintError):
        cc.witness(forged)


def test_a_top_that_does_not_open_the_old_root_is_caught_by_the_root(demo_chain):
    """The top is bound only through the root it hashes to: any change moves the old root
    (which the batch puts in its message: `batch.py`)."""
    rng = random.Random(2)
    tree = _tree(DEMO, rng, 9)
    old_root = tree.root
    inputs, _ = _chain(DEMO, tree, [1, 2, 3], rng)
    for name, i in [("top.hash", 0), ("top.hash", 3), ("top.commit", 0)]:
        bad = dict(inputs)
        bad[name] = list(bad[name])
        bad[name][i] = (bad[name][i] + 1) % R
        try:
            out = demo_chain.outputs(demo_chain.witness(bad))
        except ConstraintError:
            continue
        assert out["old_root"] != old_root


def test_a_disabled_write_changes_nothing(demo_chain):
    """Write 1 disabled with a garbage opening: the root is the spec's after writes 0 and 2."""
    rng = random.Random(6)
    tree = _tree(DEMO, rng, 9)
    inputs = top_inputs(tree, DEMO)
    inputs.update(_opening(DEMO, tree, 0, 7, 11))
    _write(tree, 7, 11)
    garbage = _opening(DEMO, tree, 1, 9, 12)
    garbage = {k: v for k, v in garbage.items()}
    garbage["w1.enabled"], garbage["w1.old"] = 0, 12345
    inputs.update(garbage)
    inputs.update(_opening(DEMO, tree, 2, 9, 13))
    _write(tree, 9, 13)
    out = demo_chain.outputs(demo_chain.witness(inputs))
    assert out["new_root"] == tree.root
