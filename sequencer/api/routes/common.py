import asyncio

from circuits.crypto.eddsa import Signature

from ..models import ErrorOut, OpPublic, SignatureIn

REFUSALS = {400: {"model": ErrorOut, "description": "refused by the spec (reason)"},
            409: {"model": ErrorOut, "description": "nonce already used (a replay)"},
            422: {"model": ErrorOut, "description": "malformed request"},
            429: {"model": ErrorOut, "description": "throttled: see Retry-After"}}


def signature(s: SignatureIn) -> Signature:
    return Signature((s.R8x, s.R8y), s.S)


def op_public(row) -> OpPublic:
    return OpPublic(id=row.id, kind=row.kind, status=row.status, batch=row.batch, reason=row.reason, l1_tx=row.l1_tx)


async def admit(admission, op) -> str:
    """Admission runs on the event loop (its work is CPU under the GIL either way; no thread
    hop); the answer waits, without blocking the loop, for the op's row to be committed."""
    accepted, committed = admission.admit(op)
    await asyncio.wrap_future(committed)
    return accepted.id
