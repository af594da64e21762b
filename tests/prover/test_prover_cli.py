"""The zkclear CLI end to end, and interop with snarkjs in both directions.

Interop: a .zkey from `snarkjs groth16 setup` proves with `zkclear prove` and `snarkjs groth16
verify` accepts; a .zkey from `zkclear setup` proves with `snarkjs groth16 prove` and
`zkclear verify` accepts. Soundness: a changed proof element, public input or circuit -> exit 1.
Unreadable input -> exit 2 with a one-line reason.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prover.field import Q, R
from prover.formats.snarkjs_json import read_vk
from prover.formats.zkey import read_zkey
from prover.groth16 import curve
from sequencer.cli import main

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ["python", "native"]  # native is required (make setup): no silent drop
pytestmark = pytest.mark.slow


def zkclear(*args) -> subprocess.CompletedProcess:
    """The zkclear CLI in a subprocess, as scripts run it."""
    return subprocess.run([sys.executable, "-c", "import sys; from sequencer.cli import main; sys.exit(main())",
                           *map(str, args)], capture_output=True, text=True, cwd=REPO)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(text: str) -> bool:
    return text.strip() != "" and "\n" not in text.strip() and "Traceback" not in text


@pytest.fixture(scope="module")
def proved(main_circuit, snarkjs_keys, tmp_path_factory, run_snarkjs):
    """A snarkjs key, a zkclear proof with it (python backend) and snarkjs's own proof."""
    d = tmp_path_factory.mktemp("proved")
    assert main(["prove", "--zkey", str(snarkjs_keys.zkey), "--wtns", str(main_circuit.wtns),
                 "--proof", str(d / "proof.json"), "--public", str(d / "public.json"), "--backend", "python"]) == 0
    run_snarkjs("groth16", "prove", snarkjs_keys.zkey, main_circuit.wtns, d / "sj_proof.json", d / "sj_public.json")
    return d


@pytest.mark.parametrize("backend", BACKENDS)
def test_snarkjs_key_zkclear_proof_snarkjs_verifies(backend, main_circuit, snarkjs_keys, tmp_path, run_snarkjs,
                                                    capsys):
    code, out, _ = run(capsys, "prove", "--zkey", snarkjs_keys.zkey, "--wtns", main_circuit.wtns,
                       "--proof", tmp_path / "p.json", "--public", tmp_path / "pub.json", "--backend", backend)
    assert code == 0 and one_line(out)
    res = run_snarkjs("groth16", "verify", snarkjs_keys.vk, tmp_path / "pub.json", tmp_path / "p.json")
    assert "OK" in res.stdout
    assert json.loads((tmp_path / "pub.json").read_text())[1:] == ["1", "100"]
    code, out, _ = run(capsys, "verify", "--vk", snarkjs_keys.vk, "--proof", tmp_path / "p.json",
                       "--public", tmp_path / "pub.json")
    assert code == 0 and one_line(out)


def test_zkclear_verifies_snarkjs_proof(proved, snarkjs_keys, capsys):
    code, out, _ = run(capsys, "verify", "--vk", snarkjs_keys.vk, "--proof", proved / "sj_proof.json",
                       "--public", proved / "sj_public.json")
    assert code == 0, out


@pytest.mark.parametrize("backend", BACKENDS)
def test_zkclear_ptau_setup_snarkjs_proves(backend, main_circuit, small_ptau, tmp_path, run_snarkjs, capsys):
    code, out, _ = run(capsys, "setup", "--r1cs", main_circuit.r1cs, "--ptau", small_ptau,
                       "--zkey", tmp_path / "c.zkey", "--vk", tmp_path / "vk.json", "--backend", backend)
    assert code == 0 and one_line(out)
    assert not read_vk(tmp_path / "vk.json").unsafe_dev_setup
    run_snarkjs("groth16", "prove", tmp_path / "c.zkey", main_circuit.wtns, tmp_path / "p.json", tmp_path / "pub.json")
    code, out, _ = run(capsys, "verify", "--vk", tmp_path / "vk.json", "--proof", tmp_path / "p.json",
                       "--public", tmp_path / "pub.json")
    assert code == 0, out
    # snarkjs's exported key equals ours, and snarkjs accepts the proof too
    run_snarkjs("zkey", "export", "verificationkey", tmp_path / "c.zkey", tmp_path / "sj_vk.json")
    assert read_vk(tmp_path / "sj_vk.json") == read_vk(tmp_path / "vk.json")
    assert json.loads((tmp_path / "sj_vk.json").read_text()) == json.loads((tmp_path / "vk.json").read_text())
    assert "ZKey Ok!" in run_snarkjs("zkey", "verify", main_circuit.r1cs, small_ptau, tmp_path / "c.zkey").stdout
    assert "OK" in run_snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "pub.json",
                               tmp_path / "p.json").stdout


def test_dev_setup_cli_is_marked_and_works(main_circuit, tmp_path, run_snarkjs, capsys):
    code, out, err = run(capsys, "setup", "--r1cs", main_circuit.r1cs, "--dev-unsafe", "--zkey", tmp_path / "d.zkey",
                         "--vk", tmp_path / "vk.json", "--backend", "python")
    assert code == 0 and "UNSAFE" in err and "UNSAFE" in out
    assert json.loads((tmp_path / "vk.json").read_text())["unsafe_dev_setup"] is True
    assert read_zkey(tmp_path / "d.zkey").unsafe_dev_setup
    run(capsys, "export-vk", "--zkey", tmp_path / "d.zkey", "--vk", tmp_path / "vk2.json")
    assert read_vk(tmp_path / "vk2.json") == read_vk(tmp_path / "vk.json")
    run_snarkjs("groth16", "prove", tmp_path / "d.zkey", main_circuit.wtns, tmp_path / "p.json", tmp_path / "pub.json")
    code, out, _ = run(capsys, "verify", "--vk", tmp_path / "vk.json", "--proof", tmp_path / "p.json",
                       "--public", tmp_path / "pub.json")
    assert code == 0 and "UNSAFE" in out


def _tamper(proof: dict, what: str) -> dict:
    p = json.loads(json.dumps(proof))
    if what == "a_off_curve":
        p["pi_a"][0] = str((int(p["pi_a"][0]) + 1) % Q)
    elif what == "a_other_point":  # a valid curve point, just the wrong one
        x, y = int(p["pi_a"][0]), int(p["pi_a"][1])
        a2 = curve.G1.to_affine(curve.g1_double((x, y, 1)))
        p["pi_a"] = [str(a2[0]), str(a2[1]), "1"]
    elif what == "a_negated":
        p["pi_a"][1] = str(Q - int(p["pi_a"][1]))
    elif what == "b_swapped":
        p["pi_b"][0] = p["pi_b"][0][::-1]
    elif what == "b_negated":
        p["pi_b"][1] = [str((Q - int(c)) % Q) for c in p["pi_b"][1]]
    elif what == "c_other_point":
        x, y = int(p["pi_c"][0]), int(p["pi_c"][1])
        c2 = curve.G1.to_affine(curve.g1_madd((x, y, 1), curve.G1_GEN))
        p["pi_c"] = [str(c2[0]), str(c2[1]), "1"]
    elif what == "c_infinity":
        p["pi_c"] = ["0", "1", "0"]
    return p


@pytest.mark.parametrize("what", ["a_off_curve", "a_other_point", "a_negated", "b_swapped", "b_negated",
                                  "c_other_point", "c_infinity"])
def test_tampered_proof_rejected(what, proved, snarkjs_keys, tmp_path, capsys):
    proof = json.loads((proved / "proof.json").read_text())
    (tmp_path / "p.json").write_text(json.dumps(_tamper(proof, what)))
    code, _, err = run(capsys, "verify", "--vk", snarkjs_keys.vk, "--proof", tmp_path / "p.json",
                       "--public", proved / "public.json")
    assert code == 1 and one_line(err) and "INVALID" in err


@pytest.mark.parametrize("change", ["first", "last", "plus_r", "drop", "extra"])
def test_changed_public_input_rejected(change, proved, snarkjs_keys, tmp_path, capsys):
    public = json.loads((proved / "public.json").read_text())
    if change == "first":
        public[0] = str(int(public[0]) + 1)
    elif change == "last":
        public[-1] = "101"
    elif change == "plus_r":  # the same value mod r: not a field element, rejected like snarkjs
        public[0] = str(int(public[0]) + R)
    elif change == "drop":
        public = public[:-1]
    else:
        public.append("0")
    (tmp_path / "pub.json").write_text(json.dumps(public))
    code, _, err = run(capsys, "verify", "--vk", snarkjs_keys.vk, "--proof", proved / "proof.json",
                       "--public", tmp_path / "pub.json")
    assert code == 1 and one_line(err)


def test_proof_for_another_circuit_rejected(other_circuit, small_ptau, proved, snarkjs_keys, tmp_path, capsys):
    assert run(capsys, "setup", "--r1cs", other_circuit.r1cs, "--dev-unsafe", "--zkey", tmp_path / "o.zkey",
               "--backend", "python")[0] == 0
    assert run(capsys, "prove", "--zkey", tmp_path / "o.zkey", "--wtns", other_circuit.wtns,
               "--proof", tmp_path / "p.json", "--public", tmp_path / "pub.json", "--backend", "python")[0] == 0
    code, _, err = run(capsys, "verify", "--vk", snarkjs_keys.vk, "--proof", tmp_path / "p.json",
                       "--public", tmp_path / "pub.json")
    assert code == 1 and one_line(err)


def test_unreadable_inputs_exit_2(proved, snarkjs_keys, main_circuit, tmp_path, capsys):
    good = {"vk": snarkjs_keys.vk, "proof": proved / "proof.json", "public": proved / "public.json"}
    bad_files = {
        "missing": tmp_path / "nope.json",
        "truncated": tmp_path / "trunc.json",
        "not_json": tmp_path / "garbage.json",
        "wrong_shape": tmp_path / "shape.json",
    }
    bad_files["not_json"].write_bytes(b"\x00\xff garbage")
    bad_files["wrong_shape"].write_text('{"hello": 1}')
    for which in good:
        bad_files["truncated"].write_text(good[which].read_text()[:50])
        for bad in bad_files.values():
            args = dict(good, **{which: bad})
            code, _, err = run(capsys, "verify", "--vk", args["vk"], "--proof", args["proof"], "--public", args["public"])
            assert code == 2, (which, bad.name, err)
            assert one_line(err), err
    # prove: truncated zkey, truncated witness, witness of another size
    zk = tmp_path / "t.zkey"
    zk.write_bytes(snarkjs_keys.zkey.read_bytes()[:5000])
    wt = tmp_path / "t.wtns"
    wt.write_bytes(main_circuit.wtns.read_bytes()[:-7])
    for zkey, wtns in ((zk, main_circuit.wtns), (snarkjs_keys.zkey, wt), (tmp_path / "none.zkey", main_circuit.wtns)):
        code, _, err = run(capsys, "prove", "--zkey", zkey, "--wtns", wtns, "--proof", tmp_path / "p.json",
                           "--public", tmp_path / "q.json", "--backend", "python")
        assert code == 2 and one_line(err), err
    # setup: a truncated r1cs, a ptau too small
    r1 = tmp_path / "t.r1cs"
    r1.write_bytes(main_circuit.r1cs.read_bytes()[:-3])
    code, _, err = run(capsys, "setup", "--r1cs", r1, "--dev-unsafe", "--zkey", tmp_path / "x.zkey")
    assert code == 2 and one_line(err)


def test_cli_subprocess_exit_codes(proved, snarkjs_keys, tmp_path):
    """The real entry point, in a subprocess, as scripts call it."""
    ok = zkclear("verify", "--vk", snarkjs_keys.vk, "--proof", proved / "proof.json", "--public", proved / "public.json")
    assert ok.returncode == 0 and one_line(ok.stdout)
    shutil.copy(proved / "public.json", tmp_path / "pub.json")
    (tmp_path / "pub.json").write_text('["1", "1", "1"]')
    bad = zkclear("verify", "--vk", snarkjs_keys.vk, "--proof", proved / "proof.json", "--public", tmp_path / "pub.json")
    assert bad.returncode == 1 and one_line(bad.stderr)
