"""Fixtures shared by the sequencer tests that run `zkclear serve` (the end-to-end, crash and
demo tests)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory) -> Path:
    """The development proving keys, set up by the first service of the session (about a
    minute at tiny on 2 cores) and shared by the later ones: link it as DATA/keys."""
    return tmp_path_factory.mktemp("serve-keys")
