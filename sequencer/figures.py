"""The oracle committee's options figures: computed from spot and a vol surface, posted with
the round, read back by the sequencer (spec: `sequencer.spec.options`, chain: `Oracle.sol`).

Committee side (`CommitteeBook`): the committee keeps the book of the series it listed and
settled. For a round at ladder prices g and the options clock t it publishes, per market,
one vol index (`market_vol`: the surface's vol at the money, at `REFERENCE_YEARS`, in basis
points), the series it lists from this round on (a listing's `smile_bps` fixes the series' vol
relative to its market's published vol: the surface's vol at its strike and expiry over the
market's, so the smile keeps its shape through one published number per market), the
settlement price of every live series whose expiry t reached (the round's mark of its market,
a ladder index), and the commitment `OptionFigures.commitment` over the book as the round
leaves it (its listings in, its settlements out). `CommitteeBook.figures` builds them,
`statement` packs them as `Oracle.sol`'s `Figures` (what bigQuorum reporters sign) and
`accept` records them once posted.

Sequencer side (`batch_figures`): a batch at round r reads the figures of every round after
its state's last one up to r from the oracle's `FiguresPosted` events (`OracleClient.get_figures`:
checked against the round hash), and builds the spec `OptionFigures` of the batch: round r's
clock, prices and vols, and the listings and settlements of all those rounds in order (rounds
the sequencer skipped still list their series and settle theirs: ids continue the book's; a
batch that reuses its state's round lists and settles nothing). It then recomputes the
commitment on the book the batch leaves and checks it is round r's signed root
(`FiguresMismatch` otherwise: such a round cannot be proven against).

Trust: the committee signs the root, which covers every row and risk array of the live series
at the round's prices, vols and time. The listings' parameters and the settlement prices are
in the signed statement and the event; the spec's commitment does not hash them (the batch
circuit sees them only through the rows keyed by series id): README / options.py say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Optional, Sequence

from sequencer.spec import options as opt
from sequencer.spec.constants import BPS, Preset

#: The tenor at which a market's published vol is read from its surface (30 days, ACT/365).
REFERENCE_YEARS = 30 / 365


class FiguresMismatch(RuntimeError):
    """A round's signed figures root is not the commitment of the figures it published."""


def market_vol(surface, spot: float) -> int:
    """The vol index (basis points of annual vol, 1..VOL_MAX) a market publishes: its surface's
    vol at the money at the reference tenor."""
    v = float(surface.vol(spot, REFERENCE_YEARS))
    return max(1, min(opt.VOL_MAX, int(round(v * BPS))))


def smile_bps(surface, strike: float, years: float, vol_index: int) -> int:
    """A listing's smile: the surface's vol at its strike and expiry over the market's published vol."""
    v = float(surface.vol(strike, max(years, 1e-9)))
    return max(1, min((1 << 16) - 1, int(round(v * BPS * BPS / vol_index))))


def listing_word(s: opt.Series) -> int:
    from verifier_contracts.oracle import pack_listing

    return pack_listing(s.market, s.is_call, s.strike, s.expiry, s.smile_bps)


def series_of(word: int) -> opt.Series:
    from verifier_contracts.oracle import unpack_listing

    market, is_call, strike, expiry, smile = unpack_listing(word)
    return opt.Series(market, is_call, strike, expiry, smile)


@dataclass
class CommitteeBook:
    """The committee's record of its series (ids 1, 2, ...) and settlements, and its clock."""

    preset: Preset
    series: dict = field(default_factory=dict)  # id -> Series
    settled: dict = field(default_factory=dict)  # id -> settlement ladder price
    timestamp: int = 0  # the options clock of the last round posted

    def listing(self, market: int, is_call: bool, strike_price: float, expiry: int, surface, vol_index: int,
                timestamp: int) -> opt.Series:
        """A series on `market` at the ladder strike nearest `strike_price`, its smile from `surface`."""
        step = self.preset.markets[market].price_step
        strike = max(1, int(round(strike_price / step)))
        years = (expiry - timestamp) / opt.SECONDS_PER_YEAR
        return opt.Series(market, bool(is_call), strike, int(expiry),
                          smile_bps(surface, strike * step, years, vol_index))

    def figures(self, round_id: int, timestamp: int, prices: Sequence[int], surfaces: Mapping[int, object],
                listings: Sequence[opt.Series] = ()) -> opt.OptionFigures:
        """The round's figures: a vol per market with a surface (0 elsewhere), the listings, and
        the settlement (at the round's mark) of every live series whose expiry `timestamp` reached."""
        steps = [mk.price_step for mk in self.preset.markets]
        vols = tuple(market_vol(surfaces[j], prices[j] * steps[j]) if j in surfaces else 0
                     for j in range(self.preset.num_markets))
        book = {**self.series}
        for s in listings:
            book[len(book) + 1] = s
        settlements = tuple((sid, int(prices[s.market])) for sid, s in sorted(book.items())
                            if sid not in self.settled and s.expiry <= timestamp)
        return opt.OptionFigures(round=int(round_id), timestamp=int(timestamp), prices=tuple(int(g) for g in prices),
                                 vols=vols, listings=tuple(listings), settlements=settlements)

    def book_after(self, fig: opt.OptionFigures) -> opt.OptionBook:
        """The spec book as `fig` leaves it (what the commitment covers)."""
        series = {**self.series}
        for s in fig.listings:
            series[len(series) + 1] = s
        return opt.OptionBook(steps=tuple(mk.price_step for mk in self.preset.markets), series=series,
                              settled={**self.settled, **dict(fig.settlements)}, timestamp=fig.timestamp,
                              vols=tuple(fig.vols), figures=fig)

    def commitment(self, fig: opt.OptionFigures) -> int:
        return fig.commitment(self.book_after(fig), self.preset)

    def statement(self, fig: opt.OptionFigures):
        """`Oracle.sol`'s `Figures` for `fig`, with its commitment."""
        from verifier_contracts.oracle import Figures, pack_settlement

        return Figures(fig.round, fig.timestamp, tuple(fig.prices), tuple(fig.vols),
                       tuple(listing_word(s) for s in fig.listings),
                       tuple(pack_settlement(sid, g) for sid, g in fig.settlements), self.commitment(fig))

    def accept(self, fig: opt.OptionFigures) -> None:
        """Record a posted round's listings, settlements and clock."""
        after = self.book_after(fig)
        self.series, self.settled, self.timestamp = dict(after.series), dict(after.settled), fig.timestamp


@dataclass
class OptionsDesk:
    """What a committee needs to publish options figures with its rounds: its book, a vol
    surface per option market (`surfaces`, replaceable between rounds: a vol spike is a new
    surface), and `lister(round_id, timestamp, ladder, vols)`, the series to list in a round
    (default none). `figures` builds a round's figures and its signed statement; `accept`
    records them once the round is on chain."""

    book: CommitteeBook
    surfaces: dict  # market -> VolSurface
    lister: Optional[object] = None

    def figures(self, round_id: int, timestamp: int, ladder: Sequence[int]):
        """(spec OptionFigures, Oracle.sol Figures) of a round at the accepted ladder prices."""
        fig = self.book.figures(round_id, timestamp, ladder, self.surfaces)
        if self.lister is not None:
            listings = tuple(self.lister(round_id, timestamp, tuple(ladder), fig.vols))
            if listings:
                fig = self.book.figures(round_id, timestamp, ladder, self.surfaces, listings)
        return fig, self.book.statement(fig)

    def accept(self, fig: opt.OptionFigures) -> None:
        self.book.accept(fig)


def option_figures(statement, grid_digest: Optional[int] = None) -> opt.OptionFigures:
    """The spec figures of one round's statement (listings unpacked; ids are the book's business)."""
    from verifier_contracts.oracle import unpack_settlement

    kw = {} if grid_digest is None else {"grid_digest": grid_digest}
    return opt.OptionFigures(round=int(statement.round_id), timestamp=int(statement.timestamp),
                             prices=tuple(int(g) for g in statement.prices), vols=tuple(int(v) for v in statement.vols),
                             listings=tuple(series_of(w) for w in statement.listings),
                             settlements=tuple(unpack_settlement(w) for w in statement.settlements), **kw)


def merge(statements: Sequence) -> opt.OptionFigures:
    """The figures of the last statement with the listings and settlements of them all, in order."""
    if not statements:
        raise ValueError("no figures to merge")
    figs = [option_figures(s) for s in statements]
    last = figs[-1]
    return replace(last, listings=tuple(s for f in figs for s in f.listings),
                   settlements=tuple(x for f in figs for x in f.settlements))


def batch_figures(oracle, book: opt.OptionBook, preset: Preset, last_round: int, round_id: int) -> opt.OptionFigures:
    """The spec figures of a batch at `round_id` whose state's last round is `last_round` and
    book `book` (module docstring); raises FiguresMismatch when the recomputed commitment is not
    the round's signed root, LookupError when a round has no figures."""
    if round_id < last_round:
        raise ValueError("the oracle round goes back")
    statements = []
    for rid in range(last_round + 1, round_id + 1) if round_id > last_round else (round_id,):
        st = oracle.get_figures(rid)
        if st is None:
            raise LookupError(f"oracle round {rid} has no options figures")
        statements.append(st)
    fig = merge(statements)
    if round_id == last_round:  # reused: nothing new to list or settle
        fig = replace(fig, listings=(), settlements=())
    after = replace(book, series={**book.series, **{len(book.series) + 1 + i: s for i, s in enumerate(fig.listings)}},
                    settled={**book.settled, **dict(fig.settlements)}, timestamp=fig.timestamp, vols=fig.vols,
                    figures=fig)
    root = fig.commitment(after, preset)
    if root != statements[-1].figures_root:
        raise FiguresMismatch(f"round {round_id}: the figures' commitment {root:#x} is not the signed root "
                              f"{statements[-1].figures_root:#x}")
    return fig


__all__ = ["REFERENCE_YEARS", "CommitteeBook", "OptionsDesk", "FiguresMismatch", "market_vol", "smile_bps", "listing_word",
           "series_of", "option_figures", "merge", "batch_figures"]

