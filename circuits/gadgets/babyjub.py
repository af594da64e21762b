"""Baby Jubjub (ERC-2494) in circuits: point addition and doubling (twisted Edwards, complete),
the on-curve check, and scalar multiplication by a fixed base (`escalar_mul_fix`) and by a
variable base (`escalar_mul_any`), ported from circomlib's babyjub.circom, montgomery.circom,
escalarmulfix.circom and escalarmulany.circom so that they accept the same witnesses and cost
no more constraints. The scalar multiplications work on the birationally equivalent
Montgomery curve B v^2 = u^3 + A u^2 + u (A = 168698, B = 1), whose incomplete formulas are
cheaper; circomlib's segment and window layout keeps the exceptional cases out of reach.

Points are (x, y) pairs of LCs; the identity is (0, 1).
"""
from __future__ import annotations

from prover.field import R

from circuits.dsl import LC, Circuit, gadget

from .comparators import is_zero
from .mux import select

A = 168700
D = 168696
MONT_A = 168698  # 2 (a + d) / (a - d)
MONT_B = 1       # 4 / (a - d)
assert MONT_A == 2 * (A + D) * pow(A - D, -1, R) % R and MONT_B == 4 * pow(A - D, -1, R) % R
# The generator of the prime-order subgroup (Base8 in circomlib) and that subgroup's order.
BASE8 = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041


def _div(n: int, d: int) -> int:
    """n / d in Fr; 0 when d == 0 (the constraint that follows then fails, naming its gadget)."""
    return n * pow(d, -1, R) % R if d % R else 0


@gadget
def babyjub_add(c: Circuit, p1, p2) -> tuple[LC, LC]:
    """p1 + p2 (circomlib BabyAdd, 6 constraints; complete on the curve)."""
    x1, y1 = LC.of(p1[0]), LC.of(p1[1])
    x2, y2 = LC.of(p2[0]), LC.of(p2[1])
    beta = c.mul(x1, y2)
    gamma = c.mul(y1, x2)
    delta = c.mul(y1 - A * x1, x2 + y2)
    tau = c.mul(beta, gamma)
    xnum, xden = beta + gamma, 1 + D * tau
    ynum, yden = delta + A * beta - gamma, 1 - D * tau
    xout = c.hint(_div, xnum, xden)
    c.assert_product(xden, xout, xnum)
    yout = c.hint(_div, ynum, yden)
    c.assert_product(yden, yout, ynum)
    return xout, yout


def babyjub_double(c: Circuit, p) -> tuple[LC, LC]:
    """2p (circomlib BabyDbl: BabyAdd of p with itself)."""
    with c.scope("babyjub_double"):
        return babyjub_add(c, p, p)


@gadget
def assert_on_curve(c: Circuit, p) -> None:
    """a x^2 + y^2 == 1 + d x^2 y^2 (circomlib BabyCheck, 3 constraints)."""
    x, y = LC.of(p[0]), LC.of(p[1])
    x2 = c.mul(x, x)
    y2 = c.mul(y, y)
    c.assert_product(D * x2, y2, A * x2 + y2 - 1)


# --- Montgomery form ----------------------------------------------------------------------
@gadget
def edwards_to_montgomery(c: Circuit, p) -> tuple[LC, LC]:
    """(u, v) = ((1 + y) / (1 - y), u / x) (2 constraints)."""
    x, y = LC.of(p[0]), LC.of(p[1])
    u = c.hint(lambda yv: _div(1 + yv, 1 - yv), y)
    c.assert_product(u, 1 - y, 1 + y)
    v = c.hint(_div, u, x)
    c.assert_product(v, x, u)
    return u, v


@gadget
def montgomery_to_edwards(c: Circuit, p) -> tuple[LC, LC]:
    """(x, y) = (u / v, (u - 1) / (u + 1)) (2 constraints)."""
    u, v = LC.of(p[0]), LC.of(p[1])
    x = c.hint(_div, u, v)
    c.assert_product(x, v, u)
    y = c.hint(lambda uv: _div(uv - 1, uv + 1), u)
    c.assert_product(y, u + 1, u - 1)
    return x, y


@gadget
def montgomery_add(c: Circuit, p1, p2) -> tuple[LC, LC]:
    """p1 + p2 for p1 != ±p2, neither the identity (3 constraints)."""
    x1, y1 = LC.of(p1[0]), LC.of(p1[1])
    x2, y2 = LC.of(p2[0]), LC.of(p2[1])
    lam = c.hint(_div, y2 - y1, x2 - x1)
    c.assert_product(lam, x2 - x1, y2 - y1)
    x3 = c.mul(lam, MONT_B * lam, plus=-MONT_A - x1 - x2)
    y3 = c.mul(lam, x1 - x3, plus=-y1)
    return x3, y3


@gadget
def montgomery_double(c: Circuit, p) -> tuple[LC, LC]:
    """2p for p of order > 2 (4 constraints)."""
    x, y = LC.of(p[0]), LC.of(p[1])
    x_2 = c.mul(x, x)
    num = 3 * x_2 + 2 * MONT_A * x + 1
    lam = c.hint(_div, num, 2 * MONT_B * y)
    c.assert_product(lam, 2 * MONT_B * y, num)
    x3 = c.mul(lam, MONT_B * lam, plus=-MONT_A - 2 * x)
    y3 = c.mul(lam, x - x3, plus=-y)
    return x3, y3


# --- fixed base ---------------------------------------------------------------------------
def _multimux3(c: Circuit, table, s) -> LC:
    """table[s0 + 2 s1 + 4 s2] as circomlib MultiMux3 (s10 = s1 * s0 is passed in s[3])."""
    s0, s1, s2, s10 = s
    k = [LC.of(v) for v in table]
    a210 = (k[7] - k[6] - k[5] + k[4] - k[3] + k[2] + k[1] - k[0]) * s10 if k[0].is_constant() else None
    if a210 is None:
        raise ValueError("multimux3 takes a constant table")
    a21 = (k[6] - k[4] - k[2] + k[0]) * s1
    a20 = (k[5] - k[4] - k[1] + k[0]) * s0
    a2 = k[4] - k[0]
    a10 = (k[3] - k[2] - k[1] + k[0]) * s10
    a1 = (k[2] - k[0]) * s1
    a0 = (k[1] - k[0]) * s0
    return c.mul(a210 + a21 + a20 + a2, s2, plus=a10 + a1 + a0 + k[0])


@gadget
def _window_mul_fix(c: Circuit, bits, base):
    """circomlib WindowMulFix: ((bits + 1) * base, 8 * base) in Montgomery form."""
    table = [base, montgomery_double(c, base)]
    for _ in range(6):
        table.append(montgomery_add(c, base, table[-1]))
    if not all(LC.of(p[0]).is_constant() and LC.of(p[1]).is_constant() for p in table):
        raise ValueError("escalar_mul_fix needs a constant base")
    s0, s1, s2 = (LC.of(b) for b in bits)
    s10 = c.mul(s1, s0)
    out = (_multimux3(c, [p[0] for p in table], (s0, s1, s2, s10)),
           _multimux3(c, [p[1] for p in table], (s0, s1, s2, s10)))
    return out, table[7]


@gadget
def _segment_mul_fix(c: Circuit, e, base):
    n_windows = len(e) // 3
    m = edwards_to_montgomery(c, base)
    outs, out8s = [], []
    wbase = m
    for i in range(n_windows):
        out, out8 = _window_mul_fix(c, e[3 * i:3 * i + 3], wbase)
        outs.append(out)
        out8s.append(out8)
        wbase = out8
    dbl_last = montgomery_double(c, out8s[-1])
    cacc = m
    for i in range(n_windows):
        cacc = montgomery_add(c, cacc, out8s[i] if i < n_windows - 1 else dbl_last)
    acc = dbl_last
    for i in range(n_windows):
        acc = montgomery_add(c, acc, outs[i])
    pe = montgomery_to_edwards(c, acc)
    ce = montgomery_to_edwards(c, cacc)
    return babyjub_add(c, pe, (-LC.of(ce[0]), ce[1])), out8s[-1]


@gadget
def escalar_mul_fix(c: Circuit, e, base=BASE8) -> tuple[LC, LC]:
    """e * base for bits e (LSB first) and a constant Edwards point `base` (circomlib
    EscalarMulFix(n, BASE): ~2 constraints per bit). Assumes e are bits."""
    n = len(e)
    n_seg = (n - 1) // 246 + 1
    n_last = n - (n_seg - 1) * 249
    acc = None
    seg_base = base
    dbl = None
    for s in range(n_seg):
        nbits = 249 if s < n_seg - 1 else n_last
        n_windows = (nbits - 1) // 3 + 1
        bits = list(e[s * 249:s * 249 + nbits]) + [0] * (n_windows * 3 - nbits)
        if s > 0:
            seg_base = montgomery_to_edwards(c, dbl)
        out, dbl = _segment_mul_fix(c, bits, seg_base)
        acc = out if acc is None else babyjub_add(c, acc, out)
    return acc


# --- variable base ------------------------------------------------------------------------
@gadget
def _segment_mul_any(c: Circuit, e, p):
    m = edwards_to_montgomery(c, p)
    dbl, add = m, m
    for i in range(len(e) - 1):
        with c.scope("bit"):
            dbl = montgomery_double(c, dbl)
            added = montgomery_add(c, dbl, add)
            add = (select(c, e[i + 1], added[0], add[0]), select(c, e[i + 1], added[1], add[1]))
    me = montgomery_to_edwards(c, add)
    back = babyjub_add(c, me, (-LC.of(p[0]), p[1]))
    out = (select(c, e[0], me[0], back[0]), select(c, e[0], me[1], back[1]))
    return out, dbl


@gadget
def escalar_mul_any(c: Circuit, e, p) -> tuple[LC, LC]:
    """e * p for bits e (LSB first) and a variable point p in the prime-order subgroup
    (circomlib EscalarMulAny(n): ~9 constraints per bit). p = (0, 1)... is handled as
    circomlib does: x == 0 swaps in Base8 and forces the result to the identity."""
    n = len(e)
    n_seg = (n - 1) // 148 + 1
    n_last = n - (n_seg - 1) * 148
    px, py = LC.of(p[0]), LC.of(p[1])
    zero = is_zero(c, px)
    acc = None
    dbl = None
    for s in range(n_seg):
        nbits = 148 if s < n_seg - 1 else n_last
        if s == 0:
            base = (c.mul(BASE8[0] - px, zero, plus=px), c.mul(BASE8[1] - py, zero, plus=py))
        else:
            base = montgomery_to_edwards(c, montgomery_double(c, dbl))
        out, dbl = _segment_mul_any(c, e[s * 148:s * 148 + nbits], base)
        acc = out if acc is None else babyjub_add(c, acc, out)
    return c.mul(acc[0], 1 - zero), c.mul(1 - acc[1], zero, plus=acc[1])
