"""`zkclear bench settlement --json`: one JSON object with a `rows` list, each row with the
names the README's tables and issue 12 rely on; the proof it times verifies."""
from __future__ import annotations

import json
import os

from sequencer.cli import main
from circuits.settlement.bench import Row

KEYS = {"trades", "constraints", "prove_s", "peak_rss_mb", "trades_per_s", "verified", "full",
        "touches_per_trade", "witness_s", "setup_s", "build_s", "build_peak_mb", "resident_prove_s"}


def test_bench_settlement_json(capsys, tmp_path):
    """Also: `--keep DIR` keeps the row's key, witness, vk and proofs; with $ZKCLEAR_RAPIDSNARK
    (rapidsnark's `prover`, built outside the repository) `--rapidsnark` proves the same key
    and witness with it, and its proof passes `zkclear verify`."""
    rapidsnark = os.environ.get("ZKCLEAR_RAPIDSNARK")
    argv = ["bench", "settlement", "--preset", "tiny", "--trades", "1", "--repeat", "1", "--json",
            "--keep", str(tmp_path)] + (["--rapidsnark", rapidsnark] if rapidsnark else [])
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["preset"] == "tiny" and len(out["rows"]) == 1
    row = out["rows"][0]
    assert KEYS <= set(row)
    assert row["trades"] == 1 and row["full"] is False and row["verified"] is True
    kept = tmp_path / "tiny-trades1"
    assert {"k.zkey", "w.wtns", "vk.json", "proof0.json", "public0.json"} <= {p.name for p in kept.iterdir()}
    assert row["setup_peak_mb"] >= row["build_peak_mb"] > 0 and row["load"]
    if rapidsnark:
        assert row["rapidsnark_verified"] is True and row["rapidsnark_prove_s"] > 0
    else:
        assert row["rapidsnark_prove_s"] is None and row["rapidsnark_verified"] is None
    assert row["constraints"] > 0 and row["prove_s"] > 0 and row["peak_rss_mb"] > 0
    assert abs(row["trades_per_s"] - 1 / (row["witness_s"] + row["prove_s"])) < 1e-2
    # a --full row carries the flow's touches per trade under the same names
    assert {"full", "touches_per_trade", "flow", "batch_mix"} <= set(Row.__dataclass_fields__)
