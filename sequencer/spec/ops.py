"""The operations of a batch: op codes, field widths, signed-message hashes, the nonce window.

Each op is a frozen dataclass with `OP_CODE` and `FIELDS` = ((name, bits, signed), ...), the
widths the circuit range-checks (signatures and public keys are curve data, not listed).

Signed messages. A signed op is authorised by EdDSA-Poseidon over Baby Jubjub on

    msg = hash_fields([domain, OP_CODE, *message fields in FIELDS order])

where `domain` is the preset's separator (no message of one deployment replays on another)
and OP_CODE separates the kinds. A trade is ONE message signed by both counterparties.

Replay protection: a nonce *window*, not consecutive nonces
------------------------------------------------------------
An institution signs many orders that settle in whatever order the sequencer matches them;
strictly consecutive nonces would refuse nonce 8 until nonce 7 settles, and a cancelled
order would block the account. Each leaf therefore keeps `nonce_hi` (the highest nonce used)
and a NONCE_WINDOW-bit bitmap (bit i set <=> nonce_hi - i used). A nonce n is accepted iff

    n > nonce_hi                                   (fresh: shift the bitmap by n - nonce_hi)
    or nonce_hi - NONCE_WINDOW < n <= nonce_hi and bit (nonce_hi - n) is clear

and is then marked used, so a signed message settles at most once (a trade consumes both
parties' nonces atomically). Up to 64 orders per account may be in flight out of order; a
message whose nonce fell out of the window is refused and must be re-signed. The window is
two 64-bit leaf fields; in the circuit the shift is a multiplication by 2^(n - nonce_hi)
(six selected constants) followed by a 128-bit split keeping the low 64 bits. Every signed
op also carries an expiry: it is valid in batches with number <= expiry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .constants import (ADDRESS_BITS, AMOUNT_BITS, BATCH_BITS, FEE_BITS, FUNDING_BITS, NONCE_BITS,
                        NONCE_WINDOW, POSITION_BITS, PRICE_BITS)
from .hashing import hash_fields
from .public import FIRST_L1_ACCOUNT

Signature = Any  # circuits.crypto.eddsa.Signature (R8, S)

OP_NOOP = 0
OP_REGISTER = 1
OP_DEPOSIT = 2
OP_WITHDRAW = 3
OP_TRADE = 4
OP_FUNDING = 5
OP_TOUCH = 6
OP_LIQUIDATE = 7
OP_DELEVERAGE = 8
OP_FORCED_WITHDRAW = 9
OP_OPTION_TRADE = 10

ACCOUNT_ID_BITS = 32  # wide enough for every preset (the tree's capacity is checked apart)
MARKET_BITS = 4  # a market index is < 16


@dataclass(frozen=True)
class Register:
    """The `index`-th entry of the L1 registration queue: `Rollup.register` was called by
    `l1_address` with `pubkey`. The contract assigned the account id FIRST_L1_ACCOUNT + index
    (`account`) and records `l1_address` as its owner; it refuses keys that are not field
    elements and registrations past the tree's capacity. Unsigned (the L1 sender is the
    authority: a key its owner cannot sign with only makes its own account useless) and never
    refused: consumed in queue order, it writes a new leaf at `account`."""

    OP_CODE = OP_REGISTER
    FIELDS = (("index", 64, False), ("l1_address", ADDRESS_BITS, False))
    index: int
    pubkey: tuple[int, int]
    l1_address: int

    @property
    def account(self) -> int:
        return FIRST_L1_ACCOUNT + self.index


@dataclass(frozen=True)
class QueueEntry:
    """The `index`-th entry of an L1 queue: `amount` for `account`. The contract queues entries
    only for ids registered on L1 (and only the owner's forced requests), so an entry names no
    sender: whatever it pays goes to the account's L1 owner. Unsigned and consumed in order."""

    FIELDS = (("index", 64, False), ("account", ACCOUNT_ID_BITS, False), ("amount", AMOUNT_BITS, False))
    index: int
    account: int
    amount: int


@dataclass(frozen=True)
class Deposit(QueueEntry):
    """The `index`-th deposit of the L1 queue: `amount` collateral units for `account`.

    Unsigned (the L1 contract took the funds). The account's leaf must exist: the sequencer
    consumes the registration first (always possible: it was queued before the deposit);
    a deposit to a missing leaf is refused. A deposit that would push the collateral out of
    its range is *bounced*: consumed, not credited, flagged in the batch message, and the
    contract pays it back to the account's L1 owner."""

    OP_CODE = OP_DEPOSIT


@dataclass(frozen=True)
class ForcedWithdraw(QueueEntry):
    """The `index`-th request of the L1 forced-withdrawal queue: the account's owner asks for
    `amount` of its collateral (the contract checks the sender). Never refused, so the queue
    always advances (a request the sequencer leaves past its deadline lets anyone freeze the
    contract): it is *executed* exactly when the amount is positive and the account (a leaf
    that exists) keeps TV >= IR at the batch prices; otherwise it is consumed with no effect.
    The flag is in the batch message and the contract pays an executed request to the owner.
    An executed request re-boxes the account (`box`: the sequencer's choice, None for
    `margin.choose_box`), so a request the account can afford never fails on its box."""

    OP_CODE = OP_FORCED_WITHDRAW
    box: Optional[tuple] = None


@dataclass(frozen=True)
class Withdraw:
    """Move `amount` of collateral to the account's L1 owner (the contract pays
    `accountOwner[account]`, which is the leaf's l1_address); signed by the owner's key."""

    OP_CODE = OP_WITHDRAW
    FIELDS = (("account", ACCOUNT_ID_BITS, False), ("amount", AMOUNT_BITS, False),
              ("nonce", NONCE_BITS, False), ("expiry", BATCH_BITS, False))
    account: int
    amount: int
    nonce: int
    expiry: int
    signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.account, self.amount, self.nonce, self.expiry]


@dataclass(frozen=True)
class Trade:
    """`buyer` buys `size` lots of `market` from `seller` at `price`; each pays `fee` to the
    insurance fund. One message, signed by both."""

    OP_CODE = OP_TRADE
    FIELDS = (("market", MARKET_BITS, False), ("size", POSITION_BITS - 1, False),
              ("price", PRICE_BITS, False), ("buyer", ACCOUNT_ID_BITS, False),
              ("seller", ACCOUNT_ID_BITS, False), ("buyer_nonce", NONCE_BITS, False),
              ("seller_nonce", NONCE_BITS, False), ("expiry", BATCH_BITS, False),
              ("fee", FEE_BITS, False))
    market: int
    size: int
    price: int
    buyer: int
    seller: int
    buyer_nonce: int
    seller_nonce: int
    expiry: int
    fee: int
    buyer_signature: Optional[Signature] = None
    seller_signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.market, self.size, self.price, self.buyer, self.seller, self.buyer_nonce,
                self.seller_nonce, self.expiry, self.fee]


@dataclass(frozen=True)
class Funding:
    """Add `delta` (signed, |delta| <= max_funding_delta) to the funding index of `market`."""

    OP_CODE = OP_FUNDING
    FIELDS = (("market", MARKET_BITS, False), ("delta", FUNDING_BITS, True))
    market: int
    delta: int


@dataclass(frozen=True)
class Touch:
    """Re-box `account` at the batch prices (settling its funding); refused if TV < MR.

    The only op (besides the batch's closing write of the fund) that changes a box: `box`
    is the sequencer's choice (None: `margin.choose_box` at the batch prices); it must be
    well formed and safe for the account. Unsigned: the sequencer touches whom it must."""

    OP_CODE = OP_TOUCH
    FIELDS = (("account", ACCOUNT_ID_BITS, False),)
    account: int
    box: Optional[tuple] = None
    # options presets (options.py): `box` may be a (perpetual box, options.OptionBox) pair, and
    # `assign` puts series into option slots holding no position ((slot, series id), ...), so
    # that the touch caches their rows before a trade opens a position in them
    assign: tuple = ()


@dataclass(frozen=True)
class Liquidate:
    """Move every position of `account` (TV < MR) to `receiver` at the mark prices, with a
    penalty to the receiver. The receiver is the insurance fund (unsigned) or a liquidator
    that signs the message with its nonce and expiry."""

    OP_CODE = OP_LIQUIDATE
    FIELDS = (("account", ACCOUNT_ID_BITS, False), ("receiver", ACCOUNT_ID_BITS, False),
              ("receiver_nonce", NONCE_BITS, False), ("expiry", BATCH_BITS, False))
    account: int
    receiver: int
    receiver_nonce: int = 0
    expiry: int = 0
    signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.account, self.receiver, self.receiver_nonce, self.expiry]


@dataclass(frozen=True)
class Deleverage:
    """Auto-deleveraging while the insurance fund is below maintenance: `size` lots of the
    fund's position in `market` go to `account` (which holds the opposite side) at the mark
    price, and `account` pays `haircut` (at most the fund's negative TV) to the fund."""

    OP_CODE = OP_DELEVERAGE
    FIELDS = (("account", ACCOUNT_ID_BITS, False), ("market", MARKET_BITS, False),
              ("size", POSITION_BITS - 1, False), ("haircut", AMOUNT_BITS, False))
    account: int
    market: int
    size: int
    haircut: int


@dataclass(frozen=True)
class OptionTrade:
    """`buyer` buys `size` lots of option series `series` from `seller` at `premium` collateral
    units per lot; each pays `fee` to the insurance fund. One message, signed by both (options
    presets only, spec/options.py)."""

    OP_CODE = OP_OPTION_TRADE
    FIELDS = (("series", 16, False), ("size", POSITION_BITS - 1, False),
              ("premium", PRICE_BITS, False), ("buyer", ACCOUNT_ID_BITS, False),
              ("seller", ACCOUNT_ID_BITS, False), ("buyer_nonce", NONCE_BITS, False),
              ("seller_nonce", NONCE_BITS, False), ("expiry", BATCH_BITS, False),
              ("fee", FEE_BITS, False))
    series: int
    size: int
    premium: int
    buyer: int
    seller: int
    buyer_nonce: int
    seller_nonce: int
    expiry: int
    fee: int
    buyer_signature: Optional[Signature] = None
    seller_signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.series, self.size, self.premium, self.buyer, self.seller, self.buyer_nonce,
                self.seller_nonce, self.expiry, self.fee]


OPS = (Register, Deposit, ForcedWithdraw, Withdraw, Trade, Funding, Touch, Liquidate, Deleverage, OptionTrade)
# The order of op kinds inside a batch. The batch circuit has fixed slots per kind and runs
# the kinds in this order, so a batch lists its ops grouped by kind in this order (within a
# kind in any order, except the L1 queue kinds: in queue order, filling their first slots).
# The L1 queues come first: registrations (a deposit may fund a new account), deposits (they
# can rescue an account), forced withdrawals; then what the batch's prices require (funding
# moves indices, touches re-box the solvent accounts, including a liquidator before it takes
# positions over, then the liquidations), then the signed requests, and the deleverages the
# fund's shortfall needs last. Option trades (options presets) come after them: appended, so
# that the kinds the circuit proves today keep their ranks.
KIND_ORDER = (Register, Deposit, ForcedWithdraw, Funding, Touch, Liquidate, Withdraw, Trade, Deleverage, OptionTrade)
KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}
SLOT_NAMES = {Register: "register_slots", Deposit: "deposit_slots", ForcedWithdraw: "forced_slots",
              Withdraw: "withdrawal_slots",
              Trade: "trade_slots", Funding: "funding_slots", Touch: "touch_slots",
              Liquidate: "liquidation_slots", Deleverage: "deleverage_slots", OptionTrade: "option_trade_slots"}


def message_hash(op, domain: int) -> int:
    """The field element a signed op's signature(s) sign."""
    return hash_fields([domain, op.OP_CODE, *op.message_fields()])


def fields_in_range(op) -> bool:
    """Every listed field fits its width (signed: |x| < 2^(bits-1))."""
    for name, bits, signed in op.FIELDS:
        x = getattr(op, name)
        if not isinstance(x, int):
            return False
        if signed and not -(1 << (bits - 1)) < x < (1 << (bits - 1)):
            return False
        if not signed and not 0 <= x < (1 << bits):
            return False
    return True


# --- the nonce window -------------------------------------------------------------------------
_WINDOW_MASK = (1 << NONCE_WINDOW) - 1


def use_nonce(nonce_hi: int, bitmap: int, n: int) -> Optional[tuple[int, int]]:
    """(nonce_hi', bitmap') after using nonce n, or None if n is used or too old."""
    if not 0 <= n < (1 << NONCE_BITS):
        return None
    if n > nonce_hi:
        shift = n - nonce_hi
        return n, (((bitmap << shift) | 1) & _WINDOW_MASK if shift < NONCE_WINDOW else 1)
    age = nonce_hi - n
    if age >= NONCE_WINDOW or (bitmap >> age) & 1:
        return None
    return nonce_hi, bitmap | (1 << age)


# --- off-chain messages: signed to the sequencer, never part of a batch -------------------------
# Their codes lie outside the circuit's op codes (0..10), so none of these messages is the
# message of an op: a signature on one of them authorises nothing in a batch, and no op's
# signature is a valid cancel, login or registration request. They are hashed like ops:
# hash_fields([domain, OP_CODE, *message fields in FIELDS order]) (`message_hash`).
OP_CANCEL = 0x10
OP_AUTH = 0x11
OP_ACCOUNT_REQUEST = 0x12
OP_ID_BITS = 128  # the sequencer's op ids: 128 random bits


@dataclass(frozen=True)
class Cancel:
    """`account` (a party of the op) asks the sequencer to drop accepted op `op_id` before it
    is batched. Only the sequencer reads it; once the op is in a batch it is too late."""

    OP_CODE = OP_CANCEL
    FIELDS = (("op_id", OP_ID_BITS, False), ("account", ACCOUNT_ID_BITS, False))
    op_id: int
    account: int
    signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.op_id, self.account]


@dataclass(frozen=True)
class AuthChallenge:
    """`account` proves it holds its key by signing the sequencer's one-time `challenge`
    (OP_ID_BITS random bits); the sequencer answers with a short-lived read token."""

    OP_CODE = OP_AUTH
    FIELDS = (("account", ACCOUNT_ID_BITS, False), ("challenge", OP_ID_BITS, False))
    account: int
    challenge: int
    signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.account, self.challenge]


@dataclass(frozen=True)
class AccountRequest:
    """A key announces that `l1_address` will register it on L1 (`Rollup.register`): the
    signature proves possession of the key before its owner pays the registration fee. The
    account id is the contract's to assign, so the message has none."""

    OP_CODE = OP_ACCOUNT_REQUEST
    FIELDS = (("l1_address", ADDRESS_BITS, False),)
    pubkey: tuple[int, int]
    l1_address: int
    signature: Optional[Signature] = None

    def message_fields(self) -> list[int]:
        return [self.l1_address, self.pubkey[0], self.pubkey[1]]
