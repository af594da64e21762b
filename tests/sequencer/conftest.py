"""Fixtures shared by the `zkclear serve` tests (test_serve_e2e.py, test_serve_crash.py)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory) -> Path:
    """The development keys, set up by the first serve of the session and shared."""
    return tmp_path_factory.mktemp("serve-keys")
