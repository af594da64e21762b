"""Option trades, touches that re-box option holders and the grid margin of every write, in the
batch circuit of the options preset (TINY_OPTIONS, K = 2) against the spec: batches the spec
applies give witnesses that satisfy the circuit with the spec's digest (its roots byte for
byte), and a witness whose cached rows, figures or series the round did not publish is refused."""
from __future__ import annotations

import copy

from circuits.settlement.witness import batch_inputs
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS as P
from sequencer.spec.ops import Deposit, Liquidate, OptionTrade, Register, Touch
from tests.circuits.test_options_batch import Chain, cc, rejects, solves, started  # noqa: F401 (cc: the fixture)
from tests.sequencer.spec_helpers import ADDRESS_BASE, key
from tests.sequencer.test_spec_options import (CALL, PUT, STEP, T0, USD, account, book_with, figures, option_trade,
                                               perp_trade, requirement_units)


def test_option_trades_and_expiry_prove(cc):  # noqa: F811
    """A hedged short call book and a put trade (the builder's touches reserve the slots and cache
    their rows first), then the put's expiry (its holders closed at intrinsic value on their next
    write) with a trade that closes part of the calls: each batch's witness satisfies the circuit."""
    ch = started(cc)
    fig = figures(3, T0 + 60, 60_000)
    ops = [perp_trade(1000, 60_000 * STEP, 1, 3, 1, 1), option_trade(1, 2000, fig.current_row(CALL, STEP)[0], 2, 1, 1, 2),
           option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 2, 2)]
    built, rec = ch.batch(ops, 60_000, T0 + 60, prove=False)
    assert sum(isinstance(w.op, OptionTrade) for w in rec.ops) == 2
    assert any(isinstance(op, Touch) and op.assign for op in built.batch.ops)
    solves(cc, rec)
    a1, a2 = ch.state.accounts[1], ch.state.accounts[2]
    assert a1.option_slots[0] == (1, -2000) and a2.option_slots[0] == (1, 2000)
    ch.opening = rec  # for the refusals below
    # the put expires in the money (spot 54,000 < strike 55,000); 2 buys back 800 calls from 1
    t = PUT.expiry
    late = figures(4, t, 54_000, settlements=((2, 54_000),))
    ops = [option_trade(1, 800, late.current_row(CALL, STEP)[0], 1, 2, 3, 3)]
    _, rec = ch.batch(ops, 54_000, t, settlements=((2, 54_000),), prove=False)
    solves(cc, rec)
    assert ch.state.accounts[1].option_slots[0] == (1, -1200)
    # 2 (written: it traded) closed its put at intrinsic value; 3 (not written) closes on its next write
    assert all(sid != 2 for sid, _ in ch.state.accounts[2].option_slots)
    assert any(sid == 2 for sid, _ in ch.state.accounts[3].option_slots)
    global OPENING
    OPENING = ch.opening


OPENING = None


def test_forged_option_witnesses_are_refused(cc):  # noqa: F811
    """The option trade batch above, its witness tampered: a cached row that is not the leaf's, a
    current array the round did not publish, the traded series missing from the figures table."""
    rec = OPENING
    assert rec is not None, "runs after test_option_trades_and_expiry_prove"
    good = batch_inputs(rec, P, cc)
    cases = []
    bad = copy.deepcopy(good)
    bad["option_trade[0].seller.orows.long"][0][3] += 1
    cases.append(bad)
    bad = copy.deepcopy(good)
    bad["figures.table[0].array"][5] += 1
    cases.append(bad)
    bad = copy.deepcopy(good)
    bad["figures.table[0].used"] = 0  # series 1 (the call) left out of the table
    cases.append(bad)
    for inputs in cases:
        rejects(cc, rec, inputs)


def test_vol_spike_liquidates_options_to_the_fund(cc):  # noqa: F811
    """A short-call book funded just above its initial requirement: the vol doubles, the builder
    liquidates it to the fund, its options moving at their marks with their penalty: the batch's
    witness satisfies the circuit (the target's minimal-box maintenance shown negative with exact
    mins, the fund's slots taking the series)."""
    fig = figures(3, T0 + 60, 60_000)
    mark = fig.current_row(CALL, STEP)[0]
    need = requirement_units(account(slots=((1, -2000), (0, 0))), book_with(CALL, PUT), fig, "initial")
    ch = Chain(cc)
    ops = [Register(i, key(i + 1).public_key, ADDRESS_BASE + i + 1) for i in range(2)]
    ops += [Deposit(0, 1, int(need) + 100 * USD), Deposit(1, 2, 10**11)]
    ch.batch(ops, 60_000, T0, listings=(CALL, PUT))
    ch.batch([Deposit(2, 0, 10**11)], 60_000, T0 + 10)
    _, rec = ch.batch([option_trade(1, 2000, mark, 2, 1, 1, 1)], 60_000, T0 + 60, prove=False)
    solves(cc, rec)
    built, rec = ch.batch([], 60_000, T0 + 120, vol=12_000, prove=False)
    assert any(isinstance(op, Liquidate) for op in built.batch.ops)
    assert ch.state.accounts[1].option_slots == ((0, 0), (0, 0))
    assert opt.sizes_by_series(ch.state.accounts[0])[1] == -2000
    solves(cc, rec)
