"""Shared test helpers: circom2 compilation and snarkjs runs, cached across the session;
the required tools; the skip policy.

Artifacts (compiled circuits, a small prepared .ptau) are built once and cached in a folder
next to pytest's temporary roots, keyed by a hash of their inputs, so later runs (and
xdist workers) reuse them. Each is built in a private folder and renamed into place, so
concurrent workers never see half-written files.

Required, never skipped: node and the npm tools (circom2, snarkjs, circomlib, circomlibjs,
solc-js, anvil) and the native extension prover._native, all installed by `make setup`.
A test that needs one asks for the `node_tools` or `native` fixture, which FAILS with
"... missing: run `make setup`" when it is absent.

Skip policy (`pytest_runtest_*` and `pytest_make_collect_report` below, always on, CI or
not): a skip whose reason does not start with one of OPTIONAL_SKIP_PREFIXES becomes a failure
(a collection error for a module-level skip). Only what is optional by design may skip, and it
says so: `pytest.skip("optional: rapidsnark not given (ZKCLEAR_RAPIDSNARK)")`. So a missing
tool, an unbuilt extension or a stale "not written yet" guard can never make the suite pass
by skipping; `-ra` (pyproject addopts) lists every skip and failure at the end.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
CIRCOM_JS = NODE_MODULES / "circom2" / "cli.js"
SNARKJS_JS = NODE_MODULES / "snarkjs" / "build" / "cli.cjs"
CIRCOMLIB = NODE_MODULES / "circomlib" / "circuits"
CACHE_VERSION = "1"

# What `make setup` installs and the tests need: name -> path under node_modules.
NODE_TOOLS = {
    "circom2": CIRCOM_JS,
    "snarkjs": SNARKJS_JS,
    "circomlib": CIRCOMLIB,
    "circomlibjs": NODE_MODULES / "circomlibjs",
    "solc": NODE_MODULES / "solc" / "soljson.js",
    "anvil": NODE_MODULES / ".bin" / "anvil",
    "@openzeppelin/contracts": NODE_MODULES / "@openzeppelin" / "contracts",
}
NATIVE_FUNCTIONS = ("groth16_prove", "groth16_prove_file", "groth16_setup", "groth16_setup_file", "groth16_setup_ptau", "pairing_check", "g1_msm", "g2_msm",
                    "fr_ntt", "fr_coset_ntt", "fr_odd_coset", "fr_odd_coset_bench", "poseidon_hash", "poseidon_hash_many", "poseidon_register",
                    "eddsa_poseidon_verify", "eddsa_poseidon_verify_many")

# The only skips allowed: things optional by design, whose reason says so.
OPTIONAL_SKIP_PREFIXES = ("optional: ",)


def missing_node_tools() -> list[str]:
    missing = [] if shutil.which("node") else ["node"]
    return missing + [name for name, path in NODE_TOOLS.items() if not path.exists()]


def require_node_tools() -> None:
    """Fail (never skip) the calling test when a required node tool is missing."""
    missing = missing_node_tools()
    if missing:
        pytest.fail(f"node tools missing ({', '.join(missing)}): run `make setup` (npm ci)", pytrace=False)


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """node_modules, after checking every required tool is there (fails, never skips)."""
    require_node_tools()
    return NODE_MODULES


@pytest.fixture(scope="session")
def native():
    """prover._native with every function the project uses (fails, never skips)."""
    try:
        from prover import _native
    except ImportError as exc:
        pytest.fail(f"prover._native is not built ({exc}): run `make setup` (maturin)", pytrace=False)
    absent = [f for f in NATIVE_FUNCTIONS if not hasattr(_native, f)]
    if absent:
        pytest.fail(f"prover._native lacks {', '.join(absent)}: rebuild it with `make setup`", pytrace=False)
    return _native


# ------------------------------------------------------------------ skip policy


def _unexpected_skip(reason: str) -> str | None:
    """The failure message for a skip that is not optional by design, else None."""
    reason = reason.removeprefix("Skipped: ").strip()
    if reason.startswith(OPTIONAL_SKIP_PREFIXES):
        return None
    return (f"unexpected skip: {reason!r}. Only skips whose reason starts with {OPTIONAL_SKIP_PREFIXES} are "
            f"allowed (tests/conftest.py); required tools and the project's own modules must be present "
            f"(run `make setup`)")


def _skip_to_failure():
    try:
        return (yield)
    except pytest.skip.Exception as exc:
        message = _unexpected_skip(str(exc.msg))
        if message is None:
            raise
    pytest.fail(message, pytrace=False)  # outside the except: no "during handling" chain


# skipif/skip marks and pytest.skip() in fixtures raise during setup; pytest.skip() in a test
# body during the call.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _skip_to_failure())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _skip_to_failure())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _skip_to_failure())


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module-level skip (pytest.importorskip, pytest.skip(allow_module_level=True))."""
    report = yield
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        message = _unexpected_skip(reason)
        if message is not None:
            report.outcome = "failed"
            report.longrepr = message
    return report


def run_tool(cmd: list, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{[str(c) for c in cmd[:4]]} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def snarkjs(*args, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `snarkjs ARGS...` (node_modules copy)."""
    return run_tool(["node", SNARKJS_JS, *args], cwd=cwd, check=check)


class ArtifactCache:
    """Content-addressed build folders: `get(key, build)` runs build(dir) once per key."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def get(self, key: str, build) -> Path:
        digest = hashlib.sha256(f"{CACHE_VERSION}\n{key}".encode()).hexdigest()[:20]
        final = self.root / digest
        if (final / ".done").exists():
            return final
        work = self.root / f".{digest}.{uuid.uuid4().hex}"
        work.mkdir()
        try:
            build(work)
            (work / ".done").write_text("ok")
            try:
                os.rename(work, final)
            except OSError:  # another worker won the race
                shutil.rmtree(work, ignore_errors=True)
        finally:
            if work.exists() and not (final / ".done").exists():
                shutil.rmtree(work, ignore_errors=True)
        return final


@pytest.fixture(scope="session")
def artifact_cache(tmp_path_factory) -> ArtifactCache:
    root = os.environ.get("ZKCLEAR_TEST_CACHE")
    base = Path(root) if root else tmp_path_factory.getbasetemp().parent / "zkclear-artifacts"
    return ArtifactCache(base)


@dataclass
class CompiledCircom:
    dir: Path
    name: str

    @property
    def r1cs(self) -> Path:
        return self.dir / f"{self.name}.r1cs"

    @property
    def sym(self) -> Path:
        return self.dir / f"{self.name}.sym"

    @property
    def wasm(self) -> Path:
        return self.dir / f"{self.name}_js" / f"{self.name}.wasm"

    def witness(self, inputs: dict, out: Path) -> Path:
        """Run circom's JS witness calculator on `inputs`, writing a .wtns at `out`."""
        inp = out.with_suffix(".input.json")
        inp.write_text(json.dumps({k: str(v) if not isinstance(v, list) else [str(x) for x in v]
                                   for k, v in inputs.items()}))
        run_tool(["node", self.dir / f"{self.name}_js" / "generate_witness.js", self.wasm, inp, out])
        return out


@pytest.fixture(scope="session")
def compile_circom(artifact_cache):
    """compile_circom(name, source) -> CompiledCircom: circom2 --r1cs --wasm --sym, cached."""
    require_node_tools()

    def compile_(name: str, source: str) -> CompiledCircom:
        def build(d: Path):
            # circom2 runs under WASI with only its working folder preopened, so circomlib is
            # copied next to the circuit and included by a relative path.
            shutil.copytree(CIRCOMLIB, d / "lib")
            (d / f"{name}.circom").write_text(source)
            run_tool(["node", CIRCOM_JS, f"{name}.circom", "--r1cs", "--wasm", "--sym", "-l", "lib", "-o", "."], cwd=d)
            shutil.rmtree(d / "lib")
        return CompiledCircom(artifact_cache.get(f"circom\n{name}\n{source}", build), name)

    return compile_


@pytest.fixture(scope="session")
def small_ptau(artifact_cache) -> Path:
    """A prepared (phase-2 ready) powers-of-tau file of power 10 (circuits up to 1024 rows)."""
    require_node_tools()

    def build(d: Path):
        snarkjs("powersoftau", "new", "bn128", "10", "p0.ptau", cwd=d)
        snarkjs("powersoftau", "contribute", "p0.ptau", "p1.ptau", "-e=zkclear test tau", "--name=t", cwd=d)
        snarkjs("powersoftau", "prepare", "phase2", "p1.ptau", "pot10.ptau", cwd=d)
        (d / "p0.ptau").unlink()
        (d / "p1.ptau").unlink()
    return artifact_cache.get("ptau 10", build) / "pot10.ptau"


@pytest.fixture(scope="session")
def run_snarkjs():
    """run_snarkjs(*args, cwd=None, check=True) -> CompletedProcess; fails without node tools."""
    require_node_tools()
    return snarkjs


@pytest.fixture(scope="session")
def tiny_options_prover(tmp_path_factory, circuit_cache):
    """One TINY_OPTIONS batch prover (its circuit and development key made once a session),
    shared by the tests that prove options batches."""
    from sequencer.proving import BatchProver

    return BatchProver("tiny-options", tmp_path_factory.mktemp("tiny-options-keys"))


@pytest.fixture(scope="session", autouse=True)
def circuit_cache(tmp_path_factory):
    """Compiled circuits built through `registry.build_cached` (BatchProver, the scenario, the
    service) are cached beside the other test artifacts, not in ~/.cache/zkclear, unless
    ZKCLEAR_CIRCUIT_CACHE names a folder (worker processes inherit the variable)."""
    if not os.environ.get("ZKCLEAR_CIRCUIT_CACHE"):
        os.environ["ZKCLEAR_CIRCUIT_CACHE"] = str(tmp_path_factory.getbasetemp().parent / "zkclear-circuits")
    return Path(os.environ["ZKCLEAR_CIRCUIT_CACHE"])
