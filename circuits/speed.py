"""Build and witness speed of the DSL against circom's wasm and C++ witness calculators.

    python -m circuits.speed [--links 256] [--cpp [--json-include DIR]]

The circuit is the prover benchmark's Poseidon(2) chain (prover/bench/poseidon_chain.py):
`links` hashes, 240 constraints each. We time the DSL build (gadget calls), the --O2
compilation, and witness solving (every non-defining constraint checked) by the native
solver (`circuits/dsl/native.py`: the witness program run in Rust, in-process, after its
first run) and by the Python solver; with the node tools present, circom's wasm calculator
on the same circuit (in-process, after warm-up, and as a whole `node generate_witness.js`
process). With `--cpp`, circom's C++ calculator too (circom --c, built with g++, nasm and
GMP; nlohmann/json from --json-include; timed as the whole `./c input.json w.wtns` process,
which is how it runs). circom's own compile time is shown too.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from circuits.dsl import Circuit
from circuits.gadgets.poseidon import poseidon

_NODE_BENCH = """
const wc = require(process.argv[2]);
const fs = require("fs");
(async () => {
  const calc = await wc(fs.readFileSync(process.argv[3]));
  const input = JSON.parse(fs.readFileSync(process.argv[4]));
  const times = [];
  for (let i = 0; i < 7; i++) {
    const a = process.hrtime.bigint();
    await calc.calculateWTNSBin(input, 0);
    times.push(Number(process.hrtime.bigint() - a) / 1e9);
  }
  console.log(JSON.stringify(times));
})();
"""


def chain(links: int) -> Circuit:
    c = Circuit("poseidon_chain")
    seed = c.public_input("seed")
    acc = seed
    for x in c.private_input("x", links):
        acc = poseidon(c, [acc, x])
    c.output("out", acc)
    return c


def measure(links: int, cpp: bool = False, json_include: str | None = None) -> dict:
    from prover.bench.poseidon_chain import circuit_input

    t0 = time.perf_counter()
    c = chain(links)
    t1 = time.perf_counter()
    cc = c.compile()
    t2 = time.perf_counter()
    inputs = circuit_input(links)
    res = {"constraints": cc.n_constraints, "build_s": t1 - t0, "compile_s": t2 - t1,
           "solve_s": _best(lambda: cc.solve_signals(inputs))}
    from circuits.dsl import native

    if native.available():
        a = time.perf_counter()
        cc.witness_values(inputs)
        res["native_first_s"] = time.perf_counter() - a  # includes handing the program to Rust
        res["native_s"] = _best(lambda: cc.witness_values(inputs))
    from circuits import circom_ref

    if circom_ref.have_node_tools():
        res.update(_circom(links, inputs, cpp, json_include))
    return res


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        a = time.perf_counter()
        fn()
        times.append(time.perf_counter() - a)
    return min(times)


def _circom(links: int, inputs: dict, cpp: bool, json_include: str | None) -> dict:
    from circuits import circom_ref
    from prover.bench.poseidon_chain import circom_source

    with tempfile.TemporaryDirectory(prefix="zkclear-speed-") as tmp:
        d = Path(tmp)
        lib = d / "lib" / "circomlib" / "circuits"
        import shutil

        shutil.copytree(circom_ref.CIRCOMLIB, lib)
        (d / "c.circom").write_text(circom_source(links).replace('include "poseidon.circom"',
                                                                 'include "circomlib/circuits/poseidon.circom"'))
        a = time.perf_counter()
        subprocess.run(["node", str(circom_ref.NODE_MODULES / "circom2" / "cli.js"), "c.circom", "--O2", "--r1cs",
                        "--wasm", *(["--c"] if cpp else []), "-l", "lib", "-o", "."], cwd=d, check=True,
                       capture_output=True)
        compile_s = time.perf_counter() - a
        (d / "input.json").write_text(json.dumps(inputs))
        (d / "bench.cjs").write_text(_NODE_BENCH)
        out = subprocess.run(["node", "bench.cjs", str(d / "c_js" / "witness_calculator.js"),
                              str(d / "c_js" / "c.wasm"), "input.json"], cwd=d, check=True,
                             capture_output=True, text=True).stdout
        times = json.loads(out)
        a = time.perf_counter()
        subprocess.run(["node", "c_js/generate_witness.js", "c_js/c.wasm", "input.json", "w.wtns"], cwd=d,
                       check=True, capture_output=True)
        process_s = time.perf_counter() - a
        out = {"circom_compile_s": compile_s, "wasm_first_s": times[0], "wasm_warm_s": min(times[1:]),
               "wasm_process_s": process_s}
        if cpp:
            flags = "-std=c++11 -O3 -I." + (f" -I{json_include}" if json_include else "")
            subprocess.run(["make", f"CFLAGS={flags}"], cwd=d / "c_cpp", check=True, capture_output=True)
            out["cpp_process_s"] = _best(lambda: subprocess.run(["c_cpp/c", "input.json", "w.wtns"], cwd=d,
                                                                check=True, capture_output=True))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=256)
    ap.add_argument("--cpp", action="store_true", help="also circom's C++ witness calculator (g++, nasm, GMP)")
    ap.add_argument("--json-include", default=None, help="a folder holding nlohmann/json.hpp (for --cpp)")
    args = ap.parse_args(argv)
    r = measure(args.links, args.cpp, args.json_include)
    n = r["constraints"]
    print(f"Poseidon(2) chain, {args.links} links, {n} constraints")
    print(f"  zkclear build       {r['build_s']:7.3f} s  {n / r['build_s']:>10,.0f} constraints/s")
    print(f"  zkclear compile O2  {r['compile_s']:7.3f} s  {n / r['compile_s']:>10,.0f} constraints/s")
    print(f"  zkclear solve (Py)  {r['solve_s']:7.3f} s  {n / r['solve_s']:>10,.0f} constraints/s")
    if "native_s" in r:
        print(f"  zkclear native      {r['native_s']:7.3f} s  {n / r['native_s']:>10,.0f} constraints/s"
              f"  (first {r['native_first_s']:.3f} s)")
    if "wasm_warm_s" in r:
        print(f"  circom2 --O2 compile{r['circom_compile_s']:7.3f} s  {n / r['circom_compile_s']:>10,.0f} constraints/s")
        print(f"  wasm witness, first {r['wasm_first_s']:7.3f} s  {n / r['wasm_first_s']:>10,.0f} constraints/s")
        print(f"  wasm witness, warm  {r['wasm_warm_s']:7.3f} s  {n / r['wasm_warm_s']:>10,.0f} constraints/s")
        print(f"  wasm, whole process {r['wasm_process_s']:7.3f} s  {n / r['wasm_process_s']:>10,.0f} constraints/s")
    if "cpp_process_s" in r:
        print(f"  C++, whole process  {r['cpp_process_s']:7.3f} s  {n / r['cpp_process_s']:>10,.0f} constraints/s")


if __name__ == "__main__":
    main()
