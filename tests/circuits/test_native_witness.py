"""The native witness solver (circuits/dsl/native.py, prover/native/src/witness.rs) against the
Python solver it replaces: the same values for every signal, the same errors, the hints the
gadgets use run natively and every other hint called back in Python."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from circuits import registry
from circuits.dsl import Circuit, ConstraintError, native
from circuits.dsl.compiled import CompiledCircuit
from circuits.gadgets.babyjub import _div
from circuits.gadgets.bits import to_bits
from circuits.gadgets.comparators import is_zero
from circuits.gadgets.poseidon import poseidon
from prover.field import R
from prover.formats.wtns import read_wtns

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

if not native.available():
    pytest.skip("optional: the Rust extension has no native witness solver here", allow_module_level=True)


def same_everywhere(cc: CompiledCircuit, inputs: dict) -> list[int]:
    """Both solvers agree on every signal (eliminated ones too) and on the wire witness."""
    reference = cc.solve_signals(inputs)
    assert native.ints(cc.solve_native(inputs)) == reference
    wires = [reference[s] for s in cc.wire_sids]
    assert cc.witness(inputs) == wires
    wtns = cc.witness_wtns(inputs)
    assert read_wtns(wtns) == wires
    assert cc.public_from_wtns(wtns) == cc.public_signals(wires)
    return wires


def mixed_circuit() -> CompiledCircuit:
    """Every kind of step and every native hint, plus hints only Python runs."""
    c = Circuit("mixed")
    a, b = c.public_input("a"), c.private_input("b")
    xs = c.private_input("xs", 3)
    p = c.mul(a, b, plus=xs[0] * 5 - 7)
    c.output("out", [poseidon(c, [a, p]), p + xs[1]])
    to_bits(c, xs[2], 16)                                      # bits, native
    z = is_zero(c, a - b)                                      # inverse or zero, native
    q = c.hint(_div, a + 1, b)                                 # field division, native
    c.assert_product(q, b, a + 1)
    halves = c.hint(lambda *vs: [v // 2 for v in vs], xs[0], xs[1], n=2)  # halving, native
    for h, x in zip(halves, xs[:2]):
        r = c.hint(lambda v, hv: v - 2 * hv, x, h)             # Python: not a reference
        c.assert_product(r, r - 1, 0)
        c.assert_equal(2 * h + r, x)
    quot, rem = c.hint(lambda v: divmod(v, 1000), xs[1], n=2)  # Python, a tuple
    c.assert_equal(quot * 1000 + rem, xs[1])
    short = c.hint(lambda v: [v], a, n=3)                      # Python, fewer values than outputs
    c.assert_equal(short[0], a)
    c.assert_equal(short[1] + short[2], 0)
    m = c.materialize(a + b + xs[0] + xs[1])
    c.assert_product(m, z + 1, c.mul(m, z + 1))
    return c.compile()


def test_native_solver_matches_the_python_solver_on_every_step_kind():
    cc = mixed_circuit()
    for a, b, xs in ((3, 5, [10, 4321, 65535]), (7, 7, [0, 1, 2]), (R - 1, 2, [999, 1000, 1])):
        same_everywhere(cc, {"a": a, "b": b, "xs": xs})


def test_recognised_hints_run_natively_and_others_in_python():
    cc = mixed_circuit()
    ops = {native.hint_op(fn)[0] for fn in cc.circuit._hints}
    assert {native.H_BITS, native.H_INV, native.H_DIV, native.H_HALVES, native.H_PYTHON} <= ops
    assert native.hint_op(lambda v: [(v >> i) & 1 for i in range(3)]) == (native.H_PYTHON, 0)  # n is no closure
    n = 7
    assert native.hint_op(lambda v: [(v >> i) & 1 for i in range(n)]) == (native.H_BITS, 7)
    assert native.hint_op(lambda v: pow(v, -1, R) if v else 1) == (native.H_PYTHON, 0)  # other constant
    namespace = {"R": R + 2}
    exec("f = lambda v: pow(v, -1, R) if v else 0", namespace)
    assert native.hint_op(namespace["f"]) == (native.H_PYTHON, 0)


def test_errors_are_the_python_solvers():
    cc = mixed_circuit()
    bad = {"a": 3, "b": 0, "xs": [1, 2, 3]}  # a + 1 = q * b fails: the division's constraint
    with pytest.raises(ConstraintError) as py:
        cc.solve_signals(bad)
    with pytest.raises(ConstraintError) as rust:
        cc.witness(bad)
    assert (rust.value.index, rust.value.path, rust.value.values) == (py.value.index, py.value.path, py.value.values)
    assert str(rust.value) == str(py.value)
    with pytest.raises(ConstraintError):
        cc.witness({"a": 3, "b": 5, "xs": [1, 2, 1 << 16]})  # 16 bits cannot hold it


def test_a_python_hints_exception_reaches_the_caller():
    c = Circuit("raises")
    x = c.private_input("x")
    y = c.hint(lambda v: 1 // (v - 4), x)
    c.assert_product(y, x - 4, 1)
    cc = c.compile()
    assert cc.witness({"x": 5})[-1] == 1
    with pytest.raises(ZeroDivisionError):
        cc.witness({"x": 4})


def test_settlement_circuit_witness_is_the_python_solvers():
    from circuits.settlement.witness import batch_inputs
    from sequencer.spec import TINY, Batch, process_batch
    from spec_helpers import LOT_PRICE, funded_state, pinned, trade_op, withdraw_op

    cc = registry.build("settlement", preset="tiny")
    state = funded_state(3)
    ops = (withdraw_op(state, 3, 200, nonce=7),
           trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3),
           trade_op(state, 1, 7, 100_000, 2, 3, buyer_nonce=2, seller_nonce=1, fee=1))
    record = process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), ops)))
    wires = same_everywhere(cc, batch_inputs(record, TINY, cc))
    assert cc.public_signals(wires) == [record.digest]
