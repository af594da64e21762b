"""Black–Scholes (spot) and Black-76 (forward) prices and Greeks of European options, vectorized.

Every function takes numpy-broadcastable inputs and returns arrays of the broadcast shape
(0-d arrays for scalar inputs: `float(x)` reads them). `call` is a bool (or bool array):
True for a call, False for a put.

Inputs and units
----------------
- spot S (Black–Scholes) or forward F (Black-76), strike K: the same currency per unit of
  underlying (e.g. USD per BTC); both > 0.
- years T: time to expiry in years (ACT/365 calendar time). T <= 0 means expired (below).
- rate r: continuously compounded risk-free rate per year (0.05 = 5 %). No dividend or
  carry term: for the crypto underlyings of zkclear the forward is priced with Black-76.
- vol sigma: annualised implied volatility as a fraction (0.6 = 60 vol points); > 0.

Outputs and units (the textbook derivatives, no per-cent or per-day rescaling)
-------------------------------------------------------------------------------
- price: currency per unit of underlying.
- delta: dV/dS (Black-76: dV/dF), dimensionless.
- gamma: d2V/dS2 (Black-76: d2V/dF2), per currency unit.
- vega: dV/dsigma per 1.00 of volatility (= 100 vol points); py_vollib's vega (per vol
  point) is this / 100.
- theta: dV/dt per year of passing calendar time (= -dV/dT), negative for a long option
  at r = 0 (with r > 0 a deep in-the-money put can gain with time); py_vollib's theta (per
  day) is this / 365.
- rho: dV/dr per 1.00 of rate; py_vollib's rho (per 1 % of rate) is this / 100.
- vanna: d2V/dS dsigma (Black-76: d2V/dF dsigma), per 1.00 of volatility.
- volga (vomma): d2V/dsigma2, per 1.00 of volatility squared.
Vanna and volga bound the error of a linear (delta/vega) view of an option over a
scenario box: the margin does not use them, it reprices at every grid point (margin.py).

Expired options (T <= 0)
------------------------
An expired option is worth its intrinsic value, max(S - K, 0) for a call and max(K - S, 0)
for a put (Black-76: F for S), which is what it settles at. Its delta is the limit of the
live delta as T -> 0+, the slope of the intrinsic value: 1 / 0 for a call in / out of the
money, -1 / 0 for a put, and +-1/2 exactly at the strike. Every other Greek is zero: a
settled position has no time value left to decay and no dependence on volatility or rates.

Numerics: the normal CDF is `scipy.special.ndtr`, accurate in both tails; each side of
put–call parity is computed from its own tail (N(-d) for puts), so puts and calls keep
their relative accuracy. Deep out-of-the-money prices lose at most a few digits to the
difference of two small terms: the error stays below ~1e-15 of S (tests/sequencer/risk).
Prices are clamped at zero, so that this rounding can never make an option worth less than
nothing (the margin relies on it: a long option never loses more than its value).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class Greeks(NamedTuple):
    """Price and sensitivities of one option per element; units in the module docstring."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    rho: np.ndarray
    vanna: np.ndarray
    volga: np.ndarray

    def as_floats(self) -> dict[str, float]:
        """The fields of a scalar evaluation as plain floats (for JSON)."""
        return {name: float(value) for name, value in self._asdict().items()}


def _pdf(x: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _prepare(call, underlying, strike, years, rate, vol):
    """Broadcast the inputs, check them and split live from expired elements."""
    call, underlying, strike, years, rate, vol = np.broadcast_arrays(
        np.asarray(call, dtype=bool), *(np.asarray(x, dtype=float) for x in (underlying, strike, years, rate, vol)))
    for name, x in (("underlying price", underlying), ("strike", strike), ("years", years), ("rate", rate),
                    ("vol", vol)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} must be finite")
    if np.any(underlying <= 0) or np.any(strike <= 0):
        raise ValueError("underlying price and strike must be > 0")
    live = years > 0
    if np.any(vol[live] <= 0):
        raise ValueError("vol must be > 0")
    t = np.where(live, years, 1.0)  # harmless placeholders where expired: masked out below
    sig = np.where(live, vol, 1.0)
    return call, underlying, strike, t, rate, sig, live


def _d1_d2(forward, strike, t, sig):
    """d1 and d2 of the Black formula on the forward: (ln(F/K) +- sigma^2 T / 2) / (sigma sqrt T)."""
    sqrt_t = np.sqrt(t)
    sd = sig * sqrt_t
    d1 = (np.log(forward / strike) + 0.5 * sd * sd) / sd
    return d1, d1 - sd, sqrt_t


def _expired(call, underlying, strike, live, greeks: dict) -> Greeks:
    """Overwrite the expired elements with intrinsic value, limit delta and zero Greeks."""
    dead = ~live
    if np.any(dead):
        intrinsic = np.where(call, np.maximum(underlying - strike, 0.0), np.maximum(strike - underlying, 0.0))
        itm = np.where(call, underlying > strike, underlying < strike)
        slope = np.where(underlying == strike, 0.5, np.where(itm, 1.0, 0.0))
        greeks["price"] = np.where(dead, intrinsic, greeks["price"])
        greeks["delta"] = np.where(dead, np.where(call, slope, -slope), greeks["delta"])
        for name in ("gamma", "vega", "theta", "rho", "vanna", "volga"):
            greeks[name] = np.where(dead, 0.0, greeks[name])
    return Greeks(**greeks)


def bs_greeks(call, spot, strike, years, rate, vol) -> Greeks:
    """Black–Scholes price and Greeks of a European option on a spot S (no dividends)."""
    call, spot, strike, t, rate, sig, live = _prepare(call, spot, strike, years, rate, vol)
    disc = np.exp(-rate * t)
    d1, d2, sqrt_t = _d1_d2(spot / disc, strike, t, sig)
    kd = strike * disc
    n1, n2, nm1, nm2 = ndtr(d1), ndtr(d2), ndtr(-d1), ndtr(-d2)
    pdf1 = _pdf(d1)
    vega = spot * pdf1 * sqrt_t
    decay = -spot * pdf1 * sig / (2.0 * sqrt_t)
    greeks = {
        "price": np.maximum(np.where(call, spot * n1 - kd * n2, kd * nm2 - spot * nm1), 0.0),
        "delta": np.where(call, n1, -nm1),
        "gamma": pdf1 / (spot * sig * sqrt_t),
        "vega": vega,
        "theta": np.where(call, decay - rate * kd * n2, decay + rate * kd * nm2),
        "rho": np.where(call, kd * t * n2, -kd * t * nm2),
        "vanna": -pdf1 * d2 / sig,
        "volga": vega * d1 * d2 / sig,
    }
    return _expired(call, spot, strike, live, greeks)


def black76_greeks(call, forward, strike, years, rate, vol) -> Greeks:
    """Black-76 price and Greeks of a European option on a forward F, discounted at r.

    Delta and gamma are with respect to F; theta holds F fixed (rV - e^{-rT} F phi(d1) sigma / 2 sqrt T);
    rho holds F fixed (-T V)."""
    call, forward, strike, t, rate, sig, live = _prepare(call, forward, strike, years, rate, vol)
    disc = np.exp(-rate * t)
    d1, d2, sqrt_t = _d1_d2(forward, strike, t, sig)
    n1, n2, nm1, nm2 = ndtr(d1), ndtr(d2), ndtr(-d1), ndtr(-d2)
    pdf1 = _pdf(d1)
    price = np.maximum(disc * np.where(call, forward * n1 - strike * n2, strike * nm2 - forward * nm1), 0.0)
    vega = disc * forward * pdf1 * sqrt_t
    greeks = {
        "price": price,
        "delta": disc * np.where(call, n1, -nm1),
        "gamma": disc * pdf1 / (forward * sig * sqrt_t),
        "vega": vega,
        "theta": rate * price - disc * forward * pdf1 * sig / (2.0 * sqrt_t),
        "rho": -t * price,
        "vanna": -disc * pdf1 * d2 / sig,
        "volga": vega * d1 * d2 / sig,
    }
    return _expired(call, forward, strike, live, greeks)


def bs_price(call, spot, strike, years, rate, vol) -> np.ndarray:
    """Black–Scholes price alone (intrinsic value once expired): what the margin grid reprices with."""
    call, spot, strike, t, rate, sig, live = _prepare(call, spot, strike, years, rate, vol)
    disc = np.exp(-rate * t)
    d1, d2, _ = _d1_d2(spot / disc, strike, t, sig)
    kd = strike * disc
    price = np.maximum(np.where(call, spot * ndtr(d1) - kd * ndtr(d2), kd * ndtr(-d2) - spot * ndtr(-d1)), 0.0)
    intrinsic = np.where(call, np.maximum(spot - strike, 0.0), np.maximum(strike - spot, 0.0))
    return np.where(live, price, intrinsic)


def black76_price(call, forward, strike, years, rate, vol) -> np.ndarray:
    """Black-76 price alone (intrinsic value once expired)."""
    return black76_greeks(call, forward, strike, years, rate, vol).price
