"""The state tree: a Poseidon Merkle tree whose inner nodes also commit to their children's boxes.

Shape: arity a (2 or 4), depth D levels, a^D leaves; leaf index = account id. Level 0 holds
the leaves, level D the root.

Node hash (level k+1, children c_0..c_{a-1} at level k with boxes B_0..B_{a-1}):

    node = Poseidon(c_0, ..., c_{a-1}, pack(B_0)_0..pack(B_0)_{M-1}, ..., pack(B_{a-1})_{M-1})
           when a + a*M <= 16, else
    node = Poseidon(c_0, ..., c_{a-1}, hash_fields(the a*M packed boxes))

The hash of a leaf is the account's data hash (`state.account_hash`, 0 for an empty leaf);
the leaf's box enters its parent's preimage. The box *of* a node is the intersection of its
children's boxes, so the root's box (the intersection of the root's children's boxes) is
the intersection of all leaf boxes.

Why the parent hashes every child's box, not only their intersection: a Merkle path gives
the circuit the siblings' hashes and boxes. If a parent bound only the intersection, a
sibling's box would be bound only through `max`/`min` with the path's own box, and a
prover could substitute a wider sibling box wherever the old leaf box dominated, then
widen the leaf and publish a root box wider than the true intersection. With every child's
box in the parent's preimage, the siblings' boxes on a verified old path are exactly the
committed ones, and by induction on proved updates every node's box is the intersection of
its subtree.

Per level of a path update the circuit computes one node hash (two Poseidons when nested)
and the new node box as the min/max of the a children's bounds: 4*M comparisons of
(a - 1) pairs, 16-bit for price bounds and 48-bit for funding bounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from . import box as boxes
from .box import Box
from .constants import FUNDING_BITS, GRID_BITS
from .hashing import POSEIDON_MAX_INPUTS, hash_fields, poseidon_hash_many

EMPTY_LEAF_HASH = 0  # the data hash of an unregistered account


@dataclass(frozen=True)
class PathLevel:
    """One level of a Merkle path: the position of the path's node among its siblings,
    and the other a-1 children of the parent (in order, the path's own slot left out)."""

    position: int
    sibling_hashes: tuple[int, ...]
    sibling_boxes: tuple[Box, ...]


def node_hash(children: Sequence[int], child_boxes: Sequence[Box]) -> int:
    """The hash of an inner node from its children's hashes and boxes (module docstring)."""
    packed = [x for b in child_boxes for x in boxes.pack_box(b)]
    if len(children) + len(packed) <= POSEIDON_MAX_INPUTS:
        return hash_fields([*children, *packed])
    return hash_fields([*children, hash_fields(packed)])


def compute_root(arity: int, leaf_hash: int, leaf_box: Box, index: int,
                 path: Sequence[PathLevel]) -> tuple[int, Box]:
    """Recompute (root hash, root box) from a leaf and its path: what the circuit does."""
    h, b = leaf_hash, leaf_box
    for level in path:
        assert level.position == index % arity
        hs = list(level.sibling_hashes)
        bs = list(level.sibling_boxes)
        hs.insert(level.position, h)
        bs.insert(level.position, b)
        h, b = node_hash(hs, bs), boxes.intersect(bs)
        index //= arity
    return h, b


# --- vectorised helpers for whole levels ------------------------------------------------------
_F_OFF = 1 << (FUNDING_BITS - 1)


def _pack_array(arr: np.ndarray) -> list[int]:
    """pack() of every market box of an (n, M, 4) int64 array, flattened in (node, market) order."""
    lo = arr[..., 0].astype(np.uint64).ravel()
    hi = arr[..., 1].astype(np.uint64).ravel()
    flo = (arr[..., 2] + _F_OFF).astype(np.uint64).ravel()
    fhi = (arr[..., 3] + _F_OFF).astype(np.uint64).ravel()
    # lo | hi << 16 | flo << 32 | fhi << 80, split at bit 64
    low = lo | (hi << np.uint64(GRID_BITS)) | ((flo & np.uint64(0xFFFFFFFF)) << np.uint64(2 * GRID_BITS))
    high = (flo >> np.uint64(32)) | (fhi << np.uint64(FUNDING_BITS - 32))
    return [l | (h << 64) for l, h in zip(low.tolist(), high.tolist())]


def _intersect_array(arr: np.ndarray, arity: int) -> np.ndarray:
    """Box of each parent: (n, M, 4) children -> (n / a, M, 4) parents."""
    g = arr.reshape(-1, arity, *arr.shape[1:])
    out = np.empty((g.shape[0], *arr.shape[1:]), dtype=np.int64)
    out[..., 0] = g[..., 0].max(axis=1)
    out[..., 1] = g[..., 1].min(axis=1)
    out[..., 2] = g[..., 2].max(axis=1)
    out[..., 3] = g[..., 3].min(axis=1)
    return out


def _hash_level(arity: int, num_markets: int, hashes: list[int], box_arr: np.ndarray) -> list[int]:
    """node_hash of every parent of a whole level, batched through poseidon_hash_many."""
    packed = _pack_array(box_arr)
    n_par = len(hashes) // arity
    w = arity * num_markets
    if arity + w <= POSEIDON_MAX_INPUTS:
        rows = [hashes[p * arity:(p + 1) * arity] + packed[p * w:(p + 1) * w] for p in range(n_par)]
        return poseidon_hash_many(rows)
    if w <= POSEIDON_MAX_INPUTS:
        box_hashes = poseidon_hash_many([packed[p * w:(p + 1) * w] for p in range(n_par)])
    else:
        box_hashes = [hash_fields(packed[p * w:(p + 1) * w]) for p in range(n_par)]
    rows = [hashes[p * arity:(p + 1) * arity] + [box_hashes[p]] for p in range(n_par)]
    return poseidon_hash_many(rows)


class BoxTree:
    """A dense a-ary Poseidon tree of depth D with per-node boxes.

    `update` recomputes one path (D node hashes); `build` hashes a whole tree level by level
    with `poseidon_hash_many` (one batched call per level)."""

    def __init__(self, arity: int, depth: int, num_markets: int):
        assert arity in (2, 4) and depth >= 1
        self.arity, self.depth, self.num_markets = arity, depth, num_markets
        full = np.array(boxes.full(num_markets), dtype=np.int64)
        self.empty_hashes = self._empty_hashes(arity, depth, num_markets)  # per level
        self.hashes: list[list[int]] = [
            [self.empty_hashes[k]] * arity ** (depth - k) for k in range(depth + 1)]
        self.boxes: list[np.ndarray] = [
            np.broadcast_to(full, (arity ** (depth - k), num_markets, 4)).copy()
            for k in range(depth + 1)]

    # --- reading -------------------------------------------------------------------------
    @property
    def root(self) -> int:
        return self.hashes[self.depth][0]

    @property
    def root_box(self) -> Box:
        return self.box_at(self.depth, 0)

    def box_at(self, level: int, index: int) -> Box:
        return tuple(tuple(int(v) for v in mb) for mb in self.boxes[level][index])

    def leaf(self, index: int) -> tuple[int, Box]:
        return self.hashes[0][index], self.box_at(0, index)

    def path(self, index: int) -> list[PathLevel]:
        """The Merkle path of leaf `index`, leaf level first."""
        a, out = self.arity, []
        for k in range(self.depth):
            pos, base = index % a, index - index % a
            sib = [base + i for i in range(a) if i != pos]
            out.append(PathLevel(pos, tuple(self.hashes[k][s] for s in sib),
                                 tuple(self.box_at(k, s) for s in sib)))
            index //= a
        return out

    # --- writing -------------------------------------------------------------------------
    def update(self, index: int, leaf_hash: int, leaf_box: Box) -> None:
        """Write one leaf and recompute its path: D node hashes, D box intersections."""
        a = self.arity
        self.hashes[0][index] = leaf_hash
        self.boxes[0][index] = leaf_box
        for k in range(self.depth):
            p = index // a
            children = self.hashes[k][p * a:(p + 1) * a]
            group = self.boxes[k][p * a:(p + 1) * a]
            child_boxes = [tuple(tuple(int(v) for v in mb) for mb in b) for b in group]
            self.hashes[k + 1][p] = node_hash(children, child_boxes)
            self.boxes[k + 1][p] = _intersect_array(group, a)[0]
            index = p

    @classmethod
    def build(cls, arity: int, depth: int, num_markets: int,
              leaves: Iterable[tuple[int, int, Box]] | None = None,
              leaf_hashes: list[int] | None = None, leaf_boxes: np.ndarray | None = None) -> "BoxTree":
        """Hash a whole tree from scratch, level by level.

        Either `leaves` = (index, hash, box) for the non-empty leaves, or the dense level 0 as
        `leaf_hashes` (a^D ints) and `leaf_boxes` ((a^D, M, 4) int64 array)."""
        t = cls.__new__(cls)
        t.arity, t.depth, t.num_markets = arity, depth, num_markets
        t.empty_hashes = cls._empty_hashes(arity, depth, num_markets)
        n = arity ** depth
        if leaf_hashes is None:
            leaf_hashes = [EMPTY_LEAF_HASH] * n
            full = np.array(boxes.full(num_markets), dtype=np.int64)
            leaf_boxes = np.broadcast_to(full, (n, num_markets, 4)).copy()
            for index, h, b in leaves or ():
                leaf_hashes[index] = h
                leaf_boxes[index] = b
        assert len(leaf_hashes) == n and leaf_boxes.shape == (n, num_markets, 4)
        t.hashes, t.boxes = [list(leaf_hashes)], [np.ascontiguousarray(leaf_boxes, dtype=np.int64)]
        for k in range(depth):
            t.hashes.append(_hash_level(arity, num_markets, t.hashes[k], t.boxes[k]))
            t.boxes.append(_intersect_array(t.boxes[k], arity))
        return t

    @staticmethod
    def _empty_hashes(arity: int, depth: int, num_markets: int) -> list[int]:
        out = [EMPTY_LEAF_HASH]
        for _ in range(depth):
            out.append(node_hash([out[-1]] * arity, [boxes.full(num_markets)] * arity))
        return out

    # --- the sequencer's use of the boxes ---------------------------------------------------
    def leaves_outside(self, grid_prices: Sequence[int], funding: Sequence[int]) -> list[int]:
        """Indices of the leaves whose box does not contain (prices, funding).

        Descends only into subtrees whose box (the intersection below) excludes the point:
        O(k * a * D) for k such leaves instead of a sweep over all a^D."""
        g = np.asarray(grid_prices, dtype=np.int64)
        f = np.asarray(funding, dtype=np.int64)

        def outside(level: int, idx: np.ndarray) -> np.ndarray:
            b = self.boxes[level][idx]
            inside = ((b[..., 0] <= g) & (g <= b[..., 1]) & (b[..., 2] <= f) & (f <= b[..., 3])).all(axis=1)
            return idx[~inside]

        frontier = outside(self.depth, np.array([0]))
        for level in range(self.depth, 0, -1):
            if frontier.size == 0:
                return []
            children = (frontier[:, None] * self.arity + np.arange(self.arity)[None, :]).ravel()
            frontier = outside(level - 1, children)
        return [int(i) for i in frontier]
