"""What an exit after a freeze pays for an account's options, and what the exit circuit opens
to prove it (the argument: `circuits/settlement/exit.py`, "Options").

An exit pays the account's total value at the last settled state, the same TV the batch's
margin measures (`cross_margin.total_value`):

    equity = C + perpetuals at the last prices and funding + sum_k n_k v_k

    v_k = intrinsic value at the recorded settlement price     (series settled in the book)
        = the last round's mark: entry 0 of its risk array     (live series, whatever their
          (`OptionFigures.current_row`, rounded to nearest)     expiry: no waiting for it)

Opening a slot's value (what `exit_opening` returns for the circuit):
- the series from the book's series tree (`options.series_path`: SERIES_DEPTH siblings,
  position = the series id), its leaf holding the settlement code;
- a live series' risk array from the figures commitment bound in the book
  (`OptionBook.figures_root`): the array's leaf (sid, 0, 46 values) and its path in the
  commitment's tree (`figures_path`), padded to FIGURES_DEPTH levels, each level a
  (present, alone, right, sibling): a pair hashed with the node on the left or right, an odd
  node hashed alone, or no level (above the tree's top). The committee's tree has fixed depth
  `options.FIGURES_DEPTH` (13): its paths are 13 present pairs, then absent levels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from . import options as opt
from .constants import Preset
from .hashing import hash_fields

# leaves of the commitment: 181 per live series (1 array + 180 corner rows) and at most
# 2^SERIES_BITS - 1 series: < 2^24, so 24 levels reach the top of every committee tree
FIGURES_DEPTH = 24
assert (1 + 2 * len(opt.SPOT_OFFSETS_BPS) * len(opt.VOL_OFFSETS_BPS) * len(opt.HORIZONS_S)) \
    * ((1 << opt.SERIES_BITS) - 1) < (1 << FIGURES_DEPTH)


@dataclass(frozen=True)
class FiguresLevel:
    present: int  # 0: above the tree's top (the node passes unchanged)
    alone: int  # 1: an odd node out, hashed alone
    right: int  # 1: the node is the right child
    sibling: int


@dataclass(frozen=True)
class SlotOpening:
    """Everything the exit circuit opens for one option slot (zeros for an empty slot, and
    the figures part zero for a settled series)."""

    series: tuple[int, ...]  # Series.fields(): market, is_call, strike, expiry, smile_bps
    code: int  # settlement code: ladder price + SETTLED_FLAG once settled, else 0
    series_path: tuple[int, ...]  # SERIES_DEPTH siblings
    row: tuple[int, ...]  # the live series' risk array (46 values), row[0] its mark
    figures_path: tuple[FiguresLevel, ...]  # FIGURES_DEPTH levels
    value: int  # per lot: what the exit counts


def slot_value(book: opt.OptionBook, preset: Preset, sid: int) -> int:
    """What an exit counts per lot of series `sid`: intrinsic at its settlement price once
    settled, else the last round's mark."""
    if sid in book.settled:
        return opt.settled_value(book, sid)
    s = book.series[sid]
    return book.figures.current_row(s, preset.markets[s.market].price_step)[0]


def option_exit_value(account, preset: Preset, book: Optional[opt.OptionBook]) -> int:
    """sum_k n_k v_k over the account's option slots (0 without options), collateral units;
    equal to `options.option_value` at the book's last figures (the batch margin's TV)."""
    if book is None:
        return 0
    return sum(n * slot_value(book, preset, sid) for sid, n in account.option_slots if sid and n)


def _live(book: opt.OptionBook) -> list:
    return [(sid, s) for sid, s in sorted(book.series.items()) if sid not in book.settled]


def array_leaf_inputs(sid, series_fields: Sequence, row: Sequence) -> list:
    """The inputs of a live series' array leaf in the committee's tree (`OptionFigures.leaves`:
    sid, tag 0, its risk array), built alike from ints (here) and circuit values (exit.py).
    One place to follow the tree's leaf format (a format that also holds the series' fields
    puts `*series_fields` after the tag)."""
    return [sid, 0, *row]


def figures_path(book: opt.OptionBook, preset: Preset, sid: int) -> tuple[tuple[int, ...], tuple[FiguresLevel, ...]]:
    """The live series `sid`'s risk array and its path to the commitment tree's root (the
    value whose `commit_root` is `book.figures_root`)."""
    fig = book.figures
    steps = tuple(mk.price_step for mk in preset.markets)
    live = _live(book)
    leaves = fig.leaves(live, steps)
    levels = opt.figures_levels(leaves)
    # the array leaf of sid: live series in id order, each its array then its corner rows
    index = sum(1 + len(fig.published_corners(t)) for i, t in live if i < sid)
    s = book.series[sid]
    row = fig.current_row(s, steps[s.market])
    assert leaves[index] == hash_fields(array_leaf_inputs(sid, s.fields(), row)), "the tree's array leaf format changed"
    path = []
    for d, level in enumerate(levels[:-1]):  # the fixed-depth tree: an empty subtree's hash past a level's end
        path.append(FiguresLevel(1, 0, index & 1, level[index ^ 1] if index ^ 1 < len(level) else opt.FIGURES_ZERO[d]))
        index >>= 1
    assert len(path) <= FIGURES_DEPTH
    path += [FiguresLevel(0, 0, 0, 0)] * (FIGURES_DEPTH - len(path))
    return row, tuple(path)


def walk_figures_path(leaf: int, path: Sequence[FiguresLevel]) -> int:
    """The root a figures path reaches from `leaf` (what the circuit computes)."""
    cur = leaf
    for lv in path:
        if not lv.present:
            continue
        cur = hash_fields([cur]) if lv.alone else \
            hash_fields([lv.sibling, cur] if lv.right else [cur, lv.sibling])
    return cur


EMPTY_FIGURES_PATH = (FiguresLevel(0, 0, 0, 0),) * FIGURES_DEPTH


def slot_opening(book: Optional[opt.OptionBook], preset: Preset, sid: int) -> SlotOpening:
    """The circuit's opening of one slot holding series `sid` (0: an empty slot)."""
    n_rows = opt.N_SCENARIOS
    if not sid:
        return SlotOpening((0,) * 5, 0, (0,) * opt.SERIES_DEPTH, (0,) * n_rows, EMPTY_FIGURES_PATH, 0)
    s = book.series[sid]
    code = book.settled[sid] + opt.SETTLED_FLAG if sid in book.settled else 0
    spath = tuple(opt.series_path(book, sid))
    if sid in book.settled:
        return SlotOpening(tuple(s.fields()), code, spath, (0,) * n_rows, EMPTY_FIGURES_PATH,
                           slot_value(book, preset, sid))
    row, fpath = figures_path(book, preset, sid)
    return SlotOpening(tuple(s.fields()), code, spath, tuple(row), fpath, row[0])


def figures_preimage(book: Optional[opt.OptionBook], preset: Preset) -> tuple[list[int], int]:
    """(round, timestamp, prices, vols, grid digest) and the tree root under the book's
    figures_root; zeros where the book has no figures yet (then no slot holds a series)."""
    m = preset.num_markets
    if book is None or book.figures is None:
        return [0] * (2 * m + 4), 0
    fig = book.figures
    inner = opt.figures_levels(fig.leaves(_live(book), tuple(mk.price_step for mk in preset.markets)))[-1][0]
    assert fig.commit_root(inner, fig.first_listing_id(book)) == book.figures_root
    return fig.preimage(book), inner


__all__ = ["FIGURES_DEPTH", "FiguresLevel", "SlotOpening", "slot_value", "option_exit_value", "array_leaf_inputs",
           "figures_path",
           "walk_figures_path", "slot_opening", "figures_preimage", "EMPTY_FIGURES_PATH"]
