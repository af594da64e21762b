"""The MSMs' AVX-512 IFMA lanes (prover/native/src/lanes.rs): where the CPU has IFMA, the bucket
flushes add eight points at a time in 52-bit limbs, on points scaled by 16. Every result must be
the scalar flush's, including on the inputs that take the unusual paths: a point added to a
bucket holding the same point (a doubling) or its negative (a cancellation), both sent to the
projective overflow buckets, and many equal digits (deferred additions)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from prover import _native as native
from prover.field import R
from prover.formats.wtns import read_wtns, wtns_to_bytes
from prover.resident import ResidentProver
from prover_helpers import cpu_has_ifma

G1_ONE = (1).to_bytes(32, "little") + (2).to_bytes(32, "little")


def le(x: int) -> bytes:
    return (x % R).to_bytes(32, "little")


def test_lanes_are_on_by_default_exactly_where_the_cpu_has_ifma():
    probe = [sys.executable, "-c", "from prover import _native; print(_native.lane_kernels())"]
    env = {k: v for k, v in os.environ.items() if k != "ZKCLEAR_LANES"}
    assert subprocess.run(probe, env=env, capture_output=True, text=True, check=True).stdout.strip() == str(cpu_has_ifma())
    off = subprocess.run(probe, env={**env, "ZKCLEAR_LANES": "0"}, capture_output=True, text=True, check=True)
    assert off.stdout.strip() == "False"


def _adversarial_terms(rng, n: int, pool: int) -> tuple[list[int], list[int]]:
    """Multipliers k (of the generator) and scalars: each term followed by its twin (same point,
    same scalar: the second addition finds its bucket holding the same point, a doubling) or its
    opposite (k and R − k with one scalar: the bucket cancels); a run of one repeated scalar
    (every window's digits in one bucket); the rest random."""
    ks, ss = [], []
    while len(ks) < n:
        k, s = rng.randrange(1, pool), rng.randrange(R)
        kind = rng.randrange(4)
        if kind == 0:
            ks += [k, k]
            ss += [s, s]
        elif kind == 1:
            ks += [k, R - k]
            ss += [s, s]
        else:
            ks.append(k)
            ss.append(s)
    ks, ss = ks[:n], ss[:n]
    ss[: n // 5] = [ss[0]] * (n // 5)
    return ks, ss


def test_g1_msm_with_doublings_cancellations_and_collisions(lanes, rng):
    ks, ss = _adversarial_terms(rng, 3000, 40)
    one = lambda k: native.g1_msm(G1_ONE, le(k))  # noqa: E731  (a single pair: no batched flush)
    bases = b"".join(one(k) for k in ks)
    got = native.g1_msm(bases, b"".join(le(s) for s in ss))
    assert got == one(sum(k * s for k, s in zip(ks, ss)))


def test_g2_msm_with_doublings_cancellations_and_collisions(lanes, rng):
    from py_ecc.optimized_bn128 import G2, normalize
    x, y = normalize(G2)
    g2 = b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs))
    ks, ss = _adversarial_terms(rng, 700, 12)
    one = lambda k: native.g2_msm(g2, le(k))  # noqa: E731
    pts = {k: one(k) for k in set(ks)}
    got = native.g2_msm(b"".join(pts[k] for k in ks), b"".join(le(s) for s in ss))
    assert got == one(sum(k * s for k, s in zip(ks, ss)))


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("table_mb", [0, 1024])
def test_proofs_are_the_same_bytes_with_and_without_the_lanes(lanes, snarkjs_keys, main_circuit, table_mb):
    """The whole-process prover and the resident one (its rows held scaled), against the
    whole-process proof with the lanes off."""
    zkey = snarkjs_keys.zkey.read_bytes()
    w = read_wtns(main_circuit.wtns)
    r, s = (0x1234567).to_bytes(32, "little"), (R - 1).to_bytes(32, "little")
    got = bytes(native.groth16_prove(zkey, wtns_to_bytes(w), r, s))
    resident = ResidentProver(zkey, table_mb=table_mb).prove(w, 0x1234567, R - 1).to_bytes()
    native.lane_kernels(False)
    want = bytes(native.groth16_prove(zkey, wtns_to_bytes(w), r, s))
    assert got == want and resident == want


@pytest.mark.parametrize("group", [1, 2])
def test_msm_whose_buckets_are_all_the_same_point(lanes, group):
    """One base with the scalars 1..n: each bucket of the low window holds that one point, so
    the bucket sum's running sums meet equal points (a doubling at every segment's second
    step), the lanes' segmented sum's side path (msm.rs `sum_segments`)."""
    from py_ecc.optimized_bn128 import G2, normalize
    if group == 1:
        base, msm, n = G1_ONE, native.g1_msm, 3000
    else:
        x, y = normalize(G2)
        base, msm, n = b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs)), native.g2_msm, 3000
    got = msm(base * n, b"".join(le(s) for s in range(1, n + 1)))
    assert got == msm(base, le(n * (n + 1) // 2))
