"""The state tree: a Poseidon Merkle tree whose inner nodes also commit to their children's boxes,
through a hiding commitment, so that a Merkle path carries nothing but hashes.

Shape: arity a (2 or 4), depth D levels, a^D leaves; leaf index = account id. Level 0 holds
the leaves, level D the root.

Every node has a hash, a box and a blind. Node at level k+1 with children c_0..c_{a-1} (at
level k) with boxes B_0..B_{a-1} and blinds s_0..s_{a-1}:

    blind  = Poseidon(s_0, ..., s_{a-1})
    P      = pack(B_0)_0, ..., pack(B_0)_{M-1}, ..., pack(B_{a-1})_{M-1}    (a*M elements)
    box_commitment = Poseidon(P, blind)                  if a*M < 16
                     Poseidon(hash_fields(P), blind)     otherwise
    node   = Poseidon(c_0, ..., c_{a-1}, box_commitment)
    box    = intersect(B_0, ..., B_{a-1})

(The blind goes into the boxes' Poseidon where there is room; where a*M fills the 16 inputs
(MAINNET: 4 x 4) it joins their hash in a Poseidon(2), which is cheaper in the circuit than
hash_fields' nesting of a 17th input.)

A leaf's hash is the account's salted data hash (`state.account_hash`, 0 for an empty leaf),
its blind is the leaf's salt (a field of the leaf, 0 for an empty leaf), and its box enters
its parent's box commitment. The root's box is the intersection of all leaf boxes.

What a path reveals (`path`, handed to an owner and to the exit circuit): per level the
siblings' hashes and the parent's box commitment, nothing else. Each is a hash:

- a sibling leaf's hash is Poseidon over its data *and its salt*: a salt is a uniformly
  random field element (`state.State.leaf_salt`), so a published leaf hash cannot be
  searched by hashing candidate leaves;
- a sibling inner node's hash has other hashes in its preimage that the path does not give;
- the box commitment of an ancestor is the one place with low-entropy data (boxes) whose
  other inputs the owner knows (its own path), so it carries a blind: the hash of the
  blinds of the children, recursively the hash of all leaf salts of the subtree. An owner
  knows its own salt only; any ancestor with another account below has a blind that
  depends on that account's salt, which the owner does not know, so it cannot test candidate
  boxes against the commitment. (An ancestor with no other account below commits to the
  owner's box and the empty leaves' FULL boxes only: public already.) Owners who pool their
  salts learn the commitments over their pooled subtrees only, i.e. nothing beyond the
  union of their own openings, unless they cover a whole subtree.

Why blinds are derived, not drawn per node: the tree stays a function of its leaves (every
blind is the hash of the salts below), so whoever holds all leaf openings (the sequencer; a
successor given the published data) rebuilds it bit for bit, and empty subtrees keep
constant hashes (`empty_hashes`), which a sparse tree needs.

The boxes and the blind go through their own hash, even where all would fit one Poseidon,
so that a write that keeps its leaf's box and salt (most writes, `transition`) changes no
box commitment: the circuit takes the path's box commitments above level 1 as they are and
pays two Poseidon(a + 1) a level.

Why the parent commits to every child's box, not only their intersection: the batch circuit
takes the siblings' boxes as witnesses where it recomputes an intersection. If a parent
bound only the intersection, a sibling's box would be bound only through `max`/`min` with
the path's own box, and a prover could substitute a wider sibling box wherever the old leaf
box dominated, then widen the leaf and publish a root box wider than the true intersection.
With every child's box in the parent's commitment, the siblings' boxes the circuit opens
against a verified old root are exactly the committed ones (the commitment is a Poseidon
hash: binding whatever the blind, which is itself in the preimage), and by induction on
proved updates every node's box is the intersection of its subtree. The blind does not
weaken this: it is an input of the same hash, bound like the boxes.

Per level of a path update that changes a box the circuit computes the box commitment and
the node hash, and the new node box as the min/max of the a children's bounds: 4*M
comparisons of (a - 1) pairs, 16-bit for price bounds and 48-bit for funding bounds.

Options presets (K > 0, `options.py`): a node's box also has an *option box* (per market a vol
interval, one time interval: `box.OptionBounds`), a leaf's is its account's `OptionBox` bounds,
an inner node's the intersection of its children's, and each child's enters the box commitment
as one more packed element after its market boxes (`box.pack_option`):

    P = pack(B_0)_0, ..., pack(B_0)_{M-1}, pack_option(O_0), ..., pack_option(O_{a-1})   (a*(M+1))

so the root's option box is the intersection of every account's (`root_option_box`), which the
batch checks the round's vols and timestamp against, exactly as the root's box is checked
against the prices and funding indices. K = 0 trees have no option boxes and are unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

# The extension registered for a width, or None: the tree hands it whole levels as raw bytes
# (`_poseidon_rows`), which the public `poseidon_hash_many` (rows of Python ints) does not take.
from circuits.crypto.poseidon import _native_for

from . import box as boxes
from .box import Box
from .constants import FIELD_MODULUS, FUNDING_BITS, FUNDING_MAX, FUNDING_MIN, GRID_BITS, GRID_MAX
from .hashing import POSEIDON_MAX_INPUTS, hash_fields, poseidon_hash_many

EMPTY_LEAF_HASH = 0  # the data hash of an unregistered account
EMPTY_LEAF_SALT = 0  # the salt (blind) of an unregistered account


@dataclass(frozen=True)
class PathLevel:
    """One level of a Merkle path as an owner gets it: the position of the path's node among
    its siblings, the other a-1 children's hashes (in order, the path's own slot left out),
    and the parent's box commitment. Only hashes (module docstring)."""

    position: int
    sibling_hashes: tuple[int, ...]
    box_commitment: int


@dataclass(frozen=True)
class OpeningLevel:
    """One level of a path as the prover opens it (the batch witness, never handed out): the
    siblings' hashes, boxes and blinds. The parent's blind and box commitment follow from
    them and the path's own node (`compute_root`)."""

    position: int
    sibling_hashes: tuple[int, ...]
    sibling_boxes: tuple[Box, ...]
    sibling_blinds: tuple[int, ...]
    sibling_option_boxes: tuple = ()  # options presets: the siblings' `box.OptionBounds`


def blind_hash(child_blinds: Sequence[int]) -> int:
    """The blind of an inner node: Poseidon of its children's blinds (a leaf's is its salt)."""
    return hash_fields(list(child_blinds))


def box_commitment(child_boxes: Sequence[Box], blind: int, child_option_boxes: Sequence | None = None) -> int:
    """The hiding commitment to a node's children's boxes: their packed forms, child-major
    (each child's packed option box after its market boxes, on options presets), then the
    node's blind; in one Poseidon where they fit, else Poseidon(hash_fields(packed), blind)
    (module docstring)."""
    if child_option_boxes is None:
        packed = [x for b in child_boxes for x in boxes.pack_box(b)]
    else:
        packed = [x for b, o in zip(child_boxes, child_option_boxes) for x in [*boxes.pack_box(b), boxes.pack_option(o)]]
    if len(packed) < POSEIDON_MAX_INPUTS:
        return hash_fields(packed + [blind])
    return hash_fields([hash_fields(packed), blind])


def node_hash(children: Sequence[int], child_boxes: Sequence[Box], blind: int,
              child_option_boxes: Sequence | None = None) -> int:
    """The hash of an inner node from its children's hashes and boxes and its own blind
    (module docstring): Poseidon(c_0, ..., c_{a-1}, box_commitment(B_0, ..., B_{a-1}, blind))."""
    return hash_fields([*children, box_commitment(child_boxes, blind, child_option_boxes)])


def compute_root(arity: int, leaf_hash: int, leaf_box: Box, leaf_salt: int, index: int,
                 opening: Sequence[OpeningLevel], leaf_option_box=None) -> tuple[int, Box]:
    """Recompute (root hash, root box) from a leaf and its opening: what the batch circuit does
    (`leaf_option_box`: the leaf's `box.OptionBounds`, on options presets)."""
    h, b, s, o = leaf_hash, leaf_box, leaf_salt, leaf_option_box
    for level in opening:
        assert level.position == index % arity
        hs, bs, ss = list(level.sibling_hashes), list(level.sibling_boxes), list(level.sibling_blinds)
        hs.insert(level.position, h)
        bs.insert(level.position, b)
        ss.insert(level.position, s)
        os_ = None
        if o is not None:
            os_ = list(level.sibling_option_boxes)
            os_.insert(level.position, o)
            o = boxes.intersect_options(os_)
        s = blind_hash(ss)
        h, b = node_hash(hs, bs, s, os_), boxes.intersect(bs)
        index //= arity
    return h, b


def path_root(arity: int, leaf_hash: int, index: int, path: Sequence[PathLevel]) -> int:
    """The root hash from a leaf hash and an owner's path (hashes only): what the exit circuit does."""
    h = leaf_hash
    for level in path:
        assert level.position == index % arity
        hs = list(level.sibling_hashes)
        hs.insert(level.position, h)
        h = hash_fields([*hs, level.box_commitment])
        index //= arity
    return h


# --- whole levels as arrays -------------------------------------------------------------------
#
# A node hash is kept as four little-endian uint64 limbs: exactly the 32-byte encoding that the
# native Poseidon reads and writes. A level of hashes is an (n, 4) array, a level of boxes an
# (n, M, 4) int64 array, and the preimages of a batch of parents are assembled by reshaping,
# gathering and concatenating such arrays, with no Python int per node. Ints appear only at
# the API (`root`, `leaf`, `path`, `update`'s arguments).

_LIMBS = np.dtype("<u8")
_F_OFF = 1 << (FUNDING_BITS - 1)


def _to_limbs(values: Sequence[int]) -> np.ndarray:
    """Field elements -> (n, 4) limbs."""
    if not all(0 <= v < FIELD_MODULUS for v in values):
        raise ValueError("tree hashes must be field elements (0 <= x < r)")
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, _LIMBS).reshape(-1, 4)


def _to_ints(limbs: np.ndarray) -> list[int]:
    """(n, 4) limbs -> field elements."""
    data = np.ascontiguousarray(limbs, dtype=_LIMBS).tobytes()
    return [int.from_bytes(data[i:i + 32], "little") for i in range(0, len(data), 32)]


def _poseidon_rows(rows: np.ndarray) -> np.ndarray:
    """Poseidon of every row of a (p, w, 4) limb array -> (p, 4): one native call for the batch.

    The bytes go to the extension as they lie in memory (`poseidon_hash_many` would first turn
    every input into a Python int and back); without the extension, the Python reference."""
    p, w = rows.shape[:2]
    if p == 0:
        return np.zeros((0, 4), _LIMBS)
    native = _native_for(w + 1)
    if native is None:
        return _to_limbs(poseidon_hash_many([_to_ints(r) for r in rows]))
    out = native.poseidon_hash_many(w + 1, np.ascontiguousarray(rows, dtype=_LIMBS).tobytes())
    return np.frombuffer(out, _LIMBS).reshape(p, 4)


def _hash_fields_rows(rows: np.ndarray) -> np.ndarray:
    """`hash_fields` of every row of a (p, w, 4) limb array: one Poseidon up to 16 inputs, else
    the Poseidon of the Poseidons of the 16-chunks (each chunk position batched over all rows)."""
    w = rows.shape[1]
    if w <= POSEIDON_MAX_INPUTS:
        return _poseidon_rows(rows)
    chunks = [_poseidon_rows(rows[:, i:i + POSEIDON_MAX_INPUTS]) for i in range(0, w, POSEIDON_MAX_INPUTS)]
    assert len(chunks) <= POSEIDON_MAX_INPUTS
    return _poseidon_rows(np.stack(chunks, axis=1))


def _check_boxes(arr: np.ndarray) -> None:
    """Every bound in range, as `box.pack` asserts (a packed box must be 128 bits)."""
    if arr.size and not (0 <= arr[..., :2].min() and arr[..., :2].max() <= GRID_MAX
                         and FUNDING_MIN <= arr[..., 2:].min() and arr[..., 2:].max() <= FUNDING_MAX):
        raise ValueError("box bounds out of range")


def _pack_limbs(arr: np.ndarray) -> np.ndarray:
    """`box.pack` of every market box of a (..., M, 4) int64 array -> (..., M, 4) limbs.

    lo | hi << 16 | flo' << 32 | fhi' << 80 (flo', fhi' offset by 2^47) is 128 bits: the low
    limb takes lo, hi and the low 32 bits of flo', the next one the rest; the top two are 0."""
    lo, hi = arr[..., 0].astype(np.uint64), arr[..., 1].astype(np.uint64)
    flo, fhi = (arr[..., 2] + _F_OFF).astype(np.uint64), (arr[..., 3] + _F_OFF).astype(np.uint64)
    out = np.zeros((*arr.shape[:-1], 4), _LIMBS)
    out[..., 0] = lo | (hi << np.uint64(GRID_BITS)) | ((flo & np.uint64(0xFFFFFFFF)) << np.uint64(2 * GRID_BITS))
    out[..., 1] = (flo >> np.uint64(32)) | (fhi << np.uint64(FUNDING_BITS - 32))
    return out


def _intersect_groups(groups: np.ndarray) -> np.ndarray:
    """The box of each parent from its children's: (p, a, M, 4) -> (p, M, 4).

    Bounds 0 and 2 (lo, flo) are lower bounds (max over the children), 1 and 3 upper (min)."""
    out = groups.min(axis=1)
    out[..., 0::2] = groups[..., 0::2].max(axis=1)
    return out


def _pack_option_limbs(ogroups: np.ndarray) -> np.ndarray:
    """`box.pack_option` of every option box of a (..., 2M + 2) int64 array -> (..., 4) limbs
    (options presets only: small trees, packed through Python ints)."""
    flat = ogroups.reshape(-1, ogroups.shape[-1]).tolist()
    packed = [boxes.pack_option(boxes.option_from_flat(row)) for row in flat]
    return _to_limbs(packed).reshape(*ogroups.shape[:-1], 4)


def _box_tails(groups: np.ndarray, blinds: np.ndarray, ogroups: np.ndarray | None = None) -> np.ndarray:
    """What follows the a child hashes in each parent's preimage, from the children's boxes
    (p, a, M, 4), their option boxes ((p, a, 2M + 2), options presets) and the parents' blinds
    (p, 4): `box_commitment`, the `hash_fields` of the a*M (a*(M+1)) packed boxes and the
    blind -> (p, 1, 4) limbs."""
    p, a, m = groups.shape[:3]
    packed = _pack_limbs(groups)
    if ogroups is not None:
        packed = np.concatenate([packed, _pack_option_limbs(ogroups)[:, :, None, :]], axis=2)
        m += 1
    packed = packed.reshape(p, a * m, 4)
    if a * m >= POSEIDON_MAX_INPUTS:
        packed = _hash_fields_rows(packed)[:, None, :]
    return _poseidon_rows(np.concatenate([packed, blinds[:, None, :]], axis=1))[:, None, :]


def _node_hashes(child_hashes: np.ndarray, tails: np.ndarray) -> np.ndarray:
    """`node_hash` of p parents from their children's hashes (p, a, 4) and `_box_tails`."""
    return _poseidon_rows(np.concatenate([child_hashes, tails], axis=1))


def _distinct_sorted(xs: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (np.unique without the sort)."""
    keep = np.ones(len(xs), dtype=bool)
    keep[1:] = xs[1:] != xs[:-1]
    return xs[keep]


class BoxTree:
    """A dense a-ary Poseidon tree of depth D with per-node boxes and blinds.

    Level k holds a^(D-k) hashes (`node_limbs[k]`, (n, 4) limbs, see above), boxes
    (`boxes[k]`, (n, M, 4) int64) and blinds (`blinds[k]`, (n, 4) limbs; level 0: the salts). `update` recomputes one path; `build` hashes only the
    ancestors of non-empty leaves, level by level, each level in one batched native call."""

    def __init__(self, arity: int, depth: int, num_markets: int, options: bool = False):
        """The empty tree: every node of level k is the empty subtree's (`empty_hashes[k]`, FULL).
        `options`: nodes carry option boxes too (options presets, module docstring)."""
        assert arity in (2, 4) and depth >= 1
        self.arity, self.depth, self.num_markets = arity, depth, num_markets
        full = np.array(boxes.full(num_markets), dtype=np.int64)
        self.empty_blinds = self._empty_blinds(arity, depth)  # per level
        self.empty_hashes = self._empty_hashes(arity, depth, num_markets, options)  # per level
        self.full_option = np.array(boxes.option_flat(boxes.full_option(num_markets)), dtype=np.int64)
        self.oboxes: list[np.ndarray] | None = None if not options else [
            np.broadcast_to(self.full_option, (arity ** (depth - k), len(self.full_option))).copy()
            for k in range(depth + 1)]
        self.node_limbs: list[np.ndarray] = [
            np.tile(_to_limbs([self.empty_hashes[k]]), (arity ** (depth - k), 1)) for k in range(depth + 1)]
        self.boxes: list[np.ndarray] = [
            np.broadcast_to(full, (arity ** (depth - k), num_markets, 4)).copy()
            for k in range(depth + 1)]
        self.blinds: list[np.ndarray] = [
            np.tile(_to_limbs([self.empty_blinds[k]]), (arity ** (depth - k), 1)) for k in range(depth + 1)]

    # --- reading -------------------------------------------------------------------------
    @property
    def root(self) -> int:
        return self.hash_at(self.depth, 0)

    @property
    def root_box(self) -> Box:
        return self.box_at(self.depth, 0)

    @property
    def options(self) -> bool:
        return self.oboxes is not None

    @property
    def root_option_box(self):
        """The intersection of every leaf's option box (`box.OptionBounds`; options presets)."""
        return self.option_box_at(self.depth, 0)

    def option_box_at(self, level: int, index: int):
        return boxes.option_from_flat(self.oboxes[level][index].tolist())

    def _child_option_boxes(self, level: int, index: int):
        """The option boxes of node (level >= 1, index)'s children, or None (no options)."""
        if self.oboxes is None:
            return None
        return [self.option_box_at(level - 1, index * self.arity + i) for i in range(self.arity)]

    def hash_at(self, level: int, index: int) -> int:
        return _to_ints(self.node_limbs[level][index:index + 1])[0]

    def box_at(self, level: int, index: int) -> Box:
        return tuple(map(tuple, self.boxes[level][index].tolist()))

    def blind_at(self, level: int, index: int) -> int:
        return _to_ints(self.blinds[level][index:index + 1])[0]

    def box_commitment_at(self, level: int, index: int) -> int:
        """The box commitment in the preimage of node (level >= 1, index)."""
        a = self.arity
        children = [self.box_at(level - 1, index * a + i) for i in range(a)]
        return box_commitment(children, self.blind_at(level, index), self._child_option_boxes(level, index))

    def top(self, levels: int) -> tuple[list[int], list[int]]:
        """The tree's top `levels` levels as a batch proof carries them from write to write
        (circuits/settlement/tree.py `TreeTop`): the hashes of the a^levels nodes at height
        D - levels, and the box commitments of the nodes above, the root's first, then
        depth 1's a, and so on."""
        d, a = self.depth, self.arity
        hashes = [self.hash_at(d - levels, i) for i in range(a ** levels)]
        commits = [self.box_commitment_at(d - depth, i) for depth in range(levels) for i in range(a ** depth)]
        return hashes, commits

    def leaf(self, index: int) -> tuple[int, Box]:
        return self.hash_at(0, index), self.box_at(0, index)

    def path(self, index: int) -> list[PathLevel]:
        """The Merkle path of leaf `index` as its owner gets it, leaf level first: hashes only
        (module docstring)."""
        a, out = self.arity, []
        for k in range(self.depth):
            pos, base = index % a, index - index % a
            sib = [base + i for i in range(a) if i != pos]
            out.append(PathLevel(pos, tuple(_to_ints(self.node_limbs[k][sib])),
                                 self.box_commitment_at(k + 1, index // a)))
            index //= a
        return out

    def opening(self, index: int) -> list[OpeningLevel]:
        """The path of leaf `index` as the prover opens it (siblings' boxes and blinds too),
        leaf level first. For the batch witness only: never hand it to an owner."""
        a, out = self.arity, []
        for k in range(self.depth):
            pos, base = index % a, index - index % a
            sib = [base + i for i in range(a) if i != pos]
            out.append(OpeningLevel(pos, tuple(_to_ints(self.node_limbs[k][sib])),
                                    tuple(self.box_at(k, s) for s in sib),
                                    tuple(_to_ints(self.blinds[k][sib])),
                                    () if self.oboxes is None else tuple(self.option_box_at(k, s) for s in sib)))
            index //= a
        return out

    # --- writing -------------------------------------------------------------------------
    def update(self, index: int, leaf_hash: int, leaf_box: Box, leaf_salt: int = 0, option_box=None) -> None:
        """Write one leaf and recompute its path: D box intersections, D node hashes, and D
        blind hashes when the salt changes (a registration: a leaf keeps its salt).

        A node's box commitment (`_box_tails`) depends on boxes and blinds only. So the
        path's boxes are intersected first, the D box tails hashed in one batch (with 4
        markets the expensive Poseidon(16) of each level, which the extension runs in
        parallel), and only the short Poseidons over the child hashes are sequential.
        `option_box`: the leaf's `box.OptionBounds` (options presets; None: the full one)."""
        a, m = self.arity, self.num_markets
        box = np.asarray(leaf_box, dtype=np.int64).reshape(m, 4)
        _check_boxes(box)
        self.node_limbs[0][index] = _to_limbs([leaf_hash])[0]
        self.boxes[0][index] = box
        parents = [index // a ** (k + 1) for k in range(self.depth)]
        salt = _to_limbs([leaf_salt])[0]
        if (self.blinds[0][index] != salt).any():
            self.blinds[0][index] = salt
            for k, p in enumerate(parents):
                self.blinds[k + 1][p] = _poseidon_rows(self.blinds[k][p * a:(p + 1) * a][None])[0]
        groups, ogroups = [], []
        if self.oboxes is not None:
            self.oboxes[0][index] = self._option_row(option_box)
        for k, p in enumerate(parents):
            groups.append(self.boxes[k][p * a:(p + 1) * a])
            self.boxes[k + 1][p] = _intersect_groups(groups[-1][None])[0]
            if self.oboxes is not None:
                ogroups.append(self.oboxes[k][p * a:(p + 1) * a])
                self.oboxes[k + 1][p] = _intersect_groups(ogroups[-1][None])[0]
        tails = _box_tails(np.stack(groups), np.stack([self.blinds[k + 1][p] for k, p in enumerate(parents)]),
                           np.stack(ogroups) if ogroups else None)
        for k, p in enumerate(parents):
            children = self.node_limbs[k][p * a:(p + 1) * a]
            self.node_limbs[k + 1][p] = _node_hashes(children[None], tails[k:k + 1])[0]

    def _option_row(self, option_box) -> np.ndarray:
        row = self.full_option if option_box is None else np.array(boxes.option_flat(option_box), dtype=np.int64)
        boxes.pack_option(boxes.option_from_flat(row.tolist()))  # asserts the bounds' widths
        return row

    @classmethod
    def build(cls, arity: int, depth: int, num_markets: int,
              leaves: Iterable[tuple] | None = None,
              leaf_hashes: list[int] | None = None, leaf_boxes: np.ndarray | None = None,
              leaf_salts: list[int] | None = None, options: bool = False) -> "BoxTree":
        """Hash a whole tree from scratch, level by level.

        Either `leaves` = (index, hash, box[, salt[, option box]]) for the non-empty leaves (a
        later entry for the same index wins; salt 0 if left out, the option box full), or the
        dense level 0 as `leaf_hashes` (a^D ints), `leaf_boxes` ((a^D, M, 4) int64 array) and
        `leaf_salts` (a^D ints, or 0s). `options`: the tree carries option boxes."""
        t = cls(arity, depth, num_markets, options)
        n = arity ** depth
        if leaf_hashes is None:
            latest = {entry[0]: (entry[1], entry[2], entry[3] if len(entry) > 3 else 0,
                                 entry[4] if len(entry) > 4 else None) for entry in leaves or ()}
            idx = np.fromiter(latest, dtype=np.int64, count=len(latest))
            leaf_boxes = np.array([b for _, b, _, _ in latest.values()], dtype=np.int64).reshape(-1, num_markets, 4)
            _check_boxes(leaf_boxes)
            t.node_limbs[0][idx] = _to_limbs([h for h, _, _, _ in latest.values()])
            t.boxes[0][idx] = leaf_boxes
            t.blinds[0][idx] = _to_limbs([s for _, _, s, _ in latest.values()])
            if options:
                for i, (_, _, _, o) in zip(idx.tolist(), latest.values()):
                    t.oboxes[0][i] = t._option_row(o)
        else:
            assert len(leaf_hashes) == n and leaf_boxes.shape == (n, num_markets, 4)
            _check_boxes(leaf_boxes)
            t.node_limbs[0][:] = _to_limbs(leaf_hashes)
            t.boxes[0][:] = leaf_boxes
            if leaf_salts is not None:
                t.blinds[0][:] = _to_limbs(leaf_salts)
        t._rehash_above(t._nonempty(0))
        return t

    def _nonempty(self, level: int) -> np.ndarray:
        """Indices of the nodes of `level` that differ from the empty subtree's (hash, box or blind)."""
        empty_hash = _to_limbs([self.empty_hashes[level]])[0]
        empty_blind = _to_limbs([self.empty_blinds[level]])[0]
        full = np.array(boxes.full(self.num_markets), dtype=np.int64)
        differs = (self.node_limbs[level] != empty_hash).any(axis=1) | (self.boxes[level] != full).any(axis=(1, 2)) \
            | (self.blinds[level] != empty_blind).any(axis=1)
        if self.oboxes is not None:
            differs |= (self.oboxes[level] != self.full_option).any(axis=1)
        return np.flatnonzero(differs)

    def _rehash_above(self, changed: np.ndarray) -> None:
        """Recompute every ancestor of the nodes `changed` (sorted distinct indices of level 0),
        a level per batch.

        Every other node keeps its value, which for a subtree of empty leaves is the empty
        subtree's: its children are all empty, so its hash is `empty_hashes[k]` by definition.
        A tree with n accounts hashes about n/(a-1) + D nodes when the accounts are numbered
        from 0 (the state hands ids out in order), at most n * D wherever they lie, and never
        more than the (a^D - 1)/(a - 1) of a dense tree."""
        a, m = self.arity, self.num_markets
        for k in range(self.depth):
            if len(changed) == 0:
                return
            parents = _distinct_sorted(changed // a)
            n_par = len(self.node_limbs[k + 1])
            groups = self.boxes[k].reshape(n_par, a, m, 4)
            children = self.node_limbs[k].reshape(n_par, a, 4)
            child_blinds = self.blinds[k].reshape(n_par, a, 4)
            ogroups = None if self.oboxes is None else self.oboxes[k].reshape(n_par, a, -1)
            if len(parents) < n_par:  # else all of them: the views need no gather
                groups, children, child_blinds = groups[parents], children[parents], child_blinds[parents]
                ogroups = None if ogroups is None else ogroups[parents]
            self.boxes[k + 1][parents] = _intersect_groups(groups)
            if ogroups is not None:
                self.oboxes[k + 1][parents] = _intersect_groups(ogroups)
            blinds = _poseidon_rows(child_blinds)
            self.blinds[k + 1][parents] = blinds
            self.node_limbs[k + 1][parents] = _node_hashes(children, _box_tails(groups, blinds, ogroups))
            changed = parents

    @staticmethod
    def _empty_blinds(arity: int, depth: int) -> list[int]:
        out = [EMPTY_LEAF_SALT]
        for _ in range(depth):
            out.append(blind_hash([out[-1]] * arity))
        return out

    @classmethod
    def _empty_hashes(cls, arity: int, depth: int, num_markets: int, options: bool = False) -> list[int]:
        blinds, out = cls._empty_blinds(arity, depth), [EMPTY_LEAF_HASH]
        full_o = [boxes.full_option(num_markets)] * arity if options else None
        for k in range(depth):
            out.append(node_hash([out[-1]] * arity, [boxes.full(num_markets)] * arity, blinds[k + 1], full_o))
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
