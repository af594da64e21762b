"""The batch builder's box policy: a box that leaves slack for the account's next trades.

`margin.choose_box` spends an account's whole maintenance surplus on price and funding moves
against its positions and leaves the other directions open. Every trade that adds risk then
leaves that box (its worst corner has no surplus left), so the builder touches the account
first: on the random trading flow (`sequencer.flow`) that was one touch per trade or more,
and a touch costs a box-changing path update in the circuit.

`slack_box` keeps part of the surplus for trades instead. Every market, held or flat, gets a
two-sided box around the current point, of one relative half-width w:

    price   [g_j - d_j, g_j + d_j],   d_j = floor(g_j * w / BPS)       (ladder steps)
    funding [F_j - e_j, F_j + e_j],   e_j = floor(p_j * w / (BPS * FUNDING_DIVISOR))

with w (basis points of the price) as large as SPEND_BPS of the surplus pays for, and at
most BAND_BPS. At the worst corner the loss against S_m is at most

    sum_j |q_j| (d_j step_j (BPS + m_j) + e_j BPS)
        <= w * sum_j |q_j| p_j ((BPS + m_j) * FUNDING_DIVISOR + BPS) / (BPS * FUNDING_DIVISOR)

so w = floor(SPEND * S * BPS * FUNDING_DIVISOR / sum_j |q_j| p_j ((BPS + m_j) FUNDING_DIVISOR + BPS))
leaves at least (1 - SPEND) S at the worst corner: the slack that later trades (adding risk,
flipping a position, opening a flat market: the box is two-sided in every market) use up
before the account needs a touch. Prices that wander out of the band re-box the account
(a drift touch), so BAND_BPS trades drift touches against slack.

Soundness is unchanged: the returned box is checked with `margin.is_safe_box` (the account
is above maintenance at every price and funding index in it), as every chosen box is, and
the circuit checks it again when it writes the leaf. Two cases keep `margin.choose_box`: an
account with no position (its box stays full, so idle accounts are never touched for
drift), and one whose surplus pays for less than MIN_BAND_BPS (close to maintenance, it gets
the widest box against the moves that hurt it, as before).

Boxes chosen in the same few batches would expire together when the price leaves their common
band, and every account whose box misses the batch's prices must be touched in that batch:
more than the batch's touch slots, and no batch could be cut. So the builder spends the touch
slots a batch leaves free on the accounts closest to an edge of their box (`refresh_order`:
closer than REFRESH_SHARE_BPS of the band it would get), which spreads the re-boxing over time. Free slots cost
nothing more to prove (the circuit pays for every slot), but they count as touches.
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import margin
from .box import Box
from .constants import BPS, FUNDING_MAX, FUNDING_MIN, GRID_MAX, Preset
from .state import Account

# at most +-20 % of the price: a one-batch move of up to ~15 % in every market breaks no box on
# the random flow (at +-10 %, 16 to 64 boxes broke at 8-10 %, more than a batch's touch slots:
# no batch could be cut), and wider bands need fewer refreshes (touches a batch on the flow at
# 70 trade slots, 30 batches: 7.2 at 10 % with 12 touch slots, 5.9 at 15 % and 4.8 at 20 % with
# 15); an account's band stays what SPEND_BPS of its surplus pays for, so the slack left for
# trades is still at least half its surplus
BAND_BPS = 2_000
MIN_BAND_BPS = 200  # below +-2 % the account keeps margin.choose_box's box
SPEND_BPS = 5_000  # half the surplus pays for the band; the other half is slack for trades
FUNDING_DIVISOR = 20  # the funding band is 1/20 of the price band (0.5 % of the price at 10 %)
REFRESH_SHARE_BPS = 6_000  # a free touch slot re-boxes an account closer to an edge than 60 % of its band


def band_bps(account: Account, preset: Preset, grid_prices: Sequence[int], surplus: int) -> int:
    """The half-width w (bps of the price) that SPEND_BPS of `surplus` pays for, capped at BAND_BPS."""
    cost = sum(abs(q) * mk.mark_price(g) * ((BPS + mk.maintenance_bps) * FUNDING_DIVISOR + BPS)
               for mk, q, g in zip(preset.markets, account.positions, grid_prices))
    if cost == 0:
        return BAND_BPS
    return min(BAND_BPS, surplus * SPEND_BPS * FUNDING_DIVISOR // cost)


def slack_box(account: Account, preset: Preset, grid_prices: Sequence[int],
              funding: Sequence[int]) -> Optional[Box]:
    """The builder's box for an account at the current prices (module docstring); None if
    TV < MR already."""
    if all(q == 0 for q in account.positions):
        return margin.choose_box(account, preset, grid_prices, funding)
    s = margin.maintenance_surplus(account, preset, grid_prices, funding)
    if s < 0:
        return None
    w = band_bps(account, preset, grid_prices, s)
    if w < MIN_BAND_BPS:
        return margin.choose_box(account, preset, grid_prices, funding)
    out = []
    for mk, g, big_f in zip(preset.markets, grid_prices, funding):
        d = g * w // BPS
        e = mk.mark_price(g) * w // (BPS * FUNDING_DIVISOR)
        out.append((max(0, g - d), min(GRID_MAX, g + d), max(FUNDING_MIN, big_f - e), min(FUNDING_MAX, big_f + e)))
    chosen = tuple(out)
    assert margin.is_safe_box(account, preset, chosen, grid_prices, funding)
    return chosen


def edge_distance_bps(account: Account, preset: Preset, grid_prices: Sequence[int], funding: Sequence[int]) -> int:
    """How far the current point lies inside the account's box: the least distance to a
    price bound, in bps of the price, or to a funding bound, in bps of the price times
    FUNDING_DIVISOR (the funding band's scale)."""
    out = BPS * BPS
    for mk, (lo, hi, flo, fhi), g, big_f in zip(preset.markets, account.box, grid_prices, funding):
        p = max(1, mk.mark_price(g))
        out = min(out, (g - lo) * BPS // max(1, g), (hi - g) * BPS // max(1, g),
                  (big_f - flo) * BPS * FUNDING_DIVISOR // p, (fhi - big_f) * BPS * FUNDING_DIVISOR // p)
    return out


def refresh_order(state, exclude) -> list[int]:
    """The accounts worth re-boxing in a free touch slot, nearest an edge first (ties by id):
    those with a position and a banded box to come (band_bps >= MIN_BAND_BPS: an account
    close to maintenance gets `margin.choose_box`'s box, whose bound against it is where its
    surplus runs out, so re-boxing it gains nothing) whose box's nearest edge is closer than
    REFRESH_SHARE_BPS of that band."""
    p = state.preset
    near = []
    for index, account in state.accounts.items():
        if index in exclude or all(q == 0 for q in account.positions):
            continue
        s = margin.maintenance_surplus(account, p, state.prices, state.funding)
        if s < 0:
            continue
        w = band_bps(account, p, state.prices, s)
        if w < MIN_BAND_BPS:
            continue
        d = edge_distance_bps(account, p, state.prices, state.funding)
        if d * BPS < REFRESH_SHARE_BPS * w:
            near.append((d, index))
    return [index for _, index in sorted(near)]
