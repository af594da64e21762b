"""Poseidon's constants regenerated as the reference does: the Grain LFSR of
`generate_parameters_grain.sage` (Grassi, Khovratovich, Rechberger, Roy, Schofnegger,
"Poseidon", USENIX Security 2021, appendix on parameter generation), with
field = 1 (GF(p)), sbox = 0 (x^alpha), n = 254 bits, t, R_F, R_P.

This is provenance, not a runtime path: `poseidon.py` reads circomlib's table from
`poseidon_constants.json.gz`, and tests check that this generator reproduces it.

    init = field (2 bits) | sbox (4) | n (12) | t (12) | R_F (10) | R_P (10) | 30 ones   (80 bits)
    b[i + 80] = b[i + 62] ^ b[i + 51] ^ b[i + 38] ^ b[i + 23] ^ b[i + 13] ^ b[i]
    the first 160 bits are discarded; then in each pair (b, b') b' is output when b = 1
    round constants: t (R_F + R_P) integers of n output bits (most significant first), each
      redrawn while >= p
    MDS: draw 2t integers of n bits (mod p) until distinct, x = first t, y = last t;
      M[i][j] = 1 / (x_i + y_j)
The reference then runs three tests against infinitely long subspace trails on M and redraws
it when one fails. Those tests are not reproduced here: `grain_constants` returns the first
candidate, and for every width 2..17 that is circomlib's matrix (tests check it), so the
first draws passed them.
"""
from __future__ import annotations

from typing import Iterator

from prover.field import R

N_BITS = 254
_TAPS = (62, 51, 38, 23, 13, 0)
_CHUNK = 18  # new bits per step: b[k + 80] needs b[k + 62] already known, so k < 18


def _lfsr_bits(init: list[int]) -> Iterator[int]:
    """The raw LFSR stream after the 80 initial bits, 18 bits per big-int step."""
    state = sum(bit << i for i, bit in enumerate(init))  # bit i of `state` is b[i]
    mask = (1 << _CHUNK) - 1
    while True:
        new = 0
        for tap in _TAPS:
            new ^= state >> tap
        new &= mask
        state = (state >> _CHUNK) | (new << (80 - _CHUNK))
        for i in range(_CHUNK):
            yield (new >> i) & 1


class Grain:
    """The self-shrinking Grain stream seeded with Poseidon's parameters."""

    def __init__(self, t: int, n_rounds_f: int, n_rounds_p: int, field: int = 1, sbox: int = 0, n: int = N_BITS):
        fields = [(field, 2), (sbox, 4), (n, 12), (t, 12), (n_rounds_f, 10), (n_rounds_p, 10)]
        init = [int(c) for value, width in fields for c in format(value, f"0{width}b")] + [1] * 30
        assert len(init) == 80
        self._raw = _lfsr_bits(init)
        for _ in range(160):
            next(self._raw)

    def bit(self) -> int:
        while True:
            keep, b = next(self._raw), next(self._raw)
            if keep:
                return b

    def bits(self, n: int) -> int:
        """n output bits as an integer, the first bit most significant."""
        x = 0
        for _ in range(n):
            x = (x << 1) | self.bit()
        return x


def grain_constants(t: int, n_rounds_f: int, n_rounds_p: int, p: int = R) -> tuple[list[int], list[list[int]]]:
    """(C, M) for width t: C flat (round r, element i at r * t + i), M the first Cauchy MDS
    candidate (see the module doc)."""
    g = Grain(t, n_rounds_f, n_rounds_p)
    c = []
    for _ in range(t * (n_rounds_f + n_rounds_p)):
        x = g.bits(N_BITS)
        while x >= p:
            x = g.bits(N_BITS)
        c.append(x)
    while True:
        draws = [g.bits(N_BITS) % p for _ in range(2 * t)]
        while len(set(draws)) != len(draws):
            draws = [g.bits(N_BITS) % p for _ in range(2 * t)]
        xs, ys = draws[:t], draws[t:]
        if all((x + y) % p for x in xs for y in ys):
            break
    m = [[pow(x + y, -1, p) for y in ys] for x in xs]
    return c, m
