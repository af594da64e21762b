"""Fixtures for the prover tests: circuits, keys, and the backend every prover test runs on.

`backend` is parametrized over python and native (STYLE.md section 4): each test that takes
it runs once per backend; native is skipped until prover._native exports the Groth16 ABI.
"""
from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from prover.backends import get_backend
from prover.formats.r1cs import R1CS
from prover.field import R
from prover.groth16.setup import ToxicWaste, dev_setup

# A circuit with circomlib templates: a Poseidon hash chain and a comparator; 3 public signals.
MAIN_CIRCUIT = """pragma circom 2.0.0;
include "poseidon.circom";
include "comparators.circom";
template Main() {
    signal input a;
    signal input b;
    signal input bound;
    signal output h;
    signal output lt;
    component p1 = Poseidon(2);
    p1.inputs[0] <== a;
    p1.inputs[1] <== b;
    component p2 = Poseidon(1);
    p2.inputs[0] <== p1.out;
    h <== p2.out;
    component c = LessThan(32);
    c.in[0] <== a;
    c.in[1] <== bound;
    lt <== c.out;
}
component main {public [bound]} = Main();
"""
MAIN_INPUT = {"a": 5, "b": 7, "bound": 100}

# Another circuit with the same public shape (2 outputs, 1 public input): its proofs must not
# verify under MAIN's key.
OTHER_CIRCUIT = """pragma circom 2.0.0;
include "poseidon.circom";
template Other() {
    signal input a;
    signal input b;
    signal input bound;
    signal output h;
    signal output lt;
    component p = Poseidon(3);
    p.inputs[0] <== a;
    p.inputs[1] <== b;
    p.inputs[2] <== bound;
    h <== p.out;
    lt <== a * b;
}
component main {public [bound]} = Other();
"""


@dataclass
class Tiny:
    """x * y = z, z * z = out (+ a linear row x + y = s): wires [1, out, x, y, z, s], out public."""
    r1cs: R1CS
    toxic: ToxicWaste

    @staticmethod
    def witness(x: int, y: int) -> list[int]:
        z = x * y % R
        return [1, z * z % R, x % R, y % R, z, (x + y) % R]

    @functools.cached_property
    def pk(self):
        return dev_setup(self.r1cs, self.toxic)


@pytest.fixture(scope="session")
def tiny() -> Tiny:
    r1cs = R1CS(n_wires=6, n_pub_out=1, n_pub_in=0, n_prv_in=2,
                constraints=[({2: 1}, {3: 1}, {4: 1}), ({4: 1}, {4: 1}, {1: 1}),
                             ({2: 1, 3: 1}, {0: 1}, {5: 1})])
    return Tiny(r1cs, ToxicWaste(tau=11, alpha=22, beta=33, gamma=44, delta=55))


@pytest.fixture(params=["python", "native"])
def backend(request):
    if request.param == "native":
        request.getfixturevalue("native")  # required (make setup): fails, never skips
    return get_backend(request.param)


@dataclass
class CircuitCase:
    r1cs: Path
    wtns: Path
    dir: Path


@pytest.fixture(scope="session")
def main_circuit(compile_circom, tmp_path_factory) -> CircuitCase:
    c = compile_circom("main", MAIN_CIRCUIT)
    d = tmp_path_factory.mktemp("main")
    return CircuitCase(c.r1cs, c.witness(MAIN_INPUT, d / "main.wtns"), d)


@pytest.fixture(scope="session")
def other_circuit(compile_circom, tmp_path_factory) -> CircuitCase:
    c = compile_circom("other", OTHER_CIRCUIT)
    d = tmp_path_factory.mktemp("other")
    return CircuitCase(c.r1cs, c.witness(MAIN_INPUT, d / "other.wtns"), d)


@dataclass
class SnarkjsKeys:
    zkey0: Path   # `snarkjs groth16 setup` (no contribution yet)
    zkey: Path    # after one `snarkjs zkey contribute`
    vk: Path


@pytest.fixture(scope="session")
def snarkjs_keys(main_circuit, small_ptau, run_snarkjs, artifact_cache) -> SnarkjsKeys:
    def build(d: Path):
        run_snarkjs("groth16", "setup", main_circuit.r1cs, small_ptau, d / "c0.zkey")
        run_snarkjs("zkey", "contribute", d / "c0.zkey", d / "c.zkey", "-e=zkclear test delta", "--name=t")
        run_snarkjs("zkey", "export", "verificationkey", d / "c.zkey", d / "vk.json")
    digest = hashlib.sha256(main_circuit.r1cs.read_bytes() + small_ptau.read_bytes()).hexdigest()
    d = artifact_cache.get(f"snarkjs keys\n{digest}", build)
    return SnarkjsKeys(d / "c0.zkey", d / "c.zkey", d / "vk.json")


@pytest.fixture(scope="session")
def rng():
    return random.Random(20240601)


@pytest.fixture(params=[True, False], ids=["lanes", "scalar"])
def lanes(request):
    """Run the test with the native kernels' IFMA lanes on, then off (prover/native/src/lanes.rs,
    fft_lanes.rs); the process's switch is restored after. Without IFMA the lanes variant is
    reported skipped: it would only run the scalar code a second time."""
    from prover import _native as native
    from prover_helpers import cpu_has_ifma
    if request.param and not cpu_has_ifma():
        pytest.skip("optional: this CPU has no AVX-512 IFMA, so the scalar kernels are all there is")
    before = native.lane_kernels()
    assert native.lane_kernels(request.param) is request.param
    yield request.param
    native.lane_kernels(before)
