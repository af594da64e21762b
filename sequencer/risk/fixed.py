"""The grid requirement in integers: the scales and the arithmetic a circuit can check exactly.

margin.py computes the requirement in floating point; this module computes the same
requirement from integers only, the way the settlement circuit will (issue 11, later
parts), and bounds the difference (`error_bound_usd`, tested).

Scales (match the spec, sequencer/spec/constants.py)
----------------------------------------------------
- collateral unit: 1e-6 USD (`COLLATERAL_SCALE` = 10^6 units per USD), the spec's unit.
- size: micro-units of the underlying (`SIZE_SCALE` = 10^6 per unit: 1 BTC = 1_000_000),
  signed, |q| < 2^(POSITION_BITS - 1). (The spec counts perpetual positions in lots of a
  per-market size; options will use the market's lot the same way: a value per lot then
  replaces the value per unit below and SIZE_SCALE becomes lots per unit.)
- spot S and option values V: collateral units per unit of underlying, unsigned,
  < 2^PRICE_BITS (2^48 micro-USD = 281 million USD per unit).
- spot moves and the short-option floor: basis points (`BPS` = 10_000 is 100 %). Vol moves
  never enter the arithmetic: they are inside the published option values.

What is published, what is computed
-----------------------------------
Per market the oracle publishes S; per option series (type, strike, expiry) and per grid
scenario k the committee publishes V (now) and V_k (the Black–Scholes value at spot
S (1 + a_k), vols times (1 + b_k), `horizon` closer to expiry), each rounded to the nearest
collateral unit. Pricing options in-circuit (exp, log, the normal CDF) is not needed: the
circuit only forms, per market j,

    L_j,k = BPS * sum_options q (V - V_k)  -  sum_perps q S a_k            (a_k in bps)
    R*    = sum_j max(0, max_k L_j,k)  +  sum_short-options |q| S floor    (floor in bps)

in units of (collateral unit x SIZE_SCALE x BPS), and checks an account's margin as

    BPS * (SIZE_SCALE * C + sum_options q V)  >=  R*        (C: collateral, collateral units)

with no division anywhere. `requirement_units` = ceil(R* / (SIZE_SCALE * BPS)) is the
requirement in collateral units, for display and for the comparison with margin.py.

Bounds: |q (V - V_k)| < 2^(39 + 48), times BPS < 2^(87 + 14); at most 2^MAX_POSITIONS_BITS
positions per market and MAX_MARKETS markets keep |R*| < 2^REQUIREMENT_BITS, far below the
BN254 field order (asserted at import), so the circuit's field arithmetic is exact.

Error against floating point: rounding each published value to the nearest unit moves a
position's loss by at most |q| units (both V and V_k: 1/2 each); rounding a size to the
nearest micro-unit by at most 1/2 x 10^-6 of the position's largest value change; the ceil
adds at most one unit. `error_bound_usd` adds these up per portfolio: for the example
portfolio it is below 1e-5 USD.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sequencer.spec.constants import BPS, FIELD_MODULUS, MAX_MARKETS, POSITION_BITS, PRICE_BITS

from .margin import Grid, MAINTENANCE_GRID, option_values
from .portfolio import Option, Perp, Portfolio

COLLATERAL_SCALE = 10**6  # collateral units per USD (the spec's micro-USD)
SIZE_SCALE = 10**6  # size units per unit of underlying
MAX_POSITIONS_BITS = 8  # at most 256 positions per market in one account
REQUIREMENT_BITS = (POSITION_BITS - 1) + PRICE_BITS + 14 + MAX_POSITIONS_BITS + (MAX_MARKETS.bit_length()) + 2
assert (1 << REQUIREMENT_BITS) < FIELD_MODULUS and REQUIREMENT_BITS < 250
assert (1 << 14) > BPS


def to_bps(move: float) -> int:
    """A move or rate that the grid publishes in whole basis points (exactly)."""
    bps = round(move * BPS)
    if abs(bps - move * BPS) > 1e-6:
        raise ValueError(f"{move} is not a whole number of basis points")
    return bps


def to_units(usd: float) -> int:
    """USD (per unit of underlying) -> collateral units, rounded to nearest."""
    return int(round(usd * COLLATERAL_SCALE))


def to_price(usd: float) -> int:
    """A spot or option value, USD per unit -> collateral units per unit, < 2^PRICE_BITS."""
    units = to_units(usd)
    if not 0 <= units < 1 << PRICE_BITS:
        raise ValueError(f"price {usd} is out of the fixed-point range (< 2^{PRICE_BITS} micro-USD)")
    return units


def to_size(size: float) -> int:
    """Units of underlying -> micro-units, rounded to nearest, |q| < 2^(POSITION_BITS - 1)."""
    if not math.isfinite(size * SIZE_SCALE):
        raise ValueError(f"size {size} is out of the fixed-point range")
    q = int(round(size * SIZE_SCALE))
    if abs(q) >= 1 << (POSITION_BITS - 1):
        raise ValueError(f"size {size} is out of the fixed-point range")
    return q


@dataclass(frozen=True)
class FixedMarket:
    """What the circuit sees of one market: the oracle's integers and the account's sizes."""

    spot: int  # collateral units per unit
    perp_size: int  # sum of the perpetual positions, micro-units (signed)
    option_sizes: tuple[int, ...]  # micro-units (signed), one per option position
    values_now: tuple[int, ...]  # V per option, collateral units per unit
    values_at: tuple[tuple[int, ...], ...]  # [scenario k][option] V_k, scenario k = (i, l) row-major


@dataclass(frozen=True)
class FixedGrid:
    spot_moves_bps: tuple[int, ...]  # one per scenario k (spot move of the scenario)
    floor_bps: int


def fixed_grid(grid: Grid) -> FixedGrid:
    moves = tuple(to_bps(a) for a in grid.spot_moves for _ in grid.vol_moves)
    return FixedGrid(spot_moves_bps=moves, floor_bps=to_bps(grid.short_option_floor))


def publish(portfolio: Portfolio, market: str, grid: Grid) -> FixedMarket:
    """The integers of one market: the oracle's rounded spot and option values, the account's sizes."""
    spot = portfolio.markets[market].spot
    options = [p for p in portfolio.positions if isinstance(p, Option) and p.market == market]
    perp = sum(to_size(p.size) for p in portfolio.positions if isinstance(p, Perp) and p.market == market)
    moves = np.array([a for a in grid.spot_moves for _ in grid.vol_moves])
    factors = np.array([1.0 + b for _ in grid.spot_moves for b in grid.vol_moves])
    now = option_values(portfolio, market, options, spot, 1.0, 0.0)
    later = option_values(portfolio, market, options, spot * (1.0 + moves), factors, grid.horizon_years)
    return FixedMarket(spot=to_price(spot), perp_size=perp,
                       option_sizes=tuple(to_size(o.size) for o in options),
                       values_now=tuple(to_price(v) for v in np.atleast_1d(now)),
                       values_at=tuple(tuple(to_price(v) for v in row) for row in later))


def market_requirement_scaled(m: FixedMarket, g: FixedGrid) -> int:
    """max(0, max_k L_k) + floor, in collateral units x SIZE_SCALE x BPS (integers only)."""
    worst = 0
    for k, a in enumerate(g.spot_moves_bps):
        loss = -m.perp_size * m.spot * a
        for q, v, vk in zip(m.option_sizes, m.values_now, m.values_at[k]):
            loss += BPS * q * (v - vk)
        worst = max(worst, loss)
    short = sum(-q for q in m.option_sizes if q < 0)
    return worst + short * m.spot * g.floor_bps


def requirement_scaled(portfolio: Portfolio, grid: Grid = MAINTENANCE_GRID) -> int:
    """R* of the whole portfolio: sum over markets (units: collateral unit x SIZE_SCALE x BPS)."""
    g = fixed_grid(grid)
    total = sum(market_requirement_scaled(publish(portfolio, m, grid), g) for m in portfolio.markets)
    assert total < 1 << REQUIREMENT_BITS
    return total


def requirement_units(portfolio: Portfolio, grid: Grid = MAINTENANCE_GRID) -> int:
    """The requirement in collateral units (micro-USD), rounded up."""
    r = requirement_scaled(portfolio, grid)
    return -(-r // (SIZE_SCALE * BPS))


def error_bound_usd(portfolio: Portfolio, grid: Grid = MAINTENANCE_GRID) -> float:
    """A bound on |requirement_units / 10^6 - margin.requirement(...)| in USD (see the docstring).

    Uses the actual rounding error of each size and spot (zero when they are whole micro-units)
    and the worst case (half a unit) for each published option value."""
    unit = 1.0 / COLLATERAL_SCALE
    amax = max(abs(a) for a in grid.spot_moves)
    floor = grid.short_option_floor
    bound = unit  # the ceil
    for name, market in portfolio.markets.items():
        spot = market.spot
        e_spot = abs(to_units(spot) * unit - spot)
        options = [p for p in portfolio.positions if isinstance(p, Option) and p.market == name]
        perps = [p for p in portfolio.positions if isinstance(p, Perp) and p.market == name]
        perp_size = sum(p.size for p in perps)
        d_perp = sum(abs(to_size(p.size) / SIZE_SCALE - p.size) for p in perps)
        # perpetuals: |Q'S' - QS| a <= (dQ S + |Q| eS + dQ eS) a
        bound += amax * (d_perp * spot + abs(perp_size) * e_spot + d_perp * e_spot)
        for o in options:
            dq = abs(to_size(o.size) / SIZE_SCALE - o.size)
            # no value exceeds max(S', K e^{-rT}): a call is worth at most the spot, a put its discounted strike
            top = max(spot * (1 + amax), o.strike * math.exp(max(-portfolio.rate, 0.0) * max(o.years, 0.0))) + unit
            bound += dq * top + (abs(o.size) + dq) * unit  # size rounding; V and V_k half a unit each
            if o.size < 0:  # the floor: |q'| S' - |q| S
                bound += floor * (dq * spot + abs(o.size) * e_spot + dq * e_spot)
        bound += 1e-12 * (spot * (abs(perp_size) + sum(abs(o.size) for o in options)) + 1.0)  # float sums
    return bound


def meets_maintenance(portfolio: Portfolio, grid: Grid = MAINTENANCE_GRID) -> bool:
    """The circuit's check: BPS * (SIZE_SCALE * C + sum q V) >= R*, integers only."""
    value = SIZE_SCALE * to_units(portfolio.collateral)
    for m in portfolio.markets:
        pub = publish(portfolio, m, grid)
        value += sum(q * v for q, v in zip(pub.option_sizes, pub.values_now))
    return BPS * value >= requirement_scaled(portfolio, grid)


def as_usd(units: int) -> float:
    return units / COLLATERAL_SCALE

