"""Back-pressure: beyond max_pending accepted ops, or beyond an account's token bucket, the
answer is 429 with Retry-After, and nothing is written."""
from .conftest import trade_body, withdrawal_body


def test_pending_queue_full_is_429(make_world):
    world = make_world(max_pending=2)
    for n in (1, 2):
        assert world.client.post("/v1/trades", json=trade_body(buyer_nonce=n, seller_nonce=n)).status_code == 202
    counts = world.counts()
    r = world.client.post("/v1/trades", json=trade_body(buyer_nonce=3, seller_nonce=3))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["reason"] == "pending queue full"
    assert world.counts() == counts
    # a cancel makes room
    op_id = world.store.pending_ops()[0].id
    from .conftest import cancel_body
    assert world.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 1)).status_code == 200
    assert world.client.post("/v1/trades", json=trade_body(buyer_nonce=3, seller_nonce=3)).status_code == 202
    assert 'zkclear_ops_throttled_total{why="queue"} 1.0' in world.client.get("/metrics").text


def test_account_rate_limit_is_429(make_world):
    world = make_world(rate_per_s=0.01, rate_burst=2)
    assert world.client.post("/v1/withdrawals", json=withdrawal_body(account=1, nonce=1)).status_code == 202
    assert world.client.post("/v1/trades", json=trade_body(buyer=1, seller=2, buyer_nonce=2)).status_code == 202
    counts = world.counts()
    r = world.client.post("/v1/withdrawals", json=withdrawal_body(account=1, nonce=3))
    assert r.status_code == 429 and r.json()["reason"] == "rate limit"
    assert 1 <= int(r.headers["Retry-After"]) <= 100
    # the seller was charged for the trade too; another pair is unaffected
    assert world.client.post("/v1/trades", json=trade_body(buyer=2, seller=3, buyer_nonce=2)).status_code == 202
    assert world.client.post("/v1/trades", json=trade_body(buyer=2, seller=3, buyer_nonce=3,
                                                           seller_nonce=2)).status_code == 429
    assert world.client.post("/v1/trades", json=trade_body(buyer=4, seller=5)).status_code == 202
    assert world.counts()["ops"] == counts["ops"] + 2
