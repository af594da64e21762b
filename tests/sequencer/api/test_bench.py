"""The throughput script runs end to end (a real uvicorn child process, a small load)."""
import json

from sequencer.api import bench


def test_bench_smoke(capsys, tmp_path):
    assert bench.main(["--accounts", "4", "--trades", "40", "--concurrency", "8", "--json",
                       "--db", f"sqlite:///{tmp_path}/bench.db"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["accepted"] == 40 and out["refused"] == 0 and out["throttled"] == 0
    assert len(set(out["op_ids"])) == 40 and out["accepted_per_s"] > 0 and out["p99_ms"] >= out["p50_ms"]
