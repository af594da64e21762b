"""Black–Scholes and Black-76 prices and Greeks against vollib (py_vollib's maintained successor).

Units mapped: our vega and rho are per 1.00 (vollib: per 1 %, so x100) and our theta is per
year (vollib: per day, so x365).

Tolerance: |ours - vollib| <= 1e-9 |vollib| + 1e-12 * scale, where scale is the natural size
of the quantity (S for price, vega, theta; K for rho; 1 for delta; 1/S for gamma). The
absolute floor matters only for values below ~1e-3 of their scale, where a difference of
two nearly equal terms (vollib's put delta is N(d1) - 1) leaves ~1e-16 of the scale as noise.

Input bounds (documented in the README): spot 1 .. 1e6, strike / spot 0.5 .. 2, expiry 1 day
.. 3 years, vol 5 % .. 200 %, rate 0 .. 10 %.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vollib.black import black as vollib_black
from vollib.black.greeks import analytical as vollib_black_greeks
from vollib.black_scholes import black_scholes as vollib_bs
from vollib.black_scholes.greeks import analytical as vollib_bs_greeks

from sequencer.risk.black_scholes import black76_greeks, black76_price, bs_greeks, bs_price

REL = 1e-9
FLOOR = 1e-12

spots = st.floats(min_value=0.0, max_value=math.log(1e6)).map(math.exp)
moneyness = st.floats(min_value=math.log(0.5), max_value=math.log(2.0)).map(math.exp)
years = st.floats(min_value=1 / 365, max_value=3.0)
vols = st.floats(min_value=0.05, max_value=2.0)
rates = st.floats(min_value=0.0, max_value=0.10)
flags = st.sampled_from("cp")


def close(ours: float, ref: float, scale: float) -> bool:
    return abs(ours - ref) <= REL * abs(ref) + FLOOR * scale


def check_against(greeks, ref_price, ref, flag, u, k, t, r, v):
    expected = {
        "price": (ref_price(flag, u, k, t, r, v), u),
        "delta": (ref.delta(flag, u, k, t, r, v), 1.0),
        "gamma": (ref.gamma(flag, u, k, t, r, v), 1.0 / u),
        "vega": (ref.vega(flag, u, k, t, r, v) * 100, u),
        "theta": (ref.theta(flag, u, k, t, r, v) * 365, u),
        "rho": (ref.rho(flag, u, k, t, r, v) * 100, k),
    }
    for name, (want, scale) in expected.items():
        got = float(getattr(greeks, name))
        assert close(got, float(want), scale), (name, got, want)


@settings(max_examples=300, deadline=None)
@given(flags, spots, moneyness, years, rates, vols)
def test_black_scholes_matches_vollib(flag, s, m, t, r, v):
    k = s * m
    check_against(bs_greeks(flag == "c", s, k, t, r, v), vollib_bs, vollib_bs_greeks, flag, s, k, t, r, v)


@settings(max_examples=300, deadline=None)
@given(flags, spots, moneyness, years, rates, vols)
def test_black76_matches_vollib(flag, f, m, t, r, v):
    k = f * m
    check_against(black76_greeks(flag == "c", f, k, t, r, v), vollib_black, vollib_black_greeks, flag, f, k, t, r, v)


@settings(max_examples=200, deadline=None)
@given(spots, moneyness, years, rates, vols)
def test_put_call_parity(s, m, t, r, v):
    k = s * m
    c, p = bs_greeks(True, s, k, t, r, v), bs_greeks(False, s, k, t, r, v)
    assert close(float(c.price - p.price), s - k * math.exp(-r * t), s)
    assert close(float(c.delta - p.delta), 1.0, 1.0)
    assert float(c.gamma) == float(p.gamma) and float(c.vega) == float(p.vega)
    assert close(float(c.rho - p.rho), k * t * math.exp(-r * t), k)
    c76, p76 = black76_greeks(True, s, k, t, r, v), black76_greeks(False, s, k, t, r, v)
    assert close(float(c76.price - p76.price), math.exp(-r * t) * (s - k), s)
    assert close(float(c76.delta - p76.delta), math.exp(-r * t), 1.0)


@settings(max_examples=100, deadline=None)
@given(flags, st.floats(min_value=0.7, max_value=1.4), st.floats(min_value=0.05, max_value=2.0),
       st.floats(min_value=0.1, max_value=1.2), rates)
def test_greeks_are_the_derivatives_they_say(flag, m, t, v, r):
    """Central differences in the stated units: vega per 1.00 of vol, theta per year of passing
    time (minus d/dT), rho per 1.00 of rate; vanna and volga (no vollib counterpart) likewise."""
    call, s, k = flag == "c", 100.0, 100.0 * m
    g = bs_greeks(call, s, k, t, r, v)
    h = 1e-5  # truncation ~h^2, rounding ~1e-16 / h: both far below the tolerance

    def price(s=s, t=t, r=r, v=v):
        return float(bs_price(call, s, k, t, r, v))

    def d(f, x, step):
        return (f(x + step) - f(x - step)) / (2 * step)

    assert float(g.vega) == pytest.approx(d(lambda x: price(v=x), v, h), rel=1e-6, abs=1e-6)
    assert float(g.theta) == pytest.approx(-d(lambda x: price(t=x), t, h), rel=1e-6, abs=1e-6)
    assert float(g.rho) == pytest.approx(d(lambda x: price(r=x), r, h), rel=1e-6, abs=1e-6)
    assert float(g.delta) == pytest.approx(d(lambda x: price(s=x), s, 1e-3), rel=1e-6, abs=1e-8)
    delta = lambda x, vv: float(bs_greeks(call, x, k, t, r, vv).delta)  # noqa: E731
    vega = lambda vv: float(bs_greeks(call, s, k, t, r, vv).vega)  # noqa: E731
    assert float(g.vanna) == pytest.approx(d(lambda x: delta(s, x), v, h), rel=1e-5, abs=1e-6)
    assert float(g.volga) == pytest.approx(d(vega, v, h), rel=1e-5, abs=1e-4)


def test_hull_textbook_values():
    """Hull's example (S 49, K 50, r 5 %, T 0.3846, vol 20 %): call 2.40, delta 0.522, theta -4.31 per year."""
    g = bs_greeks(True, 49.0, 50.0, 0.3846, 0.05, 0.2)
    assert float(g.price) == pytest.approx(2.40, abs=0.005)
    assert float(g.delta) == pytest.approx(0.522, abs=0.0005)
    assert float(g.theta) == pytest.approx(-4.31, abs=0.005)
    assert float(g.vega) == pytest.approx(12.1, abs=0.05)  # Hull: 0.121 per vol point


def test_vectorized_equals_elementwise():
    calls = np.array([True, False, True, False])
    spots_ = np.array([100.0, 100.0, 60000.0, 1.5])
    strikes = np.array([[90.0], [110.0]])  # broadcasts to (2, 4)
    out = bs_greeks(calls, spots_, strikes, 0.25, 0.01, 0.4)
    assert out.price.shape == (2, 4)
    for i in range(2):
        for j in range(4):
            one = bs_greeks(bool(calls[j]), spots_[j], strikes[i, 0], 0.25, 0.01, 0.4)
            for name in one._fields:
                assert float(getattr(out, name)[i, j]) == float(getattr(one, name))
    np.testing.assert_array_equal(bs_price(calls, spots_, strikes, 0.25, 0.01, 0.4), out.price)
    np.testing.assert_array_equal(black76_price(calls, spots_, strikes, 0.25, 0.01, 0.4),
                                  black76_greeks(calls, spots_, strikes, 0.25, 0.01, 0.4).price)


@pytest.mark.parametrize("fn", [bs_greeks, black76_greeks])
def test_expired_options_are_worth_intrinsic_value(fn):
    years_ = np.array([0.0, -0.5, 0.0, 0.0, 0.0, 0.0])
    calls = np.array([True, True, True, False, False, False])
    spot = np.array([110.0, 90.0, 100.0, 90.0, 110.0, 100.0])
    g = fn(calls, spot, 100.0, years_, 0.05, 0.3)
    np.testing.assert_array_equal(g.price, [10.0, 0.0, 0.0, 10.0, 0.0, 0.0])
    np.testing.assert_array_equal(g.delta, [1.0, 0.0, 0.5, -1.0, 0.0, -0.5])
    for name in ("gamma", "vega", "theta", "rho", "vanna", "volga"):
        np.testing.assert_array_equal(getattr(g, name), 0.0)
    # the live price tends to intrinsic value as expiry approaches
    near = fn(calls, spot, 100.0, 1e-12, 0.05, 0.3)
    np.testing.assert_allclose(near.price, g.price, atol=1e-4)
    np.testing.assert_allclose(near.delta, g.delta, atol=1e-6)
    # an expired option needs no vol: zero is accepted there
    assert float(fn(True, 110.0, 100.0, 0.0, 0.0, 0.0).price) == 10.0


@pytest.mark.parametrize("args", [
    (True, -1.0, 100.0, 1.0, 0.0, 0.2),
    (True, 100.0, 0.0, 1.0, 0.0, 0.2),
    (True, 100.0, 100.0, 1.0, 0.0, 0.0),
    (True, 100.0, 100.0, 1.0, 0.0, -0.2),
    (True, 100.0, 100.0, float("nan"), 0.0, 0.2),
    (True, 100.0, 100.0, 1.0, float("inf"), 0.2),
])
def test_bad_inputs_raise(args):
    with pytest.raises(ValueError):
        bs_greeks(*args)
    with pytest.raises(ValueError):
        bs_price(*args)


@settings(max_examples=100, deadline=None)
@given(spots, moneyness, years, vols, st.floats(min_value=0.0, max_value=0.5), st.floats(min_value=0.0, max_value=0.5),
       st.floats(min_value=0.0, max_value=0.5))
def test_values_are_monotone_in_spot_vol_and_time_at_zero_rate(s, m, t, v, ds, dv, dt):
    """What a safe box for options will rest on (margin.py): at r = 0 a call's value rises with the
    spot and a put's falls, and both rise with vol and with time to expiry, so each option's
    extreme values over a box of spots x vols x expiries are at its corners."""
    k = s * m
    tol = 1e-12 * s
    for call, sign in ((True, 1.0), (False, -1.0)):
        base = float(bs_price(call, s, k, t, 0.0, v))
        assert sign * (float(bs_price(call, s * (1 + ds), k, t, 0.0, v)) - base) >= -tol
        assert float(bs_price(call, s, k, t, 0.0, v * (1 + dv))) - base >= -tol
        assert float(bs_price(call, s, k, t * (1 + dt), 0.0, v)) - base >= -tol
        assert float(bs_price(call, s, k, 0.0, 0.0, v)) - base <= tol  # intrinsic value is the least
