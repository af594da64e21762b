"""Gadgets shared by the settlement circuits: the spec's hashing, leaf layout and box packing.

Each gadget here is the circuit form of one function of `sequencer.spec` and names it:

    hash_fields(c, xs)       spec.hashing.hash_fields   Poseidon, nested above 16 inputs
    leaf_hash(c, leaf)       spec.state.account_hash    over Leaf.fields(), salt last (0 is "empty")
    pack_market_box(...)     spec.box.pack              one field element per market box
    unpack_market_box(c, x)  spec.box.unpack            one 128-bit decomposition
    blind_hash(c, blinds)    spec.tree.blind_hash       a node's blind from its children's
    box_commitment(c, ...)   spec.tree.box_commitment   children's packed boxes and the blind
    node_hash(c, ...)        spec.tree.node_hash        children's hashes, packed boxes, blind

Signed values are field elements (a negative x is r - |x|), as the spec hashes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import from_bits, to_bits
from circuits.gadgets.poseidon import poseidon
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


def leaf_width(num_markets: int) -> int:
    """The number of field elements of a leaf (`spec.state.Account.fields()`): 7 + 2M."""
    return 7 + 2 * num_markets


@dataclass
class Leaf:
    """An account leaf as circuit values, in `spec.state.Account.fields()` order."""

    pk_x: LC
    pk_y: LC
    l1_address: LC
    nonce_hi: LC
    nonce_bitmap: LC
    collateral: LC
    positions: list  # q_j
    snapshots: list  # f_j
    salt: LC  # fixed at registration: every write carries it over

    @classmethod
    def from_fields(cls, v: Sequence, m: int) -> "Leaf":
        """From `Account.fields()` order: pk_x, pk_y, l1, nonce_hi, bitmap, C, (q_j, f_j)*, salt."""
        assert len(v) == leaf_width(m)
        return cls(v[0], v[1], v[2], v[3], v[4], v[5], list(v[6:6 + 2 * m:2]), list(v[7:6 + 2 * m:2]), v[6 + 2 * m])

    def fields(self) -> list:
        out = [self.pk_x, self.pk_y, self.l1_address, self.nonce_hi, self.nonce_bitmap, self.collateral]
        for q, f in zip(self.positions, self.snapshots):
            out += [q, f]
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
