"""Shared test helpers: circom2 compilation and snarkjs runs, cached across the session.

Artifacts (compiled circuits, a small prepared .ptau) are built once and cached in a folder
next to pytest's temporary roots, keyed by a hash of their inputs, so later runs (and
xdist workers) reuse them. Each is built in a private folder and renamed into place, so
concurrent workers never see half-written files.
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


def have_node_tools() -> bool:
    return shutil.which("node") is not None and CIRCOM_JS.exists() and SNARKJS_JS.exists()


needs_node = pytest.mark.skipif(not have_node_tools(), reason="node tools missing (run `npm ci`)")


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
    if not have_node_tools():
        pytest.skip("node tools missing (run `npm ci`)")

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
    if not have_node_tools():
        pytest.skip("node tools missing (run `npm ci`)")

    def build(d: Path):
        snarkjs("powersoftau", "new", "bn128", "10", "p0.ptau", cwd=d)
        snarkjs("powersoftau", "contribute", "p0.ptau", "p1.ptau", "-e=zkclear test tau", "--name=t", cwd=d)
        snarkjs("powersoftau", "prepare", "phase2", "p1.ptau", "pot10.ptau", cwd=d)
        (d / "p0.ptau").unlink()
        (d / "p1.ptau").unlink()
    return artifact_cache.get("ptau 10", build) / "pot10.ptau"


@pytest.fixture(scope="session")
def run_snarkjs():
    """run_snarkjs(*args, cwd=None, check=True) -> CompletedProcess; skips without node tools."""
    if not have_node_tools():
        pytest.skip("node tools missing (run `npm ci`)")
    return snarkjs
