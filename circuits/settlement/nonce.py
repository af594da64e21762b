"""The nonce window (`spec.ops.use_nonce`) as a circuit.

A leaf keeps `nonce_hi` (the highest nonce used) and a 64-bit bitmap (bit i <=> nonce
nonce_hi - i used). With d = |n - nonce_hi| and 2^d taken from the bits of d:

    n > nonce_hi (fresh):  nonce_hi' = n, bitmap' = low 64 bits of (bitmap * 2^d) + 1 if d < 64,
                           else 1
    n <= nonce_hi:         d < 64 and bit d of bitmap is clear; bitmap' = bitmap + 2^d

Cost: a 64-bit comparison, decompositions of d, of the bitmap and of a 128-bit product, a
63-select mux for bit d: about 400 constraints.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import from_bits, to_bits
from circuits.gadgets.comparators import is_zero, less_than
from circuits.gadgets.mux import mux, select
from sequencer.spec.constants import NONCE_BITS, NONCE_WINDOW

from .arith import assert_bits, assert_true, gate

assert NONCE_WINDOW == 64 and NONCE_BITS == 64


@gadget
def use_nonce(c: Circuit, enabled, nonce_hi, bitmap, n) -> tuple[LC, LC]:
    """enabled => n is fresh in the window; returns (nonce_hi', bitmap')."""
    # ranges: the stored values are in range by induction, n comes from the op
    assert_bits(c, enabled, n, NONCE_BITS)
    hi, bm, n = gate(c, enabled, nonce_hi), gate(c, enabled, bitmap), gate(c, enabled, n)
    fresh = less_than(c, hi, n, NONCE_BITS)
    diff = n - hi
    d = c.mul(fresh, 2 * diff, plus=-diff)  # |n - nonce_hi|
    d_bits = to_bits(c, d, NONCE_BITS)
    small = is_zero(c, from_bits(c, d_bits[6:]))  # d < 64
    factors = [LC.of(b) * ((1 << (1 << i)) - 1) + 1 for i, b in enumerate(d_bits[:6])]  # 2^(b_i 2^i)
    pow2 = factors[0]
    for f in factors[1:]:
        pow2 = c.mul(pow2, f)  # 2^(d mod 64)
    bm_bits = to_bits(c, bm, NONCE_WINDOW)
    # not fresh: inside the window and unused
    used = mux(c, d_bits[:6], bm_bits)
    stale = 1 - LC.of(fresh)
    assert_true(c, c.mul(stale, enabled), c.mul(small, 1 - LC.of(used)))
    # fresh: shift (dropping what leaves the window) and mark n
    shifted = c.mul(bm, pow2)
    split = to_bits(c, shifted, 2 * NONCE_WINDOW)
    low = from_bits(c, split[:NONCE_WINDOW])
    fresh_bitmap = select(c, small, low + 1, 1)
    new_bitmap = select(c, fresh, fresh_bitmap, bm + pow2)
    new_hi = select(c, fresh, n, hi)
    return new_hi, new_bitmap
