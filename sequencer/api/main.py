"""The FastAPI app: `create_app(settings, services)`. OpenAPI at /openapi.json, docs at /docs.

Routes (one router per resource, `routes/`):

    POST   /v1/trades                          co-signed trade -> 202 {"id"}
    POST   /v1/option-trades                   co-signed option trade -> 202 {"id"} (options presets)
    POST   /v1/withdrawals                     signed withdrawal -> 202 {"id"}
    GET    /v1/ops/{id}                        progress: id, status, batch, reason, l1_tx
    POST   /v1/ops/{id}/cancel                 a party's signed cancel, while accepted
    POST   /v1/accounts                        check a registration request -> the L1 call to make
    GET    /v1/accounts/{id}                   leaf, box, margin, Merkle path (owner / viewing key)
    GET    /v1/accounts/{id}/ops               op history (owner / viewing key)
    POST   /v1/accounts/{id}/viewing-keys      owner: a read-only key
    GET    /v1/accounts/{id}/viewing-keys      owner: the keys (not their secrets)
    DELETE /v1/accounts/{id}/viewing-keys/{k}  owner: revoke
    POST   /v1/auth/challenge, /v1/auth/token  owner login with the account's key
    GET    /v1/batches, /v1/batches/{n}        batches, newest first (?limit=): open (ops waiting), proving,
                                               proved, submitted, settled, abandoned; `attempts` (abandoned)
    GET    /v1/chain                           rpc_url, chain_id, rollup, oracle, collateral_token
    GET    /health, /metrics

Two ASGI layers wrap the app: a body limit (413 beyond `max_body_bytes`, before any
parsing) and the latency histogram by route template."""
from __future__ import annotations

import time

from fastapi import FastAPI

from . import errors
from .config import Settings
from .routes import accounts, auth, batches, chain, health, ops, option_trades, trades, withdrawals
from .services import Services


class _BodyTooLarge(Exception):
    pass


class Guard:
    def __init__(self, app, metrics, max_body: int):
        self.app, self.metrics, self.max_body = app, metrics, max_body

    async def _reply(self, send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0, state = time.perf_counter(), {"status": 500, "started": False}
        too_large = b'{"detail":"request body too large","reason":"request body too large"}'
        length = dict(scope.get("headers") or ()).get(b"content-length")
        try:
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                state["status"] = 413
                return await self._reply(send, 413, too_large)
            received = 0

            async def receive_limited():
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body:
                        raise _BodyTooLarge()
                return message

            async def send_observed(message):
                if message["type"] == "http.response.start":
                    state["status"], state["started"] = message["status"], True
                await send(message)

            try:
                await self.app(scope, receive_limited, send_observed)
            except _BodyTooLarge:
                if not state["started"]:
                    state["status"] = 413
                    await self._reply(send, 413, too_large)
        finally:
            route = scope.get("route")
            self.metrics.request_latency.labels(scope.get("method", ""), getattr(route, "path", "unmatched"),
                                                str(state["status"])).observe(time.perf_counter() - t0)


def create_app(settings: Settings, services: Services) -> FastAPI:
    app = FastAPI(title="zkclear sequencer", version="1",
                  description="Private settlement of derivatives, proved in zero knowledge.")
    app.state.settings, app.state.services = settings, services
    errors.install(app)
    for module in (trades, option_trades, withdrawals, ops, accounts, auth, batches, chain, health):
        app.include_router(module.router)
    app.add_middleware(Guard, metrics=services.metrics, max_body=settings.max_body_bytes)
    return app
