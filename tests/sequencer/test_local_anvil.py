"""The service's own chain never outlives it: `LocalAnvil` starts anvil's native binary with
a parent-death signal, so a process killed by SIGKILL (no `finally`, no `stop()`) takes its
anvil with it. Fast: no serve, no proving (test_serve_crash.py checks `zkclear serve`)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.usefixtures("node_tools")]
REPO = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_sigkilled_owner_leaves_no_anvil_behind():
    code = ("import sys, time\n"
            "from sequencer.pipeline.chain import LocalAnvil\n"
            "a = LocalAnvil()\n"
            "print(a.proc.pid, a.port, flush=True)\n"
            "time.sleep(120)\n")
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))
    pid, _port = map(int, owner.stdout.readline().split())
    try:
        assert alive(pid)
        # the process anvil's PID names is anvil itself, not a wrapper that would leave it running
        assert Path(f"/proc/{pid}/exe").resolve().name == "anvil"
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.time() + 20
        while alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not alive(pid), "anvil outlived the process that started it"
    finally:
        if owner.poll() is None:
            owner.kill()
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
