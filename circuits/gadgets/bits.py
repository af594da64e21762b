"""Bits: decomposition, recomposition, booleanity and range checks (circomlib bitify.circom,
aliascheck.circom, compconstant.circom)."""
from __future__ import annotations

from prover.field import R

from circuits.dsl import LC, Circuit, gadget

FIELD_BITS = 254  # r < 2^254


@gadget
def assert_bool(c: Circuit, x) -> None:
    """x * (x - 1) == 0."""
    x = LC.of(x)
    c.assert_product(x, x - 1, 0)


def from_bits(c: Circuit, bits) -> LC:
    """sum bits[i] * 2^i (LSB first; linear, no constraint). Assumes the bits are bits."""
    acc = LC()
    for i, b in enumerate(bits):
        acc = acc + LC.of(b) * (1 << i)
    return acc


@gadget
def to_bits(c: Circuit, x, n: int) -> list[LC]:
    """The n low bits of x, LSB first (circomlib Num2Bits): n constraints, asserts x < 2^n.

    For n >= 254 the decomposition is not unique (x and x + r both fit): use
    `num2bits_strict` when the bits must be canonical."""
    if n > FIELD_BITS:
        raise ValueError(f"to_bits: n={n} > {FIELD_BITS}")
    x = LC.of(x)
    bits = c.hint(lambda v: [(v >> i) & 1 for i in range(n)], x, n=n,
                  names=[f"{c.gadget_path}.bits[{i}]" for i in range(n)])
    for b in bits:
        c.assert_product(b, b - 1, 0)
    c.assert_equal(from_bits(c, bits), x)
    return bits


@gadget
def assert_in_range(c: Circuit, x, n: int) -> None:
    """0 <= x < 2^n (n <= 252 so that the check means what it says)."""
    if n > 252:
        raise ValueError("assert_in_range: n must be <= 252")
    to_bits(c, x, n)


@gadget
def compare_constant(c: Circuit, bits, ct: int) -> LC:
    """1 when the 254-bit number `bits` (LSB first) is > ct, else 0 (circomlib CompConstant).

    Assumes each of `bits` is boolean. 127 + 135 constraints."""
    if len(bits) != 254:
        raise ValueError("compare_constant takes 254 bits")
    ct %= R
    a, b, e = 1, (1 << 128) - 1, 1
    total = LC()
    for i in range(127):
        clsb, cmsb = (ct >> (2 * i)) & 1, (ct >> (2 * i + 1)) & 1
        slsb, smsb = LC.of(bits[2 * i]), LC.of(bits[2 * i + 1])
        prod = c.mul(smsb, slsb)
        if cmsb == 0 and clsb == 0:
            part = prod * (-b) + smsb * b + slsb * b
        elif cmsb == 0 and clsb == 1:
            part = prod * a - slsb * a + smsb * b - smsb * a + a
        elif cmsb == 1 and clsb == 0:
            part = prod * b - smsb * a + a
        else:
            part = prod * (-a) + a
        total = total + part
        b -= e
        a += e
        e *= 2
    return to_bits(c, total, 135)[127]


@gadget
def assert_no_alias(c: Circuit, bits) -> None:
    """The 254 bits (LSB first) encode a number < r (circomlib AliasCheck)."""
    c.assert_zero(compare_constant(c, bits, R - 1))


@gadget
def num2bits_strict(c: Circuit, x) -> list[LC]:
    """The unique 254-bit decomposition of x (circomlib Num2Bits_strict)."""
    bits = to_bits(c, x, 254)
    assert_no_alias(c, bits)
    return bits


@gadget
def bits2num_strict(c: Circuit, bits) -> LC:
    """The number of 254 bits, refusing encodings >= r (circomlib Bits2Num_strict)."""
    assert_no_alias(c, bits)
    return from_bits(c, bits)
