"""Many clients at once against a real uvicorn server: every trade is acknowledged once or
refused as a replay, no op is lost or duplicated, and the log replays to the same pending
state (SQLite and PostgreSQL)."""
from concurrent.futures import ThreadPoolExecutor

import httpx

from sequencer.admission import Admission

from .conftest import settled_state, trade_body
from .livesrv import LiveServer

TRADES = 36  # distinct trades; each is sent twice, by two different clients
CLIENTS = 12


def _trade(k: int) -> dict:
    # accounts 1..3 buy from 4..6; each account's nonces are distinct (k = c mod 3)
    return trade_body(buyer=1 + k % 3, seller=4 + k % 3, buyer_nonce=k + 1, seller_nonce=k + 1)


def test_concurrent_clients_lose_and_duplicate_nothing(world):
    bodies = [_trade(k) for k in range(TRADES)]
    jobs = [(k, bodies[k]) for k in range(TRADES)] + [(k, bodies[k]) for k in reversed(range(TRADES))]
    with LiveServer(world.app) as srv:
        clients = [httpx.Client(base_url=srv.url, timeout=30) for _ in range(CLIENTS)]

        def send(i_job):
            i, (k, body) = i_job
            r = clients[i % CLIENTS].post("/v1/trades", json=body)
            return k, r.status_code, r.json()

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(send, enumerate(jobs)))
        for c in clients:
            c.close()
    assert all(status in (202, 409) for _, status, _ in results), [r for r in results if r[1] not in (202, 409)]
    accepted = {}
    for k, status, body in results:
        if status == 202:
            assert k not in accepted, "a trade acknowledged twice"
            accepted[k] = body["id"]
        else:
            assert body["reason"] == "nonce already used or too old"
    assert sorted(accepted) == list(range(TRADES))  # each exactly once
    rows = world.store.pending_ops()
    assert sorted(r.id for r in rows) == sorted(accepted.values())
    # the log replays to the pending state the service holds
    replay = Admission(world.store, settled_state())
    replay.close()
    assert replay.pending.accounts == world.services.admission.pending.accounts
    pending = world.services.admission.pending.accounts
    assert [pending[i].positions[0] for i in range(1, 7)] == [12, 12, 12, -12, -12, -12]
