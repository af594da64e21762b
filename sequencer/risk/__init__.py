"""Risk: option prices and Greeks, implied-volatility surfaces and the portfolio margin.

- black_scholes.py: Black–Scholes and Black-76 prices and Greeks, vectorized (numpy, scipy).
- surface.py: implied-vol surfaces, per expiry interpolated in strike.
- portfolio.py: the portfolio file of `zkclear risk margin` (pydantic).
- margin.py: the published scenario grids and the requirement, in floating point.
- fixed.py: the same requirement in integers, with the scales a circuit will use.
- cli.py: `zkclear risk greeks` and `zkclear risk margin`.

Options are not in the settlement spec or its circuits yet: this package is the floating-
point reference the circuit's requirement will be tested against (issue 11).
"""
