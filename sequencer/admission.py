"""Admission: the stage that decides, for each signed request, whether it enters the op log.

A trade, an option trade or a withdrawal is accepted when the spec's own processor accepts it on the
*pending state*: the settled state (the spec's `State` after the last settled batch) with
every op still pending in the log (accepted, or in a batch not yet settled) applied in log
order. `transition.process_trade` / `process_option_trade` / `process_withdrawal` are called on it
unchanged, so
admission checks exactly what the batch will: field ranges, known accounts, both
signatures (`verify_poseidon`), expiry against the *next* batch number, the nonce window,
and the margin rule (TV >= IR, or reduced risk and TV >= MR) at the last batch's prices.
Refusals carry the spec's reason. Option trades (options presets, `spec/options.py`) are
checked at the last batch's option figures (the series listed and not expired by then, the
grid margin at its marks); a service whose preset has no option slots refuses every option
trade at once (`NO_OPTIONS_REASON`), before any other work.

Two differences from a batch, both deliberate:
- Box checks are noted, not enforced (the spec's lenient mode, `State.observed`, which the
  batch builder's first pass uses): the builder touches an account before ops that leave its
  box, so "outside its box" is never a reason to refuse a request.
- The pending state keeps no tree (`PendingState.write_account` writes the leaf only):
  admission never needs a root, and a leaf write then costs no hashing.

Ordering and durability (group commit): under one lock an op is applied to the pending
state and queued for the log; a writer thread appends everything queued in one transaction
(one fsync for the group) and only then are the callers answered. The log's order is the
order the lock applied the ops in, and an op is acknowledged only once its row is
committed. If a group's commit fails, none of its callers gets an acknowledgement
(`LogUnavailable`, HTTP 503) and the pending state is rebuilt from the log, which is the
truth. A cancellation, or a change of the settled state (`set_settled`), also rebuilds the
pending state by replaying the log; the replay takes the log's pending ops and those settled
in batches the settled state does not hold yet (the pipeline marks a batch settled in the
log just before it hands admission the new settled state).

A cancelled op is dead for good: its signed request, sent again by anyone (the counterparty
holds both signatures), is refused ("op was cancelled", HTTP 409) though the cancel freed
its nonces. Admission keeps the cancelled ops' signed fields until they expire; they are
noted before the log's row changes, so no replay slips in while a rebuild frees the nonces.

Back-pressure: at most `max_pending` accepted-but-unbatched ops; each account has a token
bucket (`rate_per_s`, `burst`), charged for both parties of a trade. Either refusal is
`Throttled` (HTTP 429 with Retry-After), decided before any verification work."""
from __future__ import annotations

import json
import logging
import math
import secrets
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, fields
from typing import Optional

from circuits.crypto.eddsa import Signature, verify_poseidon

from .metrics import Metrics
from .oplog import Store
from .oplog import status as st
from .preverify import Preverifier, signatures_of
from .spec.ops import Cancel, OptionTrade, Trade, Withdraw, message_hash
from .spec.state import Account, State
from .spec.transition import OpRefused, process_option_trade, process_trade, process_withdrawal

log = logging.getLogger("zkclear.admission")  # op ids, kinds and reasons only: never an account's data

KINDS = {"trade": Trade, "withdrawal": Withdraw, "option_trade": OptionTrade}
PROCESSORS = {Trade: process_trade, Withdraw: process_withdrawal, OptionTrade: process_option_trade}
NO_OPTIONS_REASON = "option trades need an options preset: this service's preset has no option slots"


class Throttled(Exception):
    def __init__(self, why: str, retry_after: int):
        super().__init__(why)
        self.why, self.retry_after = why, max(1, int(retry_after))


class LogUnavailable(Exception):
    """The op log could not commit: nothing was acknowledged."""


class GroupCommitter:
    """Appends queued op rows to the log, many per transaction, in queue order."""

    def __init__(self, store: Store, on_failure):
        self.store, self.on_failure = store, on_failure
        self._queue: list[tuple[dict, Future]] = []
        self._cv = threading.Condition()
        self._stop = False
        self._inflight = False
        self._thread = threading.Thread(target=self._run, name="oplog-writer", daemon=True)
        self._thread.start()

    def enqueue(self, row: dict) -> Future:
        fut: Future = Future()
        with self._cv:
            if self._stop:
                raise LogUnavailable("the op log is closed")
            self._queue.append((row, fut))
            self._cv.notify()
        return fut

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                group, self._queue = self._queue, []
                if not group and self._stop:
                    return
                self._inflight = True
            try:
                self.store.insert_ops([row for row, _ in group])
            except Exception as exc:  # nothing of the group, nor what queued behind it, is acknowledged
                failed = group + self.on_failure({row["id"] for row, _ in group}, self._drain)
                log.error("op log commit failed (%s): %d ops not acknowledged", type(exc).__name__, len(failed))
                for _, fut in failed:
                    fut.set_exception(LogUnavailable(f"op log commit failed: {type(exc).__name__}"))
            else:
                for _, fut in group:
                    fut.set_result(None)
            with self._cv:
                self._inflight = False
                self._cv.notify_all()

    def flush(self) -> None:
        """Wait until everything queued so far is committed (or failed)."""
        with self._cv:
            while (self._queue or self._inflight) and self._thread.is_alive():
                self._cv.wait(timeout=1)

    def _drain(self) -> list:
        with self._cv:
            queued, self._queue = self._queue, []
        return queued

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=30)


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


# --- ops in the log: JSON payloads ----------------------------------------------------------------
def sig_to_json(sig: Optional[Signature]):
    return None if sig is None else {"R8x": str(sig.R8[0]), "R8y": str(sig.R8[1]), "S": str(sig.S)}


def sig_from_json(obj) -> Optional[Signature]:
    return None if obj is None else Signature((int(obj["R8x"]), int(obj["R8y"])), int(obj["S"]))


def op_to_payload(op) -> str:
    out = {}
    for f in fields(op):
        v = getattr(op, f.name)
        out[f.name] = sig_to_json(v) if f.name.endswith("signature") else str(v)
    return json.dumps(out, sort_keys=True)


def op_from_payload(kind: str, payload: str):
    cls, data = KINDS[kind], json.loads(payload)
    return cls(**{k: sig_from_json(v) if k.endswith("signature") else int(v) for k, v in data.items()})


def parties(op) -> tuple[int, Optional[int]]:
    return (op.buyer, op.seller) if isinstance(op, (Trade, OptionTrade)) else (op.account, None)


def kind_of(op) -> str:
    return {Trade: "trade", OptionTrade: "option_trade"}.get(type(op), "withdrawal")


CANCELLED_REASON = "op was cancelled"


def op_key(op) -> tuple:
    """What a signed request says, signatures aside: the same key is the same request."""
    return (type(op).__name__,) + tuple(getattr(op, f.name) for f in fields(op) if not f.name.endswith("signature"))


# --- the pending state -------------------------------------------------------------------------------
class _NoteNothing(dict):
    """`State.observed` that forgets: box checks become notes (lenient), kept nowhere."""

    def setdefault(self, key, default=None):
        return []


class PendingState(State):
    """The settled state's leaves with the pending ops applied; no tree (see module doc)."""

    def write_account(self, index: int, account: Account) -> None:
        self.accounts[index] = account

    def read_account(self, index: int) -> None:
        pass

    @classmethod
    def of(cls, settled: State) -> "PendingState":
        values = {f.name: getattr(settled, f.name) for f in fields(State)}
        values.update(accounts=dict(settled.accounts), batch_number=settled.batch_number + 1, withdrawals=[],
                      log=None, observed=_NoteNothing(), _journal=None, fees=0)
        return cls(**values)


# --- rate limits ---------------------------------------------------------------------------------------
class TokenBuckets:
    """Per-key token buckets: `rate` tokens per second, at most `burst`."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, keys) -> Optional[float]:
        """Take one token from each key's bucket, or none and return the seconds to wait."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            levels = {}
            for k in set(keys):
                tokens, last = self._buckets.get(k, (self.burst, now))
                levels[k] = min(self.burst, tokens + (now - last) * self.rate)
            short = [k for k, t in levels.items() if t < 1]
            if short:
                return max((1 - levels[k]) / self.rate for k in short)
            for k, t in levels.items():
                self._buckets[k] = (t - 1, now)
            return None


# --- admission -------------------------------------------------------------------------------------------
@dataclass
class Accepted:
    id: str
    kind: str


class Admission:
    def __init__(self, store: Store, settled: State, *, max_pending: int = 10_000, rate_per_s: float = 0,
                 burst: float = 0, metrics: Optional[Metrics] = None):
        self.store, self.metrics = store, metrics or Metrics()
        self.max_pending = max_pending
        self.buckets = TokenBuckets(rate_per_s, burst or max(1.0, rate_per_s))
        self.lock = threading.Lock()  # the pending state and the order of the log
        self._rebuilding = threading.Lock()  # one rebuild at a time
        self._since: Optional[list] = None  # (op id, op) admitted while a rebuild replays the log
        self.settled = settled
        self.cancelled: dict = {}  # op_key of a cancelled op -> its expiry
        for row in store.cancelled_ops():
            self._note_cancelled(op_from_payload(row.kind, row.payload))
        self.committer = GroupCommitter(store, on_failure=self._log_failed)
        self.preverifier = Preverifier()
        self.rebuild()

    def _log_failed(self, failed_ids: set, drain) -> list:
        """A group did not commit: under the lock (no op can be queued meanwhile) drop what
        is queued behind it and rebuild the pending state from the log, the truth."""
        with self.lock:
            queued = drain()
            failed_ids = failed_ids | {row["id"] for row, _ in queued}
            self.pending = self._replay(self.settled, self.store.pending_ops(after_batch=self.settled.batch_number))
            self._set_depth(self.store.count_ops(st.ACCEPTED))
            if self._since is not None:  # a rebuild in progress must not re-apply them
                self._since[:] = [(i, op) for i, op in self._since if i not in failed_ids]
        return queued

    def close(self) -> None:
        self.preverifier.close()
        self.committer.close()

    @property
    def preset(self):
        return self.settled.preset

    # --- the pending state -------------------------------------------------------------------------
    def rebuild(self, settled: Optional[State] = None) -> None:
        """pending = settled + the log's pending ops, in order (optionally on a new settled
        state). An op the replay refuses (one it depended on was cancelled) stays in the log
        for the batcher to refuse.

        The replay (which re-verifies every pending op's signatures) runs outside the
        admission lock, so admission goes on meanwhile: from a moment under the lock on, the
        ops admitted are recorded; the log is then flushed and read (it holds every op
        admitted before that moment, and perhaps some recorded ones); after the replay,
        under the lock again, the recorded ops the log did not hold are applied to the new
        state, which replaces the old one."""
        with self._rebuilding:
            with self.lock:
                if settled is not None:
                    self.settled = settled
                base, self._since = self.settled, []
            try:
                self.committer.flush()  # every op admitted before is in the log now
                rows = self.store.pending_ops(after_batch=base.batch_number)
                depth = self.store.count_ops(st.ACCEPTED)
                pending = self._replay(base, rows)
            except BaseException:
                with self.lock:
                    self._since = None
                raise
            with self.lock:  # one critical section: no op slips between the record and the swap
                since, self._since = self._since, None
                if base is self.settled:
                    in_log = {row.id for row in rows}
                    later = [op for op_id, op in since if op_id not in in_log]
                    for op in later:
                        self._apply(pending, op)
                    self.pending = pending
                    self._set_depth(depth + len(later))

    @staticmethod
    def _apply(pending: "PendingState", op) -> bool:
        try:
            PROCESSORS[type(op)](pending, op)
            return True
        except OpRefused:
            return False
        finally:
            pending.withdrawals.clear()

    def _replay(self, settled: State, rows) -> "PendingState":
        pending = PendingState.of(settled)
        for row in rows:
            self._apply(pending, op_from_payload(row.kind, row.payload))
        return pending

    def _set_depth(self, depth: int) -> None:
        self.depth = depth
        self.metrics.queue_depth.labels("accepted").set(depth)

    def set_settled(self, settled: State) -> None:
        """A batch settled (or the service restarted): the pending state is rebuilt on it."""
        self.rebuild(settled)
        with self.lock:  # an expired op is refused anyway: forget the cancelled ones that are
            self.cancelled = {k: e for k, e in self.cancelled.items() if e > settled.batch_number}

    def _note_cancelled(self, op) -> None:
        if op.expiry > self.settled.batch_number:
            self.cancelled[op_key(op)] = op.expiry

    def batched(self, count: int) -> None:
        """The batcher moved `count` ops out of `accepted`."""
        with self.lock:
            self._set_depth(max(0, self.depth - count))

    # --- requests ------------------------------------------------------------------------------------
    def submit(self, op) -> Accepted:
        """Admit a Trade, OptionTrade or Withdraw: Throttled, OpRefused (the spec's reason), or
        Accepted once its row is committed."""
        accepted, committed = self.admit(op)
        committed.result()
        return accepted

    def throttle(self, op) -> None:
        """Raise Throttled when a known party's token bucket is empty (one token is taken
        from each otherwise) or the pending queue is full: decided before any verification
        work is spent on the op. An option trade on a preset without option slots is refused
        before that (OpRefused)."""
        self.check_supported(op)
        known = [a for a in parties(op) if a is not None and a in self.pending.accounts]
        wait = self.buckets.take(known)
        if wait is not None:
            self.metrics.throttled.labels("rate").inc()
            raise Throttled("rate limit", math.ceil(wait))
        if self.depth >= self.max_pending:
            self.metrics.throttled.labels("queue").inc()
            raise Throttled("pending queue full", 1)

    def check_supported(self, op) -> None:
        """OpRefused(NO_OPTIONS_REASON) for an option trade when the preset has no option slots."""
        if isinstance(op, OptionTrade) and not self.preset.option_slots:
            self.metrics.refused.labels("option_trade", NO_OPTIONS_REASON).inc()
            raise OpRefused(NO_OPTIONS_REASON)

    def preverify(self, op) -> Future:
        """Check the op's signatures ahead, off the caller's thread (`preverify.py`): the
        future completes when they are checked; `admit` then finds the valid ones in the
        memo. Only a speed-up: `admit` checks every signature whether or not this ran."""
        items = signatures_of(op, self.pending.accounts, self.preset.domain)
        if not items:
            done: Future = Future()
            done.set_result(None)
            return done
        return self.preverifier.submit(items)

    def admit(self, op, *, throttled: bool = False) -> tuple[Accepted, Future]:
        """`submit` without the wait: the op is applied and queued for the log; the future
        completes when its row is committed (LogUnavailable if it is not). Acknowledge only
        after that. `throttled=True`: the caller already passed `throttle(op)`."""
        kind = kind_of(op)
        self.check_supported(op)
        if not throttled:
            self.throttle(op)
        with self.lock:
            if self.depth >= self.max_pending:
                self.metrics.throttled.labels("queue").inc()
                raise Throttled("pending queue full", 1)
            if self.cancelled and op_key(op) in self.cancelled:
                self.metrics.refused.labels(kind, CANCELLED_REASON).inc()
                raise OpRefused(CANCELLED_REASON)
            pending = self.pending
            try:
                PROCESSORS[type(op)](pending, op)
            except OpRefused as exc:
                self.metrics.refused.labels(kind, exc.reason).inc()
                log.info("%s refused: %s", kind, exc.reason)
                raise
            finally:
                pending.withdrawals.clear()
            op_id = secrets.token_hex(16)
            a, b = parties(op)
            done = self.committer.enqueue(dict(id=op_id, kind=kind, payload=op_to_payload(op), account_a=a,
                                               account_b=b))
            if self._since is not None:
                self._since.append((op_id, op))
            self._set_depth(self.depth + 1)

        def acknowledged(f: Future) -> None:
            if f.exception() is None:
                self.metrics.accepted.labels(kind).inc()
                log.debug("%s %s accepted", kind, op_id)
        done.add_done_callback(acknowledged)
        return Accepted(op_id, kind), done

    def cancel(self, op_id: str, account: int, signature: Signature) -> None:
        """Cancel an accepted op on a party's signed request (`ops.Cancel`)."""
        row = self.store.get_op(op_id)
        if row is None:
            raise NotFound("unknown op")
        if account not in (row.account_a, row.account_b):
            raise OpRefused("not a party of this op")
        leaf = self.settled.accounts.get(account)
        msg = message_hash(Cancel(int(op_id, 16), account), self.preset.domain)
        if leaf is None or not verify_poseidon(msg, signature, leaf.pubkey):
            raise OpRefused("bad signature")
        op = op_from_payload(row.kind, row.payload)
        with self.lock:  # before the row changes: a rebuild that sees it cancelled frees its nonces
            known = op_key(op) in self.cancelled
            self._note_cancelled(op)
        if row.status != st.ACCEPTED or not self.store.cancel(op_id):
            if not known:
                with self.lock:
                    self.cancelled.pop(op_key(op), None)
            raise Conflict(f"op is {self.store.get_op(op_id).status}: only an accepted op can be cancelled")
        log.info("op %s cancelled", op_id)
        self.rebuild()
