"""The pipeline loop: recover, then over and over watch L1, cut, prove, submit, settle.

One thread runs the stages in order (proving runs in the pool's worker processes, so the
API's threads stay responsive). With one prover (the default) it is one batch at a time;
with a pool of N (`--provers N`, `--cluster`), up to N batches are cut ahead and proving at
once, each cut on the state after the one before it; their proofs finish in any order and
are taken in batch order, so batch n is submitted only after n-1 settled. If a batch is
abandoned (not accepted on chain, or the chain diverged), the batches cut after it are
abandoned with it (their old root is gone) and re-cut:

1. watch: the L1 queues' unconsumed entries and the oracle's latest round (`watchers`);
2. cut: when due, `Batcher.cut` builds the batch on the settled state and persists it
   (batch `proving`, its ops `batched`, refused ops `refused`) before proving;
3. prove: the worker proves and verifies locally (batch and ops `proved`, `prove_s`);
   with a DA committee (the Rollup has one: `committee.py`), the batch's DA payload
   (`sequencer.da.payload.batch_payload`) goes to the members and the batch waits for
   `daThreshold` signatures (as long as it takes: never sent with fewer);
4. submit: `Submitter` (idempotent; batch and ops `submitted`, `l1_tx`, `gas`), with the
   DA commitment and signatures through `submitBatchWithData` when there is a committee;
5. confirm: wait until the chain `confirmations` blocks behind the head has the batch; if
   the head loses it meanwhile (its transaction reorged out), send it again (same proof);
6. settle: batch and ops `settled`; the new state becomes the settled state
   (`Admission.set_settled`: the pending state is rebuilt on it).

Recovery at start (after a crash at any point): the settled state is replayed from genesis
through the settled batches' records; a batch left unsettled is settled if the chain has it
(same number, same root: it was submitted before the crash; if it is not `confirmations`
deep yet, the loop confirms it first), else abandoned (its ops go back to `accepted`, batch
cleared, the attempt kept in `batch_attempts`) and re-cut. So an op with a 202 is settled
once or refused with the spec's reason, and no batch is submitted twice. A reorg deeper
than `confirmations` is not survived (the service stops: the log and the chain disagree).

`faults.crash_point` lets the crash tests SIGKILL the service at a chosen point
(ZKCLEAR_CRASH_AT; a no-op when unset)."""
from __future__ import annotations

import copy
import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Optional

from ..oplog import status as st
from .batcher import Batcher, Cut, load_record
from .prover import ProvingStage, Stopped
from .submitter import Diverged, Submitter
from .watchers import ChainMoved, L1Watcher

log = logging.getLogger("zkclear.pipeline")


@dataclass
class InHand:
    """The batch between its proof and its settlement: sent (or about to be) and waiting for
    its confirmations. `proof` is None for a batch recovery found on chain (not sent again);
    `settled` is the settled state before it (restored if it is abandoned)."""

    cut: Cut
    proof: Optional[dict]
    settled: object
    t0: Optional[float] = None
    da: Optional[tuple] = None  # (DA commitment, attestations) with a committee


@dataclass
class Proving:
    """A batch cut and handed to the pool, not proved yet: `settled` is the state it was
    cut on (the settled state, or the state after the batch cut before it)."""

    cut: Cut
    future: Future
    settled: object
    t0: float


class Pipeline:
    def __init__(self, store, admission, handle, proving: ProvingStage, preset, *, batch_age: float = 5.0,
                 confirmations: int = 0, metrics=None, poll_s: float = 0.5, da_urls=()):
        self.store, self.admission, self.handle, self.proving = store, admission, handle, proving
        self.preset, self.metrics, self.poll_s = preset, metrics, poll_s
        self.watcher = L1Watcher(handle.rollup, store, confirmations, getattr(handle, "deployed_at", 0))
        self.batcher = Batcher(store, preset, batch_age)
        self.submitter = Submitter(handle.rollup)
        self.stop = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.error: Optional[BaseException] = None
        self._in_hand: Optional[InHand] = None
        self._proving: deque[Proving] = deque()  # cut and proving, in batch order
        self.committee = self._committee(list(da_urls))
        self._payloads: dict = {}  # batch number -> DA payload (this process's, and rebuilt for catch-ups)

    # --- the DA committee ---------------------------------------------------------------------------
    def _committee(self, urls):
        """A `Committee` when the Rollup has one (its members and threshold are the contract's)."""
        members, k = self.handle.rollup.da_committee()
        if not k:
            if urls:
                raise RuntimeError("--da-member given, but the Rollup has no DA committee (fixed at deployment)")
            return None
        if not urls:
            raise RuntimeError(f"the Rollup has a DA committee ({k} of {len(members)}): pass --da-member URL")
        from ..da.payload import genesis_payload
        from .committee import Committee

        genesis = self.handle.genesis.state(self.preset)
        p = self.preset
        manifest = {"arity": p.arity, "depth": p.depth, "num_markets": p.num_markets,
                    "genesis_root": str(genesis.root()), "sequencer_public_key": [str(v) for v in genesis.da_public]}
        return Committee(urls, threshold=k, members=members, chain_id=self.handle.rollup.chain_id,
                         rollup=self.handle.rollup.rollup.address, manifest=manifest,
                         genesis=genesis_payload(genesis), payload_of=self.payload_of)

    def payload_of(self, number: int):
        """The DA payload of settled batch `number` (a member catching up): replayed from the log."""
        from ..da.payload import batch_payload
        from ..spec.transition import process_batch

        got = self._payloads.get(number)  # (read once: the loop prunes the cache meanwhile)
        if got is None:
            state = self.handle.genesis.state(self.preset)
            for row in self.store.settled_batches():  # the later ones too: a catch-up asks for them next
                record = process_batch(state, load_record(row.record).batch)
                if row.number >= number:
                    payload = batch_payload(record, state)
                    self._payloads.setdefault(row.number, payload)
                    got = payload if row.number == number else got
            if got is None:
                raise KeyError(f"batch {number} is not settled")
        return got

    def _signatures(self, cut) -> Optional[tuple]:
        """(DA commitment, threshold attestations) of the batch; None without a committee."""
        if self.committee is None:
            return None
        from ..da.payload import batch_payload, commitment

        t0 = time.perf_counter()
        payload = batch_payload(cut.record, cut.state)
        self._payloads[cut.number] = payload
        t1 = time.perf_counter()
        signatures = self.committee.collect(payload, self.stop)
        log.info("batch %d: DA payload of %d write(s) built in %.2f s, signed in %.2f s", cut.number,
                 len(payload.writes), t1 - t0, time.perf_counter() - t1)
        return commitment(payload), signatures

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
        """Rebuild the settled state from the log and the chain. An unsettled batch the chain
        has (same number and root: sent before a crash) is settled once `confirmations` deep,
        or taken in hand to be confirmed by the loop; any other is abandoned (re-cut)."""
        from ..spec.transition import process_batch

        self._in_hand = None
        state = self.replay_settled()
        chain_n, chain_root = self.submitter.chain_head()
        deep_n, _ = self.submitter.chain_head(self.watcher.block())
        expected = state
        for row in sorted(self.store.batches(limit=1_000_000), key=lambda r: r.number):
            if row.status in ("settled", "abandoned"):
                continue
            if row.number == chain_n and row.new_root == hex(chain_root) and row.number == state.batch_number + 1:
                record = load_record(row.record)
                after = copy.deepcopy(state)
                process_batch(after, record.batch)
                if row.status in ("proving", "proved"):  # sent before a crash, not recorded: it is now
                    sent = self.submitter.find_sent(row.number, self.watcher.deployed_at)
                    fields = {"l1_tx": sent.l1_tx, "gas": sent.gas} if sent is not None else {}
                    if row.status == "proving":
                        self.store.batch_status(row.number, "proved", ops_to=st.PROVED)
                    self.store.batch_status(row.number, "submitted", ops_to=st.SUBMITTED, **fields)
                if deep_n >= row.number:
                    self.store.batch_status(row.number, "settled", ops_to=st.SETTLED)
                    state = expected = after
                    log.info("recovery: batch %d was on chain: settled", row.number)
                else:
                    cut = Cut(row.number, record, after, self.store.batch_op_ids(row.number), [])
                    self._in_hand = InHand(cut, None, state)
                    expected = after
                    log.info("recovery: batch %d is on chain, not %d blocks deep yet: in hand",
                             row.number, self.watcher.confirmations)
            else:
                n = self.store.abandon(row.number, f"restart: {row.status}, not on chain")
                log.info("recovery: batch %d abandoned (%s), %d op(s) back to accepted", row.number, row.status, n)
        if expected.batch_number != chain_n or expected.root() != chain_root:
            raise RuntimeError(f"the log's settled state (batch {state.batch_number}) is not the chain's "
                               f"(batch {chain_n}): wrong --db for this --rpc-url?")
        self.admission.set_settled(state)

    # --- the loop -------------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            if self.committee is not None:
                self.committee.ensure_genesis()  # batch 0 first; a member down now is caught up later
            while not self.stop.is_set():
                if not self.step() and not self._proving:  # (a proof in flight: waited on in step)
                    self.stop.wait(self.poll_s)
        except Stopped:
            pass
        except BaseException as exc:  # logged; /health shows the pipeline stopped
            self.error = exc
            log.exception("pipeline stopped: %s", exc)

    def step(self) -> bool:
        """One round of the loop; True when a batch settled."""
        if self._in_hand is None:
            self._in_hand = self._next_proved()
            if self._in_hand is None:
                return False
        return self._land(self._in_hand)

    @property
    def depth(self) -> int:
        """How many batches may be proving at once: the pool's workers."""
        return max(1, int(getattr(self.proving, "size", 1)))

    def _next_proved(self) -> Optional["InHand"]:
        """Cut ahead while a worker is free, then the oldest batch's proof: batches are taken
        in batch order, whatever order their proofs finish in. While a worker is free, the
        wait for it is short (new ops may make a batch due meanwhile)."""
        while len(self._proving) < self.depth and self._cut_and_submit():
            pass
        if not self._proving:
            return None
        head = self._proving[0]
        try:
            proved = self._wait(head.future, self.poll_s if len(self._proving) < self.depth else None)
        except FutureTimeout:
            return None
        self._proving.popleft()
        cut = head.cut
        if not proved.verified:
            raise RuntimeError(f"batch {cut.number}: the proof does not verify")
        self.store.batch_status(cut.number, "proved", ops_to=st.PROVED, prove_s=proved.prove_s)
        if self.metrics is not None:
            self.metrics.observe_proof(proved.prove_s)
        return InHand(cut, proved.proof, head.settled, head.t0, self._signatures(cut))

    def _cut_and_submit(self) -> bool:
        """Cut the next batch, on the state after the batches proving (or the settled
        state), and hand it to the pool; False when no batch is due or none can be cut."""
        settled = self._proving[-1].cut.state if self._proving else self.admission.settled
        block = self.watcher.block()
        try:
            queue_ops = self.watcher.queue_entries(settled, block)
        except ChainMoved as exc:
            log.info("not cutting this round: %s", exc)
            return False
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
        submit = getattr(self.proving, "submit", None)
        if submit is None:  # a stage that proves in the caller (the reorg tests' synthetic proofs)
            future = Future()
            future.set_result(self.proving.prove(cut.record, self.stop))
        else:
            future = submit(cut.record)
        self._proving.append(Proving(cut, future, settled, t0))
        return True

    def _wait(self, future: Future, timeout: Optional[float] = None):
        """The proof; Stopped once the service stops; FutureTimeout after `timeout` (if given)."""
        waited = 0.0
        while True:
            step = 0.2 if timeout is None else min(0.2, max(0.01, timeout - waited))
            try:
                return future.result(timeout=step)
            except FutureTimeout:
                if self.stop.is_set():
                    raise Stopped() from None
                waited += step
                if timeout is not None and waited >= timeout:
                    raise

    def _drop_ahead(self, reason: str) -> None:
        """The batch in hand is abandoned: so are the batches cut after it (cut on its
        state), their proofs cancelled; their ops go back to accepted."""
        while self._proving:
            p = self._proving.pop()
            cancel = getattr(self.proving, "cancel", None)
            if cancel is not None:
                cancel(p.future)
            n = self.store.abandon(p.cut.number, f"batch before it abandoned: {reason}")
            log.warning("batch %d abandoned with the batch before it: %d op(s) back to accepted", p.cut.number, n)

    def _land(self, h: "InHand") -> bool:
        """Submit (idempotent: not sent again if the chain has it) and wait until the batch
        is `confirmations` blocks deep; if the chain loses it meanwhile (a reorg), send it
        again. Settles it (True), or abandons it (False: its ops are cut again)."""
        cut = h.cut
        try:
            while True:
                if h.proof is None:  # taken in hand at recovery: no proof to send again
                    n, root = self.submitter.chain_head()
                    if n < cut.number:
                        raise Diverged(f"batch {cut.number} is no longer on chain and its proof is gone")
                else:
                    sent = self.submitter.submit(cut.record, h.proof, h.da)
                    recorded = self.store.get_batch(cut.number).status != "proved"
                    if sent.l1_tx is None and not recorded:  # it landed before, unrecorded: find its tx
                        sent = self.submitter.find_sent(cut.number, self.watcher.deployed_at) or sent
                    if sent.l1_tx or not recorded:
                        fields = {"l1_tx": sent.l1_tx, "gas": sent.gas} if sent.l1_tx else {}
                        self.store.batch_status(cut.number, "submitted", ops_to=st.SUBMITTED, **fields)
                if self._confirmed(cut):
                    break
        except Stopped:
            raise
        except Diverged as exc:
            self._in_hand = None
            self._drop_ahead(str(exc))
            n = self.store.abandon(cut.number, str(exc))
            log.error("batch %d abandoned (%s): %d op(s) back to accepted", cut.number, exc, n)
            self.recover()
            return False
        except Exception as exc:  # e.g. the round expired: abandon, re-cut with a newer round
            n, _ = self.submitter.chain_head()
            if n >= cut.number:  # it landed all the same (e.g. the receipt timed out): confirm it again
                log.warning("batch %d: %s; it is on chain: confirming it", cut.number, exc)
                return False
            self._in_hand = None
            self._drop_ahead(f"not accepted on chain: {exc}")
            n = self.store.abandon(cut.number, f"not accepted on chain: {exc}")
            log.warning("batch %d not accepted on chain (%s): abandoned, %d op(s) back to accepted",
                        cut.number, exc, n)
            self.admission.set_settled(h.settled)
            return False
        self._in_hand = None
        self.store.batch_status(cut.number, "settled", ops_to=st.SETTLED)
        self.admission.set_settled(cut.state)
        for n in sorted(self._payloads)[:-8]:  # a member catching up further back gets them rebuilt
            del self._payloads[n]
        if self.metrics is not None and h.t0 is not None:
            self.metrics.observe_batch(time.time() - h.t0)
        log.info("batch %d settled: root %#x", cut.number, cut.record.public.new_root)
        return True

    def _confirmed(self, cut) -> bool:
        """Wait until the chain `confirmations` blocks behind the head has the batch: True;
        False when the head itself no longer has it (its transaction was reorged out)."""
        while True:
            n, root = self.submitter.chain_head(self.watcher.block())
            if n >= cut.number:
                if n == cut.number and root != cut.record.public.new_root:
                    raise Diverged(f"chain at batch {n} has root {root:#x}, not the batch's")
                return True
            if self.submitter.chain_head()[0] < cut.number:
                log.warning("batch %d is no longer on chain (reorg): sending it again", cut.number)
                return False
            if self.stop.wait(0.5):
                raise Stopped()

    def close(self) -> None:
        self.stop.set()
        if getattr(self, "_committee_stop", None) is not None:
            self._committee_stop.set()
            self._committee_thread.join(timeout=15)
        if self.thread is not None:
            self.thread.join(timeout=15)
        if self.committee is not None:
            self.committee.close()

    def start_reporters(self, interval: float = 3.0) -> None:
        if self.handle.committee is not None:
            self._committee_thread, self._committee_stop = self.handle.committee.start(interval)
