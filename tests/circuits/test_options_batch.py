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

import copy
import random
from contextlib import contextmanager
from dataclasses import replace

import pytest

from circuits import registry
from circuits.dsl.compiled import ConstraintError
from circuits.settlement.witness import batch_inputs
from sequencer.spec import options as opt
from sequencer.spec.constants import GRID_MAX, TINY_OPTIONS as P
from sequencer.spec.ops import Deposit, ForcedWithdraw, Funding, OptionTrade, Register, Touch, Withdraw
from sequencer.spec.public import batch_digest
from sequencer.spec.state import State
from sequencer.spec.transition import Batch, OpRefused, build_batch, process_batch
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

    def batch(self, ops, g, t, vol=6000, listings=(), settlements=(), prove=True, strict=True):
        st = self.state
        rnd = st.oracle_round + 1
        fig = figures(rnd, t, g, vol, listings=listings, settlements=settlements)
        built = build_batch(st, ops, (g, 1000), oracle_round=rnd, options=fig)
        assert not strict or (not built.refused and not built.waiting), (built.refused, built.waiting)
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


# --- expiry --------------------------------------------------------------------------------------------
NEAR_CALL = opt.Series(0, True, 58_000, T0 + 2 * 86400)


def expiring(cc) -> Chain:
    """started(), a near call listed at round 3 (series 3), 1 long 1000 near calls from 2, 3 long
    500 puts from 2 (spec only), then the price drifts up to 61000 by the call's expiry."""
    ch = started(cc)
    ch.batch([], 60_000, T0 + 40, listings=(NEAR_CALL,))
    fig = figures(ch.state.oracle_round + 1, T0 + 60, 60_000)
    ch.batch([option_trade(3, 1000, fig.current_row(NEAR_CALL, STEP)[0], 1, 2, 1, 1),
              option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 1, 2)], 60_000, T0 + 60)
    for k in range(1, 5):
        ch.batch([], 60_000 + 250 * k, T0 + k * 12 * 3600 - 10)
    return ch


def test_expiry_settles_in_the_batch_and_closes_holders_on_their_next_write(cc):
    """The round past the call's expiry records its settlement price (a settlement slot, the
    price in the root's spot range); a touch and a deposit then close the holders' positions at
    intrinsic value into collateral; the put expires out of the money the same way."""
    ch = expiring(cc)
    assert ch.state.options.series[3] == NEAR_CALL
    st = ch.state
    before = {i: st.accounts[i].collateral for i in (1, 2, 3)}
    ch.batch([], 61_000, NEAR_CALL.expiry + 5, settlements=[(3, 61_000)])
    assert st.options.settled[3] == 61_000 and st.accounts[1].option_slots[0][0] == 3  # not written: still open
    intrinsic = 3_000 * STEP
    ch.batch([Touch(1), Deposit(4, 2, 10**6)], 61_000, NEAR_CALL.expiry + 60)
    assert all(sid != 3 for i in (1, 2) for sid, _ in st.accounts[i].option_slots)
    assert st.accounts[1].collateral == before[1] + 1000 * intrinsic
    assert st.accounts[2].collateral == before[2] - 1000 * intrinsic + 10**6
    ch.batch([Touch(2), Touch(3)], 61_000, PUT.expiry, settlements=[(2, 61_000)])
    assert all(sid == 0 for i in (2, 3) for sid, _ in st.accounts[i].option_slots)
    assert st.accounts[3].collateral == before[3]
    assert ch.proven >= 9


# --- what the circuit refuses ------------------------------------------------------------------------
@contextmanager
def ignoring(*reasons: str):
    """The spec with the requirements whose reasons start with `reasons` switched off."""
    from sequencer.spec import transition

    real = transition.require

    def lenient(condition, why):
        if not condition and why.startswith(reasons):
            return
        real(condition, why)

    transition.require = lenient
    try:
        yield
    finally:
        transition.require = real


def forced(state, batch, reason: str):
    """The record of `batch` from the spec with the check `reason` switched off; the real spec
    refuses it for that reason."""
    with pytest.raises(OpRefused, match=reason):
        process_batch(state, batch)
    with ignoring(reason):
        return process_batch(state, batch)


def next_batch(state, g, t, vol=6000, settlements=(), ops=()):
    rnd = state.oracle_round + 1
    return Batch(state.batch_number + 1, rnd, (g, 1000), tuple(ops), figures(rnd, t, g, vol, settlements=settlements))


def test_forged_figures_have_no_witness(cc):
    """Time going back, a vol outside the root's option box, a settlement price outside the
    root's spot range: the spec refuses each; its record with the check switched off does not
    satisfy the circuit. The honest batch next to them does."""
    ch = expiring(cc)
    st = ch.state
    t = st.options.timestamp
    # time going back
    rejects(cc, forced(copy.deepcopy(st), next_batch(st, 61_000, t - 1), "oracle time goes back"))
    # a vol outside every option holder's box (no touch re-boxes them)
    vols = st.tree.root_option_box[0][0]
    rejects(cc, forced(copy.deepcopy(st), next_batch(st, 61_000, t + 5, vol=vols[1] + 1), "batch vols or time"))
    # a settlement price outside the root's spot range
    lo, hi = st.tree.root_box[0][:2]
    late = NEAR_CALL.expiry + 5
    outside = hi + 1 if hi < GRID_MAX else lo - 1
    assert lo > 0 and not lo <= outside <= hi
    rejects(cc, forced(copy.deepcopy(st), next_batch(st, 61_000, late, settlements=[(3, outside)]),
                       "settlement price outside"))
    # the honest settlement
    solves(cc, process_batch(st, next_batch(st, 61_000, late, settlements=[(3, 61_000)])))


def test_tampered_figure_inputs_fail(cc):
    """The figures the circuit processes are the committee's: a listing's or a settlement's
    fields, the time or a vol changed in the witness breaks a constraint (the figures root, the
    series tree or the book digest no longer match)."""
    ch = started(cc)
    _, rec = ch.batch([], 60_000, T0 + 40, listings=(NEAR_CALL,))
    inputs = batch_inputs(rec, P, cc)
    for name, index, value in [("listing[0].series", 2, NEAR_CALL.strike + 1), ("listing[0].series_id", None, 4),
                               ("figures.timestamp", None, T0 + 41), ("figures.vols", 0, 6001),
                               ("figures.root", None, 1)]:
        bad = copy.deepcopy(inputs)
        if index is None:
            bad[name] = value
        else:
            bad[name][index] = value
        rejects(cc, rec, bad)


# --- random sequences -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [7])
def test_random_batches_with_options_prove_what_the_spec_applies(cc, seed):
    """Seeded random rounds: spot moves up to 3 %, vol moves, time passing (the near put expires
    on the way and settles), perpetual trades, deposits and withdrawals of option holders, and
    option trades in rounds of their own (applied by the spec alone); every other batch the
    builder cuts satisfies the circuit with the spec's roots."""
    rng = random.Random(seed)
    near = opt.Series(0, False, 59_000, T0 + 12 * 3600)
    ch = started(cc)
    ch.batch([], 60_000, T0 + 30, listings=(near,))
    st = ch.state
    nonces = {1: 1, 2: 1, 3: 1}
    deposits = st.deposit_index

    def nonce(i):
        nonces[i] += 1
        return nonces[i] - 1

    for rnd in range(5):
        g = min(65_000, max(50_000, st.prices[0] + st.prices[0] * rng.randint(-300, 300) // 10_000))
        t = st.options.timestamp + rng.choice([3 * 3600, 6 * 3600, 12 * 3600])
        vol = max(1000, st.options.vols[0] + st.options.vols[0] * rng.randint(-1500, 1500) // 10_000)
        due = [(sid, g) for sid, s in st.options.series.items() if sid not in st.options.settled and s.expiry <= t]
        fig = figures(st.oracle_round + 1, t, g, vol, settlements=due)
        ops = []
        if rnd % 2 == 0:
            for _ in range(2):
                sid = rng.choice([s for s in st.options.series if st.options.live(s) and st.options.series[s].expiry > t])
                b, s = rng.sample([1, 2, 3], 2)
                premium = fig.current_row(st.options.series[sid], STEP)[0]
                ops.append(option_trade(sid, rng.randint(1, 2000), premium, b, s, nonce(b), nonce(s)))
        else:
            b, s = rng.sample([1, 2, 3], 2)
            ops.append(perp_trade(rng.randint(1, 2000), g * STEP, b, s, nonce(b), nonce(s)))
            w = rng.choice([1, 2, 3])
            ops.append(withdraw(w, rng.randint(1, 10**8), nonce(w)))
            ops.append(Deposit(deposits, rng.choice([1, 2, 3]), rng.randint(1, 10**9)))
            deposits += 1
        _, rec = ch.batch(ops, g, t, vol=vol, settlements=due, strict=False)
        assert has_option_trades(rec) == (rnd % 2 == 0 and any(isinstance(o, OptionTrade) for o in rec.batch.ops))
    assert ch.proven >= 4 and 3 in st.options.settled  # the near put expired on the way


# --- one Groth16 proof ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_options_batch_proof_verifies(cc, native, tiny_options_prover):
    """One Groth16 proof of a TINY_OPTIONS batch (a settlement and a holder closed at intrinsic
    value by its touch), verified against the batch's digest; another digest is not."""
    from prover.field import R
    from prover.formats.snarkjs_json import proof_from_json

    ch = expiring(cc)
    ch.batch([], 61_000, NEAR_CALL.expiry + 5, settlements=[(3, 61_000)], prove=False)
    _, rec = ch.batch([Touch(1)], 61_000, NEAR_CALL.expiry + 60, prove=False)
    proved = tiny_options_prover.prove(rec)
    assert proved.verified and proved.digest == rec.digest
    _, vk, _ = tiny_options_prover.key()
    assert not tiny_options_prover.backend.verify(vk, [(rec.digest + 1) % R], proof_from_json(proved.proof))
