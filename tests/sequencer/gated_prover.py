"""The settlement prover with a gate, for the proving pool's tests (`test_pool.py`): a real
`BatchProver` (real witness, proof, verification) that, in a Dask worker, records the pid of
the worker starting each batch (Dask Variable `started-N`) and of the one finishing it
(`proved-N`), and holds the batches listed in $ZKCLEAR_TEST_GATE (batch numbers, comma
separated) until the test sets their Dask Event `open-N`. So a test can make a later batch's
proof finish first, or kill the worker holding a batch, at a moment it knows."""
from __future__ import annotations

import os

from sequencer.proving import BatchProver

ENV = "ZKCLEAR_TEST_GATE"


class GatedProver(BatchProver):
    def prove(self, record, out=None):
        from distributed import Event, Variable

        n = record.public.batch_number
        Variable(f"started-{n}").set(os.getpid())
        if str(n) in os.environ.get(ENV, "").split(","):
            Event(f"open-{n}").wait()
        proved = super().prove(record, out)
        Variable(f"proved-{n}").set(os.getpid())
        return proved
