"""One leaf write of the state tree, as a circuit: old path -> old root, new path -> new root.

The witness of a write (`spec.state.LeafUpdate`) is the leaf's old data and box, and per
level of its path the siblings' hashes, packed boxes and blinds, the old packed box of the
path's own node and the node's blind (`spec.tree`: a node's box commitment hashes its
children's boxes and its blind). The gadget

1. recomputes the old root from the old leaf hash, the old boxes along the path, the
   siblings and the blinds (`spec.tree.node_hash` per level) and asserts it is the current
   root (in the batch: its top levels against the carried top, below): that binds every sibling hash and box, every old path box and every blind to what
   the tree commits to (a box commitment is a Poseidon hash: binding whatever the blind);
2. recomputes the new root from the new leaf hash and box with the same siblings and
   blinds, where the box of each new path node is the intersection (per market: max of the
   lower bounds, min of the upper bounds) of its children's boxes, the siblings' boxes
   unpacked from their (now bound) packed form: every bound but the top one range checked,
   the top one pinned by its comparison (`unpack_committed_entry`). The new children of a
   level are its old ones plus the position's selectors times the change (`_Placement`).

Why old path boxes and blinds may be witness values: by induction over proved writes, every
node box the tree commits to is the intersection of its children's boxes (step 2 computes
each new one so). The old root binds the old path boxes, so they are those intersections;
nothing needs recomputing on the old side. A blind changes only with a leaf's salt, which
only a registration sets (every other write carries the leaf's salt over: `Leaf.salt`), so
the blinds of step 1 are those of step 2. The new root's box (the intersection of all leaf
boxes) comes out of step 2 at the top level; the batch's closing write hands it to the
root-box check (`spec.margin` explains why that proves every account above maintenance
margin).

A write that keeps the leaf's box and salt (most writes: `spec.transition` changes boxes
only in touches, liquidations and the closing write) skips step 2's intersections: every
box commitment stays as it was, and each level costs its two node hashes (level 1's box
commitment is opened once, to bind the leaf's box, which the caller checks).

A registration keeps every box (an empty leaf's is FULL, a new account's too) but changes
the leaf's salt from 0 to the new one, and so every blind up the path: per level it takes
the siblings' blinds, recomputes the old blind (binding them) and the new one, and hashes
the level's box commitment (boxes unchanged) with each.

A disabled write (a no-op slot) asserts nothing and leaves the root as it was.

The batch never hashes a write's path to the root: it carries the tree's top T levels from
write to write (`TreeTop`: the hashes of the a^T nodes at height D - T and the box
commitments above), opened once against the old root and hashed once into the new one. A
write hashes its path up to height D - T, checks its node there against the carried hash
and replaces it (a box-changing write or a registration does the same with its nodes' box
commitments above). At T = 3 and arity 4 that is a selection and an update among 64 values
(~190 constraints) for the six node hashes (~1,900) of the top three levels.

Options presets (K > 0): every node's box has one more packed element after its M market
boxes, its option box (vol and time bounds, `spec.box.pack_option`; `spec.tree`). The gadgets
treat it as box entry M: packed, unpacked (one (32 M + 80)-bit decomposition; a sibling's, its
low 32 M + 40 bits) and intersected
(max of lower, min of upper bounds) like a market box, so the root's option box comes out of
the closing write's path next to the root's box. K = 0 has M entries: unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import assert_bool, from_bits, to_bits
from circuits.gadgets.comparators import less_than
from circuits.gadgets.merkle import _place, insert, position_selectors
from circuits.gadgets.mux import mux, select
from prover.field import R
from sequencer.spec import box as spec_box
from sequencer.spec.constants import FUNDING_BITS, GRID_BITS, Preset

from .arith import assert_equal_when
from .common import (blind_hash, box_commitment, node_hash, node_hash_from, node_hash_pair_from, pack_market_box,
                     pack_option_box, unpack_market_box, unpack_option_box)

FULL_PACKED = spec_box.pack(spec_box.FULL_MARKET)
_FUNDING_SHIFT = 1 << (FUNDING_BITS - 1)
_MARKET_WIDTHS = [GRID_BITS, GRID_BITS, FUNDING_BITS, FUNDING_BITS]  # lo, hi, flo, fhi as `spec_box.pack` lays them


# --- the tree's top, threaded through the batch -------------------------------------------------
TOP_LEVELS = 3  # levels at the top of the tree that the batch threads instead of hashing per write


def top_levels(preset: Preset) -> int:
    """T: the top levels of the tree the batch carries as values (`TreeTop`), at most D - 1."""
    return min(TOP_LEVELS, preset.depth - 1)


@dataclass
class TreeTop:
    """The top T levels of the state tree as the batch carries them from write to write: the
    hashes of the a^T nodes at height D - T, and per depth l < T the box commitments of the
    a^l nodes at height D - l (commits[0] is the root's). The root is the hash of these
    (`top_root`), computed once for the old root and once for the new.

    Why: every write's old and new root differ only along its path, and no root between two
    writes of a batch is ever published; a write that checks its node at height D - T
    against `hashes` (and, changing boxes or blinds, its commitments above against
    `commits`) and replaces them proves the same as one that hashes its path to the root
    and compares roots, without the two node hashes per top level (collision resistance:
    the batch's old root opens to the carried values, and each write keeps them the
    values of the tree as it stands, by induction). Each write pays one selection of its
    node among a^T values and one update of each (about 2 a^T constraints) instead of
    two Poseidon(a + 1) a level."""

    hashes: list
    commits: list


def declare_top(c: Circuit, preset: Preset) -> TreeTop:
    """The old tree's top as private inputs `top.hash[a^T]`, `top.commit[(a^T - 1) / (a - 1)]`
    (depth 0's commitment first, then depth 1's a, ...)."""
    t, a = top_levels(preset), preset.arity
    hashes = c.private_input("top.hash", a ** t)
    flat = c.private_input("top.commit", (a ** t - 1) // (a - 1))
    commits, at = [], 0
    for depth in range(t):
        commits.append([LC.of(x) for x in flat[at:at + a ** depth]])
        at += a ** depth
    return TreeTop([LC.of(x) for x in hashes], commits)


def top_root(c: Circuit, preset: Preset, top: TreeTop) -> LC:
    """The tree root of a top: node hashes from height D - T up (`spec.tree.node_hash`)."""
    a = preset.arity
    level = list(top.hashes)
    for depth in reversed(range(len(top.commits))):
        level = [node_hash_from(c, level[i * a:(i + 1) * a], top.commits[depth][i]) for i in range(a ** depth)]
    return level[0]


def _one_hot(c: Circuit, bits: list) -> list:
    """e_v = (the bits, LSB first, spell v): per pair of bits `position_selectors`, combined
    with the selectors so far by products, the last of each group by difference (a pair's
    selectors sum to 1): 6 bits cost 63 constraints."""
    out = [LC.of(1)]
    for i in range(0, len(bits), 2):
        chunk = bits[i:i + 2]
        sel = position_selectors(c, chunk, 1 << len(chunk))
        groups = [[c.mul(s, x) for x in out] for s in sel[:-1]]
        last = [LC.of(x) - sum((g[k] for g in groups), LC()) for k, x in enumerate(out)]
        out = [e for g in groups + [last] for e in g]
    return out


def _swap(c: Circuit, enabled, entries: list, bits: list, old, new) -> list:
    """enabled => entries[v] == old (v spelled by the bits); returns the entries with entry v
    replaced by new when enabled, unchanged otherwise (each a fresh signal)."""
    picked = mux(c, bits, entries) if bits else entries[0]
    assert_equal_when(c, enabled, picked, old)
    if not bits:
        return [c.mul(enabled, LC.of(new) - LC.of(old), plus=entries[0])]
    delta = c.mul(enabled, LC.of(new) - LC.of(old))
    return [c.mul(e, delta, plus=x) for e, x in zip(_one_hot(c, bits), entries)]


def _top_bits(index_bits: list, preset: Preset, height: int) -> list:
    """The bits of the index of the path's node at `height` (D - T <= height <= D) among its level."""
    k = preset.arity.bit_length() - 1
    return list(index_bits[k * height:k * preset.depth])


def top_swap_hash(c: Circuit, preset: Preset, enabled, top: TreeTop, index_bits: list, old, new) -> TreeTop:
    """enabled => the path's node at height D - T hashes to `old` in the top; it becomes `new`."""
    bits = _top_bits(index_bits, preset, preset.depth - len(top.commits))
    return TreeTop(_swap(c, enabled, top.hashes, bits, old, new), top.commits)


def top_swap_commit(c: Circuit, preset: Preset, enabled, top: TreeTop, index_bits: list, height: int, old,
                    new) -> TreeTop:
    """enabled => the box commitment of the path's node at `height` (> D - T) is `old` in the
    top; it becomes `new`."""
    depth = preset.depth - height
    commits = list(top.commits)
    commits[depth] = _swap(c, enabled, top.commits[depth], _top_bits(index_bits, preset, height), old, new)
    return TreeTop(top.hashes, commits)


def box_width(preset: Preset) -> int:
    """The packed elements of one node's box: M market boxes, and an option box on options presets."""
    return preset.num_markets + (1 if preset.option_slots else 0)


def full_packed(preset: Preset) -> list[int]:
    """The packed box entries of an empty leaf (and of a flat account): everything allowed."""
    out = [FULL_PACKED] * preset.num_markets
    if preset.option_slots:
        out.append(spec_box.pack_option(spec_box.full_option(preset.num_markets)))
    return out


def full_parts(preset: Preset) -> list:
    """`full_packed`, unpacked (entry M: the option box's flat bounds)."""
    out = [spec_box.FULL_MARKET] * preset.num_markets
    if preset.option_slots:
        out.append(spec_box.option_flat(spec_box.full_option(preset.num_markets)))
    return out


def unpack_entry(c: Circuit, preset: Preset, j: int, packed):
    """Box entry j unpacked: a market box (lo, hi, flo, fhi), or (j = M) the option box's flat bounds."""
    if j < preset.num_markets:
        return unpack_market_box(c, packed)
    return unpack_option_box(c, packed, preset.num_markets)


def _entry_widths(preset: Preset, j: int) -> list[int]:
    """The bit widths of box entry j's bounds, low to high (as packed)."""
    return _MARKET_WIDTHS if j < preset.num_markets else spec_box.option_widths(preset.num_markets)


def committed_low_bits(preset: Preset, j: int) -> int:
    """The bits `unpack_committed_entry` range checks in box entry j: all its bounds but the top one."""
    return sum(_entry_widths(preset, j)[:-1])


@gadget
def unpack_committed_entry(c: Circuit, preset: Preset, j: int, packed):
    """`unpack_entry` of a box entry that a tree commitment binds (a sibling's, opened against
    the old root), its top bound left to the caller: every bound but the top one from a range
    checked decomposition of the low bits, the top one (packed - low) / 2^low_bits (linear).
    Box entry j = M: the option box's flat bounds. Costs the low bits only (80 of a market
    box's 128).

    Why the top bound needs no range check of its own, as long as the caller compares it with
    an in-range value (`intersect`, `intersect_option`: each sibling's top bound, an upper
    bound, goes through `_min` with the running bound, range checked or a selection of range
    checked values): by induction over proved writes every box the tree commits to is a valid
    packing, packed = low_t + 2^L top_t with low_t < 2^L and top_t < 2^w (L low bits, w the top
    bound's width). A decomposition the prover chooses has low < 2^L (its bits) and so
    top = top_t + (low_t - low) / 2^L in the field; the comparison asserts cur - top + 2^w in
    [0, 2^(w+1)) for cur < 2^w, so |top - top_t| < 2^(w+1) as an integer, and then
    2^L (top - top_t) = low_t - low holds over the integers (both sides are far below r:
    2^(L+w+1) <= 2^241), where |low_t - low| < 2^L forces low = low_t and top = top_t. Every
    bound is the committed one. (A wrong low part shifts the top bound by a multiple of
    2^-L mod r, a huge field element that no comparison passes:
    tests/circuits/test_box_write.py forges them.)"""
    widths = _entry_widths(preset, j)
    n = sum(widths[:-1])
    bits = c.hint(lambda v: [(v >> i) & 1 for i in range(n)], packed, n=n,
                  names=[f"{c.gadget_path}.bits[{i}]" for i in range(n)])
    for b in bits:
        assert_bool(c, b)
    parts, at = [], 0
    for w in widths[:-1]:
        parts.append(from_bits(c, bits[at:at + w]))
        at += w
    parts.append((LC.of(packed) - from_bits(c, bits)) * pow(2, -n, R))
    if j < preset.num_markets:  # funding bounds are packed offset to unsigned
        lo, hi, flo, fhi = parts
        return lo, hi, flo - _FUNDING_SHIFT, fhi - _FUNDING_SHIFT
    return parts


def pack_entry(preset: Preset, j: int, parts) -> LC:
    if j < preset.num_markets:
        return pack_market_box(*parts)
    return pack_option_box(parts)


def intersect_entry(c: Circuit, preset: Preset, j: int, entries: list):
    if j < preset.num_markets:
        return intersect(c, entries)
    return intersect_option(c, entries, spec_box.option_widths(preset.num_markets))


@gadget
def intersect_option(c: Circuit, flats: list, widths: list) -> list:
    """Intersection of option boxes as flat bounds: max of the lower (even places), min of the upper.
    Every bound of every box after the first goes through a comparison with the running one
    (`unpack_committed_entry` relies on it for the siblings' top bounds)."""
    out = list(flats[0])
    for other in flats[1:]:
        out = [(_max if i % 2 == 0 else _min)(c, a, b, w) for i, (a, b, w) in enumerate(zip(out, other, widths))]
    return out


@dataclass
class PathWitness:
    """The inputs of one write's path (declared by `declare_path`).

    A write that changes the leaf's box needs every level's boxes (`sib_box`, `node_box`)
    and blinds (`blind[k]`: the blind of the path's node at level k + 1). One that keeps box
    and salt needs level 0's boxes (the leaf's, checked against the account, and its
    siblings') and level 1's blind, to open level 1's box commitment, and above, each
    level's box commitment as it stands (`box_commit[k - 1]` for level k + 1). A
    registration needs every level's boxes and the siblings' blinds (`sib_blind`)."""

    sib_hash: list  # [level][a - 1]
    sib_box: list  # [level][a - 1][market], packed (keep: level 0 only)
    node_box: list  # [level][market], packed old box of the path's node (keep: level 0 only)
    blind: list | None = None  # [level], the blind of the parent (keep: level 0 only; registration: none)
    box_commit: list | None = None  # keep: [level - 1], the box commitments of the nodes of levels 2..D
    sib_blind: list | None = None  # registration: [level][a - 1], the siblings' blinds

    @property
    def leaf_box(self) -> list:
        return self.node_box[0]


def declare_path(c: Circuit, prefix: str, preset: Preset, keep_box: bool = False,
                 register: bool = False) -> PathWitness:
    d, a, m = preset.depth, preset.arity, box_width(preset)
    hashed = d - top_levels(preset)  # the levels below the batch's threaded top (`TreeTop`)
    keep = keep_box and not register
    rows = 1 if keep else d
    return PathWitness(
        sib_hash=c.private_input(f"{prefix}.sib_hash", (hashed, a - 1)),
        sib_box=c.private_input(f"{prefix}.sib_box", (rows, a - 1, m)),
        node_box=c.private_input(f"{prefix}.node_box", (rows, m)),
        blind=None if register else c.private_input(f"{prefix}.blind", rows),
        box_commit=(c.private_input(f"{prefix}.box_commit", hashed - 1) if hashed > 1 else []) if keep else None,
        sib_blind=c.private_input(f"{prefix}.sib_blind", (d, a - 1)) if register else None,
    )


def position_bits(index_bits: list, preset: Preset) -> list[list]:
    """Per level, the bits of the path node's position among its siblings (LSB first)."""
    k = preset.arity.bit_length() - 1
    return [index_bits[i * k:(i + 1) * k] for i in range(preset.depth)]


class _Placement:
    """The children of one level of a box-changing write, old and new: the path's node (old
    value, new value) inserted among the siblings at the level's position. The position's
    selectors are made once per level; the new children are the old ones plus the one-hot
    selectors times (new - old), which costs a - 1 products instead of a fresh placement's
    (arity 4: 3 against 6; arity 2: 1, as `_place`)."""

    def __init__(self, c: Circuit, bits: list, arity: int):
        self.c, self.bits, self.arity = c, bits, arity
        if arity == 4:
            b0, b1 = bits
            b01 = c.mul(b0, b1)
            self.onehot = [1 - LC.of(b0) - b1 + b01, LC.of(b0) - b01, LC.of(b1) - b01, LC.of(b01)]  # p == 0..3

    def _old(self, own: LC, others: list) -> list:
        if self.arity == 2:
            return _place(self.c, own, self.bits, others[0], 2)
        c = self.c
        s0, s1, s2 = (LC.of(x) for x in others)
        e0, e1, e2, e3 = self.onehot
        return [s0 + c.mul(e0, own - s0), s1 + c.mul(e0, s0 - s1) + c.mul(e1, own - s1),
                s1 + c.mul(e2, own - s1) + c.mul(e3, s2 - s1), s2 + c.mul(e3, own - s2)]

    def pair(self, old, new, others: list) -> tuple[list, list]:
        """(old children, new children) of the level."""
        old, delta = LC.of(old), LC.of(new) - LC.of(old)
        children = self._old(old, list(others))
        if self.arity == 2:  # the bit set: the node is child 1
            d1 = self.c.mul(self.bits[0], delta)
            moved = [delta - d1, d1]
        else:
            moved = [self.c.mul(e, delta) for e in self.onehot[:3]]
            moved.append(delta - moved[0] - moved[1] - moved[2])  # the selectors sum to 1
        return children, [x + d for x, d in zip(children, moved)]


def _max(c: Circuit, a, b, n: int) -> LC:
    return select(c, less_than(c, a, b, n), b, a)


def _min(c: Circuit, a, b, n: int) -> LC:
    return select(c, less_than(c, a, b, n), a, b)


@gadget
def intersect(c: Circuit, market_boxes: list) -> tuple:
    """Per-market intersection of unpacked boxes (lo, hi, flo, fhi): max lo, min hi, max flo,
    min fhi. Funding bounds are compared shifted to unsigned 48-bit values. Every bound of every
    box after the first goes through a comparison with the running one, even where the first
    is a constant (`unpack_committed_entry` relies on it for the siblings' top bounds)."""
    lo, hi, flo, fhi = market_boxes[0]
    flo, fhi = LC.of(flo) + _FUNDING_SHIFT, LC.of(fhi) + _FUNDING_SHIFT
    for b_lo, b_hi, b_flo, b_fhi in market_boxes[1:]:
        lo = _max(c, lo, b_lo, GRID_BITS)
        hi = _min(c, hi, b_hi, GRID_BITS)
        flo = _max(c, flo, LC.of(b_flo) + _FUNDING_SHIFT, FUNDING_BITS)
        fhi = _min(c, fhi, LC.of(b_fhi) + _FUNDING_SHIFT, FUNDING_BITS)
    return lo, hi, flo - _FUNDING_SHIFT, fhi - _FUNDING_SHIFT


@gadget
def leaf_write(c: Circuit, preset: Preset, enabled, top: TreeTop, index_bits: list, old_hash, new_hash,
               new_box: list, path: PathWitness, want_root_box: bool = False, new_salt=None):
    """Write one leaf: enabled => the old leaf (hash `old_hash`, box path.node_box[0]) is at
    the index under the tree whose top is `top`. Returns (the top after the write, the new
    root's box or None). The path's levels below the top hash the old and new nodes; at the
    top levels the write checks and replaces its node's values in `top` (`TreeTop`).

    `new_box` is the leaf's new box per market, unpacked (lo, hi, flo, fhi), and on options
    presets its option box's flat bounds after them, already range checked by the caller
    (`unpack_entry` does it), or None when the write keeps the
    leaf's box: then no node box changes, and each level costs the two node hashes only.
    A registration (a path declared with `register=True`) keeps the boxes and writes the
    salt `new_salt` over the empty leaf's 0."""
    if path.sib_blind is not None:
        assert new_box is None and new_salt is not None
        return _register_write(c, preset, enabled, top, index_bits, old_hash, new_hash, new_salt, path), None
    if new_box is None:
        return _keep_box_write(c, preset, enabled, top, index_bits, old_hash, new_hash, path), None
    a, m = preset.arity, box_width(preset)
    hashed = preset.depth - top_levels(preset)
    levels = position_bits(index_bits, preset)
    old, new = LC.of(old_hash), LC.of(new_hash)
    cur_box = list(new_box)  # unpacked new box of the path node, per market
    for k, bits in enumerate(levels):
        with c.scope("level"):
            last = k == len(levels) - 1

            placement = _Placement(c, bits, a)
            new_packed = [pack_entry(preset, j, cur_box[j]) for j in range(m)]
            old_boxes, new_boxes = [], []
            for j in range(m):
                old_placed, new_placed = placement.pair(path.node_box[k][j], new_packed[j],
                                                        [path.sib_box[k][s][j] for s in range(a - 1)])
                old_boxes.append(old_placed)
                new_boxes.append(new_placed)
            old_packed = [old_boxes[j][i] for i in range(a) for j in range(m)]
            new_packed = [new_boxes[j][i] for i in range(a) for j in range(m)]
            if k < hashed:
                old_children, new_children = placement.pair(old, new, path.sib_hash[k])
                old = node_hash(c, old_children, old_packed, path.blind[k])
                new = node_hash(c, new_children, new_packed, path.blind[k])
                if k == hashed - 1:
                    top = top_swap_hash(c, preset, enabled, top, index_bits, old, new)
            else:  # a top level: the node's box commitment, old and new, in the top
                top = top_swap_commit(c, preset, enabled, top, index_bits, k + 1,
                                      box_commitment(c, old_packed, path.blind[k]),
                                      box_commitment(c, new_packed, path.blind[k]))
            if not last or want_root_box:
                sib_unpacked = [[unpack_committed_entry(c, preset, j, path.sib_box[k][s][j]) for j in range(m)]
                                for s in range(a - 1)]
                cur_box = [intersect_entry(c, preset, j, [cur_box[j]] + [sib_unpacked[s][j] for s in range(a - 1)])
                           for j in range(m)]
    return top, (cur_box if want_root_box else None)


def _keep_box_write(c: Circuit, preset: Preset, enabled, top: TreeTop, index_bits: list, old_hash, new_hash,
                    path: PathWitness) -> TreeTop:
    """A write that keeps the leaf's box and salt: every level's box commitment is the same
    on both sides. Level 1's is computed from the leaf's and its siblings' packed boxes and
    level 1's blind (binding the leaf's box, which the caller checks the account against);
    above, the old ones are witnesses bound by the old root. Each level costs two
    Poseidon(a + 1), the second sharing the first's first-round S-boxes but the own child's
    (`poseidon_pair_placed`), and one placement of the children (the old ones; the new
    differ only at the position). The top levels cost nothing but the swap of the node at
    height D - T (no box commitment there changes)."""
    a, m = preset.arity, box_width(preset)
    hashed = preset.depth - top_levels(preset)
    old, new = LC.of(old_hash), LC.of(new_hash)
    for k, bits in enumerate(position_bits(index_bits, preset)[:hashed]):
        with c.scope("level"):
            sel = position_selectors(c, bits, a)

            def place(own, others):
                return insert(c, own, list(others) if a > 2 else others[0], bits, sel, a)

            if k == 0:
                placed = [place(LC.of(path.node_box[0][j]), [path.sib_box[0][s][j] for s in range(a - 1)])
                          for j in range(m)]
                commitment = box_commitment(c, [placed[j][i] for i in range(a) for j in range(m)], path.blind[0])
            else:
                commitment = path.box_commit[k - 1]
            # the old and new node hashes: the same children but the own one, placed once
            old, new = node_hash_pair_from(c, place(old, path.sib_hash[k]), commitment, sel, new)
    return top_swap_hash(c, preset, enabled, top, index_bits, old, new)


def _register_write(c: Circuit, preset: Preset, enabled, top: TreeTop, index_bits: list, old_hash, new_hash,
                    new_salt, path: PathWitness) -> TreeTop:
    """A registration: the boxes stay, the leaf's blind goes from 0 (an empty leaf's salt)
    to `new_salt`, and with it every blind up the path. Per level: the old and new blind
    from the siblings' (the old one binds them, through the old root), the level's packed
    boxes placed once, and the box commitment and node hash on each side (at the top levels,
    the box commitment on each side, swapped in the top)."""
    a, m = preset.arity, box_width(preset)
    hashed = preset.depth - top_levels(preset)
    old, new = LC.of(old_hash), LC.of(new_hash)
    old_blind, new_blind = LC.of(0), LC.of(new_salt)
    for k, bits in enumerate(position_bits(index_bits, preset)):
        with c.scope("level"):
            def place(own, others):
                return _place(c, own, bits, list(others) if a > 2 else others[0], a)

            old_blind = blind_hash(c, place(old_blind, path.sib_blind[k]))
            new_blind = blind_hash(c, place(new_blind, path.sib_blind[k]))
            placed = [place(LC.of(path.node_box[k][j]), [path.sib_box[k][s][j] for s in range(a - 1)])
                      for j in range(m)]
            packed = [placed[j][i] for i in range(a) for j in range(m)]
            if k < hashed:
                old = node_hash(c, place(old, path.sib_hash[k]), packed, old_blind)
                new = node_hash(c, place(new, path.sib_hash[k]), packed, new_blind)
                if k == hashed - 1:
                    top = top_swap_hash(c, preset, enabled, top, index_bits, old, new)
            else:
                top = top_swap_commit(c, preset, enabled, top, index_bits, k + 1, box_commitment(c, packed, old_blind),
                                      box_commitment(c, packed, new_blind))
    return top


def old_leaf_box_is_full(c: Circuit, enabled, path: PathWitness, preset: Preset) -> None:
    """enabled => the old leaf box is the full range (an empty leaf's)."""
    for j, full in enumerate(full_packed(preset)):
        assert_equal_when(c, enabled, path.leaf_box[j], full)


@gadget
def declare_box(c: Circuit, prefix: str, preset: Preset) -> tuple[list, list]:
    """A leaf's new box as packed inputs, unpacked (and so range checked): (packed, parts)
    (on options presets the option box is entry M)."""
    packed = c.private_input(f"{prefix}.box", box_width(preset))
    return packed, [unpack_entry(c, preset, j, x) for j, x in enumerate(packed)]


def index_bits_of(c: Circuit, enabled, index, preset: Preset) -> list:
    """The account_bits bits of enabled * index: enabled => index < capacity."""
    return to_bits(c, c.mul(enabled, index), preset.account_bits)
