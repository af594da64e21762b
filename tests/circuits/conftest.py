"""Fixtures for the DSL, gadget and registry tests.

- `ref`: reference values computed outside circuits: Poseidon, Baby Jubjub arithmetic and an
  EdDSA-Poseidon signer (circomlibjs's equation S * B8 = R8 + 8 H(R8, A, M) A). It uses
  `circuits.crypto` when that package is present; until then a small stand-in here (Poseidon
  from circomlibjs's published constants in node_modules), so the gadget tests run either way.
- `circom`: a session cache of circomlib templates compiled with circom2 --O2 (slow tests).
"""
from __future__ import annotations

import importlib.util
import json
import random
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from prover.field import R

REPO = Path(__file__).resolve().parents[2]
HAVE_CRYPTO = importlib.util.find_spec("circuits.crypto") is not None

BJJ_A, BJJ_D = 168700, 168696
BASE8 = (5299619240641551281634865583518297030282874472190772894086521144482721001553,
         16950150798460657717958625567821834550301663161624707787222815936182638968203)
SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041


@dataclass
class _Params:
    t: int
    n_rounds_f: int
    n_rounds_p: int
    C: list
    M: list


_N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]


def _standin_params(t: int) -> _Params:
    d = json.loads((REPO / "node_modules/circomlibjs/src/poseidon_constants.json").read_text())
    return _Params(t, 8, _N_ROUNDS_P[t - 2], [int(x, 16) for x in d["C"][t - 2]],
                   [[int(x, 16) for x in row] for row in d["M"][t - 2]])


def _standin_poseidon(inputs) -> int:
    p = _standin_params(len(inputs) + 1)
    t, s = p.t, [0] + [int(x) % R for x in inputs]
    for r in range(p.n_rounds_f + p.n_rounds_p):
        s = [(x + p.C[r * t + i]) % R for i, x in enumerate(s)]
        full = r < p.n_rounds_f // 2 or r >= p.n_rounds_f // 2 + p.n_rounds_p
        s = [pow(x, 5, R) for x in s] if full else [pow(s[0], 5, R)] + s[1:]
        s = [sum(p.M[i][j] * s[j] for j in range(t)) % R for i in range(t)]
    return s[0]


def bjj_add(p, q):
    (x1, y1), (x2, y2) = p, q
    k = BJJ_D * x1 * x2 * y1 * y2 % R
    x3 = (x1 * y2 + y1 * x2) * pow(1 + k, -1, R) % R
    y3 = (y1 * y2 - BJJ_A * x1 * x2) * pow(1 - k, -1, R) % R
    return x3, y3


def bjj_mul(p, e: int):
    acc, base = (0, 1), p
    while e:
        if e & 1:
            acc = bjj_add(acc, base)
        base = bjj_add(base, base)
        e >>= 1
    return acc


@pytest.fixture(scope="session", autouse=True)
def _poseidon_params():
    """Point the Poseidon gadget at the stand-in constants while circuits.crypto is absent."""
    if HAVE_CRYPTO:
        yield
        return
    import circuits.gadgets.poseidon as gp

    saved = gp._params
    gp._params = _standin_params
    yield
    gp._params = saved


@pytest.fixture(scope="session")
def ref():
    if HAVE_CRYPTO:
        from circuits.crypto.poseidon import poseidon_hash
    else:
        poseidon_hash = _standin_poseidon

    def sign(secret: int, msg: int, nonce: int):
        """(A, R8, S) with A = secret * B8, R8 = nonce * B8, S = nonce + 8 h secret mod l."""
        a_pt = bjj_mul(BASE8, secret)
        r8 = bjj_mul(BASE8, nonce)
        h = poseidon_hash([r8[0], r8[1], a_pt[0], a_pt[1], msg])
        return a_pt, r8, (nonce + 8 * h * secret) % SUBORDER

    def sig_input(secret=12345678901234567890, msg=42, nonce=987654321987654321, enabled=1):
        a_pt, r8, s = sign(secret, msg, nonce)
        return {"enabled": str(enabled), "Ax": str(a_pt[0]), "Ay": str(a_pt[1]), "S": str(s),
                "R8x": str(r8[0]), "R8y": str(r8[1]), "M": str(msg)}

    return SimpleNamespace(poseidon=poseidon_hash, add=bjj_add, mul=bjj_mul, sign=sign,
                           sig_input=sig_input, BASE8=BASE8, SUBORDER=SUBORDER, rng=random.Random(7))


# --- circom, for the slow compatibility tests ------------------------------------------------
@pytest.fixture(scope="session")
def circom(tmp_path_factory, node_tools):
    """circom(include, instantiation) -> CircomBuild, compiled once per session."""
    from circuits import circom_ref

    work = tmp_path_factory.mktemp("circom")
    cache: dict = {}

    def get(include: str, instantiation: str):
        key = (include, instantiation)
        if key not in cache:
            cache[key] = circom_ref.compile_template(include, instantiation, work, name=f"t{len(cache)}")
        return cache[key]

    return get
