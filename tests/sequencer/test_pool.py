"""The pipeline on a proving pool of two workers (a local Dask cluster, `--provers 2`): a
real anvil, Rollup, store, batcher, submitter, and real proofs from workers that each hold
the tiny preset's key, with a gate in the prover (`gated_prover.py`) to choose the moment:

- a batch whose proof is held while the next one's finishes first: the later proof waits,
  and the chain settles them in batch order;
- the worker proving a batch SIGKILLed mid-proof: the other worker proves it, and it settles
  once (never abandoned, one BatchSubmitted on chain);
- `zkclear serve --provers 2` starts two worker processes, and a SIGKILL leaves none;
- the default pool (one worker process, no Dask) proves with the factory's prover, at the
  CPU priority `--background-nice` gives it from its first proof on.

One pool for the module (starting one loads the circuit and key in each worker)."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.api import Services
from sequencer.oplog import Store
from sequencer.pipeline.chain import LocalAnvil, open_chain
from sequencer.pipeline.prover import ProvingStage
from sequencer.pipeline.service import Pipeline
from sequencer.spec import TINY
from serve_helpers import data_dir
from test_serve_crash import children, wait_gone

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]
GATED = (1, 3)


class World:
    def __init__(self, tmp_path, keys_dir):
        os.environ["ZKCLEAR_TEST_GATE"] = ",".join(map(str, GATED))  # the workers inherit it
        self.stop = threading.Event()
        self.anvil = LocalAnvil()
        self.store = Store(f"sqlite:///{tmp_path}/ops.db")
        self.proving = ProvingStage(TINY, data_dir(tmp_path, keys_dir), provers=2,
                                    factory="gated_prover:GatedProver")
        self.client = self.proving.pool.client
        self.handle = open_chain(self.store, self.anvil.url, TINY, lambda: self.proving.vk_jsons(self.stop),
                                 reporters=True)
        self.rollup = self.handle.rollup
        self.w3 = self.handle.chain.w3
        self.services = Services.build(self.store, self.handle.genesis.state(TINY))
        self.pipeline = Pipeline(self.store, self.services.admission, self.handle, self.proving, TINY,
                                 batch_age=0, poll_s=0.05)
        self.pipeline.recover()
        self.pipeline.start()

    def register(self, seed: bytes) -> None:
        self.rollup.register(PrivateKey.from_seed(seed).public_key, sender=self.w3.eth.accounts[1])
        self.handle.committee.step()  # a round to cut with

    def proving_future(self, number: int):
        """The pool's future of batch `number` once the pipeline has cut it."""
        deadline = time.time() + 120
        while True:
            for p in list(self.pipeline._proving):
                if p.cut.number == number:
                    return p.future
            assert self.pipeline.error is None, self.pipeline.error
            assert time.time() < deadline, f"batch {number} was not cut"
            time.sleep(0.05)

    def wait_settled(self, number: int, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while self.services.admission.settled.batch_number < number:
            assert self.pipeline.error is None, self.pipeline.error
            assert time.time() < deadline, f"batch {number} did not settle"
            time.sleep(0.1)

    def sent_block(self, number: int) -> int:
        events = self.rollup.rollup.events.BatchSubmitted().get_logs(from_block=0,
                                                                      argument_filters={"batchNumber": number})
        assert len(events) == 1, events  # sent once
        return events[0]["blockNumber"]

    def close(self):
        self.stop.set()
        self.pipeline.close()
        self.proving.close()
        self.services.admission.close()
        self.store.close()
        self.anvil.stop()
        os.environ.pop("ZKCLEAR_TEST_GATE", None)


@pytest.fixture(scope="module")
def world(tmp_path_factory, keys_dir):
    w = World(tmp_path_factory.mktemp("pool"), keys_dir)
    yield w
    w.close()


def test_a_later_proof_finishing_first_waits_and_batches_settle_in_order(world):
    from distributed import Event

    w = world
    w.register(b"pool-alice")
    first = w.proving_future(1)  # held at the gate
    w.register(b"pool-bob")
    second = w.proving_future(2)  # cut on batch 1's state, proving on the other worker
    second.result(timeout=180)  # batch 2's proof is done ...
    assert not first.done()  # ... while batch 1's is not
    assert w.services.admission.settled.batch_number == 0
    assert w.store.get_batch(2).status == "proving"  # not taken before batch 1
    assert w.rollup.rollup.functions.batchNumber().call() == 0
    Event("open-1", client=w.client).set()
    w.wait_settled(2)
    assert w.sent_block(1) < w.sent_block(2)
    assert [(b.number, b.status) for b in w.store.batches()] == [(2, "settled"), (1, "settled")]
    assert w.store.batch_attempts(1) == [] and w.store.batch_attempts(2) == []


def test_a_worker_killed_mid_proof_has_its_batch_proven_by_the_other_and_it_settles_once(world):
    from distributed import Event, Variable

    w = world
    w.register(b"pool-carol")
    w.proving_future(3)
    victim = Variable("started-3", client=w.client).get(timeout=120)  # a worker holds batch 3
    os.kill(victim, signal.SIGKILL)
    Event("open-3", client=w.client).set()
    w.wait_settled(3)
    assert Variable("proved-3", client=w.client).get(timeout=5) != victim
    assert w.sent_block(3) > w.sent_block(2)
    assert w.store.get_batch(3).status == "settled" and w.store.batch_attempts(3) == []
    assert w.rollup.rollup.functions.batchNumber().call() == 3


def test_serve_with_two_provers_starts_its_workers_and_leaves_none_behind_on_sigkill(tmp_path, keys_dir):
    from serve_helpers import start_serve

    proc, _ = start_serve(data_dir(tmp_path, keys_dir), "--provers", "2")
    try:
        kids = children(proc.pid)
        workers = [pid for pid, cmd in kids.items() if "spawn_main" in cmd]
        assert len(workers) == 2, kids  # the local cluster's two worker processes
        proc.kill()
        proc.wait(timeout=30)
        assert wait_gone(list(kids)) == []  # workers and anvil die with the service
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_default_pool_is_one_worker_process_lowered_from_its_first_proof(tmp_path, keys_dir):
    from one_trade import one_trade_record
    from sequencer.pipeline.pool import LocalWorkerPool, open_pool

    pool = open_pool(TINY, data_dir(tmp_path, keys_dir), nice=3)
    try:
        assert isinstance(pool, LocalWorkerPool) and pool.size == 1
        pool.warm().result(timeout=300)
        (proc,) = pool._pool._processes.values()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == ours  # the key's load: full priority
        record = one_trade_record()
        proved = pool.submit(record).result(timeout=300)
        assert proved.verified and proved.digest == record.digest and proved.meta["worker_pid"] == proc.pid
        tids = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in tids} == {min(19, ours + 3)}
    finally:
        pool.close()
    assert wait_gone([proc.pid]) == []
