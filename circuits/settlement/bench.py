"""Proof time of settlement batches, and trades proven per second.

    python -m circuits.settlement.bench [--preset mainnet] [--trades 1,2] [--repeat 3] [--out F.json]

For each n: the preset's shape (tree, markets) with n trade slots and no other op slots;
a spec state with 2n funded accounts, each boxed (by an earlier touch) for its position
after the trade, so the batch needs no touch; one batch of n co-signed
trades between distinct pairs through `process_batch`; the circuit compiled, a development
key made with the native backend, the witness solved, and the proof made with the native
backend `--repeat` times (median, in process, both cores), then verified. Reported per n:
constraints, the proving domain 2^k, setup / witness / prove seconds, trades per second of
the whole batch (n / prove time) and, between consecutive n, the marginal cost of a trade.
"""
from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
from dataclasses import replace

from circuits.crypto.eddsa import PrivateKey
from circuits.dsl import Circuit
from sequencer.spec import Batch, Deposit, Register, State, Touch, Trade, message_hash, process_batch, process_op
from sequencer.spec.constants import PRESETS, Preset
from sequencer.spec.transition import box_holding

from .batch import build_batch_circuit
from .ops import SLOTS
from .witness import batch_inputs

ADDRESS = 0xBE0C000000000000000000000000000000000000


def trade_preset(preset: Preset, n: int) -> Preset:
    return replace(preset, **{**{attr: 0 for _, attr, _ in SLOTS}, "trade_slots": n})


def trading_state(preset: Preset, n: int):
    """A state with 2n funded accounts, boxed for their trades (as a touch in an earlier
    batch leaves them), and the batch of n trades (accounts 2i+1 buy from 2i+2)."""
    keys = [PrivateKey.from_seed(b"zkclear-bench-%d" % i) for i in range(2 * n + 1)]
    prices = tuple(1000 for _ in preset.markets)
    state = State.genesis(preset, keys[0].public_key, ADDRESS, prices)
    for i in range(1, 2 * n + 1):
        reg = Register(index=state.registration_index, pubkey=keys[i].public_key, l1_address=ADDRESS + i)
        process_op(state, reg)
        assert reg.account == i
        process_op(state, Deposit(index=state.deposit_index, account=i, amount=10**15))
    trades = []
    for k in range(n):
        buyer, seller = 2 * k + 1, 2 * k + 2
        mk = preset.markets[k % preset.num_markets]
        unsigned = Trade(market=k % preset.num_markets, size=10, price=1000 * mk.price_step, buyer=buyer,
                         seller=seller, buyer_nonce=1, seller_nonce=1, expiry=10, fee=100)
        msg = message_hash(unsigned, preset.domain)
        trades.append(replace(unsigned, buyer_signature=keys[buyer].sign(msg),
                              seller_signature=keys[seller].sign(msg)))
    # box each account for its state after the trade: what the sequencer's touch does
    state.begin()
    state.observed = {}
    for t in trades:
        process_op(state, t)
    after, state.observed = state.observed, None
    state.rollback()
    for i, later in after.items():
        process_op(state, Touch(i, box_holding(state, i, later)))
    return state, Batch(1, 1, prices, tuple(trades))


def measure(preset: Preset, n: int, repeat: int) -> dict:
    from prover.backends import get_backend
    from prover.field import R
    from prover.groth16.setup import ToxicWaste

    shape = trade_preset(preset, n)
    t0 = time.perf_counter()
    c = Circuit("settlement")
    build_batch_circuit(c, shape)
    compiled = c.compile()
    build_s = time.perf_counter() - t0
    state, batch = trading_state(shape, n)
    record = process_batch(state, batch)
    t0 = time.perf_counter()
    witness = compiled.witness(batch_inputs(record, shape, compiled))
    witness_s = time.perf_counter() - t0
    be = get_backend("native")
    t0 = time.perf_counter()
    zkey = be.setup(compiled.r1cs, ToxicWaste.random())
    setup_s = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proof = be.prove(zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
        times.append(time.perf_counter() - t0)
    from prover.formats.zkey import read_zkey

    assert be.verify(read_zkey(zkey).verifying_key(), compiled.public_signals(witness), proof)
    prove_s = statistics.median(times)
    return {"trades": n, "constraints": compiled.n_constraints,
            "domain_log2": (compiled.n_constraints + compiled.r1cs.n_pub_in + compiled.r1cs.n_pub_out).bit_length(),
            "build_s": round(build_s, 2), "witness_s": round(witness_s, 2), "setup_s": round(setup_s, 2),
            "prove_s": round(prove_s, 2), "trades_per_s": round(n / prove_s, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="mainnet", choices=sorted(PRESETS))
    ap.add_argument("--trades", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    preset = PRESETS[args.preset]
    rows = [measure(preset, int(n), args.repeat) for n in args.trades.split(",")]
    print(f"preset {preset.name}: {preset.capacity} accounts, arity {preset.arity}, depth {preset.depth}, "
          f"M = {preset.num_markets}; native backend, median of {args.repeat}")
    print("| trades | constraints | domain | setup s | witness s | prove s | trades/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['trades']} | {r['constraints']:,} | 2^{r['domain_log2']} | {r['setup_s']} | {r['witness_s']} "
              f"| {r['prove_s']} | {r['trades_per_s']} |")
    for a, b in zip(rows, rows[1:]):
        per = (b["constraints"] - a["constraints"]) / (b["trades"] - a["trades"])
        print(f"marginal cost of a trade ({a['trades']} -> {b['trades']}): {per:,.0f} constraints, "
              f"{(b['prove_s'] - a['prove_s']) / (b['trades'] - a['trades']):.2f} s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
