"""Poseidon and Merkle proofs (binary and 4-ary)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets import merkle
from circuits.gadgets.poseidon import poseidon
from prover.field import R
from circuits import registry


@pytest.mark.parametrize("n", range(1, 17))
def test_poseidon_matches_reference_and_costs(n, ref):
    cc = registry.build("poseidon", n=n)
    vals = [ref.rng.randrange(R) for _ in range(n)]
    w = assert_solves(cc, {"inputs": vals})
    assert cc.outputs(w)["out"] == ref.poseidon(vals)
    n_rounds_p = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68][n - 1]
    assert cc.n_constraints == 3 * ((n + 1) * 8 + n_rounds_p) - 3


def test_poseidon_known_vector():
    cc = registry.build("poseidon", n=2)
    w = cc.witness({"inputs": [1, 2]})
    assert cc.outputs(w)["out"] == 7853200120776062878684798364095072458815029376092732009249414926327459813530


def test_poseidon_soundness():
    cc = registry.build("poseidon", n=2)
    assert_tamper_breaks(cc, cc.witness({"inputs": [11, 22]}))


def test_poseidon_input_count():
    c = Circuit()
    with pytest.raises(ValueError):
        poseidon(c, [])
    with pytest.raises(ValueError):
        poseidon(c, [1] * 17)


# --- Merkle ------------------------------------------------------------------------------
def ref_root(ref, leaf, indices, siblings, arity):
    cur = leaf
    for idx, sib in zip(indices, siblings):
        sibs = [sib] if arity == 2 else list(sib)
        children = sibs[:idx] + [cur] + sibs[idx:]
        cur = ref.poseidon(children)
    return cur


def random_path(ref, depth, arity):
    rng = ref.rng
    idx = [rng.randrange(arity) for _ in range(depth)]
    if arity == 2:
        sibs = [rng.randrange(R) for _ in range(depth)]
    else:
        sibs = [[rng.randrange(R) for _ in range(3)] for _ in range(depth)]
    return idx, sibs


@pytest.mark.parametrize("arity", [2, 4])
def test_merkle_root_matches_reference(arity, ref):
    depth = 4
    cc = registry.build("merkle_proof", depth=depth, arity=arity)
    for _ in range(3):
        leaf = ref.rng.randrange(R)
        idx, sibs = random_path(ref, depth, arity)
        w = assert_solves(cc, {"leaf": leaf, "pathIndices": idx, "siblings": sibs})
        assert cc.outputs(w)["root"] == ref_root(ref, leaf, idx, sibs, arity)
    # every position at a level
    for p in range(arity):
        idx = [p] * depth
        w = assert_solves(cc, {"leaf": 5, "pathIndices": idx, "siblings": sibs})
        assert cc.outputs(w)["root"] == ref_root(ref, 5, idx, sibs, arity)
    assert_tamper_breaks(cc, w)


@pytest.mark.parametrize("arity, depth", [(2, 4), (4, 3)])
def test_merkle_agrees_with_crypto_tree(arity, depth):
    """The gadget's root for a proof from circuits.crypto.merkle is that tree's root."""
    from circuits.crypto.merkle import MerkleTree
    tree = MerkleTree(depth, arity)
    for index, leaf in ((0, 11), (3, 12), (arity ** depth - 1, 13)):
        tree.update(index, leaf)
    cc = registry.build("merkle_proof", depth=depth, arity=arity)
    for index, leaf in ((3, 12), (arity ** depth - 1, 13)):
        siblings, path = tree.proof(index)
        w = assert_solves(cc, {"leaf": leaf, "pathIndices": path, "siblings": siblings})
        assert cc.outputs(w)["root"] == tree.root


@pytest.mark.parametrize("arity, bad", [(2, 2), (4, 4)])
def test_merkle_refuses_out_of_range_positions(arity, bad, ref):
    cc = registry.build("merkle_proof", depth=2, arity=arity)
    idx, sibs = random_path(ref, 2, arity)
    idx[1] = bad
    assert_rejects(cc, {"leaf": 1, "pathIndices": idx, "siblings": sibs}, match="merkle_root/level")


def _proof_circuit(depth, arity):
    c = Circuit("proof")
    leaf, root, en = c.private_input("leaf"), c.public_input("root"), c.private_input("enabled")
    idx = c.private_input("pathIndices", depth)
    sibs = c.private_input("siblings", (depth,) if arity == 2 else (depth, 3))
    merkle.assert_merkle_proof(c, leaf, root, idx, sibs, poseidon, arity, enabled=en)
    return c.compile()


@pytest.mark.parametrize("arity", [2, 4])
def test_assert_merkle_proof(arity, ref):
    cc = _proof_circuit(3, arity)
    idx, sibs = random_path(ref, 3, arity)
    root = ref_root(ref, 77, idx, sibs, arity)
    inp = {"leaf": 77, "root": root, "enabled": 1, "pathIndices": idx, "siblings": sibs}
    assert_solves(cc, inp)
    assert_rejects(cc, {**inp, "leaf": 78}, match="assert_merkle_proof")
    assert_rejects(cc, {**inp, "root": root + 1})
    swapped = list(idx)
    swapped[0] = (swapped[0] + 1) % arity
    assert_rejects(cc, {**inp, "pathIndices": swapped})
    assert_solves(cc, {**inp, "leaf": 78, "enabled": 0})


@pytest.mark.parametrize("arity", [2, 4])
def test_merkle_update(arity, ref):
    depth = 3
    c = Circuit("update")
    old, new = c.private_input("old"), c.private_input("new")
    idx = c.private_input("pathIndices", depth)
    sibs = c.private_input("siblings", (depth,) if arity == 2 else (depth, 3))
    r_old, r_new = merkle.merkle_update(c, old, new, idx, sibs, poseidon, arity)
    c.output("roots", [r_old, r_new])
    cc = c.compile()
    idx, sibs = random_path(ref, depth, arity)
    w = assert_solves(cc, {"old": 1, "new": 2, "pathIndices": idx, "siblings": sibs})
    assert cc.outputs(w)["roots"] == [ref_root(ref, 1, idx, sibs, arity), ref_root(ref, 2, idx, sibs, arity)]
    assert_tamper_breaks(cc, w)


def test_merkle_binary_non_boolean_index_is_refused(ref):
    cc = registry.build("merkle_proof", depth=1, arity=2)
    # index 2 would place cur + 2 (sib - cur) and 2 cur - sib: refused by the bit check
    assert_rejects(cc, {"leaf": 1, "pathIndices": [2], "siblings": [5]})
    w = forge_witness(cc, {"leaf": 1, "pathIndices": [0], "siblings": [5]}, {})
    assert not unsatisfied(cc.r1cs, w)


def test_merkle_costs():
    # per level: the hash plus 2 (binary) or 9 (4-ary) constraints
    assert registry.build("merkle_proof", depth=4, arity=2).n_constraints == 4 * (240 + 2)
    assert registry.build("merkle_proof", depth=2, arity=4).n_constraints == 2 * (3 * (5 * 8 + 60) - 3 + 9)


@pytest.mark.parametrize("arity", [2, 4])
def test_node_hash_pair_is_two_poseidons_and_pinned(arity, ref):
    """One level of a write: the children placed once (`merkle.insert`, selectors shared), the
    old node Poseidon(children, commitment) and the new one with the own child replaced,
    sharing the first round's S-boxes (`poseidon_pair_placed`): both equal the reference at
    every position, and every wire is pinned (the selected first-round lanes of the new hash
    included)."""
    from circuits.gadgets.poseidon import poseidon_pair_placed

    k = arity.bit_length() - 1
    c = Circuit("pair")
    own, new, com = (c.private_input(x) for x in ("own", "new_child", "com"))
    sibs = c.private_input("sibs", arity - 1)
    bits = c.private_input("bits", k)
    sel = merkle.position_selectors(c, bits, arity)
    children = merkle.insert(c, own, sibs if arity > 2 else sibs[0], bits, sel, arity)
    old_h, new_h = poseidon_pair_placed(c, children + [com], sel, new)
    c.output("old_hash", old_h)
    c.output("new_hash", new_h)
    cc = c.compile()
    plain = Circuit("plain")
    xs = plain.private_input("x", arity + 1)
    poseidon(plain, xs)
    poseidon(plain, xs)
    assert cc.n_constraints < plain.n_constraints
    rng = ref.rng
    for pos in range(arity):
        vals = {"own": rng.randrange(R), "new_child": rng.randrange(R), "com": rng.randrange(R),
                "sibs": [rng.randrange(R) for _ in range(arity - 1)], "bits": [(pos >> i) & 1 for i in range(k)]}
        w = assert_solves(cc, vals)
        kids = list(vals["sibs"])
        kids.insert(pos, vals["own"])
        kids_new = list(vals["sibs"])
        kids_new.insert(pos, vals["new_child"])
        assert cc.outputs(w) == {"old_hash": ref.poseidon(kids + [vals["com"]]),
                                 "new_hash": ref.poseidon(kids_new + [vals["com"]])}
        assert_tamper_breaks(cc, w)
