"""`zkclear`: one command line over the three packages.

Each package registers its own subcommands (`prover.cli`, `circuits.cli`, `verifier_contracts.cli`,
`sequencer.commands`);
this module only wires them. Handlers import their heavy dependencies lazily so that
`zkclear --help` stays fast. A handler returns the process exit code; a `CliError` becomes a
one-line reason on stderr and its exit code (2 for unreadable input unless it says otherwise).
"""
from __future__ import annotations

import argparse
import sys

from prover.errors import CliError  # the error type lives below every package


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkclear",
        description="ZK-proved private settlement for derivatives (Groth16 over BN254).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from prover import cli as prover_cli
    from circuits import cli as circuits_cli
    from prover.bench import cli as bench_cli
    from sequencer import commands as sequencer_commands
    from verifier_contracts import cli as verifier_cli

    prover_cli.register(sub)
    bench_cli.register(sub)
    circuits_cli.register(sub)
    verifier_cli.register(sub)
    sequencer_commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except CliError as exc:
        print(f"zkclear {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
