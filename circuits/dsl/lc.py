"""Linear combinations over Fr: the values a circuit computes with.

An `LC` is a sparse map {signal id: coefficient mod r}; signal id 0 is the constant one, so
`LC({0: 5})` is the constant 5. `Signal` is the LC of one signal with coefficient 1 and knows
its id. `+`, `-` and multiplication by an int build new LCs without adding constraints; the
product of two non-constant LCs is a constraint and goes through `Circuit.mul`.
"""
from __future__ import annotations

from prover.field import R

ONE = 0  # signal id of the constant one (wire 0)


class LC:
    __slots__ = ("terms",)

    def __init__(self, terms: dict[int, int] | None = None):
        self.terms = terms if terms is not None else {}

    # --- construction -------------------------------------------------------------------
    @staticmethod
    def of(value: "LC | int") -> "LC":
        """An LC from an LC or an int (a constant)."""
        if isinstance(value, LC):
            return value
        if isinstance(value, int):
            v = value % R
            return LC({ONE: v} if v else {})
        raise TypeError(f"expected an LC, a Signal or an int, got {type(value).__name__}")

    # --- queries ------------------------------------------------------------------------
    def is_constant(self) -> bool:
        t = self.terms
        return not t or (len(t) == 1 and ONE in t)

    def constant_value(self) -> int:
        """The value of a constant LC (check `is_constant` first)."""
        return self.terms.get(ONE, 0)

    def signal_ids(self) -> list[int]:
        return [k for k in self.terms if k != ONE]

    # --- arithmetic (no constraints) ----------------------------------------------------
    def __add__(self, other: "LC | int") -> "LC":
        out = dict(self.terms)
        if isinstance(other, int):
            v = (out.get(ONE, 0) + other) % R
            if v:
                out[ONE] = v
            else:
                out.pop(ONE, None)
            return LC(out)
        if not isinstance(other, LC):
            return NotImplemented
        for k, c in other.terms.items():
            v = (out.get(k, 0) + c) % R
            if v:
                out[k] = v
            else:
                out.pop(k, None)
        return LC(out)

    __radd__ = __add__

    def __neg__(self) -> "LC":
        return LC({k: (R - c) % R for k, c in self.terms.items()})

    def __sub__(self, other: "LC | int") -> "LC":
        if isinstance(other, int):
            return self + (-other)
        if not isinstance(other, LC):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other: int) -> "LC":
        return (-self) + other

    def __mul__(self, k: "int | LC") -> "LC":
        if isinstance(k, LC):
            if k.is_constant():
                k = k.constant_value()
            elif self.is_constant():
                return k * self.constant_value()
            else:
                raise TypeError("the product of two signals is a constraint: use c.mul(a, b)")
        if not isinstance(k, int):
            return NotImplemented
        k %= R
        if k == 0:
            return LC({})
        if k == 1:
            return LC(dict(self.terms))
        return LC({s: c * k % R for s, c in self.terms.items()})

    __rmul__ = __mul__

    def __repr__(self) -> str:
        parts = []
        for k, c in self.terms.items():
            cs = c if c <= R // 2 else c - R
            parts.append(f"{cs}" if k == ONE else f"{cs}*s{k}")
        return "LC(" + (" + ".join(parts) or "0") + ")"

    def __bool__(self) -> bool:  # an LC is never a Python truth value
        raise TypeError("an LC has no truth value; compare witness values, not signals")


class Signal(LC):
    """One signal: the LC {id: 1}."""

    __slots__ = ("id",)

    def __init__(self, sid: int):
        super().__init__({sid: 1})
        self.id = sid

    def __repr__(self) -> str:
        return f"Signal({self.id})"


def const(value: int) -> LC:
    return LC.of(value)


def as_lc(value: "LC | int") -> LC:
    return LC.of(value)
