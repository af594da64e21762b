"""Sparse Poseidon Merkle trees of arity 2 or 4, as the `merkle_proof` gadget checks them.

A tree of depth D holds arity^D leaves. A node is Poseidon(children in order), so with
circomlib's Poseidon anyone recomputes the root. Empty leaves are 0 and an empty subtree of
height h hashes to `empty[h]` (computed once per tree), and only non-empty nodes are stored,
so a depth-20 tree with a few leaves costs D hashes per update.

Path order (the gadget mirrors it). A proof runs from the leaf up: at level i (0 = the
leaves) the current node sits at position `path_indices[i]` (0..arity-1; for arity 2,
0 = left child) among its parent's children, so

    leaf index = sum(path_indices[i] * arity**i)   (base-arity digits, least significant first)

and for arity 2 these are the index's bits, LSB first. `siblings[i]` are the other children
of that parent in order, skipping the current node: one int for arity 2, a list of 3 ints
for arity 4. The parent is hash(siblings with the current node inserted at its position).
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from circuits.crypto.poseidon import poseidon_hash, poseidon_hash_many

Hasher = Callable[[list], int]


def empty_hashes(depth: int, arity: int, hash_fn: Hasher = poseidon_hash) -> list[int]:
    """[empty[0], ..., empty[depth]]: the root of an all-zero subtree of each height."""
    empty = [0]
    for _ in range(depth):
        empty.append(hash_fn([empty[-1]] * arity))
    return empty


def path_indices(index: int, depth: int, arity: int = 2) -> list[int]:
    """The positions of leaf `index` from the leaf level up (its base-arity digits, LSB first)."""
    if not 0 <= index < arity ** depth:
        raise IndexError(f"leaf index {index} outside a tree of {arity ** depth} leaves")
    digits = []
    for _ in range(depth):
        index, pos = divmod(index, arity)
        digits.append(pos)
    return digits


def leaf_index(path: Sequence[int], arity: int = 2) -> int:
    """The inverse of `path_indices`."""
    return sum(pos * arity ** level for level, pos in enumerate(path))


def _siblings_at(children: list[int], position: int, arity: int):
    others = children[:position] + children[position + 1:]
    return others[0] if arity == 2 else others


def root_from_path(leaf: int, siblings, path, arity: int, hash_fn: Hasher = poseidon_hash) -> int:
    """The root reached by hashing `leaf` up along (siblings, path), leaf level first."""
    node = leaf
    for sib, pos in zip(siblings, path):
        others = [sib] if arity == 2 else list(sib)
        node = hash_fn(others[:pos] + [node] + others[pos:])
    return node


def verify_proof(root: int, leaf: int, siblings, path, arity: int = 2, hash_fn: Hasher = poseidon_hash) -> bool:
    """Whether (siblings, path) from `MerkleTree.proof` takes `leaf` to `root`."""
    if arity not in (2, 4) or len(siblings) != len(path):
        return False
    if any(not isinstance(p, int) or not 0 <= p < arity for p in path):
        return False
    if arity == 4 and any(len(s) != 3 for s in siblings):
        return False
    return root_from_path(leaf, siblings, path, arity, hash_fn) == root


class MerkleTree:
    """A sparse tree: `levels[h]` maps an index at height h to its node, absent = empty[h]."""

    def __init__(self, depth: int, arity: int = 2, hash_fn: Hasher = poseidon_hash,
                 hash_many: Callable[[list[list[int]]], list[int]] | None = None):
        if arity not in (2, 4):
            raise ValueError("arity must be 2 or 4")
        if depth < 0:
            raise ValueError("depth must be >= 0")
        self.depth, self.arity, self.hash = depth, arity, hash_fn
        if hash_many is None:
            hash_many = poseidon_hash_many if hash_fn is poseidon_hash else (lambda rows: [hash_fn(r) for r in rows])
        self.hash_many = hash_many
        self.empty = empty_hashes(depth, arity, hash_fn)
        self.levels: list[dict[int, int]] = [dict() for _ in range(depth + 1)]

    @classmethod
    def from_leaves(cls, depth: int, leaves: Sequence[int], arity: int = 2, **kw) -> "MerkleTree":
        """A tree whose leaves 0..len(leaves)-1 are `leaves`, built a level at a time."""
        tree = cls(depth, arity, **kw)
        tree.set_leaves(dict(enumerate(leaves)))
        return tree

    @property
    def capacity(self) -> int:
        return self.arity ** self.depth

    def node(self, level: int, index: int) -> int:
        return self.levels[level].get(index, self.empty[level])

    def leaf(self, index: int) -> int:
        return self.node(0, index)

    @property
    def root(self) -> int:
        return self.node(self.depth, 0)

    def _children(self, level: int, parent: int) -> list[int]:
        first = parent * self.arity
        return [self.node(level, first + k) for k in range(self.arity)]

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.capacity:
            raise IndexError(f"leaf index {index} outside a tree of {self.capacity} leaves")

    def update(self, index: int, leaf: int) -> int:
        """Set leaf `index` and recompute its path (D hashes); returns the new root."""
        self._check_index(index)
        self.levels[0][index] = leaf
        for level in range(self.depth):
            index //= self.arity
            self.levels[level + 1][index] = self.hash(self._children(level, index))
        return self.root

    def set_leaves(self, leaves: Mapping[int, int] | Iterable[tuple[int, int]]) -> int:
        """Set many leaves, then recompute each touched parent once, one `hash_many` call per
        level (parallel in the native extension); returns the new root."""
        items = dict(leaves)
        for index in items:
            self._check_index(index)
        self.levels[0].update(items)
        touched = set(items)
        for level in range(self.depth):
            parents = sorted({i // self.arity for i in touched})
            hashes = self.hash_many([self._children(level, p) for p in parents]) if parents else []
            self.levels[level + 1].update(zip(parents, hashes))
            touched = parents
        return self.root

    def proof(self, index: int) -> tuple[list, list[int]]:
        """(siblings, path_indices) for leaf `index`, leaf level first (see the module doc)."""
        self._check_index(index)
        siblings, positions = [], []
        for level in range(self.depth):
            parent, pos = divmod(index, self.arity)
            siblings.append(_siblings_at(self._children(level, parent), pos, self.arity))
            positions.append(pos)
            index = parent
        return siblings, positions
