"""Every refusal is a 4xx JSON body `{"detail": ..., "reason": ...}`: `reason` is the spec's
refusal string for a refused op, and a short fixed string otherwise."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..admission import CANCELLED_REASON, Conflict, LogUnavailable, NotFound, Throttled
from ..spec.transition import OpRefused

# spec reasons that are conflicts with the state rather than bad requests
CONFLICT_REASONS = {"nonce already used or too old", CANCELLED_REASON}


def error(status: int, detail, reason: str, headers=None) -> JSONResponse:
    return JSONResponse({"detail": detail, "reason": reason}, status_code=status, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list:
    # location, message and type only: no echo of the input (it may be huge)
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:200], "type": e.get("type")}
            for e in exc.errors()[:20]]


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        request.state.reason = "malformed request"
        return error(422, _validation_errors(exc), "malformed request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's own JSON decoding failed (e.g. a number beyond Python's digit limit)
            return error(422, [{"loc": ["body"], "msg": "the body is not valid JSON", "type": "json_invalid"}],
                         "malformed request")
        return error(exc.status_code, exc.detail, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(OpRefused)
    async def _refused(request: Request, exc: OpRefused):
        status = 409 if exc.reason in CONFLICT_REASONS else 400
        return error(status, f"refused: {exc.reason}", exc.reason)

    @app.exception_handler(Throttled)
    async def _throttled(request: Request, exc: Throttled):
        return error(429, f"{exc.why}: retry after {exc.retry_after} s", exc.why,
                     headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(LogUnavailable)
    async def _log_down(request: Request, exc: LogUnavailable):
        return error(503, str(exc), "op log unavailable", headers={"Retry-After": "5"})

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return error(404, str(exc), str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return error(409, str(exc), "not cancellable")
