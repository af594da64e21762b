"""`zkclear demo` (`make demo`): the sequencer service end to end, as institutions use it.

It starts a local chain (anvil, unless --rpc-url names a node with unlocked accounts) and
`zkclear serve` on it as a subprocess, then plays four institutions through the Python client
(`sequencer.client.Institution`):

1. alice, bob, carol and dave register (POST /v1/accounts, then Rollup.register on L1) and
   deposit the test stablecoin; batches consume the L1 queues (one registration a batch at tiny).
2. The demo is the oracle committee (the public development keys, `DevCommittee`): it posts
   a scripted price path (`PATH`) with a funding index that grows in market 0, one round
   per step, so every run is the same. At each step institutions co-sign trades at the new
   mark price; the batch that settles them applies the round's funding (`Funding` ops cut by
   the batcher from the oracle's indices).
3. dave is over-leveraged (a 100-lot long on 12 % collateral); the last step drops market 0's
   price 9 %: the batch builder liquidates dave to the insurance fund and deleverages the
   fund's long onto carol, the only short, in the same batch.
4. alice withdraws; once the batch settles the Rollup credits her and `claim` pays her L1
   address in tokens.
5. alice hands a viewing key to an auditor (`sequencer.client.Auditor`, which holds nothing
   else): it reads her account and recomputes the state root from her leaf, its Merkle path
   and the globals the chain holds; it must equal the Rollup's `stateRoot`.
6. Data availability: two DA committee members (`zkclear da member`, development keys) run
   beside the service, which settles every batch with both signatures; at the end each has
   stored every settled batch, and alice, with only her key and one member's URL, rebuilds her
   leaf at the Rollup's root (`zkclear exit`'s first half, without the freeze).

Progress lines follow each batch (GET /v1/batches: cut, proved, settled with its gas). The
service verifies every proof before it submits it, and the Rollup verifies it again on
chain. The run ends with a report (trades and batches settled, proof times, gas per batch,
the checks) written to OUT/report.json too; the exit code is 0 only if every check passed.
Every child process (serve, with its proving worker, and anvil) is stopped at the end, on
failure and on Ctrl-C. Keys are set up once under --data-dir (about a minute at tiny on 2
cores) and reused by later runs.
"""
from __future__ import annotations

import json
import os
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
OP_TIMEOUT = 240.0  # seconds an op may take to settle (a batch proves in seconds at tiny)


@dataclass(frozen=True)
class Step:
    """One oracle round and what the institutions do at its prices."""

    what: str
    prices: tuple[int, int]  # ladder indices of markets 0 and 1 (others stay at 1000)
    funding: int  # market 0's cumulative funding index, thousandths of its price step per lot
    trades: tuple = ()  # (buyer, seller, market, lots), at the round's mark price
    withdraw: Optional[str] = None  # who withdraws one lot's worth (market 0 at ladder 1000)


NAMES = ("alice", "bob", "carol", "dave")
# deposits in lots' worth of market 0 at ladder index 1000: dave's covers 12 % of his long
DEPOSIT_LOTS = {"alice": 10_000, "bob": 10_000, "carol": 10_000, "dave": 12}
PATH = (
    Step("dave goes long 100 lots against carol; alice buys from bob", (1002, 1005), 1500,
         (("dave", "carol", 0, 100), ("alice", "bob", 1, 20))),
    Step("more trades, funding accrues; alice withdraws", (1004, 998), 3000,
         (("alice", "carol", 0, 10), ("bob", "alice", 1, 8)), withdraw="alice"),
    Step("market 0 drops 9 %: dave falls below maintenance margin", (910, 1001), 5000,
         (("bob", "alice", 1, 3),)),
)
FEE = 1_000  # collateral units each counterparty pays the insurance fund per trade


def lot_units(preset) -> int:
    """One lot of market 0 at ladder index 1000, in collateral units: the scale of deposits
    and of the withdrawal, so the path does the same at every preset."""
    return 1000 * preset.markets[0].price_step


def deposit_units(name: str, preset) -> int:
    return DEPOSIT_LOTS[name] * lot_units(preset)


def ladder(pair, preset) -> list[int]:
    """A step's ladder indices for every market (beyond the first two: 1000, the genesis)."""
    return list(pair) + [1000] * (preset.num_markets - 2)


def funding_indices(thousandths: int, preset) -> list[int]:
    """A step's cumulative funding indices: market 0's in its price steps, the others 0 (at
    tiny one funding slot moves one market a batch)."""
    return [thousandths * preset.markets[0].price_step // 1000] + [0] * (preset.num_markets - 1)


def say(msg: str) -> None:
    print(msg, flush=True)  # progress as it happens, also through a pipe


def _step(msg: str, log=say) -> None:
    log(f"==> {msg}")


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Report:
    checks: list = field(default_factory=list)
    trades_settled: int = 0
    ops_settled: int = 0
    batches_settled: int = 0
    prove_s: list = field(default_factory=list)
    gas: list = field(default_factory=list)
    elapsed_s: float = 0.0
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str, passed: bool, detail: str, log=say) -> bool:
        self.checks.append(Check(name, bool(passed), detail))
        log(f"    [{'PASS' if passed else 'FAIL'}] {name}: {detail}")
        return bool(passed)

    def to_json(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


# --- the processes -----------------------------------------------------------------------------
class ServeFailed(RuntimeError):
    pass


class ServeProcess:
    """`zkclear serve` as a subprocess (its own session, so a Ctrl-C reaches only the demo,
    which then stops it: SIGTERM, and SIGKILL if it does not exit)."""

    def __init__(self, rpc_url: str, db_url: str, data_dir: Path, preset: str, log_path: Path, da_members=()):
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.log_path = log_path
        self.url: Optional[str] = None
        da = [a for u in da_members for a in ("--da-member", u)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sequencer.cli", "serve", "--rpc-url", rpc_url, "--db", db_url,
             "--data-dir", str(data_dir), "--preset", preset, "--port", "0", "--batch-age", "1", *da],
            stdout=subprocess.PIPE, stderr=open(log_path, "ab"), text=True, env=env, start_new_session=True)

    def wait_ready(self, timeout: float = 900.0) -> str:
        """Until it prints `listening on http://HOST:PORT` (the first start sets up the keys)."""
        deadline = time.monotonic() + timeout
        line = ""
        while not line and time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
        if not line.startswith("listening on http://"):
            self.stop()
            lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
            tail = "\n".join(lines[-5:])
            raise ServeFailed(f"zkclear serve did not start (its log: {self.log_path}):\n{tail}")
        self.url = line.split()[-1]
        return self.url

    def stop(self) -> Optional[int]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


class MemberProcess:
    """`zkclear da member` as a subprocess (its folder and key file under OUT/da/)."""

    def __init__(self, rpc_url: str, directory: Path, key: bytes, log_path: Path):
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        directory.mkdir(parents=True)
        keyfile = directory.with_suffix(".key")
        keyfile.write_text(key.hex())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sequencer.cli", "da", "member", "--store", str(directory), "--key", str(keyfile),
             "--listen", "127.0.0.1:0", "--rpc-url", rpc_url, "--sync-interval", "0.5"],
            stdout=subprocess.PIPE, stderr=open(log_path, "ab"), text=True, env=env, start_new_session=True)
        self.url: Optional[str] = None
        self.log_path = log_path

    def wait_ready(self, timeout: float = 120.0) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("listening on http://"):
            self.stop()
            tail = "\n".join(self.log_path.read_text(errors="replace").strip().splitlines()[-5:])
            raise ServeFailed(f"zkclear da member did not start (its log: {self.log_path}):\n{tail}")
        self.url = line.split()[2]
        return self.url

    def stop(self) -> Optional[int]:
        return ServeProcess.stop(self)


class BatchProgress(threading.Thread):
    """Prints a line each time a batch changes status (polls GET /v1/batches)."""

    def __init__(self, url: str, log=say, poll_s: float = 0.3):
        super().__init__(name="demo-progress", daemon=True)
        import httpx

        self.http = httpx.Client(base_url=url, timeout=10)
        self.log, self.poll_s = log, poll_s
        self.seen: dict[int, str] = {}
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.halt.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the service stopping: the demo reports it
                pass

    def poll(self) -> None:
        """Print what changed since the last poll (the demo also calls it between steps, so
        a batch's lines come before the next step's)."""
        with self.lock:
            self._poll()

    def _poll(self) -> None:
        rows = self.http.get("/v1/batches", params={"limit": 50}).json()
        for b in sorted(rows, key=lambda b: b["number"]):
            status = b["status"]
            if self.seen.get(b["number"]) == status:
                continue
            self.seen[b["number"]] = status
            n = f"    batch {b['number']:>3}"
            if status == "proving":
                what = f"{len(b['op_ids'])} signed op(s)" if b["op_ids"] else "L1 queue entries"
                self.log(f"{n}: cut at oracle round {b['oracle_round']} ({what}); proving")
            elif status == "proved":
                self.log(f"{n}: proved in {b['prove_s']:.1f} s and verified locally; submitting")
            elif status == "submitted":
                self.log(f"{n}: submitted ({b['gas'] or 0:,} gas)")
            elif status == "settled":
                proof = f"proved in {b['prove_s']:.1f} s, " if b["prove_s"] else ""
                self.log(f"{n}: settled on L1: {proof}{b['gas'] or 0:,} gas, root {b['new_root'][:14]}...")
            else:
                self.log(f"{n}: {status}")

    def catch_up(self) -> None:
        try:
            self.poll()
        except Exception:  # progress lines only: never a reason to fail
            pass

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=5)
        self.catch_up()  # the last transitions
        self.http.close()


# --- the scenario ------------------------------------------------------------------------------
def _oracle_committee(chain, oracle_address: str):
    from verifier_contracts.oracle import DevCommittee, OracleClient

    from .pipeline.chain import COMMITTEE_SEED, REPORTER_ACCOUNT

    committee = DevCommittee.from_seed(COMMITTEE_SEED).attach(OracleClient.at(chain, oracle_address))
    accounts = chain.w3.eth.accounts
    return committee, accounts[min(REPORTER_ACCOUNT, len(accounts) - 1)]


def run_scenario(url: str, preset_name: str = "tiny", log=say, sync=None, da_members=()) -> Report:
    """Play the institutions against a running `zkclear serve` whose oracle has no reporters
    of its own (this function posts the rounds); returns the report with its checks. `sync`
    is called once the ops of a step have settled (the progress lines catch up).
    `da_members`: the service's DA members' URLs (the data availability check)."""
    import httpx
    from web3 import Web3

    from .client import Auditor, Institution
    from .spec.constants import PRESETS

    preset = PRESETS[preset_name]
    report = Report()
    t0 = time.time()
    unit = lot_units(preset)

    api = httpx.Client(base_url=url, timeout=30)
    inst: dict = {}
    ops: dict[str, str] = {}  # op id -> what it is

    def post_round(pair, thousandths) -> int:
        g, f = ladder(pair, preset), funding_indices(thousandths, preset)
        rid = committee.post_round(g, f, sender=reporter)
        log(f"    oracle round {rid}: ladder indices {g}, funding indices {f}")
        return rid

    try:
        chain_info = api.get("/v1/chain").json()
        l1 = Web3(Web3.HTTPProvider(chain_info["rpc_url"])).eth.accounts  # unlocked: anvil's prefunded ones
        inst.update({name: Institution.connect(url, seed=b"zkclear-demo-" + name.encode(), l1_address=l1[1 + i],
                                               preset=preset_name) for i, name in enumerate(NAMES)})
        rollup = inst["alice"].rollup
        committee, reporter = _oracle_committee(rollup.chain, chain_info["oracle"])

        _step("The oracle committee (development keys) posts round 1 at the genesis prices", log)
        post_round((1000, 1000), 0)

        _step("Four institutions register (API + L1) and deposit the test stablecoin", log)
        for name, who in inst.items():
            who.register()
            who.mint_and_deposit(deposit_units(name, preset))
            log(f"    {name}: account {who.account_id}, L1 {who.l1_address}, deposit "
                f"{deposit_units(name, preset):,} units")
        onboard = []
        for name, who in inst.items():
            acc = who.wait_registered(min_collateral=deposit_units(name, preset), timeout=OP_TIMEOUT)
            onboard.append(acc["leaf"]["collateral"] == deposit_units(name, preset))
        if sync:
            sync()
        report.check("onboarding", all(onboard), f"{len(inst)} accounts registered with their deposits", log)

        before_drop = {}
        for k, step in enumerate(PATH, 1):
            if k == len(PATH):  # positions before the drop (the liquidation's evidence)
                before_drop = {name: who.account()["leaf"]["positions"][0] for name, who in inst.items()}
            _step(f"Step {k}/{len(PATH)}: {step.what}", log)
            post_round(step.prices, step.funding)
            batch_ops = []
            for buyer, seller, market, lots in step.trades:
                b, s = inst[buyer], inst[seller]
                price = ladder(step.prices, preset)[market] * preset.markets[market].price_step
                trade, sig = s.co_sign(b.propose_trade(s.account_id, market=market, size=lots, price=price, fee=FEE))
                op_id = b.submit_trade(trade, sig)
                ops[op_id] = f"trade: {buyer} buys {lots} lots of {preset.markets[market].name} from {seller}"
                batch_ops.append((b, op_id))
                log(f"    {ops[op_id]} at {price:,} (co-signed): {op_id}")
            if step.withdraw:
                who = inst[step.withdraw]
                op_id = who.withdraw(unit)
                ops[op_id] = f"withdrawal: {step.withdraw} withdraws {unit:,} units"
                batch_ops.append((who, op_id))
                log(f"    {ops[op_id]}: {op_id}")
            for who, op_id in batch_ops:
                got = who.wait_settled(op_id, timeout=OP_TIMEOUT)
                if got["status"] != "settled":
                    raise RuntimeError(f"{ops[op_id]} was {got['status']}: {got.get('reason')}")
            if sync:
                sync()

        _step("Checks", log)
        accounts = {name: who.account() for name, who in inst.items()}
        batches = api.get("/v1/batches", params={"limit": 1000}).json()
        settled = [b for b in batches if b["status"] == "settled"]
        in_batches = [i for b in settled for i in b["op_ids"]]
        once = all(in_batches.count(i) == 1 for i in ops) and len(in_batches) == len(set(in_batches))
        statuses = {i: inst["alice"].op(i)["status"] for i in ops}
        report.check("every op settled exactly once",
                     once and all(s == "settled" for s in statuses.values()),
                     f"{sum(s == 'settled' for s in statuses.values())} of {len(ops)} ops settled, each in one "
                     f"settled batch", log)
        state = rollup.state()
        report.check("the chain agrees", state["batchNumber"] == len(settled) == settled[0]["number"]
                     and settled[0]["new_root"] == hex(state["stateRoot"]) == accounts["alice"]["root"],
                     f"Rollup at batch {state['batchNumber']}, root {hex(state['stateRoot'])[:14]}... = the "
                     f"service's", log)
        f_final = funding_indices(PATH[-1].funding, preset)[0]
        snapshots = [a["leaf"]["snapshots"][0] for a in accounts.values()]
        report.check("funding", f_final != 0 and all(f == f_final for f in snapshots),
                     f"market 0's funding index reached {f_final:,} per lot through the batches; every account "
                     f"has settled it (snapshots {snapshots})", log)
        dave, carol = accounts["dave"]["leaf"], accounts["carol"]["leaf"]
        flat = all(q == 0 for q in dave["positions"])
        sums = [sum(a["leaf"]["positions"][j] for a in accounts.values()) for j in range(preset.num_markets)]
        deleveraged = before_drop["carol"] - carol["positions"][0]  # the fund's long moved onto carol's short
        report.check("liquidation", before_drop["dave"] > 0 and flat
                     and dave["collateral"] < deposit_units("dave", preset)
                     and deleveraged == -before_drop["dave"] and all(s == 0 for s in sums),
                     f"dave's {before_drop['dave']}-lot long was liquidated at the drop: he is flat with "
                     f"{dave['collateral']:,} of his {deposit_units('dave', preset):,} units; carol's short went "
                     f"from {before_drop['carol']} to {carol['positions'][0]} lots (the fund deleveraged onto her), "
                     f"the insurance fund holds none (positions sum to {sums})", log)

        alice = inst["alice"]
        credit = rollup.credit(alice.account_id)
        before = rollup.balance(alice.l1_address)
        rollup.claim(alice.account_id, sender=alice.l1_address)
        paid = rollup.balance(alice.l1_address) - before
        report.check("withdrawal", credit == unit and paid == unit * rollup.unit_scale
                     and rollup.credit(alice.account_id) == 0,
                     f"the Rollup credited alice {credit:,} units; claim paid her L1 address {paid:,} tokens", log)

        key = alice.create_viewing_key("auditor")
        auditor = Auditor.connect(url, alice.account_id, key["key"], preset=preset_name)
        try:
            result = auditor.check_against_chain(rollup)
            other = auditor.http.get(f"/v1/accounts/{inst['bob'].account_id}",
                                     headers={"Authorization": f"Bearer {key['key']}"}).status_code
        finally:
            auditor.close()
        report.check("auditor", result.ok and other in (401, 403, 404),
                     f"with only a viewing key: alice's leaf and Merkle path hash to {hex(result.root_from_leaf)[:14]}"
                     f"..., the Rollup's stateRoot at batch {result.batch}; bob's account: HTTP {other}", log)

        if da_members:
            report.check("data availability", *da_check(da_members, rollup, alice, accounts["alice"]), log)

        report.trades_settled = sum(1 for i, what in ops.items() if what.startswith("trade") and
                                    statuses[i] == "settled")
        report.ops_settled = sum(len(b["op_ids"]) for b in settled)
        report.batches_settled = len(settled)
        report.prove_s = [b["prove_s"] for b in sorted(settled, key=lambda b: b["number"]) if b["prove_s"]]
        report.gas = [b["gas"] for b in sorted(settled, key=lambda b: b["number"]) if b["gas"]]
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        log(f"    FAILED: {report.error}")
    finally:
        for who in inst.values():
            who.close()
        api.close()
        report.elapsed_s = time.time() - t0
    return report


def da_check(urls, rollup, alice, api_account: dict) -> tuple[bool, str]:
    """Each member stored every settled batch (the last once it saw it on chain), and alice's
    leaf rebuilt from the last member's store alone, at the Rollup's root, is the service's."""
    import tempfile

    import httpx

    from .da.owner import rebuild
    from .exit import fetch_store

    head = rollup.state()["batchNumber"]
    deadline = time.time() + 30
    while (lasts := [httpx.get(f"{u}/v1/member", timeout=10).json()["last"] for u in urls]) != [head] * len(urls):
        if time.time() > deadline:
            return False, f"the members stored batches up to {lasts}, the Rollup is at {head}"
        time.sleep(0.5)
    with tempfile.TemporaryDirectory() as tmp:
        got = rebuild(fetch_store(urls[-1], Path(tmp)), alice.account_id, alice.key.secret,
                      expected_root=rollup.state()["stateRoot"], da_public_key=rollup.da_public_key)
    leaf = api_account["leaf"]
    same = (got.account.collateral == leaf["collateral"] and list(got.account.positions) == leaf["positions"])
    return same, (f"{len(urls)} DA members signed and stored batches 0..{head}; from one member's store alone "
                  f"alice rebuilt her leaf ({got.account.collateral:,} units, positions "
                  f"{list(got.account.positions)}) and its path to the Rollup's root")


def print_report(report: Report, log=say) -> None:
    _step("Report", log)
    log(f"    trades settled      {report.trades_settled} ({report.ops_settled} signed ops in all)")
    log(f"    batches settled     {report.batches_settled}")
    if report.prove_s:
        p = report.prove_s
        log(f"    proof time          median {statistics.median(p):.1f} s (min {min(p):.1f}, max {max(p):.1f})")
    if report.gas:
        g = report.gas
        log(f"    gas per batch       median {int(statistics.median(g)):,} (min {min(g):,}, max {max(g):,})")
    log(f"    scenario time       {report.elapsed_s:.0f} s")
    for c in report.checks:
        log(f"    {'PASS' if c.passed else 'FAIL'}  {c.name}")
    if report.error:
        log(f"    FAIL  {report.error}")


def run_demo(out: Path, rpc_url: str | None = None, log=say, data_dir: Path | None = None,
             preset: str = "tiny") -> int:
    from .pipeline.chain import LocalAnvil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir or "zkclear_data").resolve()
    db = out.resolve() / "zkclear.db"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), out / "serve.log"):
        stale.unlink(missing_ok=True)  # a fresh op log: the contracts are deployed anew
    import shutil

    shutil.rmtree(out / "da", ignore_errors=True)  # and a fresh committee with them
    previous = None
    if threading.current_thread() is threading.main_thread():  # SIGTERM stops the children too
        def on_term(signum, _frame):
            raise KeyboardInterrupt
        previous = signal.signal(signal.SIGTERM, on_term)
    anvil = serve = progress = None
    members: list = []
    t0 = time.time()
    try:
        if rpc_url is None:
            _step("Starting a local chain (anvil)", log)
            anvil = LocalAnvil()
            rpc_url = anvil.url
        from .da.attest import dev_member_keys

        _step("Starting two DA committee members (development keys, UNSAFE)", log)
        (out / "da").mkdir()
        for j, key in enumerate(dev_member_keys("zkclear-demo", 2)):
            members.append(MemberProcess(rpc_url, out / "da" / f"member{j}", key, out / "da" / f"member{j}.log"))
        try:
            urls = [m.wait_ready() for m in members]
        except ServeFailed as exc:
            log(f"    FAILED: {exc}")
            return 1
        for j, u in enumerate(urls):
            log(f"    DA member {j}: pid {members[j].proc.pid}, at {u}, store {out / 'da' / f'member{j}'}")
        _step(f"Starting zkclear serve (preset {preset}) on {rpc_url}; proving keys under {data_dir / 'keys'} "
              f"(development setup, UNSAFE; the first run sets them up: about a minute at tiny)", log)
        start = time.time()
        serve = ServeProcess(rpc_url, f"sqlite:///{db}", data_dir, preset, out / "serve.log", da_members=urls)
        log(f"    zkclear serve: pid {serve.proc.pid}, log {out / 'serve.log'}")
        try:
            serve.wait_ready()
        except ServeFailed as exc:
            log(f"    FAILED: {exc}")
            return 1
        log(f"    listening on {serve.url} after {time.time() - start:.0f} s")
        progress = BatchProgress(serve.url, log)
        progress.start()
        report = run_scenario(serve.url, preset, log, sync=progress.catch_up, da_members=urls)
        progress.stop()
        progress = None
        code = serve.stop()
        serve = None
        report.check("the service stopped cleanly", code == 0, f"zkclear serve exited with {code}", log)
        print_report(report, log)
        (out / "report.json").write_text(json.dumps(report.to_json(), indent=2))
        _step(("Done: every check passed" if report.ok else "Done: a check FAILED")
              + f" in {time.time() - t0:.0f} s; report in {out / 'report.json'}", log)
        return 0 if report.ok else 1
    finally:
        if progress is not None:
            progress.stop()
        if serve is not None:
            serve.stop()
        for m in members:
            m.stop()
        if anvil is not None:
            anvil.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
