"""Poseidon over BN254 with circomlib's parameters: `poseidon(c, inputs)` equals circomlib's
`Poseidon(n)` template (and circomlibjs `poseidon`) for 1 <= n <= 16.

The plain permutation (Grassi et al., "Poseidon", USENIX Security 2021, section 2): width
t = n + 1, state = [0, inputs...]; per round add the round constants C, apply x^5 to every
element (full rounds: the first and last n_rounds_f / 2) or to element 0 only (partial
rounds), then multiply by the MDS matrix M. Linear layers are free (LCs); each S-box costs
3 constraints (x^2, x^4, x^5) and an S-box on a constant folds away, so
Poseidon(n) costs 3 * (t * n_rounds_f + n_rounds_p) constraints, less 3 for the constant
first lane of the first round.

Building: after the first S-boxes every lane is a fresh signal or a constant (lane 0,
C[0]^5, and the lane of an input that is a constant), so the rest of the permutation is
the same LCs for every call with lanes of that shape, up to the signal ids:
`_template(shape)` runs the plain rounds once on placeholders and records each S-box's
input LC, and a call substitutes its signal ids (no field arithmetic; the R1CS is the
plain rounds' own).
"""
from __future__ import annotations

from functools import lru_cache

from prover.field import R

from circuits.dsl import LC, Circuit, Signal, gadget


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
    p, state = _first_sboxes(c, inputs)
    return _after_first_sboxes(c, p, state)


@gadget
def poseidon_pair_placed(c: Circuit, inputs, sel, new) -> tuple[LC, LC]:
    """(Poseidon(inputs), Poseidon(inputs')), inputs' being inputs with the entry at the
    position that `sel` selects among the first len(sel) (one-hot bits, summing to 1)
    replaced by `new`: a Merkle level's old and new node hash. The two share their first
    round's S-boxes: every lane but the position's is the same, and the position's is one
    S-box of new + that lane's round constant (a linear combination of `sel`), selected
    into place: 3 + len(sel) constraints where the second hash alone would spend 3 per
    lane that is not constant. The rest of the second permutation is the plain one."""
    p, state = _first_sboxes(c, inputs)
    old = _after_first_sboxes(c, p, list(state))
    z = _sbox(c, LC.of(new) + sum((LC.of(e) * p.C[1 + i] for i, e in enumerate(sel)), LC()))
    lanes = list(state)
    for i, e in enumerate(sel):
        lanes[1 + i] = c.mul(e, z - state[1 + i], plus=state[1 + i])
    return old, _after_first_sboxes(c, p, lanes)


def _first_sboxes(c: Circuit, inputs) -> tuple:
    """(the parameters, the state after the first full round's S-boxes) of Poseidon(inputs)."""
    n = len(inputs)
    if not 1 <= n <= 16:
        raise ValueError(f"poseidon takes 1 to 16 inputs, got {n}")
    p = _params(n + 1)
    state = [LC()] + [LC.of(x) for x in inputs]
    state = [s + p.C[i] for i, s in enumerate(state)]
    return p, [_sbox(c, s) for s in state]


def _after_first_sboxes(c: Circuit, p, state: list) -> LC:
    """The permutation's output from the state after its first S-boxes."""
    # each lane is now a fresh signal or (an input that is a constant, and lane 0) a constant
    shape = tuple(None if isinstance(x, Signal) else tuple(x.terms.items()) for x in state)
    if all(x is None or not x or (len(x) == 1 and x[0][0] == 0) for x in shape):
        return _rounds_from_template(c, _template(shape), state)
    return _rounds(lambda x: _sbox(c, x), p, state, 0)


def _rounds(sbox, p, state: list, r0: int) -> LC:
    """The permutation from round r0's mix on (round r0's S-boxes done), LCs mixed row by
    row: the plain description, used when an input is constant and to make `_template`."""
    t, C, M = len(state), p.C, p.M
    half = p.n_rounds_f // 2
    n_rounds = p.n_rounds_f + p.n_rounds_p
    for r in range(r0, n_rounds):
        if r > r0:
            if r < half or r >= half + p.n_rounds_p:
                state = [sbox(s) for s in state]
            else:
                state[0] = sbox(state[0])
        if r == n_rounds - 1:  # only lane 0 of the last mix is the output
            return _mix_row(M[0], state, 0)
        # mix, then add the next round's constants
        state = [_mix_row(M[i], state, C[(r + 1) * t + i]) for i in range(t)]
    raise AssertionError("unreachable")


class _Recorder:
    """The S-box while `_template` runs `_rounds`: each input LC is recorded and its
    output is a new placeholder signal."""

    def __init__(self, first: int):
        self.inputs: list[tuple[tuple, tuple]] = []
        self.next = first

    def sbox(self, x: LC) -> LC:
        if x.is_constant():  # folds, as `_sbox` folds it (c.mul of constants)
            x2 = x * x.constant_value()
            x4 = x2 * x2.constant_value()
            return x * x4.constant_value()
        self.inputs.append((tuple(x.terms), tuple(x.terms.values())))
        self.next += 1
        return LC({self.next - 1: 1})


@lru_cache(maxsize=64)
def _template(shape: tuple):
    """The rounds after the first S-box layer as data, for lanes of this shape then (per
    lane: None for a fresh signal, else the constant LC's terms): each later S-box's input
    LC as (placeholders, coefficients), and the output's. Placeholder 0 is the constant
    one, i + 1 lane i's signal, t + 1.. the later S-boxes' outputs in order. Every LC is
    the one `_rounds` builds (same terms, same order), so the R1CS is the plain rounds'
    own; a build substitutes signal ids and does no field arithmetic."""
    t = len(shape)
    rec = _Recorder(t + 1)
    state = [LC({i + 1: 1}) if x is None else LC(dict(x)) for i, x in enumerate(shape)]
    out = _rounds(rec.sbox, _params(t), state, 0)
    return tuple(rec.inputs), (tuple(out.terms), tuple(out.terms.values()))


def _rounds_from_template(c: Circuit, template, state: list) -> LC:
    sbox_inputs, (out_keys, out_coefs) = template
    ids = [0] + [s.id if isinstance(s, Signal) else -1 for s in state]
    get = ids.__getitem__
    for keys, coefs in sbox_inputs:
        ids.append(_sbox(c, LC(dict(zip(map(get, keys), coefs)))).id)
    return LC(dict(zip(map(get, out_keys), out_coefs)))


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
