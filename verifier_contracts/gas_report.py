"""Gas report: verifier cost per public input vs hashing the inputs on-chain.

DESIGN asks whether a batch passes its public inputs one by one or as one hash. Total
gas decides it: K inputs cost K * (per-input verifier cost); one hash costs one input
plus hashing K field elements on-chain (the contract holds the values anyway: it checks
them against the oracle round, the deposit queue, ...). The circuit pays the other side:
recomputing the hash in-circuit.

    python -m verifier_contracts.gas_report                  # embedded chain (py-evm)
    python -m verifier_contracts.gas_report --url http://127.0.0.1:8545   # anvil
    python -m verifier_contracts.gas_report --constraints    # also count circuit constraints (circom2)

Numbers are transaction gasUsed (21000 base + calldata + execution). Verifier keys are
synthetic (verifier_contracts.synthetic): the gas of verifyProof does not depend on the
circuit, only on N (and on how many inputs are zero, which are skipped: inputs here are
random non-zero).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from verifier_contracts.build import NODE_MODULES, PACKAGE_DIR, R, compile_sources, compile_verifier
from verifier_contracts.evm import Chain, call_verify, proof_calldata
from verifier_contracts.synthetic import SyntheticKey

N_PUBLIC = (1, 4, 16, 32)
K_FIELDS = (8, 16, 32)
HASHES = ("sha256Fields", "keccakFields", "poseidonT3Chain", "poseidonT6Chain")


def verifier_gas(chain: Chain, n_values=N_PUBLIC, seed: int = 1) -> dict[int, int]:
    rng = random.Random(seed)
    out = {}
    for n in n_values:
        key = SyntheticKey.random(n, rng)
        verifier = chain.deploy(compile_verifier(key.vk_json()))
        proof, public = key.prove([rng.randrange(1, R) for _ in range(n)], rng)
        ok, gas = call_verify(verifier, *proof_calldata(proof, public))
        assert ok, f"synthetic proof rejected for N={n}"
        out[n] = gas
    return out


def shipped_poseidon(name: str) -> dict:
    """poseidon-solidity's own creation bytecode (what sits at its deterministic address)."""
    code = subprocess.run(["node", "-e", f"process.stdout.write(require(process.argv[1]).{name}.bytecode)",
                           str(NODE_MODULES / "poseidon-solidity")], capture_output=True, text=True, check=True).stdout
    return {"contractName": name, "abi": [], "bytecode": code if code.startswith("0x") else "0x" + code}


def hash_gas(chain: Chain, k_values=K_FIELDS, seed: int = 2, shipped: bool = True) -> dict[int, dict[str, int]]:
    """Hashing gas for K random field elements; ``shipped``: link poseidon-solidity's own
    bytecode (else our solc build of its sources)."""
    arts = compile_sources({"HashBench.sol": (PACKAGE_DIR / "bench" / "HashBench.sol").read_text()})
    t3 = chain.deploy(shipped_poseidon("PoseidonT3") if shipped else arts["PoseidonT3"])
    t6 = chain.deploy(shipped_poseidon("PoseidonT6") if shipped else arts["PoseidonT6"])
    bench = chain.deploy(arts["HashBench"], libraries={"PoseidonT3": t3.address, "PoseidonT6": t6.address})
    rng = random.Random(seed)
    out = {}
    for k in k_values:
        xs = [rng.randrange(1, R) for _ in range(k)]
        # eth_call: cold library access (2600) is paid once per call, as in a real tx.
        out[k] = {name: getattr(bench.functions, name)(xs).call()[1] for name in HASHES}
    return out


# ---------------------------------------------------------------- in-circuit constraints

_CONSTRAINT_CIRCUITS = {
    "Poseidon(2)": ('poseidon.circom', "Poseidon(2)", "inputs", 2),
    "Poseidon(5)": ('poseidon.circom', "Poseidon(5)", "inputs", 5),
    "Sha256(256) [1 block]": ('sha256/sha256.circom', "Sha256(256)", "in", 256),
    "Sha256(512) [2 blocks]": ('sha256/sha256.circom', "Sha256(512)", "in", 512),
}


def circuit_constraints() -> dict[str, int]:
    """Constraint counts of circomlib's hashes, compiled with circom2 (takes ~1 min)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copytree(NODE_MODULES / "circomlib" / "circuits", d / "lib" / "circomlib" / "circuits")
        for label, (inc, tmpl, port, n) in _CONSTRAINT_CIRCUITS.items():
            name = re.sub(r"\W", "", tmpl)
            (d / f"{name}.circom").write_text(
                f'pragma circom 2.0.0;\ninclude "circomlib/circuits/{inc}";\n'
                f"template M() {{ signal input x[{n}]; signal output o;\n"
                f"  component h = {tmpl}; for (var i = 0; i < {n}; i++) {{ h.{port}[i] <== x[i]; }}\n"
                f"  o <== {'h.out' if 'Poseidon' in tmpl else 'h.out[0]'}; }}\n"
                "component main = M();\n")
            proc = subprocess.run(["node", str(NODE_MODULES / "circom2" / "cli.js"), f"{name}.circom",
                                   "--r1cs", "-l", "lib", "-o", "."], cwd=d, capture_output=True, text=True)
            # Non-linear constraints: what Groth16 pays for (linear ones are substituted
            # away by circom's --O2 simplification, so they are not counted).
            m = re.search(r"non-linear constraints: (\d+)", proc.stdout)
            out[label] = int(m.group(1)) if m else -1
    return out


# ---------------------------------------------------------------- report


def report(chain: Chain, constraints: bool = False) -> dict:
    v = verifier_gas(chain)
    h = hash_gas(chain)
    ns = sorted(v)
    per_input = (v[ns[-1]] - v[ns[0]]) / (ns[-1] - ns[0])
    result = {"verifier_gas": v, "verifier_gas_per_input": round(per_input), "hash_gas": h,
              "poseidon_solc_build": {k: {n: row[n] for n in ("poseidonT3Chain", "poseidonT6Chain")}
                                      for k, row in hash_gas(chain, shipped=False).items()}}
    if constraints:
        result["constraints"] = circuit_constraints()
    return result


def print_report(r: dict) -> None:
    print("verifyProof gas (tx gasUsed) by number of public inputs N:")
    for n, g in r["verifier_gas"].items():
        print(f"  N={n:>3}: {g:>9,}")
    p = r["verifier_gas_per_input"]
    print(f"  marginal cost per public input: ~{p:,} gas (ecMul 6000 + ecAdd 150 + calldata + checks)")
    print("\nhashing K field elements on-chain (execution gas of the hashing, gasleft() around it):")
    cols = HASHES
    print("   K  " + "".join(f"{c:>17}" for c in cols) + f"{'K inputs (verifier)':>22}")
    for k, row in r["hash_gas"].items():
        print(f"  {k:>2}  " + "".join(f"{row[c]:>17,}" for c in cols) + f"{(k - 1) * p:>22,}")
    print("  (Poseidon: poseidon-solidity's shipped bytecode, linked as a library;")
    print("   last column: extra verifier gas to pass K inputs one by one instead of 1 hash)")
    print("  Poseidon rebuilt from its sources with our solc " "(0.8.37, optimizer 200 runs):")
    for k, row in r["poseidon_solc_build"].items():
        print(f"  {k:>2}  T3 chain {row['poseidonT3Chain']:>10,}   T6 chain {row['poseidonT6Chain']:>10,}")
    if "constraints" in r:
        print("\nin-circuit non-linear constraints (circomlib via circom2):")
        for label, n in r["constraints"].items():
            print(f"  {label:<24} {n:>8,}")
        c = r["constraints"]
        p2, p5 = c["Poseidon(2)"], c["Poseidon(5)"]
        per_block = c["Sha256(512) [2 blocks]"] - c["Sha256(256) [1 block]"]
        print("\nin-circuit cost of recomputing the hash of K field elements:")
        print("   K   Poseidon 2-to-1 chain   Poseidon 5-to-1 chain   sha256 (blocks)")
        for k in r["hash_gas"]:
            blocks = (256 * k + 64) // 512 + 1  # 256-bit words + 1 pad bit + 64-bit length
            print(f"  {k:>2}   {(k - 1) * p2:>21,}   {-(-(k - 1) // 4) * p5:>21,}   "
                  f"{blocks * per_block:>9,} ({blocks})")
        print("  (sha256 also needs 254 boolean constraints per input to unpack it into bits)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifier_contracts.gas_report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="node URL (anvil); default: embedded eth-tester chain")
    ap.add_argument("--constraints", action="store_true", help="also count in-circuit constraints")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    chain = Chain.connect(args.url) if args.url else Chain.embedded()
    r = report(chain, args.constraints)
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        print_report(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
