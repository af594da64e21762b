"""Implied-volatility surfaces: per expiry a smile in strike, and the rule between expiries.

A surface is a list of expiry slices, each a set of (strike, vol) points. It is read as:

- in strike, within a slice: vol is linear in strike between neighbouring points and flat
  beyond the first and last strike (no extrapolated wings that could go negative);
- in time, between slices: total implied variance w = vol^2 * T is linear in T at a fixed
  strike (the usual rule: it keeps w increasing in T when the slices do, i.e. no calendar
  arbitrage is introduced between slices); before the first slice and after the last the
  vol of the nearest slice is used (flat in time);
- an option that has expired (T <= 0) is priced at intrinsic value and its vol is unused;
  the surface returns the first slice's vol there.

`VolSurface.flat(vol)` is one slice with one point: the same vol everywhere (the CLI's
`--vol`, and a portfolio market given as `"vol": 0.6`). Vols are annualised fractions
(0.6 = 60 vol points), strikes in the currency of the spot, expiries in years.

`scaled(factor)` multiplies every vol by `factor`: the margin's volatility scenarios move
the whole surface proportionally (margin.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Slice:
    """One expiry: strictly increasing strikes (> 0) and their vols (> 0)."""

    years: float
    strikes: tuple[float, ...]
    vols: tuple[float, ...]

    def __post_init__(self):
        if not (np.isfinite(self.years) and self.years > 0):
            raise ValueError(f"a surface slice's expiry must be > 0 years, got {self.years}")
        if len(self.strikes) == 0 or len(self.strikes) != len(self.vols):
            raise ValueError("a surface slice needs as many vols as strikes, and at least one")
        if not all(np.isfinite(k) and k > 0 for k in self.strikes):
            raise ValueError("surface strikes must be > 0")
        if any(b <= a for a, b in zip(self.strikes, self.strikes[1:])):
            raise ValueError("surface strikes must be strictly increasing")
        if not all(np.isfinite(v) and v > 0 for v in self.vols):
            raise ValueError("surface vols must be > 0")

    def vol(self, strike) -> np.ndarray:
        """Vol at `strike` (array): linear in strike, flat beyond the end points."""
        return np.interp(np.asarray(strike, dtype=float), self.strikes, self.vols)


@dataclass(frozen=True)
class VolSurface:
    """Expiry slices in increasing order of `years` (at least one)."""

    slices: tuple[Slice, ...]

    def __post_init__(self):
        if not self.slices:
            raise ValueError("a surface needs at least one expiry slice")
        if any(b.years <= a.years for a, b in zip(self.slices, self.slices[1:])):
            raise ValueError("surface expiries must be strictly increasing")

    @classmethod
    def flat(cls, vol: float) -> "VolSurface":
        """The same vol at every strike and expiry."""
        return cls((Slice(1.0, (1.0,), (float(vol),)),))

    @classmethod
    def from_points(cls, slices: Sequence[tuple[float, Sequence[float], Sequence[float]]]) -> "VolSurface":
        """From (years, strikes, vols) triples, in any order of expiry."""
        built = sorted((Slice(float(t), tuple(map(float, ks)), tuple(map(float, vs))) for t, ks, vs in slices),
                       key=lambda s: s.years)
        return cls(tuple(built))

    def scaled(self, factor: float) -> "VolSurface":
        """Every vol times `factor` (> 0)."""
        if not factor > 0:
            raise ValueError("a vol scaling factor must be > 0")
        return VolSurface(tuple(Slice(s.years, s.strikes, tuple(v * factor for v in s.vols)) for s in self.slices))

    def vol(self, strike, years) -> np.ndarray:
        """Vol at (strike, years), vectorized over both (broadcast)."""
        strike, years = np.broadcast_arrays(np.asarray(strike, dtype=float), np.asarray(years, dtype=float))
        first, last = self.slices[0], self.slices[-1]
        out = first.vol(strike)  # T <= first expiry (and expired options): the first slice
        out = np.where(years >= last.years, last.vol(strike), out)
        for lo, hi in zip(self.slices, self.slices[1:]):
            inside = (years > lo.years) & (years < hi.years)
            if not np.any(inside):
                continue
            w_lo = lo.vol(strike) ** 2 * lo.years
            w_hi = hi.vol(strike) ** 2 * hi.years
            t = np.where(inside, years, lo.years)
            w = w_lo + (w_hi - w_lo) * (t - lo.years) / (hi.years - lo.years)
            out = np.where(inside, np.sqrt(np.maximum(w, 0.0) / t), out)
        return out
