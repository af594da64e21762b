"""`sequencer.proving`: one home for the proving steps (circuit built once, key set up once and
kept on disk keyed by the R1CS hash, witness from a spec record, native proof, local
verification), in process and resident (the proving pool's workers, tests/sequencer/test_pool.py)."""
from __future__ import annotations

import pytest

from one_trade import one_trade_record
from sequencer.proving import BatchProver, r1cs_digest
from sequencer.spec import TINY

pytestmark = pytest.mark.slow


def test_key_is_set_up_once_and_reused_and_the_resident_prover_proves(tmp_path):
    record = one_trade_record()
    prover = BatchProver(TINY, tmp_path)
    proved = prover.prove(record, tmp_path / "out")
    assert proved.verified and proved.digest == record.digest and proved.number == record.public.batch_number
    assert (tmp_path / "out" / "proof.json").exists()
    digest = r1cs_digest(prover.circuit.r1cs)
    (zkey,) = (tmp_path / "keys").glob("*.zkey")
    assert zkey.name == f"settlement-tiny-{digest[:16]}.zkey"
    mtime = zkey.stat().st_mtime_ns
    # a second prover (a restart) finds the key on disk: no new setup
    again = BatchProver(TINY, tmp_path)
    assert again.key()[2] == zkey and zkey.stat().st_mtime_ns == mtime
    # the resident prover (the pool's, sequencer/pipeline/pool.py) proves with the same key
    resident = BatchProver(TINY, tmp_path, resident=True)
    assert resident.warm() == zkey
    again_proved = resident.prove(record)
    assert again_proved.verified and again_proved.digest == record.digest
    assert zkey.stat().st_mtime_ns == mtime
