"""Proving throughput of the pool (`sequencer.pipeline.pool`) with 1, 2, ... workers:

    python -m sequencer.pool_bench [--preset tiny] [--provers 1,2] [--batches 6] [--cluster ADDRESS] [--json]

For each worker count: a pool (1: today's single worker process; more: a local Dask
cluster), every worker's key loaded first (not timed), then `--batches` consecutive batches
of the preset (one co-signed trade each, built by the spec: `sample_records`) submitted at
once and taken in batch order as the pipeline takes them; reported: wall time from the first
submission to the last proof, proofs per minute, the mean time one proof took in its worker
(witness + proof), and the load average (the machine is shared: figures are indicative)."""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace


def sample_records(preset, count: int) -> list:
    """`count` consecutive batch records (numbers 1..count) on the spec: two institutions
    registered and funded through the L1 queues, then one co-signed trade per batch, both
    ways in turn; each proves with the preset's settlement circuit."""
    from circuits.crypto.eddsa import PrivateKey
    from sequencer.spec import Deposit, Register, State, Trade, build_batch, message_hash, process_batch, process_op

    keys = {i: PrivateKey.from_seed(b"zkclear-demo-institution-%d" % i) for i in range(3)}
    base = 0xD3110000000000000000000000000000000000
    prices = (1000,) * len(preset.markets)
    state = State.genesis(preset, keys[0].public_key, base, prices)
    for i in (1, 2):
        reg = Register(index=state.registration_index, pubkey=keys[i].public_key, l1_address=base + i)
        process_op(state, reg)
        process_op(state, Deposit(index=state.deposit_index, account=reg.account, amount=50_000_000_000))
    records = []
    for k in range(1, count + 1):
        buyer, seller = (1, 2) if k % 2 else (2, 1)
        trade = Trade(market=0, size=10, price=1_000_000, buyer=buyer, seller=seller, buyer_nonce=k,
                      seller_nonce=k, expiry=1000, fee=1_000)
        msg = message_hash(trade, preset.domain)
        trade = replace(trade, buyer_signature=keys[buyer].sign(msg), seller_signature=keys[seller].sign(msg))
        built = build_batch(state, [trade], prices=prices, oracle_round=1)
        assert not built.refused, built.refused
        records.append(process_batch(state, built.batch))
    return records


def measure(preset, provers: int, records: list, data_dir: str, cluster=None) -> dict:
    from sequencer.pipeline.pool import open_pool

    t = time.perf_counter()
    pool = open_pool(preset, data_dir, provers=provers, cluster=cluster)
    try:
        pool.warm_all()
        provers = pool.size
        warm_s = time.perf_counter() - t
        t0 = time.perf_counter()
        futures = [pool.submit(r) for r in records]
        proved = [f.result() for f in futures]  # in batch order
        wall = time.perf_counter() - t0
    finally:
        pool.close()
    assert all(p.verified for p in proved) and [p.number for p in proved] == [r.public.batch_number for r in records]
    workers = {p.meta.get("worker_pid") for p in proved}
    return {"provers": provers, "batches": len(records), "wall_s": round(wall, 1),
            "proofs_per_min": round(60 * len(records) / wall, 2),
            "mean_witness_plus_proof_s": round(sum(p.witness_s + p.prove_s for p in proved) / len(proved), 2),
            "workers_used": len(workers) if None not in workers else 1,
            "start_and_load_s": round(warm_s, 1), "loadavg": [round(x, 1) for x in os.getloadavg()]}


def main(argv=None) -> int:
    from sequencer.spec.constants import PRESETS

    ap = argparse.ArgumentParser(prog="python -m sequencer.pool_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--provers", default="1,2")
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--data-dir", default="zkclear_data")
    ap.add_argument("--cluster", default=None, metavar="ADDRESS",
                    help="a running Dask scheduler (its workers' count replaces --provers)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    preset = PRESETS[args.preset]
    records = sample_records(preset, args.batches)
    rows = []
    counts = [0] if args.cluster else [int(x) for x in args.provers.split(",")]
    for n in counts:
        row = measure(preset, n, records, args.data_dir, args.cluster)
        rows.append(row)
        if not args.json:
            print(row, flush=True)
    if args.json:
        print(json.dumps({"preset": preset.name, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
