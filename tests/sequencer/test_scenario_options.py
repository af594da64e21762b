"""`zkclear scenario run` with options: the two shipped option scenarios on the spec (--no-prove),
what a user relies on in them, and the option parts of the file format.

Proving an options scenario needs the batch circuit with options (not in this tree yet): no
test here proves one; `check_circuit_proves` is what stops `--prove` until then."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sequencer.cli import main
from sequencer.scenario import ScenarioError, check_circuit_proves, load_scenario, parse_scenario, run_scenario
from sequencer.spec import cross_margin as xm
from sequencer.spec import options as opt
from sequencer.spec.constants import BPS, TINY_OPTIONS
from sequencer.spec.ops import OptionTrade

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
USD = 10**6


def conserved(state) -> int:
    """Collateral, perpetual funding snapshots, the settled options' unclosed cash and the fees
    not credited yet: what deposits minus withdrawals must equal."""
    total = state.fees
    for a in state.accounts.values():
        total += a.collateral + sum(q * f for q, f in zip(a.positions, a.snapshots))
        for sid, n in a.option_slots:
            if sid in state.options.settled:
                total += n * opt.settled_value(state.options, sid)
    return total


def money_in(result) -> int:
    """Deposits credited minus withdrawals paid, from the batches' public data."""
    total = 0
    for b in result.batches:
        pub = b.record.public
        total += sum(amount for _, amount, bounced in pub.deposits if not bounced)
        total -= sum(amount for _, amount in pub.withdrawals)
    return total


def option_trades(result) -> list:
    return [op for b in result.batches for op in b.record.batch.ops if isinstance(op, OptionTrade)]


def requirement(state, account, grid="maintenance") -> float:
    """The margin requirement at the batch's marks, USD: TV - surplus."""
    return (BPS * xm.total_value(state, account) - xm.marks_surplus(state, account, grid)) / BPS / USD


@pytest.fixture(scope="module")
def vol_spike():
    return run_scenario(load_scenario(EXAMPLES / "options_vol_spike.json", "tiny"))


@pytest.fixture(scope="module")
def expiry():
    return run_scenario(load_scenario(EXAMPLES / "options_expiry.json", "tiny"))


def test_preset_tiny_runs_options_on_its_options_variant(expiry, tmp_path, capsys):
    assert expiry.scenario.preset is TINY_OPTIONS and expiry.scenario.requested_preset == "tiny"
    code = main(["scenario", "run", str(EXAMPLES / "options_expiry.json"), "--preset", "tiny", "--no-prove",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "on preset tiny-options" in out and "tiny-options, tiny's options variant" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["preset"] == "tiny-options" and summary["requested_preset"] == "tiny" and summary["ok"]
    assert summary["series"] == {"BTC-58000-C": 1, "BTC-62000-C": 2}
    listed = summary["batches"][0]["options"]["listed"]
    assert [(s["series"], s["kind"], s["strike"]) for s in listed] == [("BTC-58000-C", "call", 58000),
                                                                       ("BTC-62000-C", "call", 62000)]


def test_perpetual_scenarios_stay_on_tiny():
    sc = load_scenario(EXAMPLES / "quiet_day.json", "tiny")
    assert sc.preset.name == "tiny" and sc.requested_preset is None and not sc.options


def test_vol_spike_liquidates_the_hedged_book_and_not_the_spot_move(vol_spike):
    r = vol_spike
    assert r.ok, r.failures
    dana = r.ids["dana"]
    liquidated = {b.number: [op.account for op in b.record.batch.ops if type(op).__name__ == "Liquidate"]
                  for b in r.batches}
    # the 5 % spot move (batch 4) leaves the delta-hedged book alone; the vol spike (batch 5) liquidates it
    assert liquidated[4] == [] and liquidated[5] == [dana]
    assert r.batches[4].options["vols"]["BTC-T"] == 12_000
    state = r.state
    assert state.accounts[dana].positions == (0, 0) and not opt.has_options(state.accounts[dana])
    fund = state.accounts[0]  # the fund took over both legs: calls and perpetual
    assert opt.sizes_by_series(fund)[1] == -2000 and fund.positions[0] == 744
    # erin, with dana's collateral, could not sell the same calls naked
    refused = [x for b in r.batches for x in b.refused]
    assert [(x["label"], x["reason"]) for x in refused] == [("erin sells calls, naked", "insufficient margin (seller)")]
    # balances conserve; every series and market nets to zero
    assert conserved(state) == money_in(r)
    assert sum(opt.sizes_by_series(a).get(1, 0) for a in state.accounts.values()) == 0
    assert sum(a.positions[0] for a in state.accounts.values()) == 0
    for a in state.accounts.values():
        assert xm.marks_surplus(state, a) >= 0


def test_the_hedged_book_needs_visibly_less_margin_than_its_parts(vol_spike, tmp_path, capsys):
    """After dana's trades (batch 3) the report and summary.json show her book's margin against
    its parts margined apart (the calls alone plus the perpetual alone), at the same marks."""
    m = vol_spike.batches[2].options["margins"]["dana"]
    assert m["maintenance"] < 0.5 * m["maintenance_apart"]  # 5,990 USD against 12,686 + 2,232
    assert abs(m["initial"] / USD - 10_525) < 5 and abs(m["maintenance"] / USD - 5_990) < 5  # the description's figures
    assert m["initial"] <= m["tv"] == 11_000 * USD  # 11000 USD carries the hedged book
    # what the calls alone need: more than dana (or erin) has, hence erin's refusal
    sc = load_scenario(EXAMPLES / "options_vol_spike.json", "tiny")
    sc.batches = sc.batches[:3]
    sc.expect = {"applied_at_least": {}}
    state = run_scenario(sc).state
    calls = replace(state.accounts[vol_spike.ids["dana"]], positions=(0, 0))
    assert requirement(state, calls, "initial") > 11_000
    path = str(EXAMPLES / "options_vol_spike.json")
    assert main(["scenario", "run", path, "--no-prove", "--out", str(tmp_path)]) == 0
    assert (f"margin of dana: value 11000000000, maintenance {m['maintenance']} (its options and perpetuals "
            f"margined apart: {m['maintenance_apart']})") in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["batches"][2]["options"]["margins"]["dana"] == m


def test_expiry_settles_in_the_money_at_intrinsic_and_out_of_the_money_at_zero(expiry):
    r = expiry
    assert r.ok, r.failures
    state, ids = r.state, r.ids
    settled = {s["series"]: s for b in r.batches for s in b.options["settled"]}
    assert settled["BTC-58000-C"]["price"] == 61_000 and settled["BTC-58000-C"]["intrinsic"] == 3_000 * 1_000
    assert settled["BTC-62000-C"]["intrinsic"] == 0
    assert state.options.settled == {1: 61_000, 2: 61_000}
    p58, p62 = (op.premium for op in option_trades(r))
    assert p58 > 0 and p62 > 0
    itm = 1000 * 3_000_000  # 1000 lots at 3 USD: 3000 USD for one BTC of the 58000 call
    col = {n: state.accounts[ids[n]].collateral for n in ("alice", "bob", "carol")}
    assert col["alice"] == 20_000 * USD - 1000 * p58 + itm - 1_000 * USD
    assert col["carol"] == 20_000 * USD - 1000 * p62
    assert col["bob"] == 50_000 * USD + 1000 * (p58 + p62) - itm
    # every holder's position closed into collateral at its next write
    for n in ("alice", "bob", "carol"):
        assert all(sid == 0 for sid, _ in state.accounts[ids[n]].option_slots)
    assert conserved(state) == money_in(r)
    # nobody trades the expired series
    assert [x["reason"] for b in r.batches for x in b.refused] == ["series expired"]


def test_proving_an_options_preset_waits_for_the_circuit():
    """`--prove` stops at once (code 2) on a preset the settlement circuit does not know."""
    with pytest.raises(ScenarioError, match="does not prove preset no-such-options") as err:
        check_circuit_proves(replace(TINY_OPTIONS, name="no-such-options"))
    assert err.value.code == 2


# --- the file format ------------------------------------------------------------------------------
def options_doc(batches=None, **top) -> dict:
    listing = {"name": "C", "market": "BTC-T", "kind": "call", "strike": 65000, "expiry": "+1d"}
    doc = {"genesis_prices": {"BTC-T": 60000, "ETH-T": 1000}, "genesis_vols": {"BTC-T": 6000, "ETH-T": 0},
           "accounts": {"alice": {}, "bob": {}},
           "batches": batches if batches is not None else [
               {"list": [listing], "ops": [{"op": "register", "account": "alice"},
                                          {"op": "register", "account": "bob"}]}]}
    doc.update(top)
    return doc


def listing(**kw) -> dict:
    return {"name": "C", "market": "BTC-T", "kind": "call", "strike": 65000, "expiry": "+1d", **kw}


BAD = [
    ("kind", options_doc([{"list": [listing(kind="Call")]}]),
     'batches[0].list[0].kind: expected "call" or "put", got "Call"'),
    ("expiry", options_doc([{"time": "+2d", "list": [listing(expiry="+1d")]}]),
     "batches[0].list[0].expiry: 1800086400 is not after the listing batch's time 1800172800"),
    ("time back", options_doc([{"time": 1_800_000_100}, {"time": 1_800_000_000}]),
     "batches[1].time: 1800000000 goes back"),
    ("duration", options_doc([{"time": "+1w"}]), 'batches[0].time: expected a timestamp or "+<n><s|m|h|d>"'),
    ("unknown series", options_doc([{"ops": [{"op": "register", "account": "alice"},
                                             {"op": "register", "account": "bob"},
                                             {"op": "option_trade", "series": "P", "buyer": "alice",
                                              "seller": "bob", "size": 1, "premium": "mark"}]}]),
     'batches[0].ops[2] (option_trade).series: unknown series "P"'),
    ("no vol", options_doc([{"list": [listing()]}], genesis_vols={"BTC-T": 0, "ETH-T": 0}),
     "series 'C' is live but market BTC-T has no vol"),
    ("listed twice", options_doc([{"list": [listing(), listing()]}]), "series 'C' is listed twice"),
    ("premium", options_doc([{"list": [listing()], "ops": [
        {"op": "register", "account": "alice"}, {"op": "register", "account": "bob"},
        {"op": "option_trade", "series": "C", "buyer": "alice", "seller": "bob", "size": 1, "premium": "best"}]}]),
     'batches[0].ops[2] (option_trade).premium: expected an integer, got "best"'),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_malformed_option_files_exit_2_naming_the_place(tmp_path, capsys, case):
    _, doc, message = case
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    assert main(["scenario", "run", str(path), "--preset", "tiny", "--no-prove", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_a_preset_without_an_options_variant_refuses_an_options_scenario():
    with pytest.raises(ScenarioError, match="preset demo has no option slots"):
        parse_scenario(options_doc(), "demo")


def test_an_option_trade_in_a_series_not_listed_yet_is_refused_by_the_spec():
    """The second batch lists P; a trade in it one batch earlier is an unknown series (by the spec),
    the same trade after the listing settles."""
    put = listing(name="P", kind="put", strike=55000)
    trade = {"op": "option_trade", "series": "P", "buyer": "alice", "seller": "bob", "size": 10, "premium": "mark"}
    doc = options_doc([
        {"ops": [{"op": "register", "account": "alice"}, {"op": "register", "account": "bob"},
                 {"op": "deposit", "account": "alice", "amount": 10**10},
                 {"op": "deposit", "account": "bob", "amount": 10**10}]},
        {"ops": [{**trade, "expect_refused": "unknown series"}]},
        {"list": [put], "time": "+1m", "ops": [trade]},
    ])
    r = run_scenario(parse_scenario(doc, "tiny"))
    assert r.ok, r.failures
    assert len(option_trades(r)) == 1 and option_trades(r)[0].premium == \
        r.state.options.figures.current_row(r.state.options.series[1], 1000)[0]


def test_the_readme_options_example_runs():
    import re

    text = (EXAMPLES / "README.md").read_text()
    docs = [json.loads(d) for d in re.findall(r"```json\n(.*?)```", text, re.S)]
    doc = next(d for d in docs if d.get("name") == "options example")
    r = run_scenario(parse_scenario(doc))
    assert r.ok, r.failures
    assert r.scenario.preset is TINY_OPTIONS
    assert r.state.options.settled == {2: 60_000}  # the put expired out of the money
    assert all(sid != 2 for a in r.state.accounts.values() for sid, _ in a.option_slots)
    assert conserved(r.state) == money_in(r)


def test_an_options_scenario_runs_proven_with_preset_tiny(tmp_path, capsys, tiny_options_prover):
    """`zkclear scenario run FILE --preset tiny` (proving is the default) proves and verifies an
    options scenario's batches on tiny-options: here the first batch of the expiry example (two
    series listed, registrations and deposits), with the session's development key."""
    doc = json.loads((EXAMPLES / "options_expiry.json").read_text())
    doc["batches"] = doc["batches"][:1]
    del doc["expect"]  # the whole scenario's expectations (its option trades, its withdrawal)
    path = tmp_path / "first_batch.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out"
    code = main(["scenario", "run", str(path), "--preset", "tiny", "--out", str(out),
                 "--data-dir", str(tiny_options_prover.data_dir)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "zkclear verifier: valid" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["preset"] == "tiny-options" and summary["requested_preset"] == "tiny"
    assert [(b["proven"], b["verified"]) for b in summary["batches"]] == [(True, True)]
