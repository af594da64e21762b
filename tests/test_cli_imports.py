"""Building the `zkclear` parser (what every command pays before it runs, `zkclear prove`
included, whose whole-process time is compared with rapidsnark's) imports none of the heavy
dependencies of the other commands: each registers only its options and imports its
dependencies in its handler (sequencer/cli.py)."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("web3", "eth_account", "fastapi", "uvicorn", "httpx", "numpy", "asyncio", "sqlalchemy", "distributed",
         "circuits.dsl", "sequencer.spec")


def test_building_the_parser_imports_no_heavy_dependency():
    code = ("import json, sys; from sequencer.cli import build_parser; build_parser(); "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                           check=True).stdout))
    assert [m for m in HEAVY if m in loaded] == []
    assert {"sequencer.cli", "prover.cli"} <= loaded  # (the check would pass vacuously without them)


def test_a_prover_command_registers_only_the_prover_package():
    """`zkclear prove ...` stops registering at prover.cli: the service's, the bench's and the
    circuits' command modules are not imported at all; `--help` still lists every command."""
    code = ("import json, sys; from sequencer.cli import build_parser; p = build_parser('prove'); "
            "print(json.dumps([sorted(m for m in sys.modules), sorted(p._subparsers._group_actions[0].choices)]))")
    loaded, commands = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                 check=True).stdout)
    assert "prove" in commands and "serve" not in commands
    assert [m for m in ("prover.bench.cli", "circuits.cli", "verifier_contracts.cli", "sequencer.commands",
                        "sequencer.serve", "sequencer.load", "sequencer.exit") if m in loaded] == []
    every = subprocess.run([sys.executable, "-m", "sequencer.cli", "--help"], capture_output=True, text=True, check=True)
    assert all(c in every.stdout for c in ("prove", "bench", "circuit", "export-verifier", "serve", "scenario"))
