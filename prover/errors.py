"""Errors shared by the packages' command lines.

`CliError` lives here, in the lowest package, so that each package's commands
(`prover.cli`, `circuits.cli`, `verifier_contracts.cli`, `sequencer.commands`) can raise it
while the root command (`sequencer.cli`) imports them all and nothing imports it back."""
from __future__ import annotations


class CliError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
