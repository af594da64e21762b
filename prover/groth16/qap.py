"""R1CS -> QAP, the one reduction that setup and prove share (arkworks's r1cs_to_qap.rs).

Rows. The QAP domain is the n-th roots of unity, n = `domain_size(...)`, row j at omega_n^j
with omega_n = 5^((r-1)/n). Rows 0..m-1 are the R1CS constraints; like snarkjs's zkey_new.js,
rows m..m+l carry one extra A-only entry per wire i <= l (wire 0 and each public signal):
A[m+i][i] = 1, B and C empty. That makes the public wires' u_i linearly independent, which
Groth16's soundness needs, and costs nothing in the prover (A*B = C = 0 on those rows).

Polynomials. u_i(x) = sum_j A[j][i] L_j(x), likewise v_i from B and w_i from C, where L_j is
the Lagrange basis of the domain. For a witness w: a(x) = sum_i w_i u_i(x), b, c likewise, and
a(x) b(x) - c(x) = h(x) Z(x) with Z(x) = x^n - 1.

snarkjs's trick for h. The zkey's H points are L^{2n}_{2j+1}(tau)/delta, the odd points of the
2n-th roots. a*b - c has degree <= 2n-2 and vanishes on the even points (the n-domain), so
   h(tau) Z(tau) = sum_j (a b - c)(omega_{2n}^{2j+1}) L^{2n}_{2j+1}(tau)
and the prover only evaluates a*b - c on the coset omega_{2n} * <omega_n>: never divides by Z.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import galois
import numpy as np

from prover.field import FR_GENERATOR, FR_TWO_ADICITY, R
from prover.formats.r1cs import R1CS

# verify=False skips galois's primality and primitivity checks (slow at start-up); both are
# known facts about BN254's r, see prover/field.py.
GF = galois.GF(R, primitive_element=FR_GENERATOR, verify=False)

Coeff = tuple[int, int, int, int]  # (matrix 0 = A / 1 = B, row, wire, value)


def domain_size(n_constraints: int, n_public: int) -> int:
    """The smallest power of two >= m + l + 1 rows (zkey_new.js's cirPower)."""
    rows = n_constraints + n_public + 1
    n = 1 << max(rows - 1, 1).bit_length()
    if n.bit_length() - 1 > FR_TWO_ADICITY - 1:
        raise ValueError(f"circuit too large: {rows} rows exceed the 2^{FR_TWO_ADICITY - 1} domain limit")
    return n


def root_of_unity(n: int) -> int:
    """omega_n = 5^((r-1)/n), a primitive n-th root of unity (n a power of two)."""
    assert n & (n - 1) == 0 and (R - 1) % n == 0
    return pow(FR_GENERATOR, (R - 1) // n, R)


def qap_coeffs(r1cs: R1CS) -> list[Coeff]:
    """The A and B entries in zkey section 4 order: per row, A's terms then B's (in the
    R1CS's term order), then the extra rows A[m+i][i] = 1 for i <= l."""
    out: list[Coeff] = []
    for j, (a, b, _c) in enumerate(r1cs.constraints):
        out.extend((0, j, i, v % R) for i, v in a.items() if v % R)
        out.extend((1, j, i, v % R) for i, v in b.items() if v % R)
    m = r1cs.n_constraints
    out.extend((0, m + i, i, 1) for i in range(r1cs.n_public + 1))
    return out


def lagrange_at(tau: int, n: int) -> list[int]:
    """L_j(tau) for the n-th roots of unity: (omega^j / n) (tau^n - 1) / (tau - omega^j)."""
    omega = GF(root_of_unity(n))
    omegas = omega ** np.arange(n)
    t = GF(tau % R)
    if np.any(omegas == t):  # tau is a root of unity: L_j(tau) is 1 at that root, else 0
        return [int(x == t) for x in omegas]
    z = t ** n - GF(1)
    vals = omegas * (z / GF(n)) / (t - omegas)
    return [int(v) for v in vals]


def evaluate_at(r1cs: R1CS, tau: int, n: int) -> tuple[list[int], list[int], list[int]]:
    """(u_i(tau), v_i(tau), w_i(tau)) for every wire i, including the extra rows."""
    lag = lagrange_at(tau, n)
    nw = r1cs.n_wires
    u, v, w = [0] * nw, [0] * nw, [0] * nw
    for j, cons in enumerate(r1cs.constraints):
        lj = lag[j]
        for acc, lc in zip((u, v, w), cons):
            for i, c in lc.items():
                acc[i] += c * lj
    m = r1cs.n_constraints
    for i in range(r1cs.n_public + 1):
        u[i] += lag[m + i]
    return [x % R for x in u], [x % R for x in v], [x % R for x in w]


@lru_cache(maxsize=8)
def _coset_powers(n: int):
    """omega_{2n}^i for i < n: multiplying coefficients by these shifts evaluation to the coset."""
    g = GF(root_of_unity(2 * n))
    return g ** np.arange(n)


def to_odd_coset(evals: "galois.FieldArray") -> "galois.FieldArray":
    """Values of a polynomial of degree < n on <omega_n> -> its values on omega_{2n} <omega_n>."""
    n = len(evals)
    coeffs = np.fft.ifft(evals)            # interpolate (inverse NTT, scaled by 1/n)
    return np.fft.fft(coeffs * _coset_powers(n))


def abc_on_domain(coeffs: Sequence[Coeff], witness: Sequence[int], n: int) -> tuple[list[int], list[int]]:
    """a(omega^j) = sum_i A[j][i] w_i and b likewise, for every row j < n."""
    a = [0] * n
    b = [0] * n
    for m, j, i, v in coeffs:
        if m == 0:
            a[j] += v * witness[i]
        else:
            b[j] += v * witness[i]
    return [x % R for x in a], [x % R for x in b]


def h_coset_evaluations(coeffs: Sequence[Coeff], witness: Sequence[int], n: int) -> list[int]:
    """(a*b - c)(omega_{2n}^{2j+1}) for j < n: the scalars of the H multi-exponentiation.

    On the domain c = a*b row by row (the witness satisfies every constraint), so c's values
    come from a and b; off the domain they differ, which is what h captures.
    """
    a_vals, b_vals = abc_on_domain(coeffs, witness, n)
    a = GF(a_vals)
    b = GF(b_vals)
    c = a * b
    h = to_odd_coset(a) * to_odd_coset(b) - to_odd_coset(c)
    return [int(x) for x in h]


def is_satisfied(r1cs: R1CS, witness: Sequence[int]) -> bool:
    """Every constraint holds: <A_j, w> * <B_j, w> == <C_j, w> mod r."""
    for a, b, c in r1cs.constraints:
        sa = sum(v * witness[i] for i, v in a.items())
        sb = sum(v * witness[i] for i, v in b.items())
        sc = sum(v * witness[i] for i, v in c.items())
        if (sa * sb - sc) % R:
            return False
    return True
