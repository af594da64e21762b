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


# The packages that register subcommands, cheapest first: `zkclear prove` (a whole-process
# timing that is compared against rapidsnark) imports only prover.cli.
REGISTRARS = ("prover.cli", "prover.bench.cli", "circuits.cli", "verifier_contracts.cli", "sequencer.commands")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command`, registration stops at the package that owns it
    (every later package's import is skipped; `--help` and unknown commands see them all)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="zkclear",
        description="ZK-proved private settlement for derivatives (Groth16 over BN254).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in REGISTRARS:
        importlib.import_module(name).register(sub)
        if command is not None and command in sub.choices:
            break
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
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
