"""`zkclear bench prove`'s pieces that need no peers: the resident runner writes a proof that
verifies and reports its in-process time; the table puts the ratios the README quotes."""
from __future__ import annotations

import json

import pytest

from prover.bench.prove_bench import Measurement, _reported, markdown_table
from prover.bench.resident_run import main as resident_run
from prover.backends import get_backend
from prover.formats.snarkjs_json import read_proof, read_vk


@pytest.mark.usefixtures("native")
def test_resident_run_writes_a_verifying_proof_and_its_time(snarkjs_keys, main_circuit, tmp_path, capsys):
    proof, public = tmp_path / "p.json", tmp_path / "pub.json"
    assert resident_run([str(snarkjs_keys.zkey), str(main_circuit.wtns), str(proof), str(public), "--runs", "2"]) == 0
    out = capsys.readouterr().out
    seconds = _reported("RESIDENT_PROVE_S")(out)
    assert 0 < seconds < 60 and "RESIDENT_PREPROCESS_S" in out
    signals = [int(x) for x in json.loads(public.read_text())]
    assert get_backend("native").verify(read_vk(snarkjs_keys.vk), signals, read_proof(proof))


def test_reported_parses_gnark_milliseconds():
    assert _reported("GNARK_PROVE_MS", 1e-3)("load: 3 ms\nGNARK_PROVE_MS median=520.0 min=500 max=600 n=5\n") == 0.52
    with pytest.raises(ValueError):
        _reported("GNARK_PROVE_MS")("nothing here")


def test_table_ratios_compare_like_with_like():
    row = lambda name, s, ip=False: Measurement(name, 16, 33348, s, [s], 100.0, True, in_process=ip)  # noqa: E731
    table = markdown_table([row("zkclear-native", 0.75), row("zkclear-resident", 0.45, True),
                            row("rapidsnark", 1.0), row("gnark (whole process)", 0.9),
                            row("gnark Prove() in-process", 0.5, True)])
    line = table.splitlines()[2]
    cells = [c.strip() for c in line.strip("|").split("|")]
    # vs snarkjs (not run), vs the fastest peer's WHOLE process (gnark's 0.9 s, not its in-process
    # 0.5 s), vs rapidsnark, and the resident against gnark's in-process Prove()
    assert cells[-4:] == ["–", "1.20x", "0.75x", "0.90x"]
