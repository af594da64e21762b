"""circomlib as the reference: compile a template with circom2 --O2, compute its witness with
circom's wasm calculator, and keep the measured constraint counts in a committed table
(`circomlib_counts.json`) so `zkclear circuit stats` works without Node.

circom2 runs as WASI with its working folder preopened and cannot follow paths outside it,
so each build folder gets its own copy of circomlib's circuits.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
CIRCOMLIB = NODE_MODULES / "circomlib" / "circuits"
COUNTS_TABLE = Path(__file__).with_name("circomlib_counts.json")


def have_node_tools() -> bool:
    return (shutil.which("node") is not None and (NODE_MODULES / "circom2" / "cli.js").exists()
            and (NODE_MODULES / "snarkjs" / "build" / "cli.cjs").exists() and CIRCOMLIB.exists())


def snarkjs_cmd() -> list[str]:
    return ["node", str(NODE_MODULES / "snarkjs" / "build" / "cli.cjs")]


@dataclass
class CircomBuild:
    dir: Path
    name: str
    constraints: int
    r1cs: Path
    wasm: Path


def circom_source(include: str, instantiation: str, public: tuple[str, ...] = ()) -> str:
    pub = f" {{public [{', '.join(public)}]}}" if public else ""
    return (f'pragma circom 2.0.0;\ninclude "circomlib/circuits/{include}";\n'
            f"component main{pub} = {instantiation};\n")


def _run(cmd: list, cwd: Path) -> str:
    proc = subprocess.run([str(x) for x in cmd], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:3]))} failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    return proc.stdout + proc.stderr


def compile_template(include: str, instantiation: str, workdir: Path | None = None,
                     name: str = "c") -> CircomBuild:
    """Compile `component main = instantiation` with circom2 --O2 (r1cs, wasm)."""
    d = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="zkclear-circom-"))
    d.mkdir(parents=True, exist_ok=True)
    lib = d / "lib" / "circomlib" / "circuits"
    if not lib.exists():
        shutil.copytree(CIRCOMLIB, lib)
    (d / f"{name}.circom").write_text(circom_source(include, instantiation))
    out = _run(["node", NODE_MODULES / "circom2" / "cli.js", f"{name}.circom", "--O2", "--r1cs", "--wasm",
                "-l", "lib", "-o", "."], d)
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    nl = int(re.search(r"non-linear constraints: (\d+)", out).group(1))
    lin = int(re.search(r"(?<!non-)linear constraints: (\d+)", out).group(1))
    return CircomBuild(d, name, nl + lin, d / f"{name}.r1cs", d / f"{name}_js" / f"{name}.wasm")


def circom_witness(build: CircomBuild, inputs: dict) -> list[int]:
    """The witness circom's wasm calculator computes for `inputs` (wire order)."""
    d = build.dir
    (d / "input.json").write_text(json.dumps(inputs))
    _run(["node", d / f"{build.name}_js" / "generate_witness.js", build.wasm, "input.json", "w.wtns"], d)
    _run(snarkjs_cmd() + ["wtns", "export", "json", "w.wtns", "w.json"], d)
    return [int(x) for x in json.loads((d / "w.json").read_text())]


def cached_counts() -> dict[str, int]:
    """The committed table: circuit label (e.g. "poseidon(n=2)") -> circomlib --O2 constraints."""
    if COUNTS_TABLE.exists():
        return json.loads(COUNTS_TABLE.read_text())
    return {}
