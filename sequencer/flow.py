"""The random trading flow: what a venue's batches look like, seeded and reproducible.

    python -m sequencer.flow [--preset demo] [--batches 40] [--seed 1] [--slots touch_slots=16,...] [--json]

Throughput is counted on this flow (`zkclear bench settlement --full`, issue 12), so it is
defined here once, and in the README:

- institutions: min(64, the preset's capacity less the insurance fund), registered and
  funded before the first batch; institution i deposits C_i, uniform in 500..5000 times the
  dearest lot of the preset's markets at genesis, and trades for a leverage L_i uniform in
  [2, 5]: its position in market j stays within L_i * TV_i / (M * p_j) lots either way
  (TV_i its total value when the batch's trades are drawn, p_j the mark price), so its gross
  notional stays near or below L_i * TV_i;
- prices: every market starts at ladder index 20_000 and each batch moves it by a factor
  exp(0.01 * Z), Z standard normal, rounded to the ladder: a random walk with 1 % standard
  deviation per batch, markets independent;
- funding every batch: one Funding op per market, as many markets as the preset has funding
  slots (round robin when it has fewer slots than markets), delta = round(0.0001 * p_j * Z)
  (a 1 bp standard deviation), within the market's max_funding_delta;
- trades: as many new co-signed trades a batch as the preset has trade slots, each between
  two distinct random institutions in a random market, buyer and seller drawn at random,
  a size uniform in 1..a quarter of the smaller of the two parties' limits in that market,
  reversed or cut when it would take a party past its limit (dropped if nothing fits), at
  the batch's mark price, a fee of 0.5 bp of the notional from each side; every trade is
  signed by both parties with fresh nonces;
- the sequencer: each batch is cut by the spec's batch builder (`build_batch`), which adds
  the touches, liquidations and deleverages the prices and trades need, and applied by
  `process_batch`. Trades that wait for a free slot are carried to the next batch ahead of
  its new ones (like the scenario runner); trades refused for another reason are dropped
  and counted.

Counted per batch (`BatchStats`): trades settled, touches (split: `drift`, an account whose
box no longer holds the batch's prices or funding; `trade`, a party to a trade of the batch
re-boxed so that its trades fit; `refresh`, an account close to an edge of its box re-boxed
in a free touch slot), liquidations, deleverages, funding ops, refused and carried trades.
Touches per trade = all touches / all trades settled over the flow.
"""
from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import asdict, dataclass, field, replace
from typing import Iterator, Optional

from .spec import (FIRST_L1_ACCOUNT, Batch, BatchRecord, Deleverage, Deposit, Funding, Liquidate, Register, State,
                   Touch, Trade, build_batch, message_hash, process_batch, process_op)
from .spec import box as boxes
from .spec import margin
from .spec.constants import GRID_MAX, PRESETS, Preset
from .spec.transition import SLOT_REASON

MAX_INSTITUTIONS = 64
START_INDEX = 20_000  # every market's ladder index at genesis
SIGMA = 0.01  # price: standard deviation of the log move per batch
FUNDING_SIGMA = 0.0001  # funding: standard deviation of a batch's delta, as a fraction of the price
LEVERAGE = (2.0, 5.0)
FEE_BPS_X10 = 5  # 0.5 bp of the notional, from each side
EXPIRY = 1 << 31
INSURANCE_ADDRESS = 0xF10F000000000000000000000000000000000000


@dataclass
class BatchStats:
    number: int
    trades: int = 0
    touches: int = 0
    drift_touches: int = 0  # the account's box missed the batch's prices or funding
    trade_touches: int = 0  # re-boxed so that its trades fit (a party to a trade of the batch)
    refresh_touches: int = 0  # re-boxed in a free touch slot, close to an edge of its box (box_policy)
    liquidations: int = 0
    deleverages: int = 0
    funding: int = 0
    refused: int = 0  # trades refused for a reason other than a free slot (dropped)
    carried: int = 0  # trades waiting for a later batch


@dataclass
class FlowSummary:
    preset: str
    seed: int
    institutions: int
    batches: list = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.batches)

    @property
    def touches_per_trade(self) -> float:
        trades = self.total("trades")
        return self.total("touches") / trades if trades else 0.0

    def to_json(self) -> dict:
        names = ("trades", "touches", "drift_touches", "trade_touches", "refresh_touches", "liquidations",
                 "deleverages", "funding", "refused", "carried")
        n = len(self.batches) or 1
        return {"preset": self.preset, "seed": self.seed, "institutions": self.institutions,
                "batches": len(self.batches), "totals": {k: self.total(k) for k in names},
                "per_batch": {k: round(self.total(k) / n, 2) for k in names},
                "max_per_batch": {k: max((getattr(b, k) for b in self.batches), default=0) for k in names},
                "touches_per_trade": round(self.touches_per_trade, 4)}


class Institution:
    def __init__(self, account: int, key, leverage: float):
        self.account = account
        self.key = key
        self.leverage = leverage
        self.nonce = 0

    def next_nonce(self) -> int:
        self.nonce += 1
        return self.nonce


class Flow:
    """The flow's state: the spec state, the institutions, the price path and the pending ops.
    `step()` draws one batch's prices, funding and trades, cuts and applies the batch, and
    returns its record and counts."""

    def __init__(self, preset: Preset, seed: int = 1, institutions: Optional[int] = None):
        from circuits.crypto.eddsa import PrivateKey

        self.preset = preset
        self.seed = seed
        self.rng = random.Random(seed)
        m = preset.num_markets
        self.grid = [START_INDEX] * m
        fund_key = PrivateKey.from_seed(b"zkclear-flow-insurance")
        self.state = State.genesis(preset, fund_key.public_key, INSURANCE_ADDRESS, tuple(self.grid))
        n = min(MAX_INSTITUTIONS, preset.capacity - FIRST_L1_ACCOUNT) if institutions is None else institutions
        lot = max(mk.mark_price(g) for mk, g in zip(preset.markets, self.grid))
        self.institutions = []
        for i in range(n):
            key = PrivateKey.from_seed(b"zkclear-flow-%d-%d" % (seed, i))
            reg = Register(index=self.state.registration_index, pubkey=key.public_key,
                           l1_address=INSURANCE_ADDRESS + 1 + i)
            process_op(self.state, reg)
            process_op(self.state, Deposit(index=self.state.deposit_index, account=reg.account,
                                           amount=self.rng.randint(500, 5000) * lot))
            self.institutions.append(Institution(reg.account, key, self.rng.uniform(*LEVERAGE)))
        # the fund starts with the deposit of one average institution
        process_op(self.state, Deposit(index=self.state.deposit_index, account=preset.insurance_account,
                                       amount=2750 * lot))
        self.pending: list = []
        self.summary = FlowSummary(preset.name, seed, n)
        self._funding_next = 0

    # --- drawing a batch ----------------------------------------------------------------
    def _move_prices(self) -> tuple[int, ...]:
        self.grid = [min(GRID_MAX, max(1, round(g * math.exp(SIGMA * self.rng.gauss(0, 1))))) for g in self.grid]
        return tuple(self.grid)

    def _funding_ops(self) -> list:
        p = self.preset
        out = []
        for k in range(min(p.funding_slots, p.num_markets)):
            j = (self._funding_next + k) % p.num_markets
            mk = p.markets[j]
            delta = round(FUNDING_SIGMA * mk.mark_price(self.grid[j]) * self.rng.gauss(0, 1))
            out.append(Funding(market=j, delta=max(-mk.max_funding_delta, min(mk.max_funding_delta, delta))))
        self._funding_next = (self._funding_next + len(out)) % p.num_markets
        return out

    def _limit(self, inst: Institution, j: int) -> int:
        """Lots the institution may hold in market j either way (module docstring)."""
        p, st = self.preset, self.state
        account = st.accounts[inst.account]
        tv = margin.total_value(account, p, self.grid, st.funding)
        return max(0, int(inst.leverage * tv / (p.num_markets * p.markets[j].mark_price(self.grid[j]))))

    def _trades(self, count: int) -> list:
        p, rng = self.preset, self.rng
        held = {}  # (account, market) -> position after the trades drawn so far (pending ones included)
        for op in self.pending:
            if isinstance(op, Trade):
                for a, s in ((op.buyer, op.size), (op.seller, -op.size)):
                    held[a, op.market] = held.get((a, op.market), self.state.accounts[a].positions[op.market]) + s
        out = []
        for _ in range(count):
            a, b = rng.sample(self.institutions, 2)
            j = rng.randrange(p.num_markets)
            la, lb = self._limit(a, j), self._limit(b, j)
            size = rng.randint(1, max(1, min(la, lb) // 4))
            qa = held.get((a.account, j), self.state.accounts[a.account].positions[j])
            qb = held.get((b.account, j), self.state.accounts[b.account].positions[j])

            def fits(buyer_q, buyer_l, seller_q, seller_l, s):
                return abs(buyer_q + s) <= buyer_l and abs(seller_q - s) <= seller_l

            if rng.random() < 0.5:  # a buys from b, unless only the other way fits
                order = [(a, qa, la, b, qb, lb), (b, qb, lb, a, qa, la)]
            else:
                order = [(b, qb, lb, a, qa, la), (a, qa, la, b, qb, lb)]
            chosen = None
            for buyer, bq, bl, seller, sq, sl in order:
                if fits(bq, bl, sq, sl, size):
                    chosen = (buyer, seller, size)
                    break
            if chosen is None:  # cut to what the first direction allows
                buyer, bq, bl, seller, sq, sl = order[0]
                room = min(bl - bq, sq + sl)
                if room < 1:
                    continue
                chosen = (buyer, seller, min(size, room))
            buyer, seller, size = chosen
            for party, signed in ((buyer, size), (seller, -size)):
                key = (party.account, j)
                held[key] = held.get(key, self.state.accounts[party.account].positions[j]) + signed
            price = p.markets[j].mark_price(self.grid[j])
            unsigned = Trade(market=j, size=size, price=price, buyer=buyer.account, seller=seller.account,
                             buyer_nonce=buyer.next_nonce(), seller_nonce=seller.next_nonce(), expiry=EXPIRY,
                             fee=size * price * FEE_BPS_X10 // 100_000)
            msg = message_hash(unsigned, p.domain)
            out.append(replace(unsigned, buyer_signature=buyer.key.sign(msg), seller_signature=seller.key.sign(msg)))
        return out

    # --- one batch ------------------------------------------------------------------------
    def step(self) -> tuple[BatchRecord, BatchStats]:
        st = self.state
        prices = self._move_prices()
        funding = self._funding_ops()
        self.pending = self.pending + self._trades(self.preset.trade_slots)
        built = build_batch(st, funding + self.pending, prices)
        new_funding = list(st.funding)
        for op in built.batch.ops:
            if isinstance(op, Funding):
                new_funding[op.market] += op.delta
        stats = BatchStats(number=built.batch.number)
        traders = {a for op in built.batch.ops if isinstance(op, Trade) for a in (op.buyer, op.seller)}
        for op in built.batch.ops:
            if isinstance(op, Trade):
                stats.trades += 1
            elif isinstance(op, Touch):
                stats.touches += 1
                drift = not boxes.contains(st.accounts[op.account].box, prices, new_funding)
                stats.drift_touches += drift
                stats.trade_touches += not drift and op.account in traders
                stats.refresh_touches += not drift and op.account not in traders
            elif isinstance(op, Liquidate):
                stats.liquidations += 1
            elif isinstance(op, Deleverage):
                stats.deleverages += 1
            elif isinstance(op, Funding):
                stats.funding += 1
        waiting = {id(op) for op, reason in built.refused if reason == SLOT_REASON and isinstance(op, Trade)}
        stats.refused = sum(1 for op, reason in built.refused if reason != SLOT_REASON and isinstance(op, Trade))
        self.pending = [op for op in self.pending if id(op) in waiting]
        stats.carried = len(self.pending)
        record = process_batch(st, built.batch)
        self.summary.batches.append(stats)
        return record, stats

    def run(self, batches: int) -> Iterator[tuple[BatchRecord, BatchStats]]:
        for _ in range(batches):
            yield self.step()


def run_flow(preset: Preset, batches: int, seed: int = 1) -> FlowSummary:
    flow = Flow(preset, seed)
    for _ in flow.run(batches):
        pass
    return flow.summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="demo", choices=sorted(PRESETS))
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slots", default="",
                    help="try other slot counts, e.g. touch_slots=16,trade_slots=72 (the spec only: no circuit)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    preset = PRESETS[args.preset]
    if args.slots:
        preset = replace(preset, **{k: int(v) for k, v in (kv.split("=") for kv in args.slots.split(","))})
    flow = Flow(preset, args.seed)
    for _, s in flow.run(args.batches):
        if not args.json:
            print(json.dumps(asdict(s)), flush=True)
    out = flow.summary.to_json()
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
