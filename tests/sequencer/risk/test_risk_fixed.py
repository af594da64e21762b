"""The integer form of the grid requirement (fixed.py) against the floating-point one (margin.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sequencer.risk import fixed
from sequencer.risk.margin import INITIAL_GRID, MAINTENANCE_GRID, portfolio_margin, requirement
from sequencer.risk.portfolio import parse_portfolio
from sequencer.spec.constants import BPS, FIELD_MODULUS

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "portfolio_hedged.json"

positions = st.lists(st.one_of(
    st.fixed_dictionaries({"type": st.just("perp"), "market": st.sampled_from(["BTC", "ETH"]),
                           "size": st.floats(min_value=-20.0, max_value=20.0)}),
    st.fixed_dictionaries({"type": st.sampled_from(["call", "put"]), "market": st.sampled_from(["BTC", "ETH"]),
                           "strike": st.floats(min_value=0.6, max_value=1.6),
                           "years": st.floats(min_value=-0.01, max_value=1.5),
                           "size": st.floats(min_value=-20.0, max_value=20.0)}),
), max_size=6)


def portfolio_of(pos, btc=(60000.0, 0.6), eth=(3000.5, 0.8)):
    spots = {"BTC": btc[0], "ETH": eth[0]}
    pos = [dict(p, strike=p["strike"] * spots[p["market"]]) if "strike" in p else p for p in pos]
    return parse_portfolio({"collateral": 1000.0, "markets": {"BTC": {"spot": btc[0], "vol": btc[1]},
                                                              "ETH": {"spot": eth[0], "vol": eth[1]}},
                            "positions": pos})


@pytest.mark.parametrize("grid", [MAINTENANCE_GRID, INITIAL_GRID])
def test_the_example_in_integers(grid):
    p = parse_portfolio(json.loads(EXAMPLE.read_text()))
    want, _ = requirement(p, grid)
    got = fixed.as_usd(fixed.requirement_units(p, grid))
    bound = fixed.error_bound_usd(p, grid)
    assert abs(got - want) <= bound < 1e-5  # whole micro-units of size and spot: only the values round
    assert fixed.meets_maintenance(p)


@settings(max_examples=60, deadline=None)
@given(positions, st.floats(min_value=0.05, max_value=1.5))
def test_integers_match_floats_within_the_stated_bound(pos, vol):
    p = portfolio_of(pos, btc=(60000.123456789, vol))  # a spot and sizes that do not fall on micro-units
    for grid in (MAINTENANCE_GRID, INITIAL_GRID):
        want, _ = requirement(p, grid)
        got = fixed.as_usd(fixed.requirement_units(p, grid))
        assert abs(got - want) <= fixed.error_bound_usd(p, grid)


@settings(max_examples=40, deadline=None)
@given(positions, st.floats(min_value=-50000.0, max_value=50000.0))
def test_the_integer_check_agrees_with_the_float_one_away_from_the_edge(pos, collateral):
    p = portfolio_of(pos).model_copy(update={"collateral": collateral})
    m = portfolio_margin(p)
    if abs(m["maintenance_excess"]) > 2 * fixed.error_bound_usd(p) + 1e-3:
        assert fixed.meets_maintenance(p) == (m["maintenance_excess"] >= 0)


def test_scales_and_bounds():
    assert fixed.COLLATERAL_SCALE == 10**6 and fixed.SIZE_SCALE == 10**6
    assert (1 << fixed.REQUIREMENT_BITS) < FIELD_MODULUS
    g = fixed.fixed_grid(MAINTENANCE_GRID)
    assert len(g.spot_moves_bps) == 21 and set(g.spot_moves_bps) == {-1500, -1000, -500, 0, 500, 1000, 1500}
    assert g.floor_bps == 50 and fixed.fixed_grid(INITIAL_GRID).floor_bps == 75
    assert fixed.to_bps(-0.225) == -2250 and BPS == 10_000
    with pytest.raises(ValueError):
        fixed.to_bps(0.12345)
    with pytest.raises(ValueError):
        fixed.to_size(1e7)  # 10^13 micro-units: beyond a 40-bit signed position


def test_published_values_are_integers_per_scenario():
    p = parse_portfolio(json.loads(EXAMPLE.read_text()))
    pub = fixed.publish(p, "BTC", MAINTENANCE_GRID)
    assert pub.spot == 60_000_000_000 and pub.perp_size == 1_000_000 and pub.option_sizes == (-2_000_000,)
    assert len(pub.values_at) == 21 and all(isinstance(v, int) and v >= 0 for row in pub.values_at for v in row)
