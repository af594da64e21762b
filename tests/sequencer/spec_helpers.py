"""Helpers for the spec tests, consensus-specs style: `run_op_processing` yields the pre
state, the op and the post state (None when the op is refused), and checks on the way that a
refused op changes nothing and that the incremental root equals the root rebuilt from scratch.
The yielded parts are what a vector generator would write out for the circuit's tests."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pytest

from circuits.crypto.eddsa import PrivateKey
from sequencer.spec import (TINY, Batch, Deleverage, Deposit, Funding, Liquidate, OpRefused, Register, State, Touch,
                            Trade, Withdraw, margin, message_hash, process_op)
from sequencer.spec import box as boxes
from sequencer.spec.ops import KIND_RANK
from sequencer.spec.transition import settle_funding

ADDRESS_BASE = 0xA11CE00000000000000000000000000000000000
LOT_PRICE = 1_000_000  # TINY BTC-T: the mark price of one lot at ladder index 1000


@lru_cache(maxsize=None)
def key(i: int) -> PrivateKey:
    return PrivateKey.from_seed(b"zkclear-spec-test-%d" % i)


def sign(op, i: int, preset=TINY):
    return key(i).sign(message_hash(op, preset.domain))


@dataclass(frozen=True)
class Snapshot:
    """Enough of a state to tell whether anything changed."""

    root: int
    accounts: dict
    withdrawals: tuple

    @classmethod
    def of(cls, state: State) -> "Snapshot":
        return cls(state.root(), dict(state.accounts), tuple(state.withdrawals))


def assert_roots_consistent(state: State) -> None:
    """The incrementally maintained tree equals the tree rebuilt from the accounts."""
    rebuilt = state.rebuild_tree()
    assert rebuilt.root == state.tree.root
    assert rebuilt.root_box == state.tree.root_box


# --- pinning boxes ------------------------------------------------------------------------------
# Writes keep an account's box, so an account must be boxed for what an op makes of it. The
# tests pin the accounts an op writes to the degenerate box at the current prices and funding
# (safe for every state solvent there, as margin_allows leaves them) with a Touch first; the
# sequencer's builder (`build_batch`) chooses wider boxes.
def written_accounts(op) -> list[int]:
    """The non-fund accounts whose kept-box writes an op checks."""
    if isinstance(op, Trade):
        return [op.buyer, op.seller]
    if isinstance(op, Withdraw):
        return [op.account]
    if isinstance(op, Liquidate):
        return [op.receiver]
    if isinstance(op, Deleverage):
        return [op.account]
    return []


def pin_touches(state: State, ops, prices, funding, outside: bool = False) -> list:
    """Touch(i, point box) for each solvent registered account the ops write (and, with
    `outside`, each one whose box misses the prices)."""
    out, seen = [], set()
    moved = [i for i, a in state.accounts.items() if not boxes.contains(a.box, prices, funding)] if outside else []
    for op in list(ops) + [Touch(i) for i in moved]:
        for i in written_accounts(op) if not isinstance(op, Touch) else [op.account]:
            if i in seen or i == state.preset.insurance_account or i not in state.accounts:
                continue
            seen.add(i)
            a = settle_funding(state.accounts[i], funding)
            if margin.maintenance_surplus(a, state.preset, prices, funding) >= 0:
                out.append(Touch(i, boxes.point(prices, funding)))
    return out


def pinned(state: State, batch: Batch) -> Batch:
    """The batch with pinning touches inserted in kind order (after the liquidations)."""
    funding = list(state.funding)
    for op in batch.ops:
        if isinstance(op, Funding) and 0 <= op.market < len(funding):
            funding[op.market] += op.delta
    touched = {op.account for op in batch.ops if isinstance(op, Touch)}
    touches = [t for t in pin_touches(state, batch.ops, batch.prices, tuple(funding), outside=True)
               if t.account not in touched]
    ops = sorted(list(batch.ops) + touches, key=lambda op: KIND_RANK.get(type(op), -1))
    return Batch(batch.number, batch.oracle_round, batch.prices, tuple(ops))


def pin(state: State, op) -> None:
    """Outside a batch: pin the accounts `op` writes at the state's prices."""
    for t in pin_touches(state, [op], state.prices, state.funding):
        process_op(state, t)


def run_op_processing(state: State, op, valid: bool = True):
    """Yield ("pre", snapshot), ("op", op), ("post", snapshot or None); the accounts the op
    writes are pinned first (`pin`)."""
    pin(state, op)
    pre = Snapshot.of(state)
    yield "pre", pre
    yield "op", op
    if not valid:
        with pytest.raises(OpRefused) as info:
            process_op(state, op)
        # a refused op changes nothing
        assert Snapshot.of(state) == pre
        yield "reason", info.value.reason
        yield "post", None
        return
    process_op(state, op)
    assert_roots_consistent(state)
    yield "post", Snapshot.of(state)


def apply(state: State, op, valid: bool = True) -> dict:
    return dict(run_op_processing(state, op, valid))


# --- building states ---------------------------------------------------------------------------
def genesis(preset=TINY, prices=(1000, 1000)) -> State:
    return State.genesis(preset, key(0).public_key, ADDRESS_BASE, prices)


def register_op(state: State, i: int) -> Register:
    """The next L1 registration: key(i), owner ADDRESS_BASE + i (account i when registered in order)."""
    return Register(index=state.registration_index, pubkey=key(i).public_key, l1_address=ADDRESS_BASE + i)


def deposit_op(state: State, account: int, amount: int) -> Deposit:
    return Deposit(index=state.deposit_index, account=account, amount=amount)


def trade_op(state: State, market: int, size: int, price: int, buyer: int, seller: int,
             buyer_nonce: int = 0, seller_nonce: int = 0, expiry: int = 100, fee: int = 0,
             signers: tuple[int, int] | None = None) -> Trade:
    """A trade co-signed by the keys of `signers` (default: the accounts' own keys, where
    account i is owned by key(i))."""
    op = Trade(market, size, price, buyer, seller, buyer_nonce, seller_nonce, expiry, fee)
    sb, ss = signers or (buyer, seller)
    return Trade(*[getattr(op, f) for f, _, _ in Trade.FIELDS],
                 buyer_signature=sign(op, sb, state.preset), seller_signature=sign(op, ss, state.preset))


def withdraw_op(state: State, account: int, amount: int, nonce: int = 0, expiry: int = 100,
                signer: int | None = None) -> Withdraw:
    op = Withdraw(account, amount, nonce, expiry)
    return Withdraw(account, amount, nonce, expiry, sign(op, account if signer is None else signer,
                                                          state.preset))


def funded_state(n: int = 3, amount: int = 10**8, preset=TINY, prices=(1000, 1000)) -> State:
    """Genesis plus accounts 1..n (account i owned by key(i)), each with `amount` collateral."""
    state = genesis(preset, prices)
    for i in range(1, n + 1):
        process_op(state, register_op(state, i))
        process_op(state, deposit_op(state, i, amount))
    return state


def conserved_total(state: State) -> int:
    """sum over accounts of C + sum_j q_j f_j, plus the fees the fund has not been credited
    yet: moved only by deposits and withdrawals."""
    return state.fees + sum(a.collateral + sum(q * f for q, f in zip(a.positions, a.snapshots))
               for a in state.accounts.values())


def assert_all_solvent(state: State) -> None:
    """Every account TV >= MR at the state's prices, and inside its box; prices in the root box."""
    from sequencer.spec import box
    p = state.preset
    for index, a in state.accounts.items():
        assert margin.maintenance_surplus(a, p, state.prices, state.funding) >= 0, index
        assert box.contains(a.box, state.prices, state.funding), index
        assert margin.box_surplus(a, p, a.box) >= 0, index
    assert box.contains(state.tree.root_box, state.prices, state.funding)
