"""One leaf write of the state tree, as a circuit: old path -> old root, new path -> new root.

The witness of a write (`spec.state.LeafUpdate`) is the leaf's old data and box, and per
level of its path the siblings' hashes, packed boxes and blinds, the old packed box of the
path's own node and the node's blind (`spec.tree`: a node's box commitment hashes its
children's boxes and its blind). The gadget

1. recomputes the old root from the old leaf hash, the old boxes along the path, the
   siblings and the blinds (`spec.tree.node_hash` per level) and asserts it is the current
   root: that binds every sibling hash and box, every old path box and every blind to what
   the tree commits to (a box commitment is a Poseidon hash: binding whatever the blind);
2. recomputes the new root from the new leaf hash and box with the same siblings and
   blinds, where the box of each new path node is the intersection (per market: max of the
   lower bounds, min of the upper bounds) of its children's boxes, the siblings' boxes
   unpacked from their (now bound) packed form.

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

Options presets (K > 0): every node's box has one more packed element after its M market
boxes, its option box (vol and time bounds, `spec.box.pack_option`; `spec.tree`). The gadgets
treat it as box entry M: packed, unpacked (one (32 M + 80)-bit decomposition) and intersected
(max of lower, min of upper bounds) like a market box, so the root's option box comes out of
the closing write's path next to the root's box. K = 0 has M entries: unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import to_bits
from circuits.gadgets.comparators import less_than
from circuits.gadgets.merkle import _place, insert, position_selectors
from circuits.gadgets.mux import select
from sequencer.spec import box as spec_box
from sequencer.spec.constants import FUNDING_BITS, GRID_BITS, Preset

from .arith import assert_equal_when
from .common import (blind_hash, box_commitment, node_hash, node_hash_pair_from, pack_market_box,
                     pack_option_box, unpack_market_box, unpack_option_box)

FULL_PACKED = spec_box.pack(spec_box.FULL_MARKET)
_FUNDING_SHIFT = 1 << (FUNDING_BITS - 1)


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
    """Intersection of option boxes as flat bounds: max of the lower (even places), min of the upper."""
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
    keep = keep_box and not register
    rows = 1 if keep else d
    return PathWitness(
        sib_hash=c.private_input(f"{prefix}.sib_hash", (d, a - 1)),
        sib_box=c.private_input(f"{prefix}.sib_box", (rows, a - 1, m)),
        node_box=c.private_input(f"{prefix}.node_box", (rows, m)),
        blind=None if register else c.private_input(f"{prefix}.blind", rows),
        box_commit=c.private_input(f"{prefix}.box_commit", d - 1) if keep else None,
        sib_blind=c.private_input(f"{prefix}.sib_blind", (d, a - 1)) if register else None,
    )


def position_bits(index_bits: list, preset: Preset) -> list[list]:
    """Per level, the bits of the path node's position among its siblings (LSB first)."""
    k = preset.arity.bit_length() - 1
    return [index_bits[i * k:(i + 1) * k] for i in range(preset.depth)]


def _max(c: Circuit, a, b, n: int) -> LC:
    return select(c, less_than(c, a, b, n), b, a)


def _min(c: Circuit, a, b, n: int) -> LC:
    return select(c, less_than(c, a, b, n), a, b)


@gadget
def intersect(c: Circuit, market_boxes: list) -> tuple:
    """Per-market intersection of unpacked boxes (lo, hi, flo, fhi): max lo, min hi, max flo,
    min fhi. Funding bounds are compared shifted to unsigned 48-bit values."""
    lo, hi, flo, fhi = market_boxes[0]
    flo, fhi = LC.of(flo) + _FUNDING_SHIFT, LC.of(fhi) + _FUNDING_SHIFT
    for b_lo, b_hi, b_flo, b_fhi in market_boxes[1:]:
        lo = _max(c, lo, b_lo, GRID_BITS)
        hi = _min(c, hi, b_hi, GRID_BITS)
        flo = _max(c, flo, LC.of(b_flo) + _FUNDING_SHIFT, FUNDING_BITS)
        fhi = _min(c, fhi, LC.of(b_fhi) + _FUNDING_SHIFT, FUNDING_BITS)
    return lo, hi, flo - _FUNDING_SHIFT, fhi - _FUNDING_SHIFT


@gadget
def leaf_write(c: Circuit, preset: Preset, enabled, root, index_bits: list, old_hash, new_hash,
               new_box: list, path: PathWitness, want_root_box: bool = False, new_salt=None):
    """Write one leaf: enabled => the old leaf (hash `old_hash`, box path.node_box[0]) is at
    the index under `root`. Returns (the root after the write, the new root's box or None).

    `new_box` is the leaf's new box per market, unpacked (lo, hi, flo, fhi), and on options
    presets its option box's flat bounds after them, already range checked by the caller
    (`unpack_entry` does it), or None when the write keeps the
    leaf's box: then no node box changes, and each level costs the two node hashes only.
    A registration (a path declared with `register=True`) keeps the boxes and writes the
    salt `new_salt` over the empty leaf's 0."""
    if path.sib_blind is not None:
        assert new_box is None and new_salt is not None
        return _register_write(c, preset, enabled, root, index_bits, old_hash, new_hash, new_salt, path), None
    if new_box is None:
        return _keep_box_write(c, preset, enabled, root, index_bits, old_hash, new_hash, path), None
    a, m = preset.arity, box_width(preset)
    levels = position_bits(index_bits, preset)
    old, new = LC.of(old_hash), LC.of(new_hash)
    cur_box = list(new_box)  # unpacked new box of the path node, per market
    for k, bits in enumerate(levels):
        with c.scope("level"):
            last = k == len(levels) - 1

            def place(own, others):
                return _place(c, own, bits, list(others) if a > 2 else others[0], a)

            new_packed = [pack_entry(preset, j, cur_box[j]) for j in range(m)]
            old_children = place(old, path.sib_hash[k])
            new_children = place(new, path.sib_hash[k])
            old_boxes, new_boxes = [], []
            for j in range(m):
                sibs = [path.sib_box[k][s][j] for s in range(a - 1)]
                old_boxes.append(place(LC.of(path.node_box[k][j]), sibs))
                new_boxes.append(place(new_packed[j], sibs))
            old = node_hash(c, old_children, [old_boxes[j][i] for i in range(a) for j in range(m)], path.blind[k])
            new = node_hash(c, new_children, [new_boxes[j][i] for i in range(a) for j in range(m)], path.blind[k])
            if not last or want_root_box:
                sib_unpacked = [[unpack_entry(c, preset, j, path.sib_box[k][s][j]) for j in range(m)]
                                for s in range(a - 1)]
                cur_box = [intersect_entry(c, preset, j, [cur_box[j]] + [sib_unpacked[s][j] for s in range(a - 1)])
                           for j in range(m)]
    assert_equal_when(c, enabled, old, root)
    new_root = c.mul(enabled, new - LC.of(root), plus=root)
    return new_root, (cur_box if want_root_box else None)


def _keep_box_write(c: Circuit, preset: Preset, enabled, root, index_bits: list, old_hash, new_hash,
                    path: PathWitness) -> LC:
    """A write that keeps the leaf's box and salt: every level's box commitment is the same
    on both sides. Level 1's is computed from the leaf's and its siblings' packed boxes and
    level 1's blind (binding the leaf's box, which the caller checks the account against);
    above, the old ones are witnesses bound by the old root. Each level costs two
    Poseidon(a + 1), the second sharing the first's first-round S-boxes but the own child's
    (`poseidon_pair_placed`), and one placement of the children (the old ones; the new
    differ only at the position)."""
    a, m = preset.arity, box_width(preset)
    old, new = LC.of(old_hash), LC.of(new_hash)
    for k, bits in enumerate(position_bits(index_bits, preset)):
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
    assert_equal_when(c, enabled, old, root)
    return c.mul(enabled, new - LC.of(root), plus=root)


def _register_write(c: Circuit, preset: Preset, enabled, root, index_bits: list, old_hash, new_hash, new_salt,
                    path: PathWitness) -> LC:
    """A registration: the boxes stay, the leaf's blind goes from 0 (an empty leaf's salt)
    to `new_salt`, and with it every blind up the path. Per level: the old and new blind
    from the siblings' (the old one binds them, through the old root), the level's packed
    boxes placed once, and the box commitment and node hash on each side."""
    a, m = preset.arity, box_width(preset)
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
            old = node_hash(c, place(old, path.sib_hash[k]), packed, old_blind)
            new = node_hash(c, place(new, path.sib_hash[k]), packed, new_blind)
    assert_equal_when(c, enabled, old, root)
    return c.mul(enabled, new - LC.of(root), plus=root)


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
