"""The nonce window (`spec.ops.use_nonce`) as a circuit.

A leaf keeps `nonce_hi` (the highest nonce used) and a 64-bit bitmap (bit i <=> nonce
nonce_hi - i used):

    n > nonce_hi (fresh):  nonce_hi' = n, bitmap' = low 64 bits of (bitmap * 2^d) + 1 if d < 64,
                           else 1                                           (d = n - nonce_hi)
    n <= nonce_hi:         d < 64 and bit d of bitmap is clear; bitmap' = bitmap + 2^d
                                                                            (d = nonce_hi - n)

One 65-bit decomposition answers both the comparison and d: u = n - nonce_hi - 1 + 2^64 has
bit 64 set iff n is fresh, and its low 64 bits are d - 1 when fresh, the complement of d
(2^64 - 1 - d) otherwise. With k = u mod 64 and 2^k from k's 6 bits:

    fresh:  d <= 64 iff bits 6..63 of u are 0; then bitmap * 2^d = (2 bitmap) * 2^k, and
            d = 64 gives low bits 0, bitmap' 1, as the spec's "else" (so the test is d <= 64)
    stale:  d < 64 iff bits 6..63 of u are 1; then k = 63 - d, and bit d of the bitmap is
            bit 63 of bitmap * 2^k; 2^d = 2^63 / 2^k

so one 128-bit decomposition of (1 + fresh) bitmap * 2^k gives both the shifted bitmap's
low 64 bits (fresh) and the bit to test (stale): no decomposition of the bitmap, no mux.

Ranges: n comes from the op and is range checked here; nonce_hi and the bitmap come from a
leaf the old root binds, and every write keeps them in range (this gadget's outputs are
below 2^64, a registration writes 0, other writes carry them over), so the decompositions
above are unique. Cost: about 210 constraints.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import from_bits, to_bits
from circuits.gadgets.comparators import is_zero
from circuits.gadgets.mux import select
from prover.field import R
from sequencer.spec.constants import NONCE_BITS, NONCE_WINDOW

from .arith import assert_bits, assert_true, gate

assert NONCE_WINDOW == 64 and NONCE_BITS == 64
_HIGH = NONCE_BITS - 6  # bits 6..63 of u


@gadget
def use_nonce(c: Circuit, enabled, nonce_hi, bitmap, n) -> tuple[LC, LC]:
    """enabled => n is fresh in the window; returns (nonce_hi', bitmap')."""
    n_bits = assert_bits(c, enabled, n, NONCE_BITS)  # the bits of enabled * n
    hi, bm, n = gate(c, enabled, nonce_hi), gate(c, enabled, bitmap), from_bits(c, n_bits)
    u = to_bits(c, n - hi - 1 + (1 << NONCE_BITS), NONCE_BITS + 1)
    fresh = u[NONCE_BITS]
    factors = [LC.of(b) * ((1 << (1 << i)) - 1) + 1 for i, b in enumerate(u[:6])]  # 2^(b_i 2^i)
    pow2 = factors[0]
    for f in factors[1:]:
        pow2 = c.mul(pow2, f)  # 2^k
    # d <= 64 (fresh) or d < 64 (stale): bits 6..63 all 0, or all 1
    small = is_zero(c, sum((LC.of(b) for b in u[6:NONCE_BITS]), LC()) - (1 - LC.of(fresh)) * _HIGH)
    shifted = to_bits(c, c.mul(c.mul(bm, 1 + LC.of(fresh)), pow2), 2 * NONCE_WINDOW)
    # not fresh: inside the window and unused (bit d of the bitmap is bit 63 of bitmap * 2^(63 - d))
    stale = 1 - LC.of(fresh)
    assert_true(c, c.mul(stale, enabled), c.mul(small, 1 - LC.of(shifted[NONCE_WINDOW - 1])))
    pow_d = c.hint(lambda p: (1 << 63) * pow(p, -1, R) % R if p else 0, pow2)  # 2^d when stale
    c.assert_product(pow_d, pow2, 1 << 63)
    # fresh: the shifted bitmap (dropping what leaves the window) with n marked
    fresh_bitmap = select(c, small, from_bits(c, shifted[:NONCE_WINDOW]) + 1, 1)
    new_bitmap = select(c, fresh, fresh_bitmap, bm + pow_d)
    new_hi = select(c, fresh, n, hi)
    return new_hi, new_bitmap
