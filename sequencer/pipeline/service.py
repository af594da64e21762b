"""The pipeline loop: recover, then over and over watch L1, cut, prove, submit, settle.

One thread runs the stages in order, one batch at a time (proving runs in the worker
process, so the API's threads stay responsive):

1. watch: the L1 queues' unconsumed entries and the oracle's latest round (`watchers`);
2. cut: when due, `Batcher.cut` builds the batch on the settled state and persists it
   (batch `proving`, its ops `batched`, refused ops `refused`) before proving;
3. prove: the worker proves and verifies locally (batch and ops `proved`, `prove_s`);
4. submit: `Submitter` (idempotent; batch and ops `submitted`, `l1_tx`, `gas`);
5. settle: batch and ops `settled`; the new state becomes the settled state
   (`Admission.set_settled`: the pending state is rebuilt on it).

Recovery at start (after a crash at any point): the settled state is replayed from genesis
through the settled batches' records; a batch left unsettled is settled if the chain has it
(same number, same root: it was submitted before the crash), else abandoned (its ops go back
to `accepted`, batch cleared) and re-cut. So an op with a 202 is settled once or refused
with the spec's reason, and no batch is submitted twice."""
from __future__ import annotations

import logging
import threading
import time
from typing import Optional

from ..oplog import status as st
from .batcher import Batcher, load_record
from .prover import ProvingStage, Stopped
from .submitter import Diverged, Submitter
from .watchers import L1Watcher

log = logging.getLogger("zkclear.pipeline")


class Pipeline:
    def __init__(self, store, admission, handle, proving: ProvingStage, preset, *, batch_age: float = 5.0,
                 confirmations: int = 0, metrics=None, poll_s: float = 0.5):
        self.store, self.admission, self.handle, self.proving = store, admission, handle, proving
        self.preset, self.metrics, self.poll_s = preset, metrics, poll_s
        self.watcher = L1Watcher(handle.rollup, store, confirmations)
        self.batcher = Batcher(store, preset, batch_age)
        self.submitter = Submitter(handle.rollup)
        self.stop = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.error: Optional[BaseException] = None

    # --- recovery -----------------------------------------------------------------------------------
    def replay_settled(self):
        from ..spec.transition import process_batch

        state = self.handle.genesis.state(self.preset)
        for row in self.store.settled_batches():
            process_batch(state, load_record(row.record).batch)
            if hex(state.root()) != row.new_root:
                raise RuntimeError(f"batch {row.number}: replay gives root {state.root():#x}, log says {row.new_root}")
        return state

    def recover(self) -> None:
        state = self.replay_settled()
        chain_n, chain_root = self.submitter.chain_head()
        for row in sorted(self.store.batches(limit=1_000_000), key=lambda r: r.number):
            if row.status in ("settled", "abandoned"):
                continue
            if row.number == chain_n and row.new_root == hex(chain_root) and row.number == state.batch_number + 1:
                from ..spec.transition import process_batch

                process_batch(state, load_record(row.record).batch)
                for status, ops_to in (("proved", st.PROVED), ("submitted", st.SUBMITTED), ("settled", st.SETTLED)):
                    self.store.batch_status(row.number, status, ops_to=ops_to)
                log.info("recovery: batch %d was on chain: settled", row.number)
            else:
                n = self.store.abandon(row.number)
                log.info("recovery: batch %d abandoned (%s), %d op(s) back to accepted", row.number, row.status, n)
        if state.batch_number != chain_n or state.root() != chain_root:
            raise RuntimeError(f"the log's settled state (batch {state.batch_number}) is not the chain's "
                               f"(batch {chain_n}): wrong --db for this --rpc-url?")
        self.admission.set_settled(state)

    # --- the loop -------------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.step():
                    self.stop.wait(self.poll_s)
        except Stopped:
            pass
        except BaseException as exc:  # logged; /health shows the pipeline stopped
            self.error = exc
            log.exception("pipeline stopped: %s", exc)

    def step(self) -> bool:
        """One round of the loop; True when a batch settled."""
        settled = self.admission.settled
        block = self.watcher.block()
        queue_ops = self.watcher.queue_entries(settled, block)
        rows = self.store.accepted_ops(limit=4 * (self.preset.trade_slots + self.preset.withdrawal_slots))
        if not self.batcher.due(rows, queue_ops):
            return False
        rnd = self.watcher.latest_round(block)
        if rnd is None:
            return False
        try:
            cut = self.batcher.cut(settled, rows, queue_ops, rnd)
        except st.BadTransition as exc:  # a cancel won the race: cut again from the log
            log.info("re-cutting: %s", exc)
            return False
        if cut is None:
            return False
        self.admission.batched(len(cut.op_ids) + len(cut.refused))
        t0 = time.time()
        proved = self.proving.prove(cut.record, self.stop)
        if not proved.verified:
            raise RuntimeError(f"batch {cut.number}: the proof does not verify")
        self.store.batch_status(cut.number, "proved", ops_to=st.PROVED, prove_s=proved.prove_s)
        if self.metrics is not None:
            self.metrics.observe_proof(proved.prove_s)
        try:
            sent = self.submitter.submit(cut.record, proved.proof)
        except Diverged as exc:
            n = self.store.abandon(cut.number)
            log.error("batch %d abandoned (%s): %d op(s) back to accepted", cut.number, exc, n)
            self.recover()
            return False
        except Exception as exc:  # e.g. the round expired: abandon, re-cut with a newer round
            n = self.store.abandon(cut.number)
            log.warning("batch %d not accepted on chain (%s): abandoned, %d op(s) back to accepted",
                        cut.number, exc, n)
            self.admission.set_settled(settled)
            return False
        fields = {"l1_tx": sent.l1_tx, "gas": sent.gas} if sent.l1_tx else {}
        self.store.batch_status(cut.number, "submitted", ops_to=st.SUBMITTED, **fields)
        while sent.block is not None and self.handle.chain.w3.eth.block_number - sent.block < self.watcher.confirmations:
            if self.stop.wait(1.0):
                raise Stopped()
        self.store.batch_status(cut.number, "settled", ops_to=st.SETTLED)
        self.admission.set_settled(cut.state)
        if self.metrics is not None:
            self.metrics.observe_batch(time.time() - t0)
        log.info("batch %d settled: root %#x", cut.number, cut.record.public.new_root)
        return True

    def close(self) -> None:
        self.stop.set()
        if getattr(self, "_committee_stop", None) is not None:
            self._committee_stop.set()
            self._committee_thread.join(timeout=15)
        if self.thread is not None:
            self.thread.join(timeout=15)

    def start_reporters(self, interval: float = 3.0) -> None:
        if self.handle.committee is not None:
            self._committee_thread, self._committee_stop = self.handle.committee.start(interval)
