"""Helpers shared by the prover tests."""
from __future__ import annotations

import random

from prover.field import R
from prover.formats.r1cs import R1CS


def random_r1cs(rnd: random.Random, m: int, l: int) -> R1CS:
    """m random constraints over a few wires, l public signals; coefficients 1, 2, r-1 or
    random, each linear combination of 0 to 3 terms."""
    nw = l + 1 + rnd.randrange(1, 12)
    coef = lambda: rnd.choice([1, 2, R - 1, rnd.randrange(R)])  # noqa: E731
    lc = lambda: {rnd.randrange(nw): coef() for _ in range(rnd.randrange(0, 4))}  # noqa: E731
    return R1CS(n_wires=nw, n_pub_out=l // 2, n_pub_in=l - l // 2, n_prv_in=nw - l - 1,
                constraints=[(lc(), lc(), lc()) for _ in range(m)])


def cpu_has_ifma() -> bool:
    """Whether this CPU has AVX-512F and IFMA, which the native kernels' lanes need."""
    with open("/proc/cpuinfo") as f:
        flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    return "avx512f" in flags and "avx512ifma" in flags
