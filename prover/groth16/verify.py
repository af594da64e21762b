"""The Groth16 verifier (arkworks's verifier.rs; snarkjs's groth16_verify.js).

Accept iff, with cpub = IC_0 + sum_i public_i IC_i,
    e(-A, B) * e(cpub, gamma) * e(C, delta) * e(alpha, beta) == 1      in GT,
after checking every public input is a field element (< r) and every proof point lies on
its curve (and B in the order-r subgroup of the twist, which on-curve does not imply).
"""
from __future__ import annotations

from typing import Sequence

from py_ecc import optimized_bn128 as bn
from py_ecc.optimized_bn128.optimized_pairing import cast_point_to_fq12, miller_loop

from prover.field import R
from prover.groth16 import curve
from prover.groth16.curve import G1
from prover.groth16.keys import Proof, VerifyingKey


def pairing_product_is_one(pairs: Sequence[tuple]) -> bool:
    """prod_k e(P_k, Q_k) == 1 for affine (G1, G2) pairs: one Miller loop each, one final
    exponentiation for all (py_ecc)."""
    f = bn.FQ12.one()
    for p, qq in pairs:
        if p is None or qq is None:
            continue
        f = f * miller_loop(bn.twist(curve.g2_to_py_ecc(qq)), cast_point_to_fq12(curve.g1_to_py_ecc(p)),
                            final_exponentiate=False)
    return bn.final_exponentiate(f) == bn.FQ12.one()


def proof_is_well_formed(proof: Proof) -> bool:
    return (curve.g1_on_curve(proof.a) and curve.g1_on_curve(proof.c)
            and curve.g2_on_curve(proof.b) and curve.g2_in_subgroup(proof.b))


def public_input_point(vk: VerifyingKey, public: Sequence[int]):
    """cpub = IC_0 + sum_i public_i IC_{i+1} (affine)."""
    acc = curve.msm(G1, vk.ic[1:], list(public))
    if vk.ic[0] is not None:
        acc = G1.madd(acc, vk.ic[0])
    return G1.to_affine(acc)


def check(vk: VerifyingKey, public: Sequence[int], proof: Proof, pairing_check=None) -> str | None:
    """None if the proof verifies, else a one-line reason. `pairing_check(pairs) -> bool`
    replaces the Python pairing (the native backend passes its own)."""
    # 1. public inputs: the right number, each a field element
    if len(public) != vk.n_public:
        return f"expected {vk.n_public} public inputs, got {len(public)}"
    if any(not 0 <= x < R for x in public):
        return "a public input is not a field element (must be in [0, r))"
    # 2. proof points on their curves, B in the r-torsion
    if not proof_is_well_formed(proof):
        return "a proof point is not on the curve (or B is not in G2)"
    # 3. the pairing equation
    cpub = public_input_point(vk, public)
    pairs = [(curve.g1_neg_affine(proof.a), proof.b), (cpub, vk.gamma_2),
             (proof.c, vk.delta_2), (vk.alpha_1, vk.beta_2)]
    ok = (pairing_check or pairing_product_is_one)(pairs)
    return None if ok else "the pairing check failed: the proof does not match the key and public inputs"


def verify(vk: VerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    return check(vk, public, proof) is None
