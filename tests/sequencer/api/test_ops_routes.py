"""POST /v1/trades, /v1/withdrawals; GET /v1/ops/{id}; cancel; health and metrics: through
the real app, on SQLite and PostgreSQL."""
import re

from sequencer.admission import Admission
from sequencer.oplog import status as st

from .conftest import cancel_body, settled_state, trade_body, withdrawal_body

OP_ID = re.compile(r"^[0-9a-f]{32}$")


def test_trade_is_accepted_committed_and_readable(world):
    before = world.counts()["ops"]
    r = world.client.post("/v1/trades", json=trade_body())
    assert r.status_code == 202, r.text
    op_id = r.json()["id"]
    assert OP_ID.match(op_id)
    assert world.counts()["ops"] == before + 1
    row = world.store.get_op(op_id)
    assert (row.status, row.kind, row.account_a, row.account_b) == ("accepted", "trade", 1, 2)
    got = world.client.get(f"/v1/ops/{op_id}").json()
    assert got == {"id": op_id, "kind": "trade", "status": "accepted", "batch": None, "reason": None, "l1_tx": None}
    # the pending state holds the trade: the buyer is long one lot, both nonces used
    pending = world.services.admission.pending.accounts
    assert pending[1].positions[0] == 1 and pending[2].positions[0] == -1
    assert world.services.settled.accounts[1].positions[0] == 0


def test_withdrawal_is_accepted(world):
    r = world.client.post("/v1/withdrawals", json=withdrawal_body(account=3, amount=5_000, nonce=7))
    assert r.status_code == 202, r.text
    assert world.client.get(f"/v1/ops/{r.json()['id']}").json()["status"] == "accepted"
    assert world.services.admission.pending.accounts[3].collateral == world.services.settled.accounts[3].collateral - 5_000


def test_unknown_op_is_404(world):
    assert world.client.get("/v1/ops/" + "0" * 32).status_code == 404
    assert world.client.get("/v1/ops/not-an-id").status_code == 422


def test_cancel_by_either_party_frees_the_nonces(world):
    op_id = world.client.post("/v1/trades", json=trade_body(buyer_nonce=5, seller_nonce=9)).json()["id"]
    # a non-party, and a party with the wrong key, are refused; nothing changes
    r = world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 3))
    assert r.status_code == 400 and r.json()["reason"] == "not a party of this op"
    r = world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 2, signer=1))
    assert r.status_code == 400 and r.json()["reason"] == "bad signature"
    # an op's own signature is no cancel (another OP code)
    assert world.store.get_op(op_id).status == "accepted"
    r = world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 2))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 1))
    assert r.status_code == 409
    # the cancelled trade no longer counts: the same nonces are free again, for a new op (the
    # cancelled one itself, sent again by either party, stays refused)
    r = world.client.post("/v1/trades", json=trade_body(buyer_nonce=5, seller_nonce=9))
    assert r.status_code == 409 and r.json()["reason"] == "op was cancelled"
    assert world.client.post("/v1/trades", json=trade_body(buyer_nonce=5, seller_nonce=9, size=2)).status_code == 202
    assert world.services.admission.pending.accounts[1].positions[0] == 2


def test_cancel_too_late_once_batched(world):
    op_id = world.client.post("/v1/trades", json=trade_body()).json()["id"]
    world.store.transition(op_id, st.BATCHED, batch=1)
    r = world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 1))
    assert r.status_code == 409 and world.store.get_op(op_id).status == "batched"
    assert world.client.get(f"/v1/ops/{op_id}").json()["batch"] == 1


def test_restart_rebuilds_the_pending_state_from_the_log(world):
    for k in range(3):
        assert world.client.post("/v1/trades", json=trade_body(buyer=1 + k, seller=4, buyer_nonce=1,
                                                               seller_nonce=1 + k)).status_code == 202
    assert world.client.post("/v1/withdrawals", json=withdrawal_body(account=5, nonce=1)).status_code == 202
    again = Admission(world.store, settled_state())
    again.close()
    assert again.pending.accounts == world.services.admission.pending.accounts
    assert again.depth == 4


def test_health_and_metrics(world):
    world.client.post("/v1/trades", json=trade_body())
    world.client.post("/v1/trades", json=trade_body())  # replay: refused
    h = world.client.get("/health").json()
    assert h == {"status": "ok", "db": True, "queue_depth": 1, "settled_batch": 0}
    text = world.client.get("/metrics").text
    assert 'zkclear_ops_accepted_total{kind="trade"} 1.0' in text
    assert 'zkclear_ops_refused_total{kind="trade",reason="nonce already used or too old"} 1.0' in text
    assert 'zkclear_queue_depth{queue="accepted"} 1.0' in text
    assert 'zkclear_request_seconds_count{method="POST",route="/v1/trades",status="202"} 1.0' in text


def test_openapi_lists_every_route(world):
    paths = world.client.get("/openapi.json").json()["paths"]
    for p in ("/v1/trades", "/v1/withdrawals", "/v1/ops/{op_id}", "/v1/ops/{op_id}/cancel", "/v1/accounts",
              "/v1/accounts/{account_id}", "/v1/accounts/{account_id}/viewing-keys",
              "/v1/auth/challenge", "/v1/auth/token", "/health"):
        assert p in paths


def test_a_failed_commit_is_never_acknowledged(world, monkeypatch):
    ok = world.client.post("/v1/trades", json=trade_body(buyer=1, seller=2, buyer_nonce=1, seller_nonce=1))
    assert ok.status_code == 202
    pending = dict(world.services.admission.pending.accounts)

    def broken(rows):
        raise OSError("disk full")
    monkeypatch.setattr(world.store, "insert_ops", broken)
    counts = world.counts()
    r = world.client.post("/v1/trades", json=trade_body(buyer=3, seller=4))
    assert r.status_code == 503 and r.json()["reason"] == "op log unavailable" and "Retry-After" in r.headers
    assert world.counts() == counts
    # the pending state is the log's again: the refused-to-commit trade left no trace
    assert world.services.admission.pending.accounts == pending
    monkeypatch.undo()
    assert world.client.post("/v1/trades", json=trade_body(buyer=3, seller=4)).status_code == 202


def test_rebuild_while_admitting_loses_nothing(world):
    """A rebuild (a cancel, a settled batch) replays the log outside the admission lock;
    ops admitted meanwhile end up in the new pending state exactly once."""
    import threading

    adm = world.services.admission
    for k in range(8):
        assert world.client.post("/v1/trades", json=trade_body(buyer=1, seller=2, buyer_nonce=k + 1,
                                                               seller_nonce=k + 1)).status_code == 202
    replay = adm._replay
    started, go = threading.Event(), threading.Event()

    def slow_replay(settled, rows):  # hold the rebuild inside its replay
        started.set()
        go.wait(10)
        return replay(settled, rows)
    adm._replay = slow_replay
    t = threading.Thread(target=adm.rebuild)
    t.start()
    assert started.wait(10)
    for k in range(4):  # admitted during the replay
        assert world.client.post("/v1/trades", json=trade_body(buyer=3, seller=4, buyer_nonce=k + 1,
                                                               seller_nonce=k + 1)).status_code == 202
    go.set()
    t.join(10)
    adm._replay = replay
    again = Admission(world.store, settled_state())
    again.close()
    assert adm.pending.accounts == again.pending.accounts
    assert [adm.pending.accounts[i].positions[0] for i in (1, 2, 3, 4)] == [8, -8, 4, -4]
    assert adm.depth == 12
