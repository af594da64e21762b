"""Option margin in the circuit: the circuit form of `sequencer.spec.options`' margin functions.

Each gadget names the spec function it mirrors (tests/circuits/test_option_gadgets.py checks
each against it, and that forged witnesses are refused):

    option_slots(...)          the leaf's K slots (series id, size) with sign, nonzero bit, market
    cached_rows_hash(c, r)     a slot's part of OptionBox.digest: 0, or Poseidon(sid, long, short)
    option_box_digest(...)     OptionBox.digest (vol bounds, times, the slots' cached rows' hashes)
    kept_rows(c, rows, sids)   options.with_option / close_settled: rows dropped with their series
    option_box_surplus(...)    options.box_surplus: the grid margin of a write that keeps its box
    option_marks_surplus(...)  options.marks_surplus: the grid at the batch's marks (current arrays)
    open_figure(...)           a leaf of the figures tree (OptionFigures.figures_leaves) under its root
    open_slot_rows(...)        options.check_published: a re-box's rows at their corners, opened
    open_table_entry(...)      the batch's figures table: a series' array and minimal-box rows, opened once
    pick_figures(...)          a slot's figures picked from the table by series id
    minimal_box_surplus(...)   options.minimal_box_surplus: the maintenance measure of an option account
    intrinsic_value(...)       options.intrinsic: a settled series' value per lot

The margin. Per market j of an account, with n_k the sizes of its slots on j, r_k,s the row of
n_k's side (box) or the series' current array (marks), Q_j the perpetual and P_j its price:

    W_j,s = BPS sum_k n_k r_k,s + Q_j P_j (BPS + a_s)             (one per scenario s)
    U_j   = min_s W_j,s - BPS Q_j (F_j - f_j) - floor P_j^hi sum_{n_k < 0} |n_k|   (grid regime)
    U_j   = BPS (Q_j P_j - Q_j (F_j - f_j)) - |Q_j| P_j m_j                         (linear regime)

and S = BPS C + sum_j U_j; market j is in the grid regime iff a slot on j holds a nonzero
size (the spec's rule: markets and accounts without live options keep today's linear
requirement). The slots must hold live series only: every write closes settled series first
(the expiry closing), so a slot's size is either 0 or a live position.

The min. The prover supplies m_j and the circuit checks W_j,s - m_j >= 0 for every s (one
OPTION_MARGIN_BITS range check each): m_j <= min_s W_j,s, so a surplus computed with m_j is at
most the true one and `S >= 0` (a write's check, a trade's "TV >= IR") cannot be forged. Where
the circuit must also show that S is *negative* (a liquidation's "below maintenance"),
`exact=True` adds that m_j is one of the W_j,s (a one-hot pick: 2 x 22 more constraints a market),
so m_j is the min. This costs 22 range checks a market where a running min would cost 22
comparisons and 22 selects.

The rows are the committee's: a touch opens them against the round's figures tree (the
row's hash and a depth-FIGURES_DEPTH binary path) and the leaf caches them under its option
box digest, so a write that keeps its box re-hashes them (they are bound by the digest) and
opens nothing. Row values are not range checked: they are signed by the committee like the
prices (a quorum that signs wrong rows can misstate margins, README: oracle honesty), and
the range checks on W_j,s - m_j bound every difference the check uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import assert_bool
from circuits.gadgets.comparators import is_zero
from circuits.gadgets.merkle import merkle_root
from circuits.gadgets.mux import select
from circuits.gadgets.poseidon import poseidon
from sequencer.spec import options as opt
from sequencer.spec.constants import BPS, FUNDING_BITS, FUNDING_MAX, FUNDING_MIN, GRID_BITS, POSITION_BITS, Preset
from sequencer.spec.hashing import from_field

from .arith import assert_bits, assert_equal_when, gate, is_negative_gated, one_hot, pick, sign_abs
from .common import hash_fields
from .margin import Positions, worst_corner

N_ROW = len(opt.MAINTENANCE)  # a corner row: the 22 maintenance scenarios
N_ARRAY = opt.N_SCENARIOS  # a current risk array: all 46 scenarios
ARRAY_KEY = 0  # figures_leaf key of a series' current array
LONG_KEY, SHORT_KEY = 2, 0  # side + 1


@dataclass
class OptionSlots:
    """The K slots of a leaf as circuit values: series id, size, its sign and nonzero bits, the
    series' market (one-hot over the preset's markets) and kind (1 for a call)."""

    sid: list
    n: list
    neg: list  # n_k < 0
    nonzero: list  # n_k != 0
    market: list  # per slot: M bits, one set
    is_call: list


@dataclass
class CachedRows:
    """A slot's cached rows (`OptionBox.rows[k]`): `has` 0 for None; else (sid, long, short)."""

    has: LC
    sid: LC
    long: list  # N_ROW values per lot
    short: list


@gadget
def option_slots(c: Circuit, enabled, preset: Preset, sids: Sequence, sizes: Sequence, markets: Sequence,
                 is_calls: Sequence) -> OptionSlots:
    """enabled => every size is a signed POSITION_BITS value, every id a SERIES_BITS value, every
    market index below M, every kind a bit. `markets`, `is_calls`: the slots' series' (the
    caller binds them to the book; any market for an empty slot, whose size is 0)."""
    out = OptionSlots([], [], [], [], [], [])
    for sid, n, mk, call in zip(sids, sizes, markets, is_calls):
        assert_bits(c, enabled, sid, opt.SERIES_BITS)
        neg, _ = sign_abs(c, enabled, n, POSITION_BITS)
        assert_bool(c, call)
        out.sid.append(LC.of(sid))
        out.n.append(LC.of(n))
        out.neg.append(neg)
        out.nonzero.append(1 - is_zero(c, n))
        out.market.append(one_hot(c, enabled, mk, preset.num_markets))
        out.is_call.append(LC.of(call))
    return out


@gadget
def cached_rows_hash(c: Circuit, rows: CachedRows) -> LC:
    """A slot's part of `OptionBox.digest`: 0 without rows, else hash_fields([sid, *long, *short])."""
    return c.mul(rows.has, hash_fields(c, [rows.sid, *rows.long, *rows.short]))


@gadget
def option_box_digest(c: Circuit, packed, row_hashes: Sequence) -> LC:
    """`OptionBox.digest`: hash_fields([the packed bounds (`spec.box.pack_option`: the tree's option
    box element of the leaf), each slot's `cached_rows_hash`])."""
    return hash_fields(c, [packed, *row_hashes])


def split_bounds(bounds: Sequence, m: int) -> tuple[list, tuple]:
    """Flat option box bounds -> ([(vlo_j, vhi_j)] per market, (t_lo, t_hi))."""
    assert len(bounds) == 2 * m + 2
    return [(bounds[2 * j], bounds[2 * j + 1]) for j in range(m)], (bounds[2 * m], bounds[2 * m + 1])


@gadget
def kept_rows(c: Circuit, rows: Sequence[CachedRows], sids: Sequence) -> list[CachedRows]:
    """The rows a write keeps (`options.with_option`, `close_settled`): a slot's rows survive
    while it holds their series; a slot that now holds another series (or none) drops them."""
    from circuits.gadgets.comparators import is_equal

    return [CachedRows(c.mul(r.has, is_equal(c, r.sid, sid)), r.sid, r.long, r.short) for r, sid in zip(rows, sids)]


def _min_of(c: Circuit, enabled, values: list, exact: bool, name: str) -> LC:
    """m <= every value (enabled; signed values, |v| < 2^(OPTION_MARGIN_BITS - 1)); with `exact`
    also m is one of them, so m is their min. The honest m is the min (hint `name`)."""
    m = c.hint(lambda *vs: min(from_field(v) for v in vs), *values, names=[name])
    for v in values:
        assert_bits(c, enabled, LC.of(v) - m, opt.OPTION_MARGIN_BITS)
    if exact:
        idx = c.hint(lambda *vs: min(range(len(vs)), key=lambda i: from_field(vs[i])), *values)
        e = one_hot(c, enabled, idx, len(values))
        assert_equal_when(c, enabled, m, pick(c, e, values))
    return m


def _grid_regime(c: Circuit, slots: OptionSlots, j: int) -> LC:
    """1 iff a slot on market j holds a nonzero size."""
    count = LC()
    for e, nz in zip(slots.market, slots.nonzero):
        count = count + c.mul(e[j], nz)
    return 1 - is_zero(c, count)


def _shorts(c: Circuit, slots: OptionSlots) -> list:
    """Per slot -min(n_k, 0): the lots sold."""
    return [-c.mul(neg, n) for neg, n in zip(slots.neg, slots.n)]


def _grid_surplus(c: Circuit, enabled, preset: Preset, collateral, pos: Positions, snapshots, grid: list,
                  funding: list, floor_grid: list, slots: OptionSlots, values: list, scenarios: Sequence[int],
                  factor: str, floor_bps: int, exact: bool) -> LC:
    """S = BPS C + sum_j U_j (module docstring): the perpetual at ladder prices `grid` and funding
    `funding`, the floor at `floor_grid`, per slot its values in `scenarios` (values[k][i] for
    scenario scenarios[i]), the linear regime's factor `factor`."""
    attr = {"maintenance": "maintenance_bps", "initial": "initial_bps"}[factor]
    products = [[c.mul(n, v) for v in vals] for n, vals in zip(slots.n, values)]  # n_k r_k,s
    shorts = _shorts(c, slots)
    total = LC.of(collateral) * BPS
    for j, mk in enumerate(preset.markets):
        qg = c.mul(pos.q[j], grid[j])
        abs_qg = qg - 2 * c.mul(pos.neg[j], qg)
        paid = c.mul(pos.q[j], LC.of(funding[j]) - snapshots[j])
        linear = qg * (BPS * mk.price_step) - paid * BPS - abs_qg * (mk.price_step * getattr(mk, attr))
        w = []
        on_j = [e[j] for e in slots.market]
        for i, s in enumerate(scenarios):
            acc = qg * (mk.price_step * (BPS + opt.SCENARIOS[s][0]))
            for k in range(len(slots.n)):
                acc = acc + c.mul(on_j[k], products[k][i]) * BPS
            w.append(acc)
        m = _min_of(c, enabled, w, exact, f"grid_min{j}")
        short_j = LC()
        for k in range(len(slots.n)):
            short_j = short_j + c.mul(on_j[k], shorts[k])
        floor = c.mul(floor_grid[j], short_j) * (floor_bps * mk.price_step)
        in_grid = m - paid * BPS - floor
        g_j = _grid_regime(c, slots, j)
        total = total + linear + c.mul(g_j, in_grid - linear)
    return total


@gadget
def option_box_surplus(c: Circuit, enabled, preset: Preset, collateral, pos: Positions, snapshots,
                       box_parts: list, slots: OptionSlots, rows: Sequence[CachedRows], exact: bool = False) -> LC:
    """`options.box_surplus` of an account whose slots hold live series or nothing: the min of
    the maintenance surplus over its box (perpetual box `box_parts`, (lo, hi, flo, fhi) per
    market; option box: the cached `rows`). enabled => every nonzero slot has rows for its
    series (else the spec's None: the box does not cover it)."""
    for k, r in enumerate(rows):
        live = gate(c, enabled, slots.nonzero[k])
        c.assert_product(live, 1 - LC.of(r.has), 0)
        assert_equal_when(c, live, r.sid, slots.sid[k])
    g, f = worst_corner(c, pos, box_parts)
    values = [[select(c, neg, s_, l_) for l_, s_ in zip(r.long, r.short)] for neg, r in zip(slots.neg, rows)]
    hi = [b[1] for b in box_parts]
    return _grid_surplus(c, enabled, preset, collateral, pos, snapshots, g, f, hi, slots, values,
                         opt.MAINTENANCE, "maintenance", opt.GRID.maintenance_floor_bps, exact)


@gadget
def option_marks_surplus(c: Circuit, enabled, preset: Preset, grid_name: str, collateral, pos: Positions,
                         snapshots, funding, prices, slots: OptionSlots, arrays: Sequence,
                         exact: bool = False) -> LC:
    """`options.marks_surplus` (grid "maintenance" or "initial") of an account whose slots hold
    live series or nothing, at the batch's prices and funding; `arrays[k]`: the current risk
    array (N_ARRAY values) of slot k's series (the caller opens it, `open_figure`)."""
    idx = opt.GRID.indices(grid_name)
    values = [[arr[s] for s in idx] for arr in arrays]
    return _grid_surplus(c, enabled, preset, collateral, pos, snapshots, list(prices), list(funding), list(prices),
                         slots, values, idx, grid_name, opt.GRID.floor_bps(grid_name), exact)


@gadget
def assert_option_nonnegative(c: Circuit, enabled, s) -> None:
    """enabled => s >= 0 (s an option surplus, |s| < 2^(OPTION_MARGIN_BITS - 1))."""
    assert_bits(c, enabled, s, opt.OPTION_MARGIN_BITS)


@gadget
def option_is_nonnegative(c: Circuit, enabled, s) -> LC:
    """1 if s >= 0 (s an option surplus computed with exact mins); 0 in a disabled slot."""
    return LC.of(enabled) - is_negative_gated(c, enabled, s, opt.OPTION_MARGIN_BITS + 1)


# --- the figures tree -------------------------------------------------------------------------------
@gadget
def open_figure(c: Circuit, enabled, tree_root, sid, key: Sequence, values: Sequence, index_bits: Sequence,
                siblings: Sequence) -> None:
    """enabled => `options.figures_leaf(sid, key, values)` is the leaf at `index_bits` (LSB
    first, FIGURES_DEPTH of them) of the figures tree with root `tree_root`."""
    assert len(index_bits) == len(siblings) == opt.FIGURES_DEPTH
    leaf = hash_fields(c, [sid, *key, *values])
    root = merkle_root(c, leaf, index_bits, siblings, hash=poseidon)
    assert_equal_when(c, enabled, root, tree_root)


@dataclass
class RowPaths:
    """A slot's two openings: (index bits, siblings) of its long row and of its short row."""

    long_bits: list
    long_siblings: list
    short_bits: list
    short_siblings: list


@gadget
def open_slot_rows(c: Circuit, enabled, tree_root, slots: OptionSlots, rows: Sequence[CachedRows],
                   box_parts: list, bounds: Sequence, paths: Sequence[RowPaths]) -> None:
    """`options.check_published` of a re-box: enabled => every slot with rows has its series'
    rows, each the committee's row at its corner (`options.row_corner`: the box's spot end by
    kind and side, vol end by side, the box's times), opened against the figures tree.
    `bounds`: the new option box's, flat (`option_box_digest`)."""
    vols, times = split_bounds(bounds, len(box_parts))
    for k, (r, p) in enumerate(zip(rows, paths)):
        on = gate(c, enabled, r.has)
        assert_equal_when(c, on, r.sid, slots.sid[k])
        e = slots.market[k]
        lo, hi = pick(c, e, [b[0] for b in box_parts]), pick(c, e, [b[1] for b in box_parts])
        vlo, vhi = pick(c, e, [v[0] for v in vols]), pick(c, e, [v[1] for v in vols])
        call = slots.is_call[k]
        g_long, g_short = select(c, call, lo, hi), select(c, call, hi, lo)
        open_figure(c, on, tree_root, r.sid, [LONG_KEY, g_long, vlo, times[0], times[1]], r.long,
                    p.long_bits, p.long_siblings)
        open_figure(c, on, tree_root, r.sid, [SHORT_KEY, g_short, vhi, times[0], times[1]], r.short,
                    p.short_bits, p.short_siblings)


# --- the batch's figures table: each series' array and minimal-box rows, opened once ----------------
@dataclass
class TableEntry:
    """One series of the batch's figures table: its fields, its current array and its two rows
    at the figures' own corner (the minimal box: spot = mark, vol = the round's, time [t, t]),
    opened once per batch; writes pick them by series id (`pick_figures`). The fields come from
    the book's series tree (opened at `spath`, the series live): `market` (one-hot of
    `market_index`), `is_call`, `strike`, `expiry`, `smile`."""

    used: LC
    sid: LC
    market: list
    is_call: LC
    array: list  # N_ARRAY
    min_long: list  # N_ROW
    min_short: list  # N_ROW
    paths: list  # three (index bits, siblings): array, long row, short row
    market_index: LC = None
    strike: LC = None
    expiry: LC = None
    smile: LC = None
    spath: list = None  # the series' path in the book's series tree


def declare_table_entry(c: Circuit, enabled, preset: Preset, prefix: str) -> TableEntry:
    """A table entry's inputs `<prefix>.{used, sid, series[5], array, long, short, paths}`:
    `used` a bit, the market below M (one-hot), the kind a bit."""
    used, sid = c.private_input(f"{prefix}.used"), c.private_input(f"{prefix}.sid")
    assert_bool(c, used)
    market, call, strike, expiry, smile = c.private_input(f"{prefix}.series", 5)
    assert_bool(c, call)
    d = opt.FIGURES_DEPTH
    paths = [(c.private_input(f"{prefix}.{x}.bits", d), c.private_input(f"{prefix}.{x}.sibs", d)) for x in "als"]
    return TableEntry(used, sid, one_hot(c, enabled, market, preset.num_markets), call,
                      c.private_input(f"{prefix}.array", N_ARRAY), c.private_input(f"{prefix}.long", N_ROW),
                      c.private_input(f"{prefix}.short", N_ROW), paths, market, strike, expiry, smile,
                      c.private_input(f"{prefix}.spath", opt.SERIES_DEPTH))


def table_entry_inputs(prefix: str, figures, book, preset, sid: int) -> dict:
    """The inputs of `declare_table_entry` for series `sid` of the book (0: an unused entry)."""
    d = opt.FIGURES_DEPTH
    if not sid:
        zero = {f"{prefix}.{x}.{y}": [0] * d for x in "als" for y in ("bits", "sibs")}
        zero[f"{prefix}.spath"] = [0] * opt.SERIES_DEPTH
        return {f"{prefix}.used": 0, f"{prefix}.sid": 0, f"{prefix}.series": [0] * 5,
                f"{prefix}.array": [0] * N_ARRAY, f"{prefix}.long": [0] * N_ROW, f"{prefix}.short": [0] * N_ROW, **zero}
    ser = book.series[sid]
    step = preset.markets[ser.market].price_step
    g, v, t = figures.prices[ser.market], figures.vols[ser.market], figures.timestamp
    out = {f"{prefix}.used": 1, f"{prefix}.sid": sid, f"{prefix}.series": ser.fields(),
           f"{prefix}.array": list(figures.current_row(ser, step)), f"{prefix}.spath": opt.series_path(book, sid)}
    for side, x in ((1, "long"), (-1, "short")):
        out[f"{prefix}.{x}"] = list(opt.corner_row(ser, step, opt.Corner(side, g, v, t, t)))
    for x, key in (("a", (sid, 0)), ("l", (sid, LONG_KEY, g, v, t, t)), ("s", (sid, SHORT_KEY, g, v, t, t))):
        index, sibs = figures.opening(book, preset, key)
        out[f"{prefix}.{x}.bits"] = [(index >> i) & 1 for i in range(d)]
        out[f"{prefix}.{x}.sibs"] = list(sibs)
    return out


@gadget
def open_table_entry(c: Circuit, tree_root, series_root, prices: Sequence, vols: Sequence, timestamp,
                     e: TableEntry) -> None:
    """used => the entry's series is live in the book (its leaf, settlement code 0, under
    `series_root`) with the entry's fields, and its array and minimal-box rows are the figures
    tree's (`options.minimal_box_surplus`'s rows: `row_corner` of market_box(j, 0, 0), horizon 0)."""
    from circuits.gadgets.bits import to_bits

    from .option_state import series_leaf, series_root_from

    fields = [e.market_index, e.is_call, e.strike, e.expiry, e.smile]
    bits = to_bits(c, gate(c, e.used, e.sid), opt.SERIES_BITS)
    root = series_root_from(c, series_leaf(c, e.sid, fields, 0), bits, e.spath)
    assert_equal_when(c, e.used, root, series_root)
    g, v = pick(c, e.market, prices), pick(c, e.market, vols)
    (ab, asib), (lb, lsib), (sb, ssib) = e.paths
    open_figure(c, e.used, tree_root, e.sid, [ARRAY_KEY], e.array, ab, asib)
    open_figure(c, e.used, tree_root, e.sid, [LONG_KEY, g, v, timestamp, timestamp], e.min_long, lb, lsib)
    open_figure(c, e.used, tree_root, e.sid, [SHORT_KEY, g, v, timestamp, timestamp], e.min_short, sb, ssib)


@dataclass
class SlotFigures:
    """A slot's figures picked from the table: the current array, the minimal-box rows, and the
    series' market (one-hot) and kind."""

    array: list
    rows: CachedRows
    market: list
    is_call: LC
    expiry: LC = None


@gadget
def pick_figures(c: Circuit, enabled, table: Sequence[TableEntry], sid) -> SlotFigures:
    """enabled => a used table entry holds series `sid`; its figures (a one-hot pick: 90 products
    per entry). Disabled: zeros."""
    idx = c.hint(lambda s, en, *ids: next((i for i, x in enumerate(ids) if x == s), 0) if en else 0,
                 sid, enabled, *[e.sid for e in table])
    one = one_hot(c, enabled, idx, len(table))
    assert_equal_when(c, enabled, pick(c, one, [e.used for e in table]), 1)
    assert_equal_when(c, enabled, pick(c, one, [e.sid for e in table]), sid)

    def column(get, n):
        return [pick(c, one, [get(e)[i] for e in table]) for i in range(n)]
    return SlotFigures(column(lambda e: e.array, N_ARRAY),
                       CachedRows(LC.of(enabled), LC.of(sid), column(lambda e: e.min_long, N_ROW),
                                  column(lambda e: e.min_short, N_ROW)),
                       column(lambda e: e.market, len(table[0].market)), pick(c, one, [e.is_call for e in table]),
                       pick(c, one, [e.expiry if e.expiry is not None else 0 for e in table]))


@gadget
def slots_from_table(c: Circuit, enabled, preset: Preset, table: Sequence[TableEntry], sids: Sequence,
                     sizes: Sequence, lookup: Sequence | None = None) -> tuple[OptionSlots, list[SlotFigures]]:
    """A leaf's slots with each position's series looked up in the batch's figures table (its
    market and kind, its figures); a slot of size 0 looks up nothing (market bits 0) unless
    `lookup` (a bit per slot, instead of "size != 0") asks for it."""
    out = OptionSlots([], [], [], [], [], [])
    figs = []
    for k, (sid, n) in enumerate(zip(sids, sizes)):
        assert_bits(c, enabled, sid, opt.SERIES_BITS)
        neg, _ = sign_abs(c, enabled, n, POSITION_BITS)
        nz = 1 - is_zero(c, n)
        f = pick_figures(c, gate(c, enabled, nz if lookup is None else lookup[k]), table, sid)
        out.sid.append(LC.of(sid))
        out.n.append(LC.of(n))
        out.neg.append(neg)
        out.nonzero.append(nz)
        out.market.append(f.market)
        out.is_call.append(f.is_call)
        figs.append(f)
    return out, figs


@gadget
def slot_figures(c: Circuit, enabled, table: Sequence[TableEntry], slots: OptionSlots) -> list[SlotFigures]:
    """Each slot holding a position picks its series' figures (a slot of size 0 needs none: its
    values are multiplied by 0)."""
    return [pick_figures(c, gate(c, enabled, nz), table, sid) for nz, sid in zip(slots.nonzero, slots.sid)]


def _clamp_funding(c: Circuit, enabled, x) -> LC:
    """min(FUNDING_MAX, max(FUNDING_MIN, x)) for |x| < 2^(FUNDING_BITS + 1)."""
    below = is_negative_gated(c, enabled, LC.of(x) - FUNDING_MIN, FUNDING_BITS + 3)
    x = select(c, below, FUNDING_MIN, x)
    above = is_negative_gated(c, enabled, LC.of(FUNDING_MAX) - x, FUNDING_BITS + 3)
    return select(c, above, FUNDING_MAX, x)


@gadget
def minimal_box_surplus(c: Circuit, enabled, preset: Preset, collateral, pos: Positions, snapshots, funding,
                        prices, slots: OptionSlots, figures: Sequence[SlotFigures], exact: bool = False) -> LC:
    """`options.minimal_box_surplus` of an account whose slots hold live series or nothing: the
    box surplus over the figures' own corner (spot ends at the marks, funding F -/+ FUNDING_ROOM
    steps, the minimal-box rows of `figures`): the maintenance measure of an option account
    (touch, liquidation, a trade's fallback). `exact` for "below maintenance"."""
    parts = []
    for mk, g, big_f in zip(preset.markets, prices, funding):
        d = opt.FUNDING_ROOM * mk.max_funding_delta
        parts.append((g, g, _clamp_funding(c, enabled, LC.of(big_f) - d), _clamp_funding(c, enabled, LC.of(big_f) + d)))
    return option_box_surplus(c, enabled, preset, collateral, pos, snapshots, parts, slots,
                              [f.rows for f in figures], exact=exact)


# --- expiry -------------------------------------------------------------------------------------------
@gadget
def intrinsic_value(c: Circuit, enabled, is_call, strike, g, price_step) -> LC:
    """`options.intrinsic`: max(g - strike, 0) step for a call, max(strike - g, 0) step for a put
    (strike, g: ladder indices, GRID_BITS each; `price_step` the market's, a constant or a
    picked LC)."""
    d_call = LC.of(g) - strike
    d = c.mul(is_call, 2 * d_call) - d_call
    neg = is_negative_gated(c, enabled, d, GRID_BITS + 2)
    return c.mul(price_step, d - c.mul(neg, d))


__all__ = ["OptionSlots", "CachedRows", "RowPaths", "option_slots", "cached_rows_hash", "option_box_digest",
           "option_box_surplus", "option_marks_surplus", "assert_option_nonnegative", "option_is_nonnegative",
           "kept_rows", "split_bounds", "TableEntry", "SlotFigures", "declare_table_entry", "table_entry_inputs", "open_table_entry", "pick_figures",
           "slot_figures", "slots_from_table", "minimal_box_surplus", "open_figure", "open_slot_rows", "intrinsic_value", "N_ROW", "N_ARRAY"]
