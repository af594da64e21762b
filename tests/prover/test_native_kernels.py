"""The native kernels (prover._native) against py_ecc and a plain-Python NTT."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from py_ecc.optimized_bn128 import G1, G2, FQ2, Z1, Z2, add, multiply, neg, normalize

from prover.field import R

native = pytest.importorskip("prover._native")

scalar = st.one_of(st.sampled_from([0, 1, 2, R - 1, R - 2]), st.integers(0, R - 1))


def le(x: int) -> bytes:
    return (x % R).to_bytes(32, "little")


def g1_enc(p) -> bytes:
    if p is None:
        return bytes(64)
    x, y = normalize(p)
    return int(x).to_bytes(32, "little") + int(y).to_bytes(32, "little")


def g2_enc(p) -> bytes:
    if p is None:
        return bytes(128)
    x, y = normalize(p)
    return b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs))


def g1_sum(pairs):
    acc = Z1
    for p, s in pairs:
        if p is not None and s % R:
            acc = add(acc, multiply(p, s % R))
    return None if acc == Z1 or acc[2] == 0 else acc


def g2_sum(pairs):
    acc = Z2
    for p, s in pairs:
        if p is not None and s % R:
            acc = add(acc, multiply(p, s % R))
    return None if acc[2] == FQ2.zero() else acc


# A few base points, including repeats and the point at infinity (None).
BASES1 = [multiply(G1, k) for k in (1, 2, 3, 12345)] + [None]
BASES2 = [multiply(G2, k) for k in (1, 7)] + [None]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(BASES1))), scalar), min_size=0, max_size=17))
def test_g1_msm_matches_py_ecc(pairs):
    points = [BASES1[i] for i, _ in pairs]
    got = native.g1_msm(b"".join(g1_enc(p) for p in points), b"".join(le(s) for _, s in pairs))
    assert got == g1_enc(g1_sum(zip(points, [s for _, s in pairs])))


@settings(max_examples=6, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(BASES2))), scalar), min_size=0, max_size=3))
def test_g2_msm_matches_py_ecc(pairs):
    points = [BASES2[i] for i, _ in pairs]
    got = native.g2_msm(b"".join(g2_enc(p) for p in points), b"".join(le(s) for _, s in pairs))
    assert got == g2_enc(g2_sum(zip(points, [s for _, s in pairs])))


def test_msm_rejects_malformed_input():
    with pytest.raises(ValueError, match="not on the curve"):
        native.g1_msm((1).to_bytes(32, "little") * 2, le(1))
    with pytest.raises(ValueError, match="multiple of 64"):
        native.g1_msm(bytes(63), b"")
    with pytest.raises(ValueError, match="below the field order"):
        native.g1_msm(g1_enc(G1), R.to_bytes(32, "little"))
    with pytest.raises(ValueError, match="bases but"):
        native.g1_msm(g1_enc(G1), le(1) * 2)


def ntt_reference(coeffs: list[int], shift: int = 1) -> list[int]:
    n = len(coeffs)
    w = pow(5, (R - 1) // n, R)
    return [sum(c * pow(shift * pow(w, i, R), j, R) for j, c in enumerate(coeffs)) % R for i in range(n)]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 4).flatmap(lambda k: st.lists(scalar, min_size=2**k, max_size=2**k)), scalar.filter(bool))
def test_ntt_and_coset_ntt_match_reference_and_round_trip(coeffs, shift):
    buf = b"".join(le(c) for c in coeffs)
    evals = native.fr_ntt(buf)
    assert [int.from_bytes(evals[i:i + 32], "little") for i in range(0, len(evals), 32)] == ntt_reference(coeffs)
    assert native.fr_ntt(evals, inverse=True) == buf
    coset = native.fr_coset_ntt(buf, le(shift))
    assert [int.from_bytes(coset[i:i + 32], "little") for i in range(0, len(coset), 32)] == ntt_reference(coeffs, shift)
    assert native.fr_coset_ntt(coset, le(shift), inverse=True) == buf


def test_ntt_rejects_sizes_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        native.fr_ntt(le(1) * 3)


@settings(max_examples=3, deadline=None)
@given(st.integers(1, R - 1), st.integers(1, R - 1))
def test_pairing_check_bilinearity(a, b):
    # e(aP, bQ) * e(-abP, Q) == 1, and not with a wrong factor.
    g1s = g1_enc(multiply(G1, a)) + g1_enc(neg(multiply(G1, a * b % R)))
    g2s = g2_enc(multiply(G2, b)) + g2_enc(G2)
    assert native.pairing_check(g1s, g2s)
    bad = g1_enc(multiply(G1, a)) + g1_enc(neg(multiply(G1, (a * b + 1) % R)))
    assert not native.pairing_check(bad, g2s)


def test_pairing_check_refuses_points_off_the_curve_or_subgroup():
    off = (1).to_bytes(32, "little") * 4
    with pytest.raises(ValueError):
        native.pairing_check(g1_enc(G1), off)
    with pytest.raises(ValueError, match="multiple of 128"):
        native.pairing_check(g1_enc(G1), bytes(127))


def test_groth16_prove_rejects_corrupt_files():
    with pytest.raises(ValueError, match="zkey"):
        native.groth16_prove(b"junk" * 10, b"", le(1), le(2))
    with pytest.raises(ValueError, match="32 bytes"):
        native.groth16_prove(b"", b"", b"", b"")
