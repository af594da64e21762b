"""Phase-2 setup on a prepared .ptau (`zkclear setup --ptau`): the native backend
(prover._native.groth16_setup_ptau) writes the same .zkey bytes as the Python reference
phase2_setup for the same delta; the key proves with snarkjs and zkclear; and its section 10
(circuit hash + one contribution record, prover/groth16/mpc.py) passes `snarkjs zkey verify`."""
from __future__ import annotations

import random

import pytest

from prover import _native as native
from prover.backends import PythonBackend, get_backend
from prover.field import R
from prover.formats.ptau import read_ptau
from prover.formats.r1cs import R1CS, r1cs_to_bytes, read_r1cs
from prover.formats.snarkjs_json import read_proof, read_vk, write_vk
from prover.formats.wtns import read_wtns
from prover.formats.zkey import read_zkey
from prover.groth16 import curve, mpc
from prover_helpers import random_r1cs

needs_native = pytest.mark.usefixtures("native")  # required (make setup): fails, never skips


def both(r1cs, ptau, delta) -> bytes:
    py = PythonBackend().setup_ptau(r1cs, ptau, delta)
    nat = get_backend("native").setup_ptau(r1cs, ptau, delta)
    assert nat == py
    return nat


# --- the snarkjs transcript pieces -------------------------------------------------------------

def test_h_points_hashed_follows_zkey_new_chunk_loop():
    # zkey_new.js hashHPoints: for (i = 0; i < n-1; i += 2^14) hash min(n-1, 2^14) points
    def js(n):
        total, i = 0, 0
        while i < n - 1:
            total += min(n - 1, 1 << 14)
            i += 1 << 14
        return total
    for k in range(1, 21):
        assert mpc.h_points_hashed(2 ** k) == js(2 ** k)
    assert mpc.hashable(2 ** 10, 10) and mpc.hashable(2 ** 14, 14) and mpc.hashable(2 ** 15, 16)
    assert not mpc.hashable(2 ** 15, 15)   # snarkjs reads one point past the tau section there


def test_chacha_matches_ffjavascript_vector():
    # ffjavascript's ChaCha is ChaCha20 with a zero nonce/counter: RFC 7539's all-zero key block
    rng = mpc.ChaCha([0] * 8)
    assert [rng.next_u32() for _ in range(2)] == [0xade0b876, 0x903df1a0]


def test_hash_to_g2_is_in_the_subgroup():
    for seed in range(3):
        p = mpc.hash_to_g2(bytes([seed]) * 64)
        assert curve.g2_on_curve(p) and curve.g2_in_subgroup(p)


# --- Python and native agree -------------------------------------------------------------------

@needs_native
def test_tiny_and_random_circuits_same_bytes(tiny, small_ptau):
    both(tiny.r1cs, small_ptau, 55)
    both(tiny.r1cs, small_ptau, R - 1)
    for m, l in [(1, 0), (5, 2), (29, 2), (40, 7)]:
        rnd = random.Random(m * 100 + l)
        r1cs = random_r1cs(rnd, m, l)
        zkey = both(r1cs_to_bytes(r1cs), small_ptau, rnd.randrange(1, R))
        pk = read_zkey(zkey)
        assert len(pk.contributions) > 4 and pk.cs_hash != bytes(64)


@needs_native
def test_rejects_bad_input(tiny, small_ptau):
    nat = get_backend("native")
    b = r1cs_to_bytes(tiny.r1cs)
    pt = small_ptau.read_bytes()
    with pytest.raises(ValueError, match="non-zero"):
        nat.setup_ptau(b, pt, 0)
    with pytest.raises(ValueError, match="32 bytes"):
        native.groth16_setup_ptau(b, pt, bytes(31))
    with pytest.raises(ValueError):
        native.groth16_setup_ptau(b, pt[:-100], (5).to_bytes(32, "little"))
    with pytest.raises(ValueError, match="ptau"):
        native.groth16_setup_ptau(b, b"ptau" + bytes(40), (5).to_bytes(32, "little"))
    big = R1CS(n_wires=3, n_pub_out=1, n_pub_in=0, n_prv_in=1, constraints=[({2: 1}, {2: 1}, {1: 1})] * 1100)
    for be in (nat, PythonBackend()):
        with pytest.raises(ValueError, match="power 10"):
            be.setup_ptau(big, pt, 5)


# --- the circom circuit: same bytes, proves, and snarkjs verifies the key ----------------------

@pytest.mark.slow
@needs_native
def test_circom_circuit_proves_and_passes_snarkjs_zkey_verify(main_circuit, small_ptau, tmp_path, run_snarkjs):
    zkey = both(main_circuit.r1cs, small_ptau, 0x5eed)
    (tmp_path / "c.zkey").write_bytes(zkey)
    res = run_snarkjs("zkey", "verify", main_circuit.r1cs, small_ptau, tmp_path / "c.zkey", check=False)
    assert "ZKey Ok!" in res.stdout + res.stderr, res.stdout[-2000:]
    assert "zkclear" in res.stdout + res.stderr           # the contribution's name

    # a changed delta point breaks the transcript: snarkjs refuses the key
    pk = read_zkey(zkey)
    pk.delta_1 = curve.G1.to_affine(curve.scalar_mul(curve.G1, curve.G1_GEN, 7))
    from prover.formats.zkey import write_zkey
    write_zkey(tmp_path / "bad.zkey", pk)
    res = run_snarkjs("zkey", "verify", main_circuit.r1cs, small_ptau, tmp_path / "bad.zkey", check=False)
    assert "ZKey Ok!" not in res.stdout + res.stderr

    # snarkjs proves with it and verifies with our vk; zkclear (native) proves and verifies
    vk = read_zkey(zkey).verifying_key()
    write_vk(tmp_path / "vk.json", vk)
    run_snarkjs("groth16", "prove", tmp_path / "c.zkey", main_circuit.wtns, tmp_path / "p.json", tmp_path / "pub.json")
    assert "OK" in run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "pub.json",
                               tmp_path / "p.json").stdout
    nat = get_backend("native")
    assert nat.verify(vk, [int(x) for x in __import__("json").loads((tmp_path / "pub.json").read_text())],
                      read_proof(tmp_path / "p.json"))
    w = read_wtns(main_circuit.wtns)
    public = w[1:1 + read_r1cs(main_circuit.r1cs).n_public]
    proof = nat.prove(zkey, w, 0x1234567, 0x89ABCDEF)
    assert nat.verify(vk, public, proof)
    assert not nat.verify(vk, [public[0], 0, 100], proof)
    # the exported vk equals what snarkjs exports, field for field
    run_snarkjs("zkey", "export", "verificationkey", tmp_path / "c.zkey", tmp_path / "sj_vk.json")
    import json
    assert json.loads((tmp_path / "sj_vk.json").read_text()) == json.loads((tmp_path / "vk.json").read_text())
    assert read_vk(tmp_path / "sj_vk.json") == vk


def test_ptau_power_is_read(small_ptau):
    assert read_ptau(small_ptau).power == 10
