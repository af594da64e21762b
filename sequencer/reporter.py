"""Reference oracle reporter and a local committee that posts rounds (development chains).

A ``Reporter`` holds one private key and a feed; ``report(round_id, ...)`` observes the feed
and signs an EIP-712 report for the committee oracle (``verifier_contracts.oracle``).
A feed is a callable or an iterator giving one observation per call: market j's
``(price, funding)`` as ``{j: (price, funding)}`` or a sequence of pairs; prices in
collateral units per lot (the contract rounds the median to each market's ladder), funding
indices signed ints.

``ReporterCommittee`` runs N reporters over one seeded random walk (each sees it with its own
small noise): ``step()`` advances the walk, has every reporter sign the next round and
submits all reports (so a move beyond the band meets bigQuorum when N >= bigQuorum);
``run(stop)`` posts a round every ``interval`` seconds until ``stop`` is set.

On an oracle with options (``Oracle.sol`` deployed with ``options``) the committee also
publishes each round's options figures (``sequencer.figures.OptionsDesk``: a vol surface per
market, the series to list, its book): it takes the round's medians from the reports exactly
as the contract does (``accepted_ladder``), computes the figures and their commitment on them,
and every reporter signs the one statement (the contract needs bigQuorum signatures).

    python -m sequencer.reporter --url http://127.0.0.1:8545 --markets 2 --interval 3
    python -m sequencer.reporter --rounds 3                 # embedded chain, three rounds

The committee keys come from ``--seed`` (``verifier_contracts.oracle.dev_keys``): public,
for local chains only.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

from eth_account import Account

from verifier_contracts.oracle import (FUNDING_LIMIT, MAX_LADDER, DevCommittee, OracleClient, SignedReport,
                                       lower_median, make_report, sign_report, to_ladder)

Observation = Union[Mapping[int, Sequence[int]], Sequence[Sequence[int]]]
Feed = Union[Callable[[], Observation], Iterator[Observation]]


def normalize(obs: Observation, markets: int | None = None) -> tuple[list[int], list[int]]:
    """``(prices, funding)`` from ``{j: (price, funding)}`` or ``[(price, funding), ...]``."""
    pairs = [obs[j] for j in sorted(obs)] if isinstance(obs, Mapping) else list(obs)
    if isinstance(obs, Mapping) and sorted(obs) != list(range(len(pairs))):
        raise ValueError(f"markets must be 0..{len(pairs) - 1}, got {sorted(obs)}")
    if markets is not None and len(pairs) != markets:
        raise ValueError(f"the feed gave {len(pairs)} markets, the oracle has {markets}")
    return [int(p) for p, _ in pairs], [int(f) for _, f in pairs]


def accepted_ladder(reports: Sequence[SignedReport], steps: Sequence[int]) -> list[int]:
    """The ladder indices the contract accepts from these reports: per market the lower median
    of the reported prices, rounded half up to the ladder."""
    return [to_ladder(lower_median([r.report.prices[j] for r in reports]), step) for j, step in enumerate(steps)]


class Reporter:
    """One committee member: a private key and a feed."""

    def __init__(self, private_key: Any, feed: Feed):
        self.key = private_key
        self.address = Account.from_key(private_key).address
        self.feed = feed

    def observe(self, markets: int | None = None) -> tuple[list[int], list[int]]:
        obs = self.feed() if callable(self.feed) else next(self.feed)
        return normalize(obs, markets)

    def report(self, round_id: int, *, chain_id: int, oracle: str, timestamp: int | None = None,
               markets: int | None = None) -> SignedReport:
        """Observe the feed and sign a report for ``round_id`` dated ``timestamp`` (default: now)."""
        prices, funding = self.observe(markets)
        ts = int(time.time()) if timestamp is None else int(timestamp)
        return sign_report(self.key, make_report(round_id, ts, prices, funding), chain_id=chain_id, oracle=oracle)

    def report_for(self, oracle: OracleClient, round_id: int | None = None,
                   timestamp: int | None = None) -> SignedReport:
        """A report for ``oracle``'s next round (default), dated by its chain's clock (default)."""
        rid = oracle.latest_round() + 1 if round_id is None else round_id
        ts = oracle.now() if timestamp is None else timestamp
        return self.report(rid, chain_id=oracle.chain_id, oracle=oracle.address, timestamp=ts,
                           markets=oracle.markets())


class RandomWalk:
    """A seeded random walk of M markets: ``step()`` moves each ladder price by at most
    ``max_move_bps`` (and within 1..2^16-1) and each funding index by up to ``funding_step``;
    ``observe(rng, noise_bps)`` is one reporter's noisy view (collateral units per lot)."""

    def __init__(self, price_steps: Sequence[int], seed: int = 0, start: Sequence[int] | None = None,
                 max_move_bps: int = 50, funding_step: int = 1000):
        self.steps = [int(s) for s in price_steps]
        self.rng = random.Random(seed)
        self.ladder = [int(g) for g in start] if start else [self.rng.randrange(1000, 10000) for _ in self.steps]
        self.funding = [0] * len(self.steps)
        self.max_move_bps = max_move_bps
        self.funding_step = funding_step

    def step(self) -> None:
        for j, g in enumerate(self.ladder):
            d = g * self.max_move_bps // 10_000
            self.ladder[j] = min(MAX_LADDER - 1, max(2, g + self.rng.randint(-d, d)))
            f = self.funding[j] + self.rng.randint(-self.funding_step, self.funding_step)
            self.funding[j] = max(-(FUNDING_LIMIT - 1), min(FUNDING_LIMIT - 1, f))

    def observe(self, rng: random.Random | None = None, noise_bps: int = 0) -> list[tuple[int, int]]:
        out = []
        for g, s, f in zip(self.ladder, self.steps, self.funding):
            price = g * s
            if rng is not None and noise_bps:
                price += rng.randint(-1, 1) * price * rng.randint(0, noise_bps) // 10_000
            out.append((max(price, 0), f))
        return out


class ReporterCommittee:
    """N reporters over one random walk, posting rounds on one oracle (local chains)."""

    def __init__(self, oracle: OracleClient, keys: Sequence[Any], walk: RandomWalk, *, noise_bps: int = 5,
                 seed: int = 0, sender: str | None = None, options: Any = None):
        self.oracle = oracle
        self.walk = walk
        self.sender = sender
        self.options = options  # sequencer.figures.OptionsDesk on an oracle with options
        self.keys = list(keys)
        self.reporters = []
        for i, k in enumerate(keys):
            rng = random.Random(f"{seed}|reporter|{i}")
            self.reporters.append(Reporter(k, lambda rng=rng: walk.observe(rng, noise_bps)))
        self.rounds_posted = 0

    @classmethod
    def local(cls, chain, markets: int, price_steps: Sequence[int] | int = 100, *, seed: int = 0, n: int = 5,
              quorum: int | None = None, big_quorum: int | None = None, band_bps: int = 1000,
              max_report_age: int = 300, start: Sequence[int] | None = None, noise_bps: int = 5,
              owner: str | None = None, options: Any = None) -> "ReporterCommittee":
        """Deploy a committee oracle with ``n`` dev keys from ``seed`` on ``chain`` (with options
        when ``options``, an ``OptionsDesk``, is given)."""
        dev = DevCommittee.from_seed(seed, n=n, quorum=quorum, big_quorum=big_quorum, band_bps=band_bps,
                                     max_report_age=max_report_age)
        steps = [int(price_steps)] * markets if isinstance(price_steps, int) else list(price_steps)
        oracle = dev.deploy(chain, markets, steps, owner=owner, options=options is not None)
        return cls(oracle, dev.keys, RandomWalk(steps, seed=seed, start=start), noise_bps=noise_bps, seed=seed,
                   options=options)

    def step(self) -> int:
        """Advance the walk (not before the first round), sign the next round with every
        reporter and submit; returns the round id."""
        if self.rounds_posted:
            self.walk.step()
        rid = self.oracle.latest_round() + 1
        ts = self.oracle.now()
        reps = [r.report_for(self.oracle, rid, ts) for r in self.reporters]
        if self.options is None:
            self.oracle.submit_round(reps, rid, sender=self.sender)
        else:
            fig, statement = self.options.figures(rid, ts, accepted_ladder(reps, self.walk.steps))
            sigs = [self.oracle.sign_figures(k, statement) for k in self.keys]
            self.oracle.submit_round_with_figures(reps, sigs, rid, sender=self.sender)
            self.options.accept(fig)
            self.last_figures = fig
        self.rounds_posted += 1
        return rid

    def run(self, stop: threading.Event, interval: float = 3.0, rounds: int | None = None,
            on_round: Callable[[int], None] | None = None) -> int:
        """Post a round every ``interval`` seconds until ``stop`` is set (or ``rounds`` posted);
        returns the number posted."""
        posted = 0
        while not stop.is_set() and (rounds is None or posted < rounds):
            rid = self.step()
            posted += 1
            if on_round:
                on_round(rid)
            if rounds is not None and posted >= rounds:
                break
            stop.wait(interval)
        return posted

    def start(self, interval: float = 3.0) -> tuple[threading.Thread, threading.Event]:
        """Run in a daemon thread; set the returned event to stop it."""
        stop = threading.Event()
        t = threading.Thread(target=self.run, args=(stop, interval), daemon=True, name="oracle-committee")
        t.start()
        return t, stop


def main(argv: list[str] | None = None) -> int:
    from verifier_contracts.evm import Chain

    ap = argparse.ArgumentParser(prog="python -m sequencer.reporter", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="node URL (anvil); default: an embedded eth-tester chain")
    ap.add_argument("--oracle", help="post to this deployed oracle (its committee must be --seed's keys)")
    ap.add_argument("--markets", type=int, default=2)
    ap.add_argument("--price-step", type=int, default=100, help="collateral units per ladder step (all markets)")
    ap.add_argument("--reporters", type=int, default=5)
    ap.add_argument("--seed", default="0")
    ap.add_argument("--interval", type=float, default=3.0, help="seconds between rounds")
    ap.add_argument("--rounds", type=int, help="stop after this many rounds (default: run until interrupted)")
    args = ap.parse_args(argv)
    chain = Chain.connect(args.url) if args.url else Chain.embedded()
    if args.oracle:
        oracle = OracleClient.at(chain, args.oracle)
        steps = oracle.price_steps()
        latest = oracle.latest_round()
        start = oracle.get_round(latest)[0] if latest else None  # continue from the last round
        committee = ReporterCommittee(oracle, DevCommittee.from_seed(args.seed, n=args.reporters).keys,
                                      RandomWalk(steps, seed=args.seed, start=start), seed=args.seed)
    else:
        committee = ReporterCommittee.local(chain, args.markets, args.price_step, seed=args.seed, n=args.reporters)
    print(json.dumps({"oracle": committee.oracle.address, "reporters": [r.address for r in committee.reporters]}),
          flush=True)

    def show(rid: int) -> None:
        p, f, ts = committee.oracle.get_round_signed(rid)
        print(json.dumps({"round": rid, "timestamp": ts, "prices": p, "funding": f}), flush=True)

    try:
        committee.run(threading.Event(), args.interval, args.rounds, on_round=show)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
