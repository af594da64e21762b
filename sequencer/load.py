"""`zkclear load`: drive a running `zkclear serve` with co-signed trades from many clients.

    zkclear load --url URL --accounts A --trades N --concurrency C [--json] [--wait-settled]

1. Registers A institutions through the API and the chain (`sequencer.client`: on a local
   chain from its prefunded accounts, the test stablecoin's open `mint`), deposits for each,
   and waits until a settled batch holds them all.
2. Signs N random co-signed trades between them (fresh nonces; before the measured window).
3. Submits them from C concurrent clients (keep-alive connections, `send_all`) and reports
   accepted, refused, throttled (429), accepted per second (accepted trades over the time
   from the first trade request to the last answer) and latency percentiles; `--wait-settled` then waits until every accepted op
   is settled and adds `settled`.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import fields

DEPOSIT_UNITS = 10**12


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


async def send_all(url: str, bodies: list[dict], concurrency: int) -> tuple[list, float]:
    """POST each body to /v1/trades from `concurrency` keep-alive HTTP/1.1 connections, each
    sending its next request when the last is answered. Requests are encoded before the
    clock starts and answers parsed minimally (status line, Content-Length, body), so that
    the client's CPU stays small next to the server's on a shared machine (a threaded httpx
    client costs a few ms of CPU per request). Returns, per body in order, (status, latency
    ms, op id or None, refusal reason or None), and the seconds from the first request to
    the last answer."""
    netloc = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "80")
    requests = []
    for i, body in enumerate(bodies):
        data = json.dumps(body).encode()
        requests.append((i, b"POST /v1/trades HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n%s" % (host.encode(), len(data), data)))
    requests.reverse()
    results: list = [None] * len(bodies)

    async def connection():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while requests:
                i, req = requests.pop()
                t0 = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                payload = await reader.readexactly(length)
                ms = (time.perf_counter() - t0) * 1000
                answer = json.loads(payload) if status != 429 else {}
                results[i] = (status, ms, answer.get("id") if status == 202 else None,
                              None if status in (202, 429) else answer.get("reason", payload[:100].decode()))
        finally:
            writer.close()

    first = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return results, time.perf_counter() - first


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

    results, window = asyncio.run(send_all(url, bodies, concurrency))
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
