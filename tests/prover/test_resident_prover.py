"""The resident prover (prover.resident.ResidentProver): one key loaded and preprocessed once,
many proofs. Its proofs are the whole-process prover's bytes for the same r, s (with full
fixed-base tables, partial ones, and none), verify in zkclear and snarkjs, and a witness made
for another circuit is refused."""
from __future__ import annotations

import json
import random

import pytest

from prover.backends import get_backend
from prover.field import R
from prover.formats.r1cs import read_r1cs
from prover.formats.snarkjs_json import proof_to_json, read_vk
from prover.formats.wtns import read_wtns, wtns_to_bytes
from prover.formats.zkey import read_zkey, zkey_to_bytes
from prover.groth16.setup import ToxicWaste, dev_setup
from prover.resident import ResidentProver
from prover_helpers import random_r1cs

pytestmark = pytest.mark.usefixtures("native")
R_FIXED, S_FIXED = 0x1234567, 0x89ABCDEF


def whole_process_bytes(zkey: bytes, witness: list[int], r: int, s: int) -> bytes:
    from prover import _native
    return bytes(_native.groth16_prove(zkey, wtns_to_bytes(witness), r.to_bytes(32, "little"), s.to_bytes(32, "little")))


# 0: the key only (plain Pippenger); a few KB: some rows per MSM; default: full tables
BUDGETS_MB = [0, 0.004, 0.05]


@pytest.mark.parametrize("table_mb", BUDGETS_MB + [1024])
def test_same_bytes_as_whole_process_on_a_snarkjs_key(snarkjs_keys, main_circuit, table_mb):
    zkey = snarkjs_keys.zkey.read_bytes()
    w = read_wtns(main_circuit.wtns)
    rp = ResidentProver(zkey, table_mb=table_mb)
    assert (rp.n_vars, rp.n_public) == (len(w), 3)
    if table_mb == 0:
        assert rp.table_bytes == 0 and all(rows == 1 for _, _, rows in rp.plans().values())
    if table_mb == 1024:
        assert all(t == 1 for _, t, _ in rp.plans().values())  # one pass: a full table per MSM
    assert rp.table_bytes <= table_mb * 2**20
    assert 0 < rp.key_bytes < 2 * len(zkey)  # A and B's terms 8 bytes each (44 in the file)
    for r, s in ((R_FIXED, S_FIXED), (R - 1, 1), (0, 0)):
        assert rp.prove(w, r, s).to_bytes() == whole_process_bytes(zkey, w, r, s)


def test_random_keys_and_witnesses_match_whole_process(rng):
    """Random R1CSs (bases at infinity, zero, one and full-size scalars) under every budget."""
    for _ in range(6):
        r1cs = random_r1cs(rng, rng.randrange(1, 40), rng.randrange(0, 4))
        zkey = zkey_to_bytes(dev_setup(r1cs, ToxicWaste.random(rng)))
        provers = [ResidentProver(zkey, table_mb=mb) for mb in BUDGETS_MB]
        for _ in range(3):
            w = [1] + [rng.choice([0, 1, 2, R - 1, rng.randrange(R)]) for _ in range(r1cs.n_wires - 1)]
            r, s = rng.randrange(R), rng.randrange(R)
            want = whole_process_bytes(zkey, w, r, s)
            assert all(p.prove(w, r, s).to_bytes() == want for p in provers)


@pytest.mark.parametrize("c", [4, 9, 16, 19, 20])
def test_plain_pippenger_at_every_window_width(rng, monkeypatch, c):
    """Without a table the window width is chosen per proof from the live terms, up to 20 bits
    (19 at 2^22); here forced (ZKCLEAR_CMAX_PLAIN caps the search, down to a single width), so
    wide windows whose top window has few bits (few buckets) run on small keys too."""
    monkeypatch.setenv("ZKCLEAR_CMAX_PLAIN", str(c))
    monkeypatch.setenv("ZKCLEAR_CMIN_PLAIN", str(c))
    for _ in range(2):
        r1cs = random_r1cs(rng, rng.randrange(20, 60), rng.randrange(0, 4))
        zkey = zkey_to_bytes(dev_setup(r1cs, ToxicWaste.random(rng)))
        rp = ResidentProver(zkey, table_mb=0)
        w = [1] + [rng.choice([0, 1, 2, R - 1, rng.randrange(R)]) for _ in range(r1cs.n_wires - 1)]
        r, s = rng.randrange(R), rng.randrange(R)
        assert rp.prove(w, r, s).to_bytes() == whole_process_bytes(zkey, w, r, s)


def test_many_proofs_in_one_process_verify_in_zkclear_and_snarkjs(snarkjs_keys, main_circuit, run_snarkjs, tmp_path):
    rp = ResidentProver(snarkjs_keys.zkey)
    vk = read_vk(snarkjs_keys.vk)
    w = read_wtns(main_circuit.wtns)
    public = w[1:4]
    native = get_backend("native")
    proofs = [rp.prove(main_circuit.wtns) for _ in range(6)]  # random r, s each
    assert len({p.to_bytes() for p in proofs}) == 6
    assert all(native.verify(vk, public, p) for p in proofs)
    assert not native.verify(vk, [public[0], 0, 100], proofs[0])
    (tmp_path / "public.json").write_text(json.dumps([str(x) for x in public]))
    for i in (0, 5):
        (tmp_path / f"p{i}.json").write_text(json.dumps(proof_to_json(proofs[i])))
        out = run_snarkjs("groth16", "verify", snarkjs_keys.vk, tmp_path / "public.json", tmp_path / f"p{i}.json")
        assert "OK" in out.stdout


def test_witness_of_another_circuit_is_refused(snarkjs_keys, main_circuit, other_circuit):
    rp = ResidentProver(snarkjs_keys.zkey)
    other = read_wtns(other_circuit.wtns)
    assert len(other) != rp.n_vars
    with pytest.raises(ValueError, match="the key expects"):
        rp.prove(other)
    with pytest.raises(ValueError, match="the key expects"):
        rp.prove(other_circuit.wtns)
    w = read_wtns(main_circuit.wtns)
    with pytest.raises(ValueError, match="witness value 0 must be 1"):
        rp.prove([2] + w[1:])
    # a witness of the right length that does not satisfy the circuit proves nothing valid
    bad = list(w)
    bad[-1] = (bad[-1] + 1) % R
    vk = read_vk(snarkjs_keys.vk)
    assert not get_backend("native").verify(vk, w[1:4], rp.prove(bad))
    # and the prover still works afterwards
    assert get_backend("native").verify(vk, w[1:4], rp.prove(w))


def test_key_from_zkclear_setup_and_from_a_proving_key_object(tiny):
    zkey = get_backend("native").setup(tiny.r1cs, tiny.toxic)
    w = tiny.witness(11, 13)
    by_bytes, by_object = ResidentProver(zkey), ResidentProver(read_zkey(zkey))
    assert by_bytes.prove(w, R_FIXED, S_FIXED).to_bytes() == by_object.prove(w, R_FIXED, S_FIXED).to_bytes() \
        == whole_process_bytes(zkey, w, R_FIXED, S_FIXED)


def test_main_circuit_r1cs_and_key_agree(snarkjs_keys, main_circuit):
    """The snarkjs key the tests above use is for main_circuit (sanity of the fixtures)."""
    assert read_zkey(snarkjs_keys.zkey).n_vars == read_r1cs(main_circuit.r1cs).n_wires
