"""GET /v1/batches, /v1/batches/{n}, /v1/chain; the batcher's cut persisted before proving
(batch record, ops batched or refused) and the store's batch moves: through the real app, on
SQLite and PostgreSQL. No proving here (the end-to-end test proves)."""
from sequencer.oplog import status as st
from sequencer.pipeline.batcher import Batcher, load_record
from sequencer.pipeline.watchers import Round
from sequencer.spec import TINY

from .conftest import PRICES, trade_body


def test_batcher_cuts_persists_and_the_routes_show_it(world):
    ids = [world.client.post("/v1/trades", json=trade_body(buyer_nonce=n, seller_nonce=n)).json()["id"]
           for n in (1, 2)]
    rows = world.store.accepted_ops()
    batcher = Batcher(world.store, TINY, batch_age=3600)
    assert not batcher.due(rows[:1], []) and batcher.due(rows, [])  # two trades fill tiny's trade slots
    settled = world.services.settled
    cut = batcher.cut(settled, rows, [], Round(1, PRICES, (0, 0), 0))
    assert cut is not None and cut.number == 1 and set(cut.op_ids) == set(ids)
    assert settled.batch_number == 0  # applied to a copy
    row = world.store.get_batch(1)
    assert row.status == "proving" and load_record(row.record).public.new_root == cut.state.root()
    assert {world.store.get_op(i).status for i in ids} == {st.BATCHED}
    got = world.client.get("/v1/batches/1").json()
    assert got["number"] == 1 and got["status"] == "proving" and set(got["op_ids"]) == set(ids)
    assert got["old_root"] == hex(settled.root()) and got["new_root"].startswith("0x")
    assert got["prove_s"] is None and got["gas"] is None and got["l1_tx"] is None
    # the stages move the batch and its ops together
    world.store.batch_status(1, "proved", ops_to=st.PROVED, prove_s=1.5)
    world.store.batch_status(1, "submitted", ops_to=st.SUBMITTED, l1_tx="0x" + "ab" * 32, gas=250_000)
    world.store.batch_status(1, "settled", ops_to=st.SETTLED)
    got = world.client.get("/v1/batches/1").json()
    assert (got["status"], got["prove_s"], got["gas"], got["l1_tx"]) == ("settled", 1.5, 250_000, "0x" + "ab" * 32)
    op = world.client.get(f"/v1/ops/{ids[0]}").json()
    assert (op["status"], op["batch"], op["l1_tx"]) == ("settled", 1, "0x" + "ab" * 32)
    assert [b["number"] for b in world.client.get("/v1/batches?limit=5").json()] == [1]
    assert world.client.get("/v1/batches/2").status_code == 404
    assert world.client.get("/v1/batches/0").status_code == 422
    assert world.client.get("/v1/batches?limit=0").status_code == 422


def test_abandoned_batch_gives_its_ops_back(world):
    op_id = world.client.post("/v1/trades", json=trade_body()).json()["id"]
    cut = Batcher(world.store, TINY, 0).cut(world.services.settled, world.store.accepted_ops(), [],
                                            Round(1, PRICES, (0, 0), 0))
    assert cut.op_ids == [op_id]
    assert world.store.abandon(1) == 1
    assert world.client.get("/v1/batches/1").json()["status"] == "abandoned"
    op = world.client.get(f"/v1/ops/{op_id}").json()
    assert (op["status"], op["batch"]) == ("accepted", None)


def test_chain_route(world):
    assert world.client.get("/v1/chain").status_code == 503
    world.services.chain.update(rpc_url="http://127.0.0.1:8545", chain_id=31337, rollup="0x" + "11" * 20,
                                oracle="0x" + "22" * 20, collateral_token="0x" + "33" * 20)
    got = world.client.get("/v1/chain").json()
    assert got == {"rpc_url": "http://127.0.0.1:8545", "chain_id": 31337, "rollup": "0x" + "11" * 20,
                   "oracle": "0x" + "22" * 20, "collateral_token": "0x" + "33" * 20, "preset": "tiny",
                   "da_members": []}


def test_a_deposit_waiting_for_its_registration_is_bounced_after_bounce_after(world):
    """The registration queue may lag (flooded): the batcher holds a deposit to a not yet
    registered leaf back, then bounces it once it has waited `bounce_after`, so the deposit
    queue never stalls towards its L1 deadline."""
    from sequencer.spec import Deposit

    settled = world.services.settled
    dep = Deposit(settled.deposit_index, settled.num_accounts + 3, 1_000)  # registered on L1, not consumed
    waits = Batcher(world.store, TINY, 0, bounce_after=3600)
    assert waits.due([], [dep])
    cut = waits.cut(settled, [], [dep], Round(1, PRICES, (0, 0), 0))
    assert cut is None or cut.record.public.deposits == ()
    bounces = Batcher(world.store, TINY, 0, bounce_after=0)
    bounces.due([], [dep])
    cut = bounces.cut(settled, [], [dep], Round(1, PRICES, (0, 0), 0))
    assert cut.record.public.deposits == ((dep.account, 1_000, 1),)
