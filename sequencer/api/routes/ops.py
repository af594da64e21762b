from fastapi import APIRouter, HTTPException

from ..deps import AdmissionDep, OpIdPath, StoreDep
from ..models import CancelIn, ErrorOut, OpPublic
from .common import op_public, signature

router = APIRouter(prefix="/v1/ops", tags=["ops"])


@router.get("/{op_id}", response_model=OpPublic, responses={404: {"model": ErrorOut}})
def get_op(op_id: OpIdPath, store: StoreDep) -> OpPublic:
    """An op's progress, for whoever holds its (unguessable) id."""
    row = store.get_op(op_id)
    if row is None:
        raise HTTPException(404, "unknown op")
    return op_public(row)


@router.post("/{op_id}/cancel", response_model=OpPublic,
             responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def cancel_op(op_id: OpIdPath, body: CancelIn, admission: AdmissionDep, store: StoreDep) -> OpPublic:
    """Cancel an accepted op (not yet batched), signed by one of its parties (spec.ops.Cancel)."""
    admission.cancel(op_id, body.account, signature(body.signature))
    return op_public(store.get_op(op_id))
