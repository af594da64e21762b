"""European options in the cross-margin account: series, the oracle's figures, the portfolio
margin, the option safe box (and why it is sound), expiry.

Everything here is integers, like the rest of the spec; the oracle committee's figures are
computed in floating point by the committee (`OptionFigures`, Black–Scholes of
`sequencer.risk.black_scholes`) and published rounded, in the direction stated below.

Series
------
A series (`Series`) is (market j, call or put, strike, expiry, smile): cash-settled in the
collateral, signed sizes in lots of market j (the perpetual's lot), listed by the oracle's
figures of a batch (`OptionFigures.listings`, ids 1, 2, ...; 0 is an empty slot). The strike is a
ladder index of market j (strike price = strike * price_step_j); `smile_bps` fixes the series'
vol relative to the market's published vol (sigma_series = sigma_j * smile_bps / BPS), so the
surface keeps its shape through one published number per market.

Expiry is an **oracle timestamp** (seconds), not a batch number: options expire at a calendar
time (the market's convention, e.g. Friday 08:00 UTC) and their value depends on the time left,
which the committee signs with every round; batches come at the sequencer's pace (a slow or
stalled sequencer would stall expiries, and a batch-number expiry would let the sequencer pick
the settlement moment by cutting batches). Oracle rounds never go back (`Oracle.sol`), so the
timestamps the spec sees never decrease (checked).

Leaf
----
K = `preset.option_slots` slots (series id, size) after the perpetuals, and one more field,
the digest of the account's option box (`OptionBox.digest`: vol bounds, time bounds and the
cached corner rows, below). K = 0 (every preset but the option presets) keeps the leaf as it
was. Fixed slots rather than a per-account subtree: the margin check of every write reads
every position of the account (it sums the scenario losses of all of them), so a subtree
would be opened whole at each write anyway, paying its inner hashes on top. Measured at
M = 4 (`python -m circuits.settlement.options_estimate`): the leaf hash grows by 516 / 573 /
678 / 885 constraints for K = 1 / 2 / 4 / 8 with fixed slots, by 297 / 798 / 1,800 / 3,804
with a subtree (K position leaves and K - 1 inner nodes hashed at every write). K = 4 is
the intended production value; the spec's test preset TINY_OPTIONS has K = 2.

The published grid (`GRID`, the risk module's grids in basis points)
-------------------------------------------------------------------
Scenario 0 is "now" (no move, no time passing). Scenarios 1..45 are the initial grid, row-major
(spot move a, vol move b), each `horizon` (1 day) later: a in -22.5, -15, -10, -5, 0, +5, +10,
+15, +22.5 %, b in -45, -30, 0, +30, +45 %. The maintenance grid is the subset a in
-15..+15 % (7), b in -30, 0, +30 % (3), plus scenario 0 (22 scenarios); the initial grid is all
46. Short-option floor: 0.5 % (maintenance) / 0.75 % (initial) of the spot per lot sold. The
batch's figures name the grid by its digest; a batch whose figures were computed on another
grid is refused.

Requirement at the batch figures (the "marks")
----------------------------------------------
The committee publishes per listed series a *risk array* for the round: its value per lot in
each of the 46 scenarios at the round's spot, vol and time (`OptionFigures.current_row`,
rounded to nearest; entry 0 is the series' mark). Per market j of an account, with n_i the
option sizes on j, Q_j the perpetual, P_j the mark price, a_s the scenario's spot move:

    W_j,s = BPS * sum_i n_i V_i,s + Q_j P_j (BPS + a_s) - BPS Q_j (F_j - f_j) + BPS * cash_j
    U_j   = min_s W_j,s  -  floor_bps * P_j * sum_{n_i < 0} |n_i|          (grid regime)

(cash_j: positions in settled series, at intrinsic value, the same in every scenario), and
the surplus is S = BPS * C + sum_j U_j; TV >= requirement <=> S >= 0, because for each market
TV_j - max(0, max_s L_j,s) = min(TV_j, min_s W_j,s) with L_j,s = TV_j - W_j,s the scenario loss
and TV_j = W_j,0. This is `sequencer.risk.margin`'s requirement in integers (tested to its
rounding: |spec - float| <= sum |n_i| + 1 collateral units per market, the published values'
rounding to nearest, 1/2 unit per lot each of V_0 and V_s).

A market enters the grid regime when the account holds a live option on it (nonzero size);
its perpetual then counts with its exact linear P&L in each scenario and hedges the options
scenario by scenario. Markets without options, and accounts holding only perpetuals, keep
today's linear requirement |Q| P m_j: the circuit's common write (perpetuals only) keeps its
cost (the grid is 22 comparisons of ~110 bits per market, ~2.4k constraints), the example
scenarios keep their numbers, and the grid's 15 % spot move applied to perpetuals alone would
triple BTC-T's 5 % and liquidate accounts that are safe today.

The option safe box, and why it is sound
-----------------------------------------
An option account's box is the perpetual box (per market: spot ladder interval [lo, hi],
funding interval, as in margin.py) plus an `OptionBox`: per option market a vol interval
[vlo, vhi] (vol index: basis points of annual vol) and one time interval [t_lo, t_hi] (oracle
timestamps). The batch proves its figures lie in the intersection of all boxes: the spot and
funding as today (tree.py), the vol index of each market and the round's timestamp in the
intersection of the option boxes (`root_option_box`; the tree carries it in its box commitments as
one more packed element per leaf, `box.pack_option`: 2 x 16-bit vol bounds per market and
2 x 40-bit times), and every settlement price recorded by the batch in the root's spot
range.

Monotonicity (Black–Scholes at rate 0, which the committee uses): a call's value is
nondecreasing in the spot and a put's nonincreasing; both are nondecreasing in the vol (vega
>= 0) and in the time to expiry (theta <= 0: value never rises as time passes at fixed spot
and vol); at expiry the value is the intrinsic value, continuously. Hence over a box, at
every scenario s (spot S (1 + a_s), vol sigma (1 + b_s), time t + h_s):

    a long  call is worth at least V(S = lo, sigma = vlo, t = t_hi)  (a put: S = hi)
    a short call costs  at most   V(S = hi, sigma = vhi, t = t_lo)   (a put: S = lo)

each evaluated at the scenario's moves. A series that may expire inside the box (t_hi >=
expiry) may instead be settled at a price P the batch recorded; P lies in the root spot range
(checked), hence in [lo, hi], so its value intrinsic(P) is at least intrinsic(lo) (call; put:
hi) for a long and at most intrinsic(hi) for a short, in every scenario: the row takes the min
(long) / max (short) of both bounds. These per-position bounds are *rows*: 22 values per lot,
one per scenario, per (series, side, corner), computed by the committee
(`OptionFigures.corner_row`). Summing n_i times the row of n_i's side per scenario, the
perpetual at its own worst end (lo for a long, hi for a short, with the funding corner of
margin.py), the floor at hi, and taking the min over scenarios per market gives

    box_surplus(account) <= S(figures)    for every figures (spot, funding, vol, time) in the box

because for each scenario each term of the box sum is <= the same term at the figures, and
min over scenarios preserves <=. Hedges still net inside each scenario (a short call and a
long perpetual in the same scenario), but each leg sits at its own end of the spot interval,
so a box costs about |delta| * (hi - lo) per leg on top of the requirement: the sequencer
trades box width for surplus. Write rule (what the circuit checks): box_surplus >= 0, so the
account is above maintenance at every figures in its box; writes keep the box; only a touch
(and a liquidated or forced-withdrawn account, and the fund's closing write) re-boxes.

Where rows come from, and the cost (constraints of the circuit's gadgets, circuits/settlement/
options.py, measured by `python -m circuits.settlement.options_estimate`). The committee publishes
per round, for every listed series, the current risk array (46 values) and the rows (the 22
maintenance scenarios) of the *published corner set* around the round's figures
(`published_corners`: spot ends at SPOT_OFFSETS_BPS of the mark, vol ends at VOL_OFFSETS_BPS of
the vol, t_lo = the round's time, t_hi = t_lo + one of HORIZONS_S): 5 x 3 x 6 = 90 corners per
side, 180 rows + 1 array per series; committed as a binary Poseidon Merkle tree of fixed depth
FIGURES_DEPTH = 13 (`figures_levels`: leaves in series order, empty leaves 0, so every path has
one length and one Poseidon(2) a level), whose root (`rows_root`) the committee signs with the
round's figures (`OptionFigures.commitment`; one field in the batch message and in Oracle.sol's
round: no per-series data on chain). A touch opens each slot's two rows against that root
(~4.5k constraints a row: its hash and a depth-13 path) and *caches* them in the leaf (the
OptionBox digest): a row is a value of a fixed function at fixed corners, true at every later
round, so writes that keep the box re-hash the cached rows (~2.1k a slot) instead of opening
them, and never need an old round's table. The batch opens, once, each live series' current
array and its two rows at the figures' own corner (the minimal box) into a figures table (18.5k
a series, its fields from the book's series tree included); writes pick their slots' series from
it by id (~400 a slot at 4 series). Per write that keeps its box, M = 4 markets (each may hold
options, so each has the grid's 22 range-checked scenario sums, ~2.5k a market), K = 1 / 2 / 4 /
8: +13.4k / 15.7k / 21.2k / 31.2k constraints; a touch +22.4k / 33.7k / 57.3k / 103.3k; an
option trade's side (kept-box write, the initial grid at the marks and the maintenance fallback)
+50.0k / 57.9k / 74.7k / 106.9k with its slots' arrays opened, less with them picked from the
table (what the batch circuit does). Alternatives, per write: opening the rows at every
write instead of caching them, 2K x 4,499 (36k at K = 4); Black–Scholes in the circuit (a
fixed-point exp, log, square root and two normal CDFs, each a few range-checked products:
thousands of constraints an evaluation, 22 evaluations per position per write: ~100k per
position) and with it a proof that the fixed-point formula is monotone; publishing every
series' figures in the batch's calldata (46 values x series per batch, ~1.5 KB per series
hashed by the contract's SHA-256 and by the circuit's: ~30k constraints per 64 bytes).

Time costs touches: a box's time interval ends, so every option holder is touched at least once
per horizon (at most 30 days) whatever happens to prices; longer horizons cost a long option
the theta of the horizon, and cost a short nothing (its rows sit at t_lo), so the sequencer
gives short books the longest one. Amortized, N option holders cost at most N / (30 days of
batches) touches per batch at the longest horizon.

Error bounds. Rows are rounded conservatively: long rows down, short rows up, by
ROW_SLACK_UNITS = 1 unit plus 1e-9 of (S' + K) per lot beyond the float value (the committee's
float Black–Scholes is within ~1e-15 S of the exact value, black_scholes.py); current arrays are
rounded to nearest. So a long row <= exact value at the corner - 1 <= exact value at the
figures - 1 < published mark, and symmetrically for shorts: the inequality above holds exactly
in integers, not up to rounding (tested with hypothesis, `tests/sequencer/test_spec_options.py`).
No interpolation: box ends are ladder points and rows are evaluated exactly there. The slack
costs at most ~1.5 units per lot per position and scenario, so an account within that of its
maintenance requirement cannot be boxed: for option accounts "below maintenance" (touch
refused, liquidation allowed) is therefore measured on the *minimal box* (the figures'
own corner, horizon 0; `maintenance_surplus`), at most that slack above the marks' surplus.

Expiry
------
The first batch whose oracle timestamp reaches a series' expiry must record its settlement
price (`OptionFigures.settlements`, a ladder index in the root spot range); from then on the
series is settled (`OptionBook.settled`), no one trades it, positions in it count as cash at
intrinsic value (margin, liquidation, exits), and each holder's position is closed into
collateral on its next write or touch (`close_settled`, like funding: slots cannot close every
holder in one batch). Sum of sizes per series is 0, so closing conserves collateral.

Trust: the rows and arrays are the committee's, as the prices are: a quorum that signs
wrong values can misstate margins as it can misstate prices (README: oracle honesty). What
the spec adds to the committee's signed round is one commitment (`OptionFigures.commitment`)
over the figures; the batch message binding it is the next session's (with the circuit).

Interest is 0 in every formula here (crypto collateral: the committee prices on the
perpetual's mark with Black-76 at r = 0, which equals Black–Scholes at r = 0); theta <= 0 needs it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import product
from typing import Optional, Sequence

import numpy as np

from .constants import BPS, FIELD_MODULUS, FUNDING_MAX, FUNDING_MIN, GRID_MAX, POSITION_BITS, PRICE_BITS
from .hashing import hash_fields

# --- widths --------------------------------------------------------------------------------
SERIES_BITS = 16  # series id (0 = empty slot)
VOL_BITS = 16  # vol index: basis points of annual vol (6000 = 60 %), 1..VOL_MAX
VOL_MAX = (1 << VOL_BITS) - 1
TIME_BITS = 40  # oracle timestamps, seconds
from .box import OPTION_TIME_BITS as _TB, OPTION_VOL_BITS as _VB  # the tree packs option boxes (box.pack_option)
assert (_VB, _TB) == (VOL_BITS, TIME_BITS)
TIME_MAX = (1 << TIME_BITS) - 1
VALUE_BITS = PRICE_BITS + 1  # an option value per lot: <= max(spot x 1.225, strike) < 2^49
SECONDS_PER_YEAR = 365 * 86400  # ACT/365, the risk module's year
MAX_OPTION_SLOTS = 16
# |BPS n V| < 2^(14 + 39 + 49); K + 2 such terms per market, 16 markets: |S| < 2^(102 + 5 + 4 + 1)
OPTION_MARGIN_BITS = 14 + (POSITION_BITS - 1) + VALUE_BITS + 5 + 4 + 2
assert OPTION_MARGIN_BITS < 250 and (1 << OPTION_MARGIN_BITS) < FIELD_MODULUS

# --- the published corner set -----------------------------------------------------------------
SPOT_OFFSETS_BPS = (0, 100, 250, 500, 1000)  # box spot ends: mark x (1 -/+ o), rounded outward to the ladder
VOL_OFFSETS_BPS = (0, 1000, 2500)  # box vol ends: vol x (1 -/+ o), rounded outward
HORIZONS_S = (0, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)  # box time: [t, t + H]
FUNDING_ROOM = 4  # the box's funding interval: F -/+ 4 x max_funding_delta (four funding updates)
ROW_SLACK_UNITS = 1  # rows' conservative rounding: this plus 1e-9 of (S' + K), per lot
ROW_SLACK_REL = 1e-9


# --- the grid ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionGrid:
    """The published scenario grid in integers (module docstring)."""

    spot_moves_bps: tuple[int, ...]  # initial grid's spot moves (contains the maintenance ones)
    vol_moves_bps: tuple[int, ...]
    maintenance_spot_moves_bps: tuple[int, ...]
    maintenance_vol_moves_bps: tuple[int, ...]
    horizon_s: int
    maintenance_floor_bps: int
    initial_floor_bps: int

    def __post_init__(self):
        assert set(self.maintenance_spot_moves_bps) <= set(self.spot_moves_bps)
        assert set(self.maintenance_vol_moves_bps) <= set(self.vol_moves_bps)
        assert all(-BPS < x for x in self.spot_moves_bps + self.vol_moves_bps)

    def scenarios(self) -> tuple[tuple[int, int, int], ...]:
        """(spot move bps, vol move bps, seconds later) per scenario; 0 is now."""
        return ((0, 0, 0),) + tuple((a, b, self.horizon_s) for a in self.spot_moves_bps for b in self.vol_moves_bps)

    def indices(self, grid: str) -> tuple[int, ...]:
        """The scenarios of the maintenance or the initial grid (both include 0, now)."""
        if grid == "initial":
            return tuple(range(len(self.scenarios())))
        assert grid == "maintenance"
        return (0,) + tuple(1 + i for i, (a, b) in enumerate(product(self.spot_moves_bps, self.vol_moves_bps))
                            if a in self.maintenance_spot_moves_bps and b in self.maintenance_vol_moves_bps)

    def floor_bps(self, grid: str) -> int:
        return self.initial_floor_bps if grid == "initial" else self.maintenance_floor_bps

    def digest(self) -> int:
        return hash_fields([len(self.spot_moves_bps), *[a + BPS for a in self.spot_moves_bps],
                            len(self.vol_moves_bps), *[b + BPS for b in self.vol_moves_bps],
                            len(self.maintenance_spot_moves_bps), *[a + BPS for a in self.maintenance_spot_moves_bps],
                            len(self.maintenance_vol_moves_bps), *[b + BPS for b in self.maintenance_vol_moves_bps],
                            self.horizon_s, self.maintenance_floor_bps, self.initial_floor_bps])


def _grid_from_risk() -> OptionGrid:
    """The risk module's published grids (sequencer/risk/margin.py) in basis points and seconds."""
    from sequencer.risk.margin import INITIAL_GRID, MAINTENANCE_GRID

    def bps(x: float) -> int:
        out = round(x * BPS)
        assert abs(out - x * BPS) < 1e-6
        return out

    assert MAINTENANCE_GRID.horizon_years == INITIAL_GRID.horizon_years
    horizon = round(MAINTENANCE_GRID.horizon_years * SECONDS_PER_YEAR)
    assert abs(horizon - MAINTENANCE_GRID.horizon_years * SECONDS_PER_YEAR) < 1e-6
    return OptionGrid(spot_moves_bps=tuple(bps(a) for a in INITIAL_GRID.spot_moves),
                      vol_moves_bps=tuple(bps(b) for b in INITIAL_GRID.vol_moves),
                      maintenance_spot_moves_bps=tuple(bps(a) for a in MAINTENANCE_GRID.spot_moves),
                      maintenance_vol_moves_bps=tuple(bps(b) for b in MAINTENANCE_GRID.vol_moves),
                      horizon_s=horizon, maintenance_floor_bps=bps(MAINTENANCE_GRID.short_option_floor),
                      initial_floor_bps=bps(INITIAL_GRID.short_option_floor))


GRID = _grid_from_risk()  # THE published grid
SCENARIOS = GRID.scenarios()
N_SCENARIOS = len(SCENARIOS)  # 46
MAINTENANCE = GRID.indices("maintenance")  # a corner row's scenarios, in this order
assert N_SCENARIOS == 46 and len(MAINTENANCE) == 22


# --- series --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    market: int
    is_call: bool
    strike: int  # ladder index of the market: strike price = strike * price_step
    expiry: int  # oracle timestamp, seconds
    smile_bps: int = BPS  # the series' vol = market vol x smile_bps / BPS

    def fields(self) -> list[int]:
        return [self.market, int(self.is_call), self.strike, self.expiry, self.smile_bps]

    def valid(self, num_markets: int) -> bool:
        return 0 <= self.market < num_markets and 0 < self.strike <= GRID_MAX and 0 <= self.expiry <= TIME_MAX \
            and 0 < self.smile_bps < (1 << 16)


def intrinsic(series: Series, price_step: int, g: int) -> int:
    """Intrinsic value per lot at ladder price g (collateral units)."""
    s, k = g * price_step, series.strike * price_step
    return max(s - k, 0) if series.is_call else max(k - s, 0)


# --- the oracle's figures ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Corner:
    """A box corner of one series and side: the spot end g, the vol end v, the box's times."""

    side: int  # +1 long, -1 short
    g: int
    v: int
    t_lo: int
    t_hi: int


def _value_rows(series: Series, price_step: int, g: int, v: int, t: int, rounding: str,
                settle_g: Optional[int] = None) -> tuple[int, ...]:
    """The committee's computation: per scenario the Black–Scholes value per lot (rate 0) at spot
    g*step*(1+a), vol v*smile*(1+b), time t + h; `settle_g`: the min (long) / max (short) with the
    intrinsic value at that ladder price (a settlement the box may contain). `rounding`: "nearest",
    "down" (long rows) or "up" (short rows), the latter with ROW_SLACK beyond the float value."""
    from sequencer.risk.black_scholes import bs_price

    s0, k = g * price_step, series.strike * price_step
    sigma = v / BPS * series.smile_bps / BPS
    a = np.array([sc[0] for sc in SCENARIOS], dtype=float)
    b = np.array([sc[1] for sc in SCENARIOS], dtype=float)
    h = np.array([sc[2] for sc in SCENARIOS], dtype=float)
    spot = s0 * (1.0 + a / BPS)
    years = (series.expiry - t - h) / SECONDS_PER_YEAR
    with np.errstate(all="ignore"):
        vals = bs_price(series.is_call, np.maximum(spot, 1e-300), float(k), years, 0.0,
                        np.maximum(sigma * (1.0 + b / BPS), 1e-12))
    # at spot 0 a call is worthless and a put is worth K
    vals = np.where(spot > 0, vals, 0.0 if series.is_call else float(k))
    out = []
    for x, sp in zip(vals.tolist(), spot.tolist()):
        slack = ROW_SLACK_UNITS + ROW_SLACK_REL * (sp + k)
        if rounding == "nearest":
            y = int(math.floor(x + 0.5))
        elif rounding == "down":
            y = max(0, int(math.floor(x - slack)))
            if settle_g is not None:
                y = min(y, intrinsic(series, price_step, settle_g))
        else:
            y = int(math.ceil(x + slack))
            if settle_g is not None:
                y = max(y, intrinsic(series, price_step, settle_g))
        out.append(max(0, y))
    assert all(y < (1 << VALUE_BITS) for y in out)
    return tuple(out)


@lru_cache(maxsize=1 << 16)
def corner_row(series: Series, price_step: int, corner: Corner) -> tuple[int, ...]:
    """The row of `series` at `corner` (module docstring): per scenario a bound of the value per
    lot over the box, valid at every later round: a long's lower bound, a short's upper bound."""
    t = corner.t_hi if corner.side > 0 else corner.t_lo
    settle = corner.g if corner.t_hi >= series.expiry else None
    values = _value_rows(series, price_step, corner.g, corner.v, t, "down" if corner.side > 0 else "up", settle)
    return tuple(values[s] for s in MAINTENANCE)  # the box needs the maintenance scenarios only


def row_corner(series: Series, side: int, box_market: tuple, vol: tuple[int, int], times: tuple[int, int]) -> Corner:
    """The corner of a position of `side` in `series`: spot end by type and side, vol end by side."""
    lo, hi = box_market[0], box_market[1]
    long_low_end = series.is_call  # a long call is worst at lo, a long put at hi
    if side > 0:
        g = lo if long_low_end else hi
        v = vol[0]
    else:
        g = hi if long_low_end else lo
        v = vol[1]
    return Corner(side, g, v, times[0], times[1])


def _round_out(x: int, offset_bps: int, up: bool, top: int) -> int:
    if up:
        return min(top, -(-x * (BPS + offset_bps) // BPS))
    return max(0, x * (BPS - offset_bps) // BPS)


@dataclass(frozen=True)
class OptionFigures:
    """What the committee publishes for options with an oracle round (the batch's round).

    `vols`: vol index per market (basis points of annual vol; 0 for a market without options);
    `listings`: series listed from this round on (ids continue the book's); `settlements`:
    (series id, ladder price) for every listed series whose expiry this round's timestamp
    reached and that is not settled yet; `grid_digest`: the grid the rows were computed on.
    The current arrays and the corner rows are functions of these figures (`current_row`,
    `corner_row`); the committee commits to them all (`commitment`)."""

    round: int
    timestamp: int
    prices: tuple[int, ...]  # the round's mark prices (ladder indices), the batch's prices
    vols: tuple[int, ...]
    listings: tuple[Series, ...] = ()
    settlements: tuple[tuple[int, int], ...] = ()
    grid_digest: int = field(default_factory=lambda: GRID.digest())

    def current_row(self, series: Series, price_step: int) -> tuple[int, ...]:
        """The series' risk array at this round: 46 values per lot, rounded to nearest; [0] is its mark."""
        return _current_row(series, price_step, self.prices[series.market], self.vols[series.market], self.timestamp)

    def market_box(self, market: int, spot_offset_bps: int, vol_offset_bps: int) -> tuple[tuple, tuple]:
        g, v = self.prices[market], self.vols[market]
        return ((_round_out(g, spot_offset_bps, False, GRID_MAX), _round_out(g, spot_offset_bps, True, GRID_MAX)),
                (max(1, _round_out(v, vol_offset_bps, False, VOL_MAX)), _round_out(v, vol_offset_bps, True, VOL_MAX)))

    def published_corners(self, series: Series) -> set[Corner]:
        """The corner set whose rows the committee publishes for `series` at this round."""
        out = set()
        for so, vo, h in product(SPOT_OFFSETS_BPS, VOL_OFFSETS_BPS, HORIZONS_S):
            (lo, hi), (vlo, vhi) = self.market_box(series.market, so, vo)
            times = (self.timestamp, min(TIME_MAX, self.timestamp + h))
            for side in (1, -1):
                out.add(row_corner(series, side, (lo, hi), (vlo, vhi), times))
        return out

    def published_row(self, series: Series, price_step: int, corner: Corner) -> Optional[tuple[int, ...]]:
        """The row at `corner` if this round publishes it, else None."""
        if corner not in self.published_corners(series):
            return None
        return corner_row(series, price_step, corner)

    def events_digest(self, first_id: int) -> int:
        """The round's listings and settlements, as the committee signs them (`commit_root`):
        hash_fields([listings chain, settlements chain]), each chain h = hash_fields([h, ...])
        from 0 in order, over (id, *series.fields()) per listing (ids first_id, first_id + 1,
        ...: the book's next ones) and (id, ladder price) per settlement. So the series the
        batch lists and the settlement prices it records are the oracle's (the batch circuit
        recomputes it, circuits/settlement/option_state.py)."""
        listed = 0
        for i, s in enumerate(self.listings):
            listed = hash_fields([listed, first_id + i, *s.fields()])
        settled = 0
        for sid, g in self.settlements:
            settled = hash_fields([settled, sid, g])
        return hash_fields([listed, settled])

    def first_listing_id(self, book: "OptionBook") -> int:
        """The id of this round's first listing, from the book after the round (ids go in order)."""
        return len(book.series) - len(self.listings) + 1

    def preimage(self, book: "OptionBook") -> list[int]:
        """`commit_root`'s scalars: round, timestamp, prices, vols, grid digest, events digest
        (`book`: the book after this round)."""
        return [self.round, self.timestamp, *self.prices, *self.vols, self.grid_digest,
                self.events_digest(self.first_listing_id(book))]

    def commitment(self, book: "OptionBook", preset) -> int:
        """The Merkle root the committee signs: every published row and array of every live
        series, keyed (series id, side, corner) (a binary Poseidon tree of fixed depth over the sorted leaves,
        `figures_levels`)."""
        live = tuple((sid, s) for sid, s in sorted(book.series.items()) if sid not in book.settled)
        return _commitment(self, live, tuple(mk.price_step for mk in preset.markets), self.first_listing_id(book))

    def commit_root(self, inner_root: int, first_id: int) -> int:
        """The signed commitment from the leaves' tree root: the round's scalars, the grid and the
        round's listings and settlements (`events_digest`; `first_id`: `first_listing_id`) around it."""
        return hash_fields([self.round, self.timestamp, *self.prices, *self.vols, self.grid_digest,
                            self.events_digest(first_id), inner_root])

    def rows_root(self, book: "OptionBook", preset) -> int:
        """The root of the committee's tree of arrays and rows (`leaves`, `figures_levels`)."""
        live = tuple((sid, s) for sid, s in sorted(book.series.items()) if sid not in book.settled)
        return _keyed_tree(self, live, tuple(mk.price_step for mk in preset.markets))[1][-1][0]

    def opening(self, book: "OptionBook", preset, key: tuple) -> tuple[int, tuple[int, ...]]:
        """(leaf index, siblings from the leaf up) of the leaf keyed `key` in the committee's tree:
        (sid, 0) a series' current array, (sid, side + 1, g, v, t_lo, t_hi) a corner row."""
        live = tuple((sid, s) for sid, s in sorted(book.series.items()) if sid not in book.settled)
        steps = tuple(mk.price_step for mk in preset.markets)
        keys, levels = _keyed_tree(self, live, steps)
        index = keys[key]
        return index, figures_path(levels, index)

    def leaves(self, live: Sequence[tuple[int, "Series"]], steps: Sequence[int]) -> list[int]:
        """The tree's leaves in order: per live series (by id) its current array (tag 0), then its
        corner rows (tag side + 1) sorted by (side, g, v, t_hi)."""
        leaves = []
        for sid, series in live:
            step = steps[series.market]
            leaves.append(hash_fields([sid, 0, *self.current_row(series, step)]))
            for c in sorted(self.published_corners(series), key=lambda c: (c.side, c.g, c.v, c.t_hi)):
                leaves.append(hash_fields([sid, c.side + 1, c.g, c.v, c.t_lo, c.t_hi, *corner_row(series, step, c)]))
        return leaves


FIGURES_DEPTH = 13  # the committee's tree: 2^13 leaves, 45 live series at 181 leaves each


def _zero_hashes() -> list[int]:
    out = [0]
    for _ in range(FIGURES_DEPTH):
        out.append(hash_fields([out[-1], out[-1]]))
    return out


FIGURES_ZERO = _zero_hashes()  # the hash of an empty subtree per level (an empty leaf is 0)


def figures_levels(leaves: Sequence[int]) -> list[list[int]]:
    """The commitment's tree, leaves first, root last: a binary Poseidon tree of fixed depth
    FIGURES_DEPTH whose leaves past `leaves` are 0; each level holds its nonempty prefix (a
    node past it is the empty subtree's hash, FIGURES_ZERO[level]). Fixed depth: every path
    the circuit opens has FIGURES_DEPTH levels of one Poseidon(2) each."""
    assert len(leaves) <= 1 << FIGURES_DEPTH, "more published figures than the figures tree holds"
    levels = [list(leaves)]
    for d in range(FIGURES_DEPTH):
        cur = levels[-1]
        nxt = [hash_fields([cur[i], cur[i + 1] if i + 1 < len(cur) else FIGURES_ZERO[d]]) for i in range(0, len(cur), 2)]
        levels.append(nxt or [FIGURES_ZERO[d + 1]])
    return levels


def figures_path(levels: Sequence[Sequence[int]], index: int) -> tuple[int, ...]:
    """The siblings of leaf `index` from the leaf up (FIGURES_DEPTH of them)."""
    out = []
    for d in range(FIGURES_DEPTH):
        level = levels[d]
        out.append(level[index ^ 1] if (index ^ 1) < len(level) else FIGURES_ZERO[d])
        index >>= 1
    return tuple(out)


@lru_cache(maxsize=16)
def _keyed_tree(fig: "OptionFigures", live: tuple, steps: tuple) -> tuple[dict, list]:
    """({leaf key: index}, the tree's levels) in `OptionFigures.leaves`' order."""
    keys = {}
    for sid, series in live:
        keys[(sid, 0)] = len(keys)
        for c in sorted(fig.published_corners(series), key=lambda c: (c.side, c.g, c.v, c.t_hi)):
            keys[(sid, c.side + 1, c.g, c.v, c.t_lo, c.t_hi)] = len(keys)
    return keys, figures_levels(fig.leaves(live, steps))


@lru_cache(maxsize=64)
def _commitment(fig: "OptionFigures", live: tuple, steps: tuple, first_id: int) -> int:
    return fig.commit_root(figures_levels(fig.leaves(live, steps))[-1][0], first_id)


@lru_cache(maxsize=1 << 14)
def _current_row(series: Series, price_step: int, g: int, v: int, t: int) -> tuple[int, ...]:
    return _value_rows(series, price_step, g, v, t, "nearest")


# --- the book: listed series, settlements, the current figures ------------------------------
@dataclass(frozen=True)
class OptionBook:
    """The state's options globals (immutable: the batch journal restores it whole)."""

    steps: tuple[int, ...]  # price_step per market (the preset's)
    series: dict  # id -> Series (ids 1, 2, ...)
    settled: dict  # id -> settlement ladder price
    timestamp: int = 0  # the last batch's oracle timestamp
    vols: tuple[int, ...] = ()
    figures: Optional[OptionFigures] = None  # the current batch's (None between batches in a fresh state)
    figures_root: int = 0  # the last batch's `figures.commitment` (the batch message's figuresRoot)

    def digest(self) -> int:
        """Bound in the state root's globals: Poseidon(timestamp, vols, series root, figures root).

        The series root is a sparse Merkle tree of depth SERIES_BITS keyed by series id
        (`series_root`), so that an exit (and a batch that settles a series) opens one series
        with SERIES_BITS hashes; the figures root is the last round's committee commitment, so
        that an exit after a freeze opens a live series' mark from it (circuits/settlement/exit.py)."""
        return hash_fields([self.timestamp, *self.vols, series_root(self), self.figures_root])

    def series_leaf(self, sid: int) -> int:
        """Poseidon(sid, series fields, settlement code): code = price + 2^20 once settled, else 0."""
        s = self.series[sid]
        return hash_fields([sid, *s.fields(), self.settled.get(sid, 0) + SETTLED_FLAG * (sid in self.settled)])

    def live(self, sid: int) -> bool:
        return sid in self.series and sid not in self.settled


SETTLED_FLAG = 1 << 20  # a series leaf's settlement code: ladder price + SETTLED_FLAG once settled
SERIES_DEPTH = SERIES_BITS  # the series tree: leaf index = series id (0 never used), empty leaf 0


@lru_cache(maxsize=None)
def _empty_series_hashes() -> tuple[int, ...]:
    out = [0]
    for _ in range(SERIES_DEPTH):
        out.append(hash_fields([out[-1], out[-1]]))
    return tuple(out)


def series_root(book: OptionBook) -> int:
    """The root of the book's series tree (binary Poseidon, depth SERIES_DEPTH, leaf = series_leaf)."""
    return _series_root(tuple((sid, book.series_leaf(sid)) for sid in sorted(book.series)))


@lru_cache(maxsize=256)
def _series_root(leaves: tuple) -> int:
    return _series_nodes(leaves)[SERIES_DEPTH][0]


def _series_nodes(leaves: tuple) -> list[dict]:
    empty = _empty_series_hashes()
    level = dict(leaves)
    out = [level]
    for d in range(SERIES_DEPTH):
        up = {}
        for i in {i >> 1 for i in level}:
            up[i] = hash_fields([level.get(2 * i, empty[d]), level.get(2 * i + 1, empty[d])])
        level = up
        out.append(level)
    if not level:
        out[-1] = {0: empty[SERIES_DEPTH]}
    return out


def series_path(book: OptionBook, sid: int) -> list[int]:
    """The siblings of series `sid`'s leaf, bottom up (its position bits are sid's, LSB first)."""
    nodes = _series_nodes(tuple((i, book.series_leaf(i)) for i in sorted(book.series)))
    empty = _empty_series_hashes()
    return [nodes[d].get((sid >> d) ^ 1, empty[d]) for d in range(SERIES_DEPTH)]


def empty_book(preset) -> OptionBook:
    return OptionBook(steps=tuple(mk.price_step for mk in preset.markets), series={}, settled={}, timestamp=0,
                      vols=(0,) * preset.num_markets)


# --- the account's option box ------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionBox:
    """Vol intervals per market, one time interval, and the cached rows per slot (long, short);
    a slot without rows has None. `full()` holds every figure (no option risk)."""

    vols: tuple[tuple[int, int], ...]
    times: tuple[int, int]
    rows: tuple  # per slot: None or (series id, long row, short row)

    @classmethod
    def full(cls, num_markets: int, slots: int) -> "OptionBox":
        return cls(vols=((0, VOL_MAX),) * num_markets, times=(0, TIME_MAX), rows=(None,) * slots)

    def digest(self) -> int:
        """hash_fields([pack_option(vols, times), per slot its rows' hash (0 without rows)]): the
        packed bounds are the tree's option box element of the leaf (`box.pack_option`)."""
        from .box import pack_option

        return hash_fields([pack_option((self.vols, self.times)), *self.row_hashes()])

    def row_hashes(self) -> list[int]:
        """Per slot hash_fields([series id, *long row, *short row]), 0 for a slot without rows."""
        return [0 if r is None else hash_fields([r[0], *r[1], *r[2]]) for r in self.rows]

    def contains(self, vols: Sequence[int], timestamp: int) -> bool:
        return all(lo <= v <= hi for (lo, hi), v in zip(self.vols, vols)) \
            and self.times[0] <= timestamp <= self.times[1]


def intersect_option_boxes(boxes_: Sequence[OptionBox], num_markets: int) -> tuple:
    vols = [(0, VOL_MAX)] * num_markets
    t_lo, t_hi = 0, TIME_MAX
    for b in boxes_:
        vols = [(max(a[0], c[0]), min(a[1], c[1])) for a, c in zip(vols, b.vols)]
        t_lo, t_hi = max(t_lo, b.times[0]), min(t_hi, b.times[1])
    return tuple(vols), (t_lo, t_hi)


# --- margin -----------------------------------------------------------------------------------------------
def _slots_by_market(account, book: OptionBook):
    """Per market: the live option slots (index, series, size) with nonzero size, and the cash of
    the settled ones (intrinsic value at the settlement price), collateral units."""
    live = {}
    cash = {}
    for k, (sid, n) in enumerate(account.option_slots):
        if sid == 0 or n == 0:
            continue
        s = book.series[sid]
        if sid in book.settled:
            cash[s.market] = cash.get(s.market, 0) + n * settled_value(book, sid)
        else:
            live.setdefault(s.market, []).append((k, s, n))
    return live, cash


def settled_value(book: OptionBook, sid: int) -> int:
    """A settled series' value per lot: intrinsic value at its settlement price."""
    s = book.series[sid]
    return intrinsic(s, book.steps[s.market], book.settled[sid])


def _perp_term(mk, q, f, g, big_f, m_bps) -> int:
    p = mk.mark_price(g)
    return BPS * (q * p - q * (big_f - f)) - abs(q) * p * m_bps


def marks_surplus(account, preset, book: OptionBook, figures: OptionFigures, funding: Sequence[int],
                  grid: str = "maintenance") -> int:
    """S = BPS * TV - BPS * requirement at the batch's figures (module docstring), the marks'
    arrays rounded to nearest; `grid` "maintenance" or "initial"."""
    live, cash = _slots_by_market(account, book)
    idx = GRID.indices(grid)
    factor = "maintenance_bps" if grid == "maintenance" else "initial_bps"
    out = BPS * account.collateral
    for j, (mk, q, f, big_f) in enumerate(zip(preset.markets, account.positions, account.snapshots, funding)):
        g = figures.prices[j]
        out += BPS * cash.get(j, 0)
        if j not in live:
            out += _perp_term(mk, q, f, g, big_f, getattr(mk, factor))
            continue
        p = mk.mark_price(g)
        rows = [(n, figures.current_row(s, mk.price_step)) for _, s, n in live[j]]
        worst = min(sum(BPS * n * r[s] for n, r in rows) + q * p * (BPS + SCENARIOS[s][0]) for s in idx)
        short = sum(-n for _, _, n in live[j] if n < 0)
        out += worst - BPS * q * (big_f - f) - GRID.floor_bps(grid) * p * short
    return out


def option_value(account, preset, book: OptionBook, figures: OptionFigures) -> int:
    """sum n V at the marks (live series) plus the settled positions' cash, collateral units."""
    live, cash = _slots_by_market(account, book)
    total = sum(cash.values())
    for j, positions in live.items():
        step = preset.markets[j].price_step
        total += sum(n * figures.current_row(s, step)[0] for _, s, n in positions)
    return total


def box_surplus(account, preset, book: OptionBook, box=None, obox: Optional[OptionBox] = None) -> Optional[int]:
    """min of the maintenance surplus over the account's box (perpetual box x option box), from the
    cached rows (module docstring); None when a live slot has no row for its series and side
    (the box does not cover it: a touch must re-box). Settled slots count as their cash."""
    box = account.box if box is None else box
    obox = account.obox if obox is None else obox
    live, cash = _slots_by_market(account, book)
    idx = MAINTENANCE
    out = BPS * account.collateral
    for j, (mk, q, f, (lo, hi, flo, fhi)) in enumerate(zip(preset.markets, account.positions, account.snapshots, box)):
        out += BPS * cash.get(j, 0)
        g = lo if q > 0 else hi
        big_f = fhi if q > 0 else flo
        if j not in live:
            out += _perp_term(mk, q, f, g, big_f, mk.maintenance_bps)
            continue
        rows = []
        for k, s, n in live[j]:
            cached = obox.rows[k] if obox is not None and k < len(obox.rows) else None
            if cached is None or cached[0] != account.option_slots[k][0]:
                return None
            rows.append((n, cached[1] if n > 0 else cached[2]))
        p = mk.mark_price(g)
        worst = min(sum(BPS * n * r[i] for n, r in rows) + q * p * (BPS + SCENARIOS[s][0])
                    for i, s in enumerate(idx))
        short = sum(-n for _, _, n in live[j] if n < 0)
        out += worst - BPS * q * (big_f - f) - GRID.maintenance_floor_bps * mk.mark_price(hi) * short
    return out


def has_options(account) -> bool:
    """The account holds a nonzero option position (live or settled, not yet closed)."""
    return any(sid and n for sid, n in account.option_slots)


# --- boxes the committee publishes rows for -------------------------------------------------------------
def make_box(account, preset, book: OptionBook, figures: OptionFigures, funding: Sequence[int],
             spot_offset_bps: int, vol_offset_bps: int, horizon_s: int, later: Sequence = ()):
    """(perpetual box, option box) of the published corner set: markets with a position (now or
    in a `later` state) or a slot get spot ends at the offset and (option markets) vol ends; time
    [t, t + horizon]; rows for every slot holding a live series. None if a slot holds a settled
    series (close first)."""
    from . import box as boxes

    m = preset.num_markets
    # the slots that need rows: a position now or in a later state (a reserved slot, series
    # with no position, gets none: the touch before its first trade gives it its rows)
    used = [bool(sid) and any(a.option_slots[k][1] for a in (account, *later)
                              if a.option_slots[k][0] == sid)
            for k, (sid, _) in enumerate(account.option_slots)]
    slot_markets = {}
    for (sid, n), use in zip(account.option_slots, used):
        if use:
            if not book.live(sid):
                return None
            slot_markets[book.series[sid].market] = True
    pbox, vols = [], []
    held = [any(a.positions[j] for a in (account, *later)) for j in range(m)]
    for j, (mk, q, big_f) in enumerate(zip(preset.markets, held, funding)):
        (lo, hi), (vlo, vhi) = figures.market_box(j, spot_offset_bps, vol_offset_bps)
        if not q and j not in slot_markets:
            pbox.append(boxes.FULL_MARKET)
        elif not q:
            pbox.append((lo, hi, FUNDING_MIN, FUNDING_MAX))
        else:
            d = FUNDING_ROOM * mk.max_funding_delta
            pbox.append((lo, hi, max(FUNDING_MIN, big_f - d), min(FUNDING_MAX, big_f + d)))
        vols.append((vlo, vhi) if j in slot_markets else (0, VOL_MAX))
    if not slot_markets:
        return tuple(pbox), OptionBox.full(m, len(account.option_slots))
    times = (figures.timestamp, min(TIME_MAX, figures.timestamp + horizon_s))
    rows = []
    for (sid, n), use in zip(account.option_slots, used):
        if not use:
            rows.append(None)
            continue
        s = book.series[sid]
        step = preset.markets[s.market].price_step
        (lo, hi) = pbox[s.market][:2]
        rows.append((sid, corner_row(s, step, row_corner(s, 1, (lo, hi), vols[s.market], times)),
                     corner_row(s, step, row_corner(s, -1, (lo, hi), vols[s.market], times))))
    return tuple(pbox), OptionBox(vols=tuple(vols), times=times, rows=tuple(rows))


def check_published(account, preset, book: OptionBook, figures: OptionFigures, box, obox: OptionBox) -> bool:
    """A re-box's rows are published by this round: each slot's rows (if any) are the
    committee's rows at its corners, and those corners are in the round's corner set (the
    circuit opens them against the round's commitment)."""
    for (sid, _), r in zip(account.option_slots, obox.rows):
        if r is None:  # no rows: the slot is not usable in this box (box_surplus says None)
            continue
        if r[0] != sid or not book.live(sid):
            return False
        s = book.series[sid]
        step = preset.markets[s.market].price_step
        for side, row in ((1, r[1]), (-1, r[2])):
            c = row_corner(s, side, box[s.market][:2], obox.vols[s.market], obox.times)
            if figures.published_row(s, step, c) != row:
                return False
    return True


def minimal_box_surplus(account, preset, book: OptionBook, figures: OptionFigures, funding: Sequence[int]) -> int:
    """The surplus over the smallest published box (the figures' own corner, horizon 0): the
    maintenance measure of an option account (module docstring: Error bounds)."""
    closed = close_settled(account, preset, book)
    pbox, obox = make_box(closed, preset, book, figures, funding, 0, 0, 0)
    out = box_surplus(closed, preset, book, pbox, obox)
    assert out is not None
    return out


def choose_box(account, preset, book: OptionBook, figures: OptionFigures, funding: Sequence[int],
               later: Sequence = ()):
    """The sequencer's option box: the widest published box (spot offset, then horizon, then vol
    offset, widest first) safe for the account and each of its `later` states in this batch
    (whose slots must be the account's: a touch assigns slots first); None if none is."""
    for so in reversed(SPOT_OFFSETS_BPS):
        for h in reversed(HORIZONS_S):
            for vo in reversed(VOL_OFFSETS_BPS):
                made = make_box(account, preset, book, figures, funding, so, vo, h, later)
                if made is None:
                    return None
                pbox, obox = made
                surpluses = [box_surplus(a, preset, book, pbox, obox) for a in (account, *later)]
                if all(x is not None and x >= 0 for x in surpluses):
                    return pbox, obox
    return None


# --- expiry ------------------------------------------------------------------------------------------------
def close_settled(account, preset, book: OptionBook):
    """Close every position in a settled series into collateral at intrinsic value; the slot
    is emptied (series 0, size 0, no rows). Done on every write of the account."""
    slots = list(account.option_slots)
    cash = 0
    rows = list(account.obox.rows) if account.obox is not None else [None] * len(slots)
    changed = False
    for k, (sid, n) in enumerate(slots):
        if sid and sid in book.settled:
            cash += n * settled_value(book, sid)
            slots[k] = (0, 0)
            rows[k] = None
            changed = True
    if not changed:
        return account
    obox = replace(account.obox, rows=tuple(rows)) if account.obox is not None else None
    return replace(account, collateral=account.collateral + cash, option_slots=tuple(slots), obox=obox)


def slot_for(account, sid: int) -> Optional[int]:
    """The slot a trade in series `sid` uses: the one holding it, else an empty one (series 0),
    else one holding another series at size 0; None when every slot holds a position."""
    slots = account.option_slots
    for k, (s, _) in enumerate(slots):
        if s == sid:
            return k
    for k, (s, _) in enumerate(slots):
        if s == 0:
            return k
    for k, (s, n) in enumerate(slots):
        if n == 0:
            return k
    return None


def with_option(account, k: int, sid: int, n: int):
    slots = list(account.option_slots)
    slots[k] = (sid, n)
    obox = account.obox
    if obox is not None and obox.rows[k] is not None and obox.rows[k][0] != sid:
        rows = list(obox.rows)
        rows[k] = None
        obox = replace(obox, rows=tuple(rows))
    return replace(account, option_slots=tuple(slots), obox=obox)


def root_option_box(state) -> tuple:
    """The intersection of every account's option box: the root's, from the tree's box
    commitments (`spec.tree`: each leaf's vol and time bounds are one more packed element)."""
    return state.tree.root_option_box


# --- helpers of the transition ------------------------------------------------------------------------
def sizes_by_series(account) -> dict:
    out = {}
    for sid, n in account.option_slots:
        if sid:
            out[sid] = out.get(sid, 0) + n
    return out


def reduces_option_risk(old, new) -> bool:
    """Every option position moved toward zero without crossing it (no new series)."""
    a, b = sizes_by_series(old), sizes_by_series(new)
    return all(abs(n) <= abs(a.get(sid, 0)) and n * a.get(sid, 0) >= 0 for sid, n in b.items())


def assign_slots(account, preset, book: OptionBook, assign) -> "object":
    """A touch reserves slots for series: each (slot, series id) needs a slot holding no
    position and a live series. Raises OpRefused."""
    from .transition import require

    for k, sid in assign:
        require(isinstance(k, int) and 0 <= k < preset.option_slots, "no such option slot")
        require(account.option_slots[k][1] == 0, "option slot holds a position")
        require(book.live(sid), "unknown or settled series")
        account = with_option(account, k, sid, 0)
    return account


def option_penalty_scaled(account, preset, book: OptionBook) -> int:
    """BPS x the liquidation penalty on options: |n| x mark x penalty_bps of the market."""
    out = 0
    for sid, n in account.option_slots:
        if sid and n and book.live(sid):
            s = book.series[sid]
            mk = preset.markets[s.market]
            out += abs(n) * book.figures.current_row(s, mk.price_step)[0] * mk.penalty_bps
    return out


def move_options(target, receiver, preset, book: OptionBook):
    """Every live option position of `target` goes to `receiver` at its mark: (target with empty
    slots, receiver, collateral the target receives = sum n V); (None, None, 0) when the receiver
    has no free slot for a series. Settled series must be closed first."""
    moved = 0
    for sid, n in target.option_slots:
        if not sid or not n:
            continue
        assert book.live(sid), "close settled series first"
        s = book.series[sid]
        k = slot_for(receiver, sid)
        if k is None:
            return None, None, 0
        have = receiver.option_slots[k][1] if receiver.option_slots[k][0] == sid else 0
        receiver = with_option(receiver, k, sid, have + n)
        moved += n * book.figures.current_row(s, preset.markets[s.market].price_step)[0]
    empty = replace(target, option_slots=((0, 0),) * len(target.option_slots),
                    obox=OptionBox.full(preset.num_markets, len(target.option_slots)))
    return empty, receiver, moved


def process_figures(state, batch) -> None:
    """The batch header's option figures (transition.process_batch_header): refusals are the
    stale round, another grid, time going back, bad listings and missing settlements."""
    from .transition import require

    book: Optional[OptionBook] = state.options
    fig = batch.options
    if book is None:
        require(fig is None, "option figures on a preset without options")
        return
    m = state.preset.num_markets
    require(isinstance(fig, OptionFigures), "batch without option figures")
    # the figures are the batch round's (margin at a stale round is refused)
    require(fig.round == batch.oracle_round, "option figures of a stale round")
    # computed on the published grid
    require(fig.grid_digest == GRID.digest(), "scenario grid is not the published one")
    require(tuple(fig.prices) == tuple(batch.prices), "option figures' prices are not the batch's")
    # oracle time never goes back; vols on their ladder
    require(isinstance(fig.timestamp, int) and book.timestamp <= fig.timestamp <= TIME_MAX, "oracle time goes back")
    require(len(fig.vols) == m and all(isinstance(v, int) and 0 <= v <= VOL_MAX for v in fig.vols),
            "vol out of range")
    # the batch circuit's listing and settlement slots (constants.Preset)
    require(len(fig.listings) <= state.preset.listing_slots, "too many listings in one round")
    require(len(fig.settlements) <= state.preset.settlement_slots, "too many settlements in one round")
    series = dict(book.series)
    for s in fig.listings:
        # a listing: a real market, a strike on its ladder, an expiry in the future, ids in order
        require(isinstance(s, Series) and s.valid(m) and s.expiry > fig.timestamp, "bad series listing")
        require(len(series) + 1 < (1 << SERIES_BITS), "too many series")
        series[len(series) + 1] = s
    # exactly the series whose expiry this round reached get their settlement price, on the ladder
    due = {sid for sid, s in series.items() if sid not in book.settled and s.expiry <= fig.timestamp}
    # every series still live has a vol to be priced with
    require(all(fig.vols[s.market] >= 1 for sid, s in series.items() if sid not in book.settled and sid not in due),
            "vol out of range")
    given = dict(fig.settlements)
    require(len(given) == len(fig.settlements) and set(given) == due, "settlement prices missing or unexpected")
    require(all(isinstance(g, int) and 0 <= g <= GRID_MAX for g in given.values()), "settlement price off the ladder")
    book = replace(book, series=series, settled={**book.settled, **given}, timestamp=fig.timestamp,
                   vols=tuple(fig.vols), figures=fig)
    # the round's commitment over the new book's live series (the batch message's figuresRoot)
    state.options = replace(book, figures_root=fig.commitment(book, state.preset))


def figures_root(state) -> int:
    """The batch message's `figuresRoot`: the commitment of the batch's figures over the book
    as the round leaves it (its listings in, its settlements out), which is what the committee
    computes and `Oracle.sol` records with the round; 0 on presets without options."""
    book = state.options
    if book is None:
        return 0
    return book.figures.commitment(book, state.preset)


def check_batch_end(state) -> None:
    """The batch's vols and timestamp lie in the root option box, and each settlement price it
    recorded in the root's spot range (every account's box holds it: options.py)."""
    from .transition import require

    book = state.options
    if book is None:
        return
    vols, (t_lo, t_hi) = root_option_box(state)
    require(all(lo <= v <= hi for (lo, hi), v in zip(vols, book.vols)) and t_lo <= book.timestamp <= t_hi,
            "batch vols or time outside the root's option box: touch or liquidate the accounts first")
    root = state.tree.root_box
    for sid, g in book.figures.settlements:
        lo, hi = root[book.series[sid].market][:2]
        require(lo <= g <= hi, "settlement price outside the root's box")


def outside_option_boxes(state) -> list[int]:
    """Accounts whose option box misses the batch's vols or time (the builder touches them)."""
    book = state.options
    if book is None:
        return []
    return [i for i, a in state.accounts.items()
            if a.obox is not None and not a.obox.contains(book.vols, book.timestamp)]


def assignments(now, later: Sequence) -> tuple:
    """The slots a touch must reserve so that the account's `later` states (the batch builder's
    first pass) find their series in it: (slot, series) where `now` holds no position and a later
    state holds another series."""
    out = []
    for k, (sid, n) in enumerate(now.option_slots):
        want = [a.option_slots[k][0] for a in later if a.option_slots[k][0]]
        if n == 0 and want and want[-1] != sid:
            out.append((k, want[-1]))
    return tuple(out)
