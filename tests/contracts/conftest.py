"""Fixtures for the verifier contract tests.

- ``snark``: a small circom circuit (Poseidon(2) of two private inputs, published as an
  output, plus LessThan(64) against a public limit) compiled with circom2, a snarkjs
  powers-of-tau (2^10) + Groth16 setup with one phase-2 contribution, and one proof.
  Built once per session in a temporary folder.
- ``embedded_chain`` (eth-tester/py-evm) and ``anvil_chain`` (an anvil node started
  on a free loopback port); ``deployed(name)`` deploys both verifiers on one of them.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from verifier_contracts.build import NODE_MODULES, compile_sources, compile_verifier
from verifier_contracts.evm import Chain

CIRCUIT = """pragma circom 2.0.0;
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";

// h = Poseidon(a, b) is public (an output); a < limit, limit public.
template HashBelow() {
    signal input a;
    signal input b;
    signal input limit;
    signal output h;
    component hash = Poseidon(2);
    hash.inputs[0] <== a;
    hash.inputs[1] <== b;
    h <== hash.out;
    component lt = LessThan(64);
    lt.in[0] <== a;
    lt.in[1] <== limit;
    lt.out === 1;
}
component main {public [limit]} = HashBelow();
"""



@dataclass
class Snark:
    dir: Path
    vk: dict
    proof: dict
    public: list[str]
    calldata: str  # `snarkjs zkey export soliditycalldata`
    snarkjs_verifier_sol: str  # `snarkjs zkey export solidityverifier`


def _run(cmd: list, cwd: Path) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


@pytest.fixture(scope="session")
def snark(tmp_path_factory, node_tools) -> Snark:
    d = tmp_path_factory.mktemp("snark")
    # circom2 runs as WASI with the working folder preopened: it cannot follow paths
    # outside it, so the circomlib sources are copied next to the circuit.
    shutil.copytree(NODE_MODULES / "circomlib" / "circuits", d / "lib" / "circomlib" / "circuits")
    (d / "c.circom").write_text(CIRCUIT)
    _run(["node", NODE_MODULES / "circom2" / "cli.js", "c.circom", "--r1cs", "--wasm", "-l", "lib", "-o", "."], d)
    sj = ["node", NODE_MODULES / "snarkjs" / "build" / "cli.cjs"]
    _run(sj + ["powersoftau", "new", "bn128", "10", "pot0.ptau"], d)
    _run(sj + ["powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "-e=zkclear test tau", "--name=t"], d)
    _run(sj + ["powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau"], d)
    _run(sj + ["groth16", "setup", "c.r1cs", "pot.ptau", "c0.zkey"], d)
    _run(sj + ["zkey", "contribute", "c0.zkey", "c.zkey", "-e=zkclear test delta", "--name=t"], d)
    _run(sj + ["zkey", "export", "verificationkey", "c.zkey", "vk.json"], d)
    (d / "in.json").write_text(json.dumps({"a": "123456789", "b": "42", "limit": "1000000000"}))
    _run(sj + ["wtns", "calculate", "c_js/c.wasm", "in.json", "w.wtns"], d)
    _run(sj + ["groth16", "prove", "c.zkey", "w.wtns", "proof.json", "public.json"], d)
    _run(sj + ["groth16", "verify", "vk.json", "public.json", "proof.json"], d)
    _run(sj + ["zkey", "export", "solidityverifier", "c.zkey", "SnarkjsVerifier.sol"], d)
    calldata = _run(sj + ["zkey", "export", "soliditycalldata", "public.json", "proof.json"], d)
    return Snark(
        dir=d,
        vk=json.loads((d / "vk.json").read_text()),
        proof=json.loads((d / "proof.json").read_text()),
        public=json.loads((d / "public.json").read_text()),
        calldata=calldata,
        snarkjs_verifier_sol=(d / "SnarkjsVerifier.sol").read_text(),
    )


@pytest.fixture(scope="session")
def verifier_artifact(snark) -> dict:
    """Our rendered verifier for the test circuit's key."""
    return compile_verifier(snark.vk)


@pytest.fixture(scope="session")
def snarkjs_artifact(snark) -> dict:
    """snarkjs's own exported verifier for the same key (contract Groth16Verifier)."""
    return compile_sources({"SnarkjsVerifier.sol": snark.snarkjs_verifier_sol})["Groth16Verifier"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def anvil_url(node_tools):
    port = _free_port()
    proc = subprocess.Popen(
        [str(NODE_MODULES / ".bin" / "anvil"), "--host", "127.0.0.1", "--port", str(port), "--silent",
         "--gas-limit", "60000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"anvil did not start: {proc.stderr.read().decode()[-1000:]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def embedded_chain() -> Chain:
    return Chain.embedded()


@pytest.fixture(scope="session")
def anvil_chain(anvil_url) -> Chain:
    return Chain.connect(anvil_url)


@pytest.fixture(scope="session")
def deployed(snark, verifier_artifact, snarkjs_artifact, request):
    """``{chain_name: (chain, ours, snarkjs's)}``, deployed lazily per chain."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            ch = request.getfixturevalue("embedded_chain" if name == "eth-tester" else "anvil_chain")
            cache[name] = (ch, ch.deploy(verifier_artifact), ch.deploy(snarkjs_artifact))
        return cache[name]

    return get
