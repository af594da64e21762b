from fastapi import APIRouter

from ...spec.ops import Withdraw
from ..deps import AdmissionDep
from ..models import OpAccepted, WithdrawalIn
from .common import REFUSALS, admit, signature

router = APIRouter(prefix="/v1/withdrawals", tags=["withdrawals"])


@router.post("", status_code=202, response_model=OpAccepted, responses=REFUSALS)
async def submit_withdrawal(body: WithdrawalIn, admission: AdmissionDep) -> OpAccepted:
    """A signed withdrawal to the account's L1 owner: 202 once committed to the log."""
    op = Withdraw(account=body.account, amount=body.amount, nonce=body.nonce, expiry=body.expiry,
                  signature=signature(body.signature))
    return OpAccepted(id=await admit(admission, op))
