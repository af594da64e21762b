"""Options in the spec (sequencer/spec/options.py): the grid margin, the option safe box, expiry,
option trades, and the refusals. The box property is checked with hypothesis: random
portfolios and figures inside a box never break maintenance."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequencer.spec import box as boxes
from sequencer.spec import cross_margin as xm
from sequencer.spec import options as opt
from sequencer.spec.constants import BPS, TINY_OPTIONS as P
from sequencer.spec.ops import Deposit, OptionTrade, Register, Touch, Trade
from sequencer.spec.state import Account, State
from sequencer.spec.transition import Batch, OpRefused, build_batch, process_batch
from tests.sequencer.spec_helpers import ADDRESS_BASE, key, sign

T0 = 1_800_000_000
YEAR = opt.SECONDS_PER_YEAR
STEP = P.markets[0].price_step  # 1000 units a lot per ladder step: ladder 60_000 = 60 USD a lot (0.001 BTC)
USD = 10**6


def book_with(*series: opt.Series, settled=None, timestamp=T0) -> opt.OptionBook:
    b = opt.empty_book(P)
    return replace(b, series={i + 1: s for i, s in enumerate(series)}, settled=dict(settled or {}),
                   timestamp=timestamp, vols=(6000, 0))


def figures(rnd, t, g, vol=6000, listings=(), settlements=()):
    return opt.OptionFigures(round=rnd, timestamp=t, prices=(g, 1000), vols=(vol, 0), listings=tuple(listings),
                             settlements=tuple(settlements))


def account(collateral=0, perp=0, slots=((0, 0), (0, 0))) -> Account:
    a = Account.new((1, 2), 3, (0, 0), 5, P.option_slots)
    return replace(a, collateral=collateral, positions=(perp, 0), option_slots=tuple(slots))


def requirement_units(a, book, fig, grid="maintenance") -> float:
    """BPS * TV - surplus, in collateral units (the requirement at the marks)."""
    tv = a.collateral + a.positions[0] * fig.prices[0] * STEP + opt.option_value(a, P, book, fig)
    return (BPS * tv - opt.marks_surplus(a, P, book, fig, (0, 0), grid)) / BPS


# --- the box argument ---------------------------------------------------------------------------
series_st = st.builds(opt.Series, market=st.just(0), is_call=st.booleans(),
                      strike=st.integers(40_000, 65_000),
                      expiry=st.integers(T0 + 1, T0 + 200 * 86400))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s1=series_st, s2=series_st, n1=st.integers(-5000, 5000), n2=st.integers(-5000, 5000),
       perp=st.integers(-5000, 5000), g=st.integers(40_000, 60_000), vol=st.integers(2000, 15000),
       so=st.sampled_from(opt.SPOT_OFFSETS_BPS), vo=st.sampled_from(opt.VOL_OFFSETS_BPS),
       h=st.sampled_from(opt.HORIZONS_S), extra=st.integers(0, 10**9), data=st.data())
def test_figures_inside_the_box_never_break_maintenance(s1, s2, n1, n2, perp, g, vol, so, vo, h, extra, data):
    """An account boxed at one round's figures (the committee's rows at the box's corners),
    with collateral so that its box surplus is just >= 0, is above maintenance at any later
    figures inside its box: spot, funding, vol and time, a series settling inside the box
    included, all of them measured with that later round's own marks and risk arrays."""
    t0 = data.draw(st.integers(T0 - 100 * 86400, min(s1.expiry, s2.expiry) - 1), label="t0")
    book = book_with(s1, s2, timestamp=t0)
    fig = replace(figures(1, t0, g, vol), vols=(vol, 0))
    a = account(perp=perp, slots=((1, n1), (2, n2)))
    pbox, obox = opt.make_box(a, P, book, fig, (0, 0), so, vo, h)
    assert opt.check_published(a, P, book, fig, pbox, obox)
    a = replace(a, box=pbox, obox=obox)
    s = opt.box_surplus(a, P, book)
    a = replace(a, collateral=-(s // BPS) + extra)  # box surplus in [0, BPS * (extra + 1))
    s = opt.box_surplus(a, P, book)
    assert s >= 0
    # later figures anywhere in the box
    lo, hi, flo, fhi = pbox[0]
    g2 = data.draw(st.integers(lo, hi), label="g2")
    f2 = data.draw(st.integers(max(flo, -10**7), min(fhi, 10**7)), label="funding")
    v2 = data.draw(st.integers(obox.vols[0][0], obox.vols[0][1]), label="vol2")
    t2 = data.draw(st.integers(obox.times[0], obox.times[1]), label="t2")
    settled = {}
    for sid, ser in ((1, s1), (2, s2)):
        if ser.expiry <= t2:  # settled at a price the batch recorded inside the root box
            settled[sid] = data.draw(st.integers(lo, hi), label=f"settle{sid}")
    later_book = replace(book, settled=settled, timestamp=t2, vols=(v2, 0))
    later = figures(2, t2, g2, v2)
    marks = opt.marks_surplus(a, P, later_book, later, (f2, 0))
    assert marks >= opt.box_surplus(a, P, later_book) >= 0
    assert opt.box_surplus(a, P, later_book) >= s or settled  # settled positions count exactly (cash)


@settings(max_examples=40, deadline=None)
@given(s=series_st, n=st.integers(1, 10_000), g=st.integers(40_000, 60_000), vol=st.integers(1000, 20000),
       dt=st.integers(0, 400 * 86400))
def test_long_option_never_needs_more_than_its_premium_and_short_needs_more_than_zero(s, n, g, vol, dt):
    t = s.expiry - 1 - dt % (s.expiry - T0 + 100 * 86400)
    book, fig = book_with(s, timestamp=t), figures(1, t, g, vol)
    mark = fig.current_row(s, STEP)[0]
    for grid in ("maintenance", "initial"):
        assert requirement_units(account(slots=((1, n), (0, 0))), book, fig, grid) <= n * mark
        assert requirement_units(account(slots=((1, -n), (0, 0))), book, fig, grid) > 0


def test_hedged_book_needs_less_than_its_parts():
    """examples/portfolio_hedged.json in the spec: 1 BTC perpetual long (1000 lots), 2 calls
    65000 short (2000 lots), 0.1 year, vol 60 %: the book needs less than 0.8x the calls alone
    plus the perpetual alone (the perpetual alone keeps its linear 5 % of TINY's BTC-T)."""
    call = opt.Series(0, True, 65_000, T0 + int(0.1 * YEAR))
    book, fig = book_with(call), figures(1, T0, 60_000)
    both = requirement_units(account(perp=1000, slots=((1, -2000), (0, 0))), book, fig)
    calls = requirement_units(account(slots=((1, -2000), (0, 0))), book, fig)
    perp = requirement_units(account(perp=1000), book, fig)
    assert perp == 1000 * 60_000 * STEP * 500 / BPS  # 3000 USD: today's linear requirement
    assert both < 0.8 * (calls + perp)
    assert abs(both / USD - 6662.53) < 0.05  # the risk module's figure (README: Risk)


def test_spec_requirement_equals_risk_margin_in_floating_point():
    """`zkclear risk margin` (sequencer/risk/margin.py, floats) and the spec's integers agree to
    the published arrays' rounding: |spec - float| <= sum |n| (1/2 unit a lot for each of V_0 and
    V_s) + 1 unit, for maintenance and initial, on the example portfolio and a put book."""
    from sequencer.risk.margin import portfolio_margin
    from sequencer.risk.portfolio import parse_portfolio

    cases = [
        ([("perp", None, 1.0), ("call", 65_000, -2.0)], 0.1),
        ([("put", 55_000, 3.0), ("call", 70_000, -1.5)], 0.25),
        ([("perp", None, -0.5), ("put", 58_000, -2.0)], 0.02),
    ]
    for positions, years in cases:
        pf = parse_portfolio({"collateral": 100000, "rate": 0.0, "markets": {"BTC": {"spot": 60000, "vol": 0.6}},
                              "positions": [{"type": t, "market": "BTC", "size": n} if t == "perp" else
                                            {"type": t, "market": "BTC", "strike": k, "years": years, "size": n}
                                            for t, k, n in positions]})
        ref = portfolio_margin(pf)
        series = [opt.Series(0, t == "call", k, T0 + round(years * YEAR)) for t, k, _ in positions if t != "perp"]
        sizes = [round(n * 1000) for t, _, n in positions if t != "perp"]
        perp = sum(round(n * 1000) for t, _, n in positions if t == "perp")
        book, fig = book_with(*series), figures(1, T0, 60_000)
        a = account(perp=perp, slots=tuple((i + 1, n) for i, n in enumerate(sizes)))
        tolerance = sum(abs(n) for n in sizes) + 1
        for grid, key_ in (("maintenance", "maintenance"), ("initial", "initial")):
            spec = requirement_units(a, book, fig, grid)
            assert abs(spec - ref[key_] * USD) <= tolerance, (grid, spec, ref[key_] * USD)


def test_zkclear_risk_margin_prints_the_spec_requirement(capsys):
    """`zkclear risk margin --portfolio examples/portfolio_hedged.json` (floats) against the spec's
    integers for the same book in TINY_OPTIONS (1 BTC = 1000 lots): equal to the documented
    tolerance, sum |n| + 1 collateral units (0.002 USD here)."""
    import json
    from pathlib import Path

    from sequencer.cli import main

    assert main(["risk", "margin", "--portfolio",
                 str(Path(__file__).resolve().parents[2] / "examples" / "portfolio_hedged.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    call = opt.Series(0, True, 65_000, T0 + round(0.1 * YEAR))
    book, fig = book_with(call), figures(1, T0, 60_000)
    a = account(perp=1000, slots=((1, -2000), (0, 0)))
    for grid in ("maintenance", "initial"):
        assert abs(requirement_units(a, book, fig, grid) - out[grid] * USD) <= 2000 + 1


# --- the transition: trades, touches, expiry, liquidation ------------------------------------------
def option_trade(series, size, premium, buyer, seller, bn, sn, expiry=100):
    op = OptionTrade(series, size, premium, buyer, seller, bn, sn, expiry, 0)
    return replace(op, buyer_signature=sign(op, buyer, P), seller_signature=sign(op, seller, P))


def perp_trade(size, price, buyer, seller, bn, sn):
    op = Trade(0, size, price, buyer, seller, bn, sn, 100, 0)
    return replace(op, buyer_signature=sign(op, buyer, P), seller_signature=sign(op, seller, P))


CALL = opt.Series(0, True, 65_000, T0 + int(0.1 * YEAR))
PUT = opt.Series(0, False, 55_000, T0 + 3 * 86400)


def started(deposits=(10**11, 10**11, 10**11), listings=(CALL, PUT)) -> State:
    """Genesis, accounts 1..3 registered and funded, the series listed at round 1 (T0)."""
    state = State.genesis(P, key(0).public_key, ADDRESS_BASE, (60_000, 1000))
    ops = [Register(i, key(i + 1).public_key, ADDRESS_BASE + i + 1) for i in range(2)]
    ops += [Deposit(i, i + 1, d) for i, d in enumerate(deposits[:2])]
    built = build_batch(state, ops, (60_000, 1000), oracle_round=1, options=figures(1, T0, 60_000, listings=listings))
    process_batch(state, built.batch)
    ops = [Register(2, key(3).public_key, ADDRESS_BASE + 3), Deposit(2, 3, deposits[2]), Deposit(3, 0, 10**11)]
    built = build_batch(state, ops, (60_000, 1000), oracle_round=2, options=figures(2, T0 + 10, 60_000))
    process_batch(state, built.batch)
    return state


def settle_batch(state, ops, g, t, rnd=None, vol=6000, settlements=(), expect_refused=0):
    rnd = state.oracle_round + 1 if rnd is None else rnd
    built = build_batch(state, ops, (g, 1000), oracle_round=rnd,
                        options=figures(rnd, t, g, vol, settlements=settlements))
    assert len(built.refused) == expect_refused, built.refused
    record = process_batch(state, built.batch)
    assert state.rebuild_tree().root == state.tree.root
    return built, record


def assert_all_above_maintenance(state):
    for i, a in state.accounts.items():
        assert xm.marks_surplus(state, a) >= 0, i
        s = xm.box_surplus(state, a)
        assert s is not None and s >= 0, i
        assert a.obox.contains(state.options.vols, state.options.timestamp)
        assert boxes.contains(a.box, state.prices, state.funding)


def conserved(state) -> int:
    """Collateral, perpetual funding snapshots and the settled options' unclosed cash."""
    total = state.fees
    for a in state.accounts.values():
        total += a.collateral + sum(q * f for q, f in zip(a.positions, a.snapshots))
        for sid, n in a.option_slots:
            if sid in state.options.settled:
                total += n * opt.settled_value(state.options, sid)
    return total


def test_hedged_book_trades_and_stays_boxed():
    state = started()
    total = conserved(state)
    mark = figures(3, T0 + 60, 60_000).current_row(CALL, STEP)[0]
    built, _ = settle_batch(state, [perp_trade(1000, 60_000 * STEP, 1, 2, 1, 1),
                                    option_trade(1, 2000, mark, 2, 1, 2, 2)], 60_000, T0 + 60)
    kinds = [type(op).__name__ for op in built.batch.ops]
    assert kinds.count("Touch") == 2 and kinds[-1] == "OptionTrade"
    a1 = state.accounts[1]
    assert a1.option_slots[0] == (1, -2000) and a1.positions[0] == 1000
    assert a1.obox.rows[0][0] == 1 and a1.obox.times[1] > T0 + 60  # boxed for a while ahead
    assert conserved(state) == total
    assert_all_above_maintenance(state)
    # an hour later inside every box: no touch needed
    built, _ = settle_batch(state, [], 60_100, T0 + 3600)
    assert [type(op).__name__ for op in built.batch.ops] == []
    assert_all_above_maintenance(state)


def test_vol_spike_liquidates_the_short_option_book():
    """A short-call book funded just above its initial requirement: the vol doubles, its box misses
    the new vol, it is below maintenance and the builder liquidates it to the fund (the options
    move at their marks); everyone left is above maintenance, collateral is conserved."""
    fig = figures(3, T0 + 60, 60_000)
    mark = fig.current_row(CALL, STEP)[0]
    need = requirement_units(account(slots=((1, -2000), (0, 0))), book_with(CALL, PUT), fig, "initial")
    state = started(deposits=(int(need) + 100 * USD, 10**11, 10**11))  # TV after the sale = the deposit
    settle_batch(state, [option_trade(1, 2000, mark, 2, 1, 1, 1)], 60_000, T0 + 60)
    assert state.accounts[1].option_slots[0] == (1, -2000)
    total = conserved(state)
    built, _ = settle_batch(state, [], 60_000, T0 + 120, vol=12_000)
    kinds = [type(op).__name__ for op in built.batch.ops]
    assert "Liquidate" in kinds
    assert state.accounts[1].option_slots == ((0, 0), (0, 0))
    assert opt.sizes_by_series(state.accounts[0])[1] == -2000
    assert conserved(state) == total
    assert_all_above_maintenance(state)


def test_expiry_in_and_out_of_the_money():
    """The put expires out of the money and the call in it; the batch records the settlement
    prices, holders count at intrinsic until their next write, which closes them into
    collateral; nobody trades the expired series."""
    state = started()
    call = opt.Series(0, True, 58_000, T0 + 2 * 86400)
    settle_batch(state, [], 60_000, T0 + 30)  # round 3: list a near call
    built = build_batch(state, [], (60_000, 1000), oracle_round=4,
                        options=figures(4, T0 + 40, 60_000, listings=[call]))
    process_batch(state, built.batch)  # series 3
    fig = figures(5, T0 + 60, 60_000)
    ops = [option_trade(3, 1000, fig.current_row(call, STEP)[0], 1, 2, 1, 1),
           option_trade(2, 500, fig.current_row(PUT, STEP)[0], 3, 2, 1, 2)]
    settle_batch(state, ops, 60_000, T0 + 60)
    total = conserved(state)
    # the price drifts up to 61000 by expiry (inside the boxes: 1 % steps a batch)
    for k in range(1, 5):
        settle_batch(state, [], 60_000 + 250 * k, T0 + k * 12 * 3600 - 10)
    before = {i: state.accounts[i].collateral for i in (1, 2, 3)}
    # the first round past the call's expiry (the put not yet): its settlement price is required
    with pytest.raises(OpRefused, match="settlement prices missing"):
        process_batch(state, Batch(state.batch_number + 1, state.oracle_round + 1, (61_000, 1000), (),
                                   figures(state.oracle_round + 1, call.expiry + 5, 61_000)))
    built, _ = settle_batch(state, [], 61_000, call.expiry + 5, settlements=[(3, 61_000)])
    assert state.options.settled[3] == 61_000
    # the call is worth 3000 a lot x 1000 lots; counted at intrinsic until closed
    intrinsic = 3_000 * STEP
    a1 = state.accounts[1]
    if a1.option_slots[0][0] == 3:  # not written in that batch: still open, counted at intrinsic
        assert opt.option_value(a1, P, state.options, state.options.figures) == 1000 * intrinsic
    else:
        assert a1.collateral == before[1] + 1000 * intrinsic
    assert conserved(state) == total
    # nobody trades the expired call
    fig = figures(state.oracle_round + 1, call.expiry + 60, 61_000)
    with pytest.raises(OpRefused, match="series expired"):
        process_batch(state, Batch(state.batch_number + 1, state.oracle_round + 1, (61_000, 1000),
                                   (option_trade(3, 10, 1, 1, 2, 9, 9),), fig))
    # a touch closes the holders' positions into collateral
    built, _ = settle_batch(state, [Touch(1), Touch(2)], 61_000, call.expiry + 60)
    assert all(sid != 3 for i in (1, 2) for sid, _ in state.accounts[i].option_slots)
    assert state.accounts[1].collateral == before[1] + 1000 * intrinsic
    assert state.accounts[2].collateral - before[2] == -1000 * intrinsic
    assert conserved(state) == total
    # the put expires out of the money
    built, _ = settle_batch(state, [Touch(2), Touch(3)], 61_000, PUT.expiry, settlements=[(2, 61_000)])
    assert all(sid == 0 for i in (2, 3) for sid, _ in state.accounts[i].option_slots)
    assert state.accounts[3].collateral == before[3]
    assert conserved(state) == total
    assert_all_above_maintenance(state)


# --- refusals ---------------------------------------------------------------------------------------
def test_refusals():
    state = started()
    n, r = state.batch_number + 1, state.oracle_round + 1
    fig = figures(r, T0 + 60, 60_000)
    # margin at a stale round: the figures must be the batch round's
    with pytest.raises(OpRefused, match="stale round"):
        process_batch(state, Batch(n, r, (60_000, 1000), (), replace(fig, round=r - 1)))
    # a scenario grid other than the published one
    other = replace(opt.GRID, maintenance_floor_bps=40)
    with pytest.raises(OpRefused, match="grid is not the published one"):
        process_batch(state, Batch(n, r, (60_000, 1000), (), replace(fig, grid_digest=other.digest())))
    # no figures at all, time going back, figures of other prices
    with pytest.raises(OpRefused, match="without option figures"):
        process_batch(state, Batch(n, r, (60_000, 1000), ()))
    with pytest.raises(OpRefused, match="time goes back"):
        process_batch(state, Batch(n, r, (60_000, 1000), (), replace(fig, timestamp=T0 - 1)))
    with pytest.raises(OpRefused, match="prices are not the batch's"):
        process_batch(state, Batch(n, r, (60_000, 1000), (), replace(fig, prices=(60_001, 1000))))
    # an unknown series, a listing already expired
    with pytest.raises(OpRefused, match="unknown series"):
        process_batch(state, Batch(n, r, (60_000, 1000), (option_trade(9, 1, 1, 1, 2, 1, 1),), fig))
    with pytest.raises(OpRefused, match="bad series listing"):
        process_batch(state, Batch(n, r, (60_000, 1000), (),
                                   replace(fig, listings=(opt.Series(0, True, 60_000, T0),))))
    # a touch with rows the round does not publish (a corner outside the published set)
    a1 = state.accounts[1]
    acc = opt.assign_slots(a1, P, state.options, ((0, 1),))
    later = (opt.with_option(acc, 0, 1, -10),)  # a trade after the touch opens a position in slot 0
    pbox, obox = opt.make_box(acc, P, replace(state.options, figures=fig), fig, state.funding, 500, 1000, 3600, later)
    assert obox.rows[0] is not None
    odd = replace(obox, times=(obox.times[0], obox.times[1] + 1))
    with pytest.raises(OpRefused, match="rows not published"):
        process_batch(state, Batch(n, r, (60_000, 1000), (Touch(1, (pbox, odd), ((0, 1),)),), fig))
    # the same box as published is accepted
    process_batch(state, Batch(n, r, (60_000, 1000), (Touch(1, (pbox, obox), ((0, 1),)),), fig))
    assert state.accounts[1].option_slots[0] == (1, 0)


def test_presets_without_options_are_unchanged():
    """K = 0: the leaf, the globals and the batch are as before; option figures are refused."""
    from sequencer.spec.constants import TINY
    from tests.sequencer.spec_helpers import funded_state

    state = funded_state(2)
    assert state.options is None and state.accounts[1].option_slots == () and len(state.accounts[1].fields()) == 11
    assert TINY.option_slots == 0
    with pytest.raises(OpRefused, match="preset without options"):
        process_batch(state, Batch(1, 0, (1000, 1000), (), figures(0, T0, 1000)))


# --- random op sequences with options -------------------------------------------------------------
option_op = st.one_of(
    st.tuples(st.just("option"), st.integers(1, 3), st.integers(1, 3000), st.integers(-500, 500),
              st.permutations((1, 2, 3))),
    st.tuples(st.just("perp"), st.integers(1, 2000), st.integers(-100, 100), st.permutations((1, 2, 3))),
)
steps = st.lists(st.tuples(st.integers(-300, 300), st.integers(-2000, 3000), st.integers(60, 2 * 86400),
                           st.lists(option_op, max_size=3)), min_size=1, max_size=4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.lists(st.integers(5 * 10**9, 10**11), min_size=3, max_size=3))
def test_random_batches_with_options_keep_every_account_above_maintenance(plan, deposits):
    """Random option and perpetual trades through spot moves (up to 3 % a batch), vol moves and
    time passing (a series expires on the way): after every batch every account is above
    maintenance at the batch's marks and safe in its boxes, collateral (with the settled
    options' unclosed cash) is conserved, the incremental root equals the rebuilt one, and
    option sizes sum to zero per series. A batch the builder cannot cut is skipped, unchanged."""
    near = opt.Series(0, False, 59_000, T0 + 2 * 86400)
    state = started(deposits=tuple(deposits), listings=(CALL, PUT, near))
    nonces = {1: 1, 2: 1, 3: 1}
    for rnd, (move_bps, vol_bps, dt, specs) in enumerate(plan, start=3):
        g = min(65_000, max(30_000, state.prices[0] + state.prices[0] * move_bps // 10_000))
        t = state.options.timestamp + dt
        vol = max(1000, min(30_000, state.options.vols[0] + state.options.vols[0] * vol_bps // 10_000))
        due = [(sid, g) for sid, s in state.options.series.items()
               if sid not in state.options.settled and s.expiry <= t]
        fig = figures(rnd, t, g, vol, settlements=due)
        pending = []
        for spec in specs:
            if spec[0] == "option":
                _, sid, size, bps, (buyer, seller, _) = spec
                premium = max(0, fig.current_row(state.options.series[sid], STEP)[0] * (10_000 + bps) // 10_000)
                pending.append(option_trade(sid, size, premium, buyer, seller, nonces[buyer], nonces[seller]))
            else:
                _, size, bps, (buyer, seller, _) = spec
                pending.append(perp_trade(size, g * STEP * (10_000 + bps) // 10_000, buyer, seller,
                                          nonces[buyer], nonces[seller]))
            nonces[buyer] += 1
            nonces[seller] += 1
        total, root = conserved(state), state.root()
        try:
            built = build_batch(state, pending, (g, 1000), oracle_round=rnd, options=fig)
        except OpRefused:
            assert state.root() == root
            continue
        assert state.root() == root  # a dry run
        process_batch(state, built.batch)
        assert conserved(state) == total
        assert_all_above_maintenance(state)
        assert state.rebuild_tree().root == state.tree.root
        for sid in state.options.series:
            assert sum(opt.sizes_by_series(a).get(sid, 0) for a in state.accounts.values()) == 0
        assert sum(a.positions[0] for a in state.accounts.values()) == 0
