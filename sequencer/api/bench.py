"""Accepted co-signed trades per second through the real HTTP app, on loopback.

    python -m sequencer.api.bench [--accounts 12] [--trades 3000] [--concurrency 32] [--db URL] [--json]

A uvicorn server runs in a child process (`bench_app`, settled state: `accounts` funded
accounts of the tiny preset, no chain, no batcher). The trades (random pairs, sizes and
sides; each account's nonces in order) are signed before the clock starts; then
`concurrency` asyncio clients send them. accepted_per_s = accepted / (first request to last
answer); latency percentiles over all answers. The `zkclear load` tool of issue 9, with
registration and deposits through the chain, replaces this once the chain stages exist."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

ENV_ACCOUNTS = "ZKCLEAR_BENCH_ACCOUNTS"
COLLATERAL = 10**13
PRICES = (1000, 1000)


def _key(i: int):
    from circuits.crypto.eddsa import PrivateKey
    return PrivateKey.from_seed(b"zkclear-bench-%d" % i)


def settled_state(accounts: int):
    from ..spec import TINY, State
    from ..spec.state import Account

    st = State.genesis(TINY, _key(0).public_key, 0xFEE, PRICES)
    for i in range(1, accounts + 1):
        st.write_account(i, replace(Account.new(_key(i).public_key, 0xA000 + i, st.funding, st.leaf_salt(i, _key(i).public_key)), collateral=COLLATERAL))
    st.registration_index = accounts  # ids 1..accounts came through the L1 registration queue
    return st


def bench_app():
    """The app the child process serves (uvicorn --factory)."""
    from . import Services, Settings, create_app
    from ..oplog import Store

    accounts = int(os.environ[ENV_ACCOUNTS])
    settings = Settings(max_pending=10_000_000)
    store = Store(settings.db_url)
    for i in range(accounts + 1):
        store.upsert_account(i, _key(i).public_key, "0x%040x" % (0xA000 + i))
    return create_app(settings, Services.build(store, settled_state(accounts), max_pending=settings.max_pending))


def signed_trades(accounts: int, n: int, seed: int = 1) -> list[dict]:
    from ..signing import Signer
    from ..spec import TINY
    from ..spec.ops import Trade, message_hash

    rng = random.Random(seed)
    signers = {i: Signer.of(_key(i)) for i in range(1, accounts + 1)}
    nonce = {i: 0 for i in signers}
    out = []
    for _ in range(n):
        buyer, seller = rng.sample(sorted(signers), 2)
        nonce[buyer] += 1
        nonce[seller] += 1
        t = Trade(market=rng.randrange(2), size=rng.randint(1, 5), price=rng.randint(900_000, 1_100_000),
                  buyer=buyer, seller=seller, buyer_nonce=nonce[buyer], seller_nonce=nonce[seller],
                  expiry=1_000_000, fee=0)
        msg = message_hash(t, TINY.domain)
        sigs = [signers[a].sign(msg) for a in (buyer, seller)]
        body = {k: getattr(t, k) for k in ("market", "size", "price", "buyer", "seller", "buyer_nonce",
                                           "seller_nonce", "expiry", "fee")}
        for name, s in zip(("buyer_signature", "seller_signature"), sigs):
            body[name] = {"R8x": str(s.R8[0]), "R8y": str(s.R8[1]), "S": str(s.S)}
        out.append(body)
    return out


async def _send_all(url: str, bodies: list[dict], concurrency: int) -> dict:
    """`concurrency` keep-alive connections, each sending its next request when the last is
    answered. Requests are encoded before the clock starts and answers parsed minimally
    (status line, Content-Length, body): the client's CPU stays small next to the server's
    on a shared machine (an httpx client costs several ms of CPU per request)."""
    host, port = url.split("//")[1].split(":")
    requests = []
    for body in bodies:
        data = json.dumps(body).encode()
        requests.append(b"POST /v1/trades HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (host.encode(), len(data), data))
    requests.reverse()
    statuses, latencies, ids = {}, [], []

    async def worker():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while requests:
                req = requests.pop()
                t0 = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 202:
                    ids.append(json.loads(payload)["id"])
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    latencies.sort()

    def pct(p):
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)
    accepted = statuses.get(202, 0)
    return {"accepted": accepted, "refused": sum(v for k, v in statuses.items() if k not in (202, 429)),
            "throttled": statuses.get(429, 0), "statuses": statuses, "wall_s": round(wall, 3),
            "accepted_per_s": round(accepted / wall, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "op_ids": ids}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=12)
    ap.add_argument("--trades", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--db", default=None, help="op log URL (default: a fresh SQLite file)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="zkclear-bench-")
    db = args.db or f"sqlite:///{tmp}/zkclear.db"
    t0 = time.perf_counter()
    bodies = signed_trades(args.accounts, args.trades)
    sign_s = time.perf_counter() - t0
    port = _free_port()
    env = dict(os.environ, ZKCLEAR_DB_URL=db, **{ENV_ACCOUNTS: str(args.accounts)})
    profile = ["-m", "cProfile", "-o", os.environ["ZKCLEAR_BENCH_PROFILE"]] if os.environ.get("ZKCLEAR_BENCH_PROFILE") else []
    server = subprocess.Popen([sys.executable, *profile, "-m", "uvicorn", "--factory", "sequencer.api.bench:bench_app",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                               "--no-access-log"], env=env)
    try:
        import httpx
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        cpu0, client0 = _cpu(server.pid), time.process_time()
        result = asyncio.run(_send_all(url, bodies, args.concurrency))
        result["server_cpu_s"] = round(_cpu(server.pid) - cpu0, 2)
        result["client_cpu_s"] = round(time.process_time() - client0, 2)
        # the server's cost, steady on a shared machine: accepted trades per CPU-second
        result["accepted_per_server_cpu_s"] = round(result["accepted"] / max(result["server_cpu_s"], 1e-9), 1)
        result["sign_s"] = round(sign_s, 2)
        result.update(trades=args.trades, concurrency=args.concurrency, accounts=args.accounts,
                      db=db.split(":")[0])
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        print(json.dumps(result))
    else:
        shown = {k: v for k, v in result.items() if k != "op_ids"}
        print(json.dumps(shown, indent=1))
    return 0


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


if __name__ == "__main__":
    sys.exit(main())
