"""Implied-vol surfaces: linear in strike within an expiry, flat beyond; linear total variance in time."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sequencer.risk.surface import Slice, VolSurface

SMILE = VolSurface.from_points([
    (0.5, [80.0, 100.0, 120.0], [0.40, 0.30, 0.35]),
    (0.1, [90.0, 100.0, 110.0], [0.60, 0.50, 0.55]),  # given out of order: sorted by expiry
])


def test_flat_surface_is_the_same_everywhere():
    flat = VolSurface.flat(0.6)
    np.testing.assert_array_equal(flat.vol([1.0, 65000.0, 1e9], [0.0, 0.1, 30.0]), 0.6)


def test_linear_in_strike_and_flat_beyond():
    s = SMILE.slices[0]
    assert s.years == 0.1
    assert float(s.vol(95.0)) == pytest.approx(0.55)
    assert float(s.vol(105.0)) == pytest.approx(0.525)
    assert float(s.vol(50.0)) == 0.60 and float(s.vol(500.0)) == 0.55
    # at an expiry the surface is that slice
    assert float(SMILE.vol(95.0, 0.1)) == pytest.approx(0.55)
    assert float(SMILE.vol(110.0, 0.5)) == pytest.approx(0.325)


def test_total_variance_is_linear_between_expiries_and_vol_flat_outside():
    t = 0.3
    w = 0.5 ** 2 * 0.1 + (0.3 ** 2 * 0.5 - 0.5 ** 2 * 0.1) * (t - 0.1) / 0.4
    assert float(SMILE.vol(100.0, t)) == pytest.approx(math.sqrt(w / t))
    assert float(SMILE.vol(100.0, 0.01)) == 0.5  # before the first expiry: its vol
    assert float(SMILE.vol(100.0, 2.0)) == 0.3  # after the last: its vol
    assert float(SMILE.vol(100.0, 0.0)) == 0.5  # expired: unused, but defined
    grid = SMILE.vol(np.array([[90.0], [100.0]]), np.array([0.05, 0.1, 0.3, 0.5, 1.0]))
    assert grid.shape == (2, 5) and np.all(grid > 0)


def test_scaled_moves_every_vol():
    up = SMILE.scaled(1.3)
    np.testing.assert_allclose(up.vol([85.0, 100.0, 130.0], 0.25), 1.3 * SMILE.vol([85.0, 100.0, 130.0], 0.25))
    with pytest.raises(ValueError):
        SMILE.scaled(0.0)


@pytest.mark.parametrize("years, strikes, vols", [
    (0.0, (100.0,), (0.5,)),
    (0.1, (), ()),
    (0.1, (100.0, 90.0), (0.5, 0.5)),
    (0.1, (100.0,), (0.0,)),
    (0.1, (100.0, 110.0), (0.5,)),
    (0.1, (-1.0,), (0.5,)),
])
def test_bad_slices_are_refused(years, strikes, vols):
    with pytest.raises(ValueError):
        Slice(years, strikes, vols)


def test_expiries_must_differ():
    with pytest.raises(ValueError):
        VolSurface.from_points([(0.1, [100.0], [0.5]), (0.1, [100.0], [0.6])])
