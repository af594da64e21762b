"""The bad-input table: malformed JSON, wrong types, huge or negative numbers, unknown
accounts, bad signatures, replays, someone else's account. Each is a 4xx with a clear
`{"detail", "reason"}` body, never a 5xx, and changes nothing (every table's row count and
the pending state are the same before and after). The table's cases share one app per
database (none of them may change it); the replays get their own."""
import json

import pytest

from sequencer.spec.constants import FIELD_MODULUS

from .conftest import trade_body, withdrawal_body


def _with(body: dict, **changes) -> dict:
    out = json.loads(json.dumps(body))
    for k, v in changes.items():
        if "." in k:
            a, b = k.split(".")
            out[a][b] = v
        else:
            out[k] = v
    return out


def _without(body: dict, key: str) -> dict:
    out = dict(body)
    out.pop(key)
    return out


T = trade_body()
W = withdrawal_body()
TRADE_CASES = [
    # (name, raw body or dict, status, reason)
    ("malformed json", b'{"market": 0,', 422, "malformed request"),
    ("not an object", b"[1, 2, 3]", 422, "malformed request"),
    ("empty body", b"", 422, "malformed request"),
    ("missing field", _without(T, "price"), 422, "malformed request"),
    ("unknown field", _with(T, admin=True), 422, "malformed request"),
    ("string for int", _with(T, size="1"), 422, "malformed request"),
    ("float for int", _with(T, size=1.5), 422, "malformed request"),
    ("bool for int", _with(T, market=True), 422, "malformed request"),
    ("null for int", _with(T, price=None), 422, "malformed request"),
    ("int for signature part", _with(T, **{"buyer_signature.S": 5}), 422, "malformed request"),
    ("signature part not a number", _with(T, **{"buyer_signature.S": "12ab"}), 422, "malformed request"),
    ("signature part >= r", _with(T, **{"buyer_signature.S": str(FIELD_MODULUS)}), 422, "malformed request"),
    ("signature part huge hex", _with(T, **{"buyer_signature.R8x": "0x" + "f" * 65}), 422, "malformed request"),
    ("negative price", _with(T, price=-1), 422, "malformed request"),
    ("size beyond its 39 bits", _with(T, size=1 << 39), 422, "malformed request"),
    ("huge nonce", _with(T, buyer_nonce=1 << 64), 422, "malformed request"),
    ("account id beyond 2^32", _with(T, buyer=1 << 32), 422, "malformed request"),
    ("market beyond 4 bits", _with(T, market=16), 422, "malformed request"),
    ("5000-digit number", ('{"size": ' + "9" * 5000 + "}").encode(), 422, "malformed request"),
    ("unknown market", trade_body(market=5), 400, "unknown market"),
    ("zero size", trade_body(size=0), 400, "size must be positive"),
    ("same account", trade_body(buyer=1, seller=1), 400, "buyer and seller are the same account"),
    ("insurance fund", trade_body(buyer=0, seller=1), 400, "the insurance fund does not trade"),
    ("unknown account", trade_body(buyer=1, seller=9), 400, "unknown account"),
    ("unknown account beyond the tree", trade_body(buyer=1, seller=1 << 31), 400, "unknown account"),
    ("bad buyer signature", trade_body(signers=(3, 2)), 400, "bad signature"),
    ("bad seller signature", trade_body(signers=(1, 1)), 400, "bad signature"),
    ("tampered after signing", _with(T, price=T["price"] + 1), 400, "bad signature"),
    ("expired", trade_body(expiry=0), 400, "expired"),
    ("insufficient margin", trade_body(size=200_000), 400, "insufficient margin (buyer)"),
]
WITHDRAWAL_CASES = [
    ("zero amount", withdrawal_body(amount=0), 400, "field out of range"),
    ("amount beyond 63 bits", _with(W, amount=1 << 63), 422, "malformed request"),
    ("negative amount", _with(W, amount=-5), 422, "malformed request"),
    ("someone else's withdrawal", withdrawal_body(account=2, signer=1), 400, "bad signature"),
    ("more than the margin allows", withdrawal_body(amount=10**10 + 1), 400, "insufficient margin"),
    ("unknown account", withdrawal_body(account=12), 400, "unknown account"),
]


def _post(client, path, body):
    if isinstance(body, bytes):
        return client.post(path, content=body, headers={"content-type": "application/json"})
    return client.post(path, json=body)


def _assert_refused_without_change(world, path, body, status, reason):
    counts, pending = world.counts(), dict(world.services.admission.pending.accounts)
    r = _post(world.client, path, body)
    assert r.status_code == status, r.text
    assert r.json()["reason"] == reason and r.json()["detail"]
    assert world.counts() == counts
    assert world.services.admission.pending.accounts == pending


@pytest.mark.parametrize("name,body,status,reason", TRADE_CASES, ids=[c[0] for c in TRADE_CASES])
def test_bad_trades(shared_world, name, body, status, reason):
    _assert_refused_without_change(shared_world, "/v1/trades", body, status, reason)


@pytest.mark.parametrize("name,body,status,reason", WITHDRAWAL_CASES, ids=[c[0] for c in WITHDRAWAL_CASES])
def test_bad_withdrawals(shared_world, name, body, status, reason):
    _assert_refused_without_change(shared_world, "/v1/withdrawals", body, status, reason)


def test_replays_are_refused(world):
    assert world.client.post("/v1/trades", json=T).status_code == 202
    _assert_refused_without_change(world, "/v1/trades", T, 409, "nonce already used or too old")
    # one party's nonce reused in another trade
    _assert_refused_without_change(world, "/v1/trades", trade_body(buyer=1, seller=3, buyer_nonce=1, seller_nonce=4),
                                   409, "nonce already used or too old")
    w = withdrawal_body(account=5, nonce=3)
    assert world.client.post("/v1/withdrawals", json=w).status_code == 202
    _assert_refused_without_change(world, "/v1/withdrawals", w, 409, "nonce already used or too old")


def test_body_too_large_is_413(shared_world):
    big = b'{"market": 0, "pad": "' + b"x" * 20_000 + b'"}'
    _assert_refused_without_change(shared_world, "/v1/trades", big, 413, "request body too large")


def test_wrong_method_and_path(shared_world):
    assert shared_world.client.get("/v1/trades").status_code == 405
    assert shared_world.client.get("/v1/nothing").status_code == 404
