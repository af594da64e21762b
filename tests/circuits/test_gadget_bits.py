"""Bits, range checks, comparators, select/mux and signed integers."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets import bits, comparators, mux, signed
from prover.field import R


def _one_input(fn, name="x"):
    c = Circuit(fn.__name__)
    out = fn(c, c.private_input(name))
    if out is not None:
        c.output("out", out)
    return c.compile()


@pytest.fixture(scope="module")
def to_bits8():
    return _one_input(lambda c, x: bits.to_bits(c, x, 8))


@given(x=st.integers(0, 255))
def test_to_bits_completeness(to_bits8, x):
    w = assert_solves(to_bits8, {"x": x})
    assert to_bits8.outputs(w)["out"] == [(x >> i) & 1 for i in range(8)]


def test_to_bits_soundness(to_bits8):
    assert_tamper_breaks(to_bits8, to_bits8.witness({"x": 0b10110011}))
    assert_rejects(to_bits8, {"x": 256}, match="to_bits")
    assert_rejects(to_bits8, {"x": R - 1})


def test_non_boolean_bits_are_refused():
    # 5 = 1 + 2*2: "bit" 1 set to 2 still sums right, but is not a bit
    c = Circuit()
    x = c.private_input("x")
    bs = bits.to_bits(c, x, 3)
    c.output("b", bs)
    cc = c.compile()
    w = forge_witness(cc, {"x": 5}, {"bits[0]": 1, "bits[1]": 2, "bits[2]": 0})
    assert unsatisfied(cc.r1cs, w)


def test_strict_bits_refuse_the_alias_above_r():
    cc = _one_input(bits.num2bits_strict)
    x = 12345
    w = assert_solves(cc, {"x": x})
    assert cc.outputs(w)["out"][:14] == [(x >> i) & 1 for i in range(14)]
    alias = x + R  # < 2^254: a second 254-bit decomposition of the same field element
    assert alias < 1 << 254
    forged = forge_witness(cc, {"x": x}, {f"bits[{i}]": (alias >> i) & 1 for i in range(254)})
    bad = unsatisfied(cc.r1cs, forged)
    assert bad, "Num2Bits(254) alone accepts the alias; the alias check must refuse it"
    # ... whereas the plain 254-bit decomposition accepts it (the reason for _strict)
    plain = _one_input(lambda c, v: bits.to_bits(c, v, 254))
    assert not unsatisfied(plain.r1cs, forge_witness(plain, {"x": x},
                                                     {f"bits[{i}]": (alias >> i) & 1 for i in range(254)}))


@given(x=st.integers(0, R - 1))
@settings(max_examples=10, deadline=None)
def test_strict_bits_of_any_field_element(x):
    cc = _strict()
    w = assert_solves(cc, {"x": x})
    assert sum(b << i for i, b in enumerate(cc.outputs(w)["out"])) == x


_STRICT = []


def _strict():
    if not _STRICT:
        _STRICT.append(_one_input(bits.num2bits_strict))
    return _STRICT[0]


def test_num2bits_strict_tamper():
    cc = _strict()
    assert_tamper_breaks(cc, cc.witness({"x": R - 1}))


def test_assert_in_range():
    cc = _one_input(lambda c, x: bits.assert_in_range(c, x, 16))
    assert_solves(cc, {"x": 65535})
    assert_rejects(cc, {"x": 65536})
    assert_rejects(cc, {"x": -1})
    with pytest.raises(ValueError):
        _one_input(lambda c, x: bits.assert_in_range(c, x, 253))


# --- comparators --------------------------------------------------------------------------
def _two_inputs(fn):
    c = Circuit()
    a, b = c.private_input("in", 2)
    out = fn(c, a, b)
    if out is not None:
        c.output("out", out)
    return c.compile()


N = 16
CMP = {
    "less_than": (comparators.less_than, lambda a, b: a < b),
    "less_eq": (comparators.less_eq, lambda a, b: a <= b),
    "greater_than": (comparators.greater_than, lambda a, b: a > b),
    "greater_eq": (comparators.greater_eq, lambda a, b: a >= b),
}
CMP_CC = {k: _two_inputs(lambda c, a, b, f=f: f(c, a, b, N)) for k, (f, _) in CMP.items()}


@pytest.mark.parametrize("name", sorted(CMP))
@given(a=st.integers(0, (1 << N) - 2), b=st.integers(0, (1 << N) - 2))
@settings(max_examples=40, deadline=None)
def test_comparators_completeness(name, a, b):
    cc = CMP_CC[name]
    w = assert_solves(cc, {"in": [a, b]})
    assert cc.outputs(w)["out"] == int(CMP[name][1](a, b))


@pytest.mark.parametrize("name", sorted(CMP))
def test_comparators_soundness(name):
    cc = CMP_CC[name]
    for a, b in [(3, 9), (9, 3), (7, 7)]:
        assert_tamper_breaks(cc, cc.witness({"in": [a, b]}))
    assert_rejects(cc, {"in": [3 << N, 0]})  # operands must be < 2^n


def test_less_than_refuses_n_above_252():
    with pytest.raises(ValueError):
        _two_inputs(lambda c, a, b: comparators.less_than(c, a, b, 253))
    _two_inputs(lambda c, a, b: comparators.less_than(c, a, b, 252))


def test_is_zero_and_is_equal():
    cz = _one_input(comparators.is_zero)
    for x, want in [(0, 1), (5, 0), (R - 1, 0)]:
        assert cz.outputs(assert_solves(cz, {"x": x}))["out"] == want
    assert_tamper_breaks(cz, cz.witness({"x": 5}))
    # with x == 0 the hinted inverse is free (any value satisfies in * inv * ... ), by design
    assert_tamper_breaks(cz, cz.witness({"x": 0}), free=("inv",))
    # a cheating prover cannot claim "x is zero" for x != 0
    assert unsatisfied(cz.r1cs, forge_witness(cz, {"x": 5}, {"inv": 0}))
    ce = _two_inputs(comparators.is_equal)
    assert ce.outputs(ce.witness({"in": [4, 4]}))["out"] == 1
    assert ce.outputs(ce.witness({"in": [4, 5]}))["out"] == 0


def test_assert_equal_if_enabled():
    c = Circuit()
    en, a, b = c.private_input("en"), c.private_input("a"), c.private_input("b")
    comparators.assert_equal_if_enabled(c, en, a, b)
    cc = c.compile()
    assert cc.n_constraints == 1
    assert_solves(cc, {"en": 1, "a": 3, "b": 3})
    assert_solves(cc, {"en": 0, "a": 3, "b": 4})
    assert_rejects(cc, {"en": 1, "a": 3, "b": 4}, match="assert_equal_if_enabled")


def test_assert_less_than():
    cc = _two_inputs(lambda c, a, b: comparators.assert_less_than(c, a, b, 8))
    assert_solves(cc, {"in": [3, 4]})
    assert_rejects(cc, {"in": [4, 4]})
    assert_rejects(cc, {"in": [5, 4]})


# --- select / mux -------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3])
def test_mux(k):
    c = Circuit()
    vals = c.private_input("c", 1 << k)
    sel = c.private_input("s", k)
    c.output("out", mux.mux(c, sel, vals))
    cc = c.compile()
    assert cc.n_constraints == (1 << k) - 1
    values = [100 + i for i in range(1 << k)]
    for i in range(1 << k):
        w = assert_solves(cc, {"c": values, "s": [(i >> j) & 1 for j in range(k)]})
        assert cc.outputs(w)["out"] == values[i]
    assert_tamper_breaks(cc, w)


def test_mux_of_constants_folds_the_first_level():
    c = Circuit()
    sel = c.private_input("s", 2)
    c.output("out", mux.mux(c, sel, [5, 6, 7, 8]))
    cc = c.compile()
    assert cc.n_constraints == 1
    assert cc.outputs(cc.witness({"s": [1, 1]}))["out"] == 8


def test_select():
    c = Circuit()
    b, x, y = c.private_input("b"), c.private_input("x"), c.private_input("y")
    c.output("out", mux.select(c, b, x, y))
    cc = c.compile()
    assert cc.outputs(cc.witness({"b": 1, "x": 3, "y": 4}))["out"] == 3
    assert cc.outputs(cc.witness({"b": 0, "x": 3, "y": 4}))["out"] == 4


# --- signed -------------------------------------------------------------------------------
SN = 32


@pytest.fixture(scope="module")
def sign_abs():
    c = Circuit()
    x = c.private_input("x")
    neg, ab = signed.sign_and_abs(c, x, SN)
    c.output("neg", neg)
    c.output("abs", ab)
    return c.compile()


@given(v=st.integers(-(1 << (SN - 1)), (1 << (SN - 1)) - 1))
@settings(max_examples=50, deadline=None)
def test_sign_and_abs(sign_abs, v):
    w = assert_solves(sign_abs, {"x": v})
    assert sign_abs.outputs(w) == {"neg": int(v < 0), "abs": abs(v)}


def test_signed_soundness(sign_abs):
    assert_tamper_breaks(sign_abs, sign_abs.witness({"x": -12345}))
    assert_rejects(sign_abs, {"x": 1 << (SN - 1)})
    assert_rejects(sign_abs, {"x": -(1 << (SN - 1)) - 1})


@given(a=st.integers(-(1 << 99), (1 << 99) - 1), b=st.integers(-(1 << 59), (1 << 59) - 1))
@settings(max_examples=30, deadline=None)
def test_mul_signed_never_wraps(a, b):
    cc = _mul_signed()
    w = assert_solves(cc, {"in": [a, b]})
    assert signed.from_field(cc.outputs(w)["out"]) == a * b


_MS = []


def _mul_signed():
    if not _MS:
        _MS.append(_two_inputs(lambda c, a, b: signed.mul_signed(c, a, b, 100, 60)))
    return _MS[0]


def test_mul_signed_bounds():
    assert_rejects(_mul_signed(), {"in": [1 << 99, 1]})
    assert_rejects(_mul_signed(), {"in": [1, -(1 << 59) - 1]})
    with pytest.raises(ValueError, match="wrap"):
        _two_inputs(lambda c, a, b: signed.mul_signed(c, a, b, 200, 60))


def test_less_than_signed():
    cc = _two_inputs(lambda c, a, b: signed.less_than_signed(c, a, b, 16))
    for a, b in [(-5, 3), (3, -5), (-5, -5), (-7, -6)]:
        assert cc.outputs(assert_solves(cc, {"in": [a, b]}))["out"] == int(a < b)
