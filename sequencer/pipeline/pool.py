"""The proving pool: batches proven by long-lived workers, each with the proving key loaded.

    pool = open_pool(preset, data_dir, provers=2)              # a local Dask cluster, 2 workers
    pool = open_pool(preset, data_dir, cluster="tcp://h:8786") # join a running Dask scheduler
    pool.warm().result()                 # the key is set up (once) and loaded by every worker
    future = pool.submit(record)         # a Future of ProvedBatch; proofs finish in any order
    pool.close()

Two kinds, one interface (`size`, `warm`, `vk_jsons`, `submit`, `close`):

- `LocalWorkerPool`: one worker process (killed
  with the service, even by SIGKILL). The default (`--provers 1`, no `--cluster`): nothing
  more to start than before.
- `DaskPool`: a Dask distributed cluster, local (`LocalCluster`, N one-thread worker
  processes under nannies) or joined by address. Each worker holds one prover object
  (`HeldProver`, installed on every worker by `ProverPlugin`, those that join later or are
  restarted included), so the circuit is built and the key loaded once per worker, not per batch.
  One thread per worker: a worker proves one batch at a time. A worker that dies while it
  proves is noticed by the scheduler, which runs its task again on another worker (its
  nanny restarts the dead one, which loads the key again); after three deaths of workers
  running the same batch the future fails (`KilledWorker`) and the pipeline stops.

Why Dask and not Ray (measured here, `python -m sequencer.engine_compare`, README): the
engine is only a dispatcher of a few tasks per minute (a proof is seconds), so its cost that
matters is what it takes from 2 shared cores and memory: a Dask local cluster starts in
~0.5 s with no process but its workers (~64 MB each), Ray's in ~2.7 s with ~560 MB of its
own processes (GCS, raylet, agents) beside ~94 MB per worker; a dead Dask worker's task is
rescheduled on a live worker at once, where Ray retries it on the restarted actor (which
must load the key again first). Ray's 1 ms task round trip against Dask's ~10 ms does not
matter at seconds per proof.

The key must be the same on every worker (the chain verifies with one verifying key), so
`warm` lets one worker load or set up the development key first (written under DATA/keys,
then read by the others); `vk_jsons` runs after it. Workers of a joined cluster read the key
from the same paths: give `--zkey` (or a DATA dir) that every machine has at that path.

The prover a worker holds is made by `PROVER_FACTORY` ("module:callable", called as
`factory(preset_name, data_dir, zkey, backend)`; it must offer `key()`, `vk_json()`,
`exit_vk_json()` and `prove(record)` like `sequencer.proving.BatchProver`), so a resident
prover drops in by naming it there."""
from __future__ import annotations

import importlib
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Optional

log = logging.getLogger("zkclear.pool")

PROVER_FACTORY = "sequencer.proving:resident_batch_prover"
PLUGIN = "zkclear-prover"


def make_prover(factory: str, preset_name: str, data_dir: str, zkey: Optional[str], backend: str):
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)(preset_name, data_dir, zkey, backend)


# --- the worker side: what each worker process holds ------------------------------------------------
class HeldProver:
    """The prover object of one worker process (made by the factory; the circuit and the
    key load at its first call, `warm` or a proof), one call at a time. `nice`: before its
    first proof the process lowers its CPU priority by that much (the key's setup, which the
    service waits for, runs at full priority), as `--background-nice` asks."""

    def __init__(self, factory: str, preset_name: str, data_dir: str, zkey: Optional[str], backend: str,
                 nice: int = 0):
        self.prover = make_prover(factory, preset_name, data_dir, zkey, backend)
        self.lock = threading.Lock()
        self.nice = nice

    def warm(self) -> str:
        """Load (or set up) the key; a prover with `warm()` (the resident one) also
        preprocesses it here, before the first proof."""
        with self.lock:
            if hasattr(self.prover, "warm"):
                return str(self.prover.warm())
            return str(self.prover.key()[2])

    def vk_jsons(self) -> tuple[dict, dict]:
        with self.lock:
            return self.prover.vk_json(), self.prover.exit_vk_json()

    def prove(self, record):
        from ..proving import lower_priority

        with self.lock:
            if self.nice:
                lower_priority(self.nice)  # threads started later inherit it
                self.nice = 0
            proved = self.prover.prove(record)
        proved.meta["worker_pid"] = os.getpid()
        return proved


# --- the single local worker (default) ----------------------------------------------------------
_LOCAL: Optional[HeldProver] = None  # in the single worker process


def _local_init(*args) -> None:
    from ..proving import _die_with_parent

    global _LOCAL
    _die_with_parent()  # the kernel kills it when the service dies, even by SIGKILL
    _LOCAL = HeldProver(*args)


def _local_warm() -> str:
    return _LOCAL.warm()


def _local_vks() -> tuple[dict, dict]:
    return _LOCAL.vk_jsons()


def _local_prove(record):
    return _LOCAL.prove(record)


class LocalWorkerPool:
    """One worker process ('spawn': a fresh interpreter, no inherited threads or sockets):
    the cheap default. `close()` kills it."""

    def __init__(self, preset_name: str, data_dir: str, zkey: Optional[str], backend: str, nice: int,
                 factory: str = PROVER_FACTORY):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_local_init,
                                         initargs=(factory, preset_name, data_dir, zkey, backend, nice))

    @property
    def size(self) -> int:
        return 1

    def warm(self) -> Future:
        return self._pool.submit(_local_warm)

    def vk_jsons(self) -> Future:
        return self._pool.submit(_local_vks)

    def submit(self, record) -> Future:
        return self._pool.submit(_local_prove, record)

    def warm_all(self) -> list[str]:
        return [self.warm().result()]

    def cancel(self, future: Future) -> None:
        future.cancel()

    def close(self) -> None:
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        for p in procs:  # a batch in hand is abandoned: the service re-proves it after a restart
            if p.is_alive():
                p.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.join(timeout=5)


# --- the Dask pool ----------------------------------------------------------------------------------
try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # only `--provers N>1` / `--cluster` need it
    _WorkerPlugin = object


class ProverPlugin(_WorkerPlugin):
    """Installed on every worker (those that join later or are restarted included): the
    worker's `HeldProver`."""

    name = PLUGIN

    def __init__(self, factory: str, preset_name: str, data_dir: str, zkey: Optional[str], backend: str,
                 nice: int = 0):
        self.args = (factory, preset_name, data_dir, zkey, backend, nice)

    def setup(self, worker) -> None:
        self.held = HeldProver(*self.args)


def _held() -> HeldProver:
    from distributed import get_worker

    return get_worker().plugins[PLUGIN].held


def _warm() -> str:
    return _held().warm()


def _vks() -> tuple[dict, dict]:
    return _held().vk_jsons()


def _prove(record):
    return _held().prove(record)


class DaskPool:
    """Proofs on a Dask cluster: local with `provers` workers, or the one at `cluster`."""

    def __init__(self, preset_name: str, data_dir: str, zkey: Optional[str], backend: str, nice: int,
                 provers: int = 2, cluster: Optional[str] = None, factory: str = PROVER_FACTORY):
        import dask
        from distributed import Client, LocalCluster

        # a proof is sent to a worker only when it is free (no prefetch onto a busy worker, so
        # none waits behind another while a worker idles); queued proofs wait at the scheduler
        dask.config.set({"distributed.scheduler.worker-saturation": 1.0})
        self.cluster = None
        if cluster is None:
            # no memory limit: a mainnet proof holds GBs; the nannies restart a dead worker.
            # The cores are shared out: each worker's native prover gets cores/N threads
            # (RAYON_NUM_THREADS), not all of them each (N proofs would oversubscribe them)
            env = {} if "RAYON_NUM_THREADS" in os.environ else \
                {"RAYON_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // provers))}
            self.cluster = LocalCluster(n_workers=provers, threads_per_worker=1, processes=True,
                                        memory_limit=0, dashboard_address=None, env=env,
                                        silence_logs=logging.WARNING)
            self.client = Client(self.cluster, set_as_default=False)
        else:
            self.client = Client(cluster, set_as_default=False, timeout=30)
        data_dir = str(Path(data_dir).resolve()) if cluster is None else str(data_dir)
        self.client.register_plugin(ProverPlugin(factory, preset_name, data_dir, zkey, backend, nice))
        self._serial = ThreadPoolExecutor(1, thread_name_prefix="pool-warm")  # warm, then the vks
        self._seq = 0

    def workers(self) -> dict:
        """{address: threads} of the cluster's workers now."""
        return {a: w.get("nthreads", 1) for a, w in self.client.scheduler_info(n_workers=-1)["workers"].items()}

    @property
    def size(self) -> int:
        """Proofs that can run at once: the workers' threads."""
        return max(1, sum(self.workers().values()))

    def warm(self) -> Future:
        """One worker loads (or sets up) the key; then every other loads it (not waited
        for). The future gives the key's path."""
        def run() -> str:
            addrs = list(self.workers())
            path = self.client.submit(_warm, pure=False, workers=addrs[:1]).result()
            self._rest = [self.client.submit(_warm, pure=False, workers=[a]) for a in addrs[1:]]
            return path
        return self._serial.submit(run)

    def warm_all(self) -> list[str]:
        """Wait until every worker has the key loaded (benchmarks: time proofs, not loads)."""
        self.warm().result()
        return [self.client.submit(_warm, pure=False, workers=[a]).result() for a in self.workers()]

    def vk_jsons(self) -> Future:
        return self._serial.submit(lambda: self.client.submit(_vks, pure=False).result())

    def submit(self, record) -> Future:
        """A concurrent.futures.Future of the batch's ProvedBatch (from any worker)."""
        self._seq += 1
        key = f"prove-batch-{record.public.batch_number}-{os.getpid()}-{self._seq}"
        task = self.client.submit(_prove, record, key=key, pure=False)
        out: Future = Future()
        out.task = task  # the Dask future (tests: which worker runs it)

        def done(f) -> None:
            if out.cancelled():
                return
            try:
                out.set_result(f.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiter
                out.set_exception(exc)
        task.add_done_callback(done)
        return out

    def cancel(self, future: Future) -> None:
        task = getattr(future, "task", None)
        if task is not None:
            task.cancel()
        future.cancel()

    def close(self) -> None:
        self._serial.shutdown(wait=False, cancel_futures=True)
        try:
            self.client.close(timeout=10)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=10)


def open_pool(preset, data_dir, zkey=None, backend: str = "native", nice: int = 0, *, provers: int = 1,
              cluster: Optional[str] = None, factory: Optional[str] = None):
    """The pool `zkclear serve` proves with: today's single worker process unless more
    provers or a cluster are asked for (`factory`: the workers' prover, PROVER_FACTORY by
    default)."""
    name = preset if isinstance(preset, str) else preset.name
    zkey = str(zkey) if zkey else None
    factory = factory or PROVER_FACTORY
    if cluster is None and provers <= 1:
        return LocalWorkerPool(name, str(data_dir), zkey, backend, nice, factory)
    return DaskPool(name, str(data_dir), zkey, backend, nice, provers=provers, cluster=cluster, factory=factory)
