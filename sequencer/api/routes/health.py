from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..deps import ServicesDep
from ..models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(services: ServicesDep) -> Health:
    try:
        db = services.store.ping()
    except Exception:
        db = False
    return Health(status="ok" if db else "degraded", db=db, queue_depth=services.admission.depth,
                  settled_batch=services.settled.batch_number)


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep) -> Response:
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
