"""Subcommands of the circuit DSL: `zkclear circuit export|witness|stats`."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add `circuit` to the zkclear command line."""
