from fastapi import APIRouter, HTTPException, Path, Query

from ..deps import StoreDep
from ..models import BatchOut, ErrorOut

router = APIRouter(prefix="/v1/batches", tags=["batches"])


def batch_out(row, op_ids) -> BatchOut:
    return BatchOut(number=row.number, status=row.status, oracle_round=row.oracle_round, old_root=row.old_root,
                    new_root=row.new_root, op_ids=op_ids, prove_s=row.prove_s, gas=row.gas, l1_tx=row.l1_tx)


@router.get("", response_model=list[BatchOut])
def list_batches(store: StoreDep, limit: int = Query(20, ge=1, le=1000)) -> list[BatchOut]:
    """The batches, newest first."""
    return [batch_out(r, store.batch_op_ids(r.number)) for r in store.batches(limit)]


@router.get("/{number}", response_model=BatchOut, responses={404: {"model": ErrorOut}})
def get_batch(store: StoreDep, number: int = Path(ge=1, lt=1 << 63)) -> BatchOut:
    row = store.get_batch(number)
    if row is None:
        raise HTTPException(404, "unknown batch")
    return batch_out(row, store.batch_op_ids(number))
