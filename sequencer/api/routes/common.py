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
    """Throttling first (no work spent on a throttled request); then the op's signatures are
    checked off the event loop, batched with other requests' (`sequencer/preverify.py`),
    while the loop serves others; admission proper runs on the event loop (CPU under the GIL
    either way; no thread hop) and finds them checked; the answer waits, without blocking
    the loop, for the op's row to be committed."""
    admission.throttle(op)
    await asyncio.wrap_future(admission.preverify(op))
    accepted, committed = admission.admit(op, throttled=True)
    await asyncio.wrap_future(committed)
    return accepted.id
