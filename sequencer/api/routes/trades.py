from fastapi import APIRouter

from ...spec.ops import Trade
from ..deps import AdmissionDep
from ..models import OpAccepted, TradeIn
from .common import REFUSALS, admit, signature

router = APIRouter(prefix="/v1/trades", tags=["trades"])


@router.post("", status_code=202, response_model=OpAccepted, responses=REFUSALS)
async def submit_trade(body: TradeIn, admission: AdmissionDep) -> OpAccepted:
    """One co-signed trade: accepted (202, its op id) once committed to the log."""
    op = Trade(market=body.market, size=body.size, price=body.price, buyer=body.buyer, seller=body.seller,
               buyer_nonce=body.buyer_nonce, seller_nonce=body.seller_nonce, expiry=body.expiry, fee=body.fee,
               buyer_signature=signature(body.buyer_signature), seller_signature=signature(body.seller_signature))
    return OpAccepted(id=await admit(admission, op))
