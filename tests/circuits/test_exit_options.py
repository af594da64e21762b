"""The exit circuit on an options preset (TINY_OPTIONS, K = 2): an owner's equity after a freeze
includes its option values, settled series at intrinsic value and live ones at the last round's
mark (circuits/settlement/exit.py, "Options"), and nothing else opens.

The state: series 3 (a call) expired in the money and is settled in the book, its holders not
yet closed; the put (series 2) is live. Account 2 holds both (short), account 1 the settled
call (long), account 3 the live put (long). Attacks: a forged settlement price, a forged mark,
another series' mark, a series id the book does not hold, a settled series counted at the mark,
a tampered book or figures opening. (The Groth16 proof, paid on Rollup.sol:
tests/contracts/test_option_exit_onchain.py.)
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from circuits import registry
from circuits.dsl.compiled import unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, forge_witness
from circuits.settlement.exit import exit_equity, exit_inputs, exit_public
from prover.field import R
from sequencer.spec import cross_margin as xm
from sequencer.spec import option_exit as ox
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS as P
from sequencer.spec.hashing import from_field
from sequencer.spec.state import Account, State
from sequencer.spec.transition import build_batch, process_batch
from tests.sequencer.spec_helpers import ADDRESS_BASE, key
from tests.sequencer.test_spec_options import (PUT, STEP, T0, figures, option_trade, perp_trade, settle_batch,
                                               started)

CALL3 = opt.Series(0, True, 58_000, T0 + 2 * 86400)


@pytest.fixture(scope="module")
def cc():
    return registry.build("exit", preset=P.name)


@pytest.fixture(scope="module")
def state():
    s = started()
    process_batch(s, build_batch(s, [], (60_000, 1000), oracle_round=3,
                                 options=figures(3, T0 + 30, 60_000, listings=[CALL3])).batch)
    fig = figures(4, T0 + 60, 60_000)
    settle_batch(s, [option_trade(3, 1000, fig.current_row(CALL3, STEP)[0], 1, 2, 1, 1),
                     option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 1, 2),
                     perp_trade(300, 60_000 * STEP, 2, 3, 3, 2)], 60_000, T0 + 60)
    settle_batch(s, [], 60_500, T0 + 86400)
    settle_batch(s, [], 61_000, CALL3.expiry + 5, settlements=[(3, 61_000)])
    assert s.options.settled == {3: 61_000}
    assert dict(s.accounts[2].option_slots) == {3: -1000, 2: -500}  # unclosed settled call, live put
    assert dict(s.accounts[1].option_slots).get(3) == 1000 and dict(s.accounts[3].option_slots).get(2) == 500
    return s


def _with(inputs: dict, name: str, value, *index) -> dict:
    out = {k: (_deep(v) if isinstance(v, list) else v) for k, v in inputs.items()}
    if not index:
        out[name] = value % R
        return out
    target = out[name]
    for i in index[:-1]:
        target = target[i]
    target[index[-1]] = value % R
    return out


def _deep(v):
    return [_deep(x) for x in v] if isinstance(v, list) else v


def _slot(state, account_id: int, sid: int) -> int:
    return [s for s, _ in state.accounts[account_id].option_slots].index(sid)


def test_presets_without_options_have_no_option_inputs():
    """K = 0 (tiny): the exit circuit is today's (same inputs; the R1CS is byte-identical, see the
    module docstring's counts)."""
    names = [n for n, _, _ in registry.build("exit", preset="tiny").inputs]
    assert not any(n.startswith(("options.", "slot.")) for n in names)


@pytest.mark.parametrize("account_id", range(4))
def test_equity_includes_option_values(cc, state, account_id):
    w = assert_solves(cc, exit_inputs(state, account_id))
    assert cc.public_signals(w) == exit_public(state, account_id)
    a = state.accounts[account_id]
    equity = from_field(cc.public_signals(w)[-1])
    assert equity == exit_equity(state, account_id) == xm.total_value(state, a) >= 0


def test_settled_at_intrinsic_live_at_the_mark(cc, state):
    """Account 2: collateral + perpetual P&L - 1000 x (61,000 - 58,000) x step - 500 x the put's
    last mark."""
    a = state.accounts[2]
    put_mark = state.options.figures.current_row(PUT, STEP)[0]
    assert put_mark > 0
    perp = a.positions[0] * state.prices[0] * STEP - a.positions[0] * (state.funding[0] - a.snapshots[0])
    expected = a.collateral + perp - 1000 * 3000 * STEP - 500 * put_mark
    w = assert_solves(cc, exit_inputs(state, 2))
    assert from_field(cc.public_signals(w)[-1]) == expected


def test_forged_settlement_price_rejected(cc, state):
    inputs = exit_inputs(state, 1)
    k = _slot(state, 1, 3)
    forged = _with(inputs, "slot.code", inputs["slot.code"][k] + 100, k)  # 61,100: 100 more a lot
    assert_rejects(cc, _with(forged, "equity", inputs["equity"] + 1000 * 100 * STEP), match="series")


def test_forged_mark_rejected(cc, state):
    inputs = exit_inputs(state, 3)
    k = _slot(state, 3, 2)
    forged = _with(inputs, "slot.row", inputs["slot.row"][k][0] + 7, k, 0)
    assert_rejects(cc, _with(forged, "equity", inputs["equity"] + 500 * 7), match="mark")


def test_another_series_mark_rejected(cc, state):
    """The live call's (series 1) array and path, published by the same round, for the put's slot."""
    inputs = exit_inputs(state, 3)
    k = _slot(state, 3, 2)
    row, path = ox.figures_path(state.options, P, 1)
    forged = _with(inputs, "slot.row", 0, k, 0)
    forged["slot.row"][k] = list(row)
    for name, attr in (("slot.fig_present", "present"), ("slot.fig_alone", "alone"),
                       ("slot.fig_right", "right"), ("slot.fig_sibling", "sibling")):
        forged[name][k] = [getattr(lv, attr) for lv in path]
    forged = _with(forged, "equity", inputs["equity"] + 500 * (row[0] - inputs["slot.row"][k][0]))
    assert_rejects(cc, forged, match="mark")


def test_settled_series_counted_at_the_mark_rejected(cc, state):
    """Account 2's settled call claimed live (code 0) with a mark, or its settled bit forged to 0."""
    inputs = exit_inputs(state, 2)
    k = _slot(state, 2, 3)
    forged = _with(inputs, "slot.code", 0, k)
    assert_rejects(cc, forged, match="series")
    w = forge_witness(cc, inputs, {f"slot{k}/slot_exit_value/code/to_bits.bits[20]": 0})
    assert unsatisfied(cc.r1cs, w)


def test_series_not_in_the_book_rejected(cc, state):
    """A leaf whose slot names series 9, which the book never listed (the state root commits to
    it here): no series opening reaches the book's series root at position 9, whatever the fields."""
    a = state.accounts[3]
    k = _slot(state, 3, 2)
    inputs = exit_inputs(state, 3)
    odd = replace(a, option_slots=tuple((9, n) if i == k else (s, n) for i, (s, n) in enumerate(a.option_slots)))
    state.write_account(3, odd)
    try:
        forged = _with(inputs, "leaf", 9, 6 + 2 * P.num_markets + 2 * k)
        forged = _with(forged, "tree_root", state.tree.root)
        forged = _with(forged, "root", state.root())
        assert_rejects(cc, forged, match="series")
        # with series 2's opening moved to position 9's path bits nothing changes: the bits are sid's
        assert_rejects(cc, _with(forged, "slot.series_path", 0, k, 0), match="series")
    finally:
        state.write_account(3, a)
    assert_solves(cc, exit_inputs(state, 3))


@pytest.mark.parametrize("name,index", [("options.book", (0,)), ("options.book", (P.num_markets + 1,)),
                                        ("options.book", (P.num_markets + 2,)), ("options.figures", (0,)),
                                        ("options.figures", (2 * P.num_markets + 2,)),
                                        ("options.figures_tree_root", ()), ("slot.fig_present", (1, 20)),
                                        ("slot.fig_alone", (1, 0)), ("slot.fig_right", (1, 0)),
                                        ("slot.fig_sibling", (1, 0)), ("slot.series_path", (0, 3)),
                                        ("slot.series", (1, 2)), ("equity", ())])
def test_tampered_option_openings_rejected(cc, state, name, index):
    inputs = exit_inputs(state, 2)
    assert [s for s, _ in state.accounts[2].option_slots] == [3, 2]  # slot 0 settled, slot 1 live
    value = inputs[name]
    for i in index:
        value = value[i]
    assert_rejects(cc, _with(inputs, name, value + 1, *index))


# --- every kind of slot: settled calls and puts in and out of the money, live series, both markets ----
SYNTH = {1: opt.Series(0, True, 61_000, T0 + 86400), 2: opt.Series(0, False, 61_000, T0 + 86400),
         3: opt.Series(1, True, 900, T0 + 86400), 4: opt.Series(1, False, 1100, T0 + 5 * 86400),
         5: opt.Series(0, True, 59_000, T0 + 9 * 86400), 6: opt.Series(1, True, 990, T0 + 9 * 86400)}


def _synthetic_state(slots, settled):
    """A TINY_OPTIONS state whose book lists SYNTH, `settled` recorded (id -> price), the last
    round's figures at (60,000, 1,000) and account 5 holding `slots`."""
    s = State.genesis(P, key(0).public_key, ADDRESS_BASE, (60_000, 1000))
    fig = opt.OptionFigures(round=7, timestamp=T0 + 100, prices=(60_000, 1000), vols=(6000, 8000))
    book = replace(s.options, series=dict(SYNTH), settled=dict(settled), timestamp=fig.timestamp,
                   vols=fig.vols, figures=fig)
    s.options = replace(book, figures_root=fig.commitment(book, P))
    s.oracle_round, s.registration_index = 7, 5
    a = Account.new(key(5).public_key, ADDRESS_BASE + 5, (0, 0), 0x5A17, P.option_slots)
    s.write_account(5, replace(a, collateral=10**12, option_slots=tuple(slots)))
    return s


@pytest.mark.parametrize("slots,settled,values", [
    (((1, 10), (2, -7)), {1: 60_000, 2: 60_000}, (0, 1000 * P.markets[0].price_step)),  # call OTM, put ITM
    (((2, 3), (3, -4)), {2: 62_000, 3: 950}, (0, 50 * P.markets[1].price_step)),  # put OTM, call ITM (market 1)
    (((4, 6), (5, -2)), {}, None),  # live put on market 1, live call on market 0: marks
    (((6, 5), (0, 0)), {3: 900}, None),  # a live call and an empty slot
], ids=["settled-call-otm-put-itm", "settled-put-otm-call-itm-m1", "live-both-markets", "live-and-empty"])
def test_every_kind_of_slot(cc, slots, settled, values):
    s = _synthetic_state(slots, settled)
    book = s.options
    want = [ox.slot_value(book, P, sid) if sid else 0 for sid, _ in slots]
    if values is not None:
        assert tuple(want) == values  # intrinsic by hand
    else:
        assert all(v == book.figures.current_row(SYNTH[sid], P.markets[SYNTH[sid].market].price_step)[0] > 0
                   for (sid, _), v in zip(slots, want) if sid)
    w = assert_solves(cc, exit_inputs(s, 5))
    assert from_field(cc.public_signals(w)[-1]) == 10**12 + sum(n * v for (_, n), v in zip(slots, want))
