"""Fast BN254 group arithmetic on plain Python ints: the hot loops of setup and prove.

py_ecc.optimized_bn128 is the reference (its points, `add`, `multiply` and pairing are used by
keys, verify and the `_unoptimized` twins); this module re-implements only what the prover
runs hundreds of thousands of times, on bare ints instead of FQ objects (about 4x faster):

* G1 points over Fq, G2 points over Fq2 = Fq[u]/(u^2 + 1) (Fq2 elements are (c0, c1) pairs),
  both on y^2 = x^3 + b with a = 0.
* Affine points are (x, y), the point at infinity is None.
* Jacobian points are (X, Y, Z) standing for (X/Z^2, Y/Z^3); Z == 0 (or (0, 0)) is infinity.
  Formulas: dbl-2009-l, madd-2007-bl and add-2007-bl from the Explicit-Formulas Database.
* `msm_g1` / `msm_g2`: Pippenger's bucket method, skipping zero scalars and adding points
  whose scalar is 1 directly. `FixedBase`: windowed tables for many multiples of one point.
"""
from __future__ import annotations

from typing import Optional, Sequence

from py_ecc import optimized_bn128 as bn

from prover.field import Q, R

q = Q
Fq2 = tuple[int, int]
AffineG1 = Optional[tuple[int, int]]
AffineG2 = Optional[tuple[Fq2, Fq2]]

# ---------------------------------------------------------------------------------------------
# Fq2 = Fq[u] / (u^2 + 1)


def f2mul(a: Fq2, b: Fq2) -> Fq2:
    a0, a1 = a
    b0, b1 = b
    return ((a0 * b0 - a1 * b1) % q, (a0 * b1 + a1 * b0) % q)


def f2sqr(a: Fq2) -> Fq2:
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % q, 2 * a0 * a1 % q)


def f2add(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] + b[0]) % q, (a[1] + b[1]) % q)


def f2sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % q, (a[1] - b[1]) % q)


def f2scale(a: Fq2, k: int) -> Fq2:
    return (a[0] * k % q, a[1] * k % q)


def f2inv(a: Fq2) -> Fq2:
    a0, a1 = a
    t = pow(a0 * a0 + a1 * a1, -1, q)
    return (a0 * t % q, -a1 * t % q)


F2_ZERO: Fq2 = (0, 0)
F2_ONE: Fq2 = (1, 0)

# ---------------------------------------------------------------------------------------------
# G1 in Jacobian coordinates over Fq

G1_INF = (1, 1, 0)


def g1_double(p):
    X, Y, Z = p
    if Z == 0 or Y == 0:
        return G1_INF
    A = X * X % q
    B = Y * Y % q
    C = B * B % q
    D = 2 * ((X + B) ** 2 - A - C) % q
    E = 3 * A % q
    X3 = (E * E - 2 * D) % q
    return (X3, (E * (D - X3) - 8 * C) % q, 2 * Y * Z % q)


def g1_madd(p, a):
    """Jacobian p + affine a (a not None)."""
    X1, Y1, Z1 = p
    if Z1 == 0:
        return (a[0], a[1], 1)
    Z1Z1 = Z1 * Z1 % q
    U2 = a[0] * Z1Z1 % q
    S2 = a[1] * Z1 * Z1Z1 % q
    H = (U2 - X1) % q
    rr = 2 * (S2 - Y1) % q
    if H == 0:
        return g1_double(p) if rr == 0 else G1_INF
    HH = H * H % q
    I = 4 * HH % q
    J = H * I % q
    V = X1 * I % q
    X3 = (rr * rr - J - 2 * V) % q
    return (X3, (rr * (V - X3) - 2 * Y1 * J) % q, ((Z1 + H) ** 2 - Z1Z1 - HH) % q)


def g1_add(p, r):
    """Jacobian p + Jacobian r."""
    X1, Y1, Z1 = p
    X2, Y2, Z2 = r
    if Z1 == 0:
        return r
    if Z2 == 0:
        return p
    Z1Z1 = Z1 * Z1 % q
    Z2Z2 = Z2 * Z2 % q
    U1 = X1 * Z2Z2 % q
    U2 = X2 * Z1Z1 % q
    S1 = Y1 * Z2 * Z2Z2 % q
    S2 = Y2 * Z1 * Z1Z1 % q
    H = (U2 - U1) % q
    rr = 2 * (S2 - S1) % q
    if H == 0:
        return g1_double(p) if rr == 0 else G1_INF
    I = 4 * H * H % q
    J = H * I % q
    V = U1 * I % q
    X3 = (rr * rr - J - 2 * V) % q
    return (X3, (rr * (V - X3) - 2 * S1 * J) % q, ((Z1 + Z2) ** 2 - Z1Z1 - Z2Z2) * H % q)


def g1_neg_affine(a):
    return None if a is None else (a[0], -a[1] % q)


def g1_to_affine(p) -> AffineG1:
    X, Y, Z = p
    if Z == 0:
        return None
    zi = pow(Z, -1, q)
    zi2 = zi * zi % q
    return (X * zi2 % q, Y * zi2 * zi % q)


def g1_batch_to_affine(ps) -> list:
    """Jacobian -> affine for many points with one inversion (Montgomery's trick)."""
    zs = [p[2] for p in ps]
    invs = batch_inverse(zs, q)
    out = []
    for (X, Y, _), zi in zip(ps, invs):
        if zi is None:
            out.append(None)
        else:
            zi2 = zi * zi % q
            out.append((X * zi2 % q, Y * zi2 * zi % q))
    return out


# ---------------------------------------------------------------------------------------------
# G2 in Jacobian coordinates over Fq2 (same formulas as G1, with Fq2 arithmetic)

G2_INF = (F2_ONE, F2_ONE, F2_ZERO)


def _f2z(a: Fq2) -> bool:
    return a[0] == 0 and a[1] == 0


def g2_double(p):
    X, Y, Z = p
    if _f2z(Z) or _f2z(Y):
        return G2_INF
    A = f2sqr(X)
    B = f2sqr(Y)
    C = f2sqr(B)
    t = f2sqr(f2add(X, B))
    D = ((t[0] - A[0] - C[0]) * 2 % q, (t[1] - A[1] - C[1]) * 2 % q)
    E = (3 * A[0] % q, 3 * A[1] % q)
    F = f2sqr(E)
    X3 = ((F[0] - 2 * D[0]) % q, (F[1] - 2 * D[1]) % q)
    e = f2mul(E, f2sub(D, X3))
    Y3 = ((e[0] - 8 * C[0]) % q, (e[1] - 8 * C[1]) % q)
    Z3 = f2scale(f2mul(Y, Z), 2)
    return (X3, Y3, Z3)


def g2_madd(p, a):
    X1, Y1, Z1 = p
    if _f2z(Z1):
        return (a[0], a[1], F2_ONE)
    Z1Z1 = f2sqr(Z1)
    U2 = f2mul(a[0], Z1Z1)
    S2 = f2mul(a[1], f2mul(Z1, Z1Z1))
    H = f2sub(U2, X1)
    rr = f2scale(f2sub(S2, Y1), 2)
    if _f2z(H):
        return g2_double(p) if _f2z(rr) else G2_INF
    HH = f2sqr(H)
    I = f2scale(HH, 4)
    J = f2mul(H, I)
    V = f2mul(X1, I)
    rr2 = f2sqr(rr)
    X3 = ((rr2[0] - J[0] - 2 * V[0]) % q, (rr2[1] - J[1] - 2 * V[1]) % q)
    t = f2mul(rr, f2sub(V, X3))
    u = f2mul(Y1, J)
    Y3 = ((t[0] - 2 * u[0]) % q, (t[1] - 2 * u[1]) % q)
    z = f2sqr(f2add(Z1, H))
    Z3 = ((z[0] - Z1Z1[0] - HH[0]) % q, (z[1] - Z1Z1[1] - HH[1]) % q)
    return (X3, Y3, Z3)


def g2_add(p, r):
    X1, Y1, Z1 = p
    X2, Y2, Z2 = r
    if _f2z(Z1):
        return r
    if _f2z(Z2):
        return p
    Z1Z1 = f2sqr(Z1)
    Z2Z2 = f2sqr(Z2)
    U1 = f2mul(X1, Z2Z2)
    U2 = f2mul(X2, Z1Z1)
    S1 = f2mul(Y1, f2mul(Z2, Z2Z2))
    S2 = f2mul(Y2, f2mul(Z1, Z1Z1))
    H = f2sub(U2, U1)
    rr = f2scale(f2sub(S2, S1), 2)
    if _f2z(H):
        return g2_double(p) if _f2z(rr) else G2_INF
    I = f2scale(f2sqr(H), 4)
    J = f2mul(H, I)
    V = f2mul(U1, I)
    rr2 = f2sqr(rr)
    X3 = ((rr2[0] - J[0] - 2 * V[0]) % q, (rr2[1] - J[1] - 2 * V[1]) % q)
    t = f2mul(rr, f2sub(V, X3))
    u = f2mul(S1, J)
    Y3 = ((t[0] - 2 * u[0]) % q, (t[1] - 2 * u[1]) % q)
    z = f2sqr(f2add(Z1, Z2))
    Z3 = f2mul(((z[0] - Z1Z1[0] - Z2Z2[0]) % q, (z[1] - Z1Z1[1] - Z2Z2[1]) % q), H)
    return (X3, Y3, Z3)


def g2_neg_affine(a):
    return None if a is None else (a[0], ((-a[1][0]) % q, (-a[1][1]) % q))


def g2_to_affine(p) -> AffineG2:
    X, Y, Z = p
    if _f2z(Z):
        return None
    zi = f2inv(Z)
    zi2 = f2sqr(zi)
    return (f2mul(X, zi2), f2mul(Y, f2mul(zi2, zi)))


def g2_batch_to_affine(ps) -> list:
    return [g2_to_affine(p) for p in ps]


def batch_inverse(values: Sequence[int], m: int) -> list:
    """Inverses mod m of many values with one modular inversion; None where the value is 0."""
    prefix = []
    acc = 1
    for v in values:
        prefix.append(acc)
        if v:
            acc = acc * v % m
    inv = pow(acc, -1, m)
    out = [None] * len(values)
    for i in range(len(values) - 1, -1, -1):
        v = values[i]
        if v:
            out[i] = inv * prefix[i] % m
            inv = inv * v % m
    return out


# ---------------------------------------------------------------------------------------------
# Groups as bundles of operations, so MSM and fixed-base code is written once.


class _Group:
    def __init__(self, name, inf, double, madd, add, neg_affine, to_affine, batch_to_affine):
        self.name, self.inf = name, inf
        self.double, self.madd, self.add = double, madd, add
        self.neg_affine, self.to_affine, self.batch_to_affine = neg_affine, to_affine, batch_to_affine

    def is_inf(self, p) -> bool:
        z = p[2]
        return z == 0 if self is G1 else _f2z(z)


G1 = _Group("G1", G1_INF, g1_double, g1_madd, g1_add, g1_neg_affine, g1_to_affine, g1_batch_to_affine)
G2 = _Group("G2", G2_INF, g2_double, g2_madd, g2_add, g2_neg_affine, g2_to_affine, g2_batch_to_affine)


def _window_bits(n: int, bits: int) -> int:
    """The Pippenger window c minimising ceil(bits/c) * (n + 3 * 2^c)."""
    best, best_cost = 1, None
    for c in range(1, 17):
        cost = -(-bits // c) * (n + 3 * (1 << c))
        if best_cost is None or cost < best_cost:
            best, best_cost = c, cost
    return best


_HALF_R = R // 2


def msm(group: _Group, points: Sequence, scalars: Sequence[int]):
    """sum_i scalars[i] * points[i] (affine points, scalars in [0, r)); returns a Jacobian point.

    Scalars above r/2 are negated together with their point (cheap in affine coordinates), so
    small negative coefficients such as -1 = r - 1 cost what small positive ones do.

    Pippenger: split scalars into c-bit digits; per window, drop each point into the bucket of
    its digit, then sum_d d * bucket_d with two running sums; combine windows by doubling.
    """
    madd, add, double, neg = group.madd, group.add, group.double, group.neg_affine
    ones = group.inf
    pts, scs = [], []
    for p, s in zip(points, scalars):
        if not s or p is None:
            continue
        if s > _HALF_R:             # -k with k small (e.g. -1): use (r - s) * (-P)
            p, s = neg(p), R - s
        if s == 1:
            ones = madd(ones, p)
        else:
            pts.append(p)
            scs.append(s)
    if not pts:
        return ones
    bits = max(s.bit_length() for s in scs)
    c = _window_bits(len(pts), bits)
    mask = (1 << c) - 1
    n_windows = -(-bits // c)
    inf = group.inf
    result = inf
    for w in range(n_windows - 1, -1, -1):
        for _ in range(c if w != n_windows - 1 else 0):
            result = double(result)
        shift = w * c
        buckets = [None] * (mask + 1)
        for p, s in zip(pts, scs):
            d = (s >> shift) & mask
            if d:
                b = buckets[d]
                buckets[d] = madd(b, p) if b is not None else madd(inf, p)
        running = inf
        total = inf
        for d in range(mask, 0, -1):
            b = buckets[d]
            if b is not None:
                running = add(running, b)
            total = add(total, running)
        result = add(result, total)
    return add(result, ones)


def msm_g1(points, scalars):
    return msm(G1, points, scalars)


def msm_g2(points, scalars):
    return msm(G2, points, scalars)


def scalar_mul(group: _Group, a, k: int):
    """k * a for an affine point a and any integer k (double-and-add, signed)."""
    if a is None or k % R == 0:
        return group.inf
    k %= R
    if k > R // 2:
        k = R - k
        a = group.neg_affine(a)
    acc = group.inf
    for bit in bin(k)[2:]:
        acc = group.double(acc)
        if bit == "1":
            acc = group.madd(acc, a)
    return acc


class FixedBase:
    """Many multiples k * P of one point P: tables of d * 2^(w*j) * P for all digits d."""

    def __init__(self, group: _Group, base, w: int = 8):
        self.group, self.w = group, w
        n_windows = -(-R.bit_length() // w)
        rows = []
        cur = (base[0], base[1], F2_ONE if group is G2 else 1)
        for _ in range(n_windows):
            row = [cur]
            for _ in range((1 << w) - 2):
                row.append(group.add(row[-1], cur))
            rows.append(row)
            nxt = group.add(row[-1], cur)  # 2^w * cur
            cur = nxt
        flat = group.batch_to_affine([p for row in rows for p in row])
        size = (1 << w) - 1
        self.tables = [flat[i * size:(i + 1) * size] for i in range(n_windows)]

    def mul(self, k: int):
        """k * P as a Jacobian point."""
        k %= R
        g = self.group
        acc = g.inf
        mask = (1 << self.w) - 1
        j = 0
        madd = g.madd
        while k:
            d = k & mask
            if d:
                t = self.tables[j][d - 1]
                if t is not None:
                    acc = madd(acc, t)
            k >>= self.w
            j += 1
        return acc

    def mul_many_affine(self, ks: Sequence[int]) -> list:
        return self.group.batch_to_affine([self.mul(k) for k in ks])


# ---------------------------------------------------------------------------------------------
# Conversions to and from py_ecc.optimized_bn128 points (projective (x, y, z) of FQ / FQ2).


def g1_from_py_ecc(p) -> AffineG1:
    if bn.is_inf(p):
        return None
    x, y = bn.normalize(p)
    return (x.n, y.n)


def g1_to_py_ecc(a: AffineG1):
    if a is None:
        return bn.Z1
    return (bn.FQ(a[0]), bn.FQ(a[1]), bn.FQ.one())


def g2_from_py_ecc(p) -> AffineG2:
    if bn.is_inf(p):
        return None
    x, y = bn.normalize(p)
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def g2_to_py_ecc(a: AffineG2):
    if a is None:
        return bn.Z2
    return (bn.FQ2(list(a[0])), bn.FQ2(list(a[1])), bn.FQ2.one())


def jac_g1_to_py_ecc(p):
    return g1_to_py_ecc(g1_to_affine(p))


def jac_g2_to_py_ecc(p):
    return g2_to_py_ecc(g2_to_affine(p))


# generators as affine ints
G1_GEN = g1_from_py_ecc(bn.G1)
G2_GEN = g2_from_py_ecc(bn.G2)
# curve constants: y^2 = x^3 + 3 over Fq (G1) and y^2 = x^3 + 3/(9+u) over Fq2 (G2)
B1 = 3
B2: Fq2 = (int(bn.b2.coeffs[0]), int(bn.b2.coeffs[1]))


def g1_on_curve(a: AffineG1) -> bool:
    if a is None:
        return True
    x, y = a
    return 0 <= x < q and 0 <= y < q and (y * y - x * x * x - 3) % q == 0


def g2_on_curve(a: AffineG2) -> bool:
    if a is None:
        return True
    x, y = a
    if not all(0 <= c < q for c in (*x, *y)):
        return False
    lhs = f2sqr(y)
    rhs = f2add(f2mul(f2sqr(x), x), B2)
    return lhs == rhs


def g2_in_subgroup(a: AffineG2) -> bool:
    """r * a == infinity (the BN254 twist has a large cofactor; on-curve is not enough)."""
    return a is None or G2.is_inf(scalar_mul_raw(G2, a, R))


def scalar_mul_raw(group: _Group, a, k: int):
    """k * a without reducing k mod r (for subgroup checks)."""
    acc = group.inf
    for bit in bin(k)[2:]:
        acc = group.double(acc)
        if bit == "1":
            acc = group.madd(acc, a)
    return acc
