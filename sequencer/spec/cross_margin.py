"""Margin of an account in the state: perpetuals (margin.py) and, on options presets, options (options.py).

The transition calls these, with the state, wherever it measures an account; on presets
without options (K = 0: `state.options is None`) each is exactly the margin.py function at
the batch prices, so nothing changes for them. On options presets:

- `total_value`: TV = C + perpetuals at the marks + options at their marks (settled ones at
  intrinsic value);
- `initial_surplus`: BPS * (TV - IR) at the batch figures, the initial grid (trades, withdrawals);
- `maintenance_surplus`: for an account holding options, the surplus over its minimal box (the
  figures' own corner: at most the rows' rounding slack below the marks' surplus,
  options.py: Error bounds), so that an account that is not liquidatable can always be boxed;
  otherwise margin.py's;
- `box_surplus`: the worst case over the account's box, from its cached rows (None: a slot the box
  has no row for);
- `choose_box`: the sequencer's box (a perpetual box and an `OptionBox`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from . import margin
from . import options as opt
from .state import Account, State


def _book(state: State):
    return state.options


def uses_options(state: State, account: Account) -> bool:
    return state.options is not None and opt.has_options(account)


def total_value(state: State, account: Account) -> int:
    tv = margin.total_value(account, state.preset, state.prices, state.funding)
    if state.options is not None and account.option_slots:
        tv += opt.option_value(account, state.preset, state.options, state.options.figures)
    return tv


def maintenance_surplus(state: State, account: Account) -> int:
    if uses_options(state, account):
        return opt.minimal_box_surplus(account, state.preset, state.options, state.options.figures, state.funding)
    return margin.maintenance_surplus(account, state.preset, state.prices, state.funding)


def marks_surplus(state: State, account: Account, grid: str = "maintenance") -> int:
    """BPS * (TV - requirement) at the batch's marks (what "above maintenance" means)."""
    if state.options is not None:
        return opt.marks_surplus(account, state.preset, state.options, state.options.figures, state.funding, grid)
    f = margin.maintenance_surplus if grid == "maintenance" else margin.initial_surplus
    return f(account, state.preset, state.prices, state.funding)


def initial_surplus(state: State, account: Account) -> int:
    if state.options is not None:
        return marks_surplus(state, account, "initial")
    return margin.initial_surplus(account, state.preset, state.prices, state.funding)


def box_surplus(state: State, account: Account, box=None) -> Optional[int]:
    """Min of the maintenance surplus over `box` (default: the account's own boxes)."""
    if state.options is None or not account.option_slots or not any(sid for sid, _ in account.option_slots):
        pbox = account.box if box is None else (box[0] if _is_pair(box) else box)
        return margin.box_surplus(account, state.preset, pbox)
    if box is None:
        return opt.box_surplus(account, state.preset, state.options)
    return opt.box_surplus(account, state.preset, state.options, box[0], box[1])


def _is_pair(box) -> bool:
    return len(box) == 2 and isinstance(box[1], opt.OptionBox)


def choose_box(state: State, account: Account, later: Sequence[Account] = ()):
    """The sequencer's box: a margin.py box on presets without options; on options presets a
    (perpetual box, OptionBox) pair (options.choose_box when the account holds series, else
    margin.choose_box and the full option box); None when none is safe."""
    p = state.preset
    if state.options is None:
        return margin.choose_box(account, p, state.prices, state.funding)
    if not any(sid for a in (account, *later) for sid, _ in a.option_slots):
        chosen = [margin.choose_box(a, p, state.prices, state.funding) for a in (account, *later)]
        if any(b is None for b in chosen):
            return None
        from . import box as boxes
        return boxes.intersect(chosen), opt.OptionBox.full(p.num_markets, p.option_slots)
    return opt.choose_box(account, p, state.options, state.options.figures, state.funding, later)


def rebox_checks(state: State, account: Account, chosen) -> Account:
    """Options presets: the account with the chosen (perpetual box, OptionBox) pair, after the
    checks a re-box makes (the circuit's): well formed, rows published by this round, safe
    everywhere in it. Raises OpRefused."""
    from . import box as boxes
    from .transition import require

    p = state.preset
    require(_is_pair(chosen), "malformed box")
    pbox, obox = chosen
    require(len(pbox) == p.num_markets and all(boxes.is_valid_market_box(b) for b in pbox), "malformed box")
    require(len(obox.vols) == p.num_markets and len(obox.rows) == p.option_slots
            and all(0 <= lo <= hi <= opt.VOL_MAX for lo, hi in obox.vols)
            and 0 <= obox.times[0] <= obox.times[1] <= opt.TIME_MAX, "malformed box")
    require(opt.check_published(account, p, state.options, state.options.figures, pbox, obox),
            "option box rows not published by this round")
    new = replace(account, box=tuple(tuple(b) for b in pbox), obox=obox)
    s = box_surplus(state, new)
    require(s is not None and s >= 0, "account not solvent in the chosen box")
    return new
