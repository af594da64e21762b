"""Baby Jubjub points, scalar multiplication and EdDSA-Poseidon verification."""
from __future__ import annotations

import pytest

from circuits import registry
from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets import babyjub
from prover.field import R


def test_constants_match_reference(ref):
    assert babyjub.BASE8 == ref.BASE8 and babyjub.SUBORDER == ref.SUBORDER
    assert ref.mul(ref.BASE8, ref.SUBORDER) == (0, 1)


def test_add(ref):
    cc = registry.build("babyjub_add")
    p, q = ref.mul(ref.BASE8, 1234), ref.mul(ref.BASE8, 98765)
    for a, b in [(p, q), (p, p), (p, (0, 1)), ((0, 1), (0, 1)), (p, ((R - p[0]) % R, p[1]))]:
        w = assert_solves(cc, {"x1": a[0], "y1": a[1], "x2": b[0], "y2": b[1]})
        out = cc.outputs(w)
        assert (out["xout"], out["yout"]) == ref.add(a, b)
    assert_tamper_breaks(cc, cc.witness({"x1": p[0], "y1": p[1], "x2": q[0], "y2": q[1]}))


def test_on_curve(ref):
    cc = registry.build("babyjub_check")
    p = ref.mul(ref.BASE8, 777)
    assert_solves(cc, {"x": p[0], "y": p[1]})
    assert_solves(cc, {"x": 0, "y": 1})
    assert_rejects(cc, {"x": p[0], "y": p[1] + 1}, match="assert_on_curve")
    assert_rejects(cc, {"x": 1, "y": 1})


def test_fixed_base_mul(ref):
    cc = registry.build("babyjub_pbk")
    for k in [1, 2, 7, 8, 12345, ref.SUBORDER - 1, (1 << 253) - 1]:
        w = assert_solves(cc, {"in": k})
        out = cc.outputs(w)
        assert (out["Ax"], out["Ay"]) == ref.mul(ref.BASE8, k)
    assert_tamper_breaks(cc, w)


def test_variable_base_mul(ref):
    cc = registry.build("escalar_mul_any", n=254)
    p = ref.mul(ref.BASE8, 31337)
    for k in [1, 3, 123456789, ref.SUBORDER - 2, ref.rng.randrange(R)]:
        w = assert_solves(cc, {"e": [(k >> i) & 1 for i in range(254)], "p": list(p)})
        assert tuple(cc.outputs(w)["out"]) == ref.mul(p, k)
    assert_tamper_breaks(cc, w)
    # x == 0 (the identity) gives the identity, as circomlib
    w = assert_solves(cc, {"e": [(5 >> i) & 1 for i in range(254)], "p": [0, 1]})
    assert cc.outputs(w)["out"] == [0, 1]


# --- EdDSA-Poseidon -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def eddsa():
    return registry.build("eddsa_poseidon")


def test_eddsa_accepts_valid_signatures(eddsa, ref):
    for secret, msg in [(1, 0), (12345678901234567890, 42), (ref.SUBORDER - 1, R - 1)]:
        assert_solves(eddsa, ref.sig_input(secret=secret, msg=msg))


def test_eddsa_constraint_count_is_at_most_circomlibs(eddsa):
    assert eddsa.n_constraints <= 4217  # circomlib EdDSAPoseidonVerifier at circom2 --O2


def test_eddsa_refuses_other_message_or_key(eddsa, ref):
    good = ref.sig_input(msg=42)
    assert_rejects(eddsa, {**good, "M": "43"}, match="assert_eddsa_poseidon")
    other = ref.sig_input(secret=999, msg=42, nonce=55555)
    assert_rejects(eddsa, {**good, "Ax": other["Ax"], "Ay": other["Ay"]})
    assert_rejects(eddsa, {**good, "R8x": other["R8x"], "R8y": other["R8y"]})
    assert_rejects(eddsa, {**good, "S": str(int(good["S"]) + 1)})


def test_eddsa_refuses_s_above_the_subgroup_order(eddsa, ref):
    good = ref.sig_input(msg=42)
    # S + l satisfies the group equation (l * B8 = 0): only the S < l check refuses it
    s_big = int(good["S"]) + ref.SUBORDER
    assert s_big < 1 << 253
    exc = assert_rejects(eddsa, {**good, "S": str(s_big)})
    assert "compare_constant" in exc.path or exc.path.endswith("assert_eddsa_poseidon")


def test_eddsa_disabled_accepts_anything(eddsa, ref):
    good = ref.sig_input(msg=42)
    assert_solves(eddsa, {**good, "M": "43", "enabled": "0"})


def test_eddsa_soundness(eddsa, ref):
    assert_tamper_breaks(eddsa, eddsa.witness(ref.sig_input(msg=7)))


def test_eddsa_forged_hint_is_refused(eddsa, ref):
    good = ref.sig_input(msg=42)
    bad = forge_witness(eddsa, {**good, "M": "43"}, {})
    assert unsatisfied(eddsa.r1cs, bad)
