"""The prover's h transform (fft.rs, native.fr_odd_coset): domain evaluations -> odd-coset
evaluations, against a plain-Python DFT on small sizes and the arkworks path (fr_ntt inverse,
then fr_coset_ntt at ω_2n) on random inputs up to 2^16; sizes on both sides of the cache block
(2^12 values) and odd and even counts of the radix-4 passes. Both ways the transform runs: in
AVX-512 IFMA lanes (fft_lanes.rs, from 2^7 values where the CPU has them) and scalar
(`lane_kernels(False)`), with the same bytes, in the transform and in a whole proof."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from prover import _native as native  # required (make setup): an ImportError fails loudly
from prover.field import R
from prover.formats.wtns import wtns_to_bytes
from prover.formats.zkey import zkey_to_bytes
from prover.groth16.setup import ToxicWaste, dev_setup
from prover_helpers import random_r1cs

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


@pytest.mark.parametrize("log_n", [6, 7, 8, 11, 12, 13, 14, 15, 16])
def test_odd_coset_matches_the_arkworks_transforms(log_n, lanes):
    # scalar, 2^13..2^15: one, two and three passes over the whole array before the in-cache
    # blocks; lanes, 2^7..2^16: eight blocks of 16..1024 values, 3 to 6 whole-array stages
    n = 1 << log_n
    rng = random.Random(log_n)
    edge = [0, 1, 2, R - 1, R - 2]
    buf = b"".join(le(rng.choice(edge) if i % 7 == 0 else rng.randrange(R)) for i in range(n))
    coef = native.fr_ntt(buf, inverse=True)
    assert native.fr_odd_coset(buf) == native.fr_coset_ntt(coef, le(root(2 * n)))


def test_proofs_are_the_same_bytes_with_the_transforms_in_lanes_or_not(rng):
    """h_values (three transforms and their product) in a whole proof, on a 2^8 domain."""
    r1cs = random_r1cs(rng, 200, 2)
    zkey = zkey_to_bytes(dev_setup(r1cs, ToxicWaste.random(rng)))
    w = [1] + [rng.choice([0, 1, R - 1, rng.randrange(R)]) for _ in range(r1cs.n_wires - 1)]
    args = (zkey, wtns_to_bytes(w), le(rng.randrange(R)), le(rng.randrange(R)))
    before = native.lane_kernels()
    try:
        proofs = {on: bytes(native.groth16_prove(*args)) for on in (native.lane_kernels(True), native.lane_kernels(False))}
    finally:
        native.lane_kernels(before)
    assert len(set(proofs.values())) == 1 and len(proofs[False]) == 256


def test_odd_coset_rejects_sizes_that_are_not_powers_of_two():
    for count in (0, 1, 3, 12):
        with pytest.raises(ValueError, match="power of two"):
            native.fr_odd_coset(le(1) * count)
    with pytest.raises(ValueError, match="below the field order"):
        native.fr_odd_coset(R.to_bytes(32, "little") + le(1))


def test_odd_coset_bench_times_each_round():
    times = native.fr_odd_coset_bench(10, 3)
    assert len(times) == 3 and all(t > 0 for t in times)
