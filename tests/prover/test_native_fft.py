"""The prover's h transform (fft.rs, native.fr_odd_coset): domain evaluations -> odd-coset
evaluations, against a plain-Python DFT on small sizes and the arkworks path (fr_ntt inverse,
then fr_coset_ntt at ω_2n) on random inputs up to 2^12; sizes on both sides of the cache block
(2^12 values) and odd and even counts of the radix-4 passes."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from prover import _native as native  # required (make setup): an ImportError fails loudly
from prover.field import R

scalar = st.one_of(st.sampled_from([0, 1, 2, R - 1, R - 2]), st.integers(0, R - 1))


def le(x: int) -> bytes:
    return (x % R).to_bytes(32, "little")


def ints(buf: bytes) -> list[int]:
    return [int.from_bytes(buf[i:i + 32], "little") for i in range(0, len(buf), 32)]


def root(n: int) -> int:
    return pow(5, (R - 1) // n, R)


def odd_coset_reference(evals: list[int]) -> list[int]:
    """Interpolate on ω_n^i, evaluate at ω_2n·ω_n^i: two plain DFTs."""
    n = len(evals)
    w_inv, n_inv, g = pow(root(n), R - 2, R), pow(n, R - 2, R), root(2 * n)
    coef = [n_inv * sum(e * pow(w_inv, i * j, R) for i, e in enumerate(evals)) % R for j in range(n)]
    return [sum(c * pow(g * pow(root(n), m, R), j, R) for j, c in enumerate(coef)) % R for m in range(n)]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: st.lists(scalar, min_size=2**k, max_size=2**k)))
def test_odd_coset_matches_a_plain_dft(evals):
    assert ints(native.fr_odd_coset(b"".join(le(e) for e in evals))) == odd_coset_reference(evals)


@pytest.mark.parametrize("log_n", [6, 11, 12, 13, 14, 15])
def test_odd_coset_matches_the_arkworks_transforms(log_n):
    # 2^13..2^15: one, two and three passes over the whole array before the in-cache blocks
    n = 1 << log_n
    rng = random.Random(log_n)
    buf = b"".join(le(rng.randrange(R)) for _ in range(n))
    coef = native.fr_ntt(buf, inverse=True)
    assert native.fr_odd_coset(buf) == native.fr_coset_ntt(coef, le(root(2 * n)))


def test_odd_coset_rejects_sizes_that_are_not_powers_of_two():
    for count in (0, 1, 3, 12):
        with pytest.raises(ValueError, match="power of two"):
            native.fr_odd_coset(le(1) * count)
    with pytest.raises(ValueError, match="below the field order"):
        native.fr_odd_coset(R.to_bytes(32, "little") + le(1))


def test_odd_coset_bench_times_each_round():
    times = native.fr_odd_coset_bench(10, 3)
    assert len(times) == 3 and all(t > 0 for t in times)
