"""`zkclear risk greeks` and `zkclear risk margin` through the real command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from vollib.black_scholes.greeks import analytical as vollib_bs_greeks

from sequencer.cli import main
from sequencer.risk.black_scholes import black76_greeks, bs_greeks

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "portfolio_hedged.json"


def run(capsys, *argv) -> tuple[int, dict | None, str]:
    code = main(["risk", *argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def test_greeks_prints_the_issues_units(capsys):
    code, g, _ = run(capsys, "greeks", "--type", "call", "--spot", "60000", "--strike", "65000", "--years", "0.1",
                     "--vol", "0.6", "--rate", "0.03")
    assert code == 0 and g["model"] == "black_scholes"
    assert g == {"model": "black_scholes", "type": "call",
                 **bs_greeks(True, 60000.0, 65000.0, 0.1, 0.03, 0.6).as_floats()}
    # vega per 1.00 of vol, theta per year: vollib's per-point vega x 100, per-day theta x 365
    assert g["vega"] == pytest.approx(vollib_bs_greeks.vega("c", 60000, 65000, 0.1, 0.03, 0.6) * 100, rel=1e-12)
    assert g["theta"] == pytest.approx(vollib_bs_greeks.theta("c", 60000, 65000, 0.1, 0.03, 0.6) * 365, rel=1e-12)
    assert g["theta"] < 0 and 0 < g["delta"] < 1


def test_greeks_of_a_put_on_a_forward_and_of_an_expired_option(capsys):
    code, g, _ = run(capsys, "greeks", "--type", "put", "--forward", "3000", "--strike", "2800", "--years", "0.5",
                     "--vol", "0.8", "--rate", "0.05")
    assert code == 0 and g["model"] == "black76"
    assert g["price"] == black76_greeks(False, 3000.0, 2800.0, 0.5, 0.05, 0.8).as_floats()["price"]
    code, g, _ = run(capsys, "greeks", "--type", "put", "--spot", "3000", "--strike", "3200", "--years", "0",
                     "--vol", "0.8")
    assert code == 0 and (g["price"], g["delta"], g["gamma"], g["vega"], g["theta"]) == (200.0, -1.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("argv, message", [
    (["--vol", "-0.6"], "--vol must be > 0"),
    (["--vol", "0"], "--vol must be > 0"),
    (["--strike", "0"], "--strike must be > 0"),
    (["--spot", "-1"], "--spot must be > 0"),
    (["--rate", "5"], "--rate must be within"),
])
def test_greeks_refuses_bad_numbers(capsys, argv, message):
    base = {"--type": "call", "--spot": "100", "--strike": "100", "--years": "1", "--vol": "0.2"}
    base.update(dict(zip(argv[::2], argv[1::2])))
    code, _, err = run(capsys, "greeks", *[x for kv in base.items() for x in kv])
    assert code == 2 and message in err and "Traceback" not in err


def test_margin_of_the_issues_example(capsys):
    code, m, _ = run(capsys, "margin", "--portfolio", str(EXAMPLE))
    assert code == 0
    assert {"maintenance", "initial", "worst_scenario", "total_value", "grid", "fixed_point"} <= set(m)
    assert "scenarios" not in m
    assert 0 < m["maintenance"] < m["initial"]
    assert m["worst_scenario"]["markets"]["BTC"]["spot_move"] == -0.15
    assert m["maintenance"] < 0.8 * (9000.0 + 12000.0)  # the perp alone needs 9000, the calls alone > 12000
    assert m["fixed_point"]["meets_maintenance"] is True
    assert abs(m["fixed_point"]["maintenance_units"] / 1e6 - m["maintenance"]) <= m["fixed_point"]["error_bound_usd"]
    code, full, _ = run(capsys, "margin", "--portfolio", str(EXAMPLE), "--scenarios")
    assert code == 0 and len(full["scenarios"]["BTC"]) == 21 and full["maintenance"] == m["maintenance"]


def portfolio_file(tmp_path, **changes) -> Path:
    data = json.loads(EXAMPLE.read_text())
    data.update(changes)
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("changes, message", [
    ({"positions": [{"type": "call", "market": "BTC", "years": 0.1, "size": -2}]}, "positions.0.strike: Field required"),
    ({"markets": {"BTC": {"spot": 60000, "vol": -0.6}}}, "markets.BTC.vol: a flat vol must be > 0"),
    ({"positions": [{"type": "perp", "market": "DOGE", "size": 1}]}, "unknown market 'DOGE'"),
    ({"markets": {"BTC": {"spot": 0, "vol": 0.6}}}, "markets.BTC.spot: Input should be greater than 0"),
    ({"positions": [{"type": "straddle", "market": "BTC", "size": 1}]}, "positions.0"),
    ({"markets": {"BTC": {"vol": 0.6}}}, "markets.BTC.spot: Field required"),
    ({"leverage": 10}, "leverage: Extra inputs are not permitted"),
    ({"collateral": "100000"}, "collateral: Input should be a valid number"),  # no numbers in strings
    ({"markets": {"BTC": {"spot": 60000, "vol": {"surface": [{"years": 0.1, "strikes": [1], "vols": [0]}]}}}},
     "markets.BTC.vol.surface.0.vols.0: Input should be greater than 0"),
])
def test_margin_refuses_bad_portfolios(capsys, tmp_path, changes, message):
    code, _, err = run(capsys, "margin", "--portfolio", str(portfolio_file(tmp_path, **changes)))
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_margin_refuses_unreadable_files(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run(capsys, "margin", "--portfolio", str(bad))
    assert code == 2 and "not JSON" in err
    code, _, err = run(capsys, "margin", "--portfolio", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err


def test_the_installed_command_line(tmp_path):
    """As a user runs it: one JSON object on stdout; bad input is one line on stderr and exit 2."""
    cmd = [sys.executable, "-m", "sequencer.cli", "risk"]
    ok = subprocess.run([*cmd, "margin", "--portfolio", str(EXAMPLE)], capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0 and json.loads(ok.stdout)["maintenance"] > 0
    bad = subprocess.run([*cmd, "greeks", "--type", "call", "--spot", "100", "--strike", "100", "--years", "1",
                          "--vol", "nan"], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "not a finite number" in bad.stderr and "Traceback" not in bad.stderr
    missing = subprocess.run([*cmd, "margin", "--portfolio", str(portfolio_file(
        tmp_path, markets={"BTC": {"spot": 60000, "vol": -1}}))], capture_output=True, text=True, cwd=REPO)
    assert missing.returncode == 2 and missing.stderr.startswith("zkclear risk: ") and "Traceback" not in missing.stderr


def test_margin_beyond_the_ranges(capsys, tmp_path):
    """Past the circuit's bit bounds the float answer stands and fixed_point says why; past float
    range the command refuses the input (exit 2) instead of printing NaN or a traceback."""
    big = portfolio_file(tmp_path, markets={"BTC": {"spot": 1e12, "vol": 0.6}},
                         positions=[{"type": "perp", "market": "BTC", "size": 1}])
    code, m, _ = run(capsys, "margin", "--portfolio", str(big))
    assert code == 0 and m["maintenance"] == 1.5e11 and "out of the fixed-point range" in m["fixed_point"]["error"]
    huge = portfolio_file(tmp_path, markets={"BTC": {"spot": 1e300, "vol": 0.6}},
                          positions=[{"type": "call", "market": "BTC", "strike": 1, "years": 1, "size": 1e10}])
    code, _, err = run(capsys, "margin", "--portfolio", str(huge))
    assert code == 2 and "finite" in err and "Traceback" not in err
