"""Portfolio margin: the worst loss over a published grid of scenarios, plus a short-option floor.

This is the floating-point reference of the requirement that the settlement circuit will
prove for accounts holding options (fixed.py is its integer form). In the manner of SPAN
and of the portfolio margin of the large crypto options venues:

    For each market j (underlying) and each scenario (a, b) of the grid, every position of
    the account on j is revalued with the spot moved to S_j (1 + a), every implied vol of j
    multiplied by (1 + b), and every option `horizon_years` closer to its expiry:

        loss_j(a, b) = sum_perps  -q S_j a                              (exact linear P&L)
                     + sum_options q (V(S_j, sigma, T) - V(S_j (1+a), sigma (1+b), T - h))

    requirement = sum_j max(0, max_(a,b) loss_j(a, b))  +  floor * sum_short-options |q| S_j

with V the Black–Scholes value (black_scholes.py, rate r of the portfolio), sigma the
option's vol on the market's surface at its strike and expiry (sticky strike: the whole
surface moves by the factor 1 + b), and q the signed size in units of the underlying. An
option whose `T - h <= 0` is revalued at intrinsic value. Markets do not offset each other:
each market's worst scenario is charged in full, as if they all happened at once.

Published grids (the named constants below)
-------------------------------------------
- maintenance: spot moves -15 %, -10 %, -5 %, 0, +5 %, +10 %, +15 % (7) x vol moves
  -30 %, 0, +30 % of every vol (3) = 21 scenarios; look-ahead 1 day (1/365 year);
  short-option floor 0.5 % of the spot per unit of underlying sold.
- initial: spot moves -22.5 %, -15 %, -10 %, -5 %, 0, +5 %, +10 %, +15 %, +22.5 % (9) x vol
  moves -45 %, -30 %, 0, +30 %, +45 % (5) = 45 scenarios; same look-ahead; floor 0.75 %.
  The initial grid contains the maintenance grid and its floor is larger, so
  initial >= maintenance for every portfolio.

Properties the tests check (tests/sequencer/risk/test_margin.py):
- a long option never needs more than its premium: its value cannot fall below zero, so
  its loss in any scenario is at most V(S, sigma, T);
- a short option always needs more than zero: the floor is > 0;
- perpetuals alone need exactly the linear worst case, |sum q| S max|a|;
- a roughly delta-hedged book needs much less than the sum of its parts.

Provability: the settlement spec computes this requirement in integers from per-series risk
arrays the oracle committee publishes (sequencer/spec/options.py: `marks_surplus`, equal to
this module's figure to the arrays' rounding, tested), and bounds it over an account's safe box
by monotonicity (rows at each position's worst corner of spot, vol and time); the argument
and its error bounds are in that module's docstring.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .black_scholes import bs_price
from .portfolio import Option, Perp, Portfolio


@dataclass(frozen=True)
class Grid:
    """A scenario grid and its short-option floor (moves are fractions: -0.15 is -15 %)."""

    name: str
    spot_moves: tuple[float, ...]  # relative moves of the underlying's price
    vol_moves: tuple[float, ...]  # relative moves of every implied vol of the underlying (> -1)
    horizon_years: float  # options are revalued this much closer to expiry
    short_option_floor: float  # charge per unit of underlying sold in options, fraction of spot

    def __post_init__(self):
        assert 0.0 in self.spot_moves and 0.0 in self.vol_moves
        assert all(b > -1.0 for b in self.vol_moves) and all(a > -1.0 for a in self.spot_moves)
        assert self.horizon_years >= 0 and self.short_option_floor > 0

    def as_dict(self) -> dict:
        return {"spot_moves": list(self.spot_moves), "vol_moves": list(self.vol_moves),
                "horizon_years": self.horizon_years, "short_option_floor": self.short_option_floor}


ONE_DAY = 1.0 / 365.0

MAINTENANCE_GRID = Grid(
    name="maintenance",
    spot_moves=(-0.15, -0.10, -0.05, 0.0, 0.05, 0.10, 0.15),
    vol_moves=(-0.30, 0.0, 0.30),
    horizon_years=ONE_DAY,
    short_option_floor=0.005,
)

INITIAL_GRID = Grid(
    name="initial",
    spot_moves=(-0.225, -0.15, -0.10, -0.05, 0.0, 0.05, 0.10, 0.15, 0.225),
    vol_moves=(-0.45, -0.30, 0.0, 0.30, 0.45),
    horizon_years=ONE_DAY,
    short_option_floor=0.0075,
)


@dataclass(frozen=True)
class MarketRisk:
    """One market under one grid: the loss matrix (spot moves x vol moves) and its worst."""

    market: str
    spot: float
    losses: np.ndarray  # shape (len(spot_moves), len(vol_moves)), USD
    spot_move: float  # the worst scenario
    vol_move: float
    worst_loss: float  # losses[worst], may be negative (the book gains everywhere)
    floor: float  # short-option floor, USD

    @property
    def requirement(self) -> float:
        return max(self.worst_loss, 0.0) + self.floor


def option_values(portfolio: Portfolio, market: str, options: list[Option], spot, vol_factor,
                  horizon: float) -> np.ndarray:
    """Black–Scholes values per unit of each option of `market`, at spot `spot`, the market's
    vols times `vol_factor`, `horizon` years later; broadcast over leading axes of `spot` /
    `vol_factor` (the last axis is the options')."""
    if not options:
        return np.zeros(np.broadcast(np.asarray(spot), np.asarray(vol_factor)).shape + (0,))
    assert all(o.market == market for o in options)
    strikes = np.array([o.strike for o in options])
    years = np.array([o.years for o in options])
    vols = portfolio.markets[market].surface().vol(strikes, years)
    calls = np.array([o.is_call for o in options])
    spot = np.asarray(spot, dtype=float)[..., None]
    vol_factor = np.asarray(vol_factor, dtype=float)[..., None]
    return bs_price(calls, spot, strikes, years - horizon, portfolio.rate, vols * vol_factor)


def market_risk(portfolio: Portfolio, market: str, grid: Grid) -> MarketRisk:
    """The loss of the account's positions on `market` in every scenario of `grid`."""
    spot = portfolio.markets[market].spot
    perps = [p for p in portfolio.positions if isinstance(p, Perp) and p.market == market]
    options = [p for p in portfolio.positions if isinstance(p, Option) and p.market == market]
    moves = np.array(grid.spot_moves)[:, None]  # (n_spot, 1)
    factors = 1.0 + np.array(grid.vol_moves)[None, :]  # (1, n_vol)
    perp_size = sum(p.size for p in perps)
    losses = -perp_size * spot * moves * np.ones_like(factors)  # exact linear P&L of the perpetuals
    if options:
        sizes = np.array([o.size for o in options])
        now = option_values(portfolio, market, options, spot, 1.0, 0.0)
        later = option_values(portfolio, market, options, spot * (1.0 + moves), factors, grid.horizon_years)
        losses = losses + ((now - later) * sizes).sum(axis=-1)
    i, k = np.unravel_index(int(np.argmax(losses)), losses.shape)
    short_units = sum(-o.size for o in options if o.size < 0)
    return MarketRisk(market=market, spot=spot, losses=losses, spot_move=grid.spot_moves[i],
                      vol_move=grid.vol_moves[k], worst_loss=float(losses[i, k]),
                      floor=grid.short_option_floor * spot * short_units)


def requirement(portfolio: Portfolio, grid: Grid) -> tuple[float, dict[str, MarketRisk]]:
    """The requirement of `grid` (USD) and each market's risk under it."""
    risks = {m: market_risk(portfolio, m, grid) for m in portfolio.markets}
    return sum(r.requirement for r in risks.values()), risks


def options_value(portfolio: Portfolio) -> float:
    """Model value of the option positions now (USD): long options count for, short against."""
    total = 0.0
    for m in portfolio.markets:
        options = [p for p in portfolio.positions if isinstance(p, Option) and p.market == m]
        if options:
            total += float((option_values(portfolio, m, options, portfolio.markets[m].spot, 1.0, 0.0)
                            * np.array([o.size for o in options])).sum())
    return total


def portfolio_margin(portfolio: Portfolio, maintenance_grid: Grid = MAINTENANCE_GRID,
                     initial_grid: Grid = INITIAL_GRID) -> dict:
    """Maintenance and initial requirements, the worst scenario and the account's value (JSON-ready).

    `total_value` = collateral + the options' model value (perpetuals are marked to spot,
    their P&L already in collateral); the account meets maintenance when
    total_value >= maintenance."""
    maintenance, m_risks = requirement(portfolio, maintenance_grid)
    initial, i_risks = requirement(portfolio, initial_grid)
    value = portfolio.collateral + options_value(portfolio)
    return {
        "maintenance": maintenance,
        "initial": initial,
        "worst_scenario": {
            "loss": sum(max(r.worst_loss, 0.0) for r in m_risks.values()),
            "markets": {m: {"spot_move": r.spot_move, "vol_move": r.vol_move, "spot": r.spot * (1 + r.spot_move),
                            "loss": r.worst_loss} for m, r in m_risks.items()},
        },
        "short_option_floor": sum(r.floor for r in m_risks.values()),
        "options_value": value - portfolio.collateral,
        "total_value": value,
        "maintenance_excess": value - maintenance,
        "initial_excess": value - initial,
        "scenarios": {m: [{"spot_move": a, "vol_move": b, "loss": float(r.losses[i, k])}
                          for i, a in enumerate(maintenance_grid.spot_moves)
                          for k, b in enumerate(maintenance_grid.vol_moves)] for m, r in m_risks.items()},
        "grid": {"maintenance": maintenance_grid.as_dict(), "initial": initial_grid.as_dict()},
    }
