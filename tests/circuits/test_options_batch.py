"""The batch circuit of the options preset (TINY_OPTIONS, K = 2) against the spec.

Completeness: batches the spec applies on a state whose accounts hold option positions (every
slot kind but the option trade, which the option margin gadgets add) give witnesses that
satisfy the circuit, with the spec's digest, so the circuit's state roots (leaves with option
slots and option box digests, the tree's option boxes, the options book in the globals) are
the spec's byte for byte. Batches with option trades are applied by the spec alone here (the
state they leave is what the later, proven batches start from).

Soundness: the round's figures the circuit processes (time, vols, listings, settlements) are
refused where the spec refuses them: time going back, a vol outside the root's option box, a
settlement price outside the root's spot range.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from circuits import registry
from circuits.dsl.compiled import ConstraintError
from circuits.settlement.witness import batch_inputs
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS as P
from sequencer.spec.ops import Deposit, ForcedWithdraw, Funding, OptionTrade, Register, Touch, Withdraw
from sequencer.spec.public import batch_digest
from sequencer.spec.state import State
from sequencer.spec.transition import build_batch, process_batch
from tests.sequencer.spec_helpers import ADDRESS_BASE, key, sign
from tests.sequencer.test_spec_options import CALL, PUT, STEP, T0, figures, option_trade, perp_trade


@pytest.fixture(scope="module")
def cc():
    return registry.build_cached("settlement", preset=P.name)


def has_option_trades(record) -> bool:
    return any(isinstance(w.op, OptionTrade) for w in record.ops)


def solves(cc, record):
    w = cc.witness(batch_inputs(record, P, cc))
    assert cc.public_signals(w) == [record.digest] == [batch_digest(record.public, P)]
    return w


def rejects(cc, record, inputs=None) -> None:
    with pytest.raises(ConstraintError):
        cc.witness(inputs if inputs is not None else batch_inputs(record, P, cc))


class Chain:
    """A state and the records of its batches; each batch without option trades is proven."""

    def __init__(self, cc):
        self.cc = cc
        self.state = State.genesis(P, key(0).public_key, ADDRESS_BASE, (60_000, 1000))
        self.proven = 0

    def batch(self, ops, g, t, vol=6000, listings=(), settlements=(), prove=True):
        st = self.state
        rnd = st.oracle_round + 1
        fig = figures(rnd, t, g, vol, listings=listings, settlements=settlements)
        built = build_batch(st, ops, (g, 1000), oracle_round=rnd, options=fig)
        assert not built.refused and not built.waiting, (built.refused, built.waiting)
        record = process_batch(st, built.batch)
        assert st.rebuild_tree().root == st.tree.root
        assert st.tree.root_option_box == opt.intersect_option_boxes([a.obox for a in st.accounts.values()],
                                                                      P.num_markets)
        if prove and not has_option_trades(record):
            solves(self.cc, record)
            self.proven += 1
        return built, record


def withdraw(account, amount, nonce):
    op = Withdraw(account, amount, nonce, 100)
    return replace(op, signature=sign(op, account, P))


def started(cc) -> Chain:
    """Genesis; accounts 1..3 registered and funded; the call and the put listed at round 1."""
    ch = Chain(cc)
    ops = [Register(i, key(i + 1).public_key, ADDRESS_BASE + i + 1) for i in range(2)]
    ops += [Deposit(i, i + 1, 10**11) for i in range(2)]
    ch.batch(ops, 60_000, T0, listings=(CALL, PUT))
    ops = [Register(2, key(3).public_key, ADDRESS_BASE + 3), Deposit(2, 3, 10**11), Deposit(3, 0, 10**11)]
    ch.batch(ops, 60_000, T0 + 10)
    return ch


def test_every_perpetual_slot_proves_on_accounts_holding_options(cc):
    """Registrations, deposits, a forced withdrawal, funding, touches that re-box option holders
    (rows cached), withdrawals and perpetual trades of option holders, the closing write: each
    batch's witness satisfies the circuit with the spec's roots."""
    ch = started(cc)
    fig = figures(3, T0 + 60, 60_000)
    mark = fig.current_row(CALL, STEP)[0]
    # spec only (option trades): 1 sells 2000 calls to 2 and hedges with 1000 perpetual lots from 3
    _, rec = ch.batch([perp_trade(1000, 60_000 * STEP, 1, 3, 1, 1), option_trade(1, 2000, mark, 2, 1, 1, 2),
                       option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 2, 2)], 60_000, T0 + 60)
    assert has_option_trades(rec)
    a1, a2 = ch.state.accounts[1], ch.state.accounts[2]
    assert a1.option_slots[0] == (1, -2000) and a2.option_slots[0] == (1, 2000) and a1.obox.rows[0] is not None
    # option holders deposit, withdraw, trade perpetuals, pay funding, take a forced withdrawal
    ops = [Register(3, key(4).public_key, ADDRESS_BASE + 4), Deposit(4, 1, 10**9), Deposit(5, 4, 10**10),
           ForcedWithdraw(0, 2, 10**8), Funding(0, 1000), withdraw(1, 10**8, 3)]
    ops.append(perp_trade(100, 60_100 * STEP, 2, 1, 4, 4))
    built, rec = ch.batch(ops, 60_100, T0 + 120)
    assert rec.public.forced == ((2, 10**8, 1),)
    # a price move out of the boxes: the builder touches the holders, re-boxing their options
    built, rec = ch.batch([], 53_000, T0 + 3 * 3600, vol=6500)
    assert sum(isinstance(op, Touch) for op in built.batch.ops) >= 2
    assert ch.state.accounts[1].obox.rows[0] is not None and ch.state.accounts[1].obox.times[0] == T0 + 3 * 3600
    assert ch.proven == 4
