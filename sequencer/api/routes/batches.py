"""GET /v1/batches, /v1/batches/{n}: the stored batches (their latest attempt, with the
abandoned ones in `attempts`) and, when ops are accepted and waiting, the `open` batch: the
next number, not cut yet (not stored: computed from the log)."""
import json
from typing import Optional

from fastapi import APIRouter, HTTPException, Path, Query

from ..deps import StoreDep
from ..models import AttemptOut, BatchOut, ErrorOut

router = APIRouter(prefix="/v1/batches", tags=["batches"])
OPEN_OP_IDS = 1000  # the open batch lists at most this many waiting ops


def batch_out(row, op_ids, attempts=()) -> BatchOut:
    return BatchOut(number=row.number, status=row.status, oracle_round=row.oracle_round, old_root=row.old_root,
                    new_root=row.new_root, op_ids=op_ids, prove_s=row.prove_s, gas=row.gas, l1_tx=row.l1_tx,
                    attempts=[AttemptOut(attempt=a.attempt, status=a.status, reason=a.reason,
                                         oracle_round=a.oracle_round, old_root=a.old_root, new_root=a.new_root,
                                         op_ids=json.loads(a.op_ids), prove_s=a.prove_s, gas=a.gas, l1_tx=a.l1_tx,
                                         abandoned_at=a.abandoned_at) for a in attempts])


def open_batch(store, newest) -> Optional[BatchOut]:
    """The batch being filled: the number after the newest (unless that one was abandoned:
    it is cut again), while accepted ops wait."""
    if newest is not None and newest.status == "abandoned":
        return None
    waiting = [r.id for r in store.accepted_ops(limit=OPEN_OP_IDS)]
    if not waiting:
        return None
    return BatchOut(number=1 if newest is None else newest.number + 1, status="open", op_ids=waiting)


@router.get("", response_model=list[BatchOut])
def list_batches(store: StoreDep, limit: int = Query(20, ge=1, le=1000)) -> list[BatchOut]:
    """The batches, newest first (the open one first, when ops wait)."""
    rows = store.batches(limit)
    out = [batch_out(r, store.batch_op_ids(r.number), store.batch_attempts(r.number)) for r in rows]
    opened = open_batch(store, rows[0] if rows else None)
    return ([opened] + out)[:limit] if opened is not None else out


@router.get("/{number}", response_model=BatchOut, responses={404: {"model": ErrorOut}})
def get_batch(store: StoreDep, number: int = Path(ge=1, lt=1 << 63)) -> BatchOut:
    row = store.get_batch(number)
    if row is None:
        newest = store.batches(1)
        opened = open_batch(store, newest[0] if newest else None)
        if opened is not None and opened.number == number:
            return opened
        raise HTTPException(404, "unknown batch")
    return batch_out(row, store.batch_op_ids(number), store.batch_attempts(number))
