"""Merkle inclusion proofs and updates for binary and 4-ary trees, the hash as a parameter
(default Poseidon, as circuits.crypto.merkle).

A path runs from the leaf up. At level i the current node sits at position `indices[i]`
(0..arity-1; for a binary tree 0 = left child) among its parent's children, and the
level's siblings are the other children in order, skipping that position:
`siblings[i]` is one LC for arity 2 and a list of 3 LCs for arity 4. The parent is
hash(children) with the current node placed at its position. Equivalently the leaf index
is sum indices[i] * arity^i (its base-arity digits, least significant first).

Costs per level, beside the hash: arity 2: 2 constraints (a bit and a swap);
arity 4: 9 (two bits, their product, placement).
"""
from __future__ import annotations

from typing import Callable, Sequence

from circuits.dsl import LC, Circuit, gadget

from .bits import assert_bool, to_bits
from .poseidon import poseidon

Hasher = Callable[[Circuit, list], LC]


def _level_bits(c: Circuit, index, arity: int) -> list[LC]:
    if arity == 2:
        assert_bool(c, index)
        return [LC.of(index)]
    return to_bits(c, index, 2)


def _place(c: Circuit, cur: LC, bits: list, sib, arity: int) -> list[LC]:
    if arity == 2:  # [cur, sib] if bit == 0 else [sib, cur]: one product
        d = c.mul(bits[0], LC.of(sib) - cur)
        return [cur + d, LC.of(sib) - d]
    s0, s1, s2 = (LC.of(s) for s in sib)
    b0, b1 = bits
    # position p: children = siblings with cur inserted at p
    # child0 = (p == 0) ? cur : s0
    # child1 = p == 0 ? s0 : p == 1 ? cur : s1
    # child2 = p <= 1 ? s1 : p == 2 ? cur : s2
    # child3 = p == 3 ? cur : s2
    b01 = c.mul(b0, b1)
    e0 = 1 - LC.of(b0) - b1 + b01          # p == 0
    e1 = LC.of(b0) - b01                   # p == 1
    e2 = LC.of(b1) - b01                   # p == 2
    e3 = b01                               # p == 3
    child0 = s0 + c.mul(e0, cur - s0)
    child1 = s1 + c.mul(e0, s0 - s1) + c.mul(e1, cur - s1)
    child2 = s1 + c.mul(e2, cur - s1) + c.mul(e3, s2 - s1)
    child3 = s2 + c.mul(e3, cur - s2)
    return [child0, child1, child2, child3]


def position_selectors(c: Circuit, bits: list, arity: int) -> list[LC]:
    """One-hot e_p (p = the position) from a level's position bits, LSB first: arity 2 none
    spent (1 - b, b), arity 4 one product."""
    if arity == 2:
        return [1 - LC.of(bits[0]), LC.of(bits[0])]
    b0, b1 = LC.of(bits[0]), LC.of(bits[1])
    b01 = c.mul(b0, b1)
    return [1 - b0 - b1 + b01, b0 - b01, b1 - b01, LC.of(b01)]


def insert(c: Circuit, cur, sib, bits: list, sel: list, arity: int) -> list[LC]:
    """`_place` with the level's selectors given (shared by the placements of one level):
    arity 2 one product, arity 4 four (children 0, 1, 3 by products, child 2 the sum of all
    less the other three: the children are a permutation of cur and the siblings)."""
    cur = LC.of(cur)
    if arity == 2:
        return _place(c, cur, bits, sib, 2)
    s0, s1, s2 = (LC.of(s) for s in sib)
    e0, e1, _, e3 = sel
    child0 = s0 + c.mul(e0, cur - s0)
    child1 = s1 + c.mul(e0, s0 - s1) + c.mul(e1, cur - s1)
    child3 = s2 + c.mul(e3, cur - s2)
    return [child0, child1, cur + s0 + s1 + s2 - child0 - child1 - child3, child3]


def _check_arity(arity: int) -> None:
    if arity not in (2, 4):
        raise ValueError(f"merkle trees here have arity 2 or 4, not {arity}")


@gadget
def merkle_root(c: Circuit, leaf, indices: Sequence, siblings: Sequence, hash: Hasher = poseidon,
                arity: int = 2) -> LC:
    """The root reached from `leaf` along the path (indices, siblings), leaf level first."""
    _check_arity(arity)
    if len(indices) != len(siblings):
        raise ValueError("merkle_root: one index per level, one sibling set per level")
    cur = LC.of(leaf)
    for idx, sib in zip(indices, siblings):
        with c.scope("level"):
            bits = _level_bits(c, idx, arity)
            cur = hash(c, _place(c, cur, bits, sib, arity))
    return cur


@gadget
def assert_merkle_proof(c: Circuit, leaf, root, indices, siblings, hash: Hasher = poseidon,
                        arity: int = 2, enabled=None) -> None:
    """`leaf` is in the tree with root `root` (when `enabled`, if given, is 1)."""
    r = merkle_root(c, leaf, indices, siblings, hash, arity)
    if enabled is None:
        c.assert_equal(r, root)
    else:
        c.assert_product(r - LC.of(root), enabled, 0)


@gadget
def merkle_update(c: Circuit, old_leaf, new_leaf, indices, siblings, hash: Hasher = poseidon,
                  arity: int = 2) -> tuple[LC, LC]:
    """(old root, new root): the same path with the leaf replaced. The caller asserts the old
    root equals the known root and takes the new one."""
    _check_arity(arity)
    old, new = LC.of(old_leaf), LC.of(new_leaf)
    for idx, sib in zip(indices, siblings):
        with c.scope("level"):
            bits = _level_bits(c, idx, arity)
            old = hash(c, _place(c, old, bits, sib, arity))
            new = hash(c, _place(c, new, bits, sib, arity))
    return old, new
