"""Exits after a freeze on an options preset (sequencer/spec/option_exit.py, the argument in
circuits/settlement/exit.py): states built with the spec's transition on TINY_OPTIONS.

Every account's exit equity is its total value at the last marks (settled series at intrinsic
value), at least zero and at least its margin surplus over BPS; the equities sum to the pool
(the deposits), so the contract pays every exit; the openings the circuit takes reach the
state's roots."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequencer.spec import cross_margin as xm
from sequencer.spec import options as opt
from sequencer.spec import option_exit as ox
from sequencer.spec.constants import BPS, TINY_OPTIONS as P
from sequencer.spec.hashing import hash_fields
from sequencer.spec.margin import total_value
from sequencer.spec.transition import OpRefused, build_batch, process_batch
from tests.sequencer.test_spec_options import (CALL, PUT, STEP, T0, conserved, figures, option_trade, perp_trade,
                                               settle_batch, started)


def exit_equity(state, i):
    return total_value(state.accounts[i], P, state.prices, state.funding) \
        + ox.option_exit_value(state.accounts[i], P, state.options)


def check_exits(state, pool: int) -> None:
    """What an exit after a freeze at this state pays, for every account, and the openings."""
    book = state.options
    total = 0
    for i, a in state.accounts.items():
        eq = exit_equity(state, i)
        assert eq == xm.total_value(state, a)  # the batch margin's TV, options at the last marks
        assert eq >= 0 and BPS * eq >= xm.marks_surplus(state, a), i
        total += eq
        for sid, n in a.option_slots:
            if not sid:
                assert n == 0
                continue
            o = ox.slot_opening(book, P, sid)
            assert o.value == ox.slot_value(book, P, sid)
            cur = hash_fields([sid, *o.series, o.code])
            for d, sib in enumerate(o.series_path):
                cur = hash_fields([sib, cur] if (sid >> d) & 1 else [cur, sib])
            assert cur == opt.series_root(book)
            if sid in book.settled:
                assert o.code == book.settled[sid] + opt.SETTLED_FLAG
                continue
            pre, inner = ox.figures_preimage(book, P)
            assert ox.walk_figures_path(hash_fields(ox.array_leaf_inputs(sid, o.series, o.row)), o.figures_path) == inner
            assert hash_fields([*pre, inner]) == book.figures_root
    # sum of exits = the pool: zero-sum perpetual P&L and option values, funding and the
    # settled series' unclosed cash in `conserved`
    assert total == conserved(state) == pool


def test_hedged_book_exit_is_collateral_plus_perp_pnl_plus_option_values():
    """Account 1 long 1000 perpetual lots, short 2000 calls; the price and the time move. Its
    exit equity is its collateral, the perpetual's P&L at the last price and funding, and
    -2000 x the call's mark of the last round, which the book's figures root opens."""
    state = started()
    pool = conserved(state)
    mark = figures(3, T0 + 60, 60_000).current_row(CALL, STEP)[0]
    settle_batch(state, [perp_trade(1000, 60_000 * STEP, 1, 2, 1, 1), option_trade(1, 2000, mark, 2, 1, 2, 2)],
                 60_000, T0 + 60)
    settle_batch(state, [], 60_400, T0 + 7200, vol=6300)
    a = state.accounts[1]
    assert a.positions[0] == 1000 and a.option_slots[0] == (1, -2000)
    last_mark = figures(state.oracle_round, T0 + 7200, 60_400, vol=6300).current_row(CALL, STEP)[0]
    assert last_mark != mark and state.options.figures.current_row(CALL, STEP)[0] == last_mark
    perp_pnl = 1000 * 60_400 * STEP - 1000 * (state.funding[0] - a.snapshots[0])
    assert exit_equity(state, 1) == a.collateral + perp_pnl - 2000 * last_mark
    assert exit_equity(state, 2) == state.accounts[2].collateral - 1000 * 60_400 * STEP \
        + 1000 * (state.funding[0] - state.accounts[2].snapshots[0]) + 2000 * last_mark
    check_exits(state, pool)


def test_settled_series_counts_at_intrinsic_until_closed():
    """A call expires in the money: the batch records its settlement price; an exit counts an
    unclosed position at intrinsic value (the book's settlement code), not at a mark; the live
    put still counts at its mark."""
    state = started()
    pool = conserved(state)
    call = opt.Series(0, True, 58_000, T0 + 2 * 86400)
    state_fig = figures(3, T0 + 30, 60_000, listings=[call])
    process_batch(state, build_batch(state, [], (60_000, 1000), oracle_round=3, options=state_fig).batch)
    fig = figures(4, T0 + 60, 60_000)
    settle_batch(state, [option_trade(3, 1000, fig.current_row(call, STEP)[0], 1, 2, 1, 1),
                         option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 1, 2)], 60_000, T0 + 60)
    settle_batch(state, [], 60_500, T0 + 86400)
    settle_batch(state, [], 61_000, call.expiry + 5, settlements=[(3, 61_000)])
    book = state.options
    assert book.settled[3] == 61_000
    assert ox.slot_value(book, P, 3) == 3000 * STEP
    holders = [i for i, a in state.accounts.items() if any(sid == 3 and n for sid, n in a.option_slots)]
    assert holders
    for i in holders:  # not written since the expiry: still open, counted at intrinsic
        n = dict(state.accounts[i].option_slots)[3]
        assert ox.option_exit_value(state.accounts[i], P, book) == n * 3000 * STEP + sum(
            m * ox.slot_value(book, P, sid) for sid, m in state.accounts[i].option_slots if sid not in (0, 3))
    check_exits(state, pool)


# --- random portfolios ---------------------------------------------------------------------------
option_op = st.one_of(
    st.tuples(st.just("option"), st.integers(1, 3), st.integers(1, 3000), st.integers(-300, 300),
              st.permutations((1, 2, 3))),
    st.tuples(st.just("perp"), st.integers(1, 2000), st.integers(-100, 100), st.permutations((1, 2, 3))),
)
steps = st.lists(st.tuples(st.integers(-300, 300), st.integers(-2000, 3000), st.integers(60, 2 * 86400),
                           st.lists(option_op, max_size=3)), min_size=1, max_size=3)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.lists(st.integers(5 * 10**9, 10**11), min_size=3, max_size=3))
def test_random_portfolios_exit_within_the_pool(plan, deposits):
    """Random option and perpetual trades through spot, vol and time moves (a series expires on
    the way): after every batch every account's exit equity is >= 0 and >= its margin surplus
    / BPS, the equities sum to the deposits, and every opening reaches the state's roots."""
    near = opt.Series(0, False, 59_000, T0 + 2 * 86400)
    state = started(deposits=tuple(deposits), listings=(CALL, PUT, near))
    pool = conserved(state)
    check_exits(state, pool)
    nonces = {1: 1, 2: 1, 3: 1}
    for rnd, (move_bps, vol_bps, dt, specs) in enumerate(plan, start=3):
        g = min(65_000, max(30_000, state.prices[0] + state.prices[0] * move_bps // 10_000))
        t = state.options.timestamp + dt
        vol = max(1000, min(30_000, state.options.vols[0] + state.options.vols[0] * vol_bps // 10_000))
        due = [(sid, g) for sid, s in state.options.series.items()
               if sid not in state.options.settled and s.expiry <= t]
        fig = figures(rnd, t, g, vol, settlements=due)
        ops = []
        for spec in specs:
            _, *args, (buyer, seller, _) = spec
            if spec[0] == "option":
                sid, size, bps = args
                premium = max(0, fig.current_row(state.options.series[sid], STEP)[0] * (10_000 + bps) // 10_000)
                ops.append(option_trade(sid, size, premium, buyer, seller, nonces[buyer], nonces[seller]))
            else:
                size, bps = args
                ops.append(perp_trade(size, g * STEP * (10_000 + bps) // 10_000, buyer, seller,
                                      nonces[buyer], nonces[seller]))
            nonces[buyer] += 1
            nonces[seller] += 1
        try:
            built = build_batch(state, ops, (g, 1000), oracle_round=rnd, options=fig)
        except OpRefused:
            continue
        process_batch(state, built.batch)
        check_exits(state, pool)
