"""Groth16 on both backends: QAP reduction, multi-exponentiation, setup, prove, verify."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from prover.backends import PythonBackend, get_backend
from prover.field import R
from prover.formats.r1cs import read_r1cs, r1cs_to_bytes
from prover.formats.wtns import read_wtns
from prover.formats.zkey import read_zkey, zkey_to_bytes
from prover.groth16 import curve, qap
from prover.groth16.keys import DEV_SETUP_MARKER, Proof
from prover.groth16.prove import prove, prove_unoptimized, prove_with_randomness
from prover.groth16.setup import ToxicWaste
from prover.groth16.verify import check, verify

R_FIXED, S_FIXED = 0x1234567, 0x89ABCDEF


# --- QAP -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("m,l,n", [(1, 0, 2), (2, 1, 4), (3, 0, 4), (4, 0, 8), (968, 3, 1024), (1021, 2, 1024),
                                   (1021, 3, 2048)])
def test_domain_size_follows_zkey_new(m, l, n):
    assert qap.domain_size(m, l) == n


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=R - 1), st.sampled_from([1, 2, 8, 32]))
def test_lagrange_basis(tau, n):
    lag = qap.lagrange_at(tau, n)
    assert sum(lag) % R == 1
    omega = qap.root_of_unity(n)
    # at a root of unity the basis is an indicator
    assert qap.lagrange_at(pow(omega, 1, R), n) == [int(j == 1 % n) for j in range(n)]


def test_h_reconstructs_ab_minus_c_at_tau(tiny):
    """snarkjs's trick: sum_j (ab - c)(odd point j) L^{2n}_{2j+1}(tau) == a(tau) b(tau) - c(tau)."""
    w = tiny.witness(3, 5)
    n = qap.domain_size(tiny.r1cs.n_constraints, tiny.r1cs.n_public)
    tau = 987654321
    u, v, ww = qap.evaluate_at(tiny.r1cs, tau, n)
    a = sum(x * y for x, y in zip(u, w)) % R
    b = sum(x * y for x, y in zip(v, w)) % R
    c = sum(x * y for x, y in zip(ww, w)) % R
    h = qap.h_coset_evaluations(qap.qap_coeffs(tiny.r1cs), w, n)
    lag2 = qap.lagrange_at(tau, 2 * n)[1::2]
    assert sum(x * y for x, y in zip(h, lag2)) % R == (a * b - c) % R
    assert (a * b - c) % R != 0  # tau is not a root: the identity is not vacuous


# --- curve ---------------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=R - 1)),
                min_size=0, max_size=12),
       st.booleans())
def test_msm_matches_py_ecc(terms, g2):
    grp, gen = (curve.G2, bn.G2) if g2 else (curve.G1, bn.G1)
    to_py, from_py = (curve.jac_g2_to_py_ecc, curve.g2_from_py_ecc) if g2 else (curve.jac_g1_to_py_ecc, curve.g1_from_py_ecc)
    points = [from_py(bn.multiply(gen, k)) if k else None for k, _ in terms]
    scalars = [s for _, s in terms]
    expected = bn.Z2 if g2 else bn.Z1
    for (k, s) in terms:
        expected = bn.add(expected, bn.multiply(gen, k * s % R))
    assert bn.eq(to_py(curve.msm(grp, points, scalars)), expected)


def test_msm_small_and_negative_scalars():
    pts = curve.FixedBase(curve.G1, curve.G1_GEN, w=4).mul_many_affine(list(range(1, 301)))
    scalars = [random.Random(i).choice([0, 1, 2, R - 1, R - 2, 12345, R // 2 + 1]) for i in range(300)]
    expected = sum((i + 1) * s for i, s in enumerate(scalars)) % R
    assert curve.G1.to_affine(curve.msm(curve.G1, pts, scalars)) == curve.G1.to_affine(
        curve.FixedBase(curve.G1, curve.G1_GEN, w=4).mul(expected))


# --- setup, prove, verify on the tiny circuit ----------------------------------------------------

def test_dev_setup_is_marked_unsafe(tiny):
    pk = tiny.pk
    assert pk.cs_hash == DEV_SETUP_MARKER and pk.unsafe_dev_setup
    assert read_zkey(zkey_to_bytes(pk)).unsafe_dev_setup
    assert pk.verifying_key().unsafe_dev_setup


def test_tiny_proof_verifies_and_matches_unoptimized_twin(tiny):
    pk = tiny.pk
    w = tiny.witness(3, 5)
    proof = prove_with_randomness(pk, w, R_FIXED, S_FIXED)
    assert proof == prove_unoptimized(pk, w, R_FIXED, S_FIXED)
    vk = pk.verifying_key()
    assert verify(vk, w[1:2], proof)
    assert not verify(vk, [w[1] + 1], proof)
    assert check(vk, [], proof).startswith("expected 1 public")


def test_randomised_proofs_differ_and_verify(tiny):
    pk, w = tiny.pk, tiny.witness(7, 9)
    p1, p2 = prove(pk, w, random.Random(1)), prove(pk, w)
    assert p1 != p2
    assert verify(pk.verifying_key(), w[1:2], p1) and verify(pk.verifying_key(), w[1:2], p2)


def test_prove_rejects_malformed_witness(tiny):
    with pytest.raises(ValueError, match="wires"):
        prove_with_randomness(tiny.pk, [1, 2, 3], 1, 1)
    with pytest.raises(ValueError, match="witness\\[0\\]"):
        prove_with_randomness(tiny.pk, [2] + tiny.witness(1, 1)[1:], 1, 1)


def test_unsatisfying_witness_does_not_verify(tiny):
    w = tiny.witness(3, 5)
    w[4] = (w[4] + 1) % R  # z != x * y
    assert not qap.is_satisfied(tiny.r1cs, w)
    proof = prove_with_randomness(tiny.pk, w, R_FIXED, S_FIXED)
    assert not verify(tiny.pk.verifying_key(), w[1:2], proof)


def test_backend_proves_tiny(backend, tiny):
    zkey = backend.setup(tiny.r1cs, tiny.toxic)
    w = tiny.witness(11, 13)
    proof = backend.prove(zkey, w, R_FIXED, S_FIXED)
    vk = read_zkey(zkey).verifying_key()
    assert backend.verify(vk, w[1:2], proof)
    assert not backend.verify(vk, [(w[1] + 1) % R], proof)
    # fixed r, s: the reference prover gives the same bytes
    assert proof.to_bytes() == prove_with_randomness(read_zkey(zkey), w, R_FIXED, S_FIXED).to_bytes()


@pytest.mark.usefixtures("native")
def test_backends_agree_byte_for_byte(tiny, main_circuit):
    py, nat = get_backend("python"), get_backend("native")
    for r1cs, w in ((tiny.r1cs, tiny.witness(2, 3)), (read_r1cs(main_circuit.r1cs), read_wtns(main_circuit.wtns))):
        r1cs_b = r1cs_to_bytes(r1cs)
        zk_py, zk_nat = py.setup(read_r1cs(r1cs_b), tiny.toxic), nat.setup(r1cs_b, tiny.toxic)
        assert zk_py == zk_nat
        assert py.prove(zk_py, w, R_FIXED, S_FIXED).to_bytes() == nat.prove(zk_py, w, R_FIXED, S_FIXED).to_bytes()


# --- a circom circuit ----------------------------------------------------------------------------

@pytest.mark.slow
def test_circom_circuit_completeness(backend, main_circuit):
    r1cs = read_r1cs(main_circuit.r1cs)
    w = read_wtns(main_circuit.wtns)
    assert qap.is_satisfied(r1cs, w)
    zkey = backend.setup(r1cs, ToxicWaste.random(random.Random(5)))
    proof = backend.prove(zkey, w, R_FIXED, S_FIXED)
    vk = read_zkey(zkey).verifying_key()
    public = w[1:1 + r1cs.n_public]
    assert public[1:] == [1, 100]  # lt = (5 < 100), bound
    assert backend.verify(vk, public, proof)
    assert not backend.verify(vk, [public[0], 0, 100], proof)


class _PythonStandIn:
    """prover._native's Groth16 ABI implemented with the Python backend: checks the wrapper's
    byte packing on both sides, and is the executable spec the Rust functions must meet."""

    @staticmethod
    def groth16_setup(r1cs: bytes, toxic: bytes) -> bytes:
        return PythonBackend().setup(read_r1cs(r1cs), ToxicWaste.from_bytes(toxic))

    @staticmethod
    def groth16_prove(zkey: bytes, wtns: bytes, r: bytes, s: bytes) -> bytes:
        assert len(r) == len(s) == 32
        return prove_with_randomness(read_zkey(zkey), read_wtns(wtns), int.from_bytes(r, "little"),
                                     int.from_bytes(s, "little")).to_bytes()

    @staticmethod
    def pairing_check(g1s: bytes, g2s: bytes) -> bool:
        from prover.groth16.verify import pairing_product_is_one
        assert len(g1s) % 64 == 0 and len(g2s) == 2 * len(g1s)
        ints = lambda b: [int.from_bytes(b[i:i + 32], "little") for i in range(0, len(b), 32)]
        a, b = ints(g1s), ints(g2s)
        g1 = [None if a[i] == a[i + 1] == 0 else (a[i], a[i + 1]) for i in range(0, len(a), 2)]
        g2 = [None if not any(b[i:i + 4]) else ((b[i], b[i + 1]), (b[i + 2], b[i + 3])) for i in range(0, len(b), 4)]
        return pairing_product_is_one(list(zip(g1, g2)))


def test_native_wrapper_packing_with_python_stand_in(tiny, monkeypatch):
    from prover import backends
    monkeypatch.setattr(backends, "native_module", lambda: _PythonStandIn)
    nat, py = get_backend("native"), get_backend("python")
    zkey = nat.setup(tiny.r1cs, tiny.toxic)
    assert zkey == py.setup(tiny.r1cs, tiny.toxic)
    w = tiny.witness(4, 6)
    proof = nat.prove(zkey, w, R_FIXED, S_FIXED)
    assert proof == py.prove(zkey, w, R_FIXED, S_FIXED)
    vk = read_zkey(zkey).verifying_key()
    assert nat.verify(vk, w[1:2], proof)
    assert not nat.verify(vk, [w[1] + 1], proof)
    assert Proof.from_bytes(proof.to_bytes()) == proof
