"""iden3/snarkjs file formats: round trips, agreement with circom/snarkjs files, corruption."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prover.field import Q, R
from prover.formats import FormatError, read_r1cs, read_sym, read_wtns, write_r1cs, write_sym, write_wtns
from prover.formats.ptau import TAU_G1, TAU_G2, read_ptau
from prover.formats.r1cs import R1CS, r1cs_to_bytes
from prover.formats.snarkjs_json import (alphabeta_12, proof_from_json, proof_to_json, read_proof, read_public,
                                         read_vk, vk_from_json, vk_to_json)
from prover.formats.wtns import wtns_to_bytes
from prover.formats.zkey import read_zkey, read_zkey_vk, write_zkey, zkey_to_bytes
from prover.groth16 import curve, qap
from prover.groth16.keys import Proof

field = st.integers(min_value=0, max_value=R - 1)


@st.composite
def r1cs_objects(draw):
    n_wires = draw(st.integers(min_value=1, max_value=12))
    n_out = draw(st.integers(min_value=0, max_value=n_wires - 1))
    n_in = draw(st.integers(min_value=0, max_value=n_wires - 1 - n_out))
    n_prv = draw(st.integers(min_value=0, max_value=n_wires - 1 - n_out - n_in))
    lc = st.dictionaries(st.integers(min_value=0, max_value=n_wires - 1),
                         st.integers(min_value=1, max_value=R - 1), max_size=4)
    cons = draw(st.lists(st.tuples(lc, lc, lc), max_size=6))
    return R1CS(n_wires=n_wires, n_pub_out=n_out, n_pub_in=n_in, n_prv_in=n_prv, constraints=cons,
                wire_to_label=list(range(n_wires)), n_labels=n_wires)


@settings(max_examples=60, deadline=None)
@given(r1cs_objects())
def test_r1cs_round_trip(r1cs):
    data = r1cs_to_bytes(r1cs)
    assert read_r1cs(data) == r1cs
    assert r1cs_to_bytes(read_r1cs(data)) == data


def test_r1cs_write_path_and_defaults(tmp_path):
    r = R1CS(n_wires=3, n_pub_out=1, n_pub_in=0, n_prv_in=1, constraints=[({1: -1 % R}, {2: 1}, {0: 7})])
    write_r1cs(tmp_path / "c.r1cs", r)
    back = read_r1cs(tmp_path / "c.r1cs")
    assert back.constraints == r.constraints and back.wire_to_label == [0, 1, 2] and back.n_labels == 3


@settings(max_examples=40, deadline=None)
@given(st.lists(field, min_size=1, max_size=40))
def test_wtns_round_trip(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("w") / "w.wtns"
    write_wtns(path, values)
    assert read_wtns(path) == values
    assert read_wtns(path.read_bytes()) == values


def test_wtns_reduces_negative_values():
    assert read_wtns(wtns_to_bytes([1, -1])) == [1, R - 1]


def test_sym_round_trip(tmp_path):
    entries = [(1, 1, 0, "main.out"), (2, -1, 0, "main.tmp[0]"), (3, 2, 1, "main.c.in")]
    write_sym(tmp_path / "c.sym", entries)
    assert read_sym(tmp_path / "c.sym") == entries
    assert (tmp_path / "c.sym").read_text().splitlines()[1] == "2,-1,0,main.tmp[0]"


def test_circom_and_snarkjs_files_rewrite_identically(main_circuit, snarkjs_keys):
    r1cs_bytes = main_circuit.r1cs.read_bytes()
    assert r1cs_to_bytes(read_r1cs(r1cs_bytes)) == r1cs_bytes
    wtns_bytes = main_circuit.wtns.read_bytes()
    assert wtns_to_bytes(read_wtns(wtns_bytes)) == wtns_bytes
    zkey0 = snarkjs_keys.zkey0.read_bytes()  # zkey_new.js's section order is ours
    assert zkey_to_bytes(read_zkey(zkey0)) == zkey0
    pk = read_zkey(snarkjs_keys.zkey)        # contributed: other section order, same content
    assert read_zkey(zkey_to_bytes(pk)) == pk
    assert len(pk.contributions) > 4 and not pk.unsafe_dev_setup


def test_zkey_matches_r1cs(main_circuit, snarkjs_keys):
    r1cs = read_r1cs(main_circuit.r1cs)
    pk = read_zkey(snarkjs_keys.zkey)
    assert (pk.n_vars, pk.n_public) == (r1cs.n_wires, r1cs.n_public)
    assert pk.domain_size == qap.domain_size(r1cs.n_constraints, r1cs.n_public)
    assert pk.coeffs == qap.qap_coeffs(r1cs)  # doubly-Montgomery coefficients decoded


def test_ptau_lagrange_sections(small_ptau):
    pt = read_ptau(small_ptau)
    assert pt.power == 10 and pt.prepared
    # sum_j L_j(tau) = 1, so the Lagrange points of any domain sum to the generator
    for n in (1, 4, 64):
        for fam, grp, gen in ((TAU_G1, curve.G1, curve.G1_GEN), (TAU_G2, curve.G2, curve.G2_GEN)):
            assert grp.to_affine(curve.msm(grp, pt.lagrange(fam, n), [1] * n)) == gen
    # L_0 of the 1-point domain is tau^0 = 1; the first tau power is the generator
    assert pt.powers(TAU_G1, 2)[0] == curve.G1_GEN
    with pytest.raises(FormatError):
        pt.lagrange(TAU_G2, 2 ** 11)
    with pytest.raises(FormatError):
        read_ptau(small_ptau.read_bytes()[:-100])


def test_json_matches_snarkjs(snarkjs_keys):
    ref = json.loads(snarkjs_keys.vk.read_text())
    vk = read_vk(snarkjs_keys.vk)
    ours = vk_to_json(vk)
    assert ref == ours                       # vk_alphabeta_12 included
    assert vk_from_json(ours) == vk
    assert vk == read_zkey(snarkjs_keys.zkey).verifying_key()
    assert vk == read_zkey_vk(snarkjs_keys.zkey)  # header, IC and hash sections only


def test_export_vk_equals_snarkjs_export(snarkjs_keys, tiny, tmp_path, run_snarkjs):
    """`zkclear export-vk` and `snarkjs zkey export verificationkey` on the same .zkey write the
    same JSON, every field (vk_alphabeta_12 included) and every value; key order aside."""
    from sequencer.cli import main
    for name, zkey in (("snarkjs", snarkjs_keys.zkey), ("dev", tmp_path / "tiny.zkey")):
        if name == "dev":
            write_zkey(zkey, tiny.pk)
        assert main(["export-vk", "--zkey", str(zkey), "--vk", str(tmp_path / f"{name}_ours.json")]) == 0
        run_snarkjs("zkey", "export", "verificationkey", zkey, tmp_path / f"{name}_sj.json")
        ours = json.loads((tmp_path / f"{name}_ours.json").read_text())
        sj = json.loads((tmp_path / f"{name}_sj.json").read_text())
        if name == "dev":
            assert ours.pop("unsafe_dev_setup") is True
        assert ours == sj
        assert len(sj["vk_alphabeta_12"]) == 2 and len(sj["vk_alphabeta_12"][0]) == 3


def test_alphabeta_of_infinity_is_one():
    assert alphabeta_12(None, curve.G2_GEN) == [[["1", "0"], ["0", "0"], ["0", "0"]], [["0", "0"]] * 3]


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=R - 1), st.integers(min_value=1, max_value=R - 1))
def test_proof_json_and_bytes_round_trip(k1, k2):
    fb1, fb2 = curve.FixedBase(curve.G1, curve.G1_GEN, w=4), curve.FixedBase(curve.G2, curve.G2_GEN, w=4)
    proof = Proof(a=curve.G1.to_affine(fb1.mul(k1)), b=curve.G2.to_affine(fb2.mul(k2)), c=None)
    assert proof_from_json(json.loads(json.dumps(proof_to_json(proof)))) == proof
    assert Proof.from_bytes(proof.to_bytes()) == proof


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"pi_a": 1}', '{"pi_a": ["x", "1", "1"]}',
                                  f'{{"pi_a": ["{Q}", "1", "1"], "pi_b": [], "pi_c": []}}'])
def test_bad_proof_json(text):
    with pytest.raises(FormatError):
        read_proof(text.encode())


@pytest.mark.parametrize("text", ["{}", '["1", "x"]', '["-1"]', "[[1]]", "[true]"])
def test_bad_public_json(text):
    with pytest.raises(FormatError):
        read_public(text.encode())


def _corruptions(data: bytes):
    """Truncations at many lengths and a corrupted section table."""
    yield b""
    for cut in sorted({1, 4, 11, 12, 20, 23, 24, len(data) // 3, len(data) // 2, len(data) - 33, len(data) - 1}):
        if 0 < cut < len(data):
            yield data[:cut]
    yield data + b"\0"                                   # trailing garbage
    yield b"xxxx" + data[4:]                             # wrong magic
    bad = bytearray(data)
    bad[16:24] = (2 ** 40).to_bytes(8, "little")         # first section claims 1 TB
    yield bytes(bad)


@pytest.mark.parametrize("kind", ["r1cs", "wtns", "zkey"])
def test_corrupt_files_raise_format_error(kind, main_circuit, snarkjs_keys):
    data = {"r1cs": main_circuit.r1cs, "wtns": main_circuit.wtns, "zkey": snarkjs_keys.zkey}[kind].read_bytes()
    reader = {"r1cs": read_r1cs, "wtns": read_wtns, "zkey": read_zkey}[kind]
    for bad in _corruptions(data):
        with pytest.raises(FormatError) as err:
            reader(bad)
        assert "\n" not in str(err.value) and str(err.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_byte_flips_never_crash(data, tiny_files):
    """Any single corrupted byte either still parses or raises FormatError, nothing else."""
    kind = data.draw(st.sampled_from(sorted(tiny_files)))
    blob = bytearray(tiny_files[kind][0])
    pos = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    blob[pos] ^= data.draw(st.integers(min_value=1, max_value=255))
    try:
        tiny_files[kind][1](bytes(blob))
    except FormatError:
        pass


@pytest.fixture(scope="module")
def tiny_files(tiny):
    return {"r1cs": (r1cs_to_bytes(tiny.r1cs), read_r1cs),
            "wtns": (wtns_to_bytes(tiny.witness(3, 4)), read_wtns),
            "zkey": (zkey_to_bytes(tiny.pk), read_zkey)}
