"""`zkclear load`: drive a running `zkclear serve` with co-signed trades from many clients.

    zkclear load --url URL --accounts A --trades N --concurrency C [--json] [--wait-settled]
                 [--settle-timeout S] [--preset tiny|demo|mainnet]

1. Registers A institutions through the API and the chain (`sequencer.client`: on a local
   chain from its prefunded accounts, the test stablecoin's open `mint`), deposits for each,
   and waits until a settled batch holds them all.
2. Signs N random co-signed trades between them (fresh nonces; before the measured window).
3. Submits them from C concurrent clients (keep-alive connections, `send_all`) and reports
   accepted, refused, throttled (429), accepted per second (accepted trades over the time
   from the first trade request to the last answer) and latency percentiles; `--wait-settled`
   then waits until every accepted op is settled and adds `settled` (how many) and the time
   from acceptance to settlement, `settle_p50_s` / `settle_p99_s` / `settle_max_s`: from each
   op's 202 to the first poll that sees it settled (`SettleWatch`: GET /v1/batches every
   0.25 s while the trades are sent and after, so the poll's period bounds the error).
"""
from __future__ import annotations

import json
import threading
import random
import time
from dataclasses import fields

DEPOSIT_UNITS = 10**12


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


class SettleWatch:
    """Notes when each watched op is first seen settled, from the settled batches' op ids
    (a few cheap GET /v1/batches per second, not one GET per op); every 30 s the ops
    not seen in a settled batch are asked one by one, to learn which ended refused or
    cancelled (those never settle)."""

    def __init__(self, url: str, period_s: float = 0.25, sweep_s: float = 30.0):
        import httpx

        self.http = httpx.Client(base_url=url, timeout=30)
        self.period_s, self.sweep_s = period_s, sweep_s
        self.accepted_at: dict[str, float] = {}  # op id -> when its 202 arrived
        self.settled_at: dict[str, float] = {}
        self.ended: dict[str, str] = {}  # op id -> refused / cancelled
        self._seen_batches: set = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="settle-watch", daemon=True)
        self._thread.start()

    def accepted(self, op_id: str, at: float) -> None:
        with self._lock:
            self.accepted_at[op_id] = at

    def open_ops(self) -> list[str]:
        with self._lock:
            return [i for i in self.accepted_at if i not in self.settled_at and i not in self.ended]

    def _poll_batches(self) -> None:
        limit = 10
        while True:
            batches = self.http.get("/v1/batches", params={"limit": limit}).json()
            now = time.time()
            new = [b for b in batches if b["status"] == "settled" and b["number"] not in self._seen_batches]
            with self._lock:
                for b in new:
                    self._seen_batches.add(b["number"])
                    for op_id in b["op_ids"]:
                        self.settled_at.setdefault(op_id, now)
            # all of a page new: older batches may have settled since the last poll
            if len(batches) < limit or not new or len(new) < len(batches) or limit >= 1000:
                return
            limit = min(1000, limit * 10)

    def _sweep(self) -> None:
        for op_id in self.open_ops():
            status = self.http.get(f"/v1/ops/{op_id}").json()["status"]
            with self._lock:
                if status == "settled":
                    self.settled_at.setdefault(op_id, time.time())
                elif status in ("refused", "cancelled"):
                    self.ended[op_id] = status

    def _run(self) -> None:
        last_sweep = time.time()
        while not self._stop.wait(self.period_s):
            try:
                self._poll_batches()
                if time.time() - last_sweep >= self.sweep_s:
                    self._sweep()
                    last_sweep = time.time()
            except Exception:  # a poll that failed is tried again at the next period
                continue

    def wait(self, timeout: float) -> None:
        """Until every accepted op is settled, refused or cancelled, or `timeout` seconds."""
        deadline = time.time() + timeout
        while self.open_ops() and time.time() < deadline:
            time.sleep(self.period_s)
        self._stop.set()
        self._thread.join(timeout=30)
        self._sweep()  # the last word on the ops still open
        self.http.close()

    def summary(self) -> dict:
        lat = [self.settled_at[i] - self.accepted_at[i] for i in self.accepted_at if i in self.settled_at]
        return {"settled": len(lat), "settle_p50_s": round(_percentile(lat, 50), 2),
                "settle_p99_s": round(_percentile(lat, 99), 2), "settle_max_s": round(max(lat, default=0.0), 2)}


async def send_all(url: str, bodies: list[dict], concurrency: int, on_accepted=None) -> tuple[list, float]:
    """POST each body to /v1/trades from `concurrency` keep-alive HTTP/1.1 connections, each
    sending its next request when the last is answered. Requests are encoded before the
    clock starts and answers parsed minimally (status line, Content-Length, body), so that
    the client's CPU stays small next to the server's on a shared machine (a threaded httpx
    client costs a few ms of CPU per request). Returns, per body in order, (status, latency
    ms, op id or None, refusal reason or None), and the seconds from the first request to
    the last answer. `on_accepted(op_id, unix time)` is called as each 202 arrives."""
    import asyncio  # (here, not at the top: building the zkclear parser stays light)

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
                if status == 202 and on_accepted is not None:
                    on_accepted(answer["id"], time.time())
                results[i] = (status, ms, answer.get("id") if status == 202 else None,
                              None if status in (202, 429) else answer.get("reason", payload[:100].decode()))
        finally:
            writer.close()

    first = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return results, time.perf_counter() - first


def run_load(url: str, accounts: int, trades: int, concurrency: int, *, seed: int = 1, wait_settled: bool = False,
             settle_timeout: float = 600.0, preset: str | None = None, log=print) -> dict:
    import httpx

    from .client import Institution, sig_json

    url = url.rstrip("/")
    info = httpx.get(f"{url}/v1/chain", timeout=30).json()
    preset = preset or info.get("preset") or "tiny"  # the service says which it runs
    from web3 import Web3

    l1 = Web3(Web3.HTTPProvider(info["rpc_url"])).eth.accounts[1:9]  # anvil's prefunded accounts, not the sequencer's
    run_tag = f"{seed}-{time.time_ns()}".encode()
    insts = [Institution.connect(url, seed=b"zkclear-load-%s-%d" % (run_tag, i), l1_address=l1[i % len(l1)],
                                 preset=preset) for i in range(accounts)]
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

    watch = SettleWatch(url) if wait_settled else None
    import asyncio

    results, window = asyncio.run(send_all(url, bodies, concurrency,
                                           on_accepted=watch.accepted if watch is not None else None))
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
    if watch is not None:
        t0 = time.time()
        watch.wait(settle_timeout)
        out.update(watch.summary())
        out["settle_s"] = round(time.time() - t0, 1)  # after the last answer, until the last op settled
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
    p.add_argument("--preset", default=None, choices=("tiny", "demo", "mainnet"),
                   help="the service's preset (its signing domain and markets; default: as GET /v1/chain says)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--wait-settled", action="store_true", help="wait until every accepted op is settled")
    p.add_argument("--settle-timeout", type=float, default=600.0,
                   help="with --wait-settled: give up after this many seconds (what settled is reported)")
    p.set_defaults(func=_main)


def _main(args) -> int:
    from prover.errors import CliError

    if args.accounts < 2 or args.trades < 1 or args.concurrency < 1:
        raise CliError("need --accounts >= 2, --trades >= 1, --concurrency >= 1")
    log = (lambda *_: None) if args.json else print
    out = run_load(args.url, args.accounts, args.trades, args.concurrency, seed=args.seed,
                   wait_settled=args.wait_settled, settle_timeout=args.settle_timeout, preset=args.preset, log=log)
    if args.json:
        print(json.dumps(out))
    else:
        print(" ".join(f"{k}={v}" for k, v in out.items() if k != "op_ids"))
    return 0
