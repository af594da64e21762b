"""Subcommands of the sequencer: `zkclear demo`, `zkclear scenario run`, `zkclear serve`, `zkclear load`,
`zkclear da member`, `zkclear exit`, `zkclear risk`."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo`, `scenario`, `serve`, `load` and `risk` to the zkclear command line."""
    from sequencer import exit as exit_cmd
    from sequencer import load, serve
    from sequencer.da import cli as da_cli
    from sequencer.risk import cli as risk_cli

    serve.register(sub)
    da_cli.register(sub)
    exit_cmd.register(sub)
    load.register(sub)
    risk_cli.register(sub)
    demo = sub.add_parser("demo", help="run the service end to end: institutions trade, settle, get audited",
                          description="Start a local chain and `zkclear serve`, then play four institutions "
                          "through the client: register, deposit, co-signed trades over a scripted price path with "
                          "funding, a liquidation, a withdrawal and an auditor's check against the chain's root. "
                          "Exit 0 only if every check passed.")
    demo.add_argument("--out", default="demo_out",
                      help="folder for the op log, the service's log and report.json (default demo_out)")
    demo.add_argument("--rpc-url", default=None,
                      help="an Ethereum node with unlocked accounts (e.g. anvil); default: start anvil")
    demo.add_argument("--data-dir", default="zkclear_data",
                      help="where the proving keys are kept, keyed by the circuit's R1CS hash (default zkclear_data)")
    demo.add_argument("--preset", default="tiny", choices=("tiny", "demo", "mainnet"),
                      help="circuit and market parameters (default tiny: a few minutes on 2 cores)")
    demo.set_defaults(func=_demo)

    scenario = sub.add_parser("scenario", help="replay a scenario file through the spec, batch by batch",
                              description="Scenarios: JSON files of accounts, prices and batches of ops "
                              "(format: examples/README.md).")
    scenario_sub = scenario.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    run = scenario_sub.add_parser("run", help="apply a scenario from genesis, prove and verify each batch",
                                  description="Apply a scenario from genesis through the executable spec: "
                                  "each batch cut by the batch builder, proven with the settlement circuit "
                                  "(development setup, UNSAFE) and verified; refused ops are reported with "
                                  "their reasons, and DIR/summary.json records every batch.")
    run.add_argument("file", help="the scenario (JSON)")
    run.add_argument("--preset", default=None,
                     help="tiny, demo, mainnet or tiny-options (default: the file's \"preset\", else tiny; "
                          "a scenario with options given tiny runs on tiny-options)")
    run.add_argument("--out", default="scenario_out", help="folder for the files it writes (default scenario_out)")
    run.add_argument("--prove", action=argparse.BooleanOptionalAction, default=True,
                     help="prove and verify each batch (default); --no-prove only applies the spec")
    run.add_argument("--backend", default="native", choices=("native", "python", "auto"),
                     help="prover backend (default native)")
    run.add_argument("--data-dir", default="zkclear_data",
                     help="where the proving key is kept, keyed by the circuit's R1CS hash (default zkclear_data)")
    run.set_defaults(func=_scenario_run)


def _demo(args: argparse.Namespace) -> int:
    from sequencer.demo import run_demo

    return run_demo(Path(args.out), args.rpc_url, data_dir=Path(args.data_dir), preset=args.preset)


def _scenario_run(args: argparse.Namespace) -> int:
    from prover.errors import CliError
    from sequencer.scenario import ScenarioError, main_run

    try:
        return main_run(args.file, args.preset, args.out, args.prove, args.backend, data_dir=args.data_dir)
    except ScenarioError as exc:
        raise CliError(str(exc), exc.code) from None
