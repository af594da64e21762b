"""`zkclear export-verifier` as a drop-in for `snarkjs zkey export solidityverifier`.

Circuits made and set up by circom2 + snarkjs alone (zkclear never sees them before the key):
0, 1, 2 (the contracts conftest's `snark`) and 6 public inputs. For each, the CLI runs in a
subprocess as a user runs it, solc compiles the file it wrote, eth-tester deploys it next to
snarkjs's own exported verifier, and both get the same calls: the proof with the calldata of
`snarkjs zkey export soliditycalldata`, a tampered proof, an input + r, a wrong input, a
coordinate + q. Ours must accept exactly the valid proof and agree with snarkjs's verdicts;
the gas of both is printed (`-s`) and recorded as a property.

With 0 public inputs snarkjs's template emits `uint[0] calldata _pubSignals`, which solc
refuses ("Array with zero length specified"); ours then has no `_pubSignals` argument.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from verifier_contracts.build import Q, R, CompileError, compile_sources
from verifier_contracts.evm import call_verify, parse_soliditycalldata, proof_calldata

pytestmark = pytest.mark.slow

ZKCLEAR = Path(sys.executable).parent / "zkclear"  # the console script `pip install` made

CIRCUITS = {
    # no public signal at all
    0: ("""pragma circom 2.0.0;
template NoPublic() { signal input a; signal input b; signal c; c <== a * b; signal d; d <== c * a; }
component main = NoPublic();
""", {"a": 3, "b": 5}),
    # one public output
    1: ("""pragma circom 2.0.0;
template Product() { signal input a; signal input b; signal output c; c <== a * b; }
component main = Product();
""", {"a": 3, "b": 5}),
    # three outputs then three public inputs: public.json = [s0, s1, s2, x0, x1, x2]
    6: ("""pragma circom 2.0.0;
template Scale(n) {
    signal input x[n]; signal input k; signal output s[n];
    for (var i = 0; i < n; i++) { s[i] <== x[i] * k; }
}
component main {public [x]} = Scale(3);
""", {"x": [7, 0, 11], "k": 1234567}),
}


def zkclear(*args, cwd: Path) -> subprocess.CompletedProcess:
    assert ZKCLEAR.exists(), f"{ZKCLEAR} missing: run `make setup` (pip install -e .)"
    return subprocess.run([str(ZKCLEAR), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


@dataclass
class Case:
    n: int
    dir: Path
    vk: dict
    proof: dict
    public: list
    calldata: str  # `snarkjs zkey export soliditycalldata`
    snarkjs_sol: str  # `snarkjs zkey export solidityverifier`


def snarkjs_case(n, compile_circom, small_ptau, run_snarkjs, d: Path) -> Case:
    source, inputs = CIRCUITS[n]
    cc = compile_circom(f"pub{n}", source)
    (d / "in.json").write_text(json.dumps({k: [str(x) for x in v] if isinstance(v, list) else str(v)
                                           for k, v in inputs.items()}))
    run_snarkjs("wtns", "calculate", cc.wasm, "in.json", "w.wtns", cwd=d)
    run_snarkjs("groth16", "setup", cc.r1cs, small_ptau, "c0.zkey", cwd=d)
    run_snarkjs("zkey", "contribute", "c0.zkey", "c.zkey", "-e=export-verifier test", "--name=t", cwd=d)
    run_snarkjs("zkey", "export", "verificationkey", "c.zkey", "vk.json", cwd=d)
    run_snarkjs("groth16", "prove", "c.zkey", "w.wtns", "proof.json", "public.json", cwd=d)
    run_snarkjs("zkey", "export", "solidityverifier", "c.zkey", "SnarkjsVerifier.sol", cwd=d)
    calldata = run_snarkjs("zkey", "export", "soliditycalldata", "public.json", "proof.json", cwd=d).stdout
    vk = json.loads((d / "vk.json").read_text())
    assert vk["nPublic"] == n
    return Case(n, d, vk, json.loads((d / "proof.json").read_text()), json.loads((d / "public.json").read_text()),
                calldata, (d / "SnarkjsVerifier.sol").read_text())


@pytest.fixture(scope="module", params=[0, 1, 2, 6], ids=lambda n: f"{n}-public")
def case(request, tmp_path_factory) -> Case:
    n = request.param
    if n == 2:  # the contracts conftest's circuit: Poseidon hash out, a public limit in
        s = request.getfixturevalue("snark")
        return Case(2, s.dir, s.vk, s.proof, s.public, s.calldata, s.snarkjs_verifier_sol)
    return snarkjs_case(n, request.getfixturevalue("compile_circom"), request.getfixturevalue("small_ptau"),
                        request.getfixturevalue("run_snarkjs"), tmp_path_factory.mktemp(f"pub{n}"))


@pytest.fixture(scope="module")
def exported(case, embedded_chain):
    """(ours, snarkjs's or None) deployed on eth-tester; ours written by the CLI in a subprocess."""
    out = case.dir / "Exported.sol"
    res = zkclear("export-verifier", "--vk", case.dir / "vk.json", "--out", out, "--name", "ExportedVerifier",
                  cwd=case.dir)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"wrote {out}: contract ExportedVerifier") and res.stderr == ""
    ours = embedded_chain.deploy(compile_sources({"Exported.sol": out.read_text()})["ExportedVerifier"])
    if case.n == 0:
        with pytest.raises(CompileError, match="zero length"):
            compile_sources({"SnarkjsVerifier.sol": case.snarkjs_sol})
        return ours, None
    theirs = embedded_chain.deploy(compile_sources({"SnarkjsVerifier.sol": case.snarkjs_sol})["Groth16Verifier"])
    return ours, theirs


def verdict(contract, a, b, c, inputs):
    """True / False as verifyProof returns it (eth_call), or "revert"."""
    args = [a, b, c] + ([inputs] if inputs or _takes_inputs(contract) else [])
    try:
        return contract.functions.verifyProof(*args).call()
    except Exception:
        return "revert"


def _takes_inputs(contract) -> bool:
    return any(len(f["inputs"]) == 4 for f in contract.abi if f.get("name") == "verifyProof")


def test_abi_is_snarkjs_abi(case, exported):
    ours, theirs = exported
    (fn,) = [f for f in ours.abi if f.get("name") == "verifyProof"]
    types = [i["type"] for i in fn["inputs"]]
    assert types == ["uint256[2]", "uint256[2][2]", "uint256[2]"] + ([f"uint256[{case.n}]"] if case.n else [])
    assert fn["stateMutability"] == "view" and [o["type"] for o in fn["outputs"]] == ["bool"]
    if theirs is not None:
        (sj,) = [f for f in theirs.abi if f.get("name") == "verifyProof"]
        assert fn == sj  # same selector, argument types and names, mutability and output


def test_valid_proof_with_snarkjs_calldata(case, exported, record_property):
    ours, theirs = exported
    args = parse_soliditycalldata(case.calldata)
    assert args == proof_calldata(case.proof, case.public)
    ok, gas = call_verify(ours, *args)  # eth_call's verdict, then the transaction's gasUsed
    assert ok is True
    record_property(f"gas_ours_{case.n}_public", gas)
    line = f"[{case.n} public] verifyProof tx gasUsed: zkclear export-verifier {gas}"
    if theirs is not None:
        ok_theirs, gas_theirs = call_verify(theirs, *args)
        assert ok_theirs is True
        record_property(f"gas_snarkjs_{case.n}_public", gas_theirs)
        line += f", snarkjs {gas_theirs} ({gas - gas_theirs:+d})"
        assert gas <= gas_theirs + 500  # the same precompile work; never noticeably dearer
    print(line)


def tampered(case):
    """(label, args) of calls that must all return false."""
    a, b, c, xs = proof_calldata(case.proof, case.public)
    out = [
        ("-A (a valid point, wrong proof)", ([a[0], (Q - a[1]) % Q], b, c, xs)),
        ("C.x + 1", (a, b, [(c[0] + 1) % Q, c[1]], xs)),
        ("A and C swapped", (c, b, a, xs)),
        ("B in JSON order (c0, c1)", (a, [b[0][::-1], b[1][::-1]], c, xs)),
        ("A.y + q", (a[:1] + [a[1] + Q], b, c, xs)),
        ("B.x.c0 + q", (a, [[b[0][0], b[0][1] + Q], b[1]], c, xs)),
    ]
    for i in range(len(xs)):
        # A wrong input costs a full pairing on py-evm (~1 s): the first and the last only.
        changes = [("+ r", xs[i] + R), ("= 2^256 - 1", 2**256 - 1)]
        if i in (0, len(xs) - 1):
            changes.append(("+ 1", (xs[i] + 1) % R))
        for label, v in changes:
            bad = list(xs)
            bad[i] = v
            out.append((f"input {i} {label}", (a, b, c, bad)))
    return out


def test_rejects_tampering_like_snarkjs(case, exported):
    ours, theirs = exported
    for label, args in tampered(case):
        assert verdict(ours, *args) is False, label
        if theirs is not None:
            assert verdict(theirs, *args) is False, label


def test_input_plus_r_is_refused_before_any_precompile(case, exported):
    """x + r is the same scalar mod r (the pairing alone accepts it): refused by the range
    check, so cheaply (no ecMul/ecPairing)."""
    ours, _ = exported
    a, b, c, xs = proof_calldata(case.proof, case.public)
    for i in range(case.n):
        bad = list(xs)
        bad[i] += R
        assert ours.functions.verifyProof(a, b, c, bad).estimate_gas() < 40_000 + 1_000 * case.n


# ------------------------------------------------------------------ the command line


def test_cli_refuses_bad_names_and_keys(snark, tmp_path):
    (tmp_path / "vk.json").write_text(json.dumps(snark.vk))
    (tmp_path / "proof.json").write_text(json.dumps(snark.proof))
    (tmp_path / "broken.json").write_text("{")
    bad_ic = dict(snark.vk, IC=[snark.vk["IC"][0], [snark.vk["IC"][1][0], "5", "1"]] + snark.vk["IC"][2:])
    (tmp_path / "offcurve.json").write_text(json.dumps(bad_ic))
    cases = [
        (["--vk", "vk.json", "--name", "1Verifier"], "not a Solidity identifier"),
        (["--vk", "vk.json", "--name", "My-Verifier"], "not a Solidity identifier"),
        (["--vk", "vk.json", "--name", "contract"], "a Solidity keyword"),
        (["--vk", "missing.json"], "cannot read missing.json"),
        (["--vk", "broken.json"], "is not JSON"),
        (["--vk", "proof.json"], "not a snarkjs verification key"),
        (["--vk", "offcurve.json"], "not on the BN254 curve"),
    ]
    for args, why in cases:
        res = zkclear("export-verifier", *args, "--out", "V.sol", cwd=tmp_path)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        line = res.stderr.strip()
        assert "\n" not in line and "Traceback" not in line and why in line, (args, line)
        assert not (tmp_path / "V.sol").exists()


def test_cli_default_name_and_unsafe_marking(snark, tmp_path):
    (tmp_path / "vk.json").write_text(json.dumps(snark.vk))
    (tmp_path / "dev.json").write_text(json.dumps(dict(snark.vk, unsafe_dev_setup=True)))
    res = zkclear("export-verifier", "--vk", "vk.json", "--out", "V.sol", cwd=tmp_path)
    assert res.returncode == 0 and "contract Groth16Verifier," in res.stdout
    src = (tmp_path / "V.sol").read_text()
    assert "contract Groth16Verifier {" in src and "UNSAFE" not in src and "vk.json" in src
    res = zkclear("export-verifier", "--vk", "dev.json", "--out", "D.sol", "--name", "Dev$1", cwd=tmp_path)
    assert res.returncode == 0 and "UNSAFE" in res.stdout
    assert "// UNSAFE: this verification key comes from a development setup" in (tmp_path / "D.sol").read_text()
