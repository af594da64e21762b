"""The native kernels (prover._native) against py_ecc and a plain-Python NTT."""
from __future__ import annotations

import functools
import random

import pytest
from hypothesis import given, settings, strategies as st
from py_ecc.optimized_bn128 import G1, G2, FQ2, Z1, Z2, add, multiply, neg, normalize

from prover import _native as native  # required (make setup): an ImportError fails loudly
from prover.field import Q, R

scalar = st.one_of(st.sampled_from([0, 1, 2, R - 1, R - 2]), st.integers(0, R - 1))


def le(x: int) -> bytes:
    return (x % R).to_bytes(32, "little")


def g1_enc(p) -> bytes:
    if p is None:
        return bytes(64)
    x, y = normalize(p)
    return int(x).to_bytes(32, "little") + int(y).to_bytes(32, "little")


def g2_enc(p) -> bytes:
    if p is None:
        return bytes(128)
    x, y = normalize(p)
    return b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs))


def g1_sum(pairs):
    acc = Z1
    for p, s in pairs:
        if p is not None and s % R:
            acc = add(acc, multiply(p, s % R))
    return None if acc == Z1 or acc[2] == 0 else acc


def g2_sum(pairs):
    acc = Z2
    for p, s in pairs:
        if p is not None and s % R:
            acc = add(acc, multiply(p, s % R))
    return None if acc[2] == FQ2.zero() else acc


# A few base points, including repeats and the point at infinity (None).
BASES1 = [multiply(G1, k) for k in (1, 2, 3, 12345)] + [None]
BASES2 = [multiply(G2, k) for k in (1, 7)] + [None]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(BASES1))), scalar), min_size=0, max_size=17))
def test_g1_msm_matches_py_ecc(pairs):
    points = [BASES1[i] for i, _ in pairs]
    got = native.g1_msm(b"".join(g1_enc(p) for p in points), b"".join(le(s) for _, s in pairs))
    assert got == g1_enc(g1_sum(zip(points, [s for _, s in pairs])))


@settings(max_examples=6, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(BASES2))), scalar), min_size=0, max_size=3))
def test_g2_msm_matches_py_ecc(pairs):
    points = [BASES2[i] for i, _ in pairs]
    got = native.g2_msm(b"".join(g2_enc(p) for p in points), b"".join(le(s) for _, s in pairs))
    assert got == g2_enc(g2_sum(zip(points, [s for _, s in pairs])))


@pytest.mark.parametrize("n", [0, 1, 3, 17])
def test_msm_edge_sizes_and_scalars(n):
    # repeated bases, the point at infinity, and the scalars 0, 1, r - 1 at fixed sizes
    ss = [[0, 1, R - 1, 2, R - 2][i % 5] if i < 10 else (i * 0x9E3779B97F4A7C15) ** 3 % R for i in range(n)]
    p1 = [BASES1[i % len(BASES1)] for i in range(n)]
    assert native.g1_msm(b"".join(g1_enc(p) for p in p1), b"".join(le(x) for x in ss)) == g1_enc(g1_sum(zip(p1, ss)))
    p2 = [BASES2[i % len(BASES2)] for i in range(min(n, 3))]
    ss2 = ss[:len(p2)]
    assert native.g2_msm(b"".join(g2_enc(p) for p in p2), b"".join(le(x) for x in ss2)) == g2_enc(g2_sum(zip(p2, ss2)))


def test_msm_rejects_malformed_input():
    with pytest.raises(ValueError, match="not on the curve"):
        native.g1_msm((1).to_bytes(32, "little") * 2, le(1))
    with pytest.raises(ValueError, match="multiple of 64"):
        native.g1_msm(bytes(63), b"")
    with pytest.raises(ValueError, match="below the field order"):
        native.g1_msm(g1_enc(G1), R.to_bytes(32, "little"))
    with pytest.raises(ValueError, match="bases but"):
        native.g1_msm(g1_enc(G1), le(1) * 2)


def ntt_reference(coeffs: list[int], shift: int = 1) -> list[int]:
    n = len(coeffs)
    w = pow(5, (R - 1) // n, R)
    return [sum(c * pow(shift * pow(w, i, R), j, R) for j, c in enumerate(coeffs)) % R for i in range(n)]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 4).flatmap(lambda k: st.lists(scalar, min_size=2**k, max_size=2**k)), scalar.filter(bool))
def test_ntt_and_coset_ntt_match_reference_and_round_trip(coeffs, shift):
    buf = b"".join(le(c) for c in coeffs)
    evals = native.fr_ntt(buf)
    assert [int.from_bytes(evals[i:i + 32], "little") for i in range(0, len(evals), 32)] == ntt_reference(coeffs)
    assert native.fr_ntt(evals, inverse=True) == buf
    coset = native.fr_coset_ntt(buf, le(shift))
    assert [int.from_bytes(coset[i:i + 32], "little") for i in range(0, len(coset), 32)] == ntt_reference(coeffs, shift)
    assert native.fr_coset_ntt(coset, le(shift), inverse=True) == buf


def test_ntt_rejects_sizes_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        native.fr_ntt(le(1) * 3)
    with pytest.raises(ValueError, match="power of two"):
        native.fr_ntt(b"")
    with pytest.raises(ValueError, match="multiple of 32"):
        native.fr_ntt(bytes(33))
    with pytest.raises(ValueError, match="below the field order"):
        native.fr_ntt(R.to_bytes(32, "little") + le(1))
    with pytest.raises(ValueError, match="32 bytes"):
        native.fr_coset_ntt(le(1) * 2, bytes(31))


@settings(max_examples=3, deadline=None)
@given(st.integers(1, R - 1), st.integers(1, R - 1))
def test_pairing_check_bilinearity(a, b):
    # e(aP, bQ) * e(-abP, Q) == 1, and not with a wrong factor.
    g1s = g1_enc(multiply(G1, a)) + g1_enc(neg(multiply(G1, a * b % R)))
    g2s = g2_enc(multiply(G2, b)) + g2_enc(G2)
    assert native.pairing_check(g1s, g2s)
    bad = g1_enc(multiply(G1, a)) + g1_enc(neg(multiply(G1, (a * b + 1) % R)))
    assert not native.pairing_check(bad, g2s)


def test_pairing_check_refuses_points_off_the_curve_or_subgroup():
    off = (1).to_bytes(32, "little") * 4
    with pytest.raises(ValueError):
        native.pairing_check(g1_enc(G1), off)
    with pytest.raises(ValueError, match="multiple of 128"):
        native.pairing_check(g1_enc(G1), bytes(127))


def test_groth16_prove_rejects_corrupt_files(tiny):
    from prover.formats.wtns import wtns_to_bytes
    with pytest.raises(ValueError, match="zkey"):
        native.groth16_prove(b"junk" * 10, b"", le(1), le(2))
    zkey = native.groth16_setup(_r1cs_bytes(tiny.r1cs), tiny.toxic.to_bytes())
    w = tiny.witness(2, 3)
    assert len(native.groth16_prove(zkey, wtns_to_bytes(w), le(1), le(2))) == 256
    with pytest.raises(ValueError, match="witness has 5 values"):
        native.groth16_prove(zkey, wtns_to_bytes(w[:-1]), le(1), le(2))
    with pytest.raises(ValueError, match="wtns"):
        native.groth16_prove(zkey, b"wtns" + bytes(8), le(1), le(2))
    with pytest.raises(ValueError, match="truncated"):
        native.groth16_prove(zkey[:len(zkey) // 2], wtns_to_bytes(w), le(1), le(2))
    with pytest.raises(ValueError, match="32 bytes"):
        native.groth16_prove(b"", b"", b"", b"")


# --- MSM at sizes where the batch-affine buckets run -------------------------------------------

def _g1_mul(k: int) -> bytes:
    """k·G1 through the native MSM of one pair (a path independent of the bucket batching)."""
    return native.g1_msm(g1_enc(G1), le(k))


@pytest.mark.parametrize("n", [200, 3000])
def test_g1_msm_large_matches_single_scalar_identity(n, rng):
    # Σ s_i (b_i G) == (Σ s_i b_i) G, with repeated bases (bucket doublings), opposite bases
    # (buckets that cancel to infinity), bases at infinity, and scalars 0, 1, r - 1.
    ks = [rng.randrange(1, 50) for _ in range(n // 2)] + [rng.randrange(R) for _ in range(n - n // 2)]
    ks[:4] = [0, 7, R - 7, 7]
    ss = [rng.randrange(R) for _ in range(n)]
    ss[4:8] = [0, 1, R - 1, 2]
    ss[1] = ss[2] = ss[3]
    bases = b"".join(_g1_mul(k) for k in ks)
    assert bases[:64] == bytes(64)
    got = native.g1_msm(bases, b"".join(le(s) for s in ss))
    assert got == _g1_mul(sum(k * s for k, s in zip(ks, ss)) % R)


@pytest.mark.parametrize("scalar", [R - 1, 2, 12345678901234567890])
def test_g1_msm_with_one_repeated_scalar(scalar, rng):
    # every digit of a window lands in one bucket: the collision path must stay linear and exact
    n = 4000
    ks = [rng.randrange(1, 1000) for _ in range(n)]
    bases = b"".join(_g1_mul(k) for k in ks)
    got = native.g1_msm(bases, le(scalar) * n)
    assert got == _g1_mul(sum(ks) * scalar % R)


# The scalars a witness is full of (0 and 1, bits, small values, −1, −small) mixed with full
# ones, over bases that repeat, cancel (k and r − k) or are the point at infinity (k = 0): the
# batch-affine paths (bucket doublings, buckets emptied, deferred and overflow additions, the
# batch inversion) against Σ s_i (k_i G) = (Σ s_i k_i) G by one single-pair MSM.
POOL_K = [0, 1, 2, 3, 7, R - 7, 12345, R - 1, 2**127 - 1, 2**200 + 5]
SPECIAL = [0, 1, 1, 2, 3, R - 1, R - 2, 2**127 - 1, 2**127, 2**64]
msm_scalar = st.one_of(st.sampled_from(SPECIAL), st.integers(0, 2**8), st.integers(R - 2**16, R - 1), st.integers(0, R - 1))


def _witness_like_terms(drawn, seed, n=700):
    """The drawn (pool index, scalar) terms, then as many more from `seed` as make n (>= 64
    buckets a window at this size: the batch-affine path), a third of them full-size."""
    rng = random.Random(seed)
    pick = [lambda: rng.choice(SPECIAL), lambda: rng.randrange(2**8), lambda: R - 1 - rng.randrange(2**16),
            lambda: rng.randrange(R), lambda: rng.randrange(R)]
    more = [(rng.randrange(len(POOL_K)), rng.choice(pick)()) for _ in range(n - len(drawn))]
    return drawn + more


@functools.cache
def _pool(group: int) -> list[bytes]:
    one = g1_enc(G1) if group == 1 else g2_enc(G2)
    f = native.g1_msm if group == 1 else native.g2_msm
    return [f(one, le(k)) for k in POOL_K]


msm_drawn = st.lists(st.tuples(st.integers(0, len(POOL_K) - 1), msm_scalar), max_size=60)


@settings(max_examples=8, deadline=None)
@given(msm_drawn, st.integers(0, 2**32))
def test_g1_msm_of_witness_like_scalars_matches_the_naive_sum(drawn, seed):
    terms, pool = _witness_like_terms(drawn, seed), _pool(1)
    got = native.g1_msm(b"".join(pool[i] for i, _ in terms), b"".join(le(s) for _, s in terms))
    assert got == _g1_mul(sum(POOL_K[i] * s for i, s in terms) % R)


@settings(max_examples=4, deadline=None)
@given(msm_drawn, st.integers(0, 2**32))
def test_g2_msm_of_witness_like_scalars_matches_the_naive_sum(drawn, seed):
    terms, pool = _witness_like_terms(drawn, seed), _pool(2)
    got = native.g2_msm(b"".join(pool[i] for i, _ in terms), b"".join(le(s) for _, s in terms))
    assert got == native.g2_msm(g2_enc(G2), le(sum(POOL_K[i] * s for i, s in terms) % R))


def test_g2_msm_large_matches_single_scalar_identity(rng):
    n = 300
    ks = [rng.randrange(1, 20) for _ in range(n)]
    ks[0], ks[1] = 5, R - 5
    ss = [rng.randrange(R) for _ in range(n)]
    ss[0] = ss[1]
    g2 = g2_enc(G2)
    bases = b"".join(native.g2_msm(g2, le(k)) for k in ks)
    got = native.g2_msm(bases, b"".join(le(s) for s in ss))
    assert got == native.g2_msm(g2, le(sum(k * s for k, s in zip(ks, ss))))


# psi.rs: G2 scalars are split as s = k0 + k1·μ with μ = p − r (ψ acts on G2 as [μ])
MU = 21888242871839275222246405745257275088696311157297823662689037894645226208583 - R


@functools.cache
def _g2_multiples(n: int) -> tuple[list[int], bytes]:
    """1..n and the points k·G2 (native single-pair MSMs)."""
    ks = list(range(1, n + 1))
    return ks, b"".join(native.g2_msm(g2_enc(G2), le(k)) for k in ks)


@pytest.mark.parametrize("s", [MU - 1, MU, MU + 1, 2 * MU, MU * MU % R, (R - 1) // MU * MU, R - 1, R - MU])
def test_g2_msm_at_the_endomorphism_split_edges_matches_py_ecc(s):
    # one pair (small windows) and the same term among many (batch-affine buckets): k0 or k1
    # at 0, at μ − 1, at their largest
    q = multiply(G2, 3)
    assert native.g2_msm(g2_enc(q), le(s)) == g2_enc(multiply(q, s))
    ks, bases = _g2_multiples(600)
    ss = [s if i % 3 == 0 else (i * 0x9E3779B97F4A7C15) ** 5 % R for i in range(len(ks))]
    got = native.g2_msm(bases, b"".join(le(x) for x in ss))
    assert got == g2_enc(multiply(G2, sum(k * x for k, x in zip(ks, ss)) % R))


@settings(max_examples=10, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([1, 2, 3, Q - 1, Q - 2, 2**254 % Q, 2**127, (Q + 1) // 2]),
                          st.integers(1, 2**64), st.integers(1, Q - 1)), min_size=1, max_size=200))
def test_fq_inverse_of_the_msm_batches_matches_pow(xs):
    # msm.rs's one inversion per batch-affine batch (inv.rs: a binary GCD on 64-bit approximations)
    got = native.fq_inverse(b"".join(x.to_bytes(32, "little") for x in xs))
    assert [int.from_bytes(got[i:i + 32], "little") for i in range(0, len(got), 32)] == [pow(x, Q - 2, Q) for x in xs]


def test_fq_inverse_refuses_zero_and_unreduced_values():
    with pytest.raises(ValueError, match="no inverse"):
        native.fq_inverse(bytes(32))
    with pytest.raises(ValueError, match="below the base field order"):
        native.fq_inverse(Q.to_bytes(32, "little"))


def test_msm_of_nothing_and_of_cancelling_terms_is_infinity():
    assert native.g1_msm(b"", b"") == bytes(64)
    assert native.g2_msm(b"", b"") == bytes(128)
    assert native.g1_msm(g1_enc(G1) * 2, le(5) + le(R - 5)) == bytes(64)


def _fq2_sqrt(a):
    """A square root in Fq2 (q = 3 mod 4; Adj & Rodriguez-Henriquez, algorithm 9), or None."""
    from py_ecc.fields import optimized_bn128_FQ2 as F2
    from prover.field import Q
    one = F2([1, 0])
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    if alpha ** Q * alpha == -one:
        return None
    x0 = a1 * a
    return F2([0, 1]) * x0 if alpha == -one else (one + alpha) ** ((Q - 1) // 2) * x0


def test_g2_msm_refuses_points_outside_the_subgroup():
    # a point of the twist y^2 = x^3 + 3/(9+u) outside the r-torsion (the cofactor is ~q)
    from py_ecc.optimized_bn128 import b2
    from py_ecc.fields import optimized_bn128_FQ2 as F2
    x = F2([1, 0])
    while (y := _fq2_sqrt(x ** 3 + b2)) is None:
        x = x + F2([1, 0])
    assert y * y == x ** 3 + b2
    enc = b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs))
    with pytest.raises(ValueError, match="subgroup"):
        native.g2_msm(enc, le(1))
    with pytest.raises(ValueError, match="subgroup"):
        native.pairing_check(g1_enc(G1), enc)


def test_pairing_check_of_nothing_is_true_and_lengths_must_match():
    assert native.pairing_check(b"", b"")
    with pytest.raises(ValueError, match="G1 points but"):
        native.pairing_check(g1_enc(G1), b"")


# --- groth16_setup: the Python reference's bytes, and snarkjs interop --------------------------

def _r1cs_bytes(r1cs) -> bytes:
    from prover.formats.r1cs import r1cs_to_bytes
    return r1cs_to_bytes(r1cs)


def _toxic(*xs: int) -> bytes:
    return b"".join(le(x) for x in xs)


def test_setup_matches_the_python_dev_setup_byte_for_byte(tiny, rng):
    from prover.formats.r1cs import R1CS, r1cs_to_bytes, read_r1cs
    from prover.formats.zkey import zkey_to_bytes
    from prover.groth16.setup import ToxicWaste, dev_setup
    # a random R1CS with 2 public outputs, 1 public input, coefficients 0, 1, r - 1 and random
    nw = 12
    cons = []
    for _ in range(9):
        cons.append(tuple({rng.randrange(nw): rng.choice([1, R - 1, rng.randrange(1, R)])
                           for _ in range(rng.randrange(0, 4))} for _ in range(3)))
    random_r1cs = R1CS(n_wires=nw, n_pub_out=2, n_pub_in=1, n_prv_in=3, constraints=cons)
    for r1cs, toxic in ((tiny.r1cs, tiny.toxic), (random_r1cs, ToxicWaste.random(rng)),
                        (tiny.r1cs, ToxicWaste(1, 2, 3, 4, 5))):  # tau = 1 is a root of unity
        b = r1cs_to_bytes(r1cs)
        assert native.groth16_setup(b, toxic.to_bytes()) == zkey_to_bytes(dev_setup(read_r1cs(b), toxic))


def test_setup_rejects_bad_input(tiny):
    from prover.formats.r1cs import r1cs_to_bytes
    b = r1cs_to_bytes(tiny.r1cs)
    with pytest.raises(ValueError, match="160 bytes"):
        native.groth16_setup(b, bytes(32))
    with pytest.raises(ValueError, match="non-zero"):
        native.groth16_setup(b, _toxic(1, 0, 3, 4, 5))
    with pytest.raises(ValueError, match="r1cs"):
        native.groth16_setup(b"junk" * 4, _toxic(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="truncated"):
        native.groth16_setup(b[:-60], _toxic(1, 2, 3, 4, 5))


def _snarkjs_proof_json(proof: bytes) -> dict:
    ints = [str(int.from_bytes(proof[i:i + 32], "little")) for i in range(0, 256, 32)]
    return {"pi_a": [ints[0], ints[1], "1"],
            "pi_b": [[ints[2], ints[3]], [ints[4], ints[5]], ["1", "0"]],
            "pi_c": [ints[6], ints[7], "1"], "protocol": "groth16", "curve": "bn128"}


def _snarkjs_verifies(run_snarkjs, d, vk, proof: bytes, public: list[int]) -> bool:
    import json
    (d / "proof.json").write_text(json.dumps(_snarkjs_proof_json(proof)))
    (d / "public.json").write_text(json.dumps([str(x) for x in public]))
    out = run_snarkjs("groth16", "verify", vk, d / "public.json", d / "proof.json", check=False)
    return out.returncode == 0 and "OK" in out.stdout


@pytest.mark.slow
def test_prove_with_a_snarkjs_key_verifies_in_snarkjs(main_circuit, snarkjs_keys, run_snarkjs, tmp_path, rng):
    from prover.formats.r1cs import read_r1cs
    from prover.formats.wtns import read_wtns
    wtns = main_circuit.wtns.read_bytes()
    n_public = read_r1cs(main_circuit.r1cs).n_public
    public = read_wtns(wtns)[1:1 + n_public]
    for zkey in (snarkjs_keys.zkey0, snarkjs_keys.zkey):
        proof = native.groth16_prove(zkey.read_bytes(), wtns, le(rng.randrange(R)), le(rng.randrange(R)))
        vk = snarkjs_keys.vk if zkey == snarkjs_keys.zkey else tmp_path / "vk0.json"
        if zkey == snarkjs_keys.zkey0:
            run_snarkjs("zkey", "export", "verificationkey", zkey, vk)
        assert _snarkjs_verifies(run_snarkjs, tmp_path, vk, proof, public)
        assert not _snarkjs_verifies(run_snarkjs, tmp_path, vk, proof, [public[0] + 1, *public[1:]])
    # r = s = 0 is the no-zk proof; still valid
    proof = native.groth16_prove(snarkjs_keys.zkey.read_bytes(), wtns, le(0), le(0))
    assert _snarkjs_verifies(run_snarkjs, tmp_path, snarkjs_keys.vk, proof, public)


@pytest.mark.slow
def test_native_setup_key_works_in_snarkjs(main_circuit, run_snarkjs, tmp_path, rng):
    import json
    from prover.formats.r1cs import read_r1cs
    from prover.formats.wtns import read_wtns
    zkey = native.groth16_setup(main_circuit.r1cs.read_bytes(), _toxic(*(rng.randrange(1, R) for _ in range(5))))
    (tmp_path / "dev.zkey").write_bytes(zkey)
    run_snarkjs("zkey", "export", "verificationkey", tmp_path / "dev.zkey", tmp_path / "vk.json")
    # snarkjs proves with our key, and verifies with the key's own verification key
    run_snarkjs("groth16", "prove", tmp_path / "dev.zkey", main_circuit.wtns, tmp_path / "p.json", tmp_path / "pub.json")
    out = run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "pub.json", tmp_path / "p.json")
    assert "OK" in out.stdout
    # and our prover's proof under our key verifies in snarkjs
    wtns = main_circuit.wtns.read_bytes()
    public = read_wtns(wtns)[1:1 + read_r1cs(main_circuit.r1cs).n_public]
    assert json.loads((tmp_path / "pub.json").read_text()) == [str(x) for x in public]
    proof = native.groth16_prove(zkey, wtns, le(rng.randrange(R)), le(rng.randrange(R)))
    assert _snarkjs_verifies(run_snarkjs, tmp_path, tmp_path / "vk.json", proof, public)


# --- Poseidon (circomlib) -----------------------------------------------------------------------

def _poseidon_node(rows: list[list[int]]) -> list[int]:
    """circomlibjs's buildPoseidon on each row (one node process)."""
    import json
    import subprocess
    from pathlib import Path
    repo = Path(__file__).resolve().parents[2]
    js = ("const {buildPoseidon} = require('circomlibjs');"
          "buildPoseidon().then(p => { const rows = JSON.parse(process.argv[1]);"
          "console.log(JSON.stringify(rows.map(r => p.F.toString(p(r.map(BigInt))))));"
          "process.exit(0); });")
    out = subprocess.run(["node", "-e", js, json.dumps([[str(x) for x in r] for r in rows])], cwd=repo,
                         capture_output=True, text=True, check=True).stdout
    return [int(x) for x in json.loads(out)]


def test_poseidon_plain_and_optimized_constants_agree_with_circomlibjs(rng, node_tools):
    from circuits.crypto import poseidon as pos
    widths = (2, 3, 5, 17)
    rows = {t: [[rng.randrange(R) for _ in range(t - 1)] for _ in range(3)] + [[0] * (t - 1), [R - 1] * (t - 1)]
            for t in widths}
    expected = _poseidon_node([row for t in widths for row in rows[t]])
    for t in widths:
        p = pos.poseidon_params(t)
        want, expected = expected[:len(rows[t])], expected[len(rows[t]):]
        flat = b"".join(le(x) for row in rows[t] for x in row)
        for args in ((b"".join(le(x) for x in p.C), b"".join(le(x) for r in p.M for x in r)),
                     tuple(b"".join(le(x) for x in v) for v in pos._optimized_constants(t))):
            native.poseidon_register(t, p.n_rounds_f, p.n_rounds_p, *args)
            got = native.poseidon_hash_many(t, flat)
            assert [int.from_bytes(got[i:i + 32], "little") for i in range(0, len(got), 32)] == want
            assert native.poseidon_hash(t, flat[:32 * (t - 1)]) == got[:32]


def test_poseidon_rejects_bad_input():
    from circuits.crypto import poseidon as pos
    p = pos.poseidon_params(3)
    c = b"".join(le(x) for x in p.C)
    with pytest.raises(ValueError, match="constants do not match"):
        native.poseidon_register(3, p.n_rounds_f, p.n_rounds_p, c[:-32], bytes(32 * 9))
    with pytest.raises(ValueError, match="takes"):
        native.poseidon_register(3, p.n_rounds_f, p.n_rounds_p, c)
    with pytest.raises(ValueError, match="not registered"):
        native.poseidon_hash_many(99, bytes(32))
    native.poseidon_register(3, p.n_rounds_f, p.n_rounds_p, c, b"".join(le(x) for r in p.M for x in r))
    with pytest.raises(ValueError, match="inputs"):
        native.poseidon_hash(3, bytes(32))
    with pytest.raises(ValueError, match="rows of 2"):
        native.poseidon_hash_many(3, bytes(96))
    assert native.poseidon_hash_many(3, b"") == b""
