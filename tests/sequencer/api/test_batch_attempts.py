"""GET /v1/batches tells the truth about a batch number's life: `open` while accepted ops wait
for the next number (not stored), the abandoned attempts kept (status reached, reason, ops)
when the number is cut again, on SQLite and PostgreSQL. No proving here."""
from sequencer.oplog import status as st
from sequencer.pipeline.batcher import Batcher
from sequencer.pipeline.watchers import Round
from sequencer.spec import TINY

from .conftest import PRICES, trade_body


def cut(world):
    return Batcher(world.store, TINY, 0).cut(world.services.settled, world.store.accepted_ops(), [],
                                             Round(1, PRICES, (0, 0), 0))


def test_the_open_batch_is_the_next_number_while_ops_wait(world):
    assert world.client.get("/v1/batches").json() == []
    op_id = world.client.post("/v1/trades", json=trade_body()).json()["id"]
    (opened,) = world.client.get("/v1/batches").json()
    assert (opened["number"], opened["status"], opened["op_ids"]) == (1, "open", [op_id])
    assert world.client.get("/v1/batches/1").json()["status"] == "open"
    cut(world)  # batch 1 is cut: nothing waits, nothing is open
    assert [(b["number"], b["status"]) for b in world.client.get("/v1/batches").json()] == [(1, "proving")]
    assert world.client.get("/v1/batches/2").status_code == 404
    op2 = world.client.post("/v1/trades", json=trade_body(buyer=3, seller=4)).json()["id"]
    got = world.client.get("/v1/batches").json()
    assert [(b["number"], b["status"]) for b in got] == [(2, "open"), (1, "proving")]
    assert got[0]["op_ids"] == [op2] and world.client.get("/v1/batches/2").json()["op_ids"] == [op2]
    assert len(world.client.get("/v1/batches?limit=1").json()) == 1


def test_a_re_cut_keeps_the_abandoned_attempts(world):
    op_id = world.client.post("/v1/trades", json=trade_body()).json()["id"]
    first = cut(world)
    world.store.batch_status(1, "proved", prove_s=2.5)
    assert world.store.abandon(1, "round 1 expired") == 1
    got = world.client.get("/v1/batches/1").json()
    assert got["status"] == "abandoned" and got["op_ids"] == []  # the op is back to accepted
    (a1,) = got["attempts"]
    assert (a1["attempt"], a1["status"], a1["reason"], a1["op_ids"]) == (1, "proved", "round 1 expired", [op_id])
    assert (a1["prove_s"], a1["oracle_round"], a1["new_root"]) == (2.5, 1, hex(first.record.public.new_root))
    # an abandoned number is cut again, not reported open
    assert [(b["number"], b["status"]) for b in world.client.get("/v1/batches").json()] == [(1, "abandoned")]
    assert world.store.abandon(1, "again") == 0  # already abandoned: no second attempt recorded
    second = cut(world)
    assert second.number == 1 and second.op_ids == [op_id]
    got = world.client.get("/v1/batches/1").json()
    assert (got["status"], got["op_ids"], got["prove_s"]) == ("proving", [op_id], None)
    assert [a["attempt"] for a in got["attempts"]] == [1]
    world.store.abandon(1, "restart")
    got = world.client.get("/v1/batches/1").json()
    assert [(a["attempt"], a["status"], a["reason"]) for a in got["attempts"]] == \
        [(1, "proved", "round 1 expired"), (2, "proving", "restart")]
    assert world.client.get(f"/v1/ops/{op_id}").json()["status"] == "accepted"


def test_a_batch_sent_again_gives_its_ops_the_new_transaction(world):
    """A reorg dropped the batch's transaction and the submitter sent it again: the batch and
    its ops show the transaction that is on chain."""
    op_id = world.client.post("/v1/trades", json=trade_body()).json()["id"]
    cut(world)
    world.store.batch_status(1, "proved", ops_to=st.PROVED, prove_s=1.0)
    for tx in ("0x" + "aa" * 32, "0x" + "bb" * 32):
        world.store.batch_status(1, "submitted", ops_to=st.SUBMITTED, l1_tx=tx, gas=1)
    op = world.client.get(f"/v1/ops/{op_id}").json()
    assert (op["status"], op["l1_tx"]) == ("submitted", "0x" + "bb" * 32)
    assert world.client.get("/v1/batches/1").json()["l1_tx"] == "0x" + "bb" * 32
