"""`zkclear demo` (`make demo`) end to end at tiny: anvil and `zkclear serve` started, four
institutions played through the client; every check of its report passes (onboarding, each
op settled exactly once, the chain's root, funding settled into the accounts, dave
liquidated and the fund deleveraged, the withdrawal credited and claimed on L1, the
auditor's root from a leaf equal to the Rollup's), and no child process outlives it.
Bounded: seven batches once the keys exist (the first test of the session sets them up)."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.cli import main
from sequencer.demo import FEE, NAMES, PATH, deposit_units, funding_indices, ladder, lot_units
from sequencer.pipeline.batcher import funding_ops
from sequencer.spec import DEMO, TINY, State, build_batch, process_batch
from sequencer.spec.ops import Deleverage, Deposit, Liquidate, Register, Trade, Withdraw, message_hash

REPO = Path(__file__).resolve().parents[2]
CHECKS = ("onboarding", "every op settled exactly once", "the chain agrees", "funding", "liquidation",
          "withdrawal", "auditor", "data availability", "the service stopped cleanly")


@pytest.mark.slow
@pytest.mark.usefixtures("node_tools")
def test_demo_plays_institutions_through_the_service(tmp_path, keys_dir, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "keys").symlink_to(keys_dir, target_is_directory=True)
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--data-dir", str(data)]) == 0
    said = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["ok"] and report["error"] is None
    assert {c["name"]: c["passed"] for c in report["checks"]} == {name: True for name in CHECKS}
    trades = sum(len(step.trades) for step in PATH)
    withdrawals = sum(1 for step in PATH if step.withdraw)
    assert report["trades_settled"] == trades and report["ops_settled"] == trades + withdrawals
    assert report["batches_settled"] >= 4 + len(PATH)  # four registrations (one a batch at tiny), the rounds
    assert len(report["prove_s"]) == len(report["gas"]) == report["batches_settled"]
    assert all(g > 0 for g in report["gas"]) and all(p > 0 for p in report["prove_s"])
    assert "settled on L1" in said and "UNSAFE" in said and "every check passed" in said
    # neither the service nor its chain outlives the demo
    ports = [int(p) for p in re.findall(r"(?:on|listening on|at) http://127\.0\.0\.1:(\d+)", said)]
    assert len(ports) == 4  # anvil, serve, two DA members
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.parametrize("preset", [TINY, DEMO], ids=lambda p: p.name)
def test_the_demo_path_liquidates_dave_at_each_preset_in_the_spec(preset):
    """The scripted path through the spec alone (no service, no proofs), batch by batch as the
    batcher cuts them: dave, and only dave, is liquidated at the drop, the fund's long is
    deleveraged onto carol in the same batch, and the funding reaches every account."""
    keys = {name: PrivateKey.from_seed(b"zkclear-demo-" + name.encode()) for name in NAMES}
    ids = {name: 1 + k for k, name in enumerate(NAMES)}
    state = State.genesis(preset, PrivateKey.from_seed(b"fund").public_key, 0xF00D, tuple(ladder((1000, 1000), preset)))
    queue = [op for k, name in enumerate(NAMES)
             for op in (Register(index=k, pubkey=keys[name].public_key, l1_address=0xA000 + k),
                        Deposit(index=k, account=ids[name], amount=deposit_units(name, preset)))]
    while state.deposit_index < len(NAMES):
        pending = [op for op in queue if op.index >= (state.registration_index if isinstance(op, Register)
                                                       else state.deposit_index)]
        process_batch(state, build_batch(state, pending, state.prices, 1).batch)
    nonces = dict.fromkeys(NAMES, 0)

    def signed(op, *names):
        msg = message_hash(op, preset.domain)
        sigs = [keys[n].sign(msg) for n in names]
        return replace(op, buyer_signature=sigs[0], seller_signature=sigs[1]) if len(sigs) == 2 \
            else replace(op, signature=sigs[0])

    kinds = []
    for rnd, step in enumerate(PATH, 2):
        g = tuple(ladder(step.prices, preset))
        ops = funding_ops(preset, state.funding, funding_indices(step.funding, preset))
        for buyer, seller, market, lots in step.trades:
            nonces[buyer] += 1
            nonces[seller] += 1
            ops.append(signed(Trade(market=market, size=lots, price=g[market] * preset.markets[market].price_step,
                                    buyer=ids[buyer], seller=ids[seller], buyer_nonce=nonces[buyer],
                                    seller_nonce=nonces[seller], expiry=1 << 20, fee=FEE), buyer, seller))
        if step.withdraw:
            nonces[step.withdraw] += 1
            ops.append(signed(Withdraw(account=ids[step.withdraw], amount=lot_units(preset),
                                       nonce=nonces[step.withdraw], expiry=1 << 20), step.withdraw))
        built = build_batch(state, ops, g, rnd)
        assert built.refused == []
        process_batch(state, built.batch)
        kinds.append([type(op).__name__ for op in built.batch.ops])
    assert all("Liquidate" not in k for k in kinds[:-1])
    assert [op for op in built.batch.ops if type(op).__name__ in ("Liquidate", "Deleverage")] == [
        Liquidate(ids["dave"], 0), Deleverage(ids["carol"], 0, 100, 0)]
    accounts = {name: state.accounts[ids[name]] for name in NAMES}
    assert accounts["dave"].positions == (0,) * preset.num_markets and accounts["dave"].collateral > 0
    assert state.accounts[0].positions == (0,) * preset.num_markets  # the fund is flat again
    assert {a.snapshots[0] for a in accounts.values()} == {funding_indices(PATH[-1].funding, preset)[0]}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.usefixtures("node_tools")
def test_ctrl_c_stops_the_service_and_the_chain(tmp_path):
    """SIGINT while the service starts: the demo stops zkclear serve and its anvil, exit 130."""
    demo = subprocess.Popen([sys.executable, "-m", "sequencer.cli", "demo", "--out", str(tmp_path / "out"),
                             "--data-dir", str(tmp_path / "data")], stdout=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)),
                            # as from a terminal: a runner started in the background (`cmd &` in
                            # a script) ignores SIGINT, and its children would inherit that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    said, deadline = "", time.monotonic() + 120
    while "zkclear serve: pid" not in said:
        assert time.monotonic() < deadline and demo.poll() is None, said
        said += demo.stdout.readline()
    port = int(re.search(r"on http://127\.0\.0\.1:(\d+)", said).group(1))
    pid = int(re.search(r"zkclear serve: pid (\d+)", said).group(1))
    time.sleep(1.0)
    demo.send_signal(signal.SIGINT)
    assert demo.wait(timeout=60) == 130
    assert _gone(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.usefixtures("node_tools")
def test_a_service_that_cannot_start_fails_the_demo_with_its_reason(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--data-dir", str(tmp_path / "data"),
                 "--rpc-url", "http://127.0.0.1:1"]) == 1
    said = capsys.readouterr().out
    # the DA members start first (serve deploys the Rollup with them): they name the missing node
    assert "zkclear da member did not start" in said and "no Ethereum node at http://127.0.0.1:1" in said
