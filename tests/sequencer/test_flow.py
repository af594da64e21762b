"""The random trading flow (sequencer/flow.py): seeded and reproducible, every batch valid
(cut by the builder, applied by the spec), touches counted and split by cause."""
from __future__ import annotations

from sequencer.flow import Flow, run_flow
from sequencer.spec import TINY, Touch, Trade


def test_flow_is_seeded_and_counts_touches():
    a = run_flow(TINY, 6, seed=5).to_json()
    b = run_flow(TINY, 6, seed=5).to_json()
    assert a == b  # reproducible
    assert a != run_flow(TINY, 6, seed=6).to_json()
    assert a["institutions"] == TINY.capacity - 1  # min(64, capacity less the fund)
    t = a["totals"]
    assert t["trades"] == 6 * TINY.trade_slots  # the flow fills every trade slot
    assert t["funding"] == 6 * min(TINY.funding_slots, TINY.num_markets)
    assert t["touches"] == t["drift_touches"] + t["trade_touches"] + t["refresh_touches"] > 0
    assert a["touches_per_trade"] == round(t["touches"] / t["trades"], 4)


def test_flow_batches_match_their_counts():
    flow = Flow(TINY, seed=7)
    for record, stats in flow.run(4):
        ops = record.batch.ops
        assert stats.trades == sum(isinstance(op, Trade) for op in ops)
        assert stats.touches == sum(isinstance(op, Touch) for op in ops)
        assert record.public.batch_number == stats.number
    assert flow.state.batch_number == 4
