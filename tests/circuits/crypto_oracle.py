"""circomlibjs under node as the oracle for tests/circuits/test_crypto_*.py.

`circomlibjs(job)` runs tests/js/circomlibjs_oracle.js once on a JSON job (see that script
for the job keys) and returns its answers. Node starts slowly, so tests batch their cases."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / "tests" / "js" / "circomlibjs_oracle.js"

# node and circomlibjs are required (make setup): the fixture fails, never skips.
needs_node = pytest.mark.usefixtures("node_tools")


def circomlibjs(job: dict) -> dict:
    done = subprocess.run(["node", str(ORACLE)], input=json.dumps(job), capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dec(values) -> list[str]:
    """Field elements as decimal strings, as the oracle reads them."""
    return [str(int(v)) for v in values]


def point(pair) -> tuple[int, int]:
    return int(pair[0]), int(pair[1])
