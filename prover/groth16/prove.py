"""The Groth16 prover (arkworks's prover.rs), compatible with snarkjs proving keys.

`prove(pk, witness, rng)` samples the blinding factors r, s and calls
`prove_with_randomness(pk, witness, r, s)`, which tests call directly (fixed r, s give the
same proof bytes on every backend); `prove_unoptimized` is the slow twin on py_ecc's own
add/multiply, kept to check the fast multi-exponentiations on small circuits.
"""
from __future__ import annotations

import secrets
from typing import Sequence

from py_ecc import optimized_bn128 as bn

from prover.field import R
from prover.groth16 import curve, qap
from prover.groth16.curve import G1, G2
from prover.groth16.keys import Proof, ProvingKey


def prove(pk: ProvingKey, witness: Sequence[int], rng=None) -> Proof:
    """A zero-knowledge proof that `witness` satisfies the circuit of `pk`."""
    draw = (lambda: rng.randrange(R)) if rng is not None else (lambda: secrets.randbelow(R))
    return prove_with_randomness(pk, witness, draw(), draw())


def _check_witness(pk: ProvingKey, witness: Sequence[int]) -> list[int]:
    if len(witness) != pk.n_vars:
        raise ValueError(f"witness has {len(witness)} values, the circuit has {pk.n_vars} wires")
    w = [x % R for x in witness]
    if w[0] != 1:
        raise ValueError("witness[0] must be 1 (the constant wire)")
    return w


def prove_with_randomness(pk: ProvingKey, witness: Sequence[int], r: int, s: int) -> Proof:
    w = _check_witness(pk, witness)
    r, s = r % R, s % R
    l = pk.n_public

    # Compute h: (a*b - c) on the odd coset of the 2n-th roots, the scalars for the H points
    h_odd = qap.h_coset_evaluations(pk.coeffs, w, pk.domain_size)

    # Compute A = alpha + sum_i w_i u_i(tau) + r delta                       (G1)
    a = curve.msm(G1, pk.a_query, w)
    a = G1.madd(a, pk.alpha_1) if pk.alpha_1 else a
    a = G1.add(a, curve.scalar_mul(G1, pk.delta_1, r))

    # Compute B = beta + sum_i w_i v_i(tau) + s delta                        (G2)
    b2 = curve.msm(G2, pk.b2_query, w)
    b2 = G2.madd(b2, pk.beta_2) if pk.beta_2 else b2
    b2 = G2.add(b2, curve.scalar_mul(G2, pk.delta_2, s))

    # ... and the same B in G1, needed only for C
    b1 = curve.msm(G1, pk.b1_query, w)
    b1 = G1.madd(b1, pk.beta_1) if pk.beta_1 else b1
    b1 = G1.add(b1, curve.scalar_mul(G1, pk.delta_1, s))

    # Compute C = sum_{i>l} w_i C_i + sum_j h_j H_j + s A + r B1 - r s delta (G1)
    c = curve.msm(G1, pk.c_query, w[l + 1:])
    c = G1.add(c, curve.msm(G1, pk.h_query, h_odd))
    a_aff, b1_aff = G1.to_affine(a), G1.to_affine(b1)
    c = G1.add(c, curve.scalar_mul(G1, a_aff, s))
    c = G1.add(c, curve.scalar_mul(G1, b1_aff, r))
    c = G1.add(c, curve.scalar_mul(G1, pk.delta_1, -r * s % R))
    return Proof(a=a_aff, b=G2.to_affine(b2), c=G1.to_affine(c))


def prove_unoptimized(pk: ProvingKey, witness: Sequence[int], r: int, s: int) -> Proof:
    """The same proof, term by term with py_ecc.optimized_bn128 (slow: small circuits only)."""
    w = _check_witness(pk, witness)
    l = pk.n_public
    h_odd = qap.h_coset_evaluations(pk.coeffs, w, pk.domain_size)
    p1, p2 = curve.g1_to_py_ecc, curve.g2_to_py_ecc

    def lin(points, scalars, to, zero):
        acc = zero
        for pt, k in zip(points, scalars):
            acc = bn.add(acc, bn.multiply(to(pt), k))
        return acc

    a = bn.add(p1(pk.alpha_1), bn.add(lin(pk.a_query, w, p1, bn.Z1), bn.multiply(p1(pk.delta_1), r)))
    b = bn.add(p2(pk.beta_2), bn.add(lin(pk.b2_query, w, p2, bn.Z2), bn.multiply(p2(pk.delta_2), s)))
    b1 = bn.add(p1(pk.beta_1), bn.add(lin(pk.b1_query, w, p1, bn.Z1), bn.multiply(p1(pk.delta_1), s)))
    c = bn.add(lin(pk.c_query, w[l + 1:], p1, bn.Z1), lin(pk.h_query, h_odd, p1, bn.Z1))
    c = bn.add(c, bn.multiply(a, s))
    c = bn.add(c, bn.multiply(b1, r))
    c = bn.add(c, bn.multiply(p1(pk.delta_1), (-r * s) % R))
    return Proof(a=curve.g1_from_py_ecc(a), b=curve.g2_from_py_ecc(b), c=curve.g1_from_py_ecc(c))
