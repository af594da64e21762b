"""The ONE place where sequencer/da/ meets the state tree's layout (sequencer/spec/tree.py and
state.py): what a node entry is, how a parent follows from its children, how a leaf opening is
written as field elements. Everything else in sequencer/da/ (payloads, the member's copy of
the tree, the owner's rebuild) sees only `NodeEntry` values and the functions below, so moving
to another layout (hash-only Merkle paths: salted leaves and a hiding commitment to each
node's box data) means re-pointing this module only.

Current layout (tree.py): a node is (hash, box); a parent is
    (Poseidon(c_0, ..., c_{a-1}, box_hash(B_0, ..., B_{a-1})), B_0 ∩ ... ∩ B_{a-1})
so an entry's `aux` is its box (M packed market boxes), public here: the payload then shows
each written leaf's box (its liquidation price bounds), which the hash-only layout hides.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sequencer.spec import box as boxes
from sequencer.spec import tree as spec_tree
from sequencer.spec.constants import FIELD_MODULUS
from sequencer.spec.hashing import from_field, hash_fields
from sequencer.spec.state import Account, account_hash


@dataclass(frozen=True)
class NodeEntry:
    """What a parent takes from one child: its hash and its auxiliary data as field elements
    (current layout: the packed box)."""

    hash: int
    aux: tuple[int, ...]

    def fields(self) -> list[int]:
        return [self.hash, *self.aux]


@dataclass(frozen=True)
class Shape:
    arity: int
    depth: int
    num_markets: int


def _box(entry: NodeEntry) -> boxes.Box:
    return tuple(boxes.unpack(x) for x in entry.aux)


def _entry(h: int, box: boxes.Box) -> NodeEntry:
    return NodeEntry(int(h), tuple(boxes.pack_box(box)))


def parent(children: Sequence[NodeEntry]) -> NodeEntry:
    """The parent entry of a's children entries."""
    bs = [_box(c) for c in children]
    return _entry(spec_tree.node_hash([c.hash for c in children], bs), boxes.intersect(bs))


def consistent(children: Sequence[NodeEntry], claimed: NodeEntry) -> bool:
    """Whether `claimed` is the parent of `children` (in a hash-only layout the parent's aux
    cannot be recomputed by an outsider; the check is then on the hash only)."""
    return parent(children) == claimed


def empty_entries(shape: Shape) -> list[NodeEntry]:
    """The entry of an empty subtree, per level (0 = an empty leaf)."""
    full = boxes.full(shape.num_markets)
    hashes = spec_tree.BoxTree._empty_hashes(shape.arity, shape.depth, shape.num_markets)
    return [_entry(h, full) for h in hashes]


def state_root(tree_root: int, globals_fields: Sequence[int]) -> int:
    """The state root the contract stores (state.State.root)."""
    return hash_fields([tree_root, hash_fields(list(globals_fields))])


# --- reading the sequencer's tree (payload building) -----------------------------------------

def tree_entry(tree: spec_tree.BoxTree, level: int, index: int) -> NodeEntry:
    return _entry(tree.hash_at(level, index), tree.box_at(level, index))


def tree_shape(tree: spec_tree.BoxTree) -> Shape:
    return Shape(tree.arity, tree.depth, tree.num_markets)


# --- the leaf opening (what is encrypted to the owner) -------------------------------------------

def leaf_opening(account: Account) -> list[int]:
    """The leaf's content as field elements: Account.fields() then its packed box."""
    return [x % FIELD_MODULUS for x in account.fields()] + boxes.pack_box(account.box)


def opening_length(num_markets: int) -> int:
    return 6 + 2 * num_markets + num_markets


def account_from_opening(fields: Sequence[int], num_markets: int) -> Account:
    m = num_markets
    f = [int(x) for x in fields]
    if len(f) != opening_length(m):
        raise ValueError(f"a leaf opening has {opening_length(m)} fields")
    pairs = f[6:6 + 2 * m]
    return Account(pubkey=(f[0], f[1]), l1_address=f[2], nonce_hi=f[3], nonce_bitmap=f[4],
                   collateral=from_field(f[5]), positions=tuple(from_field(x) for x in pairs[0::2]),
                   snapshots=tuple(from_field(x) for x in pairs[1::2]),
                   box=tuple(boxes.unpack(x) for x in f[6 + 2 * m:]))


def leaf_entry_of(account: Account) -> NodeEntry:
    """The leaf entry an opening must hash to."""
    return _entry(account_hash(account), account.box)


def exit_equity(account: Account, globals_fields: Sequence[int], preset) -> int:
    """The account's total value at the prices and funding among the globals
    (state.State.globals_fields: batch, round, 3 queue indices, M prices, M funding)."""
    from sequencer.spec.margin import total_value

    m = preset.num_markets
    g = [from_field(int(x) % FIELD_MODULUS) for x in globals_fields]
    return total_value(account, preset, g[5:5 + m], g[5 + m:5 + 2 * m])


def exit_inputs(account_id: int, account: Account, path: Sequence[spec_tree.PathLevel],
                own_nodes: Sequence[NodeEntry], tree_root: int, globals_fields: Sequence[int],
                preset) -> dict:
    """The exit circuit's input dict (circuits/settlement/exit.exit_inputs, which reads the
    sequencer's State) from rebuilt data: the leaf's opening, its path, its own nodes' entries
    at levels 0..D-1, the tree root and the globals (= state.State.globals_fields)."""
    from circuits.settlement.exit import GLOBAL_NAMES

    m = preset.num_markets
    g = [from_field(int(x) % FIELD_MODULUS) for x in globals_fields]
    funding = g[5 + m:5 + 2 * m]
    prices = g[5:5 + m]
    root = state_root(tree_root, [x % FIELD_MODULUS for x in g])
    equity = exit_equity(account, globals_fields, preset)
    inputs = {
        "root": root, "prices": prices, "fundingIndices": [f % FIELD_MODULUS for f in funding],
        "accountId": account_id, "l1Address": account.l1_address, "equity": equity % FIELD_MODULUS,
        "leaf": [x % FIELD_MODULUS for x in account.fields()],
        "path.node_box": [list(e.aux) for e in own_nodes],
        "path.sib_hash": [list(level.sibling_hashes) for level in path],
        "path.sib_box": [[boxes.pack_box(b) for b in level.sibling_boxes] for level in path],
        "tree_root": tree_root,
    }
    for name, value in zip(GLOBAL_NAMES, g):
        inputs[name] = value % FIELD_MODULUS
    return inputs


def climb(leaf: NodeEntry, path: Sequence[spec_tree.PathLevel]) -> list[NodeEntry]:
    """The new entries of a leaf's ancestors (levels 1..D) from its new entry and the path
    (siblings) the write was made along (state.LeafUpdate.path)."""
    out, e = [], leaf
    for level in path:
        sibs = [_entry(h, b) for h, b in zip(level.sibling_hashes, level.sibling_boxes)]
        e = parent(sibs[:level.position] + [e] + sibs[level.position:])
        out.append(e)
    return out


def path_levels(siblings_per_level: Sequence[tuple[int, Sequence[NodeEntry]]]) -> list[spec_tree.PathLevel]:
    """The spec's Merkle path (what the exit circuit takes) from (position, sibling entries)
    per level, leaf level first."""
    return [spec_tree.PathLevel(pos, tuple(s.hash for s in sibs), tuple(_box(s) for s in sibs))
            for pos, sibs in siblings_per_level]


__all__ = ["NodeEntry", "Shape", "parent", "consistent", "empty_entries", "state_root", "tree_entry", "tree_shape",
           "leaf_opening", "opening_length", "account_from_opening", "leaf_entry_of", "path_levels",
           "exit_equity", "exit_inputs", "climb"]
