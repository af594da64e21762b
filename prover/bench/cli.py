"""`zkclear bench prove` (the prover against its peers) and `zkclear bench settlement` (settlement
batches: constraints, proof time, trades per second; `circuits.settlement.bench`)."""
from __future__ import annotations

import argparse
import os
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
    settlement = kinds.add_parser(
        "settlement",
        help="settlement batches: constraints, build, witness, setup and proof time, peak RSS, trades/s",
        description="For circuits with slots for that many co-signed trades at the preset's shape, or with "
        "--full the preset's whole batch circuit filled from the random trading flow: constraints, "
        "build time and peak memory, witness, setup and proof time (in process, whole process, "
        "resident when available), peak RSS, trades per second (trades / (witness + proof)).",
    )
    settlement_arguments(settlement)
    settlement.set_defaults(func=_run_settlement)


def settlement_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of `zkclear bench settlement` (also `python -m circuits.settlement.bench`);
    kept here, light, so that `zkclear --help` imports no circuit code."""
    ap.add_argument("--preset", default="tiny", choices=("tiny", "demo", "mainnet"))
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--trades", default="1,8,64",
                      help="comma-separated numbers of trade slots, one circuit each (default 1,8,64)")
    what.add_argument("--full", action="store_true",
                      help="the preset's whole batch circuit, filled from the random trading flow")
    ap.add_argument("--repeat", type=int, default=3, help="proofs per row; the median is kept (default 3)")
    ap.add_argument("--json", action="store_true", help="one JSON object with a `rows` list")
    ap.add_argument("--flow-batches", type=int, default=60,
                    help="--full: batches of the random flow run from genesis (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="--full: the flow's seed (default 1)")
    ap.add_argument("--rapidsnark", metavar="PATH", default=None,
                    help="rapidsnark's prover binary: also prove each row's own .zkey and .wtns with it "
                         "(whole process, verified by zkclear verify)")
    ap.add_argument("--keep", metavar="DIR", default=None,
                    help="keep each row's .zkey, .wtns, vk and proofs in DIR/<preset>-<row> (else a temporary folder)")


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


def _run_settlement(args: argparse.Namespace) -> int:
    from prover.errors import CliError
    from circuits.settlement.bench import parse_trades, run

    try:
        trades = [] if args.full else parse_trades(args.trades)
    except ValueError as exc:
        raise CliError(str(exc))
    if args.repeat < 1:
        raise CliError("--repeat must be at least 1")
    if args.rapidsnark and not os.access(args.rapidsnark, os.X_OK):
        raise CliError(f"--rapidsnark {args.rapidsnark}: not an executable file")
    rows = run(args.preset, trades, args.full, args.repeat, args.json, args.flow_batches, args.seed,
               rapidsnark=args.rapidsnark, keep=args.keep)
    return 0 if all(r.verified and r.rapidsnark_verified is not False for r in rows) else 1
