"""circomlib's Poseidon hash over the BN254 scalar field, 1 to 16 inputs.

The permutation of width t = inputs + 1: each round adds t round constants; the S-box x^5 is
applied to every element in the first and last n_rounds_f/2 rounds (full rounds) and to
element 0 only in the n_rounds_p rounds between (partial rounds); then the state is multiplied
by the t×t MDS matrix. The hash is element 0 of the permuted state [0, inputs...].

The constants are circomlib's, shipped in `poseidon_constants.json.gz` (circomlibjs's
published table) so that nothing here needs node; `poseidon_grain.py` regenerates them with
the reference Grain LFSR script and tests check the two agree for every width.
`poseidon_hash` / `poseidon_hash_many` run in the native extension (`prover._native`, which
takes circomlib's equivalent optimized constants, `poseidon_constants_opt.json.gz`) when it
is built, and fall back to `poseidon_hash_python` otherwise.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from prover.field import R

N_ROUNDS_F = 8
N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]  # index t - 2
MAX_INPUTS = 16


@dataclass(frozen=True)
class PoseidonParams:
    t: int
    n_rounds_f: int
    n_rounds_p: int
    C: list  # flat: C[r * t + i] is added to element i in round r
    M: list  # M[i][j]: new[i] = Σ_j M[i][j] * state[j]


@lru_cache(maxsize=None)
def _table() -> dict:
    with gzip.open(Path(__file__).with_name("poseidon_constants.json.gz"), "rt") as f:
        return json.load(f)


@lru_cache(maxsize=None)
def poseidon_params(t: int) -> PoseidonParams:
    if not 2 <= t <= MAX_INPUTS + 1:
        raise ValueError(f"Poseidon width t={t} is not supported (1 to {MAX_INPUTS} inputs)")
    table = _table()
    c = [int(x, 16) for x in table["C"][t - 2]]
    m = [[int(x, 16) for x in row] for row in table["M"][t - 2]]
    params = PoseidonParams(t, N_ROUNDS_F, N_ROUNDS_P[t - 2], c, m)
    assert len(c) == t * (params.n_rounds_f + params.n_rounds_p) and len(m) == t
    return params


def _check_inputs(inputs) -> list[int]:
    values = [int(x) for x in inputs]
    if not 1 <= len(values) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(values)}")
    if any(not 0 <= x < R for x in values):
        raise ValueError("Poseidon inputs must be field elements (0 <= x < r)")
    return values


def poseidon_hash_python(inputs) -> int:
    """The readable reference: the permutation written out as above."""
    values = _check_inputs(inputs)
    p = poseidon_params(len(values) + 1)
    t, state = p.t, [0] + values
    half = p.n_rounds_f // 2
    for r in range(p.n_rounds_f + p.n_rounds_p):
        state = [(x + p.C[r * t + i]) % R for i, x in enumerate(state)]
        if r < half or r >= half + p.n_rounds_p:
            state = [pow(x, 5, R) for x in state]
        else:
            state[0] = pow(state[0], 5, R)
        state = [sum(m * x for m, x in zip(row, state)) % R for row in p.M]
    return state[0]


def _le(values) -> bytes:
    return b"".join(x.to_bytes(32, "little") for x in values)


@lru_cache(maxsize=None)
def _opt_table() -> dict:
    with gzip.open(Path(__file__).with_name("poseidon_constants_opt.json.gz"), "rt") as f:
        return json.load(f)


@lru_cache(maxsize=None)
def _optimized_constants(t: int):
    """circomlib's optimized form of the same permutation (sparse partial rounds), which the
    native extension runs; tests check it against `poseidon_hash_python` for every width."""
    table = _opt_table()
    c = [int(x, 16) for x in table["C"][t - 2]]
    s = [int(x, 16) for x in table["S"][t - 2]]
    m = [int(x, 16) for row in table["M"][t - 2] for x in row]
    p = [int(x, 16) for row in table["P"][t - 2] for x in row]
    return c, s, m, p


@lru_cache(maxsize=None)
def _native_for(t: int):
    """prover._native with width t registered (once per t), or None when the extension is
    absent or lacks Poseidon, in which case callers use `poseidon_hash_python`."""
    try:
        from prover import _native
    except ImportError:
        return None
    if not all(hasattr(_native, f) for f in ("poseidon_register", "poseidon_hash", "poseidon_hash_many")):
        return None
    params = poseidon_params(t)
    try:  # the optimized form: poseidon_register(t, RF, RP, C, S, M, P)
        c, s, m, p = _optimized_constants(t)
        _native.poseidon_register(t, params.n_rounds_f, params.n_rounds_p, _le(c), _le(s), _le(m), _le(p))
    except TypeError:  # an extension taking the plain constants: poseidon_register(t, RF, RP, C, M)
        _native.poseidon_register(t, params.n_rounds_f, params.n_rounds_p, _le(params.C),
                                  _le(x for row in params.M for x in row))
    return _native


def poseidon_hash(inputs) -> int:
    """Poseidon of 1..16 field elements (native when built, else `poseidon_hash_python`)."""
    values = _check_inputs(inputs)
    native = _native_for(len(values) + 1)
    if native is None:
        return poseidon_hash_python(values)
    return int.from_bytes(native.poseidon_hash(len(values) + 1, _le(values)), "little")


def poseidon_hash_many(rows) -> list[int]:
    """Hash many rows of the same width at once (in parallel when native)."""
    rows = [_check_inputs(row) for row in rows]
    if not rows:
        return []
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("poseidon_hash_many needs rows of one width")
    native = _native_for(width + 1)
    if native is None:
        return [poseidon_hash_python(row) for row in rows]
    out = native.poseidon_hash_many(width + 1, b"".join(_le(row) for row in rows))
    return [int.from_bytes(out[i:i + 32], "little") for i in range(0, len(out), 32)]
