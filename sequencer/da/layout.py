"""The ONE place where sequencer/da/ meets the state tree's layout (sequencer/spec/tree.py and
state.py): what a node entry is, how a member checks a parent against its children, how a
leaf opening is written as field elements. Everything else in sequencer/da/ (payloads, the
member's copy of the tree, the owner's rebuild) sees only `NodeEntry` values and the
functions below.

Layout (tree.py: hash-only Merkle paths, salted leaves, a hiding commitment to each inner
node's children's boxes). An entry is what a member can check without any box or blind:

    leaf        (hash)                     hash = Poseidon(account fields, salt); 0 if empty
    inner node  (hash, box_commitment)     hash = Poseidon(c_0, ..., c_{a-1}, box_commitment)

A member checks each published parent against its children's hashes and the parent's own
box commitment (`consistent`); what the commitment opens to (the children's boxes under a
blind that hashes every leaf salt below) it cannot check, nor needs to: the batch proof
binds it, and an exit takes it as one opaque value (circuits/settlement/exit.py). So the
payload shows leaf hashes and box commitments only: no box (liquidation bounds), no salt.
Only the sequencer, which holds every box and salt, computes new entries (`climb`,
`tree_entry`).

The leaf opening encrypted to the owner is `Account.fields()` (its salt included: the owner
needs it to hash its leaf) followed by its packed box: the exit does not need the box, but
with it the opening is the whole `Account`, and whoever gathers every opening (a successor
sequencer) rebuilds the full tree, boxes and blinds included, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sequencer.spec import box as boxes
from sequencer.spec import da as spec_da
from sequencer.spec import tree as spec_tree
from sequencer.spec.constants import FIELD_MODULUS, Preset
from sequencer.spec.hashing import from_field, hash_fields
from sequencer.spec.state import Account, account_hash


@dataclass(frozen=True)
class NodeEntry:
    """What the payload publishes of one node: its hash and its auxiliary fields, () for a
    leaf and (box_commitment,) for an inner node (module docstring)."""

    hash: int
    aux: tuple[int, ...]

    def fields(self) -> list[int]:
        return [self.hash, *self.aux]


@dataclass(frozen=True)
class Shape:
    arity: int
    depth: int
    num_markets: int


def _inner(h: int, box_commitment: int) -> NodeEntry:
    return NodeEntry(int(h), (int(box_commitment),))


def _leaf(h: int) -> NodeEntry:
    return NodeEntry(int(h), ())


def well_formed(level: int, entry: NodeEntry) -> bool:
    """Whether `entry` has the shape of a node of `level` (0: a leaf) and holds field elements."""
    return len(entry.aux) == (0 if level == 0 else 1) and all(0 <= x < FIELD_MODULUS for x in entry.fields())


def consistent(children: Sequence[NodeEntry], claimed: NodeEntry) -> bool:
    """Whether `claimed` is the parent of `children`: its hash is Poseidon of theirs and its
    own box commitment (which, hiding the children's boxes, an outsider cannot recompute)."""
    return len(claimed.aux) == 1 and claimed.hash == hash_fields([*(c.hash for c in children), claimed.aux[0]])


def empty_entries(shape: Shape) -> list[NodeEntry]:
    """The entry of an empty subtree, per level (0 = an empty leaf): its children are empty
    subtrees with FULL boxes and the empty blinds (salt 0 below)."""
    full = boxes.full(shape.num_markets)
    hashes = spec_tree.BoxTree._empty_hashes(shape.arity, shape.depth, shape.num_markets)
    blinds = spec_tree.BoxTree._empty_blinds(shape.arity, shape.depth)
    return [_leaf(hashes[0])] + [_inner(hashes[k], spec_tree.box_commitment([full] * shape.arity, blinds[k]))
                                 for k in range(1, shape.depth + 1)]


def state_root(tree_root: int, globals_fields: Sequence[int]) -> int:
    """The state root the contract stores (state.State.root)."""
    return hash_fields([tree_root, hash_fields(list(globals_fields))])


# --- the sequencer's side: entries from its tree (it holds every box and salt) -----------------

def tree_entry(tree: spec_tree.BoxTree, level: int, index: int) -> NodeEntry:
    if level == 0:
        return _leaf(tree.hash_at(0, index))
    return _inner(tree.hash_at(level, index), tree.box_commitment_at(level, index))


def tree_shape(tree: spec_tree.BoxTree) -> Shape:
    return Shape(tree.arity, tree.depth, tree.num_markets)


def climb(index: int, account: Account, opening: Sequence[spec_tree.OpeningLevel]) -> list[NodeEntry]:
    """The new entries of leaf `index`'s ancestors (levels 1..D) once `account` is written,
    from the prover's opening of the path it was written along (state.LeafUpdate.path:
    siblings' hashes, boxes and blinds): `spec.tree.compute_root` level by level."""
    out, h, b, s = [], account_hash(account), account.box, account.salt
    for level in opening:
        arity = len(level.sibling_hashes) + 1
        assert level.position == index % arity
        hs, bs, ss = list(level.sibling_hashes), list(level.sibling_boxes), list(level.sibling_blinds)
        hs.insert(level.position, h)
        bs.insert(level.position, b)
        ss.insert(level.position, s)
        s = spec_tree.blind_hash(ss)
        bc = spec_tree.box_commitment(bs, s)
        h, b = hash_fields([*hs, bc]), boxes.intersect(bs)
        out.append(_inner(h, bc))
        index //= arity
    return out


# --- the leaf opening (what is encrypted to the owner) -------------------------------------------

leaf_opening = spec_da.leaf_opening  # pk_x, pk_y, salt, then the leaf's values packed (spec.da)
opening_length = spec_da.opening_length


def account_from_opening(fields: Sequence[int], num_markets: int) -> Account:
    m = num_markets
    f = [int(x) for x in fields]
    if len(f) != opening_length(m):
        raise ValueError(f"a leaf opening has {opening_length(m)} fields")
    v = spec_da.unpack_opening(f[3:], m)
    return Account(pubkey=(f[0], f[1]), l1_address=v[("l1_address", None)], nonce_hi=v[("nonce_hi", None)],
                   nonce_bitmap=v[("nonce_bitmap", None)], collateral=v[("collateral", None)],
                   positions=tuple(v[("position", j)] for j in range(m)),
                   snapshots=tuple(v[("snapshot", j)] for j in range(m)),
                   box=tuple(boxes.unpack(v[("box", j)]) for j in range(m)), salt=f[2])


def leaf_entry_of(account: Account) -> NodeEntry:
    """The leaf entry an opening must hash to."""
    return _leaf(account_hash(account))


# --- the owner's side: its path and exit inputs from entries alone --------------------------------

def path_levels(siblings_per_level: Sequence[tuple[int, Sequence[NodeEntry]]],
                ancestors: Sequence[NodeEntry]) -> list[spec_tree.PathLevel]:
    """The owner's Merkle path (`spec.tree.PathLevel`, hashes only: what the exit circuit
    takes) from (position, sibling entries) per level, leaf level first, and the entries of
    the leaf's ancestors at levels 1..D (each level's parent gives its box commitment)."""
    assert len(siblings_per_level) == len(ancestors)
    return [spec_tree.PathLevel(pos, tuple(s.hash for s in sibs), parent.aux[0])
            for (pos, sibs), parent in zip(siblings_per_level, ancestors)]


def _signed_globals(globals_fields: Sequence[int]) -> list[int]:
    """The globals as the state holds them (signed funding indices), whether given signed or
    as field elements."""
    return [from_field(int(x) % FIELD_MODULUS) for x in globals_fields]


def exit_equity(account: Account, globals_fields: Sequence[int], preset: Preset) -> int:
    """The account's total value at the prices and funding among the globals
    (state.State.globals_fields: batch, round, 3 queue indices, M prices, M funding)."""
    from sequencer.spec.margin import total_value

    m = preset.num_markets
    g = _signed_globals(globals_fields)
    return total_value(account, preset, g[5:5 + m], g[5 + m:5 + 2 * m])


def exit_inputs(account_id: int, account: Account, path: Sequence[spec_tree.PathLevel], tree_root: int,
                globals_fields: Sequence[int], preset: Preset) -> dict:
    """The exit circuit's input dict from rebuilt data (the leaf's opening, its hash-only
    path, the tree root, the globals): circuits/settlement/exit.owner_exit_inputs, the same
    function the sequencer's State goes through (exit_inputs)."""
    from circuits.settlement.exit import owner_exit_inputs

    return owner_exit_inputs(preset, account_id, account, path, tree_root, _signed_globals(globals_fields))


__all__ = ["NodeEntry", "Shape", "well_formed", "consistent", "empty_entries", "state_root", "tree_entry",
           "tree_shape", "climb", "leaf_opening", "opening_length", "account_from_opening", "leaf_entry_of",
           "path_levels", "exit_equity", "exit_inputs"]
