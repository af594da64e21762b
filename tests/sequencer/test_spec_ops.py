"""Each op of the spec applied, and refused for each reason; a refused op changes nothing.

Single-op tests run in the context of the state's current batch (its `batch_number`,
`prices`, `funding`); where a test needs other prices it sets `state.prices` directly, as
`process_batch_header` would."""
from __future__ import annotations

import pytest

from dataclasses import replace


from sequencer.spec import (TINY, Deleverage, Funding, Liquidate, Touch, margin, message_hash,
                            process_op, use_nonce)
from sequencer.spec.constants import BPS, COLLATERAL_MAX, GRID_MAX, NONCE_WINDOW

from spec_helpers import (ADDRESS_BASE, apply, conserved_total, deposit_op, funded_state,
                          genesis, key, register_op, sign, trade_op, withdraw_op)

INS = TINY.insurance_account
LOT = 1_000_000  # TINY BTC-T mark price per lot at ladder index 1000


# --- register ---------------------------------------------------------------------------------
def test_register():
    state = genesis()
    out = apply(state, register_op(state, 1))
    assert out["post"] is not None
    a = state.accounts[1]
    assert a.pubkey == key(1).public_key and a.l1_address == ADDRESS_BASE + 1
    assert a.collateral == 0 and a.positions == (0, 0) and state.num_accounts == 2


def test_register_consumes_the_queue_in_order():
    state = genesis()
    op = register_op(state, 1)
    assert op.account == 1 and op.index == 0  # FIRST_L1_ACCOUNT + index
    apply(state, op)
    out = apply(state, op, valid=False)  # the same queue entry again
    assert out["reason"] == "registration out of queue order"
    later = register_op(state, 2)
    apply(state, replace(later, index=later.index + 1), valid=False)
    apply(state, later)
    assert state.registrations == [(*key(1).public_key, ADDRESS_BASE + 1), (*key(2).public_key, ADDRESS_BASE + 2)]
    assert state.registration_index == 2 and state.num_accounts == 3


def test_register_is_not_signed_and_checks_the_key():
    state = genesis()
    op = register_op(state, 1)
    from sequencer.spec.constants import FIELD_MODULUS
    apply(state, replace(op, pubkey=(FIELD_MODULUS, op.pubkey[1])), valid=False)  # the contract refuses it
    apply(state, replace(op, pubkey=(5, 7)))  # any field elements: the owner's business


def test_register_tree_full_cannot_happen():
    state = genesis()
    for i in range(1, TINY.capacity):
        process_op(state, register_op(state, i))
    with pytest.raises(AssertionError, match="state tree is full"):
        process_op(state, register_op(state, 99))


# --- deposit ----------------------------------------------------------------------------------
def test_deposit_credits():
    state = funded_state(1, amount=0)
    for amount in (5, 7):
        apply(state, deposit_op(state, 1, amount))
    assert state.accounts[1].collateral == 12
    assert state.deposit_index == 3  # funded_state consumed one
    assert state.deposits[-2:] == [(1, 5, 0), (1, 7, 0)]


def test_deposit_to_a_missing_leaf_bounces():
    """Registered on L1, its registration not consumed yet: consumed, not credited, bounced
    (the contract pays it back to the owner), so the deposit queue never waits on another."""
    state = funded_state(1)
    index = state.deposit_index
    apply(state, deposit_op(state, 9, 1234))
    assert 9 not in state.accounts and state.deposits[-1] == (9, 1234, 1) and state.deposit_index == index + 1


def test_deposit_beyond_the_tree_is_refused():
    state = funded_state(1)
    out = apply(state, deposit_op(state, TINY.capacity + 5, 1234), valid=False)
    assert out["reason"] == "field out of range"


def test_deposit_overflow_bounces():
    state = funded_state(1)
    index = state.deposit_index
    apply(state, deposit_op(state, 1, COLLATERAL_MAX))
    assert state.accounts[1].collateral == 10**8 and state.deposits[-1] == (1, COLLATERAL_MAX, 1)
    assert state.deposit_index == index + 1 and state.withdrawals == []


def test_deposit_out_of_order():
    state = funded_state(1)
    op = deposit_op(state, 1, 5)
    apply(state, replace(op, index=op.index + 1), valid=False)
    apply(state, replace(op, amount=1 << 63), valid=False)  # wider than AMOUNT_BITS


# --- withdrawal -------------------------------------------------------------------------------
def test_withdrawal():
    state = funded_state(1)
    apply(state, withdraw_op(state, 1, 4 * 10**7))
    assert state.accounts[1].collateral == 6 * 10**7
    assert state.withdrawals == [(1, 4 * 10**7)]


@pytest.mark.parametrize("case", ["bad_signature", "expired", "too_much", "zero", "unknown"])
def test_withdrawal_refused(case):
    state = funded_state(2)
    state.batch_number = 5
    op = {
        "bad_signature": lambda: withdraw_op(state, 1, 10, signer=2),
        "expired": lambda: withdraw_op(state, 1, 10, expiry=4),
        "too_much": lambda: withdraw_op(state, 1, 10**8 + 1),
        "zero": lambda: withdraw_op(state, 1, 0),
        "unknown": lambda: withdraw_op(state, 7, 10, signer=1),
    }[case]()
    apply(state, op, valid=False)


def test_withdrawal_replay():
    state = funded_state(1)
    op = withdraw_op(state, 1, 10, nonce=3)
    apply(state, op)
    out = apply(state, op, valid=False)
    assert out["reason"] == "nonce already used or too old"


def test_withdrawal_keeps_initial_margin():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 500, LOT, 1, 2))  # IR = 500 * LOT * 10% = 5e7 each
    apply(state, withdraw_op(state, 1, 5 * 10**7 + 1, nonce=1), valid=False)
    apply(state, withdraw_op(state, 1, 5 * 10**7, nonce=1))


# --- trade ------------------------------------------------------------------------------------
def test_trade():
    state = funded_state(2)
    total = conserved_total(state)
    apply(state, trade_op(state, 0, 10, 1_010_000, 1, 2, fee=50))
    b, s, fund = state.accounts[1], state.accounts[2], state.accounts[INS]
    assert b.positions == (10, 0) and s.positions == (-10, 0)
    assert b.collateral == 10**8 - 10 * 1_010_000 - 50
    assert s.collateral == 10**8 + 10 * 1_010_000 - 50
    assert fund.collateral == 0 and state.fees == 100  # credited when the batch closes
    assert conserved_total(state) == total
    assert (b.nonce_hi, b.nonce_bitmap) == (0, 1)
    assert b.box[0][0] <= 1000 <= b.box[0][1] and s.box[0][0] <= 1000 <= s.box[0][1]


@pytest.mark.parametrize("case", ["bad_buyer_signature", "bad_seller_signature", "one_message_two_keys",
                                  "expired", "initial_margin", "zero_size", "size_too_wide",
                                  "unknown_account", "unknown_market", "self_trade", "fee_too_wide",
                                  "insurance_fund"])
def test_trade_refused(case):
    state = funded_state(3)
    state.batch_number = 5
    t = lambda **kw: trade_op(state, **{**dict(market=0, size=10, price=LOT, buyer=1, seller=2), **kw})  # noqa: E731
    op = {
        "bad_buyer_signature": lambda: t(signers=(3, 2)),
        "bad_seller_signature": lambda: t(signers=(1, 3)),
        "one_message_two_keys": lambda: replace(t(), size=11),  # signed for 10, submitted for 11
        "expired": lambda: t(expiry=4),
        "initial_margin": lambda: t(size=1001),  # IR = 1001 * LOT * 10% > 1e8
        "zero_size": lambda: t(size=0),
        "size_too_wide": lambda: t(size=1 << 39),
        "unknown_account": lambda: t(seller=9),
        "unknown_market": lambda: t(market=2),
        "self_trade": lambda: t(seller=1),
        "fee_too_wide": lambda: t(fee=1 << 48),
        "insurance_fund": lambda: t(seller=INS, signers=(1, 0)),
    }[case]()
    apply(state, op, valid=False)


def test_trade_replay_and_out_of_order_nonces():
    state = funded_state(2)
    ops = [trade_op(state, 0, 1, LOT, 1, 2, buyer_nonce=n, seller_nonce=n) for n in (5, 3, 4)]
    for op in ops:  # several trades in flight settle in any order
        apply(state, op)
    for op in ops:  # none settles twice
        assert apply(state, op, valid=False)["reason"] == "nonce already used or too old"
    # nonce 3 of the seller is used, even in a new message
    apply(state, trade_op(state, 0, 1, LOT, 1, 2, buyer_nonce=9, seller_nonce=3), valid=False)


def test_trade_reducing_risk_below_initial_margin():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 900, LOT, 1, 2))
    state.prices = (960, 1000)  # account 1: TV = 6.4e7, IR = 8.64e7, MR = 4.32e7
    a = state.accounts[1]
    assert margin.initial_surplus(a, TINY, state.prices, state.funding) < 0
    assert margin.maintenance_surplus(a, TINY, state.prices, state.funding) >= 0
    apply(state, trade_op(state, 0, 10, 960_000, 1, 2, buyer_nonce=1, seller_nonce=1), valid=False)
    apply(state, trade_op(state, 0, 100, 960_000, 2, 1, buyer_nonce=1, seller_nonce=1))
    assert state.accounts[1].positions[0] == 800


def test_trade_flipping_sign_needs_initial_margin():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 900, LOT, 1, 2))
    state.prices = (960, 1000)
    # selling 1800 reduces nothing: it flips account 1 to a short of 900
    apply(state, trade_op(state, 0, 1800, 960_000, 2, 1, buyer_nonce=1, seller_nonce=1), valid=False)


def test_nonce_window_unit():
    hi, bm = 0, 0
    for n in (0, 1, 70, 10, 69):
        hi, bm = use_nonce(hi, bm, n)
    assert hi == 70 and bm & 1 and (bm >> 1) & 1 and (bm >> 60) & 1
    assert use_nonce(hi, bm, 70) is None and use_nonce(hi, bm, 10) is None
    assert use_nonce(hi, bm, 70 - NONCE_WINDOW) is None  # out of the window
    assert use_nonce(hi, bm, 71 - NONCE_WINDOW) is not None
    assert use_nonce(hi, bm, 1 << 64) is None
    assert use_nonce(hi, bm, 70 + 200) == (270, 1)


# --- funding ----------------------------------------------------------------------------------
def test_funding_and_settlement():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 10, LOT, 1, 2))
    total = conserved_total(state)
    apply(state, Funding(0, 1000))  # longs pay 1000 per lot
    assert state.funding == (1000, 0)
    tv = margin.total_value(state.accounts[1], TINY, state.prices, state.funding)
    apply(state, Touch(1))
    a = state.accounts[1]
    assert a.snapshots == (1000, 0) and a.collateral == 10**8 - 10 * LOT - 10 * 1000
    assert margin.total_value(a, TINY, state.prices, state.funding) == tv
    assert conserved_total(state) == total


@pytest.mark.parametrize("op", [Funding(0, 10**6 + 1), Funding(2, 1), Funding(0, -(1 << 47))])
def test_funding_refused(op):
    apply(funded_state(1), op, valid=False)


# --- touch ------------------------------------------------------------------------------------
def test_touch_reboxes():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 500, LOT, 1, 2))
    lo = state.accounts[1].box[0][0]
    state.prices = (lo - 1, 1000)  # out of account 1's box, still solvent
    apply(state, Touch(1))
    assert state.accounts[1].box[0][0] <= lo - 1 <= state.accounts[1].box[0][1]


def test_touch_refused():
    state = funded_state(2)
    apply(state, trade_op(state, 0, 900, LOT, 1, 2))
    state.prices = (900, 1000)
    assert apply(state, Touch(1), valid=False)["reason"] == "account below maintenance margin"
    apply(state, Touch(9), valid=False)


# --- liquidation ------------------------------------------------------------------------------
def underwater_state(price: int = 900):
    """Account 1 long 900 lots bought at LOT from account 2, the price now at ladder `price`."""
    state = funded_state(3)
    apply(state, trade_op(state, 0, 900, LOT, 1, 2))
    state.prices = (price, 1000)
    return state


def test_liquidating_a_healthy_account_refused():
    state = underwater_state(1000)
    assert apply(state, Liquidate(1, INS), valid=False)["reason"] == "account is above maintenance margin"


def test_liquidation_to_insurance_fund():
    state = underwater_state(900)  # TV = 1e7 < MR = 4.05e7
    total = conserved_total(state)
    apply(state, Liquidate(1, INS))
    a, fund = state.accounts[1], state.accounts[INS]
    assert a.positions == (0, 0) and a.collateral == 0  # the penalty took what was left
    assert fund.positions == (900, 0) and fund.collateral == -900 * 900_000 + 10**7
    assert conserved_total(state) == total


def test_liquidation_bad_debt_covered_by_fund():
    state = underwater_state(850)  # TV = -3.5e7
    apply(state, deposit_op(state, INS, 10**8))
    total = conserved_total(state)
    apply(state, Liquidate(1, INS))
    assert state.accounts[1].collateral == 0
    assert state.accounts[INS].collateral == 10**8 - 900 * 850_000 - 35 * 10**6
    assert conserved_total(state) == total


def signed_liquidation(state, target, receiver, nonce=0, expiry=100, signer=None):
    op = Liquidate(target, receiver, nonce, expiry)
    return replace(op, signature=sign(op, receiver if signer is None else signer))


def test_liquidation_to_liquidator():
    state = underwater_state(900)
    apply(state, signed_liquidation(state, 1, 3))
    assert state.accounts[3].positions == (900, 0)
    assert state.accounts[3].collateral == 10**8 - 900 * 900_000 + 10**7


@pytest.mark.parametrize("case", ["bad_signature", "expired", "replay", "liquidator_margin", "self",
                                  "fund"])
def test_liquidation_refused(case):
    state = underwater_state(900)
    state.batch_number = 5
    if case == "replay":
        apply(state, trade_op(state, 0, 1, LOT, 3, 2, buyer_nonce=4, seller_nonce=4))
    if case == "liquidator_margin":
        process_op(state, withdraw_op(state, 3, 95 * 10**6))
    op = {
        "bad_signature": lambda: signed_liquidation(state, 1, 3, signer=2),
        "expired": lambda: signed_liquidation(state, 1, 3, expiry=4),
        "replay": lambda: signed_liquidation(state, 1, 3, nonce=4),
        "liquidator_margin": lambda: signed_liquidation(state, 1, 3, nonce=1),
        "self": lambda: Liquidate(1, 1),
        "fund": lambda: Liquidate(INS, 3),
    }[case]()
    apply(state, op, valid=False)


# --- deleveraging -----------------------------------------------------------------------------
def test_deleverage():
    state = underwater_state(900)
    process_op(state, Liquidate(1, INS))  # the fund is long 900 with TV 1e7 < MR
    apply(state, Deleverage(2, 0, 300, 0))
    assert state.accounts[INS].positions[0] == 600 and state.accounts[2].positions[0] == -600
    apply(state, Deleverage(2, 0, 600, 0))
    assert state.accounts[INS].positions[0] == 0
    apply(state, Deleverage(2, 0, 1, 0), valid=False)  # no longer in shortfall


@pytest.mark.parametrize("case", ["healthy_fund", "same_side", "too_large", "haircut", "empty"])
def test_deleverage_refused(case):
    state = underwater_state(1000 if case == "healthy_fund" else 900)
    if case != "healthy_fund":
        process_op(state, Liquidate(1, INS))
    op = {
        "healthy_fund": Deleverage(2, 0, 10, 0),
        "same_side": Deleverage(3, 0, 10, 0),  # account 3 is flat
        "too_large": Deleverage(2, 0, 901, 0),
        "haircut": Deleverage(2, 0, 10, 1),  # the fund's TV is positive: no haircut
        "empty": Deleverage(2, 0, 0, 0),
    }[case]
    apply(state, op, valid=False)


def test_deleverage_haircut_covers_negative_fund():
    state = underwater_state(850)
    process_op(state, Liquidate(1, INS))  # bad debt 3.5e7 makes the fund's TV negative
    fund_tv = margin.total_value(state.accounts[INS], TINY, state.prices, state.funding)
    assert fund_tv == -35 * 10**6
    apply(state, Deleverage(2, 0, 900, 35 * 10**6 + 1), valid=False)
    apply(state, Deleverage(2, 0, 900, 35 * 10**6))
    assert margin.total_value(state.accounts[INS], TINY, state.prices, state.funding) == 0


# --- signed messages --------------------------------------------------------------------------
def test_message_hash_separates_kinds_and_domains():
    w = withdraw_op(genesis(), 1, 2, 3, 4)
    assert message_hash(w, TINY.domain) != message_hash(replace(w, amount=3), TINY.domain)


def test_penalty_and_bounds_constants():
    assert all(m.penalty_bps <= m.maintenance_bps < m.initial_bps < BPS for m in TINY.markets)
    assert GRID_MAX == 65535


# --- forced withdrawals (the L1 queue's escape hatch) ------------------------------------------
def forced_op(state, account, amount):
    from sequencer.spec import ForcedWithdraw
    return ForcedWithdraw(state.forced_index, account, amount)


@pytest.mark.parametrize("case", ["executed", "too_much", "unknown", "zero"])
def test_forced_withdrawal_is_never_refused(case):
    state = funded_state(2)
    op = {
        "executed": lambda: forced_op(state, 1, 10**7),
        "too_much": lambda: forced_op(state, 1, 10**8 + 1),
        "unknown": lambda: forced_op(state, 9, 10**7),  # registered on L1, not consumed yet
        "zero": lambda: forced_op(state, 1, 0),
    }[case]()
    before = state.accounts[1].collateral
    apply(state, op)
    # the queue advances either way; only a request the account can afford is executed
    paid = case == "executed"
    assert state.forced_index == 1 and state.forced == [(op.account, op.amount, int(paid))]
    assert state.accounts[1].collateral == before - (10**7 if paid else 0)
    assert state.withdrawals == []  # the contract pays executed requests from the message's flags


def test_forced_withdrawal_out_of_queue_order_refused():
    from sequencer.spec import ForcedWithdraw
    state = funded_state(1)
    out = apply(state, ForcedWithdraw(3, 1, 10), valid=False)
    assert out["reason"] == "forced request out of queue order"
