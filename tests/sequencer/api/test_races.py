"""Many clients at once against the real app (uvicorn on loopback) while batches are cut and
settled, on SQLite and PostgreSQL: the same signed op sent by several clients, cancels racing
the batcher, colliding nonces. Nothing is lost (every 202 id is in the log and ends settled or
cancelled, once), nothing is duplicated (a signed op gets one 202 at most; the spec never uses
a nonce twice), and the settled state is the spec's replay of what settled.

The batches are cut by the service's own `Batcher` and marked settled in-process (no prover,
no chain: `Settler`), which keeps the races (admission, the log, cancel against cut, the
pending state's rebuilds) and leaves out what `test_serve_postgres` covers end to end."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from sequencer.oplog import status as st
from sequencer.pipeline.batcher import Batcher, load_record
from sequencer.pipeline.watchers import Round
from sequencer.spec import TINY
from sequencer.spec.transition import process_batch

from .conftest import COLLATERAL, PRICES, cancel_body, settled_state, trade_body, withdrawal_body
from .livesrv import LiveServer

EXPIRY = 10_000


class Settler:
    """The pipeline's cut -> settled steps, without proving: one batch at a time, as in
    `Pipeline.step`, with the settle hand-over (log first, then admission) as it is there."""

    def __init__(self, world):
        self.store = world.store
        self.admission = world.services.admission
        self.batcher = Batcher(self.store, TINY, batch_age=0.5)

    def step(self) -> bool:
        settled = self.admission.settled
        rows = self.store.accepted_ops(limit=8)
        if not self.batcher.due(rows, []):
            return False
        rnd = Round(id=settled.oracle_round, prices=PRICES, funding=tuple(settled.funding), timestamp=0)
        try:
            cut = self.batcher.cut(settled, rows, [], rnd)
        except st.BadTransition:  # a cancel won: cut again from the log
            return True
        assert cut is not None
        self.admission.batched(len(cut.op_ids) + len(cut.refused))
        for status, ops_to in (("proved", st.PROVED), ("submitted", st.SUBMITTED), ("settled", st.SETTLED)):
            self.store.batch_status(cut.number, status, ops_to=ops_to)
        self.admission.set_settled(cut.state)
        return True

    def run_until(self, done: threading.Event) -> None:
        while not (done.is_set() and not self.store.accepted_ops(limit=1)):
            if not self.step():
                time.sleep(0.005)


def check_settled_state(world):
    state = settled_state()
    for row in world.store.settled_batches():
        process_batch(state, load_record(row.record).batch)
    assert state.root() == world.services.admission.settled.root()
    return state


def test_replays_cancels_and_colliding_nonces_race_the_batcher(world):
    rng = random.Random(7)
    nonce = {i: 0 for i in range(1, 7)}

    def fresh(i):
        nonce[i] += 1
        return nonce[i]

    trades, withdrawals, collisions, cancels = [], [], [], []
    for k in range(16):  # distinct trades, each sent by 3 clients at once
        b, s = rng.sample(range(1, 7), 2)
        trades.append(trade_body(buyer=b, seller=s, buyer_nonce=fresh(b), seller_nonce=fresh(s),
                                 size=rng.randint(1, 3), expiry=EXPIRY))
    for k in range(6):  # withdrawals, each sent twice
        a = 1 + k % 6
        withdrawals.append(withdrawal_body(account=a, amount=1000 * (k + 1), nonce=fresh(a), expiry=EXPIRY))
    for k in range(6):  # pairs of different trades with the same buyer nonce: one of each pair goes in
        b, s1, s2 = rng.sample(range(1, 7), 3)
        n = fresh(b)
        collisions.append([trade_body(buyer=b, seller=s, buyer_nonce=n, seller_nonce=fresh(s), size=1 + j,
                                      expiry=EXPIRY) for j, s in enumerate((s1, s2))])
    for k in range(8):  # submitted then cancelled at once (racing the batcher), replayed meanwhile
        b, s = rng.sample(range(1, 7), 2)
        cancels.append(trade_body(buyer=b, seller=s, buyer_nonce=fresh(b), seller_nonce=fresh(s), size=1,
                                  expiry=EXPIRY))

    # groups of requests sent at the same moment (a barrier) by different clients
    groups = [[("trades", t)] * 3 for t in trades] + [[("withdrawals", w)] * 2 for w in withdrawals]
    groups += [[("trades", pair[0]), ("trades", pair[1])] for pair in collisions]
    rng.shuffle(groups)
    # then, one at a time while the batcher is idle: sent, and after 0 to 0.84 s (the batcher
    # has not read it yet, is cutting it, or has cut it) its cancel and two replays at once
    late = [[("cancel", t, 0.12 * k)] for k, t in enumerate(cancels)]

    results = []  # (body, path, status, response json)
    cancel_status = {}  # op id -> the cancel's answer
    lock = threading.Lock()
    with LiveServer(world.app) as srv:
        settler = Settler(world)
        sent = threading.Event()
        settling = threading.Thread(target=settler.run_until, args=(sent,))
        settling.start()

        def at_once(calls):
            barrier = threading.Barrier(len(calls))

            def call(f):
                with httpx.Client(base_url=srv.url, timeout=60) as c:
                    barrier.wait()
                    return f(c)
            with ThreadPoolExecutor(len(calls)) as pool:
                return list(pool.map(call, calls))

        def post(path, body):
            def f(c):
                r = c.post(f"/v1/{path}", json=body)
                with lock:
                    results.append((body, path, r.status_code, r.json()))
                return r
            return f

        def run(group):
            if group[0][0] != "cancel":
                at_once([post(path, body) for path, body in group])
                return
            _, body, delay = group[0]
            r = at_once([post("trades", body)])[0]
            op_id = r.json()["id"]
            party = body["buyer"] if int(op_id, 16) % 2 else body["seller"]
            time.sleep(delay)
            cancel = at_once([lambda c: c.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, party)),
                              post("trades", body), post("trades", body)])[0]
            cancel_status[op_id] = cancel.status_code

        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(run, groups))
            while world.store.accepted_ops(limit=1):
                time.sleep(0.01)
            for group in late:
                run(group)
        finally:
            sent.set()
            settling.join(timeout=120)
        assert not settling.is_alive()

    # every answer is a 202 or a replay's 409; a signed op gets one 202 at most
    assert {status for _, _, status, _ in results} <= {202, 409}, [r for r in results if r[2] not in (202, 409)]
    assert set(cancel_status.values()) <= {200, 409}
    by_op: dict = {}
    for body, path, status, out in results:
        key = (path, tuple(sorted((k, str(v)) for k, v in body.items())))
        by_op.setdefault(key, []).append((status, out))
        if status == 409:
            assert out["reason"] in ("nonce already used or too old", "op was cancelled"), out
    ids = {}
    for key, answers in by_op.items():
        ok = [out["id"] for status, out in answers if status == 202]
        assert len(ok) <= 1, f"one signed op acknowledged {len(ok)} times"
        for op_id in ok:
            ids[op_id] = key
    cancelled = {op_id for op_id, status in cancel_status.items() if status == 200}
    # each distinct op (not colliding) got its 202; of each colliding pair exactly one
    def acknowledged(buyer, buyer_nonce) -> int:
        return sum(1 for _, fields in ids.values()
                   if dict(fields).get("buyer") == str(buyer) and dict(fields)["buyer_nonce"] == str(buyer_nonce))
    for t in trades + cancels:
        assert acknowledged(t["buyer"], t["buyer_nonce"]) == 1
    for pair in collisions:
        assert acknowledged(pair[0]["buyer"], pair[0]["buyer_nonce"]) == 1
    assert len(ids) == len(trades) + len(withdrawals) + len(collisions) + len(cancels)

    # the log holds exactly the acknowledged ops; each ended settled, or cancelled when its cancel won
    rows = {}
    with world.store.session() as s:
        from sqlalchemy import select

        from sequencer.oplog.schema import OpRow
        for row in s.scalars(select(OpRow)):
            rows[row.id] = row
    assert set(rows) == set(ids)
    for op_id, row in rows.items():
        assert row.status == (st.CANCELLED if op_id in cancelled else st.SETTLED), (op_id, row.status)

    # the settled state is the spec's replay of the settled batches, and each settled op counts once
    state = check_settled_state(world)
    positions = {i: 0 for i in range(1, 7)}
    withdrawn = {i: 0 for i in range(1, 7)}
    for op_id, row in rows.items():
        if row.status != st.SETTLED:
            continue
        body = dict(ids[op_id][1])
        if row.kind == "trade":
            positions[int(body["buyer"])] += int(body["size"])
            positions[int(body["seller"])] -= int(body["size"])
        else:
            withdrawn[int(body["account"])] += int(body["amount"])
    assert {i: state.accounts[i].positions[0] for i in range(1, 7)} == positions
    # trades move collateral between their parties (fee 0): only the withdrawals leave
    assert sum(state.accounts[i].collateral for i in range(0, 7)) == \
        settled_state().accounts[0].collateral + 6 * COLLATERAL - sum(withdrawn.values())
    in_batches = [i for b in world.store.settled_batches() for i in world.store.batch_op_ids(b.number)]
    assert sorted(in_batches) == sorted(i for i, r in rows.items() if r.status == st.SETTLED)


def test_a_settled_op_replayed_while_the_settled_state_is_handed_over_is_refused(world):
    """The pipeline marks a batch settled in the log, then gives admission the new settled
    state; a cancel in between rebuilds the pending state from the log. The op that just
    settled must still count there: its replay is a 409, not a second 202."""
    c = world.client
    t = trade_body(buyer=1, seller=2, buyer_nonce=1, seller_nonce=1, expiry=EXPIRY)
    first = c.post("/v1/trades", json=t)
    other = c.post("/v1/trades", json=trade_body(buyer=3, seller=4, buyer_nonce=1, seller_nonce=1, expiry=EXPIRY))
    assert first.status_code == other.status_code == 202
    settled = world.services.admission.settled
    rows = [r for r in world.store.accepted_ops() if r.id == first.json()["id"]]
    cut = Batcher(world.store, TINY, 0).cut(settled, rows, [], Round(settled.oracle_round, PRICES,
                                                                      tuple(settled.funding), 0))
    for status, ops_to in (("proved", st.PROVED), ("submitted", st.SUBMITTED), ("settled", st.SETTLED)):
        world.store.batch_status(cut.number, status, ops_to=ops_to)
    # the hand-over has not happened yet: a cancel now rebuilds on the old settled state
    op2 = other.json()["id"]
    assert c.post(f"/v1/ops/{op2}/cancel", json=cancel_body(op2, 3)).status_code == 200
    replay = c.post("/v1/trades", json=t)
    assert replay.status_code == 409 and replay.json()["reason"] == "nonce already used or too old"
    world.services.admission.set_settled(cut.state)
    assert c.post("/v1/trades", json=t).status_code == 409
    assert world.store.count_ops() == 2


def test_a_cancelled_op_stays_cancelled(make_world):
    """A cancel frees the op's nonces, but the signed request itself is dead: sent again by
    either party (both hold it), it is refused; a new op with the same nonces is not; and
    after a restart too (the log remembers what was cancelled)."""
    w = make_world()
    t = trade_body(buyer=1, seller=2, buyer_nonce=5, seller_nonce=5, expiry=EXPIRY)
    op_id = w.client.post("/v1/trades", json=t).json()["id"]
    assert w.client.post(f"/v1/ops/{op_id}/cancel", json=cancel_body(op_id, 1)).status_code == 200
    for _ in range(2):
        r = w.client.post("/v1/trades", json=t)
        assert r.status_code == 409 and r.json()["reason"] == "op was cancelled"
    w.close()
    again = make_world()
    r = again.client.post("/v1/trades", json=t)
    assert r.status_code == 409 and r.json()["reason"] == "op was cancelled"
    new = trade_body(buyer=1, seller=2, buyer_nonce=5, seller_nonce=5, size=2, expiry=EXPIRY)
    assert again.client.post("/v1/trades", json=new).status_code == 202
    assert again.store.count_ops() == 2
