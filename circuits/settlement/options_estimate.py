"""Constraints of the option margin per write, measured from the real gadgets (circuits/settlement/options.py).

    python -m circuits.settlement.options_estimate [--markets 2,4] [--ks 1,2,4,8]

Each figure is a gadget of `options.py` (or of the leaf write it extends) built alone and
counted (constraints before --O2 linear elimination, as `circuits.settlement.stats` counts the
batch circuit), for an account of a preset with M markets (all of them may hold options, so
the grid is computed for each) and K option slots:

- leaf: 2K more fields (series, size) and the option box's digest: the leaf hash grows, and so
  does each write's DA record (the leaf encrypted, `spec.da`);
- slots: the K slots' range checks, sign and nonzero bits, market one-hot;
- box digest: the cached rows re-hashed (per slot Poseidon over series + 2 x 22 values) and
  `OptionBox.digest` over them;
- grid margin: `option_box_surplus` and its `S >= 0` check, less the linear box check it replaces
  (`margin.assert_box_safe`); per market 22 scenario sums, a hinted min with 22 range checks;
- kept-box write: the sum of the above (a write that keeps its box opens no row);
- touch: a kept-box write plus `open_slot_rows` (per slot two rows opened against the figures
  tree: the row's hash and a depth-13 binary path, and the corner's picks);
- trade side: a kept-box write plus the marks' grid (initial and the maintenance fallback,
  `option_marks_surplus`) less the linear pair it replaces (`ops._margin_allows`' two surpluses),
  plus K current arrays opened (per slot holding a position; a batch could instead open each
  series' array once and let slots pick it);
- exact min: what a liquidation's "below maintenance" adds (`exact=True`).

Also printed: the batch's figures table per live series (opened once per batch: its fields from
the book's series tree, its array and minimal-box rows) and a slot's pick from it. Not counted
here: the option box in the tree's box commitments, the book and figures processing and the
expiry closing of every leaf read (`option_state.py`).
"""
from __future__ import annotations

import argparse
from dataclasses import replace

from circuits.dsl import Circuit
from circuits.gadgets.poseidon_cipher import poseidon_encrypt
from sequencer.spec import da as spec_da
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS, Preset

from . import options as og
from .common import hash_fields, leaf_width
from .margin import assert_box_safe, is_nonnegative, signed_positions, surplus


def _count(build) -> int:
    c = Circuit("cost")
    build(c)
    return c.n_constraints


def preset_of(m: int, k: int) -> Preset:
    markets = (TINY_OPTIONS.markets * 8)[:m]
    return replace(TINY_OPTIONS, markets=markets, option_slots=k)


def _account(c: Circuit, p: Preset):
    m = p.num_markets
    collateral, q, f = c.private_input("C"), c.private_input("q", m), c.private_input("f", m)
    return collateral, signed_positions(c, 1, q), f


def _slots(c: Circuit, p: Preset):
    k = p.option_slots
    return og.option_slots(c, 1, p, *(c.private_input(x, k) for x in ("sid", "n", "mk", "call")))


def _rows(c: Circuit, p: Preset):
    k = p.option_slots
    has, rsid = c.private_input("has", k), c.private_input("rsid", k)
    long, short = c.private_input("long", (k, og.N_ROW)), c.private_input("short", (k, og.N_ROW))
    return [og.CachedRows(has[i], rsid[i], long[i], short[i]) for i in range(k)]


def _box(c: Circuit, p: Preset):
    return [tuple(x) for x in c.private_input("box", (p.num_markets, 4))]


def leaf_extra(p: Preset) -> int:
    base = leaf_width(p.num_markets)
    extra = 2 * p.option_slots + 1
    return _count(lambda c: hash_fields(c, c.private_input("x", base + extra))) \
        - _count(lambda c: hash_fields(c, c.private_input("x", base)))


def da_extra(p: Preset) -> int:
    """A write's DA record with 2K + 1 more leaf fields: the cipher and the sponge absorbing it."""
    def record(n):
        def build(c):
            ct = poseidon_encrypt(c, c.private_input("x", n), c.private_input("key", 2), c.private_input("nonce"))
            rec = [0, 0, 0, *ct]
            h = c.private_input("h")
            for i in range(0, len(rec), spec_da.SPONGE_RATE):
                h = hash_fields(c, [h, *rec[i:i + spec_da.SPONGE_RATE]])
        return _count(build)
    base = leaf_width(p.num_markets) + p.num_markets  # the leaf and its packed box
    return record(base + 2 * p.option_slots + 1) - record(base)


def slots_cost(p: Preset) -> int:
    return _count(lambda c: _slots(c, p))


def digest_cost(p: Preset) -> int:
    return _count(lambda c: og.option_box_digest(c, c.private_input("packed"),
                                                  [og.cached_rows_hash(c, r) for r in _rows(c, p)]))


def box_margin_cost(p: Preset, exact: bool = False) -> int:
    """option_box_surplus + its check, less the linear box check (both after the same slots)."""
    def grid(c):
        collateral, pos, f = _account(c, p)
        slots, rows, box = _slots(c, p), _rows(c, p), _box(c, p)
        og.assert_option_nonnegative(c, 1, og.option_box_surplus(c, 1, p, collateral, pos, f, box, slots, rows,
                                                                 exact=exact))

    def linear(c):
        collateral, pos, f = _account(c, p)
        _slots(c, p), _rows(c, p)
        assert_box_safe(c, 1, p, collateral, pos, _box(c, p), f)
    return _count(grid) - _count(linear)


def open_rows_cost(p: Preset) -> int:
    m, d = p.num_markets, opt.FIGURES_DEPTH

    def build(c):
        slots, rows, box = _slots(c, p), _rows(c, p), _box(c, p)
        paths = [og.RowPaths(*(c.private_input(f"{x}{k}", d) for x in ("lb", "ls", "sb", "ss")))
                 for k in range(p.option_slots)]
        og.open_slot_rows(c, 1, c.private_input("root"), slots, rows, box, c.private_input("bounds", 2 * m + 2),
                          paths)
    return _count(build) - _count(lambda c: (_slots(c, p), _rows(c, p), _box(c, p)))


def marks_cost(p: Preset) -> int:
    """A trade side's initial check with its maintenance fallback at the marks, grid less linear."""
    m = p.num_markets

    def grid(c):
        collateral, pos, f = _account(c, p)
        slots = _slots(c, p)
        arrays = c.private_input("arrays", (p.option_slots, og.N_ARRAY))
        prices, funding = c.private_input("prices", m), c.private_input("F", m)
        for name in ("initial", "maintenance"):
            og.option_is_nonnegative(c, 1, og.option_marks_surplus(c, 1, p, name, collateral, pos, f, funding,
                                                                   prices, slots, arrays))

    def linear(c):
        collateral, pos, f = _account(c, p)
        _slots(c, p)
        c.private_input("arrays", (p.option_slots, og.N_ARRAY))
        prices = c.private_input("prices", m)
        for name in ("initial", "maintenance"):
            is_nonnegative(c, 1, surplus(c, p, collateral, pos, prices, name))
    return _count(grid) - _count(linear)


def array_open_cost() -> int:
    d = opt.FIGURES_DEPTH
    return _count(lambda c: og.open_figure(c, c.private_input("e"), c.private_input("root"), c.private_input("sid"),
                                           [og.ARRAY_KEY], c.private_input("a", og.N_ARRAY),
                                           c.private_input("b", d), c.private_input("s", d)))


def table_entry_cost(p: Preset) -> int:
    """One series of the batch's figures table (`options.open_table_entry`): its fields from the
    book's series tree, its array and its two minimal-box rows opened (per live series, per batch)."""
    m = p.num_markets

    def build(c):
        e = og.declare_table_entry(c, 1, p, "t")
        og.open_table_entry(c, c.private_input("root"), c.private_input("series_root"), c.private_input("g", m),
                            c.private_input("v", m), c.private_input("ts"), e)
    return _count(build)


def pick_cost(p: Preset, entries: int) -> int:
    """A slot's lookup in a table of `entries` series (`options.pick_figures`: 90 values a entry)."""
    def build(c):
        table = [og.declare_table_entry(c, 1, p, f"t{i}") for i in range(entries)]
        og.pick_figures(c, 1, table, c.private_input("sid"))
    return _count(build) - _count(lambda c: [og.declare_table_entry(c, 1, p, f"t{i}") for i in range(entries)])


def intrinsic_cost() -> int:
    return _count(lambda c: og.intrinsic_value(c, 1, *(c.private_input(x) for x in ("call", "k", "g", "step"))))


def measure(m: int, k: int) -> dict:
    p = preset_of(m, k)
    e = {"M": m, "K": k, "leaf_hash": leaf_extra(p), "da_record": da_extra(p), "slots": slots_cost(p),
         "box_digest": digest_cost(p), "grid_margin": box_margin_cost(p),
         "exact_min": box_margin_cost(p, exact=True) - box_margin_cost(p)}
    e["kept_box_write"] = e["leaf_hash"] + e["da_record"] + e["slots"] + e["box_digest"] + e["grid_margin"]
    e["rows_opened"] = open_rows_cost(p)
    e["touch"] = e["kept_box_write"] + e["rows_opened"]
    e["marks"] = marks_cost(p)
    e["arrays_opened"] = k * array_open_cost()
    e["trade_side"] = e["kept_box_write"] + e["marks"] + e["arrays_opened"]
    return e


COLUMNS = ("M", "K", "leaf_hash", "da_record", "slots", "box_digest", "grid_margin", "kept_box_write",
           "rows_opened", "touch", "marks", "arrays_opened", "trade_side", "exact_min")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", default="2,4")
    ap.add_argument("--ks", default="1,2,4,8")
    args = ap.parse_args(argv)
    print("Constraints an options preset adds to a write (M markets, K option slots), measured:")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for m in (int(x) for x in args.markets.split(",")):
        for k in (int(x) for x in args.ks.split(",")):
            e = measure(m, k)
            print("| " + " | ".join(f"{e[c]:,}" for c in COLUMNS) + " |")
    p = preset_of(2, 2)
    print(f"one current array opened: {array_open_cost():,}; one series of the figures table (per live series "
          f"per batch): {table_entry_cost(p):,}; a slot's pick from a table of 4 / 32: {pick_cost(p, 4):,} / "
          f"{pick_cost(p, 32):,}; one intrinsic value: {intrinsic_cost():,}; figures tree depth {opt.FIGURES_DEPTH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
