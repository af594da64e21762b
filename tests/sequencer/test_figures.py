"""The committee's options figures end to end on a chain: computed from spot and a vol surface
(`sequencer.figures.CommitteeBook`), posted with the round on an oracle with options, read back
by the sequencer (`batch_figures`) into the spec figures a batch processes, whose commitment is
the signed root (the batch message's figuresRoot)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from sequencer.figures import CommitteeBook, FiguresMismatch, batch_figures, market_vol, series_of, listing_word
from sequencer.risk.surface import VolSurface
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS as P
from verifier_contracts.evm import Chain
from verifier_contracts.oracle import DevCommittee

DAY = 86400
SURFACE = VolSurface.from_points([(7 / 365, (8e5, 1e6, 1.2e6), (0.7, 0.6, 0.65)),
                                  (60 / 365, (8e5, 1e6, 1.2e6), (0.65, 0.55, 0.6))])


@pytest.fixture
def embedded_chain() -> Chain:
    return Chain.embedded()


@pytest.fixture
def posted(embedded_chain):
    """An oracle with options and a committee posting rounds with figures from SURFACE."""
    dev = DevCommittee.from_seed("figures", n=5)
    steps = [mk.price_step for mk in P.markets]
    o = dev.deploy(embedded_chain, P.num_markets, steps, options=True)
    committee = CommitteeBook(P)
    g = [1000] * P.num_markets  # BTC-T at 1.00 USD a lot (1e6 units): the surface's strikes are in units

    def post(listings=(), prices=None):
        prices = list(prices or g)
        out = {}

        def figures(rid, ts):
            new = [committee.listing(j, call, k, ts + secs, SURFACE, market_vol(SURFACE, prices[j] * steps[j]), ts)
                   for j, call, k, secs in listings]
            fig = committee.figures(rid, ts, prices, {0: SURFACE}, new)
            out["fig"], out["st"] = fig, committee.statement(fig)
            return out["st"]

        rid = dev.post_round(prices, [0] * P.num_markets, figures=figures)
        committee.accept(out["fig"])
        return rid, out["fig"], out["st"]

    return o, committee, post


def test_posted_figures_read_back_as_the_batch_figures(posted):
    o, committee, post = posted
    rid, fig, st = post(listings=[(0, True, 1_100_000, 30 * DAY), (0, False, 900_000, 30 * DAY)])
    assert fig.vols[0] == market_vol(SURFACE, 10**6) and fig.vols[1:] == (0,) * (P.num_markets - 1)
    assert o.get_figures(rid) == st and [series_of(w) for w in st.listings] == list(fig.listings)
    assert all(listing_word(s) == w for s, w in zip(fig.listings, st.listings))
    # the sequencer's book before the round (empty) reads back the same figures and root
    book = opt.empty_book(P)
    got = batch_figures(o, book, P, 0, rid)
    assert got == fig
    after = replace(book, series={1: fig.listings[0], 2: fig.listings[1]}, timestamp=fig.timestamp, vols=fig.vols,
                    figures=got)
    assert got.commitment(after, P) == st.figures_root != 0
    # a put's smile sits above the call's: the surface is skewed toward low strikes
    assert fig.listings[1].smile_bps > fig.listings[0].smile_bps


def test_skipped_rounds_keep_their_listings_and_settlements(posted, embedded_chain):
    o, committee, post = posted
    rid1, fig1, _ = post(listings=[(0, True, 1_000_000, 30 * DAY)])
    book = opt.empty_book(P)
    b1 = batch_figures(o, book, P, 0, rid1)
    book = replace(book, series={1: b1.listings[0]}, timestamp=b1.timestamp, vols=b1.vols, figures=b1)
    # rounds 2 and 3 list a series each; a batch at round 3 skips round 2 and still lists both, in order
    rid2, fig2, _ = post(listings=[(0, False, 950_000, DAY)])
    rid3, fig3, st3 = post(listings=[(0, True, 1_200_000, 60 * DAY)])
    got = batch_figures(o, book, P, rid1, rid3)
    assert got.listings == fig2.listings + fig3.listings and got.round == rid3 and got.prices == fig3.prices
    # a batch that reuses its state's round lists nothing again
    assert batch_figures(o, book, P, rid1, rid1).listings == ()
    # a book that disagrees with the committee's (a series missing) does not reproduce the root
    with pytest.raises(FiguresMismatch):
        batch_figures(o, opt.empty_book(P), P, rid1, rid3)


def test_expiry_is_settled_at_the_rounds_mark(posted, embedded_chain):
    o, committee, post = posted
    ts = o.now()
    rid1, fig1, _ = post(listings=[(0, True, 1_000_000, 2)])  # expires before the next round's clock
    assert fig1.listings[0].expiry >= ts + 2
    et = embedded_chain.w3.provider.ethereum_tester
    et.time_travel(embedded_chain.w3.eth.get_block("latest")["timestamp"] + 5)
    g = [1010] * P.num_markets
    rid2, fig2, st2 = post(prices=g)
    assert fig2.settlements == ((1, g[0]),) and committee.settled == {1: g[0]}
    book = opt.empty_book(P)
    got = batch_figures(o, book, P, 0, rid2)  # both rounds at once: listed, then settled
    assert got.settlements == ((1, g[0]),) and got.listings == fig1.listings


def test_reporters_post_figures_on_the_medians_of_their_noisy_reports(embedded_chain):
    """The reference committee (noisy reports): its figures are computed on the medians the
    contract accepts, signed by every reporter, and read back as the batch's figures."""
    from sequencer.figures import OptionsDesk
    from sequencer.reporter import ReporterCommittee

    steps = [mk.price_step for mk in P.markets]

    def lister(rid, ts, ladder, vols):
        return [committee.options.book.listing(0, True, ladder[0] * steps[0], ts + 7 * DAY, SURFACE, vols[0], ts)] \
            if rid == 1 else []

    committee = ReporterCommittee.local(embedded_chain, P.num_markets, steps, seed=3, start=[1000] * P.num_markets,
                                        noise_bps=20, options=OptionsDesk(CommitteeBook(P), {0: SURFACE}, lister))
    assert committee.oracle.options()
    book = opt.empty_book(P)
    for _ in range(2):
        rid = committee.step()
        prices, _, _ = committee.oracle.get_round(rid)
        fig = batch_figures(committee.oracle, book, P, rid - 1, rid)
        assert fig == committee.last_figures and list(fig.prices) == prices
        book = replace(book, series={**book.series, **{len(book.series) + 1 + i: s for i, s in enumerate(fig.listings)}},
                       timestamp=fig.timestamp, vols=fig.vols, figures=fig)
    assert len(book.series) == 1 and committee.options.book.series == book.series
