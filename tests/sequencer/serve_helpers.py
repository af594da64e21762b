"""Starting `zkclear serve` as a subprocess, shared by the end-to-end, crash and PostgreSQL tests."""
from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_serve(data: Path, *extra: str, crash_at: str | None = None,
                env_extra: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`zkclear serve --data-dir DATA ...` (log in DATA/../serve.log) until it prints its URL;
    `crash_at` sets the fault-injection hook ZKCLEAR_CRASH_AT (unset otherwise), `env_extra`
    other variables (e.g. ZKCLEAR_DA_TAMPER)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("ZKCLEAR_CRASH_AT", None)
    env.pop("ZKCLEAR_DA_TAMPER", None)
    if crash_at:
        env["ZKCLEAR_CRASH_AT"] = crash_at
    env.update(env_extra or {})
    proc = subprocess.Popen([sys.executable, "-m", "sequencer.cli", "serve", "--port", "0", "--data-dir", str(data),
                             "--batch-age", "1", "--round-interval", "1", *extra],
                            stdout=subprocess.PIPE, stderr=open(data.parent / "serve.log", "ab"), text=True,
                            cwd=data.parent, env=env)
    ready, _, _ = select.select([proc.stdout], [], [], 300)  # the first start sets up the keys
    if not ready:
        proc.kill()
    line = proc.stdout.readline() if ready else ""
    assert line.startswith("listening on http://"), (line, (data.parent / "serve.log").read_text()[-3000:])
    return proc, line.split()[-1]


def data_dir(tmp_path: Path, keys: Path) -> Path:
    """A fresh data dir whose keys/ is the session's shared key folder."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "keys").symlink_to(keys, target_is_directory=True)
    return data
