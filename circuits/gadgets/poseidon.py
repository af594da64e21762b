"""Poseidon over BN254 with circomlib's parameters: `poseidon(c, inputs)` equals circomlib's
`Poseidon(n)` template (and circomlibjs `poseidon`) for 1 <= n <= 16.

The plain permutation (Grassi et al., "Poseidon", USENIX Security 2021, section 2): width
t = n + 1, state = [0, inputs...]; per round add the round constants C, apply x^5 to every
element (full rounds: the first and last n_rounds_f / 2) or to element 0 only (partial
rounds), then multiply by the MDS matrix M. Linear layers are free (LCs); each S-box costs
3 constraints (x^2, x^4, x^5) and an S-box on a constant folds away, so
Poseidon(n) costs 3 * (t * n_rounds_f + n_rounds_p) constraints, less 3 for the constant
first lane of the first round.
"""
from __future__ import annotations

from functools import lru_cache

from prover.field import R

from circuits.dsl import LC, Circuit, gadget


@lru_cache(maxsize=None)
def _params(t: int):
    from circuits.crypto.poseidon import poseidon_params

    return poseidon_params(t)


def _sbox(c: Circuit, x: LC) -> LC:
    x = c.materialize(x)  # a long LC is evaluated once by the solver; free in the R1CS
    x2 = c.mul(x, x)
    x4 = c.mul(x2, x2)
    return c.mul(x4, x)


@gadget
def poseidon(c: Circuit, inputs) -> LC:
    """Poseidon(inputs) with circomlib's constants (1 to 16 inputs)."""
    n = len(inputs)
    if not 1 <= n <= 16:
        raise ValueError(f"poseidon takes 1 to 16 inputs, got {n}")
    t = n + 1
    p = _params(t)
    C, M = p.C, p.M
    half = p.n_rounds_f // 2
    n_rounds = p.n_rounds_f + p.n_rounds_p
    state = [LC()] + [LC.of(x) for x in inputs]
    state = [s + C[i] for i, s in enumerate(state)]
    for r in range(n_rounds):
        if r < half or r >= half + p.n_rounds_p:
            state = [_sbox(c, s) for s in state]
        else:
            state[0] = _sbox(c, state[0])
        if r == n_rounds - 1:  # only lane 0 of the last mix is the output
            return _mix_row(M[0], state, 0)
        # mix, then add the next round's constants
        state = [_mix_row(M[i], state, C[(r + 1) * t + i]) for i in range(t)]
    raise AssertionError("unreachable")


def _mix_row(row, state, constant: int) -> LC:
    """sum_j row[j] * state[j] + constant, accumulating raw dicts (the hot loop of a build)."""
    acc: dict[int, int] = {0: constant} if constant else {}
    get = acc.get
    for m, s in zip(row, state):
        for k, v in s.terms.items():
            acc[k] = get(k, 0) + m * v
    return LC({k: m for k, v in acc.items() if (m := v % R)})


def poseidon_hasher(c: Circuit, inputs) -> LC:
    """The hash-as-a-parameter form merkle and eddsa take: (c, [LC]) -> LC."""
    return poseidon(c, inputs)
