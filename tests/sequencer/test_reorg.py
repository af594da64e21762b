"""Reorgs on a real anvil (`evm_snapshot`/`evm_revert`, `anvil_reorg`): with `confirmations`
K the pipeline never acts on an L1 entry less than K blocks deep, so a deposit reorged out
before that is never credited; and a batch whose transaction a reorg drops is sent again,
settles once, and its log row follows (submitted with the new transaction, then settled).

The pipeline runs in this process on the real Rollup (deployed by `open_chain`), store,
batcher, watchers and submitter. Its proofs come from a synthetic key (the Rollup's verifier
is generated from it: `verifier_contracts.synthetic`), the one stand-in: the reorg logic
lives in the watchers and the submitter, and the real prover takes a minute to start (the
crash tests in test_serve_crash.py use it)."""
from __future__ import annotations

import random
import time

import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.api import Services
from sequencer.oplog import Store
from sequencer.pipeline.batcher import load_record
from sequencer.pipeline.chain import LocalAnvil, open_chain
from sequencer.pipeline.service import Pipeline
from sequencer.proving import ProvedBatch
from sequencer.spec import TINY
from verifier_contracts.rollup import N_PUBLIC, n_exit_public, prove_synthetic
from verifier_contracts.synthetic import SyntheticKey

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]


class SyntheticProving:
    """The pipeline's proving stage with a synthetic key: a proof the chain's verifier accepts."""

    def __init__(self, rng: random.Random):
        self.key = SyntheticKey.random(N_PUBLIC, rng)
        self.exit_key = SyntheticKey.random(n_exit_public(TINY.num_markets), rng)
        self.rollup = None

    def vk_jsons(self):
        return self.key.vk_json(), self.exit_key.vk_json()

    def prove(self, record, stop):
        proof = prove_synthetic(self.rollup, self.key, record.public, random.Random(record.public.batch_number))
        return ProvedBatch(number=record.public.batch_number, digest=0, public=[], proof=proof, prove_s=0.0,
                           witness_s=0.0, verified=True)

    def close(self):
        pass


class World:
    def __init__(self, tmp_path, confirmations: int):
        self.anvil = LocalAnvil()
        self.store = Store(f"sqlite:///{tmp_path}/ops.db")
        self.proving = SyntheticProving(random.Random(5))
        self.handle = open_chain(self.store, self.anvil.url, TINY, self.proving.vk_jsons, reporters=True)
        self.proving.rollup = self.rollup = self.handle.rollup
        self.w3 = self.handle.chain.w3
        self.services = Services.build(self.store, self.handle.genesis.state(TINY))
        self.pipeline = Pipeline(self.store, self.services.admission, self.handle, self.proving, TINY, batch_age=0,
                                 confirmations=confirmations, poll_s=0.05)
        self.pipeline.recover()
        self.k = confirmations

    @property
    def settled(self):
        return self.services.admission.settled

    def rpc(self, method, *params):
        got = self.w3.provider.make_request(method, list(params))
        assert "error" not in got, got
        return got["result"]

    def mine(self, n: int = 1) -> None:
        for _ in range(n):
            self.rpc("evm_mine")

    def wait(self, cond, what: str, mine: bool = False, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while not cond():
            assert self.pipeline.error is None, self.pipeline.error
            assert time.time() < deadline, what
            if mine:
                self.mine()
            time.sleep(0.1)

    def register(self, seed: bytes, owner: str) -> int:
        aid = self.rollup.register(PrivateKey.from_seed(seed).public_key, sender=owner)
        self.handle.committee.step()  # a round to cut with
        return aid

    def deposit(self, aid: int, units: int, owner: str) -> None:
        amount = units * self.rollup.unit_scale
        self.rollup.mint(owner, amount)
        self.rollup.deposit(aid, amount, sender=owner)

    def close(self):
        self.pipeline.close()
        self.store.close()
        self.anvil.stop()


@pytest.fixture
def world2(tmp_path):
    w = World(tmp_path, confirmations=2)
    yield w
    w.close()


@pytest.fixture
def world3(tmp_path):
    w = World(tmp_path, confirmations=3)
    yield w
    w.close()


def test_a_deposit_reorged_out_before_k_confirmations_is_never_credited(world2):
    w = world2
    owner = w.w3.eth.accounts[1]
    w.pipeline.start()
    aid = w.register(b"reorg-alice", owner)
    w.wait(lambda: w.settled.registration_index == 1, "the registration settles", mine=True)
    snapshot = w.rpc("evm_snapshot")
    w.deposit(aid, 1000, owner)  # in the head block: 0 deep
    w.handle.committee.step()
    w.mine(w.k - 2)  # K - 1 deep (the round's block is one)
    time.sleep(1.0)  # the pipeline polls every 50 ms meanwhile: it must not act on the deposit
    assert w.pipeline.watcher.queue_entries(w.settled) == []
    assert w.settled.deposit_index == 0 and [b.number for b in w.store.batches()] == [1]
    w.rpc("evm_revert", snapshot)  # the deposit is reorged out
    w.mine(3)
    assert w.rollup.queues()["depositCount"] == 0
    w.deposit(aid, 2000, owner)  # another deposit takes queue index 0
    w.handle.committee.step()
    w.wait(lambda: w.settled.deposit_index == 1, "the surviving deposit settles", mine=True)
    assert w.settled.accounts[aid].collateral == 2000
    credited = [d for b in w.store.batches(limit=100) for d in load_record(b.record).public.deposits]
    assert [amount for _, amount, _ in credited] == [2000]
    assert [(b.number, b.status) for b in w.store.batches()] == [(2, "settled"), (1, "settled")]
    assert w.rollup.state()["stateRoot"] == w.settled.root()


def test_a_batch_whose_transaction_is_reorged_out_is_sent_again_and_settles_once(world3):
    w = world3
    w.pipeline.start()
    w.register(b"reorg-bob", w.w3.eth.accounts[2])
    w.mine(w.k)
    w.wait(lambda: (row := w.store.get_batch(1)) is not None and row.status == "submitted", "batch 1 is submitted")
    first_tx = w.store.get_batch(1).l1_tx
    assert w.rollup.state()["batchNumber"] == 1 and w.settled.batch_number == 0  # not K deep: not settled
    w.rpc("anvil_reorg", 1, [])  # the head block, with the batch's transaction, is replaced by an empty one
    assert w.rollup.state()["batchNumber"] == 0
    w.wait(lambda: w.store.get_batch(1).l1_tx != first_tx, "the batch is sent again")
    assert w.store.get_batch(1).status == "submitted" and w.settled.batch_number == 0
    w.wait(lambda: w.settled.batch_number == 1, "the batch settles once K deep", mine=True)
    row = w.store.get_batch(1)
    assert row.status == "settled" and row.l1_tx not in (None, first_tx)
    assert w.store.batch_attempts(1) == []  # the same attempt, sent twice: nothing abandoned
    state = w.rollup.state()
    assert state["batchNumber"] == 1 and state["stateRoot"] == w.settled.root()
    sent = w.rollup.rollup.events.BatchSubmitted().get_logs(from_block=0)
    assert [int(e["args"]["batchNumber"]) for e in sent] == [1]  # on the chain once
    assert w.w3.eth.get_transaction_receipt(row.l1_tx)["status"] == 1


def test_a_restart_confirms_a_batch_sent_before_it_or_re_cuts_one_a_reorg_dropped(world3):
    """The service stops with its batch submitted, not K deep yet. (a) A reorg drops the
    transaction while it is down: the restart abandons the batch (the attempt kept, its
    reason) and cuts it again. (b) Nothing drops it: the restart takes it in hand and settles
    it once K deep, without sending it again."""
    w = world3

    def restart():
        w.pipeline.close()
        assert w.pipeline.error is None, w.pipeline.error
        w.pipeline = Pipeline(w.store, w.services.admission, w.handle, w.proving, TINY, batch_age=0,
                              confirmations=w.k, poll_s=0.05)
        w.pipeline.recover()

    def submitted(n):
        return lambda: (row := w.store.get_batch(n)) is not None and row.status == "submitted"

    w.pipeline.start()
    w.register(b"reorg-carol", w.w3.eth.accounts[3])
    w.mine(w.k)
    w.wait(submitted(1), "batch 1 is submitted")
    w.pipeline.close()
    w.rpc("anvil_reorg", 1, [])  # while the service is down
    restart()
    row = w.store.get_batch(1)
    assert row.status == "abandoned"
    (attempt,) = w.store.batch_attempts(1)
    assert attempt.status == "submitted" and attempt.reason.startswith("restart") and attempt.l1_tx
    w.pipeline.start()
    w.wait(lambda: w.settled.batch_number == 1, "batch 1 is cut again and settles", mine=True)
    assert w.store.get_batch(1).l1_tx != attempt.l1_tx
    # (b)
    w.register(b"reorg-dave", w.w3.eth.accounts[4])
    w.mine(w.k)
    w.wait(submitted(2), "batch 2 is submitted")
    tx = w.store.get_batch(2).l1_tx
    restart()
    assert w.store.get_batch(2).status == "submitted" and w.settled.batch_number == 1  # in hand
    w.pipeline.start()
    w.wait(lambda: w.settled.batch_number == 2, "batch 2 settles once K deep", mine=True)
    assert (w.store.get_batch(2).status, w.store.get_batch(2).l1_tx) == ("settled", tx)
    assert w.store.batch_attempts(2) == []
    sent = w.rollup.rollup.events.BatchSubmitted().get_logs(from_block=0)
    assert [int(e["args"]["batchNumber"]) for e in sent] == [1, 2]
    assert w.rollup.state()["stateRoot"] == w.settled.root()
