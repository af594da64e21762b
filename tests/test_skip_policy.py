"""The skip policy of tests/conftest.py: a skip whose reason does not start with "optional: "
fails (or, at module level, is a collection error); an "optional: ..." skip stays a skip.
Runs pytest in a subprocess on probe tests next to a copy of tests/conftest.py."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PROBES = '''
import pytest

def test_skip_in_body():
    pytest.skip("not written yet")

def test_optional_skip():
    pytest.skip("optional: a peer binary the user did not pass")

@pytest.mark.skipif(True, reason="node tools missing")
def test_skipif_mark():
    pass

@pytest.fixture
def tool():
    pytest.skip("anvil missing")

def test_skip_in_fixture(tool):
    pass

def test_passes():
    pass
'''

MODULE_SKIP = '''
import pytest
pytest.importorskip("zkclear_no_such_module", reason="not in the tree yet")

def test_never_runs():
    pass
'''


def test_unexpected_skips_fail_and_optional_ones_skip(tmp_path):
    conftest = Path(__file__).with_name("conftest.py")
    (tmp_path / "conftest.py").write_text(conftest.read_text())
    (tmp_path / "test_probes.py").write_text(PROBES)
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not this project's addopts or testpaths
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "--continue-on-collection-errors", "-rA", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    out = proc.stdout
    assert proc.returncode == 1, out
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", out.splitlines()[-1]))
    assert counts == {"passed": 1, "failed": 1, "skipped": 1, "errors": 3}, out.splitlines()[-1]
    assert re.search(r"SKIPPED .*optional: a peer binary", out)
    for name in ("test_skip_in_body", "test_skipif_mark", "test_skip_in_fixture"):
        assert re.search(rf"(FAILED|ERROR) test_probes.py::{name} - Failed: unexpected skip", out), name
    assert re.search(r"ERROR test_module_skip.py - unexpected skip: 'not in the tree yet'", out)
    assert "run `make setup`" in out
