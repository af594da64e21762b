"""The option margin gadgets (circuits/settlement/options.py) against the spec functions they mirror
(sequencer/spec/options.py): each solved witness satisfies the R1CS and equals the spec's value;
forged witnesses (a min above the true one, rows of another series or side, a row the round did
not publish, an array that is not the series') are refused."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks, forge_witness
from circuits.settlement import option_ops as oo
from circuits.settlement import options as og
from circuits.settlement.common import pack_option_box
from circuits.settlement.margin import signed_positions
from sequencer.spec import box as spec_box
from sequencer.spec import margin as spec_margin
from sequencer.spec import options as opt
from sequencer.spec import transition
from sequencer.spec.constants import BPS, TINY_OPTIONS as P
from sequencer.spec.hashing import from_field
from sequencer.spec.state import Account

M, K = P.num_markets, P.option_slots
T0 = 1_800_000_000
DAY = 86400
SERIES = (opt.Series(0, True, 60_000, T0 + 30 * DAY), opt.Series(0, False, 55_000, T0 + 60 * DAY),
          opt.Series(1, True, 1_000, T0 + 10 * DAY, smile_bps=11_000))
BOOK = replace(opt.empty_book(P), series={i + 1: s for i, s in enumerate(SERIES)}, settled={}, timestamp=T0,
               vols=(6000, 8000))
FIG = opt.OptionFigures(round=7, timestamp=T0, prices=(58_000, 1_010), vols=(6000, 8000))
FUNDING = (1_500, -200)


def account(collateral, perp, slots) -> Account:
    a = Account.new((1, 2), 3, (0, 0), 5, K)
    return replace(a, collateral=collateral, positions=tuple(perp), snapshots=(1_000, 100), option_slots=tuple(slots))


def boxed(a: Account, so=250, vo=1000, h=DAY) -> Account:
    pbox, obox = opt.make_box(a, P, BOOK, FIG, FUNDING, so, vo, h)
    assert opt.check_published(a, P, BOOK, FIG, pbox, obox)
    return replace(a, box=pbox, obox=obox)


def slot_inputs(a: Account) -> dict:
    sids = [sid for sid, _ in a.option_slots]
    return {"sid": sids, "n": [n for _, n in a.option_slots],
            "mk": [BOOK.series[s].market if s else 0 for s in sids],
            "call": [int(BOOK.series[s].is_call) if s else 0 for s in sids]}


def rows_inputs(obox) -> dict:
    zero = [0] * og.N_ROW
    return {"has": [int(r is not None) for r in obox.rows], "rsid": [r[0] if r else 0 for r in obox.rows],
            "long": [list(r[1]) if r else zero for r in obox.rows],
            "short": [list(r[2]) if r else zero for r in obox.rows]}


def declare_slots(c: Circuit):
    sids, ns, mks, calls = (c.private_input(x, K) for x in ("sid", "n", "mk", "call"))
    return og.option_slots(c, 1, P, sids, ns, mks, calls)


def declare_rows(c: Circuit):
    has, rsid = c.private_input("has", K), c.private_input("rsid", K)
    long, short = c.private_input("long", (K, og.N_ROW)), c.private_input("short", (K, og.N_ROW))
    return [og.CachedRows(has[k], rsid[k], long[k], short[k]) for k in range(K)]


def declare_account(c: Circuit):
    collateral, q, f = c.private_input("C"), c.private_input("q", M), c.private_input("f", M)
    return collateral, signed_positions(c, 1, q), f


def account_inputs(a: Account) -> dict:
    return {"C": a.collateral, "q": list(a.positions), "f": list(a.snapshots)}


# --- the box: digest and grid margin of a write that keeps its box ---------------------------------
@pytest.fixture(scope="module")
def box_circuit():
    c = Circuit("option_box")
    collateral, pos, f = declare_account(c)
    box = c.private_input("box", (M, 4))
    packed = c.private_input("packed")
    slots, rows = declare_slots(c), declare_rows(c)
    for r in rows:
        c.assert_product(r.has, 1 - r.has, 0)
    c.output("digest", og.option_box_digest(c, packed, [og.cached_rows_hash(c, r) for r in rows]))
    s = og.option_box_surplus(c, 1, P, collateral, pos, f, box, slots, rows, exact=True)
    c.output("surplus", s)
    c.output("ok", og.option_is_nonnegative(c, 1, s))
    return c.compile()


def box_inputs(a: Account) -> dict:
    return {**account_inputs(a), "box": [list(b) for b in a.box], "packed": packed_bounds(a.obox),
            **slot_inputs(a), **rows_inputs(a.obox)}


def flat_bounds(obox) -> list:
    return [x for v in obox.vols for x in v] + list(obox.times)


def packed_bounds(obox) -> int:
    return spec_box.pack_option((obox.vols, obox.times))


def solved(cc, inputs: dict) -> list[int]:
    """The witness, solved: the solver checks every constraint that is not a signal's definition
    (the property tests' many examples; each circuit's R1CS is checked whole by `assert_solves`
    in its deterministic tests)."""
    return cc.witness(inputs)


def check_box(cc, a: Account, whole: bool = False) -> list[int]:
    w = (assert_solves if whole else solved)(cc, box_inputs(a))
    out = cc.outputs(w)
    spec = opt.box_surplus(a, P, BOOK)
    assert from_field(out["surplus"]) == spec
    assert out["ok"] == int(spec >= 0)
    assert out["digest"] == a.obox.digest()
    return w


sizes = st.integers(-3000, 3000)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(s1=st.sampled_from([1, 2, 3]), s2=st.sampled_from([0, 1, 2, 3]), n1=sizes, n2=sizes,
       q0=sizes, q1=sizes, collateral=st.integers(-10**9, 10**10),
       so=st.sampled_from(opt.SPOT_OFFSETS_BPS), vo=st.sampled_from(opt.VOL_OFFSETS_BPS),
       h=st.sampled_from(opt.HORIZONS_S))
def test_box_surplus_equals_the_spec(box_circuit, s1, s2, n1, n2, q0, q1, collateral, so, vo, h):
    slots = ((s1, n1), (s2, n2 if s2 and s2 != s1 else 0))
    check_box(box_circuit, boxed(account(collateral, (q0, q1), slots), so, vo, h))


def test_accounts_without_options_keep_the_linear_requirement(box_circuit):
    for slots in (((0, 0), (0, 0)), ((1, 0), (3, 0))):
        a = boxed(account(5 * 10**7, (-400, 900), slots))
        assert not any(r for r in a.obox.rows)
        check_box(box_circuit, a)
        assert opt.box_surplus(a, P, BOOK) == spec_margin.box_surplus(a, P, a.box)


def test_hedged_book_in_the_grid_regime(box_circuit):
    """Short calls hedged by a long perpetual: the box surplus of the grid beats the linear one."""
    a = boxed(account(2 * 10**7, (500, 0), ((1, -1000), (0, 0))))
    w = check_box(box_circuit, a, whole=True)
    assert box_circuit.outputs(w)["ok"] == int(opt.box_surplus(a, P, BOOK) >= 0)


def test_forged_box_witnesses_are_refused(box_circuit):
    a = boxed(account(3 * 10**7, (200, -50), ((1, -700), (2, 400))))
    inputs = box_inputs(a)
    check_box(box_circuit, a)
    # the grid min above the true min (a larger surplus) breaks a range check; below it (exact
    # mode, a liquidation's "below maintenance") the pick
    for j in range(M):
        name = f"grid_min{j}"
        for delta in (1, -1):
            forged = forge_witness(box_circuit, inputs, {name: _signal_value(box_circuit, inputs, name) + delta})
            assert unsatisfied(box_circuit.r1cs, forged)
    # a live slot without rows, or with another series' rows: the box does not cover it
    no_rows = dict(inputs, has=[0, 1])
    assert_rejects(box_circuit, no_rows)
    other = dict(inputs, rsid=[2, 2])
    assert_rejects(box_circuit, other)
    # the long row used for a short (rows swapped): another digest and another surplus
    swapped = dict(inputs, long=inputs["short"], short=inputs["long"])
    out = box_circuit.outputs(assert_solves(box_circuit, swapped))
    assert out["digest"] != a.obox.digest()


def _signal_value(cc, inputs, name):
    c = cc.circuit
    signals = cc.solve_signals(inputs)
    for sid in range(1, cc.n_signals):
        if c.signal_name(sid).endswith(name):
            return signals[sid]
    raise KeyError(name)


# --- the marks: a trade's initial margin with the current arrays opened --------------------------
@pytest.fixture(scope="module")
def marks_circuit():
    c = Circuit("option_marks")
    collateral, pos, f = declare_account(c)
    funding, prices = c.private_input("F", M), c.private_input("prices", M)
    slots = declare_slots(c)
    arrays = c.private_input("arrays", (K, og.N_ARRAY))
    bits, sibs = c.private_input("bits", (K, opt.FIGURES_DEPTH)), c.private_input("sibs", (K, opt.FIGURES_DEPTH))
    root = c.private_input("root")
    for k in range(K):  # each slot holding a position opens its series' array
        og.open_figure(c, slots.nonzero[k], root, slots.sid[k], [og.ARRAY_KEY], arrays[k], bits[k], sibs[k])
    for name in ("initial", "maintenance"):
        c.output(name, og.option_marks_surplus(c, 1, P, name, collateral, pos, f, funding, prices, slots, arrays))
    return c.compile()


def marks_inputs(a: Account) -> dict:
    arrays, bits, sibs = [], [], []
    for sid, n in a.option_slots:
        if sid:
            index, path = FIG.opening(BOOK, P, (sid, og.ARRAY_KEY))
            arrays.append(list(FIG.current_row(BOOK.series[sid], P.markets[BOOK.series[sid].market].price_step)))
        else:
            index, path = 0, (0,) * opt.FIGURES_DEPTH
            arrays.append([0] * og.N_ARRAY)
        bits.append([(index >> d) & 1 for d in range(opt.FIGURES_DEPTH)])
        sibs.append(list(path))
    return {**account_inputs(a), "F": list(FUNDING), "prices": list(FIG.prices), **slot_inputs(a),
            "arrays": arrays, "bits": bits, "sibs": sibs, "root": FIG.rows_root(BOOK, P)}


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(s1=st.sampled_from([0, 1, 2, 3]), s2=st.sampled_from([0, 1, 2, 3]), n1=sizes, n2=sizes, q0=sizes, q1=sizes,
       collateral=st.integers(-10**9, 10**10))
def test_marks_surplus_equals_the_spec(marks_circuit, s1, s2, n1, n2, q0, q1, collateral):
    slots = ((s1, n1 if s1 else 0), (s2, n2 if s2 and s2 != s1 else 0))
    a = account(collateral, (q0, q1), slots)
    out = marks_circuit.outputs(solved(marks_circuit, marks_inputs(a)))
    for grid in ("initial", "maintenance"):
        assert from_field(out[grid]) == opt.marks_surplus(a, P, BOOK, FIG, FUNDING, grid)


def test_arrays_not_published_are_refused(marks_circuit):
    a = account(10**8, (10, 0), ((1, 5), (3, -2)))
    inputs = marks_inputs(a)
    assert_solves(marks_circuit, inputs)
    bumped = [list(x) for x in inputs["arrays"]]
    bumped[0][0] += 1  # a mark one unit off
    assert_rejects(marks_circuit, dict(inputs, arrays=bumped))
    other = dict(inputs, arrays=[inputs["arrays"][1], inputs["arrays"][0]])  # another series' array
    assert_rejects(marks_circuit, other)
    # a slot without a position opens nothing (its array is multiplied by 0)
    flat = account(10**8, (10, 0), ((1, 0), (3, -2)))
    fin = marks_inputs(flat)
    fin["arrays"][0] = [123] * og.N_ARRAY
    out = marks_circuit.outputs(assert_solves(marks_circuit, fin))
    assert from_field(out["initial"]) == opt.marks_surplus(flat, P, BOOK, FIG, FUNDING, "initial")


# --- a touch's re-box: the rows opened at their corners --------------------------------------------
@pytest.fixture(scope="module")
def rows_circuit():
    c = Circuit("option_rows")
    box = c.private_input("box", (M, 4))
    bounds, root = c.private_input("bounds", 2 * M + 2), c.private_input("root")
    slots, rows = declare_slots(c), declare_rows(c)
    d = opt.FIGURES_DEPTH
    paths = [og.RowPaths(*(c.private_input(f"{x}{k}", d) for x in ("lb", "ls", "sb", "ss"))) for k in range(K)]
    og.open_slot_rows(c, 1, root, slots, rows, box, bounds, paths)
    c.output("digest", og.option_box_digest(c, pack_option_box(bounds), [og.cached_rows_hash(c, r) for r in rows]))
    return c.compile()


def rows_inputs_of(a: Account) -> dict:
    out = {"box": [list(b) for b in a.box], "bounds": flat_bounds(a.obox), "root": FIG.rows_root(BOOK, P), **slot_inputs(a), **rows_inputs(a.obox)}
    for k, r in enumerate(a.obox.rows):
        for side, (b, s) in ((1, ("lb", "ls")), (-1, ("sb", "ss"))):
            index, path = 0, (0,) * opt.FIGURES_DEPTH
            if r is not None:
                ser = BOOK.series[r[0]]
                cor = opt.row_corner(ser, side, a.box[ser.market][:2], a.obox.vols[ser.market], a.obox.times)
                index, path = FIG.opening(BOOK, P, (r[0], side + 1, cor.g, cor.v, cor.t_lo, cor.t_hi))
            out[f"{b}{k}"] = [(index >> i) & 1 for i in range(opt.FIGURES_DEPTH)]
            out[f"{s}{k}"] = list(path)
    return out


def test_rebox_rows_are_the_published_ones(rows_circuit):
    for slots, (so, vo, h) in ((((1, -300), (3, 40)), (500, 2500, 7 * DAY)), (((2, 10), (0, 0)), (0, 0, 0)),
                               (((1, 1), (2, -1)), (1000, 1000, 30 * DAY))):
        a = boxed(account(10**9, (0, 0), slots), so, vo, h)
        out = rows_circuit.outputs(assert_solves(rows_circuit, rows_inputs_of(a)))
        assert out["digest"] == a.obox.digest()


def test_rows_the_round_did_not_publish_are_refused(rows_circuit):
    a = boxed(account(10**9, (0, 0), ((1, -300), (2, 40))), 500, 1000, DAY)
    inputs = rows_inputs_of(a)
    # a box one ladder step wider than the published corner: its corner's row is not in the tree
    box = [list(b) for b in a.box]
    box[0][0] -= 1
    assert_rejects(rows_circuit, dict(inputs, box=box))
    # a horizon the round does not publish
    assert_rejects(rows_circuit, dict(inputs, bounds=inputs["bounds"][:-1] + [inputs["bounds"][-1] + 1]))
    # long and short rows swapped; another series' rows in a slot
    assert_rejects(rows_circuit, dict(inputs, long=inputs["short"], short=inputs["long"]))
    assert_rejects(rows_circuit, dict(inputs, rsid=[2, 1]))
    # a row value off by one
    long = [list(x) for x in inputs["long"]]
    long[1][5] += 1
    assert_rejects(rows_circuit, dict(inputs, long=long))


# --- expiry --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def intrinsic_circuit():
    c = Circuit("intrinsic")
    call, strike, g, step = (c.private_input(x) for x in ("call", "strike", "g", "step"))
    c.output("v", og.intrinsic_value(c, 1, call, strike, g, step))
    return c.compile()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=st.booleans(), strike=st.integers(1, (1 << 16) - 1), g=st.integers(0, (1 << 16) - 1),
       step=st.sampled_from([mk.price_step for mk in P.markets]))
def test_intrinsic_value_equals_the_spec(intrinsic_circuit, call, strike, g, step):
    s = opt.Series(0, call, strike, T0)
    w = solved(intrinsic_circuit, {"call": int(call), "strike": strike, "g": g, "step": step})
    assert intrinsic_circuit.outputs(w)["v"] == opt.intrinsic(s, step, g)


def test_intrinsic_value_is_determined_by_its_inputs(intrinsic_circuit):
    for g in (58_000, 60_000, 61_234):  # out of, at and in the money: no other value satisfies
        inputs = {"call": 1, "strike": 60_000, "g": g, "step": 1000}
        assert_tamper_breaks(intrinsic_circuit, assert_solves(intrinsic_circuit, inputs))


# --- a write's new option box digest -------------------------------------------------------------------
def test_a_slot_that_changes_series_drops_its_rows():
    """`kept_rows`: the digest after `options.with_option` (a slot taking another series) and after
    `close_settled` (a settled series' slot emptied) is the spec's."""
    c = Circuit("kept_rows")
    packed, sids = c.private_input("packed"), c.private_input("new_sid", K)
    rows = declare_rows(c)
    c.output("digest", og.option_box_digest(c, packed, [og.cached_rows_hash(c, r) for r in og.kept_rows(c, rows, sids)]))
    cc = c.compile()
    a = boxed(account(10**9, (0, 0), ((1, 0), (3, 20))))  # slot 0 reserved for series 1, no position: rows kept?
    a = replace(a, obox=replace(a.obox, rows=(opt.make_box(replace(a, option_slots=((1, 5), (3, 20))), P, BOOK, FIG,
                                                           FUNDING, 250, 1000, DAY)[1].rows[0], a.obox.rows[1])))
    base = {"packed": packed_bounds(a.obox), **rows_inputs(a.obox)}
    for k, sid in ((0, 2), (0, 1), (1, 0)):
        new = opt.with_option(a, k, sid, 0)
        sids = [s for s, _ in new.option_slots]
        out = cc.outputs(assert_solves(cc, {**base, "new_sid": sids}))
        assert out["digest"] == new.obox.digest()
    settled = replace(BOOK, settled={3: 1_020})
    closed = opt.close_settled(a, P, settled)
    out = cc.outputs(assert_solves(cc, {**base, "new_sid": [s for s, _ in closed.option_slots]}))
    assert out["digest"] == closed.obox.digest() != a.obox.digest()


# --- the batch's figures table: arrays and minimal-box rows opened once, picked per slot -------------
N_TABLE = len(SERIES)


def declare_table(c: Circuit):
    """The batch's figures: funding, prices, vols, time, the figures tree's root and the table."""
    funding, prices, vols = c.private_input("F", M), c.private_input("prices", M), c.private_input("vols", M)
    ts, root, series_root = c.private_input("ts"), c.private_input("root"), c.private_input("series_root")
    table = []
    for e in range(N_TABLE):
        entry = og.declare_table_entry(c, 1, P, f"t{e}")
        og.open_table_entry(c, root, series_root, prices, vols, ts, entry)
        table.append(entry)
    return funding, prices, ts, table


@pytest.fixture(scope="module")
def table_circuit():
    c = Circuit("option_table")
    collateral, pos, f = declare_account(c)
    funding, prices, _, table = declare_table(c)
    slots = declare_slots(c)
    figs = og.slot_figures(c, 1, table, slots)
    c.output("initial", og.option_marks_surplus(c, 1, P, "initial", collateral, pos, f, funding, prices, slots,
                                                [x.array for x in figs]))
    s = og.minimal_box_surplus(c, 1, P, collateral, pos, f, funding, prices, slots, figs, exact=True)
    c.output("maintenance", s)
    c.output("liquidatable", 1 - og.option_is_nonnegative(c, 1, s))
    return c.compile()


def table_inputs(a: Account, used=(1, 1, 1)) -> dict:
    return {**account_inputs(a), **slot_inputs(a), **figures_inputs(used)}


def figures_inputs(used=(1, 1, 1), fig=FIG) -> dict:
    out = {"F": list(FUNDING), "prices": list(fig.prices), "vols": list(fig.vols), "ts": fig.timestamp,
           "root": fig.rows_root(BOOK, P), "series_root": opt.series_root(BOOK)}
    for e, sid in enumerate(sorted(BOOK.series)):
        out.update(og.table_entry_inputs(f"t{e}", fig, BOOK, P, sid if used[e] else 0))
    return out


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(s1=st.sampled_from([0, 1, 2, 3]), s2=st.sampled_from([0, 1, 2, 3]), n1=sizes, n2=sizes, q0=sizes, q1=sizes,
       collateral=st.integers(-10**8, 10**9))
def test_table_margins_equal_the_spec(table_circuit, s1, s2, n1, n2, q0, q1, collateral):
    """A trade's initial margin at the marks and the maintenance measure of an option account (the
    minimal box) from the figures table equal the spec's."""
    slots = ((s1, n1 if s1 else 0), (s2, n2 if s2 and s2 != s1 else 0))
    a = account(collateral, (q0, q1), slots)
    out = table_circuit.outputs(solved(table_circuit, table_inputs(a)))
    assert from_field(out["initial"]) == opt.marks_surplus(a, P, BOOK, FIG, FUNDING, "initial")
    spec = opt.minimal_box_surplus(a, P, BOOK, FIG, FUNDING)
    assert from_field(out["maintenance"]) == spec and out["liquidatable"] == int(spec < 0)


def test_table_refuses_figures_not_published_and_series_not_in_it(table_circuit):
    a = account(10**8, (0, 5), ((1, -30), (3, 7)))
    inputs = table_inputs(a)
    assert_solves(table_circuit, inputs)
    # a minimal-box row one unit off; an array of another series; another market or kind than the
    # series'; a slot whose series is not in the table
    bumped = list(inputs["t0.short"])
    bumped[3] -= 1
    assert_rejects(table_circuit, dict(inputs, **{"t0.short": bumped}))
    assert_rejects(table_circuit, dict(inputs, **{"t0.array": inputs["t1.array"]}))
    for i in (0, 1, 3):  # market, kind, expiry
        fields = list(inputs["t0.series"])
        fields[i] = 1 - fields[i] if i < 2 else fields[i] + 1
        assert_rejects(table_circuit, dict(inputs, **{"t0.series": fields}))
    assert_rejects(table_circuit, table_inputs(a, used=(1, 1, 0)))
    # an unused entry opens nothing, and a slot without a position picks nothing
    flat = account(10**8, (0, 5), ((1, -30), (3, 0)))
    garbage = dict(table_inputs(flat, used=(1, 1, 0)), **{"t2.array": [9] * og.N_ARRAY, "t2.series": [1, 1, 5, 5, 5]})
    out = table_circuit.outputs(assert_solves(table_circuit, garbage))
    assert from_field(out["maintenance"]) == opt.minimal_box_surplus(flat, P, BOOK, FIG, FUNDING)


# --- an option trade's party (circuits/settlement/option_ops.py) --------------------------------------
@pytest.fixture(scope="module")
def trade_circuit():
    c = Circuit("option_trade_side")
    collateral, pos, _ = declare_account(c)  # settled: its snapshots are the funding indices
    funding, prices, ts, table = declare_table(c)
    sids, sizes = c.private_input("sid", K), c.private_input("n", K)
    series, size, premium, fee = (c.private_input(x) for x in ("series", "size", "premium", "fee"))
    oo.tradable_series(c, 1, table, series, ts)
    for name, sign in (("buyer", 1), ("seller", -1)):
        with c.scope(name):
            side = oo.option_trade_side(c, 1, P, table, prices, funding, collateral, pos, sids, sizes, series, size,
                                        premium, fee, sign)
        c.output(f"{name}.C", side.collateral)
        c.output(f"{name}.n", side.sizes)
        c.output(f"{name}.allowed", side.allowed)
    return c.compile()


def spec_side(a: Account, sid: int, size: int, premium: int, fee: int, sign: int):
    """The spec's party after the trade (process_option_trade) and margin_allows' verdict."""
    state = SimpleNamespace(options=replace(BOOK, figures=FIG), preset=P, funding=FUNDING, prices=FIG.prices)
    k = opt.slot_for(a, sid)
    have = opt.sizes_by_series(a).get(sid, 0)
    new = replace(opt.with_option(a, k, sid, have + sign * size), collateral=a.collateral - sign * size * premium - fee)
    return new, transition.margin_allows(state, a, new)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sid=st.sampled_from([1, 2, 3]), other=st.sampled_from([0, 1, 2, 3]), n=sizes, n_other=sizes,
       size=st.integers(1, 3000), premium=st.integers(0, 5 * 10**6), q0=sizes,
       collateral=st.integers(0, 10**10), first=st.booleans())
def test_option_trade_side_equals_the_spec(trade_circuit, sid, other, n, n_other, size, premium, q0, collateral, first):
    """Both parties' new collateral and sizes and their margin verdicts (TV >= IR at the marks, or
    reduced risk and above maintenance on the minimal box) equal the spec's."""
    other = other if other != sid else 0
    slots = [(sid, n), (other, n_other if other else 0)]
    if not first:
        slots.reverse()
    a = replace(account(collateral, (q0, 0), slots), snapshots=FUNDING)
    inputs = {**trade_inputs(a), "series": sid, "size": size, "premium": premium, "fee": 7}
    out = trade_circuit.outputs(solved(trade_circuit, inputs))
    for name, sign in (("buyer", 1), ("seller", -1)):
        new, allowed = spec_side(a, sid, size, premium, 7, sign)
        assert from_field(out[f"{name}.C"]) == new.collateral
        assert [from_field(x) for x in out[f"{name}.n"]] == [x for _, x in new.option_slots]
        assert out[f"{name}.allowed"] == int(allowed)


def test_option_trade_refusals(trade_circuit):
    a = replace(account(10**9, (0, 0), ((3, 0), (1, -4))), snapshots=FUNDING)
    base = {**trade_inputs(a), "series": 1, "size": 2, "premium": 10**5, "fee": 0}
    assert_solves(trade_circuit, base)
    # a series no slot holds (a trade needs the slot a touch reserved and cached rows for)
    assert_rejects(trade_circuit, dict(base, series=2))
    # a series not in this round's figures (unlisted, or settled: the tree holds live series only)
    assert_rejects(trade_circuit, table_free(base, 0))
    # an expired series: at a round whose time reached its expiry (series 3, unsettled in this book)
    late = replace(FIG, timestamp=SERIES[2].expiry)
    b = replace(account(10**9, (0, 0), ((3, 0), (1, 0))), snapshots=FUNDING)
    ok = {**trade_inputs(b), **figures_inputs(fig=late), "series": 1, "size": 1, "premium": 0, "fee": 0}
    assert_solves(trade_circuit, ok)
    assert_rejects(trade_circuit, dict(ok, series=3))


def trade_inputs(a: Account) -> dict:
    return {**account_inputs(a), "sid": [x for x, _ in a.option_slots], "n": [x for _, x in a.option_slots],
            **figures_inputs()}


def table_free(inputs: dict, entry: int) -> dict:
    """The inputs with table entry `entry` unused."""
    return dict(inputs, **og.table_entry_inputs(f"t{entry}", FIG, BOOK, P, 0))


def test_option_trade_margin_branches(trade_circuit):
    """The buyer closing part of a short: refused below maintenance, allowed above it by the
    reduced-risk fallback though below the initial requirement, allowed above the initial one."""
    sid, size, premium = 1, 50, 2 * 10**6
    flat = replace(account(0, (0, 0), ((sid, -100), (0, 0))), snapshots=FUNDING)
    state = SimpleNamespace(options=replace(BOOK, figures=FIG), preset=P, funding=FUNDING, prices=FIG.prices)
    after, _ = spec_side(flat, sid, size, premium, 0, 1)
    init = opt.marks_surplus(after, P, BOOK, FIG, FUNDING, "initial")
    maint = opt.minimal_box_surplus(after, P, BOOK, FIG, FUNDING)
    assert init < maint - BPS
    c_fallback = -(maint // BPS)  # maintenance surplus in [0, BPS): above maintenance, below initial
    for collateral, allowed in ((c_fallback - 1, 0), (c_fallback, 1), (-(init // BPS), 1)):
        a = replace(flat, collateral=collateral)
        assert transition.margin_allows(state, a, spec_side(a, sid, size, premium, 0, 1)[0]) == bool(allowed)
        inputs = {**trade_inputs(a), "series": sid, "size": size, "premium": premium, "fee": 0}
        assert trade_circuit.outputs(solved(trade_circuit, inputs))["buyer.allowed"] == allowed
