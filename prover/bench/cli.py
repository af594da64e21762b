"""`zkclear bench prove`: the prover benchmark's command line."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks (prover against its peers)")
    kinds = bench.add_subparsers(dest="bench_kind", required=True, metavar="KIND")
    prove = kinds.add_parser(
        "prove",
        help="Groth16 proving: zkclear native/python vs snarkjs, groth16py (arkworks), rapidsnark",
        description="Prove circomlib Poseidon chains of 2^k constraints with every prover, whole "
        "process against whole process on the same .zkey and .wtns; write results.json, "
        "results.md and results.png into --out.",
    )
    prove.add_argument("--powers", default="12,13,14,15,16",
                       help="comma-separated k for circuits of about 2^k constraints (default 12..16)")
    prove.add_argument("--repeat", type=int, default=3, help="runs per prover and size; the median is kept")
    prove.add_argument("--python-max-power", type=int, default=13,
                       help="largest k the pure-Python backend is asked to prove (default 13)")
    prove.add_argument("--rapidsnark", default=None,
                       help="path of a rapidsnark `prover` binary built outside this repository (optional)")
    prove.add_argument("--gnark", default=None,
                       help="path of a gnark-zkey binary (gnark v0.16 on a snarkjs key), built outside this "
                       "repository: adds gnark's whole process and its in-process Prove()")
    prove.add_argument("--resident-runs", type=int, default=5,
                       help="in-process proofs per run of the resident prover and gnark's Prove() (median kept)")
    prove.add_argument("--zkey", help="bench this key instead of the Poseidon chains (with --wtns, --vk, --r1cs)")
    prove.add_argument("--wtns")
    prove.add_argument("--vk")
    prove.add_argument("--r1cs")
    prove.add_argument("--only", default=None,
                       help="comma-separated prover name prefixes to run (e.g. zkclear-native,zkclear-resident,rapidsnark)")
    prove.add_argument("--no-install", action="store_true",
                       help="do not pip-install the benchmark-only peers (groth16py, matplotlib)")
    prove.add_argument("--out", default="bench_out", help="output folder (default bench_out)")
    prove.set_defaults(func=_run_prove)


def _run_prove(args: argparse.Namespace) -> int:
    from prover.errors import CliError
    from prover.bench.prove_bench import NODE_BIN, run_benchmark

    try:
        powers = [int(p) for p in args.powers.split(",") if p.strip()]
    except ValueError:
        raise CliError(f"--powers must be comma-separated integers, got {args.powers!r}")
    if not powers or any(not 4 <= p <= 22 for p in powers):
        raise CliError("--powers must be between 4 and 22")
    key = (args.zkey, args.wtns, args.vk, args.r1cs)
    if any(key) and not all(key):
        raise CliError("--zkey needs --wtns, --vk and --r1cs")
    if not any(key) and not (NODE_BIN / "circom2").exists():
        raise CliError("node tools are missing: run `make setup` (npm ci) first")
    only = [o.strip() for o in args.only.split(",") if o.strip()] if args.only else None
    results = run_benchmark(Path(args.out), powers, args.repeat, args.rapidsnark, args.python_max_power,
                            install_peers=not args.no_install, gnark=args.gnark,
                            key=tuple(Path(k) for k in key) if all(key) else None,
                            resident_runs=args.resident_runs, only=only)
    return 0 if all(not m.error for m in results) else 1
