"""The portfolio margin: the issue's properties, the published grids, perpetuals exactly linear."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sequencer.risk.black_scholes import bs_price
from sequencer.risk.margin import INITIAL_GRID, MAINTENANCE_GRID, portfolio_margin, requirement
from sequencer.risk.portfolio import parse_portfolio

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "portfolio_hedged.json"


def margin_of(collateral=0.0, markets=None, positions=(), rate=0.0) -> dict:
    markets = markets or {"BTC": {"spot": 60000.0, "vol": 0.6}}
    return portfolio_margin(parse_portfolio({"collateral": collateral, "rate": rate, "markets": markets,
                                             "positions": list(positions)}))


options = st.fixed_dictionaries({
    "type": st.sampled_from(["call", "put"]),
    "market": st.just("BTC"),
    "strike": st.floats(min_value=0.5, max_value=2.0).map(lambda m: round(60000.0 * m, 2)),
    "years": st.one_of(st.floats(min_value=1 / 365, max_value=2.0), st.floats(min_value=-0.1, max_value=0.0)),
})
vols = st.floats(min_value=0.05, max_value=2.0)
rates = st.floats(min_value=0.0, max_value=0.10)


def test_published_grids():
    """The grids the README publishes; initial contains maintenance, with a larger floor."""
    assert MAINTENANCE_GRID.spot_moves == (-0.15, -0.10, -0.05, 0.0, 0.05, 0.10, 0.15)
    assert MAINTENANCE_GRID.vol_moves == (-0.30, 0.0, 0.30)
    assert INITIAL_GRID.spot_moves == (-0.225, -0.15, -0.10, -0.05, 0.0, 0.05, 0.10, 0.15, 0.225)
    assert INITIAL_GRID.vol_moves == (-0.45, -0.30, 0.0, 0.30, 0.45)
    assert MAINTENANCE_GRID.horizon_years == INITIAL_GRID.horizon_years == 1 / 365
    assert (MAINTENANCE_GRID.short_option_floor, INITIAL_GRID.short_option_floor) == (0.005, 0.0075)
    assert set(MAINTENANCE_GRID.spot_moves) <= set(INITIAL_GRID.spot_moves)
    assert set(MAINTENANCE_GRID.vol_moves) <= set(INITIAL_GRID.vol_moves)


def test_the_issues_hedged_book_needs_less_than_its_parts():
    data = json.loads(EXAMPLE.read_text())
    book = margin_of(**data)
    perp, calls = (margin_of(**{**data, "positions": [p]}) for p in data["positions"])
    assert perp["maintenance"] == pytest.approx(9000.0)  # 1 BTC x 60000 x 15 %
    parts = perp["maintenance"] + calls["maintenance"]
    assert book["maintenance"] < 0.8 * parts
    assert book["initial"] < 0.8 * (perp["initial"] + calls["initial"])
    # the book loses most when BTC falls 15 % (the perp) while vol rises (the short calls)
    worst = book["worst_scenario"]["markets"]["BTC"]
    assert (worst["spot_move"], worst["vol_move"], worst["spot"]) == (-0.15, 0.30, 51000.0)
    assert book["maintenance"] == pytest.approx(book["worst_scenario"]["loss"] + book["short_option_floor"])
    assert book["short_option_floor"] == pytest.approx(2 * 60000 * 0.005)
    assert len(book["scenarios"]["BTC"]) == 21
    assert max(s["loss"] for s in book["scenarios"]["BTC"]) == worst["loss"]
    assert book["total_value"] == pytest.approx(100000 + book["options_value"]) and book["options_value"] < 0


@pytest.mark.parametrize("kind, strike, hedge", [("put", 55000.0, -0.9), ("call", 60000.0, 1.1)])
def test_other_hedged_books_need_less_than_their_parts(kind, strike, hedge):
    option = {"type": kind, "market": "BTC", "strike": strike, "years": 0.25, "size": -2}
    perp = {"type": "perp", "market": "BTC", "size": hedge}
    whole = margin_of(positions=[option, perp])["maintenance"]
    assert whole < 0.8 * (margin_of(positions=[option])["maintenance"] + margin_of(positions=[perp])["maintenance"])


@settings(max_examples=60, deadline=None)
@given(options, st.floats(min_value=0.001, max_value=100.0), vols, rates)
def test_a_long_option_never_needs_more_than_its_premium(option, size, vol, rate):
    m = margin_of(markets={"BTC": {"spot": 60000.0, "vol": vol}}, positions=[{**option, "size": size}], rate=rate)
    premium = m["options_value"]
    assert premium >= 0
    assert 0 <= m["maintenance"] <= premium
    assert 0 <= m["initial"] <= premium
    assert m["short_option_floor"] == 0


@settings(max_examples=60, deadline=None)
@given(options, st.floats(min_value=0.001, max_value=100.0), vols, rates)
def test_a_short_option_always_needs_more_than_zero(option, size, vol, rate):
    m = margin_of(markets={"BTC": {"spot": 60000.0, "vol": vol}}, positions=[{**option, "size": -size}], rate=rate)
    assert m["short_option_floor"] == pytest.approx(60000.0 * size * 0.005)
    assert m["maintenance"] >= m["short_option_floor"] > 0
    assert m["initial"] >= m["maintenance"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["BTC", "ETH"]), st.floats(min_value=-50.0, max_value=50.0)), max_size=6))
def test_perpetuals_alone_need_exactly_the_linear_worst_case(perps):
    markets = {"BTC": {"spot": 60000.0, "vol": 0.6}, "ETH": {"spot": 3000.0, "vol": 0.8}}
    m = margin_of(markets=markets, positions=[{"type": "perp", "market": mk, "size": q} for mk, q in perps])
    net = {mk: sum(q for name, q in perps if name == mk) for mk in markets}
    # markets do not offset each other: each one's worst move is charged
    assert m["maintenance"] == sum(abs(q) * markets[mk]["spot"] * 0.15 for mk, q in net.items())
    assert m["initial"] == sum(abs(q) * markets[mk]["spot"] * 0.225 for mk, q in net.items())
    for mk, q in net.items():
        if q:
            assert m["worst_scenario"]["markets"][mk]["spot_move"] == (-0.15 if q > 0 else 0.15)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(options, st.floats(min_value=-10.0, max_value=10.0)), max_size=5),
       st.floats(min_value=-5.0, max_value=5.0), vols)
def test_initial_is_at_least_maintenance(opts, perp, vol):
    positions = [{**o, "size": q} for o, q in opts] + [{"type": "perp", "market": "BTC", "size": perp}]
    m = margin_of(markets={"BTC": {"spot": 60000.0, "vol": vol}}, positions=positions)
    assert m["initial"] >= m["maintenance"] >= 0


def test_expired_options_move_at_intrinsic_value():
    """An expired call deep in the money hedged by a short perp: its intrinsic value moves one for
    one with the spot on the whole grid (51000 > 50000), so the book has no risk at all."""
    m = margin_of(positions=[{"type": "call", "market": "BTC", "strike": 50000.0, "years": 0.0, "size": 1},
                             {"type": "perp", "market": "BTC", "size": -1}])
    assert m["options_value"] == 10000.0
    assert m["maintenance"] == 0.0 and m["worst_scenario"]["loss"] == 0.0
    # options revalued after the look-ahead: one expiring within the day is at intrinsic value there
    late = margin_of(positions=[{"type": "put", "market": "BTC", "strike": 60000.0, "years": 0.5 / 365, "size": 1}])
    atm = [s for s in late["scenarios"]["BTC"] if s["spot_move"] == 0.0]
    assert all(s["loss"] == pytest.approx(late["options_value"]) for s in atm)


def test_options_are_priced_on_the_markets_surface():
    surface = {"surface": [{"years": 0.1, "strikes": [50000, 60000, 70000], "vols": [0.8, 0.6, 0.7]}]}
    m = margin_of(markets={"BTC": {"spot": 60000.0, "vol": surface}},
                  positions=[{"type": "call", "market": "BTC", "strike": 65000.0, "years": 0.1, "size": 1}])
    assert m["options_value"] == pytest.approx(float(bs_price(True, 60000.0, 65000.0, 0.1, 0.0, 0.65)))
    up = [s for s in m["scenarios"]["BTC"] if s["spot_move"] == 0.0 and s["vol_move"] == 0.3][0]
    later = float(bs_price(True, 60000.0, 65000.0, 0.1 - 1 / 365, 0.0, 0.65 * 1.3))
    assert up["loss"] == pytest.approx(m["options_value"] - later)


def test_an_empty_portfolio_needs_nothing():
    m = margin_of(collateral=5.0)
    assert (m["maintenance"], m["initial"], m["total_value"], m["maintenance_excess"]) == (0.0, 0.0, 5.0, 5.0)


def test_requirement_sums_each_markets_risk():
    p = parse_portfolio(json.loads(EXAMPLE.read_text()))
    total, risks = requirement(p, MAINTENANCE_GRID)
    assert total == sum(r.requirement for r in risks.values())
    assert risks["BTC"].losses.shape == (7, 3) and np.isfinite(risks["BTC"].losses).all()
