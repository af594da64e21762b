"""Groth16 keys and proofs (Groth 2016, https://eprint.iacr.org/2016/260), in snarkjs's shape.

Notation (arkworks's generator.rs, paper symbols -> names):
  u_i(x), v_i(x), w_i(x)   the QAP polynomials of wire i from the A, B, C matrices: a, b, c
  tau, alpha, beta, gamma, delta    the toxic waste
  n = domain_size           a power of two >= nConstraints + nPublic + 1: like snarkjs, setup
                            appends one row per wire i <= l with A[row][i] = 1 (B, C empty), so
                            the u_i of the public wires are independent (see qap.py)
  l = n_public              public signals, wire 0 (the constant 1) excluded
  L^N_j(x)                  the Lagrange basis polynomial of the N-th roots of unity at omega_N^j
Points are affine Python ints: G1 = (x, y), G2 = ((x.c0, x.c1), (y.c0, y.c1)); None is the
point at infinity. `curve.g1_to_py_ecc` and friends convert for py_ecc's pairing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

G1 = Optional[tuple[int, int]]
G2 = Optional[tuple[tuple[int, int], tuple[int, int]]]

# The visible marker of a development setup: the zkey's circuit-hash field (section 10) holds
# these 64 bytes instead of a blake2b hash, and the verification key JSON carries
# "unsafe_dev_setup": true. Whoever made the key knows the toxic waste and can forge proofs.
DEV_SETUP_MARKER = b"ZKCLEAR-UNSAFE-DEV-SETUP: toxic waste known; never deploy".ljust(64, b"\0")


@dataclass
class ProvingKey:
    """A Groth16 proving key, field for field the content of a snarkjs .zkey."""
    n_vars: int                 # wires, including wire 0 (= 1)
    n_public: int               # l: public signals (outputs then public inputs)
    domain_size: int            # n
    alpha_1: G1                 # alpha * G1
    beta_1: G1                  # beta * G1
    beta_2: G2                  # beta * G2
    gamma_2: G2                 # gamma * G2 (snarkjs: gamma = 1, so G2)
    delta_1: G1                 # delta * G1
    delta_2: G2                 # delta * G2
    ic: list[G1]                # i <= l: (beta*u_i(tau) + alpha*v_i(tau) + w_i(tau)) / gamma * G1
    # The QAP in sparse form: (matrix 0 = A / 1 = B, constraint row, wire, coefficient), standard
    # form (the .zkey stores them times R^2 mod r). C is not stored: on the domain C = A * B.
    coeffs: list[tuple[int, int, int, int]]
    a_query: list[G1]           # all i: u_i(tau) * G1
    b1_query: list[G1]          # all i: v_i(tau) * G1
    b2_query: list[G2]          # all i: v_i(tau) * G2
    c_query: list[G1]           # i > l: (beta*u_i(tau) + alpha*v_i(tau) + w_i(tau)) / delta * G1
    h_query: list[G1]           # j < n: L^{2n}_{2j+1}(tau) / delta * G1, the odd points of the 2n domain
    cs_hash: bytes = b"\0" * 64  # zkey section 10: snarkjs's circuit hash, or DEV_SETUP_MARKER
    contributions: bytes = b"\0\0\0\0"  # zkey section 10 after the hash: u32 count + records, raw

    @property
    def unsafe_dev_setup(self) -> bool:
        return self.cs_hash == DEV_SETUP_MARKER

    def verifying_key(self) -> "VerifyingKey":
        return VerifyingKey(n_public=self.n_public, alpha_1=self.alpha_1, beta_2=self.beta_2,
                            gamma_2=self.gamma_2, delta_2=self.delta_2, ic=list(self.ic),
                            unsafe_dev_setup=self.unsafe_dev_setup)


@dataclass
class VerifyingKey:
    """What `snarkjs zkey export verificationkey` writes (vk_alphabeta_12 = e(alpha_1, beta_2)
    is derived when writing the JSON, formats/snarkjs_json.py)."""
    n_public: int
    alpha_1: G1                 # alpha * G1
    beta_2: G2                  # beta * G2
    gamma_2: G2                 # gamma * G2
    delta_2: G2                 # delta * G2
    ic: list[G1]                # i <= l: (beta*u_i(tau) + alpha*v_i(tau) + w_i(tau)) / gamma * G1
    unsafe_dev_setup: bool = False


@dataclass
class Proof:
    """pi = (A, B, C)."""
    a: G1                       # alpha + sum_i w_i u_i(tau) + r*delta          in G1
    b: G2                       # beta + sum_i w_i v_i(tau) + s*delta           in G2
    c: G1                       # (sum_{i>l} w_i (beta u_i + alpha v_i + w_i)(tau) + h(tau)Z(tau)) / delta
    #                             + s*A + r*B1 - r*s*delta                      in G1

    def to_bytes(self) -> bytes:
        """256 bytes: A (x, y) || B (x.c0, x.c1, y.c0, y.c1) || C (x, y), 32-byte LE standard
        form, infinity as zeros. The native backend returns this layout."""
        def enc(*cs):
            return b"".join(c.to_bytes(32, "little") for c in cs)
        a = enc(*self.a) if self.a is not None else bytes(64)
        b = enc(*self.b[0], *self.b[1]) if self.b is not None else bytes(128)
        c = enc(*self.c) if self.c is not None else bytes(64)
        return a + b + c

    @classmethod
    def from_bytes(cls, data: bytes) -> "Proof":
        if len(data) != 256:
            raise ValueError(f"a proof is 256 bytes, got {len(data)}")
        v = [int.from_bytes(data[i:i + 32], "little") for i in range(0, 256, 32)]
        a = None if v[0] == v[1] == 0 else (v[0], v[1])
        b = None if v[2] == v[3] == v[4] == v[5] == 0 else ((v[2], v[3]), (v[4], v[5]))
        c = None if v[6] == v[7] == 0 else (v[6], v[7])
        return cls(a, b, c)
