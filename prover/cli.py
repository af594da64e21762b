"""Subcommands of the prover: setup, prove, verify, bench."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add `setup`, `prove`, `verify` and `bench` to the zkclear command line."""
