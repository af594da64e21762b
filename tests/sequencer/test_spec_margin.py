"""Margin math: the worst corner is the minimum over the box, choose_box is safe and widest
where it can be, and the bit bounds hold at their extremes."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sequencer.spec import MAINNET, TINY, Account, margin
from sequencer.spec import box as boxes
from sequencer.spec.constants import (BPS, COLLATERAL_MAX, COLLATERAL_MIN, FUNDING_MAX, FUNDING_MIN, GRID_MAX, MARGIN_BITS,
                                      POSITION_MAX, POSITION_MIN)

M = TINY.num_markets


def account(c, qs, fs):
    return Account(pubkey=(0, 1), l1_address=0, nonce_hi=0, nonce_bitmap=0, collateral=c,
                   positions=tuple(qs), snapshots=tuple(fs), box=boxes.full(len(qs)), salt=1)


accounts = st.builds(account, st.integers(-10**9, 10**10), st.lists(st.integers(-2000, 2000), min_size=M, max_size=M),
                     st.lists(st.integers(-1000, 1000), min_size=M, max_size=M))


def market_box():
    return st.tuples(st.integers(500, 1500), st.integers(500, 1500), st.integers(-1000, 1000),
                     st.integers(-1000, 1000)).map(lambda b: (min(b[0], b[1]), max(b[0], b[1]),
                                                              min(b[2], b[3]), max(b[2], b[3])))


@settings(max_examples=200)
@given(accounts, st.tuples(*[market_box()] * M), st.data())
def test_worst_corner_is_the_minimum(acct, box, data):
    worst = margin.box_surplus(acct, TINY, box)
    for _ in range(5):
        g = [data.draw(st.integers(b[0], b[1])) for b in box]
        f = [data.draw(st.integers(b[2], b[3])) for b in box]
        assert margin.maintenance_surplus(acct, TINY, g, f) >= worst
    # and the minimum is attained: the corner lies in the box
    g, f = margin.worst_corner(acct, box)
    assert boxes.contains(box, g, f)


@settings(max_examples=200)
@given(accounts, st.lists(st.integers(1, GRID_MAX), min_size=M, max_size=M),
       st.lists(st.integers(-1000, 1000), min_size=M, max_size=M))
def test_choose_box(acct, g, f):
    chosen = margin.choose_box(acct, TINY, g, f)
    s = margin.maintenance_surplus(acct, TINY, g, f)
    if s < 0:
        assert chosen is None
        return
    assert margin.is_safe_box(acct, TINY, chosen, g, f)
    for q, b in zip(acct.positions, chosen):
        if q == 0:
            assert b == boxes.FULL_MARKET
        elif q > 0:  # only the directions that hurt are bounded
            assert b[1] == GRID_MAX and b[2] == FUNDING_MIN
        else:
            assert b[0] == 0 and b[3] == FUNDING_MAX


def test_choose_box_degenerate_at_zero_surplus():
    # long 10 lots at ladder 1000 (price 1e6), MR = 10 * 1e6 * 5% = 5e5: TV exactly MR
    acct = account(5 * 10**5 - 10**7, [10, 0], [0, 0])
    assert margin.maintenance_surplus(acct, TINY, (1000, 1000), (0, 0)) == 0
    b = margin.choose_box(acct, TINY, (1000, 1000), (0, 0))
    assert b[0] == (1000, GRID_MAX, FUNDING_MIN, 0)


def test_formulas_by_hand():
    # long 10 BTC-T at ladder 1000 (1e6 per lot), short 20 ETH-T at 1000 (1e5 per lot), funding moved
    acct = account(10**6, [10, -20], [0, 0])
    g, f = (1000, 1000), (30, -5)
    assert margin.total_value(acct, TINY, g, f) == 10**6 + 10**7 - 2 * 10**6 - 300 - 100
    assert margin.requirement_scaled(acct, TINY, g, "maintenance") == 10 * 10**6 * 500 + 20 * 10**5 * 800
    assert margin.requirement_scaled(acct, TINY, g, "initial") == 10 * 10**6 * 1000 + 20 * 10**5 * 1500


def test_extreme_values_stay_inside_margin_bits():
    """|S| < 2^(MARGIN_BITS - 1) at the largest magnitudes the bounds allow (MAINNET, M = 4)."""
    m = MAINNET.num_markets
    top = max(mk.price_step for mk in MAINNET.markets) * GRID_MAX
    for sign in (1, -1):
        c_ext, q_ext = (COLLATERAL_MAX, POSITION_MAX) if sign > 0 else (COLLATERAL_MIN, POSITION_MIN)
        acct = account(c_ext, [q_ext] * m, [FUNDING_MIN * sign] * m)
        g, f = [GRID_MAX] * m, [FUNDING_MAX * sign] * m
        for s in (margin.maintenance_surplus(acct, MAINNET, g, f), margin.initial_surplus(acct, MAINNET, g, f)):
            assert abs(s) < 1 << (MARGIN_BITS - 1)
    assert top < 1 << 48 and BPS < 1 << 14
