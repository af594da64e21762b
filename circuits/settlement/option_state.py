"""Options state in the batch circuit (options presets, K > 0): the round's figures, the options
book in the globals, the series tree, and expiry closing. The circuit form of
`spec.options.process_figures`, `check_batch_end`, `OptionBook.digest` and `close_settled`.

The book (`spec.options.OptionBook.digest`) is in the state root's globals as

    hash_fields([timestamp, *vols, series root, figures root])

with the series root a binary Poseidon tree of depth 16 over series ids (leaf = hash_fields(
[id, market, is_call, strike, expiry, smile, code]), code = settlement price + 2^20 once settled,
else 0; 0 for an id not listed) and the figures root the last round's committee commitment.

`process_figures` (the batch header) takes the old book's parts (bound by the old state root)
and the round's figures, and proves:

- time never goes back: old timestamp <= timestamp < 2^40; each vol < 2^16;
- each listing (listing slots, used in order) is a real market, a call or a put, a strike on the
  ladder (> 0), an expiry after this round's time, a smile in (0, 2^16); it is written over the
  empty leaf at its id (the committee's: the events digest binds ids and fields);
- each settlement (settlement slots, used in order) names a listed series that is not settled and
  whose expiry this round's time reached, and records its ladder price (< 2^16) in its leaf; the
  end of the batch checks the price lies in the root's spot range of the series' market
  (`check_batch_end`: every account's box holds it, spec/options.py);
- the figures commitment (`spec.options.OptionFigures.commit_root`, the batch message's figures
  root, stored in the book) is recomputed from the round, the time, the prices, the vols, the
  published grid's digest (a constant: figures on another grid cannot match the committee's
  signed root), the events digest (chains over the listings with their ids and over the
  settlements) and the rows root (against which the option margin opens rows:
  `FigureState.rows_root`), so all of them are the oracle committee's. That every due
  series is settled in its round is the committee's to publish, as the prices are (its
  settlement list is in the signed root).

`check_batch_end`: the round's vols and timestamp lie in the root's option box (the tree's box
commitments carry each leaf's vol and time bounds, `tree.py`), as the prices and funding lie
in the root's box.

`close_settled` runs on every leaf an op reads (`ops._settled`, with funding settlement): each
option slot holding a series opens it in the series tree (after this round's settlements); a
settled one closes at intrinsic value into collateral (n * step * max(+-(price - strike), 0)),
the slot is emptied and its cached rows dropped from the option box digest. Cost per leaf read:
K openings (a leaf hash and 16 Poseidon(2)) and, when something closes, the digest twice.

For the option margin gadgets (`options.py`, `option_ops.py`): the header's figures are
`BatchState.book` (a `FigureState`): `rows_root` (input `figures.root`, the committee's tree of
arrays and rows, under the figures root), `timestamp` and `vols` (inputs `figures.timestamp`,
`figures.vols`) are declared and bound here once, so the option slots take them from
`st.book` instead of declaring their own; `series_root` is the book's series tree after this
round's listings and settlements. A re-box's row hashes (`ops._chosen_obox_digest`,
`<prefix>.row_hash`) are free until the option margin opens the rows at their corners.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from circuits.dsl import LC, Circuit
from circuits.gadgets.bits import assert_bool, to_bits
from circuits.gadgets.comparators import is_zero
from circuits.gadgets.merkle import _place
from circuits.gadgets.mux import select
from circuits.gadgets.poseidon import poseidon
from sequencer.spec import options as spec_opt
from sequencer.spec.constants import GRID_BITS, Preset

from .arith import assert_bits, assert_equal_when, assert_nonzero, gate, is_negative_gated, one_hot, pick
from .common import hash_fields, option_box_digest

TIME_BITS = spec_opt.TIME_BITS
VOL_BITS = spec_opt.VOL_BITS
SERIES_BITS = spec_opt.SERIES_BITS
DEPTH = spec_opt.SERIES_DEPTH  # binary
SETTLED_FLAG = spec_opt.SETTLED_FLAG
SERIES_FIELDS = 5  # market, is_call, strike, expiry, smile (spec.options.Series.fields)


@dataclass
class FigureState:
    """The options book as the batch threads it (after the header: the round's figures)."""

    timestamp: LC
    vols: list
    series_root: LC
    rows_root: LC = None  # the committee's rows root: the option margin opens rows against it
    figures_root: LC = None  # spec.options.OptionFigures.commitment (the batch message's figures root)
    settlements: list = field(default_factory=list)  # (enabled, market one-hot, price): checked at the end
    old_digest: Any = None

    def digest(self, c: Circuit) -> LC:
        return book_digest(c, self.timestamp, self.vols, self.series_root, self.figures_root)


def book_digest(c: Circuit, timestamp, vols, series_root, figures_root) -> LC:
    """`spec.options.OptionBook.digest`."""
    return hash_fields(c, [timestamp, *vols, series_root, figures_root])


def series_root_from(c: Circuit, leaf, index_bits: list, path: list) -> LC:
    """The series tree's root from a leaf at the index (16 bits, LSB first) and its siblings,
    bottom up (`spec.options.series_path`)."""
    h = LC.of(leaf)
    for k in range(DEPTH):
        h = poseidon(c, _place(c, h, index_bits[k:k + 1], path[k], 2))
    return h


def series_leaf(c: Circuit, sid, fields: list, code) -> LC:
    """`spec.options.OptionBook.series_leaf`: code = price + 2^20 once settled, else 0."""
    return hash_fields(c, [sid, *fields, code])


def _in_order(c: Circuit, prev, en) -> None:
    if prev is not None:
        c.assert_product(en, 1 - LC.of(prev), 0)


def process_figures(c: Circuit, preset: Preset, oracle_round, prices: list) -> FigureState:
    """The header's options part (module docstring). Returns the book after it, with the old
    book's digest (for the old globals) and the figures root."""
    m = preset.num_markets
    old_ts, old_root, old_fig = (c.private_input(f"old.book.{k}") for k in ("timestamp", "series_root", "figures_root"))
    old_vols = c.private_input("old.book.vols", m)
    ts, rows_root = c.private_input("figures.timestamp"), c.private_input("figures.root")
    vols = c.private_input("figures.vols", m)
    # oracle time never goes back; vols on their ladder
    to_bits(c, ts, TIME_BITS)
    to_bits(c, LC.of(ts) - old_ts, TIME_BITS)
    for v in vols:
        to_bits(c, v, VOL_BITS)
    book = FigureState(LC.of(ts), [LC.of(v) for v in vols], LC.of(old_root), LC.of(rows_root),
                       old_digest=book_digest(c, old_ts, old_vols, old_root, old_fig))
    listed, prev = LC.of(0), None
    for i in range(preset.listing_slots):
        with c.scope(f"listing[{i}]"):
            listed, prev = _listing(c, preset, book, f"listing[{i}]", listed, prev)
    settled, prev = LC.of(0), None
    for i in range(preset.settlement_slots):
        with c.scope(f"settlement[{i}]"):
            settled, prev = _settlement(c, preset, book, f"settlement[{i}]", settled, prev)
    # the committee's signed root over all of it (spec.options.OptionFigures.commitment)
    events = hash_fields(c, [listed, settled])
    book.figures_root = hash_fields(c, [oracle_round, ts, *prices, *vols, spec_opt.GRID.digest(), events, rows_root])
    return book


def _listing(c: Circuit, preset: Preset, book: FigureState, prefix: str, chain, prev):
    en = c.private_input(f"{prefix}.enabled")
    assert_bool(c, en)
    _in_order(c, prev, en)
    sid = c.private_input(f"{prefix}.series_id")
    market, is_call, strike, expiry, smile = f = c.private_input(f"{prefix}.series", SERIES_FIELDS)
    path = c.private_input(f"{prefix}.path", DEPTH)
    # a real market, a call or a put, a strike on the ladder, an expiry after this round, a smile
    one_hot(c, en, market, preset.num_markets)
    c.assert_product(is_call, LC.of(is_call) - 1, 0)
    assert_bits(c, en, strike, GRID_BITS)
    assert_nonzero(c, en, strike)
    assert_bits(c, en, expiry, TIME_BITS)
    assert_bits(c, en, LC.of(expiry) - book.timestamp - 1, TIME_BITS)
    assert_bits(c, en, smile, 16)
    assert_nonzero(c, en, smile)
    # its id (the committee's, in the events digest; 0 < id < 2^16), written over the empty leaf there
    assert_nonzero(c, en, sid)
    bits = to_bits(c, c.mul(en, sid), SERIES_BITS)
    assert_equal_when(c, en, series_root_from(c, 0, bits, path), book.series_root)
    new_root = series_root_from(c, series_leaf(c, sid, f, 0), bits, path)
    book.series_root = select(c, en, new_root, book.series_root)
    return select(c, en, hash_fields(c, [chain, sid, *f]), chain), en


def _settlement(c: Circuit, preset: Preset, book: FigureState, prefix: str, chain, prev):
    en = c.private_input(f"{prefix}.enabled")
    assert_bool(c, en)
    _in_order(c, prev, en)
    sid, price = c.private_input(f"{prefix}.series_id"), c.private_input(f"{prefix}.price")
    f = c.private_input(f"{prefix}.series", SERIES_FIELDS)
    path = c.private_input(f"{prefix}.path", DEPTH)
    # a listed series, not settled (its leaf's code is 0), whose expiry this round reached
    bits = to_bits(c, c.mul(en, sid), SERIES_BITS)
    assert_equal_when(c, en, series_root_from(c, series_leaf(c, sid, f, 0), bits, path), book.series_root)
    assert_bits(c, en, LC.of(book.timestamp) - f[3], TIME_BITS)
    # its settlement price, on the ladder (and in the root's spot range: check_batch_end)
    assert_bits(c, en, price, GRID_BITS)
    new_root = series_root_from(c, series_leaf(c, sid, f, LC.of(price) + SETTLED_FLAG), bits, path)
    book.series_root = select(c, en, new_root, book.series_root)
    book.settlements.append((en, one_hot(c, en, f[0], preset.num_markets), price))
    return select(c, en, hash_fields(c, [chain, sid, price]), chain), en


def check_batch_end(c: Circuit, preset: Preset, book: FigureState, root_box: list) -> None:
    """The round's vols and time in the root's option box (box entry M); each settlement price in
    the root's spot range of its market."""
    m = preset.num_markets
    flat = root_box[m]
    for j, v in enumerate(book.vols):
        to_bits(c, LC.of(v) - flat[2 * j], VOL_BITS)
        to_bits(c, LC.of(flat[2 * j + 1]) - v, VOL_BITS)
    to_bits(c, LC.of(book.timestamp) - flat[2 * m], TIME_BITS)
    to_bits(c, LC.of(flat[2 * m + 1]) - book.timestamp, TIME_BITS)
    for en, e, price in book.settlements:
        lo = pick(c, e, [root_box[j][0] for j in range(m)])
        hi = pick(c, e, [root_box[j][1] for j in range(m)])
        assert_bits(c, en, LC.of(price) - lo, GRID_BITS)
        assert_bits(c, en, hi - LC.of(price), GRID_BITS)


# --- expiry closing -----------------------------------------------------------------------------------
def close_settled(c: Circuit, preset: Preset, book: FigureState, prefix: str, leaf):
    """`spec.options.close_settled` of a leaf read at `prefix` (inputs `<prefix>.close.series`
    [K][6]: each slot's series fields and settlement code; `.close.path` [K][16]; `.close.obox`
    [1 + K]: the packed option box and the row hashes behind the leaf's option box digest)."""
    k_slots, m = preset.option_slots, preset.num_markets
    opened = c.private_input(f"{prefix}.close.series", (k_slots, SERIES_FIELDS + 1))
    paths = c.private_input(f"{prefix}.close.path", (k_slots, DEPTH))
    obox = c.private_input(f"{prefix}.close.obox", 1 + k_slots)
    cash = LC()
    series, sizes, rows = [], [], list(obox[1:])
    still_open = LC.of(1)  # product of (1 - closed_k)
    steps = [mk.price_step for mk in preset.markets]
    for k in range(k_slots):
        sid, n = leaf.option_series[k], leaf.option_sizes[k]
        fields, code = opened[k][:SERIES_FIELDS], opened[k][SERIES_FIELDS]
        market, is_call, strike = fields[0], fields[1], fields[2]
        held = 1 - is_zero(c, sid)
        # the slot's series is listed: its leaf (with its settlement code) is at sid
        bits = to_bits(c, gate(c, held, sid), SERIES_BITS)
        root = series_root_from(c, series_leaf(c, sid, fields, code), bits, paths[k])
        assert_equal_when(c, held, root, book.series_root)
        # settled iff its code is not 0 (a settlement wrote price + 2^20, the price < 2^16)
        settled = 1 - is_zero(c, code)
        price = LC.of(code) - LC.of(settled) * SETTLED_FLAG
        closed = c.mul(held, settled)
        # intrinsic value at the settlement price: step_j * max(+-(price - strike), 0)
        e = one_hot(c, closed, market, m)
        d = c.mul(2 * LC.of(is_call) - 1, LC.of(price) - strike)
        neg = is_negative_gated(c, closed, d, GRID_BITS + 2)
        pos = d - c.mul(neg, d)
        value = c.mul(pos, pick(c, e, steps))
        n_closed = c.mul(closed, n)
        cash = cash + c.mul(n_closed, value)
        series.append(LC.of(sid) - c.mul(closed, sid))
        sizes.append(LC.of(n) - n_closed)
        rows[k] = LC.of(rows[k]) - c.mul(closed, rows[k])
        still_open = c.mul(still_open, 1 - closed)
    any_closed = 1 - still_open
    # the option box's cached rows of closed slots are dropped (its bounds stay)
    assert_equal_when(c, any_closed, option_box_digest(c, obox[0], obox[1:]), leaf.obox_digest)
    digest = select(c, any_closed, option_box_digest(c, obox[0], rows), leaf.obox_digest)
    return leaf.replace(collateral=LC.of(leaf.collateral) + cash, option_series=series, option_sizes=sizes,
                        obox_digest=digest)
