"""The batcher: cuts a batch from the op log's accepted ops and the L1 queues' unconsumed
entries, with the spec's `build_batch` on the settled state, at the oracle's latest round,
and persists it (the record, and each op's move to `batched` or `refused`) before proving.

When: as soon as the pending trades (or withdrawals) fill the preset's slots for them, or the oldest pending op (or queue entry seen) is `batch_age` seconds old.

The round's funding indices are reached with `Funding` ops (at most the preset's funding
slots, each within its market's max delta); a round they cannot reach is skipped until a
later one. Ops the builder leaves for lack of a slot stay accepted (the next batch takes
them); ops it refuses (prices moved since admission, an expired op...) are refused with the
spec's reason: they were not in a batch."""
from __future__ import annotations

import base64
import copy
import logging
import pickle
import time
from dataclasses import dataclass
from typing import Optional

from ..admission import op_from_payload
from ..spec.ops import Funding
from ..spec.transition import SLOT_REASON, OpRefused, build_batch, process_batch
from .watchers import Round

log = logging.getLogger("zkclear.batcher")


@dataclass
class Cut:
    number: int
    record: object  # spec BatchRecord
    state: object  # the settled state after this batch (applied to a copy)
    op_ids: list
    refused: list


def dump_record(record) -> str:
    return base64.b64encode(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)).decode()


def load_record(text: str):
    return pickle.loads(base64.b64decode(text))


def funding_ops(preset, have, want) -> Optional[list]:
    """Funding ops that move the indices `have` to `want`, or None if the slots cannot."""
    ops = []
    for j, (a, b) in enumerate(zip(have, want)):
        delta, cap = b - a, preset.markets[j].max_funding_delta
        while delta:
            step = max(-cap, min(cap, delta))
            ops.append(Funding(market=j, delta=step))
            delta -= step
    return ops if len(ops) <= preset.funding_slots else None


class Batcher:
    """Cuts batches. A deposit to an account whose L1 registration is not consumed yet waits
    for it (the registration queue may be behind) until the deposit has waited `bounce_after`
    seconds; then it is consumed and bounced back to its owner, so the deposit queue always
    drains well inside its L1 deadline (`build_batch(bounce_unregistered=True)`)."""

    def __init__(self, store, preset, batch_age: float = 5.0, bounce_after: float = 600.0):
        self.store, self.preset, self.batch_age = store, preset, float(batch_age)
        self.bounce_after = float(bounce_after)
        self._queue_seen: dict = {}  # queue entry -> when first seen

    def due(self, rows, queue_ops, now: Optional[float] = None) -> bool:
        now = time.time() if now is None else now
        for op in queue_ops:
            self._queue_seen.setdefault((type(op).__name__, op.index), now)
        if not rows and not queue_ops:
            return False
        p = self.preset
        count = {k: sum(1 for r in rows if r.kind == k) for k in ("trade", "withdrawal", "option_trade")}
        if count["trade"] >= p.trade_slots or count["withdrawal"] >= p.withdrawal_slots \
                or (p.option_trade_slots and count["option_trade"] >= p.option_trade_slots):
            return True  # a kind fills its slots
        oldest = min([r.created_at for r in rows] +
                     [self._queue_seen[(type(op).__name__, op.index)] for op in queue_ops])
        return now - oldest >= self.batch_age

    def cut(self, settled, rows, queue_ops, rnd: Round) -> Optional[Cut]:
        """Build, apply to a copy of the settled state, persist; None when this round cannot
        be used (its funding is out of reach, or the builder cannot close a batch)."""
        if rnd.id < settled.oracle_round:
            return None
        funding = funding_ops(self.preset, settled.funding, rnd.funding)
        if funding is None:
            log.warning("round %d: funding out of reach of %d funding slot(s); waiting for another round",
                        rnd.id, self.preset.funding_slots)
            return None
        ops, ids = [], {}
        for row in rows:
            op = op_from_payload(row.kind, row.payload)
            ids[id(op)] = row.id
            ops.append(op)
        work = copy.deepcopy(settled)
        try:
            now = time.time()
            bounce = any(type(op).__name__ == "Deposit"
                         and now - self._queue_seen.get(("Deposit", op.index), now) >= self.bounce_after
                         for op in queue_ops)
            built = build_batch(work, list(queue_ops) + funding + ops, rnd.prices, rnd.id,
                                bounce_unregistered=bounce)
            record = process_batch(work, built.batch)
        except OpRefused as exc:
            log.warning("round %d: cannot cut a batch: %s", rnd.id, exc.reason)
            return None
        if tuple(record.public.funding) != tuple(rnd.funding):
            log.warning("round %d: funding mismatch after the batch; waiting for another round", rnd.id)
            return None
        op_ids = [ids[id(op)] for op in built.batch.ops if id(op) in ids]
        refused = [(ids[id(op)], reason) for op, reason in built.refused if id(op) in ids and reason != SLOT_REASON]
        number = record.public.batch_number
        self.store.put_batch(number, status="proving", oracle_round=rnd.id, old_root=hex(record.public.old_root),
                             new_root=hex(record.public.new_root), record=dump_record(record), op_ids=op_ids,
                             refused=refused)
        for op_id, reason in refused:
            log.info("op %s refused by the batcher: %s", op_id, reason)
        log.info("batch %d cut: %d ops from the log, %d L1 entries, round %d", number, len(op_ids),
                 sum(1 for op in built.batch.ops if type(op).__name__ in ("Register", "Deposit", "ForcedWithdraw")),
                 rnd.id)
        return Cut(number, record, work, op_ids, refused)
