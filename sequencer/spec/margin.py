"""Margin: total value, requirements, the worst case over a box, and the sequencer's box choice.

Formulas (integers only; `p_j = g_j * price_step_j` is the mark price of ladder index g_j):

    TV  = C + sum_j q_j p_j - sum_j q_j (F_j - f_j)                      collateral units
    MR  = sum_j |q_j| p_j m_j / BPS,     IR = sum_j |q_j| p_j i_j / BPS

Nothing is divided: the spec compares *surpluses* scaled by BPS,

    S_m = BPS * TV - sum_j |q_j| p_j m_j       (TV >= MR  <=>  S_m >= 0)
    S_i = BPS * TV - sum_j |q_j| p_j i_j       (TV >= IR  <=>  S_i >= 0)

Bounds (constants.py): |q_j p_j|, |q_j (F_j - f_j)| < 2^87; |S| < 2^(MARGIN_BITS - 1) = 2^108,
far below r ~ 2^254, so the circuit's field arithmetic computes these integers exactly and
checks `S >= 0` with one MARGIN_BITS-bit range check.

Solvency argument: every account, at O(depth) per touched account
--------------------------------------------------------------------
Fix an account (C, q, f) and its box B = prod_j [lo_j, hi_j] x [flo_j, fhi_j] (ladder indices
and funding indices). As a function of the prices and funding indices, with q fixed,

    S_m(g, F) = BPS*C + sum_j q_j step_j g_j (BPS - sgn(q_j) m_j) - sum_j BPS q_j (F_j - f_j)

is affine in each g_j and each F_j separately (|q_j| is a constant). Its coefficient of g_j
has the sign of q_j (because m_j < BPS) and its coefficient of F_j the sign of -q_j. Hence
its minimum over the box is at the corner `worst_corner`: g_j = lo_j and F_j = fhi_j where
q_j > 0, g_j = hi_j and F_j = flo_j where q_j < 0 (any point where q_j = 0). So

    (1) S_m(worst corner of B) >= 0   ==>   TV >= MR at every (g, F) in B.

The circuit checks (1) whenever it writes a leaf (one MARGIN_BITS comparison, after M
muxes picking the corner). Leaves change only when written, and a written leaf's box is
re-checked, so at the end of every batch (1) holds for every leaf, written or not (empty
leaves have q = 0 and C = 0). Each inner node commits to its children's boxes and the
circuit recomputes every node box on a written path as their intersection (tree.py), so
the root's box R is the intersection of all leaf boxes. The batch then proves

    (2) the batch's prices g and funding indices F lie in R          (O(1): 4*M comparisons)

and (2) puts (g, F) in every leaf's box, so by (1) every account has TV >= MR at the batch
prices. Per batch the cost is O(depth) per written leaf plus O(M), whatever the number of
accounts. Risk factors are constants of the preset; changing them would void (1).
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import box as boxes
from .box import Box
from .constants import BPS, FUNDING_MAX, FUNDING_MIN, GRID_MAX, Preset
from .state import Account


def total_value(account: Account, preset: Preset, grid_prices: Sequence[int],
                funding: Sequence[int]) -> int:
    """TV = C + sum q_j p_j - sum q_j (F_j - f_j), collateral units."""
    tv = account.collateral
    for mk, q, f, g, big_f in zip(preset.markets, account.positions, account.snapshots, grid_prices, funding):
        tv += q * mk.mark_price(g) - q * (big_f - f)
    return tv


def requirement_scaled(account: Account, preset: Preset, grid_prices: Sequence[int],
                       factor: str) -> int:
    """BPS * MR (factor "maintenance") or BPS * IR (factor "initial")."""
    attr = {"maintenance": "maintenance_bps", "initial": "initial_bps"}[factor]
    return sum(abs(q) * mk.mark_price(g) * getattr(mk, attr)
               for mk, q, g in zip(preset.markets, account.positions, grid_prices))


def maintenance_surplus(account: Account, preset: Preset, grid_prices: Sequence[int],
                        funding: Sequence[int]) -> int:
    """S_m = BPS * TV - BPS * MR: >= 0 iff TV >= MR."""
    return BPS * total_value(account, preset, grid_prices, funding) \
        - requirement_scaled(account, preset, grid_prices, "maintenance")


def initial_surplus(account: Account, preset: Preset, grid_prices: Sequence[int],
                    funding: Sequence[int]) -> int:
    """S_i = BPS * TV - BPS * IR: >= 0 iff TV >= IR."""
    return BPS * total_value(account, preset, grid_prices, funding) \
        - requirement_scaled(account, preset, grid_prices, "initial")


def worst_corner(account: Account, box: Box) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (ladder prices, funding indices) corner of `box` where S_m is least."""
    g, f = [], []
    for q, (lo, hi, flo, fhi) in zip(account.positions, box):
        g.append(hi if q < 0 else lo)
        f.append(flo if q < 0 else fhi)
    return tuple(g), tuple(f)


def box_surplus(account: Account, preset: Preset, box: Box) -> int:
    """min of S_m over `box` (its value at the worst corner)."""
    g, f = worst_corner(account, box)
    return maintenance_surplus(account, preset, g, f)


def is_safe_box(account: Account, preset: Preset, box: Box, grid_prices: Sequence[int],
                funding: Sequence[int]) -> bool:
    """What the circuit checks when it writes a leaf: the box is well formed, holds the
    current prices and funding, and the account is solvent at its worst corner."""
    return all(boxes.is_valid_market_box(b) for b in box) \
        and boxes.contains(box, grid_prices, funding) and box_surplus(account, preset, box) >= 0


def choose_box(account: Account, preset: Preset, grid_prices: Sequence[int],
               funding: Sequence[int]) -> Optional[Box]:
    """The sequencer's box for an account at the current prices; None if TV < MR already.

    Policy (simple, not optimal): markets with q_j = 0 get the full range. The surplus
    S = S_m(now) is split equally between the 2n one-sided directions that hurt the n
    markets with q_j != 0 (price down and funding up for a long, price up and funding down
    for a short); each direction moves as far as its share pays for, rounded inward to the
    ladder. The directions that help are left open to the end of the range. The worst-case
    losses then sum to at most S, so the box is safe (asserted). An account with S_m = 0
    gets the degenerate box in the directions that hurt."""
    s = maintenance_surplus(account, preset, grid_prices, funding)
    if s < 0:
        return None
    n = sum(1 for q in account.positions if q != 0)
    if n == 0:
        return boxes.full(preset.num_markets)
    share = s // (2 * n)
    out = []
    for mk, q, g, big_f in zip(preset.markets, account.positions, grid_prices, funding):
        if q == 0:
            out.append(boxes.FULL_MARKET)
            continue
        # S_m loss per ladder step against the position, and per funding unit against it
        per_step = abs(q) * mk.price_step * (BPS - mk.maintenance_bps if q > 0 else BPS + mk.maintenance_bps)
        per_funding = abs(q) * BPS
        dg, df = share // per_step, share // per_funding
        if q > 0:
            out.append((max(0, g - dg), GRID_MAX, FUNDING_MIN, min(FUNDING_MAX, big_f + df)))
        else:
            out.append((0, min(GRID_MAX, g + dg), max(FUNDING_MIN, big_f - df), FUNDING_MAX))
    chosen = tuple(out)
    assert is_safe_box(account, preset, chosen, grid_prices, funding)
    return chosen
