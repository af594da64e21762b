"""Subcommands of the sequencer: `zkclear demo`."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo` to the zkclear command line."""
    demo = sub.add_parser("demo", help="run the main job end to end on embedded defaults",
                          description="Settle a co-signed trade through the spec, prove its signature in "
                          "zero knowledge and verify the proof in Python, snarkjs and the EVM.")
    demo.add_argument("--out", default="demo_out", help="folder for the files it writes (default demo_out)")
    demo.add_argument("--rpc-url", default=None,
                      help="an Ethereum node URL (e.g. anvil); default: an in-process chain")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from sequencer.demo import run_demo

    return run_demo(Path(args.out), args.rpc_url)
