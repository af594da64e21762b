"""Comparators (circomlib comparators.circom): is_zero, is_equal, less_than and friends.

`less_than(n)` and its variants assume both operands are < 2^n (circomlib's precondition;
`assert_in_range` them when they come from outside) and require n <= 252, where soundness
would break: a - b + 2^n must not wrap modulo r.
"""
from __future__ import annotations

from prover.field import R

from circuits.dsl import LC, Circuit, gadget

from .bits import to_bits


@gadget
def is_zero(c: Circuit, x) -> LC:
    """1 if x == 0 else 0 (2 constraints). The hinted inverse is free when x == 0."""
    x = LC.of(x)
    inv = c.hint(lambda v: pow(v, -1, R) if v else 0, x, names=[f"{c.gadget_path}.inv"])
    out = 1 - c.mul(x, inv)
    c.assert_product(x, out, 0)
    return out


@gadget
def is_equal(c: Circuit, a, b) -> LC:
    return is_zero(c, LC.of(b) - LC.of(a))


@gadget
def assert_equal_if_enabled(c: Circuit, enabled, a, b) -> None:
    """enabled != 0 => a == b, as circomlib ForceEqualIfEnabled (which spends 3 constraints
    through IsZero); here one: (a - b) * enabled == 0, the same accepting set."""
    c.assert_product(LC.of(a) - LC.of(b), enabled, 0)


@gadget
def assert_zero_if_enabled(c: Circuit, enabled, x) -> None:
    """enabled => x == 0 (one constraint: x * enabled == 0)."""
    c.assert_product(x, enabled, 0)


def _check_n(n: int) -> None:
    if not 0 < n <= 252:
        raise ValueError(f"comparators need 0 < n <= 252, got {n}")


@gadget
def less_than(c: Circuit, a, b, n: int) -> LC:
    """1 if a < b else 0, for a, b < 2^n (circomlib LessThan(n): n + 1 constraints)."""
    _check_n(n)
    bits = to_bits(c, LC.of(a) + (1 << n) - LC.of(b), n + 1)
    return 1 - bits[n]


@gadget
def less_eq(c: Circuit, a, b, n: int) -> LC:
    return less_than(c, a, LC.of(b) + 1, n)


@gadget
def greater_than(c: Circuit, a, b, n: int) -> LC:
    return less_than(c, b, a, n)


@gadget
def greater_eq(c: Circuit, a, b, n: int) -> LC:
    return less_than(c, b, LC.of(a) + 1, n)


@gadget
def assert_less_than(c: Circuit, a, b, n: int) -> None:
    """a < b for a, b < 2^n: b - a - 1 in [0, 2^n) (n constraints)."""
    _check_n(n)
    to_bits(c, LC.of(b) - LC.of(a) - 1, n)


@gadget
def assert_less_eq(c: Circuit, a, b, n: int) -> None:
    _check_n(n)
    to_bits(c, LC.of(b) - LC.of(a), n)
