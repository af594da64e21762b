"""The native witness solver (circuits/dsl/native.py, prover/native/src/witness.rs) against the
Python solver it replaces: the same values for every signal, the same errors, the hints the
gadgets use run natively and every other hint called back in Python."""
from __future__ import annotations

import random
import sys
from array import array
from pathlib import Path

import pytest

from circuits import registry
from circuits.dsl import Circuit, ConstraintError, native
from circuits.dsl.compiled import CompiledCircuit
from circuits.gadgets.babyjub import _div
from circuits.gadgets.bits import to_bits
from circuits.gadgets.comparators import is_zero
from circuits.gadgets.poseidon import poseidon
from circuits.settlement.arith import assert_nonzero
from prover.field import R
from prover.formats.wtns import read_wtns, wtns_to_bytes

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
    assert read_wtns(wtns) == wires and wtns == wtns_to_bytes(wires)  # the .wtns bytes of the values
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


def hints_circuit(n_values: int) -> CompiledCircuit:
    """Each native hint (the gadgets' own functions) on each of n_values inputs, no other
    constraint than the gadgets' (solved with check=False: edge values break them)."""
    c = Circuit("hints")
    xs, ys = c.private_input("x", n_values), c.private_input("y", n_values)
    for x, y in zip(xs, ys):
        is_zero(c, x)                                                # H_INV
        assert_nonzero(c, y, x)                                      # H_INV_ENABLED
        c.hint(_div, x, y)                                           # H_DIV
        for n in (1, 8, 64, 253, 254):
            to_bits(c, x, n)                                         # H_BITS
        c.hint(lambda *vs: [v // 2 for v in vs], x, y, n=2)          # H_HALVES
    return c.compile()


EDGES = [0, 1, 2, 3, R - 1, R - 2, (R - 1) // 2, (R + 1) // 2, 1 << 64, (1 << 64) - 1, 1 << 253, (1 << 253) - 1]


def test_native_hints_equal_their_python_functions_on_random_and_edge_inputs():
    """Inverse, enabled inverse, division (by zero too), bit decompositions (values wider
    than the bits, and p - 1), halving: the native operations give the Python functions'
    values on every signal, the two solvers' outputs compared whole."""
    rng = random.Random(12)
    values = EDGES + [rng.randrange(R) for _ in range(20)] + [rng.randrange(1 << 70) for _ in range(5)]
    xs = values + [rng.choice(values) for _ in range(len(values))]
    ys = [rng.choice(values) for _ in xs]
    cc = hints_circuit(len(xs))
    ops = {native.hint_op(fn)[0] for fn in cc.circuit._hints}
    assert ops == {native.H_INV, native.H_INV_ENABLED, native.H_DIV, native.H_BITS, native.H_HALVES}
    inputs = {"x": xs, "y": ys}
    assert native.ints(cc.solve_native(inputs, check=False)) == cc.solve_signals(inputs, check=False)


def test_the_program_reads_the_circuits_arrays_in_place_or_as_bytes():
    """WitnessProgram takes any contiguous buffer (the circuit's arrays, read in place, or
    bytes copies of them): the same program either way; a non-buffer is refused."""
    cc = mixed_circuit()
    c = cc.circuit
    ops = array("q", [x for fn in c._hints for x in native.hint_op(fn)])
    lcs, cons = c._step_lcs, c._cons
    arrays = [c._prog, lcs.sig, lcs.coef, lcs.ends, native.coefficient_bytes(c._coefs.values), bytes(ops),
              c.n_signals, cons.sig, cons.coef, cons.ends, c._cdefining]
    copies = [bytes(a) if isinstance(a, (array, bytearray)) else a for a in arrays]
    NativeProgram = type(cc.native_program())
    inputs = {"a": 3, "b": 5, "xs": [10, 4321, 65535]}
    w: dict = {}
    cc._fill_inputs(inputs, w)
    args = (bytes(array("q", w)), b"".join(v.to_bytes(32, "little") for v in w.values()),
            native.python_hints(c._hints))
    got = [NativeProgram(*a).solve(*args) for a in (arrays, copies)]
    assert got[0] == got[1] and got[0][0] == -1
    assert native.ints(got[0][1]) == cc.solve_signals(inputs)
    with pytest.raises(TypeError):
        NativeProgram(*([list(c._prog)] + arrays[1:]))


def test_the_first_failing_constraint_is_the_one_reported():
    """Several constraints broken at once: the native solver names the lowest, as Python."""
    c = Circuit("broken")
    x = c.private_input("x")
    for k in range(40):
        c.assert_product(c.hint(lambda v: v + 1, x), x + k, k)   # Python hints: wrong on purpose
        to_bits(c, x, 8 + k % 3)                                 # fails when x >= 2^8
    cc = c.compile()
    for value in (300, 5, 1 << 20):
        with pytest.raises(ConstraintError) as py:
            cc.solve_signals({"x": value})
        with pytest.raises(ConstraintError) as rust:
            cc.witness({"x": value})
        assert (rust.value.index, str(rust.value)) == (py.value.index, str(py.value))


@pytest.fixture(scope="module")
def tiny():
    return registry.build("settlement", preset="tiny")


def test_settlement_circuit_witness_is_the_python_solvers(tiny):
    from circuits.settlement.witness import batch_inputs
    from sequencer.spec import TINY, Batch, process_batch
    from spec_helpers import LOT_PRICE, funded_state, pinned, trade_op, withdraw_op

    state = funded_state(3)
    ops = (withdraw_op(state, 3, 200, nonce=7),
           trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3),
           trade_op(state, 1, 7, 100_000, 2, 3, buyer_nonce=2, seller_nonce=1, fee=1))
    record = process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), ops)))
    wires = same_everywhere(tiny, batch_inputs(record, TINY, tiny))
    assert tiny.public_signals(wires) == [record.digest]


def test_every_slot_kind_solves_natively_as_in_python(tiny):
    """Batches that fill every kind of slot of the tiny batch circuit between them
    (registration, deposits, a bounced one, funding, withdrawal, forced withdrawal, trades,
    a touch, a liquidation, a deleverage): both solvers agree on every signal."""
    from circuits.settlement.witness import batch_inputs
    from sequencer.spec import TINY, Batch, Deposit, ForcedWithdraw, Funding, Touch, build_batch, process_batch
    from sequencer.spec.constants import COLLATERAL_MAX
    from spec_helpers import LOT_PRICE, deposit_op, funded_state, pinned, register_op, trade_op, withdraw_op

    kinds = set()

    def agree(state, batch):
        record = process_batch(state, batch)
        kinds.update(type(op).__name__ for op in batch.ops)
        wires = same_everywhere(tiny, batch_inputs(record, TINY, tiny))
        assert tiny.public_signals(wires) == [record.digest]

    state = funded_state(3)
    ops = (register_op(state, 4), deposit_op(state, 4, 500), Deposit(state.deposit_index + 1, 3, COLLATERAL_MAX),
           Funding(0, 5), withdraw_op(state, 3, 200, nonce=7), ForcedWithdraw(0, 3, 10**7),
           trade_op(state, 0, 900, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3))
    agree(state, pinned(state, Batch(1, 1, (1000, 1000), ops)))
    lo = state.accounts[1].box[0][0]
    agree(state, pinned(state, Batch(2, 2, (lo - 1, 1000), (Touch(1),))))
    pending = [trade_op(state, 1, 5, 100_000, 3, 2, buyer_nonce=1, seller_nonce=1), deposit_op(state, 3, 77)]
    agree(state, build_batch(state, pending, (900, 1000), oracle_round=3).batch)
    assert {"Register", "Deposit", "Funding", "Withdraw", "ForcedWithdraw", "Trade", "Touch", "Liquidate",
            "Deleverage"} <= kinds
