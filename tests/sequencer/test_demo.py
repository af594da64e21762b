"""`zkclear demo` end to end: every check it reports passes, and it refuses a tampered new root."""
from __future__ import annotations

import json

import pytest

from sequencer.cli import main


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--data-dir", str(tmp_path / "data")]) == 0
    said = capsys.readouterr().out
    assert "zkclear verifier: valid" in said
    assert "same proof for another new root: rejected" in said
    assert "UNSAFE" in said
    # The files it wrote verify with the CLI as a user would check them.
    assert main(["verify", "--vk", str(tmp_path / "settlement.vk.json"), "--proof", str(tmp_path / "proof.json"),
                 "--public", str(tmp_path / "public.json")]) == 0
    public = json.loads((tmp_path / "public.json").read_text())
    assert len(public) == 1  # the digest of the batch message
    public[0] = str(int(public[0]) + 1)
    (tmp_path / "public.json").write_text(json.dumps(public))
    assert main(["verify", "--vk", str(tmp_path / "settlement.vk.json"), "--proof", str(tmp_path / "proof.json"),
                 "--public", str(tmp_path / "public.json")]) == 1
