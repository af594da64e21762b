"""EdDSA-Poseidon signature verification on Baby Jubjub, as circomlib's
EdDSAPoseidonVerifier (eddsaposeidon.circom) and circomlibjs `verifyPoseidon`:

    S < l (the prime subgroup order; RFC 8032 section 5.1.7 requires the same check)
    h = H(R8x, R8y, Ax, Ay, M)                   H = Poseidon(5) unless another hash is given
    S * Base8 == R8 + (8 h) * A                  (h as its 254 strict bits; 8A by 3 doublings)

Every check is gated by `enabled`, as in circomlib (a disabled slot accepts anything).

`canonical_s=False` leaves out the S < l check (its 262 constraints): then (R8, S) passes
for any 253-bit S with S * Base8 == R8 + 8 h A, the signature (R8, S mod l) with it, since
Base8 has order l and h depends on R8 only. A circuit whose signature is a private witness
bound to nothing but the signed op (the batch circuit) proves the same knowledge either
way: from any witness it accepts, (R8, S mod l) is a valid signature of the same message
under the same key, a public transformation. The fixed-base multiplication stays exact for every 253-bit
S: its first segment takes bits 0..248 whatever S is, and its second (bits 249..252, two
3-bit windows) adds multiples of its base below 2^9, far from l, so no addition there
meets its exceptional case (tests/circuits/test_signature_s_range.py).
"""
from __future__ import annotations

from circuits.dsl import Circuit, gadget

from .babyjub import BASE8, SUBORDER, babyjub_add, babyjub_double, escalar_mul_any, escalar_mul_fix
from .bits import compare_constant, num2bits_strict, to_bits
from .comparators import assert_equal_if_enabled, is_zero
from .poseidon import poseidon


@gadget
def assert_eddsa_poseidon(c: Circuit, enabled, Ax, Ay, S, R8x, R8y, M, hash=poseidon,
                          canonical_s: bool = True) -> None:
    """enabled => (R8, S) is a valid signature of M under the public key A (canonical_s=False:
    or (R8, S mod l) is, for S < 2^253; module docstring)."""
    # S < l: S fits 253 bits and is not above l - 1
    s_bits = to_bits(c, S, 253)
    if canonical_s:
        too_big = compare_constant(c, s_bits + [0], SUBORDER - 1)
        c.assert_product(too_big, enabled, 0)
    # h = H(R, A, M), canonical bits
    h = hash(c, [R8x, R8y, Ax, Ay, M])
    h_bits = num2bits_strict(c, h)
    # right = R8 + h * (8 A); 8A is in the prime subgroup, and A must not be of small order
    d1 = babyjub_double(c, (Ax, Ay))
    d2 = babyjub_double(c, d1)
    d3 = babyjub_double(c, d2)
    c.assert_product(is_zero(c, d2[0]), enabled, 0)
    ha = escalar_mul_any(c, h_bits, d3)
    right = babyjub_add(c, (R8x, R8y), ha)
    # left = S * Base8
    left = escalar_mul_fix(c, s_bits, BASE8)
    assert_equal_if_enabled(c, enabled, left[0], right[0])
    assert_equal_if_enabled(c, enabled, left[1], right[1])
