"""Safe boxes: per market a ladder interval of the mark price and an interval of the funding index.

A box for one market is `(lo, hi, flo, fhi)`: the mark price may range over ladder indices
`lo..hi` (GRID_BITS-bit unsigned) and the funding index over `flo..fhi` (FUNDING_BITS-bit
signed). An account's box is one such tuple per market. Inner tree nodes carry the
intersection of their children's boxes (`intersect`), so the root carries the intersection
of all of them; empty leaves carry `FULL`, the neutral element of the intersection.

In hashes a market's box is one field element (`pack`):

    lo + hi * 2^16 + (flo + 2^47) * 2^32 + (fhi + 2^47) * 2^80          (128 bits)

The circuit unpacks it with one 128-bit decomposition, which also range-checks all four.
"""
from __future__ import annotations

from typing import Sequence

from .constants import FUNDING_BITS, FUNDING_MAX, FUNDING_MIN, GRID_BITS, GRID_MAX

MarketBox = tuple[int, int, int, int]  # (lo, hi, flo, fhi)
Box = tuple[MarketBox, ...]  # one MarketBox per market

FULL_MARKET: MarketBox = (0, GRID_MAX, FUNDING_MIN, FUNDING_MAX)

_FUNDING_OFFSET = 1 << (FUNDING_BITS - 1)
_SHIFT_HI = GRID_BITS
_SHIFT_FLO = 2 * GRID_BITS
_SHIFT_FHI = 2 * GRID_BITS + FUNDING_BITS


def full(num_markets: int) -> Box:
    """The box of an empty leaf: every price and every funding index."""
    return (FULL_MARKET,) * num_markets


def point(grid_prices: Sequence[int], funding: Sequence[int]) -> Box:
    """The degenerate box holding exactly the given prices and funding indices."""
    return tuple((g, g, f, f) for g, f in zip(grid_prices, funding))


def is_valid_market_box(b: MarketBox) -> bool:
    lo, hi, flo, fhi = b
    return 0 <= lo <= GRID_MAX and 0 <= hi <= GRID_MAX and FUNDING_MIN <= flo <= FUNDING_MAX \
        and FUNDING_MIN <= fhi <= FUNDING_MAX


def intersect(boxes: Sequence[Box]) -> Box:
    """Per market and bound: the largest lower bound and the smallest upper bound.

    The result may be empty (lo > hi): then no price lies in it and no batch can be proved
    until the sequencer re-boxes the accounts that disagree."""
    first = boxes[0]
    out = []
    for j in range(len(first)):
        out.append((
            max(b[j][0] for b in boxes),
            min(b[j][1] for b in boxes),
            max(b[j][2] for b in boxes),
            min(b[j][3] for b in boxes),
        ))
    return tuple(out)


def contains(box: Box, grid_prices: Sequence[int], funding: Sequence[int]) -> bool:
    """Whether the prices (ladder indices) and funding indices lie inside `box`."""
    return all(lo <= g <= hi and flo <= f <= fhi
               for (lo, hi, flo, fhi), g, f in zip(box, grid_prices, funding))


def pack(b: MarketBox) -> int:
    """One market's box as one field element (see module docstring)."""
    lo, hi, flo, fhi = b
    assert is_valid_market_box(b)
    return lo | (hi << _SHIFT_HI) | ((flo + _FUNDING_OFFSET) << _SHIFT_FLO) \
        | ((fhi + _FUNDING_OFFSET) << _SHIFT_FHI)


def unpack(x: int) -> MarketBox:
    mask_g = (1 << GRID_BITS) - 1
    mask_f = (1 << FUNDING_BITS) - 1
    return (x & mask_g, (x >> _SHIFT_HI) & mask_g,
            ((x >> _SHIFT_FLO) & mask_f) - _FUNDING_OFFSET,
            ((x >> _SHIFT_FHI) & mask_f) - _FUNDING_OFFSET)


def pack_box(box: Box) -> list[int]:
    return [pack(b) for b in box]


# --- option boxes (options presets, `options.OptionBox`) ---------------------------------------------
# The vol and time bounds of an account's option box enter the tree's box commitments next to its
# market boxes, as one more packed element per leaf (`pack_option`):
#
#     vlo_0 + vhi_0 2^16 + vlo_1 2^32 + ... + t_lo 2^(32 M) + t_hi 2^(32 M + 40)      (32 M + 80 bits)
#
# so that the root's option box is the intersection of every account's (`tree`), as the root's box
# is for spot and funding. 32 M + 80 < 253 holds up to M = 5 markets on an options preset.
OPTION_VOL_BITS = 16  # = options.VOL_BITS
OPTION_TIME_BITS = 40  # = options.TIME_BITS
OPTION_VOL_MAX = (1 << OPTION_VOL_BITS) - 1
OPTION_TIME_MAX = (1 << OPTION_TIME_BITS) - 1
OptionBounds = tuple  # (vols: ((vlo, vhi),) * M, times: (t_lo, t_hi))


def option_bits(num_markets: int) -> int:
    """The width of a packed option box: 2 x 16 bits per market, 2 x 40 bits of time."""
    return 2 * OPTION_VOL_BITS * num_markets + 2 * OPTION_TIME_BITS


def option_widths(num_markets: int) -> list[int]:
    """The bit width of each bound of `option_flat`'s order."""
    return [OPTION_VOL_BITS] * (2 * num_markets) + [OPTION_TIME_BITS] * 2


def full_option(num_markets: int) -> OptionBounds:
    """The option box of an account without option risk (and of an empty leaf): every vol, every time."""
    return ((0, OPTION_VOL_MAX),) * num_markets, (0, OPTION_TIME_MAX)


def option_bounds(obox, num_markets: int) -> OptionBounds:
    """(vols, times) of an `options.OptionBox` (None: the full option box)."""
    return full_option(num_markets) if obox is None else (tuple(map(tuple, obox.vols)), tuple(obox.times))


def option_flat(bounds: OptionBounds) -> list[int]:
    """[vlo_0, vhi_0, ..., vlo_{M-1}, vhi_{M-1}, t_lo, t_hi]: lower bounds at even places."""
    vols, times = bounds
    return [x for pair in vols for x in pair] + list(times)


def option_from_flat(flat) -> OptionBounds:
    flat = [int(x) for x in flat]
    return tuple((flat[i], flat[i + 1]) for i in range(0, len(flat) - 2, 2)), (flat[-2], flat[-1])


def pack_option(bounds: OptionBounds) -> int:
    """One option box as one field element (see above)."""
    flat = option_flat(bounds)
    out, shift = 0, 0
    for x, w in zip(flat, option_widths(len(bounds[0]))):
        assert 0 <= x < (1 << w), "option box bound out of range"
        out |= x << shift
        shift += w
    return out


def unpack_option(x: int, num_markets: int) -> OptionBounds:
    flat, shift = [], 0
    for w in option_widths(num_markets):
        flat.append((x >> shift) & ((1 << w) - 1))
        shift += w
    return option_from_flat(flat)


def intersect_options(bounds: Sequence[OptionBounds]) -> OptionBounds:
    flats = [option_flat(b) for b in bounds]
    out = [max(f[i] for f in flats) if i % 2 == 0 else min(f[i] for f in flats) for i in range(len(flats[0]))]
    return option_from_flat(out)
