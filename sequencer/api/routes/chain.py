from fastapi import APIRouter, HTTPException

from ..deps import ServicesDep
from ..models import ChainOut, ErrorOut

router = APIRouter(prefix="/v1/chain", tags=["chain"])


@router.get("", response_model=ChainOut, responses={503: {"model": ErrorOut}})
def chain(services: ServicesDep) -> ChainOut:
    """The chain URL, its id and the contract addresses (what a client needs to register and deposit)."""
    info = services.chain
    if not info.get("rollup"):
        raise HTTPException(503, "no chain configured")
    return ChainOut(**{k: info.get(k) for k in ChainOut.model_fields if k not in ("preset", "da_members")},
                    preset=services.preset.name, da_members=list(info.get("da_members") or ()))
