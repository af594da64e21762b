"""`zkclear scenario run`: the shipped examples, refusals, slot carry-over, malformed files.

All with --no-prove (the spec only): proving needs the batch circuit and is a separate step."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sequencer.cli import main
from sequencer.scenario import SLOT_REASON, load_scenario, parse_scenario, run_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHIPPED = ("quiet_day", "crash_liquidations", "insurance_shortfall")


def run_cli(path, out, *extra) -> int:
    return main(["scenario", "run", str(path), "--preset", "tiny", "--no-prove", "--out", str(out), *extra])


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def applied(summary: dict, kind: str) -> int:
    return summary["applied"].get(kind, 0)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """Each shipped example run once through the CLI on tiny: name -> (exit code, summary)."""
    out = {}
    for name in SHIPPED:
        d = tmp_path_factory.mktemp(name)
        out[name] = (run_cli(EXAMPLES / f"{name}.json", d), summary_of(d), d)
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_example_runs_and_keeps_its_promises(shipped, name):
    code, summary, out = shipped[name]
    assert code == 0, summary["failures"]
    assert summary["ok"] and summary["preset"] == "tiny" and not summary["unprocessed"]
    assert summary["final_root"] == summary["batches"][-1]["new_root"]
    for prev, nxt in zip(summary["batches"], summary["batches"][1:]):
        assert nxt["old_root"] == prev["new_root"] and nxt["number"] == prev["number"] + 1
    for b in summary["batches"]:
        assert (out / f"batch_{b['number']}" / "public_inputs.json").exists()
        assert b["proven"] is False and b["verified"] is None and len(b["public_inputs"]) == 1
        public = json.loads((out / f"batch_{b['number']}" / "public_inputs.json").read_text())
        assert public["public"]["new_root"] == str(int(b["new_root"], 16)) and public["digest"] == b["public_inputs"][0]
        # every refusal is one the scenario asked for
        assert all(r["expected"] for r in b["refused"])


def test_quiet_day_refuses_only_the_deliberately_bad_ops(shipped):
    _, summary, _ = shipped["quiet_day"]
    refused = [r for b in summary["batches"] for r in b["refused"]]
    reasons = sorted(r["reason"] for r in refused)
    assert reasons == ["bad signature", "expired", "insufficient margin", "nonce already used or too old"]
    assert all(r["label"] for r in refused)  # each one labelled in the file
    for kind in ("Register", "Deposit", "Trade", "Withdraw", "Funding"):
        assert applied(summary, kind) >= 1, kind
    assert applied(summary, "Liquidate") == applied(summary, "Deleverage") == 0
    assert len(summary["accounts"]) == 5 and summary["accounts"]["insurance"] == 0
    # the L1 registration queue gives the ids: FIRST_L1_ACCOUNT + queue index, in file order
    assert [summary["accounts"][n] for n in ("alice", "bob", "carol", "dave")] == [1, 2, 3, 4]


def test_quiet_day_carries_ops_beyond_the_slots_over(shipped):
    _, summary, _ = shipped["quiet_day"]
    first = summary["batches"][0]
    assert first["applied"] == {"Register": 1, "Deposit": 1}
    carried = {c["where"]: c["reason"] for c in first["carried"]}
    assert carried["batches[0].ops[1] (register)"] == SLOT_REASON  # tiny has one register slot
    assert carried["batches[0].ops[3] (deposit)"].startswith("waiting for registration")
    assert summary["batches"][1]["ops"][0] == "register bob as #2 (queue index 1)"


def test_crash_liquidates_to_the_insurance_fund(shipped):
    _, summary, _ = shipped["crash_liquidations"]
    assert applied(summary, "Liquidate") >= 1
    assert applied(summary, "Deleverage") == 0  # the fund was capitalised
    liquidations = [d for b in summary["batches"] for d in b["ops"] if d.startswith("liquidate")]
    assert all("to insurance [added by the batch builder]" in d for d in liquidations)
    refused = [r for b in summary["batches"] for r in b["refused"]]
    assert [r["reason"] for r in refused] == ["insufficient margin (buyer)"]


def test_shortfall_deleverages(shipped):
    _, summary, _ = shipped["insurance_shortfall"]
    assert applied(summary, "Liquidate") >= 1 and applied(summary, "Deleverage") >= 1
    crash = next(b for b in summary["batches"] if "Deleverage" in b["applied"])
    assert "Liquidate" in crash["applied"]


@pytest.mark.parametrize("name", SHIPPED)
def test_roots_are_deterministic_and_replay_through_the_spec(shipped, name):
    from sequencer.spec import process_batch

    _, summary, _ = shipped[name]
    scenario = load_scenario(EXAMPLES / f"{name}.json", "tiny")
    result = run_scenario(scenario)
    assert f"{result.final_root:#066x}" == summary["final_root"]
    assert [f"{b.new_root:#066x}" for b in result.batches] == [b["new_root"] for b in summary["batches"]]
    # a fresh spec replay of the applied batches from genesis ends at the same root
    state = scenario.genesis()
    assert state.root() == result.genesis_root
    for b in result.batches:
        record = process_batch(state, b.record.batch)
        assert record.public == b.record.public and record.digest == b.digest
    assert state.root() == result.final_root


# --- small scenarios built in the tests --------------------------------------------------------
def tiny_doc(batches, accounts=("alice", "bob"), **extra) -> dict:
    return {"name": "t", "preset": "tiny", "genesis_prices": {"BTC-T": 1000, "ETH-T": 1000},
            "accounts": {a: {"seed": f"test {a}"} for a in accounts}, "batches": batches, **extra}


def funded(*more_ops):
    """Batches 1, 2: register and fund alice, then bob (one register slot per batch on tiny);
    batch 3: `more_ops`."""
    return [{"ops": [{"op": "register", "account": "alice"},
                     {"op": "deposit", "account": "alice", "amount": 100_000_000}]},
            {"ops": [{"op": "register", "account": "bob"},
                     {"op": "deposit", "account": "bob", "amount": 100_000_000}]},
            {"ops": list(more_ops)}]


def trade(size=1, **kw):
    return {"op": "trade", "market": "BTC-T", "buyer": "alice", "seller": "bob", "size": size,
            "price": 1_000_000, **kw}


def test_trades_beyond_the_slots_go_to_a_later_batch():
    result = run_scenario(parse_scenario(tiny_doc(funded(trade(1), trade(2), trade(3)))))
    assert result.ok and not result.unprocessed
    assert [b.applied.get("Trade", 0) for b in result.batches] == [0, 0, 2, 1]  # a drain batch
    assert [c["reason"] for c in result.batches[2].carried] == [SLOT_REASON]
    assert result.batches[3].prices == result.batches[2].prices
    assert result.batches[3].oracle_round == result.batches[2].oracle_round


def test_refusals_are_reported_with_the_spec_reasons():
    ops = [trade(1, buyer_nonce=5, seller_nonce=5),
           trade(2, buyer_nonce=5, seller_nonce=6),  # alice's nonce 5 again: replay
           trade(3, buyer_signature="bad"),
           trade(4, seller_signature="alice"),  # signed by the wrong account
           trade(5, seller_signature="none"),
           trade(6, expiry=2),  # batch 3 > expiry 2
           {"op": "withdraw", "account": "bob", "amount": 10**9}]
    result = run_scenario(parse_scenario(tiny_doc(funded(*ops))))
    reasons = [r["reason"] for b in result.batches for r in b.refused]
    # in the batch's kind order: withdrawals before trades
    assert reasons == ["insufficient margin", "nonce already used or too old", "bad signature", "bad signature",
                       "missing signature", "expired"]
    assert not result.ok and len(result.failures) == 6  # none of them marked expect_refused
    assert all("(not expected)" in f for f in result.failures)
    # the auto-assigned nonces continue above an explicit one: alice's next trade uses 6
    assert [d for d in result.batches[2].ops if d.startswith("trade")] == [
        "trade alice buys 1 BTC-T from bob at 1000000 (nonces 5/5)"]
    assert "(nonces 6/7)" in result.batches[2].refused[2]["op"]


def test_expectations_fail_the_run(tmp_path, capsys):
    doc = tiny_doc(funded(trade(1, expect_refused="bad signature")),
                   expect={"applied_at_least": {"liquidate": 1}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert run_cli(path, tmp_path / "out") == 1
    failures = summary_of(tmp_path / "out")["failures"]
    assert any("expected to be refused (bad signature)" in f for f in failures)
    assert any("expected at least 1 liquidate" in f for f in failures)
    assert "FAILED" in capsys.readouterr().out


def test_deposit_to_an_id_nobody_registered_is_refused_on_l1():
    ops = [{"op": "deposit", "account": 9, "amount": 5, "expect_refused": "the contract refuses"},
           {"op": "deposit", "account": "alice", "amount": 7}]
    result = run_scenario(parse_scenario(tiny_doc(funded(*ops))))
    assert result.ok, result.failures
    b = result.batches[2]
    assert b.applied == {"Deposit": 1} and b.record.public.deposits == ((1, 7, 0),)
    assert (b.record.public.deposit_from, b.record.public.deposit_to) == (2, 3)


def test_a_deposit_waits_for_its_registration_and_holds_the_queue():
    """Three registrations in one batch (one register slot on tiny): the deposits wait in
    queue order behind the registration they need."""
    doc = tiny_doc([{"ops": [{"op": "register", "account": a} for a in ("alice", "bob", "carol")]
                    + [{"op": "deposit", "account": a, "amount": 10} for a in ("carol", "alice")]}],
                   accounts=("alice", "bob", "carol"))
    result = run_scenario(parse_scenario(doc))
    assert result.ok, result.failures
    assert [b.applied for b in result.batches] == [{"Register": 1}, {"Register": 1}, {"Register": 1, "Deposit": 2}]
    assert [c["reason"] for c in result.batches[0].carried][-2:] == ["waiting for registration of carol",
                                                                 "an earlier queue entry waits"]
    assert result.batches[2].record.public.deposits == ((3, 10, 0), (1, 10, 0))


# --- malformed files ---------------------------------------------------------------------------
BAD = [
    ("not json", "{", "not JSON (line 1"),
    ("unknown account", tiny_doc(funded(trade(1, seller="mallory"))),
     "batches[2].ops[0] (trade).seller: unknown account \"mallory\""),
    ("unknown kind", tiny_doc(funded({"op": "transfer", "account": "alice"})),
     "batches[2].ops[0].op: unknown op kind \"transfer\""),
    ("missing field", tiny_doc(funded({"op": "withdraw", "account": "alice"})),
     "batches[2].ops[0] (withdraw): missing field 'amount'"),
    ("unknown field", tiny_doc(funded(trade(1, prize=3))), "batches[2].ops[0] (trade): unknown field 'prize'"),
    ("bad integer", tiny_doc(funded(trade("ten"))), "batches[2].ops[0] (trade).size: expected an integer"),
    ("markets", tiny_doc(funded(), markets=["BTC-PERP", "ETH-PERP"]), "markets: the scenario names"),
    ("never registered", tiny_doc([{"ops": [{"op": "deposit", "account": "bob", "amount": 1}]}]),
     "batches[0].ops[0] (deposit).account: account 'bob' is never registered"),
    ("prices", tiny_doc(funded(), genesis_prices={"BTC-T": 1000}), "genesis_prices: missing price of ETH-T"),
    ("no batches", tiny_doc([]), "batches: expected a non-empty list"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_malformed_files_exit_2_with_one_line_naming_the_place(tmp_path, capsys, case):
    _, doc, message = case
    path = tmp_path / "bad.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    assert run_cli(path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("zkclear scenario: ")
    assert str(path) in err and message in err, err
    assert not (tmp_path / "out").exists()


def test_missing_file_and_unknown_preset(tmp_path, capsys):
    assert run_cli(tmp_path / "nope.json", tmp_path / "out") == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["scenario", "run", str(EXAMPLES / "quiet_day.json"), "--preset", "huge", "--no-prove",
                 "--out", str(tmp_path / "out")]) == 2
    assert "no preset named 'huge'" in capsys.readouterr().err


def test_the_readme_example_runs(tmp_path):
    import re

    text = (EXAMPLES / "README.md").read_text()
    doc = json.loads(re.findall(r"```json\n(.*?)```", text, re.S)[0])
    result = run_scenario(parse_scenario(doc))
    assert result.ok, result.failures
    assert [r["reason"] for b in result.batches for r in b.refused] == ["insufficient margin"]


def test_a_batch_the_builder_cannot_cut_stops_the_run(tmp_path):
    """Two accounts to liquidate at once, one liquidation slot on tiny: exit 1, summary kept."""
    batches = [{"ops": [{"op": "register", "account": a}, {"op": "deposit", "account": a, "amount": amount}]}
               for a, amount in (("alice", 10_000_000), ("bob", 300_000_000), ("carol", 10_000_000))]
    batches.append({"ops": [trade(80), trade(80, buyer="carol")]})
    batches.append({"prices": {"BTC-T": 900, "ETH-T": 1000}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(tiny_doc(batches, accounts=("alice", "bob", "carol"))))
    code = run_cli(path, tmp_path / "out")
    summary = summary_of(tmp_path / "out")
    assert code == 1 and len(summary["batches"]) == 4
    assert "batch 5: the batch builder cannot cut a batch" in summary["failures"][-1]
    assert "not enough Liquidate slots" in summary["failures"][-1]
