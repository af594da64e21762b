"""The trade slot at the demo shape (arity 4, depth 5): the kept-box writes hash each level's
old and new node in one pair (`poseidon_pair_placed`, the new sharing the old's first-round
S-boxes) with the children placed once (`merkle.insert`); the tiny preset's tree is binary, so
this is where the 4-ary placement is proved. Two trades write accounts 1..4: positions 1, 2, 3
and 0 among their siblings at level 0. The batch proves what the spec applies; a sibling hash
or a box commitment of a path changed alone, a value of the old tree's top the writes carry
(`tree.TreeTop`), or a position bit of the wrong leaf, has no witness."""
from __future__ import annotations

import copy

import pytest

from circuits.dsl import Circuit
from circuits.dsl.compiled import ConstraintError
from circuits.settlement.batch import build_batch_circuit
from circuits.settlement.bench import trade_preset, trading_state
from circuits.settlement.witness import batch_inputs
from prover.field import R
from sequencer.spec import DEMO, batch_digest, process_batch

SHAPE = trade_preset(DEMO, 2)


@pytest.fixture(scope="module")
def demo_trades():
    c = Circuit("settlement")
    build_batch_circuit(c, SHAPE)
    cc = c.compile()
    state, batch = trading_state(SHAPE, 2)
    record = process_batch(state, batch)
    return cc, record, batch_inputs(record, SHAPE, cc)


def test_two_trades_prove_at_arity_four(demo_trades):
    cc, record, inputs = demo_trades
    w = cc.witness(inputs)
    assert cc.public_signals(w) == [record.digest] == [batch_digest(record.public, SHAPE)]


@pytest.mark.parametrize("name,index", [("trade[0].buyer.sib_hash", (0, 0)), ("trade[0].seller.sib_hash", (0, 2)),
                                        ("trade[1].buyer.sib_hash", (0, 1)), ("trade[1].seller.sib_hash", (1, 2)),
                                        ("trade[1].seller.box_commit", (0,)), ("trade[0].buyer.box_commit", (0,)),
                                        ("top.hash", (0,)), ("top.hash", (63,)), ("top.commit", (0,)),
                                        ("top.commit", (20,))])
def test_a_changed_path_has_no_witness(demo_trades, name, index):
    cc, _, inputs = demo_trades
    bad = copy.deepcopy(inputs)
    target = bad[name]
    for i in index[:-1]:
        target = target[i]
    target[index[-1]] = (int(target[index[-1]]) + 1) % R
    with pytest.raises(ConstraintError):
        cc.witness(bad)



def test_the_trade_breakdown_adds_up_to_the_trade_slot():
    """`stats --breakdown trade`: the slot's constraints per gadget sum to what a trade slot
    adds to the batch circuit (`stats.per_kind`'s figure: one slot less none, SHA-256 apart)."""
    from dataclasses import replace

    from circuits.settlement import stats
    from sequencer.spec import TINY

    parts = stats.slot_breakdown(TINY, "trade")
    none = replace(TINY, **{attr: 0 for _, attr in stats.kinds_of(TINY)})
    (n0, sha0), (n1, sha1) = stats.count(none), stats.count(replace(none, trade_slots=1))
    assert sum(parts.values()) == (n1 - sha1) - (n0 - sha0)
    assert 0 <= parts["(outside the slot)"] <= 3
    assert {"leaf_write", "assert_eddsa_poseidon", "da", "use_nonce"} <= set(parts)
