"""Fault injection for the crash tests: `ZKCLEAR_CRASH_AT=POINT` makes the service SIGKILL
itself when the pipeline reaches POINT, so a test can kill it at a precise moment (not "some
time while it proves") and check what a restart does. Unset (always, outside tests), the
hook does nothing.

    proving      the batch is cut and persisted (`proving`), its proof is being made
    before_send  the batch is proved (`proved`), its transaction not sent yet
    after_send   the transaction is mined, the log does not know yet (still `proved`)

Only batches that carry signed requests (trades, withdrawals: ops from the log) count, so
the batches of a test's set-up (registrations, deposits) pass; `POINT@N` kills at the N-th
such batch (1 by default)."""
from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger("zkclear.faults")
ENV = "ZKCLEAR_CRASH_AT"
POINTS = ("proving", "before_send", "after_send")
_reached: dict = {}


SIGNED = ("Trade", "Withdraw")


def crash_point(point: str, record) -> None:
    """SIGKILL this process if ZKCLEAR_CRASH_AT names `point` and `record` (a spec
    BatchRecord) is the N-th batch with signed requests to reach it."""
    want = os.environ.get(ENV)
    if not want:
        return
    name, _, nth = want.partition("@")
    if name != point or not any(type(op).__name__ in SIGNED for op in record.batch.ops):
        return
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] == int(nth or 1):
        log.warning("fault injection: %s=%s, SIGKILL now", ENV, want)
        for h in logging.getLogger().handlers:
            h.flush()
        os.kill(os.getpid(), signal.SIGKILL)


TAMPER_ENV = "ZKCLEAR_DA_TAMPER"


def tamper_payload(member: int, payload):
    """`payload` as the sequencer sends it to DA member number `member` (the order of
    `--da-member`): itself, unless ZKCLEAR_DA_TAMPER names that member (tests only), which then
    gets each batch's payload (not genesis) with the first write's level-1 path entry altered,
    as a lying sequencer would send it. The member must refuse it and sign nothing."""
    want = os.environ.get(TAMPER_ENV)
    if not want or int(want) != member or payload.batch_number == 0 or not payload.writes:
        return payload
    from dataclasses import replace

    w = payload.writes[0]
    entry = w.path[0]
    bad = replace(w, path=(replace(entry, hash=(entry.hash + 1) % (1 << 253)), *w.path[1:]))
    return replace(payload, writes=(bad, *payload.writes[1:]))
