"""`sequencer.proving`: one home for the proving steps (circuit built once, key set up once and
kept on disk keyed by the R1CS hash, witness from a spec record, native proof, local
verification), in process and in the worker process."""
from __future__ import annotations

import os

import pytest

from one_trade import one_trade_record
from sequencer.proving import BatchProver, ProvingWorker, r1cs_digest
from sequencer.spec import TINY

pytestmark = pytest.mark.slow


def test_key_is_set_up_once_and_reused_and_the_worker_proves(tmp_path):
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
    # the worker process proves with the same key, at the lower CPU priority it was given
    worker = ProvingWorker("tiny", tmp_path, nice=3)
    try:
        assert worker.warm().result(timeout=300) == str(zkey)
        (proc,) = worker._pool._processes.values()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == ours  # the setup: full priority
        remote = worker.submit(record).result(timeout=300)
        assert remote.verified and remote.digest == record.digest
        tids = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert len(tids) > 1 and {os.getpriority(os.PRIO_PROCESS, t) for t in tids} == {min(19, ours + 3)}
    finally:
        worker.close()
    assert zkey.stat().st_mtime_ns == mtime
