"""Constants of the settlement spec: fixed-point scales, bit bounds, op-slot counts and presets.

Every quantity of the spec is an integer with a documented unit and a bit bound. The bounds
are chosen so that no product the margin formula forms can come near the BN254 scalar field
order r (~2^254): the circuit then computes exactly what this Python code computes, with
no reduction modulo r. The derived bounds are asserted at import (bottom of this module).

Units
-----
- collateral unit: 1e-6 of the settlement currency (micro-USD). Collateral `C`, fees,
  deposits, withdrawals, penalties are counted in it.
- lot: the unit of a position `q_j`; its size is a market parameter (e.g. 0.001 BTC).
- price: collateral units per lot. A trade's price is any integer below 2^PRICE_BITS.
  Mark (oracle) prices and box bounds live on a per-market *ladder*: the ladder index
  g in [0, 2^GRID_BITS) denotes the price `g * price_step_j`. Mark prices on the ladder
  mean an account solvent at the batch prices can always be boxed (the degenerate box
  [g, g] works), and the root-box check is a pair of 16-bit comparisons per market.
- funding index `F_j`: cumulative funding paid per lot of long position, in collateral units
  per lot (signed). A position's unrealised funding is `q_j * (F_j - f_j)`.
- risk factors: basis points of notional (`BPS` = 10_000 is 100 %). The spec never divides
  by `BPS` when comparing: it multiplies the other side through instead.

Signed values (collateral, positions, funding indices) are carried in the circuit as field
elements (a negative x is r - |x|) and range-checked as `x + 2^(bits-1)` in [0, 2^bits).
"""
from __future__ import annotations

from dataclasses import dataclass

# --- field ---------------------------------------------------------------------------------
# BN254 scalar field order: every circuit signal lives modulo this prime.
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617

# --- scales --------------------------------------------------------------------------------
BPS = 10_000  # basis-point denominator of the risk factors (m_j, i_j, penalty_j)

# --- bit bounds of stored quantities (signed: |x| < 2^(bits-1); unsigned: 0 <= x < 2^bits)
COLLATERAL_BITS = 64  # signed collateral C, collateral units
POSITION_BITS = 40  # signed position q_j, lots; also a trade's size (unsigned, < 2^39)
PRICE_BITS = 48  # unsigned trade price / mark price, collateral units per lot
GRID_BITS = 16  # unsigned ladder index of mark prices and of box price bounds
FUNDING_BITS = 48  # signed funding index F_j, snapshot f_j and box funding bounds
AMOUNT_BITS = 63  # unsigned deposit / withdrawal amount, collateral units (> 0)
FEE_BITS = 48  # unsigned trade fee paid by each counterparty, collateral units
NONCE_BITS = 64  # unsigned per-account nonce
NONCE_WINDOW = 64  # nonces above (highest - 64) are still usable, tracked in a 64-bit bitmap
BATCH_BITS = 32  # unsigned batch number and expiry (an op is valid while batch <= expiry)
ROUND_BITS = 64  # unsigned oracle round
ADDRESS_BITS = 160  # owner's L1 address
BPS_BITS = 14  # a risk factor in basis points is < 2^14
MAX_MARKETS = 16  # a preset has at most this many markets (bounds below assume it)

GRID_MAX = (1 << GRID_BITS) - 1
FUNDING_MIN = -(1 << (FUNDING_BITS - 1))
FUNDING_MAX = (1 << (FUNDING_BITS - 1)) - 1
POSITION_MAX = (1 << (POSITION_BITS - 1)) - 1
POSITION_MIN = -(1 << (POSITION_BITS - 1))
COLLATERAL_MAX = (1 << (COLLATERAL_BITS - 1)) - 1
COLLATERAL_MIN = -(1 << (COLLATERAL_BITS - 1))  # signed ranges: one bit decomposition each

# --- derived bounds of the margin formula (bits of the absolute value) ------------------------
# |q_j * p_j| < 2^(39 + 48) = 2^87 and |q_j * (F_j - f_j)| < 2^(39 + 48) = 2^87
NOTIONAL_BITS = (POSITION_BITS - 1) + PRICE_BITS
FUNDING_PNL_BITS = (POSITION_BITS - 1) + FUNDING_BITS
# |TV| < 2^63 + 16 * 2^87 + 16 * 2^87 < 2^93
TV_BITS = max(COLLATERAL_BITS - 1, NOTIONAL_BITS, FUNDING_PNL_BITS) + 4 + 2
# BPS * TV and sum_j |q_j| p_j m_j both < 2^(93 + 14): the margin surplus
# S = BPS * TV - sum_j |q_j| p_j m_j satisfies |S| < 2^108; the circuit checks S >= 0 as
# S + 2^(MARGIN_BITS - 1) in [0, 2^MARGIN_BITS).
MARGIN_BITS = TV_BITS + BPS_BITS + 2


@dataclass(frozen=True)
class MarketParams:
    """Static parameters of one perpetual market (fixed for the life of a preset)."""

    name: str
    price_step: int  # collateral units per lot per ladder step: mark price = g * price_step
    maintenance_bps: int  # m_j: MR = sum |q_j| p_j m_j / BPS
    initial_bps: int  # i_j: IR = sum |q_j| p_j i_j / BPS, m_j < i_j < BPS
    penalty_bps: int  # liquidation penalty, bps of the liquidated notional, <= m_j
    max_funding_delta: int  # largest |change| of F_j in one funding update, units per lot

    def mark_price(self, g: int) -> int:
        """The price (collateral units per lot) of ladder index g."""
        return g * self.price_step


@dataclass(frozen=True)
class Preset:
    """A circuit shape and the economic parameters it is proved for.

    `account_bits` fixes the capacity 2^account_bits; `arity` (2 or 4) the tree shape, so
    `depth = account_bits / log2(arity)` levels. The `*_slots` counts are the fixed op
    slots of the batch circuit: a batch holds at most that many ops of each kind.
    """

    name: str
    account_bits: int
    arity: int
    markets: tuple[MarketParams, ...]
    domain: int  # signed-message domain separator (chain id / rollup instance)
    insurance_account: int = 0
    register_slots: int = 2
    deposit_slots: int = 4
    forced_slots: int = 1
    withdrawal_slots: int = 4
    trade_slots: int = 8
    funding_slots: int = 2
    touch_slots: int = 4
    liquidation_slots: int = 2
    deleverage_slots: int = 2
    # European options (spec/options.py): K option slots per leaf and option-trade op slots;
    # 0 (every preset the circuit proves today) leaves the leaf and the batch as they were
    option_slots: int = 0
    option_trade_slots: int = 0
    listing_slots: int = 0  # series a round may list
    settlement_slots: int = 0  # series a round may settle

    @property
    def num_markets(self) -> int:
        return len(self.markets)

    @property
    def depth(self) -> int:
        return self.account_bits // (self.arity.bit_length() - 1)

    @property
    def capacity(self) -> int:
        return 1 << self.account_bits

    def __post_init__(self):
        assert self.arity in (2, 4), "the tree is binary or 4-ary"
        assert self.account_bits % (self.arity.bit_length() - 1) == 0
        assert 1 <= self.num_markets <= MAX_MARKETS
        for mk in self.markets:
            assert 0 < mk.maintenance_bps < mk.initial_bps < BPS
            assert 0 <= mk.penalty_bps <= mk.maintenance_bps
            assert 0 < mk.price_step and mk.price_step * GRID_MAX < (1 << PRICE_BITS)
            assert 0 < mk.max_funding_delta < (1 << (FUNDING_BITS - 2))


_BTC = MarketParams("BTC-PERP", price_step=5_000_000, maintenance_bps=300, initial_bps=500,
                    penalty_bps=100, max_funding_delta=10**9)
_ETH = MarketParams("ETH-PERP", price_step=200_000, maintenance_bps=400, initial_bps=700,
                    penalty_bps=150, max_funding_delta=10**8)
_SOL = MarketParams("SOL-PERP", price_step=10_000, maintenance_bps=600, initial_bps=1_000,
                    penalty_bps=200, max_funding_delta=10**7)
_XAU = MarketParams("XAU-PERP", price_step=100_000, maintenance_bps=200, initial_bps=400,
                    penalty_bps=50, max_funding_delta=10**8)

# Tests: 16 accounts in a binary tree of depth 4, two markets with small steps so that
# hand-written numbers stay readable (a lot of BTC-T at ladder index 1000 costs 1_000_000),
# and few op slots so that its batch circuit proves in seconds.
TINY = Preset(
    name="tiny",
    account_bits=4,
    arity=2,
    markets=(
        MarketParams("BTC-T", price_step=1_000, maintenance_bps=500, initial_bps=1_000,
                     penalty_bps=200, max_funding_delta=10**6),
        MarketParams("ETH-T", price_step=100, maintenance_bps=800, initial_bps=1_500,
                     penalty_bps=300, max_funding_delta=10**5),
    ),
    domain=0x7A6B636C656172_01,  # "zkclear" || 1
    register_slots=1, deposit_slots=2, withdrawal_slots=1, trade_slots=2, funding_slots=1,
    touch_slots=4, liquidation_slots=1, deleverage_slots=1,
)

# The demo: 1024 accounts in a 4-ary tree of depth 5, two markets.
DEMO = Preset(name="demo", account_bits=10, arity=4, markets=(_BTC, _ETH), domain=0x7A6B636C656172_02)

# Benchmarks: 2^20 accounts in a 4-ary tree of depth 10, four markets. The path update of a
# write that keeps its box (most writes) costs 7.2k constraints here against 10.9k in the
# binary tree of depth 20; one that changes the box 48.9k against 47.7k
# (`python -m circuits.settlement.stats`).
# Slots balanced to the random trading flow and fitted into a 2^22 domain (`python -m
# circuits.settlement.throughput --preset mainnet --slots ...`: constraints from the stats
# module's per-slot costs, the proof time modelled as A * wires + B * 2^domain, trades a batch
# from `sequencer.flow`). The 2^23 circuit before (70 trade / 16 touch / 4 liquidation / 16
# deposit / 16 withdrawal slots, 4.86M constraints) filled 58 % of its domain, and the domain's
# part of a proof (the h FFTs and the MSM of H: ~28 s of 63.5 s) is paid in full however few
# constraints fill it. Here: ~4.14M constraints, ~99 % of 2^22; 114 trade slots (28.2k each, the
# batch carrying the tree's top: circuits/settlement/tree.py), nearly all settled every batch once
# the institutions are boxed; 6 touch slots (with the 20 % bands of box_policy the flow needs ~2
# touches a batch, at most 6 on 60 batches; 5 slots left trades waiting: 97.8 of 106 a batch
# against 99.2 with 6); 2 liquidation slots (a one-batch move of 20 % in every
# market liquidates nobody on the flow: its 2x-5x accounts run out of box before margin, and
# touches are what a crash needs); 4 deposit and 4 withdrawal slots (a batch every ~50 s takes
# ~290 deposits an hour against a few an hour from 64 institutions; the contract caps its queues
# so that a flood only waits: Rollup.sol); 2 registrations, 1 forced exit, 2 deleverages, every
# market funded. The what-if (`python -m circuits.settlement.throughput --preset mainnet
# --batches 60 --slots touch_slots=6,trade_slots=110`) predicted 103 trades a batch (109 once
# the institutions are boxed) and 2.10 trades/s at 110 trade slots, against 1.79 for the
# earlier 92 / 10 (README: "Settlement throughput").
MAINNET = Preset(
    name="mainnet",
    account_bits=20,
    arity=4,
    markets=(_BTC, _ETH, _SOL, _XAU),
    domain=0x7A6B636C656172_03,
    trade_slots=114,
    deposit_slots=4,
    withdrawal_slots=4,
    touch_slots=6,
    liquidation_slots=2,
    funding_slots=4,
)

PRESETS = {p.name: p for p in (TINY, DEMO, MAINNET)}

# The options preset (spec/options.py; proven by the batch and exit circuits; not in PRESETS,
# the presets `zkclear serve` runs, since the service does not cut option batches yet):
# TINY with K = 2 option slots per leaf and two option-trade slots per batch. A BTC-T lot is
# priced 1000 units per ladder step, so ladder index 60_000 is 60 USD a lot (0.001 BTC at 60k).
TINY_OPTIONS = Preset(
    name="tiny-options",
    account_bits=4,
    arity=2,
    markets=TINY.markets,
    domain=0x7A6B636C656172_04,
    register_slots=2, deposit_slots=4, withdrawal_slots=1, trade_slots=2, funding_slots=1,
    touch_slots=4, liquidation_slots=2, deleverage_slots=1, option_slots=2, option_trade_slots=2,
    listing_slots=3, settlement_slots=2,
)

# Every preset the batch circuit proves: the perpetual presets and the options preset (the
# scenario runner, the batch prover, the client and the circuit registry look presets up here).
KNOWN_PRESETS = {**PRESETS, TINY_OPTIONS.name: TINY_OPTIONS}

# --- import-time checks: nothing the margin formula forms can wrap modulo r ------------------
assert MARGIN_BITS < 250 and (1 << MARGIN_BITS) < FIELD_MODULUS
assert GRID_BITS + GRID_BITS + 2 * FUNDING_BITS < 253  # a packed box fits one field element
