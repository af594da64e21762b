"""`zkclear load`: drive a running `zkclear serve` with co-signed trades from many clients.

    zkclear load --url URL --accounts A --trades N --concurrency C [--json] [--wait-settled]

1. Registers A institutions through the API and the chain (`sequencer.client`: on a local
   chain from its prefunded accounts, the test stablecoin's open `mint`), deposits for each,
   and waits until a settled batch holds them all.
2. Signs N random co-signed trades between them (fresh nonces; before the measured window).
3. Submits them from C concurrent clients and reports accepted, refused, throttled (429),
   accepted per second (accepted trades over the time from the first trade request to the
   last answer) and latency percentiles; `--wait-settled` then waits until every accepted op
   is settled and adds `settled`.
"""
from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields

DEPOSIT_UNITS = 10**12


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def run_load(url: str, accounts: int, trades: int, concurrency: int, *, seed: int = 1, wait_settled: bool = False,
             settle_timeout: float = 600.0, log=print) -> dict:
    import httpx

    from .client import Institution, sig_json

    url = url.rstrip("/")
    info = httpx.get(f"{url}/v1/chain", timeout=30).json()
    from web3 import Web3

    l1 = Web3(Web3.HTTPProvider(info["rpc_url"])).eth.accounts[1:9]  # anvil's prefunded accounts, not the sequencer's
    run_tag = f"{seed}-{time.time_ns()}".encode()
    insts = [Institution.connect(url, seed=b"zkclear-load-%s-%d" % (run_tag, i), l1_address=l1[i % len(l1)])
             for i in range(accounts)]
    t0 = time.time()
    for inst in insts:
        inst.register()
        inst.mint_and_deposit(DEPOSIT_UNITS)
    for inst in insts:
        inst.wait_registered(min_collateral=DEPOSIT_UNITS, timeout=60 + 20 * accounts)
    log(f"{accounts} accounts registered and funded in {time.time() - t0:.1f} s")

    rng = random.Random(seed)
    bodies = []
    t0 = time.time()
    for _ in range(trades):
        a, b = rng.sample(insts, 2)
        trade = a.propose_trade(b.account_id, market=rng.randrange(a.preset.num_markets), size=rng.randint(1, 3),
                                price=1_000_000)
        trade, sig_b = b.co_sign(trade)
        body = {f.name: getattr(trade, f.name) for f in fields(trade) if not f.name.endswith("signature")}
        body.update(buyer_signature=sig_json(a.sign(trade)), seller_signature=sig_json(sig_b))
        bodies.append(body)
    log(f"{trades} trades signed in {time.time() - t0:.1f} s")

    results: list = [None] * len(bodies)
    local = threading.local()

    def client():
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=url, timeout=60)
        return local.c

    def send(i: int):
        start = time.perf_counter()
        r = client().post("/v1/trades", json=bodies[i])
        ms = (time.perf_counter() - start) * 1000
        results[i] = (r.status_code, ms, r.json().get("id") if r.status_code == 202 else None,
                      None if r.status_code in (202, 429) else r.json().get("reason", r.text[:100]))

    first = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, range(len(bodies))))
    window = time.perf_counter() - first
    accepted = [r for r in results if r[0] == 202]
    refused = [r for r in results if r[0] not in (202, 429)]
    reasons: dict = {}
    for r in refused:
        reasons[str(r[3])] = reasons.get(str(r[3]), 0) + 1
    out = {"accepted": len(accepted), "refused": len(refused), "throttled": sum(1 for r in results if r[0] == 429),
           "accepted_per_s": round(len(accepted) / window, 1) if window > 0 else 0.0,
           "p50_ms": round(_percentile([r[1] for r in results], 50), 2),
           "p99_ms": round(_percentile([r[1] for r in results], 99), 2),
           "window_s": round(window, 3), "refused_reasons": reasons, "op_ids": [r[2] for r in accepted]}
    if wait_settled:
        t0 = time.time()
        pending = set(out["op_ids"])
        with httpx.Client(base_url=url, timeout=30) as c:
            while pending and time.time() - t0 < settle_timeout:
                for op_id in list(pending):
                    if c.get(f"/v1/ops/{op_id}").json()["status"] in ("settled", "refused", "cancelled"):
                        pending.discard(op_id)
                if pending:
                    time.sleep(1)
            statuses = [c.get(f"/v1/ops/{i}").json()["status"] for i in out["op_ids"]]
        out["settled"] = statuses.count("settled")
        out["settle_s"] = round(time.time() - t0, 1)
    for inst in insts:
        inst.close()
    return out


def register(sub) -> None:
    p = sub.add_parser("load", help="drive a running service with co-signed trades from many clients",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8000")
    p.add_argument("--accounts", type=int, default=12)
    p.add_argument("--trades", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--wait-settled", action="store_true", help="wait until every accepted op is settled")
    p.set_defaults(func=_main)


def _main(args) -> int:
    from prover.errors import CliError

    if args.accounts < 2 or args.trades < 1 or args.concurrency < 1:
        raise CliError("need --accounts >= 2, --trades >= 1, --concurrency >= 1")
    log = (lambda *_: None) if args.json else print
    out = run_load(args.url, args.accounts, args.trades, args.concurrency, seed=args.seed,
                   wait_settled=args.wait_settled, log=log)
    if args.json:
        print(json.dumps(out))
    else:
        print(" ".join(f"{k}={v}" for k, v in out.items() if k != "op_ids"))
    return 0
