"""Selection: `select(bit, a, b)` and `mux(bits, values)` over 2^k values (circomlib mux*).

Both assume the selector bits are boolean (`assert_bool` them, or take them from `to_bits`)."""
from __future__ import annotations

from circuits.dsl import LC, Circuit, gadget


@gadget
def select(c: Circuit, bit, if_true, if_false) -> LC:
    """bit ? if_true : if_false = if_false + bit * (if_true - if_false): one constraint (none
    when both branches are constants)."""
    t, f = LC.of(if_true), LC.of(if_false)
    return c.mul(bit, t - f, plus=f)


@gadget
def mux(c: Circuit, bits, values) -> LC:
    """values[index] with index = sum bits[i] * 2^i (LSB first); len(values) == 2^len(bits).

    A tree of selects: 2^k - 1 constraints, fewer when values are constants (the first
    level folds away)."""
    if len(values) != 1 << len(bits):
        raise ValueError(f"mux over {len(bits)} bits takes {1 << len(bits)} values, got {len(values)}")
    level = [LC.of(v) for v in values]
    for b in bits:
        level = [select(c, b, level[2 * i + 1], level[2 * i]) for i in range(len(level) // 2)]
    return level[0]


@gadget
def mux_points(c: Circuit, bits, points) -> tuple[LC, LC]:
    """`mux` over points (x, y)."""
    return mux(c, bits, [p[0] for p in points]), mux(c, bits, [p[1] for p in points])
