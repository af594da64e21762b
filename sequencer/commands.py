"""Subcommands of the sequencer: `zkclear demo`, `zkclear scenario run`."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo` and `scenario` to the zkclear command line."""
