from fastapi import APIRouter

from ...spec.ops import OptionTrade
from ..deps import AdmissionDep
from ..models import OpAccepted, OptionTradeIn
from .common import REFUSALS, admit, signature

router = APIRouter(prefix="/v1/option-trades", tags=["option trades"])


@router.post("", status_code=202, response_model=OpAccepted, responses=REFUSALS)
async def submit_option_trade(body: OptionTradeIn, admission: AdmissionDep) -> OpAccepted:
    """One co-signed option trade: accepted (202, its op id) once committed to the log;
    refused (400) on a preset without option slots, an unknown or expired series."""
    op = OptionTrade(series=body.series, size=body.size, premium=body.premium, buyer=body.buyer, seller=body.seller,
                     buyer_nonce=body.buyer_nonce, seller_nonce=body.seller_nonce, expiry=body.expiry, fee=body.fee,
                     buyer_signature=signature(body.buyer_signature),
                     seller_signature=signature(body.seller_signature))
    return OpAccepted(id=await admit(admission, op))
