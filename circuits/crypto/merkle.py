"""Sparse Poseidon Merkle trees of arity 2 or 4, as the `merkle_proof` gadget checks them.

A node is Poseidon(children in order); empty leaves are 0 and an empty subtree of height h
hashes to EMPTY[h] (computed once per arity and depth), so a depth-20 tree with few leaves is
cheap. A proof lists, from the leaf level up, the node's position `path_indices[level]`
(0..arity-1) and its siblings: one int for arity 2, the other three children in order for
arity 4.
"""
from __future__ import annotations

from circuits.crypto.poseidon import poseidon_hash


def empty_hashes(depth: int, arity: int, hash_fn=poseidon_hash) -> list[int]:
    empty = [0]
    for _ in range(depth):
        empty.append(hash_fn([empty[-1]] * arity))
    return empty


def _siblings_at(children: list[int], position: int, arity: int):
    others = children[:position] + children[position + 1:]
    return others[0] if arity == 2 else others


def root_from_path(leaf: int, siblings, path_indices, arity: int, hash_fn=poseidon_hash) -> int:
    node = leaf
    for sib, pos in zip(siblings, path_indices):
        others = [sib] if arity == 2 else list(sib)
        children = others[:pos] + [node] + others[pos:]
        node = hash_fn(children)
    return node


def verify_proof(root: int, leaf: int, siblings, path_indices, arity: int = 2, hash_fn=poseidon_hash) -> bool:
    if len(siblings) != len(path_indices) or any(not 0 <= p < arity for p in path_indices):
        return False
    return root_from_path(leaf, siblings, path_indices, arity, hash_fn) == root


class MerkleTree:
    def __init__(self, depth: int, arity: int = 2, hash_fn=poseidon_hash):
        if arity not in (2, 4):
            raise ValueError("arity must be 2 or 4")
        self.depth, self.arity, self.hash = depth, arity, hash_fn
        self.empty = empty_hashes(depth, arity, hash_fn)
        self.levels: list[dict[int, int]] = [dict() for _ in range(depth + 1)]

    @property
    def capacity(self) -> int:
        return self.arity ** self.depth

    def node(self, level: int, index: int) -> int:
        return self.levels[level].get(index, self.empty[level])

    @property
    def root(self) -> int:
        return self.node(self.depth, 0)

    def _children(self, level: int, parent: int) -> list[int]:
        first = parent * self.arity
        return [self.node(level, first + k) for k in range(self.arity)]

    def update(self, index: int, leaf: int) -> int:
        """Set leaf `index` and recompute its path; returns the new root."""
        if not 0 <= index < self.capacity:
            raise IndexError(f"leaf index {index} outside a tree of {self.capacity} leaves")
        self.levels[0][index] = leaf
        for level in range(self.depth):
            index //= self.arity
            self.levels[level + 1][index] = self.hash(self._children(level, index))
        return self.root

    def proof(self, index: int):
        """(siblings, path_indices) for leaf `index`, leaf level first."""
        siblings, positions = [], []
        for level in range(self.depth):
            parent, pos = divmod(index, self.arity)
            siblings.append(_siblings_at(self._children(level, parent), pos, self.arity))
            positions.append(pos)
            index = parent
        return siblings, positions
