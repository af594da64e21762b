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


def test_gnark_conversion_is_redone_when_the_key_changes(tmp_path):
    """A converted key is reused only for the .zkey, .r1cs and .wtns it was made from: a chain
    bench run makes a new random key each time, and gnark proving the old one gave proofs that
    failed against the new vk. (A stand-in for gnark-zkey records its conversions: the real one
    is a peer built outside the repository.)"""
    from prover.bench.prove_bench import CircuitFiles, convert_for_gnark
    log = tmp_path / "conversions"
    tool = tmp_path / "gnark-zkey"
    tool.write_text(f'#!/bin/sh\necho "$2" >> {log}\nmkdir -p "$5" && touch "$5/pk.bin"\n')
    tool.chmod(0o755)
    files = CircuitFiles(4, 10, tmp_path / "c.r1cs", None, tmp_path / "c.wtns", tmp_path / "c.zkey", tmp_path / "vk.json")
    for f, data in ((files.r1cs, b"r1cs"), (files.wtns, b"wtns"), (files.zkey, b"key 1")):
        f.write_bytes(data)
    work = tmp_path / "work"
    convert_for_gnark(str(tool), files, work)
    convert_for_gnark(str(tool), files, work)
    assert files.gnark_dir == work / "gnark" and len(log.read_text().splitlines()) == 1
    files.zkey.write_bytes(b"key 2")
    convert_for_gnark(str(tool), files, work)
    assert len(log.read_text().splitlines()) == 2
    files.wtns.write_bytes(b"another witness")
    convert_for_gnark(str(tool), files, work)
    assert len(log.read_text().splitlines()) == 3
