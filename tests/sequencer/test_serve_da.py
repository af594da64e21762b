"""The DA committee with the real service (issue 10): `zkclear da member` processes, `zkclear
serve --da-member URL ...` and the owner's `zkclear exit`, on anvil at the tiny preset.

- Two members, threshold 2: serve deploys the Rollup with them as its committee, hands every
  batch's payload to both and settles each batch through submitBatchWithData with both
  signatures. The sequencer then vanishes at the worst moment: SIGKILLed right after the
  trade's batch is mined, before its log or anybody hears of it (ZKCLEAR_CRASH_AT=after_send),
  and its database is deleted; the members store that batch on their own (they follow the
  chain). An ignored deposit freezes the Rollup, and an owner, with its key, ONE member's URL
  and the exit proving key, runs `zkclear exit`: it rebuilds its leaf (the trade's position
  included) and path from that member, proves its exit and is paid its equity in tokens.
- A member sent a tampered payload (an altered path entry: ZKCLEAR_DA_TAMPER) refuses it and
  signs nothing, and the batch waits (proved, not on chain) with one signature of the two it
  needs; restarted without the tampering, serve re-cuts it and it settles, both members
  storing the chain's payload."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sequencer.client import Institution
from sequencer.da.attest import addresses, dev_member_keys
from serve_helpers import REPO, data_dir, start_serve

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]


def start_member(tmp_path: Path, name: str, key: bytes, rpc_url: str) -> tuple[subprocess.Popen, str]:
    """`zkclear da member` as its own process until it prints its URL (log in NAME.log)."""
    keyfile = tmp_path / f"{name}.key"
    keyfile.write_text(key.hex())
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "sequencer.cli", "da", "member", "--store", str(tmp_path / name),
                             "--key", str(keyfile), "--listen", "127.0.0.1:0", "--rpc-url", rpc_url,
                             "--sync-interval", "0.5"],
                            stdout=subprocess.PIPE, stderr=open(tmp_path / f"{name}.log", "ab"), text=True, env=env)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else ""
    assert line.startswith("listening on http://"), (line, (tmp_path / f"{name}.log").read_text()[-2000:])
    return proc, line.split()[2]


def member_status(url: str) -> dict:
    return httpx.get(f"{url}/v1/member", timeout=10).json()


def wait_for(what, timeout: float = 120.0, every: float = 0.5):
    deadline = time.time() + timeout
    while True:
        got = what()
        if got:
            return got
        assert time.time() < deadline, "timed out"
        time.sleep(every)


def stop(*procs) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_serve_settles_through_the_committee_and_an_owner_exits_from_one_member(tmp_path, keys_dir):
    from web3 import Web3

    from sequencer.pipeline.chain import LocalAnvil

    anvil = LocalAnvil()
    keys = dev_member_keys("test-serve-da", 2)
    procs: list = []
    serve = None
    try:
        for j, key in enumerate(keys):
            procs.append(start_member(tmp_path, f"member{j}", key, anvil.url))
        urls = [u for _, u in procs]
        data = data_dir(tmp_path, keys_dir)
        db = tmp_path / "ops.db"
        serve, url = start_serve(data, "--rpc-url", anvil.url, "--dev-reporters", "--db", f"sqlite:///{db}",
                                 "--da-member", urls[0], "--da-member", urls[1], "--da-threshold", "2",
                                 "--deadline-blocks", "64", "--batch-interval-blocks", "8", crash_at="after_send")
        l1 = Web3(Web3.HTTPProvider(anvil.url)).eth.accounts
        alice = Institution.connect(url, seed=b"da-alice", l1_address=l1[1])
        bob = Institution.connect(url, seed=b"da-bob", l1_address=l1[2])
        for inst in (alice, bob):
            inst.register()
            inst.mint_and_deposit(10**10)
        for inst in (alice, bob):
            inst.wait_registered(min_collateral=10**10, timeout=150)
        rollup = alice.rollup
        assert alice.chain_info()["da_members"] == urls  # what an owner keeps for its exit
        before_trade = rollup.state()["batchNumber"]
        trade, sig = bob.co_sign(alice.propose_trade(bob.account_id, market=0, size=3, price=1_000_000))
        alice.submit_trade(trade, sig)
        # the sequencer vanishes right after the trade's batch is mined, before anybody hears of it
        assert serve.wait(timeout=150) == -signal.SIGKILL
        serve = None
        members, k = rollup.da_committee()
        assert set(members) == set(addresses(keys)) and k == 2  # serve deployed it with this committee
        head = rollup.state()["batchNumber"]
        assert head == before_trade + 1
        data_events = rollup.rollup.events.BatchData().get_logs(from_block=0)
        assert sorted(int(e["args"]["batchNumber"]) for e in data_events) == list(range(1, head + 1))
        for u in urls:  # each member stored every settled batch (the last one once it saw it on chain)
            wait_for(lambda u=u: member_status(u)["last"] == head, timeout=30)

        # its database is deleted; an ignored deposit freezes the Rollup
        db.unlink()
        rollup.mint(l1[1], 5 * rollup.unit_scale)
        rollup.deposit(alice.account_id, 5 * rollup.unit_scale, sender=l1[1])
        deadline = rollup.rollup.functions.deadlineBlocks().call()
        rollup.chain.w3.provider.make_request("anvil_mine", [hex(deadline + 1)])
        keyfile = tmp_path / "alice.key"
        keyfile.write_text("seed:da-alice")
        before = rollup.balance(l1[1])
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        out = subprocess.run([sys.executable, "-m", "sequencer.cli", "exit", "--account", str(alice.account_id),
                              "--key", str(keyfile), "--da-member", urls[1], "--rpc-url", anvil.url,
                              "--rollup", rollup.rollup.address, "--data-dir", str(data), "--freeze"],
                             capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert rollup.state()["frozen"] and got["batch"] == head
        assert got["positions"][0] == 3 and got["collateral"] <= 10**10  # the trade the log never recorded
        assert got["equity"] > 0 and got["paid"] == got["equity"] * rollup.unit_scale == rollup.balance(l1[1]) - before
        assert rollup.credit(alice.account_id) == 0
    finally:
        stop(serve, *(p for p, _ in procs))
        anvil.stop()


def test_a_member_refuses_a_tampered_payload_and_the_batch_waits_for_its_signature(tmp_path, keys_dir):
    from web3 import Web3

    from sequencer.pipeline.chain import LocalAnvil

    anvil = LocalAnvil()
    keys = dev_member_keys("test-serve-da-tamper", 2)
    procs: list = []
    serve = None
    try:
        for j, key in enumerate(keys):
            procs.append(start_member(tmp_path, f"member{j}", key, anvil.url))
        urls = [u for _, u in procs]
        data = data_dir(tmp_path, keys_dir)
        args = ("--rpc-url", anvil.url, "--dev-reporters", "--db", f"sqlite:///{tmp_path / 'ops.db'}",
                "--da-member", urls[0], "--da-member", urls[1])  # threshold: both
        serve, url = start_serve(data, *args, env_extra={"ZKCLEAR_DA_TAMPER": "1"})
        l1 = Web3(Web3.HTTPProvider(anvil.url)).eth.accounts
        alice = Institution.connect(url, seed=b"tamper-alice", l1_address=l1[1])
        alice.register()  # batch 1 consumes the registration
        # member 0 checks and signs the true payload (a candidate until the chain has it) ...
        wait_for(lambda: member_status(urls[0])["pending"] == [1], timeout=150)
        # ... member 1 is sent an altered path entry: refused, nothing kept, nothing signed, again and again
        log1 = tmp_path / "member1.log"
        wait_for(lambda: log1.read_text().count("refused: batch 1") >= 2, timeout=60)
        assert member_status(urls[1])["last"] == 0 and member_status(urls[1])["pending"] == []
        batch = httpx.get(f"{url}/v1/batches/1").json()
        assert batch["status"] == "proved"  # proved, waiting for its signatures
        assert alice.rollup.state()["batchNumber"] == 0  # never sent with one signature of two
        # without the tampering the batch is cut again at the restart and settles
        stop(serve)
        serve, url = start_serve(data, *args)
        wait_for(lambda: alice.rollup.state()["batchNumber"] >= 1, timeout=150)
        for u in urls:
            wait_for(lambda u=u: member_status(u)["last"] >= 1 and member_status(u)["pending"] == [], timeout=30)
        assert json.loads(httpx.get(f"{urls[1]}/v1/payloads/1").text)["new_root"] == \
            str(alice.rollup.state()["stateRoot"]) or alice.rollup.state()["batchNumber"] > 1
    finally:
        stop(serve, *(p for p, _ in procs))
        anvil.stop()
