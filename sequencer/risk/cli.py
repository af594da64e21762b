"""`zkclear risk greeks` and `zkclear risk margin`: the risk module from the command line.

    zkclear risk greeks --type call|put (--spot S | --forward F) --strike K --years T --vol V [--rate R]
        one JSON object: price, delta, gamma, vega, theta, rho, vanna, volga (units: black_scholes.py;
        vega per 1.00 of vol, theta per year); --forward prices with Black-76 instead of Black–Scholes
    zkclear risk margin --portfolio FILE [--scenarios]
        one JSON object: maintenance, initial, worst_scenario, total value, the grid, and the same
        requirement in integers (fixed_point; {"error": why} beyond its bit bounds); --scenarios
        adds the loss of every grid scenario

Exit 0 on success, 2 on bad input (one line on stderr saying what and where).
"""
from __future__ import annotations

import argparse
import json
import math



def _finite(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return x


def register(sub: argparse._SubParsersAction) -> None:
    """Add `risk greeks` and `risk margin` to the zkclear command line."""
    p = sub.add_parser("risk", help="options prices, Greeks and portfolio margin (floating-point reference)",
                       description="Black–Scholes / Black-76 Greeks and the scenario-grid portfolio margin "
                       "(README: Risk).")
    rsub = p.add_subparsers(dest="risk_command", required=True, metavar="ACTION")

    g = rsub.add_parser("greeks", help="price and Greeks of one European option (JSON)",
                        description="Price and Greeks of a European option. Units: vega per 1.00 of vol "
                        "(100 vol points), theta per year of passing time, rho per 1.00 of rate; "
                        "years <= 0: expired, intrinsic value.")
    g.add_argument("--type", required=True, choices=("call", "put"), dest="option_type")
    under = g.add_mutually_exclusive_group(required=True)
    under.add_argument("--spot", type=_finite, help="spot price (Black–Scholes)")
    under.add_argument("--forward", type=_finite, help="forward price (Black-76)")
    g.add_argument("--strike", type=_finite, required=True)
    g.add_argument("--years", type=_finite, required=True, help="time to expiry in years (<= 0: expired)")
    g.add_argument("--vol", type=_finite, required=True, help="implied vol, a fraction (0.6 = 60 %%)")
    g.add_argument("--rate", type=_finite, default=0.0, help="risk-free rate per year, continuous (default 0)")
    g.set_defaults(func=_cmd_greeks)

    m = rsub.add_parser("margin", help="maintenance and initial requirement of a portfolio file (JSON)",
                        description="Worst loss over the published scenario grid plus the short-option "
                        "floor (sequencer/risk/margin.py); portfolio format in sequencer/risk/portfolio.py "
                        "and examples/portfolio_hedged.json.")
    m.add_argument("--portfolio", required=True, help="the portfolio (JSON)")
    m.add_argument("--scenarios", action="store_true", help="also print the loss of every maintenance scenario")
    m.set_defaults(func=_cmd_margin)


def _print(obj) -> None:
    """One JSON object on stdout; a non-finite number (inputs beyond float range) is bad input."""
    from prover.errors import CliError

    try:
        text = json.dumps(obj, indent=2, allow_nan=False)
    except ValueError:
        raise CliError("the inputs are outside the range where the results are finite numbers") from None
    print(text)


def _cmd_greeks(args: argparse.Namespace) -> int:
    from prover.errors import CliError
    from sequencer.risk.black_scholes import black76_greeks, bs_greeks

    underlying = args.spot if args.spot is not None else args.forward
    if underlying <= 0:
        raise CliError(f"--{'spot' if args.spot is not None else 'forward'} must be > 0, got {underlying}")
    if args.strike <= 0:
        raise CliError(f"--strike must be > 0, got {args.strike}")
    if args.vol <= 0:
        raise CliError(f"--vol must be > 0, got {args.vol}")
    if not -1.0 <= args.rate <= 1.0:
        raise CliError(f"--rate must be within [-1, 1] (a fraction per year), got {args.rate}")
    import numpy as np  # (here, not at the top: building the zkclear parser stays light)

    fn, model = (bs_greeks, "black_scholes") if args.spot is not None else (black76_greeks, "black76")
    with np.errstate(all="ignore"):  # overflow is reported as bad input by _print
        greeks = fn(args.option_type == "call", underlying, args.strike, args.years, args.rate, args.vol)
    _print({"model": model, "type": args.option_type, **greeks.as_floats()})
    return 0


def _cmd_margin(args: argparse.Namespace) -> int:
    import numpy as np

    from prover.errors import CliError
    from sequencer.risk import fixed
    from sequencer.risk.margin import INITIAL_GRID, MAINTENANCE_GRID, portfolio_margin
    from sequencer.risk.portfolio import PortfolioError, load_portfolio

    try:
        portfolio = load_portfolio(args.portfolio)
        with np.errstate(all="ignore"):  # overflow is reported as bad input by _print
            result = portfolio_margin(portfolio)
    except (PortfolioError, ValueError, OverflowError) as exc:
        raise CliError(str(exc)) from None
    try:
        with np.errstate(all="ignore"):
            result["fixed_point"] = {
                "maintenance_units": fixed.requirement_units(portfolio, MAINTENANCE_GRID),
                "initial_units": fixed.requirement_units(portfolio, INITIAL_GRID),
                "meets_maintenance": fixed.meets_maintenance(portfolio, MAINTENANCE_GRID),
                "error_bound_usd": fixed.error_bound_usd(portfolio, MAINTENANCE_GRID),
            }
    except (ValueError, OverflowError) as exc:  # beyond the circuit's bit bounds: the float answer stands
        result["fixed_point"] = {"error": str(exc)}
    if not args.scenarios:
        result.pop("scenarios")
    _print(result)
    return 0
