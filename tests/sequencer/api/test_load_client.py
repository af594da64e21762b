"""`zkclear load`'s sender (`sequencer.load.send_all`) against the real app under uvicorn:
each answer lands at its body's index with its status, op id or refusal reason."""
import asyncio

from sequencer.load import send_all

from .conftest import World, trade_body
from .livesrv import LiveServer


def test_send_all_reports_each_answer_in_order(tmp_path):
    world = World(f"sqlite:///{tmp_path}/zkclear.db")
    try:
        valid = [trade_body(buyer=1 + k % 3, seller=4 + k % 3, buyer_nonce=k + 1, seller_nonce=k + 1)
                 for k in range(12)]
        forged = trade_body(buyer=1, seller=2, buyer_nonce=50, seller_nonce=50, signers=(1, 3))
        with LiveServer(world.app) as srv:
            results, window = asyncio.run(send_all(srv.url, valid, 4))
            again, _ = asyncio.run(send_all(srv.url + "/", [valid[0], forged], 1))
        assert window > 0 and [r[0] for r in results] == [202] * 12
        ids = [r[2] for r in results]
        assert len(set(ids)) == 12 and all(world.store.get_op(i).status == "accepted" for i in ids)
        assert all(r[1] > 0 and r[3] is None for r in results)
        assert [(r[0], r[2], r[3]) for r in again] == [(409, None, "nonce already used or too old"),
                                                       (400, None, "bad signature")]
    finally:
        world.close()
