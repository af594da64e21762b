"""The pipeline's proving stage: a proving pool (`pool.py`: by default one worker process,
killed with the service; `--provers N` / `--cluster ADDRESS`: a Dask cluster) and the wait
for its proofs, which gives up when the service stops. Proofs are submitted as batches are
cut and may finish in any order; the pipeline waits for them in batch order."""
from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Optional

from ..proving import ProvedBatch
from .faults import crash_point
from .pool import open_pool


class Stopped(Exception):
    """The service is stopping: the batch in hand is left as it is (re-proved after a restart)."""


class ProvingStage:
    def __init__(self, preset, data_dir, zkey=None, backend: str = "native", nice: int = 0, *,
                 provers: int = 1, cluster: Optional[str] = None, factory: Optional[str] = None):
        self.worker = self.pool = open_pool(preset, data_dir, zkey, backend, nice, provers=provers, cluster=cluster,
                                            factory=factory)

    @property
    def size(self) -> int:
        """How many batches may be proving at once (the pool's workers)."""
        return self.pool.size

    def vk_jsons(self, stop: threading.Event) -> tuple[dict, dict]:
        return self.wait(self.pool.vk_jsons(), stop)

    def submit(self, record) -> Future:
        """Start proving `record` on a free worker: a Future of ProvedBatch."""
        future = self.pool.submit(record)
        crash_point("proving", record)  # tests: ZKCLEAR_CRASH_AT=proving (the worker is proving)
        return future

    def prove(self, record, stop: threading.Event) -> ProvedBatch:
        return self.wait(self.submit(record), stop)

    def cancel(self, future: Future) -> None:
        self.pool.cancel(future)

    def wait(self, future, stop: threading.Event, timeout: Optional[float] = None):
        """The future's result; Stopped (the future cancelled) once `stop` is set; with a
        `timeout`, FutureTimeout when it is not done by then."""
        waited = 0.0
        while True:
            try:
                return future.result(timeout=0.2)
            except FutureTimeout:
                if stop.is_set():
                    self.cancel(future)
                    raise Stopped() from None
                waited += 0.2
                if timeout is not None and waited >= timeout:
                    raise

    def close(self) -> None:
        self.pool.close()
