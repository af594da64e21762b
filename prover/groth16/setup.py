"""Groth16 key generation (arkworks's generator.rs), in two flavours.

`dev_setup(r1cs, toxic)`: every secret (tau, alpha, beta, gamma, delta) comes from local
randomness, so whoever ran it can forge proofs. UNSAFE: for tests and demos only. Its zkey
carries `DEV_SETUP_MARKER` in place of the circuit hash (zkey section 10) and its
verification key JSON says "unsafe_dev_setup": true.

`phase2_setup(r1cs, ptau, delta)`: what `snarkjs groth16 setup` followed by one
`snarkjs zkey contribute` computes: tau, alpha, beta come from a prepared powers-of-tau
ceremony (its Lagrange-basis sections), gamma = 1 as in snarkjs, and one random delta.

Both write the same layout, which the native backend reproduces byte for byte for the same
toxic waste (dev setup):
  * domain n = qap.domain_size(m, l); rows m..m+l are snarkjs's extra A-only rows
  * section 4 = qap.qap_coeffs(r1cs) in that order (R1CS term order, zero terms dropped)
  * A_i = u_i(tau) G1, B1_i = v_i(tau) G1, B2_i = v_i(tau) G2,
    IC_i = (beta u_i + alpha v_i + w_i)(tau)/gamma G1 (i <= l), C_i = same/delta (i > l),
    H_j = L^{2n}_{2j+1}(tau)/delta G1
  * section 10 = 64-byte hash field (DEV_SETUP_MARKER for dev setups, zeros for phase 2)
    then u32 0 (no contribution records).
"""
from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from prover.field import R
from prover.formats.ptau import ALPHA_TAU_G1, BETA_TAU_G1, TAU_G1, TAU_G2, Ptau
from prover.formats.r1cs import R1CS
from prover.groth16 import curve, mpc, qap
from prover.groth16.curve import G1, G2, FixedBase
from prover.groth16.keys import DEV_SETUP_MARKER, ProvingKey

NO_CONTRIBUTIONS = struct.pack("<I", 0)


@dataclass
class ToxicWaste:
    """The five secrets of a Groth16 setup; anyone who knows them can forge proofs."""
    tau: int
    alpha: int
    beta: int
    gamma: int
    delta: int

    @classmethod
    def random(cls, rng=None) -> "ToxicWaste":
        draw = (lambda: rng.randrange(1, R)) if rng is not None else (lambda: secrets.randbelow(R - 1) + 1)
        return cls(*(draw() for _ in range(5)))

    def to_bytes(self) -> bytes:
        """5 x 32 bytes little-endian: tau, alpha, beta, gamma, delta (the native layout)."""
        return b"".join(x.to_bytes(32, "little") for x in (self.tau, self.alpha, self.beta, self.gamma, self.delta))

    @classmethod
    def from_bytes(cls, data: bytes) -> "ToxicWaste":
        if len(data) != 160:
            raise ValueError(f"toxic waste is 160 bytes, got {len(data)}")
        return cls(*(int.from_bytes(data[i:i + 32], "little") % R for i in range(0, 160, 32)))


def dev_setup(r1cs: R1CS, toxic: ToxicWaste) -> ProvingKey:
    """UNSAFE development setup: the proving key for `r1cs` under known toxic waste."""
    tau, alpha, beta, gamma, delta = (x % R for x in (toxic.tau, toxic.alpha, toxic.beta, toxic.gamma, toxic.delta))
    assert all((alpha, beta, gamma, delta)), "alpha, beta, gamma, delta must be non-zero"
    n = qap.domain_size(r1cs.n_constraints, r1cs.n_public)
    l = r1cs.n_public
    u, v, w = qap.evaluate_at(r1cs, tau, n)
    gamma_inv, delta_inv = pow(gamma, -1, R), pow(delta, -1, R)
    k = [(beta * ui + alpha * vi + wi) % R for ui, vi, wi in zip(u, v, w)]
    h = [x * delta_inv % R for x in qap.lagrange_at(tau, 2 * n)[1::2]]

    # window 8 tables (8160 points) pay off from a few hundred multiplications on
    g1 = FixedBase(G1, curve.G1_GEN, w=8 if 2 * r1cs.n_wires + n > 256 else 4)
    g2 = FixedBase(G2, curve.G2_GEN, w=8 if r1cs.n_wires > 256 else 4)
    g1_points = g1.mul_many_affine([alpha, beta, delta] + u + v
                                   + [x * gamma_inv % R for x in k[:l + 1]]
                                   + [x * delta_inv % R for x in k[l + 1:]] + h)
    nw = r1cs.n_wires
    alpha_1, beta_1, delta_1 = g1_points[:3]
    pos = 3
    a_query = g1_points[pos:pos + nw]; pos += nw
    b1_query = g1_points[pos:pos + nw]; pos += nw
    ic = g1_points[pos:pos + l + 1]; pos += l + 1
    c_query = g1_points[pos:pos + nw - l - 1]; pos += nw - l - 1
    h_query = g1_points[pos:]
    g2_points = g2.mul_many_affine([beta, gamma, delta] + v)
    beta_2, gamma_2, delta_2 = g2_points[:3]
    return ProvingKey(n_vars=nw, n_public=l, domain_size=n, alpha_1=alpha_1, beta_1=beta_1, beta_2=beta_2,
                      gamma_2=gamma_2, delta_1=delta_1, delta_2=delta_2, ic=ic, coeffs=qap.qap_coeffs(r1cs),
                      a_query=a_query, b1_query=b1_query, b2_query=g2_points[3:], c_query=c_query,
                      h_query=h_query, cs_hash=DEV_SETUP_MARKER, contributions=NO_CONTRIBUTIONS)


def phase2_setup(r1cs: R1CS, ptau: Ptau, delta: int) -> ProvingKey:
    """Circuit-specific setup on a prepared powers-of-tau file, with one contribution `delta`.

    Every point is a combination of the ceremony's Lagrange-basis points, e.g.
    A_i = sum_j A[j][i] * (L_j(tau) G1): the same key snarkjs derives, with gamma = 1.
    Section 10 carries snarkjs's circuit hash and one contribution record for delta (mpc.py),
    so `snarkjs zkey verify` accepts the key (except where mpc.hashable says no: then the
    hash is zeros and there are no records). The native backend writes the same bytes.
    """
    delta %= R
    if not delta:
        raise ValueError("delta must be non-zero")
    n = qap.domain_size(r1cs.n_constraints, r1cs.n_public)
    if n > 2 ** ptau.power:
        raise ValueError(f"circuit needs a domain of 2^{n.bit_length() - 1} rows; "
                         f"the ptau file has power {ptau.power}")
    l, nw, m = r1cs.n_public, r1cs.n_wires, r1cs.n_constraints
    lt1, lt2 = ptau.lagrange(TAU_G1, n), ptau.lagrange(TAU_G2, n)
    la1, lb1 = ptau.lagrange(ALPHA_TAU_G1, n), ptau.lagrange(BETA_TAU_G1, n)
    # per wire: the (row, coefficient) entries of A, B and C
    col_a = [[] for _ in range(nw)]
    col_b = [[] for _ in range(nw)]
    col_c = [[] for _ in range(nw)]
    for j, (a, b, c) in enumerate(r1cs.constraints):
        for col, lc in ((col_a, a), (col_b, b), (col_c, c)):
            for i, val in lc.items():
                if val % R:
                    col[i].append((j, val % R))
    for i in range(l + 1):
        col_a[i].append((m + i, 1))

    def combine(group, bases, entries):
        return group.to_affine(curve.msm(group, [bases[j] for j, _ in entries], [c for _, c in entries]))

    a_query = [combine(G1, lt1, col_a[i]) for i in range(nw)]
    b1_query = [combine(G1, lt1, col_b[i]) for i in range(nw)]
    b2_query = [combine(G2, lt2, col_b[i]) for i in range(nw)]
    # K_i = (beta u_i + alpha v_i + w_i)(tau) G1 from beta*L_j, alpha*L_j and L_j
    k = [G1.to_affine(curve.msm(G1, [lb1[j] for j, _ in col_a[i]] + [la1[j] for j, _ in col_b[i]]
                                + [lt1[j] for j, _ in col_c[i]],
                                [c for _, c in col_a[i]] + [c for _, c in col_b[i]] + [c for _, c in col_c[i]]))
         for i in range(nw)]
    delta_inv = pow(delta, -1, R)
    c_query = G1.batch_to_affine([curve.scalar_mul(G1, p, delta_inv) for p in k[l + 1:]])
    h_query = G1.batch_to_affine([curve.scalar_mul(G1, p, delta_inv)
                                  for p in ptau.lagrange(TAU_G1, 2 * n)[1::2]])
    alpha_1, beta_1, beta_2 = ptau.alpha_1, ptau.beta_1, ptau.beta_2
    cs_hash, contributions = b"\0" * 64, NO_CONTRIBUTIONS
    if mpc.hashable(n, ptau.power):
        cs_hash = mpc.circuit_hash(alpha_1, beta_1, beta_2, k[:l + 1],
                                   ptau.powers(TAU_G1, mpc.h_points_hashed(n) + n), n,
                                   k[l + 1:], a_query, b1_query, b2_query)
        contributions = mpc.contribution(cs_hash, delta)
    return ProvingKey(n_vars=nw, n_public=l, domain_size=n, alpha_1=alpha_1, beta_1=beta_1,
                      beta_2=beta_2, gamma_2=curve.G2_GEN,
                      delta_1=G1.to_affine(curve.scalar_mul(G1, curve.G1_GEN, delta)),
                      delta_2=G2.to_affine(curve.scalar_mul(G2, curve.G2_GEN, delta)),
                      ic=k[:l + 1], coeffs=qap.qap_coeffs(r1cs), a_query=a_query, b1_query=b1_query,
                      b2_query=b2_query, c_query=c_query, h_query=h_query,
                      cs_hash=cs_hash, contributions=contributions)
