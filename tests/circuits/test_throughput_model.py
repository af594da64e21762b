"""The slot what-if (circuits/settlement/throughput.py): its constraint counts are the stats
module's and the built circuit's, its domain is the setup's, and its time model reproduces
the run it is calibrated on (no timings measured here)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from circuits.dsl import Circuit
from circuits.settlement import stats, throughput
from circuits.settlement.batch import build_batch_circuit
from sequencer.spec import TINY

# a small tiny-shaped candidate: every kind but the big ones, so that building it stays quick
SMALL = replace(TINY, register_slots=0, deposit_slots=2, forced_slots=0, withdrawal_slots=1, trade_slots=1,
                touch_slots=1, liquidation_slots=0, deleverage_slots=0, funding_slots=1)


@pytest.fixture(scope="module")
def costs():
    return throughput.SlotCosts.measure(TINY)


def test_constraints_agree_with_stats_and_the_built_circuit(costs):
    # the preset itself: stats' table figure (`costs.kinds` is `stats.per_kind(TINY)`)
    sha = stats.sha256_cost(TINY)
    assert costs.sha256(TINY) == sha
    assert costs.constraints(TINY) == stats.total(TINY, costs.kinds, sha)
    # another slot mix (the message changes too: fewer deposit and withdrawal fields), built whole
    c = Circuit("settlement")
    build_batch_circuit(c, SMALL)
    assert costs.constraints(SMALL) == c.n_constraints


def test_slot_arithmetic(costs):
    n = costs.constraints(TINY)
    # trade and touch slots do not change the message: each adds exactly its kind's cost
    assert costs.constraints(replace(TINY, trade_slots=5)) == n + 3 * costs.kinds["trade"]
    assert costs.constraints(replace(TINY, touch_slots=2)) == n - 2 * costs.kinds["touch"]
    # an in-order kind also pays one ordering constraint a slot after the first, and its message bytes
    more = replace(TINY, deposit_slots=3)
    assert costs.constraints(more) == (n + costs.kinds["deposit"] + 1 + costs.sha256(more) - costs.sha256(TINY))
    assert costs.sha256(more) > costs.sha256(TINY)
    cheaper = costs.with_costs(trade=1000)
    assert cheaper.constraints(TINY) == n - TINY.trade_slots * (costs.kinds["trade"] - 1000)
    with pytest.raises(AssertionError):
        costs.with_costs(swap=1)


def test_domain_is_the_setups():
    assert throughput.domain_log2(4_194_302) == 22  # 2^22 holds the constraints and the public input
    assert throughput.domain_log2(4_194_303) == 23
    assert throughput.domain_log2(4_842_005) == 23


def test_time_model_reproduces_its_calibration():
    cal = throughput.CALIBRATION
    model = throughput.ProveModel.calibrated()
    assert model.prove_s(cal["wires"], cal["domain_log2"]) == pytest.approx(cal["resident_prove_s"])
    assert model.witness_s(cal["constraints"]) == pytest.approx(cal["witness_s"])
    # the two terms: halving the domain saves the domain term only
    saved = model.prove_s(cal["wires"], 23) - model.prove_s(cal["wires"], 22)
    assert saved == pytest.approx(model.per_point * (1 << 22))
    assert 0 < model.per_point and 0 < model.per_wire


def test_predict_counts_trades_per_second(costs):
    model = throughput.ProveModel.calibrated()
    flow = {"trades_per_batch": 2.0, "trades_per_batch_after_4": 2.0}
    r = throughput.predict(TINY, costs, model, flow)
    assert r["constraints"] == costs.constraints(TINY) and r["domain_log2"] == throughput.domain_log2(r["constraints"])
    assert r["trades_per_s"] == pytest.approx(2.0 / (r["witness_s"] + r["prove_s"]), rel=0.02)
    assert r["within_limits"] and r["slots"]["trade_slots"] == TINY.trade_slots


def test_flow_trades_at_tiny():
    f = throughput.flow_trades(TINY, 6, seed=5)
    assert f["trades_per_batch"] == TINY.trade_slots  # the flow fills every trade slot at tiny
    assert 0 < f["max_touches"] <= TINY.touch_slots


def test_profile_split():
    profile = {"wires": 1000, "domain_log2": 11,
               "phases": {"witness_products": 3.0, "h_ffts": 1.0, "msm_a": 1.0, "msm_h": 3.0, "msm_b2": 2.0}}
    wire, point = throughput.split_profile(profile)
    assert wire == pytest.approx(4.0 / 1000)  # msm_b2 overlaps witness_products on one thread
    assert point == pytest.approx(4.0 / 2048)
