"""The DSL core: LCs, declarations, --O2 elimination, witness solving, errors, exports."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.dsl import LC, Circuit, CircuitError, ConstraintError, InputError, gadget, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks
from prover.field import R


def test_lc_arithmetic_adds_no_constraints():
    c = Circuit()
    a, b = c.private_input("in", 2)
    x = 3 * a - b + 5
    assert x.terms == {a.id: 3, b.id: R - 1, 0: 5}
    assert (x - x).terms == {}
    assert (a * 0).terms == {} and (2 - a).terms == {0: 2, a.id: R - 1}
    assert c.n_constraints == 0
    with pytest.raises(TypeError):
        a * b
    with pytest.raises(TypeError):
        bool(a)


def test_mul_folds_constants_and_records_one_constraint():
    c = Circuit()
    a, b = c.private_input("in", 2)
    assert c.mul(a, 4).terms == {a.id: 4}
    assert c.mul(LC.of(3), LC.of(5)).terms == {0: 15}
    c.mul(a, b)
    assert c.n_constraints == 1


def test_wire_order_outputs_then_public_then_private_and_outputs_computed():
    c = Circuit("order")
    p = c.private_input("p")
    q = c.public_input("q", 2)
    c.output("o", [c.mul(p, q[0]), c.mul(p, q[1])])
    cc = c.compile()
    r = cc.r1cs
    assert (r.n_pub_out, r.n_pub_in, r.n_prv_in) == (2, 2, 1)
    assert [cc.wire_name(i) for i in range(1, 6)] == ["o[0]", "o[1]", "q[0]", "q[1]", "p"]
    w = assert_solves(cc, {"p": 3, "q": ["4", "-1"]})
    assert cc.outputs(w) == {"o": [12, R - 3]}
    assert cc.public_signals(w) == [12, R - 3, 4, R - 1]


def test_o2_eliminates_linear_constraints_but_keeps_inputs_and_outputs():
    c = Circuit()
    a, b = c.private_input("in", 2)
    x = c.mul(a, b)
    y = c.hint(lambda v: v + 7, x)        # a hinted copy, tied by a linear constraint
    c.assert_equal(y, x + 7)
    z = c.mul(y, y)
    c.output("out", z + 1)
    cc = c.compile()
    assert c.n_constraints == 4 and cc.n_constraints == 2
    # the out wire replaced z, y became x + 7
    w = assert_solves(cc, {"in": [2, 3]})
    assert cc.outputs(w)["out"] == (6 + 7) ** 2 + 1
    assert_tamper_breaks(cc, w)
    assert cc.r1cs.n_wires == 1 + 1 + 2 + 1  # one, out, in[2], x


def test_linear_constraint_between_inputs_is_kept():
    c = Circuit()
    a, b = c.private_input("in", 2)
    c.assert_equal(a, b)
    cc = c.compile()
    assert cc.n_constraints == 1
    assert_solves(cc, {"in": [5, 5]})
    assert_rejects(cc, {"in": [5, 6]})


def test_constant_constraint_failure_is_a_build_error():
    c = Circuit()
    with pytest.raises(CircuitError):
        c.assert_equal(LC.of(1), LC.of(2))
    with pytest.raises(CircuitError):
        c.assert_product(2, 3, 7)


def test_hint_on_constants_folds():
    c = Circuit()
    h = c.hint(lambda v: v * 2, LC.of(21))
    assert h.is_constant() and h.constant_value() == 42
    bits = c.hint(lambda v: [v & 1, v >> 1], LC.of(2), n=2)
    assert [b.constant_value() for b in bits] == [0, 1]


@gadget
def _bad_gadget(c, x):
    with c.scope("inner"):
        c.assert_product(x, x, 4)


def test_error_names_gadget_path_and_signals_not_values():
    c = Circuit("demo")
    x = c.private_input("secret")
    _bad_gadget(c, x)
    cc = c.compile()
    assert_solves(cc, {"secret": 2})
    exc = assert_rejects(cc, {"secret": 3}, match=r"_bad_gadget/inner")
    assert "secret" in str(exc) and "3" not in str(exc).replace("demo", "")
    assert exc.values == {"secret": 3}


@pytest.mark.parametrize("inputs, message", [
    ({}, "missing input 'in'"),
    ({"in": [1, 2], "x": 1}, "unknown input 'x'"),
    ({"in": [1]}, r"in: expected an array of 2"),
    ({"in": 1}, r"expected an array of 2, got a number"),
    ({"in": [1, "abc"]}, r"in\[1\]: 'abc' is not a number"),
    ({"in": [1, str(R)]}, "not below the field modulus"),
    ({"in": [[1], 2]}, r"in\[0\]: expected a number"),
])
def test_input_errors(inputs, message):
    c = Circuit()
    a, b = c.private_input("in", 2)
    c.output("out", c.mul(a, b))
    with pytest.raises(InputError, match=message):
        c.compile().witness(inputs)


def test_input_values_accept_ints_decimal_hex_negative():
    c = Circuit()
    a = c.private_input("a", (2, 2))
    c.output("out", c.mul(a[0][0], a[1][1]) + a[0][1] + a[1][0])
    cc = c.compile()
    w = cc.witness({"a": [["0x10", -1], [1, "3"]]})
    assert cc.outputs(w)["out"] == 16 * 3 - 1 + 1


def test_declaring_twice_is_refused():
    c = Circuit()
    c.private_input("x")
    with pytest.raises(CircuitError):
        c.public_input("x")


def test_materialize_keeps_the_r1cs_and_speeds_the_solver():
    def build(mat):
        c = Circuit()
        xs = c.private_input("x", 6)
        lc = sum((x * (i + 2) for i, x in enumerate(xs)), LC())
        v = c.materialize(lc) if mat else lc
        c.output("out", c.mul(c.mul(v, v), v))
        return c.compile()

    plain, mat = build(False), build(True)
    assert plain.r1cs.constraints == mat.r1cs.constraints
    assert plain.r1cs.n_wires == mat.r1cs.n_wires
    inp = {"x": list(range(1, 7))}
    assert plain.witness(inp) == mat.witness(inp)


def test_compiling_drops_materialized_lcs_but_compiles_again():
    c = Circuit()
    xs = c.private_input("x", 4)
    v = c.materialize(xs[0] + 2 * xs[1] + 3 * xs[2] + xs[3])
    assert c.alias_terms(v.id) == {xs[0].id: 1, xs[1].id: 2, xs[2].id: 3, xs[3].id: 1}
    c.output("out", c.mul(v, v))
    first = c.compile()
    with pytest.raises(CircuitError, match="compiled"):
        c.alias_terms(v.id)
    again = c.compile()
    assert again.r1cs.constraints == first.r1cs.constraints
    assert again.witness({"x": [1, 2, 3, 4]}) == first.witness({"x": [1, 2, 3, 4]})
    with pytest.raises(CircuitError, match="compiled"):
        c.mul(v, xs[0])  # a new constraint on a materialized signal needs its LC


def test_sym_entries_cover_every_signal():
    c = Circuit()
    a, b = c.private_input("in", 2)
    x = c.mul(a, b)
    c.output("out", x)
    cc = c.compile()
    entries = cc.sym_entries()
    assert [e[0] for e in entries] == list(range(1, cc.n_signals))
    names = {e[3]: e[1] for e in entries}
    assert names["main.out"] == 1 and names["main.in[0]"] == 2
    assert -1 in names.values()  # x was substituted by out


# --- random circuits: solver, elimination and R1CS agree with plain evaluation -------------
ops = st.lists(st.tuples(st.sampled_from(["mul", "lin", "eq", "hint"]), st.integers(0, 10 ** 6),
                         st.integers(0, 10 ** 6), st.integers(-5, 5)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(ops=ops, vals=st.lists(st.integers(0, R - 1), min_size=3, max_size=3))
def test_random_circuits_solve_and_satisfy_the_compiled_r1cs(ops, vals):
    c = Circuit("random")
    ins = c.private_input("x", 3)
    sigs: list = list(ins)
    ref: list[int] = list(vals)
    for op, i, j, k in ops:
        a, va = sigs[i % len(sigs)], ref[i % len(ref)]
        b, vb = sigs[j % len(sigs)], ref[j % len(ref)]
        if op == "mul":
            sigs.append(c.mul(a + k, b))
            ref.append((va + k) * vb % R)
        elif op == "lin":
            sigs.append(a * k + b - 3)
            ref.append((va * k + vb - 3) % R)
        elif op == "eq":  # a hinted copy of a + k*b tied back by a linear constraint
            h = c.hint(lambda x, y, k=k: x + k * y, a, b)
            c.assert_equal(h, a + b * k)
            sigs.append(h)
            ref.append((va + k * vb) % R)
        else:
            h = c.hint(lambda x: x * x, a)
            c.assert_product(a, a, h)
            sigs.append(h)
            ref.append(va * va % R)
    c.output("out", sigs[-1])
    cc = c.compile()
    w = cc.witness({"x": vals})
    assert cc.outputs(w)["out"] == ref[-1]
    assert unsatisfied(cc.r1cs, w) == []
    assert cc.n_constraints <= sum(1 for o in ops if o[0] in ("mul", "hint")) + 1


def test_r1cs_and_wtns_files_round_trip(tmp_path):
    import prover.formats.wtns as formats
    from prover.formats.r1cs import read_r1cs, write_r1cs

    c = Circuit()
    a, b = c.private_input("in", 2)
    c.output("out", c.mul(a, b) + a)
    cc = c.compile()
    w = cc.witness({"in": [3, 4]})
    write_r1cs(tmp_path / "c.r1cs", cc.r1cs)
    formats.write_wtns(tmp_path / "c.wtns", w)
    back = read_r1cs(tmp_path / "c.r1cs")
    assert back.constraints == cc.r1cs.constraints and back.n_wires == cc.r1cs.n_wires
    assert formats.read_wtns(tmp_path / "c.wtns") == w


def test_constraint_error_is_a_value_error():
    assert issubclass(ConstraintError, ValueError)


def test_compact_r1cs_writes_the_bytes_of_its_dicts():
    from prover.formats.r1cs import R1CS, CompactConstraints, r1cs_to_bytes

    c = Circuit()
    xs = c.private_input("x", 4)
    y = c.mul(xs[0] * 3 + xs[1] - 7, xs[2] + xs[3] * (R - 2))
    c.assert_product(y, xs[1], xs[3] + 5)
    c.output("out", c.mul(y, y, plus=xs[0]))
    cc = c.compile()
    compact = cc.r1cs
    assert isinstance(compact.constraints, CompactConstraints)
    plain = R1CS(compact.n_wires, compact.n_pub_out, compact.n_pub_in, compact.n_prv_in,
                 list(compact.constraints), list(compact.wire_to_label), compact.n_labels, compact.prime)
    assert r1cs_to_bytes(plain) == r1cs_to_bytes(compact)
    import hashlib

    from prover.formats.r1cs import _compact_chunks, _header, r1cs_sha256

    pieces = list(_compact_chunks(compact, compact.constraints, _header(compact), lcs_per_chunk=2))
    assert len(pieces) > 4 and b"".join(pieces) == r1cs_to_bytes(plain)
    assert r1cs_sha256(compact) == hashlib.sha256(r1cs_to_bytes(plain)).hexdigest()
    assert compact.constraints == plain.constraints and compact.constraints[-1] == plain.constraints[-1]


def test_hints_of_one_gadget_share_one_function():
    from circuits.gadgets.bits import to_bits

    c = Circuit()
    for x in c.private_input("x", 5):
        to_bits(c, x, 8)
    assert len(c._hint_fns) == 1
    cc = c.compile()
    assert cc.witness({"x": [1, 2, 3, 4, 255]})
