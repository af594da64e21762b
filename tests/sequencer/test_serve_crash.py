"""`zkclear serve` killed at the worst moments, as an operator would see it: a subprocess on
the tiny preset, killed by SIGKILL at a precise point with the fault-injection hook
(ZKCLEAR_CRASH_AT, `sequencer.pipeline.faults`) or stopped by SIGTERM, then restarted with
the same --db (and --rpc-url, or data dir for its own chain).

- killed while a batch proves, then right after its transaction is mined (before the log
  records it): every op with a 202 settles exactly once, the chain's root is the spec's
  replay of the log, the chain has each batch once, the abandoned attempt is kept;
- SIGTERM while a batch proves exits 0 and stops its anvil and prover; a restart re-cuts the
  batch; a SIGKILLed service leaves no anvil and no prover behind.
Bounded: each start builds the circuit in the prover (tens of seconds on 2 busy cores)."""
from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from sequencer.client import Institution
from serve_helpers import data_dir, start_serve

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]
REPO = Path(__file__).resolve().parents[2]


def children(pid: int) -> dict[int, str]:
    """The live child processes of `pid`: {pid: command line}."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout: float = 20) -> list[int]:
    deadline = time.time() + timeout
    while (left := [p for p in pids if alive(p)]) and time.time() < deadline:
        time.sleep(0.2)
    return left


def reconnect(url: str, *insts: Institution) -> None:
    for inst in insts:
        inst.http = httpx.Client(base_url=url, timeout=30)
        inst._token = None


def test_sigkill_while_proving_then_after_sending_every_op_settles_once(tmp_path, keys_dir):
    from web3 import Web3

    from sequencer.oplog import Store
    from sequencer.pipeline.batcher import load_record
    from sequencer.pipeline.chain import Genesis, LocalAnvil
    from sequencer.spec import TINY
    from sequencer.spec.transition import process_batch

    anvil = LocalAnvil()  # the chain outlives the service
    data = data_dir(tmp_path, keys_dir)
    db = f"sqlite:///{tmp_path / 'ops.db'}"
    args = ("--rpc-url", anvil.url, "--dev-reporters", "--db", db)
    proc = None
    try:
        # 1. killed while the trades' batch proves (the set-up's L1-only batches pass)
        proc, url = start_serve(data, *args, crash_at="proving")
        l1 = Web3(Web3.HTTPProvider(anvil.url)).eth.accounts
        alice = Institution.connect(url, seed=b"kill-alice", l1_address=l1[1])
        bob = Institution.connect(url, seed=b"kill-bob", l1_address=l1[2])
        for inst in (alice, bob):
            inst.register()
            inst.mint_and_deposit(10**10)
        for inst in (alice, bob):
            inst.wait_registered(min_collateral=10**10, timeout=150)
        ops = []
        for _ in range(2):  # tiny's trade slots: one batch
            trade, sig = bob.co_sign(alice.propose_trade(bob.account_id, market=0, size=1, price=1_000_000))
            ops.append(alice.submit_trade(trade, sig))
        assert proc.wait(timeout=150) == -signal.SIGKILL
        store = Store(db, migrate=False)
        killed = {store.get_op(i).status for i in ops}
        assert killed <= {"batched", "refused"}, killed
        batched = {i for i in ops if store.get_op(i).status == "batched"}
        (number,) = {store.get_op(i).batch for i in batched}
        assert store.get_batch(number).status == "proving"
        rollup = alice.rollup
        assert rollup.state()["batchNumber"] == number - 1
        # 2. restarted: the batch is abandoned and cut again, proved, sent; killed right after
        #    its transaction is mined, before the log records it
        proc, url = start_serve(data, *args, crash_at="after_send")
        assert proc.wait(timeout=150) == -signal.SIGKILL
        assert rollup.state()["batchNumber"] == number  # on chain
        assert store.get_batch(number).status == "proved"  # the log does not know
        # 3. restarted: the batch is found on chain and settled, not sent again
        proc, url = start_serve(data, *args)
        reconnect(url, alice, bob)
        final = {op_id: alice.wait_settled(op_id, timeout=60) for op_id in ops}
        batches = httpx.get(f"{url}/v1/batches", params={"limit": 100}).json()
        settled = [b for b in batches if b["status"] == "settled"]
        in_batches = [i for b in settled for i in b["op_ids"]]
        for op_id, got in final.items():
            if got["status"] == "settled":  # exactly once
                assert in_batches.count(op_id) == 1 and got["batch"] == number and got["l1_tx"]
            else:  # refused before batching, with the spec's reason
                assert got["status"] == "refused" and got["reason"] and op_id not in in_batches, got
        # the chain has each batch once, and its root is the spec's replay of the log
        state = rollup.state()
        sent = rollup.rollup.events.BatchSubmitted().get_logs(from_block=0)
        assert sorted(int(e["args"]["batchNumber"]) for e in sent) == list(range(1, state["batchNumber"] + 1))
        assert len(settled) == state["batchNumber"] == number
        replay = Genesis.from_json(store.get_config("genesis")).state(TINY)
        for row in store.settled_batches():
            process_batch(replay, load_record(row.record).batch)
        assert replay.root() == state["stateRoot"] and alice.account()["root"] == hex(state["stateRoot"])
        n_settled = sum(1 for g in final.values() if g["status"] == "settled")
        assert alice.account()["leaf"]["positions"][0] == n_settled
        # the batch's history: attempt 1 abandoned at the restart; attempt 2 settled, its
        # transaction found on chain (the log never recorded the send)
        mine = httpx.get(f"{url}/v1/batches/{number}").json()
        assert mine["status"] == "settled" and mine["l1_tx"] == "0x" + sent[-1]["transactionHash"].hex().removeprefix("0x")
        (first,) = mine["attempts"]
        assert first["status"] == "proving" and first["reason"].startswith("restart")
        assert set(first["op_ids"]) == batched
        store.close()
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        anvil.stop()


def test_sigterm_while_proving_stops_cleanly_and_sigkill_leaves_no_orphans(tmp_path, keys_dir):
    from web3 import Web3

    data = data_dir(tmp_path, keys_dir)
    proc, url = start_serve(data)  # its own anvil, state in the data dir
    try:
        kids = children(proc.pid)
        assert any("anvil" in cmd for cmd in kids.values()), kids
        rpc = httpx.get(f"{url}/v1/chain").json()["rpc_url"]
        port = int(rpc.rsplit(":", 1)[1])
        alice = Institution.connect(url, seed=b"term-alice", l1_address=Web3(Web3.HTTPProvider(rpc)).eth.accounts[1])
        alice.register()  # the batcher cuts a batch for the registration; the worker proves it
        deadline = time.time() + 60
        while (b := httpx.get(f"{url}/v1/batches/1")).status_code != 200 or b.json()["status"] != "proving":
            assert time.time() < deadline, b.text
            time.sleep(0.1)
        kids = children(proc.pid)
        assert len(kids) >= 2, kids  # anvil and the proving worker (at least)
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        stopped_s = time.time() - t0
        assert wait_gone(kids) == []  # its anvil and its prover stopped with it
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        # restart (its chain from the state file): the batch left proving is cut again
        proc, url = start_serve(data)
        deadline = time.time() + 60
        while (got := httpx.get(f"{url}/v1/batches/1").json())["status"] == "abandoned":
            assert time.time() < deadline, got
            time.sleep(0.1)
        assert [(a["attempt"], a["status"]) for a in got["attempts"]] == [(1, "proving")]
        assert got["status"] in ("proving", "proved", "submitted", "settled")
        # SIGKILL: nothing it started survives it
        kids = children(proc.pid)
        assert any("anvil" in cmd for cmd in kids.values()) and len(kids) >= 2, kids
        proc.kill()
        proc.wait(timeout=10)
        assert wait_gone(kids) == [], {p: kids[p] for p in kids if alive(p)}
        print(f"SIGTERM while proving: exited in {stopped_s:.1f} s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
