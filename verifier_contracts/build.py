"""Render the Groth16 verifier and compile Solidity sources into artifacts.

- ``render_verifier(vk_json)`` fills ``src/Groth16Verifier.sol.tmpl`` from a snarkjs
  ``verification_key.json`` (a dict, a JSON string or a path).
- ``compile_sources(sources)`` runs solc-js (``node`` + ``node_modules/solc``) on a
  standard-JSON input, optimizer on, and returns ``{contract: artifact}``.
- ``build(...)`` writes one ``artifacts/<Contract>.json`` (ABI + bytecode) per contract.

Node is a build tool only: the committed artifacts are enough to deploy from Python
(``verifier_contracts.evm``).

    python -m verifier_contracts.build                       # compile src/*.sol
    python -m verifier_contracts.build --vk verification_key.json [--name Groth16Verifier]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

PACKAGE_DIR = Path(__file__).resolve().parent
SRC_DIR = PACKAGE_DIR / "src"
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"
REPO_ROOT = PACKAGE_DIR.parent
NODE_MODULES = REPO_ROOT / "node_modules"
TEMPLATE = SRC_DIR / "Groth16Verifier.sol.tmpl"

SOLC_VERSION = "0.8.37"
OPTIMIZER_RUNS = 200
EVM_VERSION = "cancun"

# BN254 scalar field order r and base field modulus q.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

UNSAFE_BANNER = (
    "UNSAFE: this verification key comes from a development setup from local randomness; "
    "never deploy it where value is at stake."
)


# Solidity keywords and reserved words: not usable as a contract name.
SOLIDITY_RESERVED = frozenset("""
    abstract after alias apply auto byte case catch constant constructor contract copyof default define
    delete do else emit enum error event external fallback false final for function global if immutable
    implements import in indexed inline interface internal is let library macro mapping match memory
    modifier mutable new null of override partial payable pragma private promise public pure receive
    reference relocatable return returns revert sealed sizeof static storage string struct supports
    switch this throw true try type typedef typeof unchecked using var view virtual while wei gwei ether
    seconds minutes hours days weeks years after address bool bytes fixed ufixed int uint
    """.split()) | {f"{t}{n}" for t in ("int", "uint") for n in range(8, 257, 8)} | {
    f"bytes{n}" for n in range(1, 33)}


def check_contract_name(name: str) -> str:
    """``name`` if it can name a Solidity contract (an identifier, not a keyword); else ValueError."""
    if not re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name or ""):
        raise ValueError(f"bad contract name {name!r}: not a Solidity identifier ([A-Za-z_$][A-Za-z0-9_$]*)")
    if name in SOLIDITY_RESERVED:
        raise ValueError(f"bad contract name {name!r}: a Solidity keyword")
    return name


class CompileError(RuntimeError):
    """solc reported errors (the message lists them)."""


# ---------------------------------------------------------------- rendering


def load_vk(vk_json: Mapping[str, Any] | str | os.PathLike) -> dict:
    """A snarkjs verification key as a dict, from a dict, a JSON text or a file path."""
    if isinstance(vk_json, Mapping):
        return dict(vk_json)
    text = str(vk_json)
    if isinstance(vk_json, os.PathLike) or not text.lstrip().startswith("{"):
        text = Path(vk_json).read_text()
    return json.loads(text)


def _fq(v: Any) -> int:
    x = int(v)
    if not 0 <= x < Q:
        raise ValueError(f"verification key coordinate not in F_q: {x}")
    return x


def _g1(p: list, infinity_ok: bool = False) -> tuple[int, int]:
    # snarkjs JSON: [x, y, "1"] (projective, z = 1 for affine points; [0, 1, 0] is the
    # point at infinity, which the EVM precompiles write as (0, 0)).
    if len(p) == 3 and int(p[2]) != 1:
        if infinity_ok and int(p[2]) == 0:
            return 0, 0
        raise ValueError("G1 point not in affine form (z != 1)")
    x, y = _fq(p[0]), _fq(p[1])
    if (y * y - x * x * x - 3) % Q:
        raise ValueError(f"G1 point not on the BN254 curve: ({x}, {y})")
    return x, y


def _g2(p: list) -> tuple[int, int, int, int]:
    """snarkjs [[x.c0, x.c1], [y.c0, y.c1], [1, 0]] -> EVM order (x.c1, x.c0, y.c1, y.c0)."""
    if len(p) == 3 and [int(v) for v in p[2]] != [1, 0]:
        raise ValueError("G2 point not in affine form (z != 1)")
    (x0, x1), (y0, y1) = p[0], p[1]
    out = _fq(x1), _fq(x0), _fq(y1), _fq(y0)
    from py_ecc.optimized_bn128 import FQ2, b2, curve_order, is_on_curve, multiply

    pt = (FQ2([int(x0), int(x1)]), FQ2([int(y0), int(y1)]), FQ2.one())
    if not is_on_curve(pt, b2):
        raise ValueError("G2 point not on the BN254 twist")
    if multiply(pt, curve_order)[2] != FQ2.zero():
        raise ValueError("G2 point not in the order-r subgroup")
    return out


def render_verifier(
    vk_json: Mapping[str, Any] | str | os.PathLike,
    contract_name: str = "Groth16Verifier",
    unsafe: bool | None = None,
    provenance: str | None = None,
) -> str:
    """Solidity source of a Groth16 verifier for this verification key.

    Any number of public inputs N >= 0 (``IC`` has N + 1 points); ``verifyProof`` takes
    ``uint256[N] calldata _pubSignals`` as snarkjs's verifier does, and no such argument
    when N = 0 (Solidity has no zero-length arrays).

    ``unsafe`` marks the source as built on a development setup; by default it is read
    from the key (``"unsafe"``, ``"zkclear_unsafe"`` or ``"unsafe_dev_setup"`` true).
    ``provenance`` replaces the header line of a key not so marked.
    """
    vk = load_vk(vk_json)
    if vk.get("protocol", "groth16") != "groth16":
        raise ValueError(f"not a Groth16 key: protocol={vk.get('protocol')!r}")
    if vk.get("curve", "bn128").lower() not in ("bn128", "bn254", "alt_bn128"):
        raise ValueError(f"not a BN254 key: curve={vk.get('curve')!r}")
    check_contract_name(contract_name)
    missing = [k for k in ("vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC") if k not in vk]
    if missing:
        raise ValueError(f"not a snarkjs verification key: no {', '.join(missing)}")
    if not isinstance(vk["IC"], list) or not vk["IC"]:
        raise ValueError("IC must list N + 1 points for N public inputs")
    ic = [_g1(p, infinity_ok=True) for p in vk["IC"]]
    n_public = len(ic) - 1
    if int(vk.get("nPublic", n_public)) != n_public:
        raise ValueError(f"nPublic={vk['nPublic']} but IC has {len(ic)} points")
    if unsafe is None:
        unsafe = bool(vk.get("unsafe") or vk.get("zkclear_unsafe") or vk.get("unsafe_dev_setup"))

    ax, ay = _g1(vk["vk_alpha_1"])
    values: dict[str, Any] = {
        "CONTRACT_NAME": contract_name,
        "UNSAFE_BANNER": UNSAFE_BANNER if unsafe else (
            provenance or "Verification key from a phase-2 ceremony (see the key's provenance)."),
        "N_PUBLIC": n_public,
        "PUB_SIGNALS_PARAM": f",\n        uint256[{n_public}] calldata _pubSignals" if n_public else "",
        "ALPHA_X": ax,
        "ALPHA_Y": ay,
    }
    for name, key in (("BETA", "vk_beta_2"), ("GAMMA", "vk_gamma_2"), ("DELTA", "vk_delta_2")):
        x1, x0, y1, y0 = _g2(vk[key])
        values.update({f"{name}_X1": x1, f"{name}_X0": x0, f"{name}_Y1": y1, f"{name}_Y0": y0})

    values["IC_CONSTANTS"] = "\n".join(
        f"    uint256 internal constant IC{i}_X = {x};\n    uint256 internal constant IC{i}_Y = {y};"
        for i, (x, y) in enumerate(ic)
    )
    values["INPUT_RANGE_CHECKS"] = "\n".join(
        f"            bad := or(bad, iszero(lt(calldataload(add(_pubSignals, {hex(32 * i)})), R)))"
        for i in range(n_public)
    )
    values["ACCUMULATE"] = "\n".join(
        f"            accumulate(IC{i + 1}_X, IC{i + 1}_Y, calldataload(add(_pubSignals, {hex(32 * i)})))"
        for i in range(n_public)
    )

    def fill(match: re.Match) -> str:
        return str(values[match.group(1)])

    source = re.sub(r"\{\{([A-Z0-9_]+)\}\}", fill, TEMPLATE.read_text())
    assert "{{" not in source, "unfilled template placeholder"
    return source


# ---------------------------------------------------------------- compiling

_NODE_COMPILE = r"""
const solc = require(process.argv[1]);
const fs = require('fs');
const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input));
"""


def node_available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "solc" / "soljson.js").exists()


def resolve_imports(sources: Mapping[str, str]) -> dict[str, str]:
    """Add every imported file found under src/ or node_modules/ (solc-js has no file system)."""
    out = dict(sources)
    pending = list(out)
    while pending:
        name = pending.pop()
        for imp in re.findall(r'^\s*import\s+(?:[^"\']*from\s+)?["\']([^"\']+)["\']', out[name], re.M):
            if imp.startswith("."):
                imp = os.path.normpath(os.path.join(os.path.dirname(name), imp))
            if imp in out:
                continue
            for base in (SRC_DIR, NODE_MODULES):
                path = base / imp
                if path.is_file():
                    out[imp] = path.read_text()
                    pending.append(imp)
                    break
            else:
                raise CompileError(f"{name}: cannot resolve import {imp!r}")
    return out


def compile_sources(
    sources: Mapping[str, str],
    optimizer_runs: int = OPTIMIZER_RUNS,
    evm_version: str = EVM_VERSION,
) -> dict[str, dict]:
    """Compile ``{source_name: solidity_text}`` with solc-js; returns ``{contract: artifact}``.

    An artifact has ``contractName``, ``sourceName``, ``abi``, ``bytecode`` and
    ``deployedBytecode`` (0x-hex; unlinked library references left as solc's
    ``__$…$__`` placeholders, see ``linkReferences``), plus the compiler settings.
    """
    if not node_available():
        raise CompileError("node and node_modules/solc are needed to compile (run `npm ci`)")
    full = resolve_imports(sources)
    settings = {
        "optimizer": {"enabled": True, "runs": optimizer_runs},
        "evmVersion": evm_version,
        "outputSelection": {
            "*": {"*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences",
                        "evm.deployedBytecode.object", "evm.gasEstimates"]}
        },
    }
    std_input = {"language": "Solidity", "sources": {k: {"content": v} for k, v in full.items()},
                 "settings": settings}
    proc = subprocess.run(
        ["node", "-e", _NODE_COMPILE, str(NODE_MODULES / "solc")],
        input=json.dumps(std_input), capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise CompileError(f"solc-js failed: {proc.stderr.strip()[-2000:]}")
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))

    compiler = {"solc": SOLC_VERSION, "optimizerRuns": optimizer_runs, "evmVersion": evm_version}

    def artifact(source_name: str, name: str, c: dict) -> dict:
        return {
            "contractName": name,
            "sourceName": source_name,
            "compiler": compiler,
            "abi": c["abi"],
            "bytecode": "0x" + c["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + c["evm"]["deployedBytecode"]["object"],
            "linkReferences": c["evm"]["bytecode"].get("linkReferences", {}),
        }

    artifacts: dict[str, dict] = {}
    contracts_out = output.get("contracts", {})
    # The requested sources first, then deployable dependencies (e.g. libraries to link).
    for wanted in (True, False):
        for source_name, contracts in contracts_out.items():
            if (source_name in sources) != wanted:
                continue
            for name, c in contracts.items():
                if name not in artifacts and (wanted or c["evm"]["bytecode"]["object"]):
                    artifacts[name] = artifact(source_name, name, c)
    return artifacts


def compile_verifier(vk_json, contract_name: str = "Groth16Verifier") -> dict:
    """Render and compile a verifier; returns its artifact (not written to disk)."""
    source = render_verifier(vk_json, contract_name)
    return compile_sources({f"{contract_name}.sol": source})[contract_name]


def write_artifacts(artifacts: Mapping[str, dict], out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, art in sorted(artifacts.items()):
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(art, indent=1, sort_keys=True) + "\n")
        paths.append(path)
    return paths


def build(vk_path: str | None = None, name: str = "Groth16Verifier", out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Compile every ``src/*.sol`` (and, given a key, the rendered verifier) into ``out_dir``."""
    sources = {p.name: p.read_text() for p in sorted(SRC_DIR.glob("*.sol"))}
    if vk_path:
        # The rendered source sits next to its artifact, so a review sees the constants.
        rendered = render_verifier(vk_path, name)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{name}.sol").write_text(rendered)
        sources[f"{name}.sol"] = rendered
    if not sources:
        return []
    return write_artifacts(compile_sources(sources), out_dir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifier_contracts.build", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vk", help="snarkjs verification_key.json to render a verifier from")
    ap.add_argument("--name", default="Groth16Verifier", help="contract name of the rendered verifier")
    ap.add_argument("--out", default=str(ARTIFACTS_DIR), help="artifacts folder")
    ap.add_argument("--render-only", action="store_true", help="print the rendered source and exit")
    args = ap.parse_args(argv)
    if args.render_only:
        if not args.vk:
            ap.error("--render-only needs --vk")
        print(render_verifier(args.vk, args.name))
        return 0
    paths = build(args.vk, args.name, Path(args.out))
    if not paths:
        print("nothing to compile: no src/*.sol and no --vk")
    for path in paths:
        print(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
