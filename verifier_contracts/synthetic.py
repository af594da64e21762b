"""Synthetic Groth16 keys and proofs for verifier tests and gas measurement.

UNSAFE: the key is made from known scalars (alpha, beta, gamma, delta, the IC
exponents), so anyone holding them can "prove" anything. It proves no circuit; it only
satisfies the verification equation

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),   vk_x = IC_0 + sum x_i IC_i

by choosing a, b at random and solving for c in the exponent:

    a * b = alpha * beta + (ic_0 + sum x_i ic_i) * gamma + c * delta   (mod r).

Keys and proofs are in snarkjs JSON, G2 as [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]].
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from py_ecc.optimized_bn128 import G1, G2, curve_order, multiply, normalize

R = curve_order


def _g1_json(scalar: int) -> list[str]:
    x, y = normalize(multiply(G1, scalar))
    return [str(x.n), str(y.n), "1"]


def _g2_json(scalar: int) -> list[list[str]]:
    x, y = normalize(multiply(G2, scalar))
    return [[str(x.coeffs[0]), str(x.coeffs[1])], [str(y.coeffs[0]), str(y.coeffs[1])], ["1", "0"]]


@dataclass
class SyntheticKey:
    """A verification key with its trapdoor (for tests only)."""

    alpha: int
    beta: int
    gamma: int
    delta: int
    ic: list[int]

    @classmethod
    def random(cls, n_public: int, rng: random.Random) -> "SyntheticKey":
        s = lambda: rng.randrange(1, R)  # noqa: E731
        return cls(s(), s(), s(), s(), [s() for _ in range(n_public + 1)])

    def vk_json(self) -> dict:
        return {
            "protocol": "groth16",
            "curve": "bn128",
            "nPublic": len(self.ic) - 1,
            "unsafe": True,
            "vk_alpha_1": _g1_json(self.alpha),
            "vk_beta_2": _g2_json(self.beta),
            "vk_gamma_2": _g2_json(self.gamma),
            "vk_delta_2": _g2_json(self.delta),
            "IC": [_g1_json(k) for k in self.ic],
        }

    def prove(self, inputs: list[int], rng: random.Random) -> tuple[dict, list[str]]:
        """``(proof_json, public_json)`` that verifies for ``inputs`` under this key."""
        assert len(inputs) == len(self.ic) - 1
        vkx = (self.ic[0] + sum(x * k for x, k in zip(inputs, self.ic[1:]))) % R
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        c = (a * b - self.alpha * self.beta - vkx * self.gamma) * pow(self.delta, -1, R) % R
        proof = {"protocol": "groth16", "curve": "bn128",
                 "pi_a": _g1_json(a), "pi_b": _g2_json(b), "pi_c": _g1_json(c)}
        return proof, [str(x % R) for x in inputs]
