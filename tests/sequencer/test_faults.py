"""The fault-injection hook (`ZKCLEAR_CRASH_AT=POINT[@N]`): SIGKILL at the N-th batch with
signed requests reaching POINT; batches of L1 entries only, other points, and an unset
variable pass. In a subprocess (the hook kills its process)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CODE = """
import sys
from types import SimpleNamespace as NS
from sequencer.pipeline.faults import crash_point
from sequencer.spec.ops import Deposit, Trade
l1_only = NS(batch=NS(ops=[Deposit(index=0, account=1, amount=5)]))
signed = NS(batch=NS(ops=[Deposit(index=0, account=1, amount=5), Trade.__new__(Trade)]))
for i, (point, record) in enumerate([("proving", l1_only), ("after_send", signed), ("proving", signed),
                                     ("proving", signed), ("proving", signed)]):
    crash_point(point, record)
    print(i, flush=True)
"""


def run(crash_at):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("ZKCLEAR_CRASH_AT", None)
    if crash_at is not None:
        env["ZKCLEAR_CRASH_AT"] = crash_at
    p = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout.split()


def test_crash_points():
    assert run(None) == (0, ["0", "1", "2", "3", "4"])
    assert run("proving") == (-signal.SIGKILL, ["0", "1"])  # the first signed batch at proving
    assert run("proving@3") == (-signal.SIGKILL, ["0", "1", "2", "3"])
    assert run("after_send") == (-signal.SIGKILL, ["0"])
    assert run("before_send") == (0, ["0", "1", "2", "3", "4"])
