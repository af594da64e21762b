"""`zkclear serve` end to end, as a user runs it: a subprocess on the tiny preset with its own
anvil (committee oracle, reporters posting rounds), two institutions through
`sequencer.client`: register on L1, deposit the test stablecoin, co-sign a trade; the trade's
op goes accepted -> batched -> proved -> submitted -> settled, the chain's state root is the
service's spec root, GET /v1/batches shows the batch; a withdrawal and a forced withdrawal are
credited on chain; a viewing key reads one account only; `zkclear load` settles a few
concurrent trades; SIGTERM stops it cleanly (its anvil too).
Bounded: the first start sets up the development keys (about a minute on 2 cores)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sequencer.client import Institution
from serve_helpers import data_dir, start_serve

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]
REPO = Path(__file__).resolve().parents[2]
ORDER = ["accepted", "batched", "proved", "submitted", "settled"]


def test_serve_settles_a_cosigned_trade_on_its_own_chain(tmp_path, keys_dir):
    data = data_dir(tmp_path, keys_dir)
    proc, url = start_serve(data)
    try:
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        chain = httpx.get(f"{url}/v1/chain").json()
        assert chain["chain_id"] == 31337 and {"rpc_url", "rollup", "oracle", "collateral_token"} <= set(chain)
        from web3 import Web3

        l1 = Web3(Web3.HTTPProvider(chain["rpc_url"])).eth.accounts
        alice = Institution.connect(url, seed=b"e2e-alice", l1_address=l1[1])
        bob = Institution.connect(url, seed=b"e2e-bob", l1_address=l1[2])
        for inst in (alice, bob):
            inst.register()
            inst.mint_and_deposit(10**10)
        assert (alice.account_id, bob.account_id) == (1, 2)
        for inst in (alice, bob):
            acc = inst.wait_registered(min_collateral=10**10, timeout=120)
            assert acc["leaf"]["collateral"] == 10**10
        trade, bob_sig = bob.co_sign(alice.propose_trade(bob.account_id, market=0, size=2, price=1_000_000))
        op_id = alice.submit_trade(trade, bob_sig)
        seen: list = []
        got = alice.wait_settled(op_id, timeout=120, seen=seen)
        assert got["status"] == "settled" and got["l1_tx"].startswith("0x") and got["batch"] >= 1
        assert [s for s in ORDER if s in seen] == seen, seen  # in order, whatever the poll caught
        # the chain's root is the service's spec root, and the batch shows the trade
        rollup = alice.rollup
        state = rollup.state()
        batches = httpx.get(f"{url}/v1/batches", params={"limit": 10}).json()
        assert [b["number"] for b in batches] == sorted((b["number"] for b in batches), reverse=True)
        newest = batches[0]
        assert newest["number"] == state["batchNumber"] and newest["new_root"] == hex(state["stateRoot"])
        assert alice.account()["root"] == hex(state["stateRoot"])
        mine = httpx.get(f"{url}/v1/batches/{got['batch']}").json()
        assert op_id in mine["op_ids"] and mine["status"] == "settled" and mine["l1_tx"] == got["l1_tx"]
        assert mine["gas"] > 0 and mine["prove_s"] > 0
        assert alice.account()["leaf"]["positions"][0] == 2 and bob.account()["leaf"]["positions"][0] == -2
        port = int(chain["rpc_url"].rsplit(":", 1)[1])
        # a signed withdrawal settles and the contract credits it to alice's L1 owner
        w = alice.wait_settled(alice.withdraw(1_000_000), timeout=120)
        assert w["status"] == "settled" and rollup.credit(alice.account_id) == 1_000_000
        # a forced withdrawal on L1: the watcher queues it, a batch executes it, the contract credits it
        rollup.request_forced_withdrawal(alice.account_id, 500_000, sender=alice.l1_address)
        deadline = time.time() + 120
        while rollup.queues()["forcedConsumed"] < 1:
            assert time.time() < deadline, "the forced withdrawal was not consumed"
            time.sleep(0.5)
        assert rollup.credit(alice.account_id) == 1_500_000
        # an auditor reads alice's account with a viewing key, and nothing of bob's
        vk = alice.create_viewing_key("auditor")
        # what it reads is at the chain's settled root (once the service has settled the batch
        # the chain just accepted: it submits first, then marks the batch settled)
        deadline = time.time() + 60
        while (seen_by_auditor := alice.account(bearer=vk["key"]))["root"] != hex(rollup.state()["stateRoot"]):
            assert time.time() < deadline, (seen_by_auditor["root"], hex(rollup.state()["stateRoot"]))
            time.sleep(0.5)
        assert httpx.get(f"{url}/v1/accounts/{bob.account_id}",
                         headers={"Authorization": f"Bearer {vk['key']}"}).status_code in (401, 403, 404)
        # zkclear load: two more institutions, a few concurrent co-signed trades, all settled
        load = subprocess.run([sys.executable, "-m", "sequencer.cli", "load", "--url", url, "--accounts", "2",
                               "--trades", "4", "--concurrency", "4", "--json", "--wait-settled"],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert load.returncode == 0, load.stderr[-2000:]
        report = json.loads(load.stdout)
        assert report["accepted"] == 4 and report["refused"] == 0 and report["throttled"] == 0
        assert report["settled"] == 4 and len(report["op_ids"]) == 4
        assert report["accepted_per_s"] > 0 and 0 < report["p50_ms"] <= report["p99_ms"]
        assert 0 < report["settle_p50_s"] <= report["settle_p99_s"] <= report["settle_max_s"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0
    with pytest.raises(OSError):  # its anvil stopped with it
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_crash_while_proving_then_restart_settles_every_op_exactly_once(tmp_path, keys_dir):
    """SIGKILL while a batch proves (its worker dies with it), restart with the same --db and
    --rpc-url (an anvil that outlives the service): every accepted op settles once, the
    positions count each trade once, and the chain's root is the spec's."""
    from sequencer.pipeline.chain import LocalAnvil

    anvil = LocalAnvil()
    data = data_dir(tmp_path, keys_dir)
    args = ("--rpc-url", anvil.url, "--dev-reporters", "--db", f"sqlite:///{tmp_path / 'ops.db'}")
    proc = None
    try:
        proc, url = start_serve(data, *args)
        from web3 import Web3

        l1 = Web3(Web3.HTTPProvider(anvil.url)).eth.accounts
        alice = Institution.connect(url, seed=b"crash-alice", l1_address=l1[1])
        bob = Institution.connect(url, seed=b"crash-bob", l1_address=l1[2])
        for inst in (alice, bob):
            inst.register()
            inst.mint_and_deposit(10**10)
        for inst in (alice, bob):
            inst.wait_registered(min_collateral=10**10, timeout=120)
        ops = []
        for _ in range(4):
            trade, sig = bob.co_sign(alice.propose_trade(bob.account_id, market=0, size=1, price=1_000_000))
            ops.append(alice.submit_trade(trade, sig))
        deadline = time.time() + 60
        while alice.op(ops[0])["status"] == "accepted":  # the batcher has cut it: proving now
            assert time.time() < deadline
            time.sleep(0.05)
        killed_at = alice.op(ops[0])["status"]
        proc.kill()
        proc.wait(timeout=10)
        proc, url = start_serve(data, *args)
        alice.http = httpx.Client(base_url=url, timeout=30)
        bob.http = httpx.Client(base_url=url, timeout=30)
        alice._token = bob._token = None
        for op_id in ops:
            got = alice.wait_settled(op_id, timeout=150)
            assert got["status"] == "settled", (killed_at, got)
        assert alice.account()["leaf"]["positions"][0] == 4 and bob.account()["leaf"]["positions"][0] == -4
        state = alice.rollup.state()
        batches = httpx.get(f"{url}/v1/batches", params={"limit": 100}).json()
        settled = [b for b in batches if b["status"] == "settled"]
        assert len(settled) == state["batchNumber"] == batches[0]["number"]
        assert batches[0]["new_root"] == hex(state["stateRoot"]) == alice.account()["root"]
        in_batches = [i for b in settled for i in b["op_ids"]]
        assert sorted(in_batches) == sorted(set(in_batches)) and set(ops) <= set(in_batches)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        anvil.stop()
