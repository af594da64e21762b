"""Timing whole processes: wall time and peak resident memory of one child process."""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass


RSS_TAG = "ZKCLEAR_MAXRSS_KB "


@dataclass
class ProcessRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_process(argv: list[str], env: dict | None = None, cwd: str | None = None, timeout: float = 1800) -> ProcessRun:
    """Run argv to completion; report its wall time and its own peak RSS.

    Peak memory comes from GNU time's %M where /usr/bin/time exists: Linux keeps a process's
    RSS high-water mark across execve, so the child's own rusage would include the forking
    Python parent. Without GNU time, the child is reaped with os.wait4 and its rusage is used
    (a floor of the parent's RSS then applies). Output goes to temporary files.
    """
    gnu_time = os.path.exists("/usr/bin/time")
    if gnu_time:
        argv = ["/usr/bin/time", "-f", f"{RSS_TAG}%M"] + list(argv)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, text=True)
        timer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        peak_kb = rusage.ru_maxrss
        if gnu_time:
            lines = stderr.splitlines()
            tagged = [line for line in lines if line.startswith(RSS_TAG)]
            if tagged:
                peak_kb = int(tagged[-1][len(RSS_TAG):])
                stderr = "\n".join(line for line in lines if not line.startswith(RSS_TAG))
        return ProcessRun(elapsed, peak_kb / 1024.0, proc.returncode, out.read(), stderr)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
