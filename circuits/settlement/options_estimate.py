"""Estimated constraints of the options design (sequencer/spec/options.py) per write, from measured gadgets.

    python -m circuits.settlement.options_estimate [--series 32] [--markets 1]

The batch circuit does not prove options yet (next step of issue 11); this prints what the
spec's design will cost it, each figure a gadget of this repository built and counted (after
--O2 where the gadget is linear-heavy), summed per the design:

- leaf: 2K more fields (series, size) and the option box's digest: the leaf hash grows;
- kept-box write: the cached rows re-hashed (per slot Poseidon over series + 2 x 22 values),
  the option box digest over them, the grid margin of each option market (per slot and
  scenario a side mux and a product; per scenario a ~112-bit comparison for the min);
- touch (re-box): per slot two rows opened against the round's commitment (the row's hash and
  a binary Merkle path of depth ceil(log2(rows)) with rows = 121 per series), plus the kept-box
  write's work on the new rows;
- marks check (a trade's or withdrawal's initial margin at the batch figures): per grid market
  the 46-scenario min over the slots' current arrays (the arrays are opened once per batch and
  series, `per series per batch`; each slot then selects its series' array among them, not
  counted here);
- batch: per series in use, the current risk array opened once.
"""
from __future__ import annotations

import argparse
import math

from circuits.dsl import Circuit
from circuits.gadgets.bits import assert_in_range
from circuits.gadgets.comparators import less_than
from circuits.gadgets.mux import select
from sequencer.spec import options as opt
from sequencer.spec.constants import MARGIN_BITS

from .common import hash_fields

ROWS_PER_SERIES = 2 * len(opt.SPOT_OFFSETS_BPS) * len(opt.VOL_OFFSETS_BPS) * len(opt.HORIZONS_S) + 1  # + the array


def _count(build) -> int:
    c = Circuit("est")
    build(c)
    return c.compile().n_constraints


def hash_cost(n: int) -> int:
    return _count(lambda c: hash_fields(c, [c.private_input(f"x{i}") for i in range(n)]))


def merkle_level_cost() -> int:
    """A binary Poseidon Merkle level: the side bit, two selects, Poseidon(2)."""
    def build(c):
        bit, cur, sib = c.private_input("b"), c.private_input("cur"), c.private_input("sib")
        left, right = select(c, bit, sib, cur), select(c, bit, cur, sib)
        c.output("h", hash_fields(c, [left, right]))
    return _count(build)


def min_step_cost(bits: int) -> int:
    """One step of a running min over scenario values: a comparison and a select."""
    def build(c):
        a, b = c.private_input("a"), c.private_input("b")
        c.output("m", select(c, less_than(c, a, b, bits), a, b))
    return _count(build)


def side_product_cost() -> int:
    """Per slot and scenario: pick the long or short row's value by the size's sign bit, times n."""
    def build(c):
        s, lo, hi, n = (c.private_input(x) for x in ("s", "lo", "hi", "n"))
        c.output("t", c.mul(n, select(c, s, lo, hi)))
    return _count(build)


def estimate(k: int, series: int, option_markets: int, num_markets: int = 4) -> dict:
    n_scen = opt.N_SCENARIOS
    n_maint = len(opt.GRID.indices("maintenance"))
    bits = opt.OPTION_MARGIN_BITS
    base_leaf = 7 + 2 * num_markets
    leaf_extra = hash_cost(base_leaf + 2 * k + 1) - hash_cost(base_leaf)
    row_slot = hash_cost(1 + 2 * n_maint)  # a slot's cached rows: series id, long row, short row (22 each)
    digest = hash_cost(2 * num_markets + 2 + k)
    margin = option_markets * (k * n_maint * side_product_cost() + n_maint * min_step_cost(bits)
                               + assert_range_cost(bits))
    kept = leaf_extra + k * row_slot + digest + margin
    depth = math.ceil(math.log2(ROWS_PER_SERIES * series))
    open_row = hash_cost(6 + n_maint) + depth * merkle_level_cost()
    open_array = hash_cost(2 + n_scen) + depth * merkle_level_cost()
    touch = kept + 2 * k * open_row
    marks = option_markets * (k * n_scen * side_product_cost() + n_scen * min_step_cost(bits)
                              + assert_range_cost(bits))
    return {"K": k, "series": series, "option_markets": option_markets, "leaf_hash_extra": leaf_extra,
            "cached_rows_hash_per_slot": row_slot, "option_box_digest": digest, "grid_margin": margin,
            "kept_box_write": kept, "marks_check": marks, "row_open": open_row, "table_depth": depth,
            "touch_extra": touch,
            "per_series_per_batch": open_array, "subtree_alternative_per_write": subtree_cost(k, num_markets),
            "margin_range_bits": bits, "perp_margin_bits": MARGIN_BITS}


def assert_range_cost(bits: int) -> int:
    return _count(lambda c: assert_in_range(c, c.private_input("x"), bits))


def subtree_cost(k: int, num_markets: int) -> int:
    """The alternative: positions in a per-account binary subtree whose root is one leaf field.
    Every write's margin reads all K positions, so it hashes the K position leaves (series,
    size, rows' hash) and the K - 1 inner nodes, on top of the rows' hashes."""
    return k * hash_cost(3) + (k - 1) * hash_cost(2) + hash_cost(7 + 2 * num_markets + 1) \
        - hash_cost(7 + 2 * num_markets)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=32)
    ap.add_argument("--markets", type=int, default=1, help="markets with options in the account")
    args = ap.parse_args(argv)
    print("| K | leaf hash +, fixed slots | same, subtree | cached rows hash (all slots) | box digest | grid margin "
          "| kept-box write + | marks check (trade) | one row opened (depth) | touch + | per series per batch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in (1, 2, 4, 8):
        e = estimate(k, args.series, args.markets)
        print(f"| {k} | {e['leaf_hash_extra']:,} | {e['subtree_alternative_per_write']:,} | "
              f"{k * e['cached_rows_hash_per_slot']:,} | {e['option_box_digest']:,} | {e['grid_margin']:,} | "
              f"{e['kept_box_write']:,} | {e['marks_check']:,} | {e['row_open']:,} ({e['table_depth']}) | "
              f"{e['touch_extra']:,} | "
              f"{e['per_series_per_batch']:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
