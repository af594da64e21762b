"""The portfolio file of `zkclear risk margin`: parsed and checked, with one-line errors.

Format (JSON; USD amounts; sizes in units of the underlying, fractional allowed, negative = short):

    {"collateral": 100000,                 # USD, the account's cash (default 0)
     "rate": 0.0,                          # risk-free rate per year, continuous (default 0)
     "markets": {"BTC": {"spot": 60000,    # USD per unit of underlying, > 0
                         "vol": 0.6}},     # flat implied vol (0.6 = 60 %), > 0, or a surface:
                                           # {"surface": [{"years": 0.1, "strikes": [...], "vols": [...]}, ...]}
     "positions": [
        {"type": "perp", "market": "BTC", "size": 1},
        {"type": "call", "market": "BTC", "strike": 65000, "years": 0.1, "size": -2}]}

A perpetual's unrealised P&L is assumed settled into `collateral` (it is marked to `spot`);
an option's premium paid or received is in `collateral` and the option is held at its
model value. `years` is the option's time to expiry; `years <= 0` means expired (valued at
intrinsic value). Unknown keys, unknown markets and non-finite numbers are refused.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .surface import VolSurface


class PortfolioError(ValueError):
    """A portfolio file that cannot be read or is not valid: the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


class SliceIn(_Strict):
    years: float = Field(gt=0)
    strikes: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)
    vols: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)


class SurfaceIn(_Strict):
    surface: list[SliceIn] = Field(min_length=1)


class Market(_Strict):
    spot: float = Field(gt=0)
    vol: Union[float, SurfaceIn]

    @field_validator("vol")
    @classmethod
    def _vol_is_valid(cls, vol):
        if not isinstance(vol, SurfaceIn) and not vol > 0:
            raise ValueError(f"a flat vol must be > 0, got {vol}")
        if isinstance(vol, SurfaceIn):
            try:
                VolSurface.from_points([(s.years, s.strikes, s.vols) for s in vol.surface])
            except ValueError as exc:
                raise ValueError(str(exc)) from None
        return vol

    def surface(self) -> VolSurface:
        if isinstance(self.vol, SurfaceIn):
            return VolSurface.from_points([(s.years, s.strikes, s.vols) for s in self.vol.surface])
        return VolSurface.flat(self.vol)


class Perp(_Strict):
    type: Literal["perp"]
    market: str
    size: float


class Option(_Strict):
    type: Literal["call", "put"]
    market: str
    strike: float = Field(gt=0)
    years: float
    size: float

    @property
    def is_call(self) -> bool:
        return self.type == "call"


Position = Annotated[Union[Perp, Option], Field(discriminator="type")]


class Portfolio(_Strict):
    collateral: float = 0.0
    rate: float = Field(default=0.0, ge=-1.0, le=1.0)
    markets: dict[str, Market] = Field(min_length=1)
    positions: list[Position] = Field(default_factory=list)

    @model_validator(mode="after")
    def _markets_known(self):
        for i, pos in enumerate(self.positions):
            if pos.market not in self.markets:
                known = ", ".join(sorted(self.markets))
                raise ValueError(f"positions.{i}.market: unknown market {pos.market!r} (markets: {known})")
        return self


def _one_line(exc: ValidationError) -> str:
    """The first validation error as `where: why` (pydantic's multi-line report is for developers)."""
    err = max(exc.errors(), key=lambda e: len(e["loc"]))  # the most specific (of a union's branches)
    # drop pydantic's branch names (union members, discriminator tags) from the location
    where = ".".join(str(p) for p in err["loc"] if p not in ("float", "SurfaceIn", "perp", "call", "put"))
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def parse_portfolio(data) -> Portfolio:
    """Validate decoded JSON; PortfolioError on anything wrong."""
    if not isinstance(data, dict):
        raise PortfolioError("a portfolio is a JSON object")
    try:
        return Portfolio.model_validate(data)
    except ValidationError as exc:
        raise PortfolioError(_one_line(exc)) from None


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate a portfolio file; PortfolioError says what is wrong and where."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise PortfolioError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text, parse_constant=lambda c: math.nan)  # NaN/Infinity: refused by the model
    except json.JSONDecodeError as exc:
        raise PortfolioError(f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    try:
        return parse_portfolio(data)
    except PortfolioError as exc:
        raise PortfolioError(f"{path}: {exc}") from None
