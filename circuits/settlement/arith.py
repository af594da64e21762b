"""Gated arithmetic for op slots.

Every check of an op slot holds only when the slot is enabled: a disabled slot (a no-op) has
an arbitrary witness, so each check multiplies its operand by `enabled` first (one
constraint) and then asserts on the product. Values that feed the state (roots, counters,
hash chains) are selected with `enabled` by the callers.
"""
from __future__ import annotations

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import assert_bool, to_bits
from prover.field import R


def gate(c: Circuit, enabled, x) -> LC:
    """enabled * x (no constraint when either is a constant)."""
    return c.mul(enabled, x)


@gadget
def assert_bits(c: Circuit, enabled, x, n: int) -> list:
    """enabled => 0 <= x < 2^n; returns the bits of enabled * x."""
    return to_bits(c, gate(c, enabled, x), n)


@gadget
def assert_signed(c: Circuit, enabled, x, n: int) -> None:
    """enabled => -2^(n-1) <= x < 2^(n-1)."""
    to_bits(c, gate(c, enabled, LC.of(x) + (1 << (n - 1))), n)


@gadget
def assert_true(c: Circuit, enabled, bit) -> None:
    """enabled => bit == 1 (for a boolean `bit`)."""
    c.assert_product(enabled, 1 - LC.of(bit), 0)


@gadget
def assert_equal_when(c: Circuit, enabled, a, b) -> None:
    """enabled => a == b (one constraint)."""
    c.assert_product(LC.of(a) - LC.of(b), enabled, 0)


@gadget
def assert_nonzero(c: Circuit, enabled, x) -> None:
    """enabled => x != 0: x * inv == enabled with a hinted inverse (one constraint)."""
    x = LC.of(x)
    inv = c.hint(lambda v, e: pow(v, -1, R) if v and e else 0, x, enabled)
    c.assert_product(x, inv, enabled)


@gadget
def is_negative_gated(c: Circuit, enabled, x, n: int) -> LC:
    """1 if x < 0 for a signed n-bit x (asserted when enabled); 0 in a disabled slot."""
    bits = to_bits(c, gate(c, enabled, LC.of(x) + (1 << (n - 1))), n)
    return LC.of(enabled) - bits[n - 1]


@gadget
def sign_abs(c: Circuit, enabled, x, n: int) -> tuple[LC, LC]:
    """(x < 0, |x|) for a signed n-bit x (asserted when enabled)."""
    neg = is_negative_gated(c, enabled, x, n)
    x = LC.of(x)
    return neg, x - 2 * c.mul(neg, x)


@gadget
def one_hot(c: Circuit, enabled, index, size: int) -> list[LC]:
    """Bits e_0..e_{size-1} with sum = enabled and sum j e_j = index: enabled => index < size."""
    e = c.hint(lambda v, en: [int(en != 0 and v == j) for j in range(size)], index, enabled, n=size)
    for b in e:
        assert_bool(c, b)
    total = LC()
    weighted = LC()
    for j, b in enumerate(e):
        total = total + b
        weighted = weighted + LC.of(b) * j
    c.assert_equal(total, enabled)
    c.assert_equal(weighted, c.mul(enabled, index))
    return e


def pick(c: Circuit, e, values) -> LC:
    """sum_j e_j * values_j for one-hot e (constants fold: no constraint)."""
    acc = LC()
    for b, v in zip(e, values):
        acc = acc + c.mul(b, v)
    return acc
