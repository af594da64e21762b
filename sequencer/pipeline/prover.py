"""The pipeline's proving stage: a `sequencer.proving.ProvingWorker` (one process, killed
with the service) and the wait for its proof, which gives up when the service stops."""
from __future__ import annotations

import threading
from concurrent.futures import TimeoutError as FutureTimeout

from ..proving import ProvedBatch, ProvingWorker
from .faults import crash_point


class Stopped(Exception):
    """The service is stopping: the batch in hand is left as it is (re-proved after a restart)."""


class ProvingStage:
    def __init__(self, preset, data_dir, zkey=None, backend: str = "native", nice: int = 0):
        self.worker = ProvingWorker(preset, data_dir, zkey, backend, nice=nice)

    def vk_jsons(self, stop: threading.Event) -> tuple[dict, dict]:
        return self._wait(self.worker.vk_jsons(), stop)

    def prove(self, record, stop: threading.Event) -> ProvedBatch:
        future = self.worker.submit(record)
        crash_point("proving", record)  # tests: ZKCLEAR_CRASH_AT=proving (the worker is proving)
        return self._wait(future, stop)

    @staticmethod
    def _wait(future, stop: threading.Event):
        while True:
            try:
                return future.result(timeout=0.2)
            except FutureTimeout:
                if stop.is_set():
                    future.cancel()
                    raise Stopped() from None

    def close(self) -> None:
        self.worker.close()
