"""circuits.crypto.poseidon: the constants, the reference permutation against circomlibjs for
every width, and the native extension against the reference."""
from __future__ import annotations

import pytest
from crypto_oracle import circomlibjs, dec, needs_node
from hypothesis import HealthCheck, given, settings, strategies as st

from circuits.crypto import poseidon
from circuits.crypto.poseidon import (MAX_INPUTS, N_ROUNDS_P, poseidon_hash, poseidon_hash_many,
                                      poseidon_hash_python, poseidon_params)
from prover.field import R

WIDTHS = range(1, MAX_INPUTS + 1)  # inputs; t = inputs + 1
# Field elements, with the edges (0, 1, r - 1) drawn often.
felts = st.one_of(st.sampled_from([0, 1, 2, R - 1, R - 2]), st.integers(0, R - 1))


def native_poseidon():
    return poseidon._native_for(2) is not None


@pytest.fixture(scope="module")
def native_poseidon_built(native):
    """Fails, never skips: without it poseidon_hash would fall back to Python and compare with itself."""
    assert native_poseidon(), "prover._native does not register Poseidon: rebuild it with `make setup`"


needs_native = pytest.mark.usefixtures("native_poseidon_built")


@pytest.mark.parametrize("t", range(2, MAX_INPUTS + 2))
def test_params_shapes(t):
    p = poseidon_params(t)
    assert (p.t, p.n_rounds_f, p.n_rounds_p) == (t, 8, N_ROUNDS_P[t - 2])
    assert len(p.C) == t * (p.n_rounds_f + p.n_rounds_p) and all(0 <= c < R for c in p.C)
    assert len(p.M) == t and all(len(row) == t and all(0 <= m < R for m in row) for row in p.M)
    assert poseidon_params(t) is p  # cached


def test_params_refuse_other_widths():
    for t in (0, 1, MAX_INPUTS + 2):
        with pytest.raises(ValueError):
            poseidon_params(t)


def test_mds_is_a_cauchy_matrix():
    """M[i][j] = 1 / (x_i + y_j), the reference's construction: then every 2x2 minor is
    nonzero, so the rows are independent. Spot-check via 1/M: (1/M)[i][j] - (1/M)[i][0] is
    independent of i."""
    for t in (2, 3, 9, 17):
        inv = [[pow(m, -1, R) for m in row] for row in poseidon_params(t).M]
        diffs = {tuple((row[j] - row[0]) % R for j in range(t)) for row in inv}
        assert len(diffs) == 1


def test_known_vectors():
    """circomlib's published test values (circomlibjs test/poseidon.js)."""
    assert poseidon_hash_python([1, 2]) == \
        0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a
    assert poseidon_hash_python([1, 2, 3, 4]) == \
        0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465
    assert poseidon_hash([1, 2]) == poseidon_hash_python([1, 2])


@needs_node
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_python_equals_circomlibjs_every_width(data):
    """One node batch per example: 3 random rows of each width 1..16."""
    rows = [data.draw(st.lists(felts, min_size=n, max_size=n)) for n in WIDTHS for _ in range(3)]
    theirs = [int(h) for h in circomlibjs({"poseidon": [dec(r) for r in rows]})["poseidon"]]
    assert [poseidon_hash_python(r) for r in rows] == theirs
    assert [poseidon_hash(r) for r in rows] == theirs


@needs_native
@settings(max_examples=25, deadline=None)
@given(st.lists(felts, min_size=1, max_size=MAX_INPUTS))
def test_native_equals_python(xs):
    assert poseidon_hash(xs) == poseidon_hash_python(xs)


@needs_native
@settings(max_examples=8, deadline=None)
@given(st.integers(1, MAX_INPUTS).flatmap(
    lambda n: st.lists(st.lists(felts, min_size=n, max_size=n), min_size=0, max_size=9)))
def test_native_many_equals_python(rows):
    assert poseidon_hash_many(rows) == [poseidon_hash_python(r) for r in rows]


def test_python_fallback_when_no_native(monkeypatch):
    """Without the extension every entry point still answers, with the reference."""
    xs = [5, 6, 7]
    want = poseidon_hash_python(xs)
    monkeypatch.setattr(poseidon, "_native_for", lambda t: None)
    assert poseidon_hash(xs) == want
    assert poseidon_hash_many([xs, xs]) == [want, want]


@pytest.mark.parametrize("bad", [[], [0] * (MAX_INPUTS + 1), [R], [-1]])
@pytest.mark.parametrize("fn", [poseidon_hash, poseidon_hash_python, lambda xs: poseidon_hash_many([xs])])
def test_refuses_bad_inputs(fn, bad):
    with pytest.raises(ValueError):
        fn(bad)


def test_many_refuses_mixed_widths():
    assert poseidon_hash_many([]) == []
    with pytest.raises(ValueError):
        poseidon_hash_many([[1], [1, 2]])


def test_shipped_constants_are_the_reference_grain_output():
    """The committed table is what the reference Grain LFSR generator produces, every width."""
    from circuits.crypto.poseidon_grain import grain_constants

    for t in range(2, MAX_INPUTS + 2):
        p = poseidon_params(t)
        assert grain_constants(t, p.n_rounds_f, p.n_rounds_p) == (p.C, p.M), t


def _fake_native(arity_of_register: int):
    """A stand-in prover._native whose poseidon_register takes the plain (C, M) or the
    optimized (C, S, M, P) constants; its hash runs the plain permutation on what it was
    given, so a wrong byte layout shows as a wrong hash."""
    import types

    registered = {}

    def unpack(buf):
        return [int.from_bytes(buf[i:i + 32], "little") for i in range(0, len(buf), 32)]

    def register(t, rf, rp, *consts):
        if len(consts) != arity_of_register:
            raise TypeError("wrong number of arguments")
        registered[t] = (rf, rp, consts)

    def hash_many(t, inputs):
        rf, rp, consts = registered[t]
        xs = unpack(inputs)
        if arity_of_register == 2:
            c, m = unpack(consts[0]), unpack(consts[1])
            out = []
            for k in range(0, len(xs), t - 1):
                state = [0] + xs[k:k + t - 1]
                for r in range(rf + rp):
                    state = [(x + c[r * t + i]) % R for i, x in enumerate(state)]
                    full = r < rf // 2 or r >= rf // 2 + rp
                    state = [pow(x, 5, R) if full or i == 0 else x for i, x in enumerate(state)]
                    state = [sum(m[i * t + j] * state[j] for j in range(t)) % R for i in range(t)]
                out.append(state[0])
        else:  # optimized constants: trust them, answer with the reference
            out = [poseidon_hash_python(xs[k:k + t - 1]) for k in range(0, len(xs), t - 1)]
        return b"".join(x.to_bytes(32, "little") for x in out)

    return types.SimpleNamespace(poseidon_register=register, poseidon_hash_many=hash_many,
                                 poseidon_hash=hash_many), registered


@pytest.mark.parametrize("n_consts", [2, 4])
def test_native_registration_layout(monkeypatch, n_consts):
    """Lazy registration per width, with either form of poseidon_register."""
    import prover

    fake, registered = _fake_native(n_consts)
    monkeypatch.setattr(prover, "_native", fake, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "prover._native", fake)
    poseidon._native_for.cache_clear()
    try:
        rows = [[1, 2, 3], [R - 1, 0, 5]]
        assert poseidon_hash_many(rows) == [poseidon_hash_python(r) for r in rows]
        assert poseidon_hash([9, 8, 7]) == poseidon_hash_python([9, 8, 7])
        assert list(registered) == [4]
    finally:
        poseidon._native_for.cache_clear()
