"""Signed integers in offset representation.

A signed n-bit value v in [-2^(n-1), 2^(n-1)) lives in the field as v mod r (negative values
near r). Range checks shift by 2^(n-1): v is a signed n-bit value iff v + 2^(n-1) is in
[0, 2^n). Products are bounded: an na-bit by nb-bit product needs na + nb - 1 bits, and
`mul_signed` refuses na + nb > 252, so no product (nor a sum of a few) wraps modulo r.
"""
from __future__ import annotations

from prover.field import R

from circuits.dsl import LC, Circuit, gadget

from .bits import to_bits

MAX_BITS = 252


def to_field(v: int) -> int:
    """A Python signed int as a field element."""
    return v % R


def from_field(x: int) -> int:
    """The signed int a field element stands for (values above r/2 are negative)."""
    x %= R
    return x - R if x > R // 2 else x


def _check(n: int) -> None:
    if not 1 < n <= MAX_BITS:
        raise ValueError(f"signed values need 1 < n <= {MAX_BITS} bits, got {n}")


@gadget
def assert_signed_range(c: Circuit, x, n: int) -> None:
    """-2^(n-1) <= x < 2^(n-1) (n constraints)."""
    _check(n)
    to_bits(c, LC.of(x) + (1 << (n - 1)), n)


@gadget
def is_negative(c: Circuit, x, n: int) -> LC:
    """1 if x < 0, for a signed n-bit x; also asserts x is a signed n-bit value (n constraints)."""
    _check(n)
    bits = to_bits(c, LC.of(x) + (1 << (n - 1)), n)
    return 1 - bits[n - 1]


@gadget
def sign_and_abs(c: Circuit, x, n: int) -> tuple[LC, LC]:
    """(is_negative(x), |x|) for a signed n-bit x (n + 1 constraints)."""
    neg = is_negative(c, x, n)
    x = LC.of(x)
    return neg, x - 2 * c.mul(neg, x)


def abs_signed(c: Circuit, x, n: int) -> LC:
    return sign_and_abs(c, x, n)[1]


@gadget
def mul_signed(c: Circuit, a, b, na: int, nb: int) -> LC:
    """a * b for signed na-bit a and nb-bit b, both range-checked; the product is a signed
    (na + nb - 1)-bit value and cannot wrap (na + nb <= 252 is enforced)."""
    if na + nb > MAX_BITS:
        raise ValueError(f"mul_signed: {na} + {nb} bits could wrap modulo r")
    assert_signed_range(c, a, na)
    assert_signed_range(c, b, nb)
    return c.mul(a, b)


@gadget
def mul_signed_unchecked(c: Circuit, a, b, na: int, nb: int) -> LC:
    """a * b when the caller has already range-checked a (na bits) and b (nb bits)."""
    if na + nb > MAX_BITS:
        raise ValueError(f"mul_signed_unchecked: {na} + {nb} bits could wrap modulo r")
    return c.mul(a, b)


@gadget
def less_than_signed(c: Circuit, a, b, n: int) -> LC:
    """1 if a < b for signed n-bit a, b (both shifted into [0, 2^n), then LessThan(n))."""
    from .comparators import less_than

    _check(n)
    off = 1 << (n - 1)
    return less_than(c, LC.of(a) + off, LC.of(b) + off, n)


@gadget
def assert_nonnegative(c: Circuit, x, n: int) -> None:
    """0 <= x < 2^(n-1): x is a non-negative signed n-bit value (n - 1 constraints)."""
    _check(n)
    to_bits(c, x, n - 1)
