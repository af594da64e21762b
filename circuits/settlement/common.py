"""Gadgets shared by the settlement circuits: the spec's hashing, leaf layout and box packing.

Each gadget here is the circuit form of one function of `sequencer.spec` and names it:

    hash_fields(c, xs)       spec.hashing.hash_fields   Poseidon, nested above 16 inputs
    leaf_hash(c, leaf)       spec.state.account_hash    over Leaf.fields(), salt last (0 is "empty")
    pack_market_box(...)     spec.box.pack              one field element per market box
    unpack_market_box(c, x)  spec.box.unpack            one 128-bit decomposition
    pack_option_box(flat)    spec.box.pack_option       options presets: vol and time bounds
    unpack_option_box(c, x)  spec.box.unpack_option     one (32 M + 80)-bit decomposition
    blind_hash(c, blinds)    spec.tree.blind_hash       a node's blind from its children's
    box_commitment(c, ...)   spec.tree.box_commitment   children's packed boxes and the blind
    node_hash(c, ...)        spec.tree.node_hash        children's hashes, packed boxes, blind

Signed values are field elements (a negative x is r - |x|), as the spec hashes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import from_bits, to_bits
from circuits.gadgets.poseidon import poseidon, poseidon_pair_placed
from sequencer.spec import box as spec_box
from sequencer.spec.constants import FUNDING_BITS, GRID_BITS
from sequencer.spec.hashing import POSEIDON_MAX_INPUTS

FUNDING_OFFSET = 1 << (FUNDING_BITS - 1)
BOX_BITS = 2 * GRID_BITS + 2 * FUNDING_BITS  # 128: the packed box of one market


@gadget
def hash_fields(c: Circuit, xs: Sequence) -> LC:
    """Poseidon of up to 16 inputs; above 16, Poseidon of the Poseidons of 16-chunks."""
    xs = [LC.of(x) for x in xs]
    if len(xs) <= POSEIDON_MAX_INPUTS:
        return poseidon(c, xs)
    chunks = [xs[i:i + POSEIDON_MAX_INPUTS] for i in range(0, len(xs), POSEIDON_MAX_INPUTS)]
    if len(chunks) > POSEIDON_MAX_INPUTS:
        raise ValueError("hash_fields takes at most 256 inputs")
    return poseidon(c, [poseidon(c, ch) for ch in chunks])


def leaf_width(num_markets: int, option_slots: int = 0) -> int:
    """The number of field elements of a leaf (`spec.state.Account.fields()`): 7 + 2M, and on
    options presets 2K + 1 more (K slots (series, size), the option box digest)."""
    return 7 + 2 * num_markets + (2 * option_slots + 1 if option_slots else 0)


@dataclass
class Leaf:
    """An account leaf as circuit values, in `spec.state.Account.fields()` order.

    Options presets (K > 0) add, before the salt, K slots (series id, signed size) and the
    digest of the account's option box (`spec.options.OptionBox.digest`); K = 0 leaves them
    empty (and the leaf as it was)."""

    pk_x: LC
    pk_y: LC
    l1_address: LC
    nonce_hi: LC
    nonce_bitmap: LC
    collateral: LC
    positions: list  # q_j
    snapshots: list  # f_j
    salt: LC  # fixed at registration: every write carries it over
    option_series: list = field(default_factory=list)  # series id per option slot (0: empty)
    option_sizes: list = field(default_factory=list)  # signed size per option slot, lots
    obox_digest: Any = None  # the option box's digest (options presets only)
    source: Any = None  # not a field: the input prefix a leaf read came from (expiry closing's inputs)

    @classmethod
    def from_fields(cls, v: Sequence, m: int, k: int = 0) -> "Leaf":
        """From `Account.fields()` order: pk_x, pk_y, l1, nonce_hi, bitmap, C, (q_j, f_j)*,
        [(series_k, n_k)*, option box digest,] salt."""
        assert len(v) == leaf_width(m, k)
        base = 6 + 2 * m
        if not k:
            return cls(v[0], v[1], v[2], v[3], v[4], v[5], list(v[6:base:2]), list(v[7:base:2]), v[base])
        return cls(v[0], v[1], v[2], v[3], v[4], v[5], list(v[6:base:2]), list(v[7:base:2]), v[base + 2 * k + 1],
                   list(v[base:base + 2 * k:2]), list(v[base + 1:base + 2 * k:2]), v[base + 2 * k])

    def fields(self) -> list:
        out = [self.pk_x, self.pk_y, self.l1_address, self.nonce_hi, self.nonce_bitmap, self.collateral]
        for q, f in zip(self.positions, self.snapshots):
            out += [q, f]
        if self.obox_digest is not None:
            for sid, n in zip(self.option_series, self.option_sizes):
                out += [sid, n]
            out.append(self.obox_digest)
        return out + [self.salt]

    def replace(self, **changes) -> "Leaf":
        d = dict(self.__dict__)
        d.update(changes)
        return Leaf(**d)


def leaf_hash(c: Circuit, leaf: Leaf) -> LC:
    """`spec.state.account_hash` of a registered account."""
    return hash_fields(c, leaf.fields())


def pack_market_box(lo, hi, flo, fhi) -> LC:
    """`spec.box.pack` (linear): lo + hi 2^16 + (flo + 2^47) 2^32 + (fhi + 2^47) 2^80."""
    return LC.of(lo) + LC.of(hi) * (1 << GRID_BITS) \
        + (LC.of(flo) + FUNDING_OFFSET) * (1 << (2 * GRID_BITS)) \
        + (LC.of(fhi) + FUNDING_OFFSET) * (1 << (2 * GRID_BITS + FUNDING_BITS))


@gadget
def unpack_market_box(c: Circuit, packed) -> tuple[LC, LC, LC, LC]:
    """`spec.box.unpack`: (lo, hi, flo, fhi) of a packed market box; asserts packed < 2^128,
    so the four parts are unique and in range (128 constraints)."""
    bits = to_bits(c, packed, BOX_BITS)
    g, f = GRID_BITS, FUNDING_BITS
    lo = from_bits(c, bits[:g])
    hi = from_bits(c, bits[g:2 * g])
    flo = from_bits(c, bits[2 * g:2 * g + f]) - FUNDING_OFFSET
    fhi = from_bits(c, bits[2 * g + f:]) - FUNDING_OFFSET
    return lo, hi, flo, fhi


def pack_option_box(flat: Sequence) -> LC:
    """`spec.box.pack_option` (linear) of the bounds [vlo_0, vhi_0, ..., t_lo, t_hi]."""
    m = (len(flat) - 2) // 2
    out, shift = LC(), 0
    for x, w in zip(flat, spec_box.option_widths(m)):
        out = out + LC.of(x) * (1 << shift)
        shift += w
    return out


@gadget
def unpack_option_box(c: Circuit, packed, m: int) -> list:
    """`spec.box.unpack_option` as the flat bounds [vlo_0, vhi_0, ..., t_lo, t_hi]; asserts
    packed < 2^(32 M + 80), so the bounds are unique and in range."""
    bits = to_bits(c, packed, spec_box.option_bits(m))
    out, at = [], 0
    for w in spec_box.option_widths(m):
        out.append(from_bits(c, bits[at:at + w]))
        at += w
    return out


def option_box_digest(c: Circuit, packed, row_hashes: Sequence) -> LC:
    """`spec.options.OptionBox.digest`: hash_fields([the packed option box (the tree's element),
    per slot its rows' hash (hash_fields([series, *long row, *short row]); 0 without rows)])."""
    return hash_fields(c, [packed, *row_hashes])


def full_option_box_digest(m: int, k: int) -> int:
    """The digest of `OptionBox.full(m, k)` (a constant: a new or liquidated account's)."""
    from sequencer.spec.options import OptionBox

    return OptionBox.full(m, k).digest()


@gadget
def blind_hash(c: Circuit, child_blinds: Sequence) -> LC:
    """`spec.tree.blind_hash`: a node's blind, Poseidon of its children's blinds."""
    return hash_fields(c, list(child_blinds))


@gadget
def box_commitment(c: Circuit, packed_boxes: Sequence, blind) -> LC:
    """`spec.tree.box_commitment`: the hash of a node's children's packed boxes (child-major)
    and the node's blind; one Poseidon where they fit, else Poseidon(hash_fields(boxes), blind)."""
    packed = list(packed_boxes)
    if len(packed) < POSEIDON_MAX_INPUTS:
        return hash_fields(c, packed + [blind])
    return poseidon(c, [hash_fields(c, packed), blind])


@gadget
def node_hash(c: Circuit, children: Sequence, packed_boxes: Sequence, blind) -> LC:
    """`spec.tree.node_hash`: Poseidon(children's hashes, box_commitment(their packed boxes, blind))."""
    return node_hash_from(c, children, box_commitment(c, packed_boxes, blind))


def node_hash_from(c: Circuit, children: Sequence, commitment) -> LC:
    """A node hash from its children's hashes and their box commitment."""
    return poseidon(c, list(children) + [commitment])


def node_hash_pair_from(c: Circuit, children: Sequence, commitment, sel: Sequence, new) -> tuple[LC, LC]:
    """(`node_hash_from(children, commitment)`, the same with the child at the one-hot
    position `sel` replaced by `new`): a path's old and new node at one level."""
    return poseidon_pair_placed(c, list(children) + [commitment], sel, new)
