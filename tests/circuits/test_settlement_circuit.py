"""The batch circuit against the spec: completeness, differential refusals, soundness.

Completeness: every batch the spec applies (hand-written ones covering every op kind and
random ones through the batch builder) gives a witness that satisfies the circuit, with the
spec's one public input, the digest of its batch message (`BatchRecord.digest`). Refusals: for each reason the spec refuses an op, the spec is run
with that one check switched off (`forced_record`); the witness it yields, the natural one
for the refused op, must not satisfy the circuit; so must a record whose message entries or
flags differ from what the spec computes. Soundness: a wrong digest or header, sampled internal wires and sampled private inputs of enabled slots all break a constraint.
"""
from __future__ import annotations

import copy
import random
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

from circuits import registry  # noqa: E402
from circuits.dsl.compiled import ConstraintError, unsatisfied  # noqa: E402
from circuits.settlement.tree import top_levels  # noqa: E402
from circuits.settlement.witness import batch_inputs  # noqa: E402
from prover.field import R  # noqa: E402
from sequencer.spec import (TINY, Batch, Deposit, ForcedWithdraw, Funding, Liquidate, OpRefused, Register,  # noqa: E402
                            Touch, batch_digest, build_batch, process_batch)
from sequencer.spec import box as spec_box  # noqa: E402
from sequencer.spec.constants import COLLATERAL_MAX  # noqa: E402
from sequencer.spec.state import Account  # noqa: E402
from sequencer.spec import transition  # noqa: E402
from spec_helpers import (LOT_PRICE, deposit_op, funded_state, pinned, register_op, trade_op,  # noqa: E402
                          withdraw_op)

INS = TINY.insurance_account


@pytest.fixture(scope="module")
def cc():
    return registry.build("settlement", preset="tiny")


def solves(cc, record) -> list[int]:
    inputs = batch_inputs(record, TINY, cc)
    w = cc.witness(inputs)
    assert cc.public_signals(w) == [record.digest] == [batch_digest(record.public, TINY)]
    return w


def rejects(cc, record) -> None:
    with pytest.raises(ConstraintError):
        cc.witness(batch_inputs(record, TINY, cc))


def settled_state():
    """Accounts 1..3 funded; 1 long 900 BTC-T lots from 2, settled in batch 1 at ladder 1000."""
    state = funded_state(3)
    process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), (trade_op(state, 0, 900, LOT_PRICE, 1, 2),))))
    return state


@contextmanager
def ignoring(*reasons: str):
    """The spec with the requirements whose reasons start with `reasons` switched off."""
    real = transition.require

    def lenient(condition, why):
        if not condition and why.startswith(reasons):
            return
        real(condition, why)

    real_choose = transition.margin.choose_box

    def choose_or_keep(account, *args):  # an unboxable account keeps its old box
        return real_choose(account, *args) or account.box

    transition.require = lenient
    transition.margin.choose_box = choose_or_keep
    try:
        yield
    finally:
        transition.require = real
        transition.margin.choose_box = real_choose


def forced_record(state, batch, reason: str, *also: str):
    """The record the spec would write for `batch` if it did not check `reason` (nor the
    checks `also` that the forced op then trips); asserts that the real spec refuses the
    batch for `reason`."""
    if not reason.startswith(("batch prices outside", "account outside its box")):
        batch = pinned(state, batch)
    with pytest.raises(OpRefused) as info:
        process_batch(state, batch)
    assert info.value.reason.startswith(reason), info.value.reason
    with ignoring(reason, *also):
        return process_batch(state, batch)


# --- completeness -------------------------------------------------------------------------------
def test_quiet_batch_with_every_kind_of_entry(cc):
    state = funded_state(3)
    reg = register_op(state, 4)
    ops = (reg, deposit_op(state, 4, 500),
           Deposit(state.deposit_index + 1, 3, COLLATERAL_MAX),  # would overflow: bounced
           Funding(0, 5), withdraw_op(state, 3, 200, nonce=7),
           trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3),
           trade_op(state, 1, 7, 100_000, 2, 3, buyer_nonce=2, seller_nonce=1, fee=1))
    record = process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), ops)))
    pub = record.public
    assert pub.registrations == ((*reg.pubkey, reg.l1_address),) and reg.account == 4
    assert pub.deposits == ((4, 500, 0), (3, COLLATERAL_MAX, 1)) and pub.withdrawals == ((3, 200),)
    solves(cc, record)


def test_crash_batch_liquidates_touches_and_deleverages(cc):
    state = settled_state()
    pending = [trade_op(state, 1, 5, 100_000, 3, 2, buyer_nonce=1, seller_nonce=1),
               deposit_op(state, 3, 77)]
    built = build_batch(state, pending, (900, 1000), oracle_round=2)
    kinds = {type(op).__name__ for op in built.batch.ops}
    assert {"Liquidate", "Deleverage", "Trade", "Deposit"} <= kinds
    solves(cc, process_batch(state, built.batch))


def test_signed_liquidation_by_a_liquidator(cc):
    state = settled_state()
    op = Liquidate(1, 3, receiver_nonce=4, expiry=50)
    from spec_helpers import sign
    op = replace(op, signature=sign(op, 3))
    # the liquidator takes 900 lots: it needs margin for them
    record = process_batch(state, pinned(state, Batch(2, 2, (930, 1000), (deposit_op(state, 3, 10**8), op))))
    assert state.accounts[3].positions[0] == 900
    solves(cc, record)


@pytest.mark.parametrize("account,amount", [(3, 10**7), (3, 10**9), (3, 0), (9, 10**7)])
def test_forced_withdrawal_executed_exactly_when_the_spec_executes_it(cc, monkeypatch, account, amount):
    state = settled_state()
    op = ForcedWithdraw(0, account, amount)  # 9: registered on L1, its registration not consumed yet
    record = process_batch(state, Batch(2, 2, (1000, 1000), (op,)))
    executed = record.public.forced[0][2]
    assert executed == (account == 3 and amount == 10**7)
    solves(cc, record)
    # the spec with the flag flipped: the circuit computes it, the prover cannot choose it
    state = settled_state()
    if executed:  # skip an executable request
        monkeypatch.setattr(transition.margin, "initial_surplus", lambda *a: -1)
    else:  # pay one that must not be paid
        monkeypatch.setitem(transition.PROCESSORS, ForcedWithdraw, _pay_anyway)
    rejects(cc, process_batch(state, Batch(2, 2, (1000, 1000), (op,))))


def _pay_anyway(state, op):
    """process_forced_withdrawal without its checks (the box kept): flagged executed."""
    from sequencer.spec.transition import settle_funding

    if op.account in state.accounts:
        account = settle_funding(state.accounts[op.account], state.funding)
        state.write_account(op.account, replace(account, collateral=account.collateral - op.amount))
    else:
        state.read_account(op.account)
    state.forced.append((op.account, op.amount, 1))
    state.forced_index += 1


@pytest.mark.parametrize("amount", [5, COLLATERAL_MAX])
def test_bounced_flag_is_computed_not_chosen(cc, monkeypatch, amount):
    """A deposit credited when it should bounce, or bounced when it should be credited."""
    state = settled_state()
    op = deposit_op(state, 3, amount)
    record = process_batch(state, pinned(state, Batch(2, 2, (1000, 1000), (op,))))
    assert record.public.deposits[0][2] == (amount == COLLATERAL_MAX)
    solves(cc, record)

    def flipped(state, op):
        from sequencer.spec.transition import settle_funding
        account = settle_funding(state.accounts[op.account], state.funding)
        bounce = amount != COLLATERAL_MAX
        if bounce:
            state.read_account(op.account)
        else:  # credited although the collateral leaves its range
            state.write_account(op.account, replace(account, collateral=account.collateral + op.amount))
        state.deposits.append((op.account, op.amount, int(bounce)))
        state.deposit_index += 1

    state = settled_state()
    monkeypatch.setitem(transition.PROCESSORS, Deposit, flipped)
    rejects(cc, process_batch(state, pinned(state, Batch(2, 2, (1000, 1000), (op,)))))


def test_deposit_to_a_missing_leaf_bounces_and_a_credit_has_no_witness(cc, monkeypatch):
    """A deposit to an id registered on L1 whose registration is not consumed yet is bounced
    (the deposit queue never stalls behind the registration queue); crediting it to a new
    leaf instead has no witness."""
    state = settled_state()
    op = deposit_op(state, 9, 5)
    record = process_batch(state, Batch(2, 2, (1000, 1000), (op,)))
    assert record.public.deposits == ((9, 5, 1),) and 9 not in state.accounts
    solves(cc, record)
    state = settled_state()

    def credit_missing(state, op):  # a new leaf holding the deposit, as if it existed
        account = replace(Account.new((0, 0), 0, state.funding, state.leaf_salt(op.account, (0, 0))), collateral=op.amount)
        state.write_account(op.account, account)
        state.deposits.append((op.account, op.amount, 0))
        state.deposit_index += 1

    monkeypatch.setitem(transition.PROCESSORS, Deposit, credit_missing)
    rejects(cc, process_batch(state, Batch(2, 2, (1000, 1000), (op,))))


@pytest.mark.parametrize("wrong", ["id", "owner", "key"])
def test_registration_is_written_where_and_as_the_queue_says(cc, monkeypatch, wrong):
    """A registration written at another id, or a leaf whose owner or key differ from the
    queue entry the message carries."""
    state = settled_state()
    op = register_op(state, 4)
    solves(cc, process_batch(state, Batch(2, 2, (1000, 1000), (op,))))

    def misplaced(state, op):
        index = op.account + (1 if wrong == "id" else 0)
        owner = op.l1_address + (1 if wrong == "owner" else 0)
        key = (op.pubkey[0], op.pubkey[1] + 1) if wrong == "key" else op.pubkey
        state.write_account(index, Account.new(key, owner, state.funding, state.leaf_salt(index, key)))
        state.registration_index += 1
        state.registrations.append((op.pubkey[0], op.pubkey[1], op.l1_address))

    state = settled_state()
    monkeypatch.setitem(transition.PROCESSORS, Register, misplaced)
    rejects(cc, process_batch(state, Batch(2, 2, (1000, 1000), (op,))))


def test_message_entries_other_than_the_slots_have_no_witness(cc):
    """The record's message with one entry or flag changed (a withdrawal of another amount
    or account, a flipped flag, another queue range): its digest has no witness."""
    state = settled_state()
    ops = (register_op(state, 4), deposit_op(state, 3, 5), ForcedWithdraw(0, 3, 10**7),
           withdraw_op(state, 3, 200, nonce=7))
    record = process_batch(state, pinned(state, Batch(2, 2, (1000, 1000), ops)))
    solves(cc, record)
    pub = record.public
    (pk_x, pk_y, owner), = pub.registrations
    for changed in (replace(pub, withdrawals=((3, 201),)), replace(pub, withdrawals=((2, 200),)),
                    replace(pub, deposits=((3, 5, 1),)), replace(pub, forced=((3, 10**7, 0),)),
                    replace(pub, registrations=((pk_x, pk_y, owner + 1),)),
                    replace(pub, new_root=pub.new_root + 1), replace(pub, oracle_round=pub.oracle_round + 1)):
        rejects(cc, replace(record, public=changed))


def test_touch_after_prices_leave_the_box(cc):
    state = settled_state()
    lo = state.accounts[1].box[0][0]
    record = process_batch(state, pinned(state, Batch(2, 2, (lo - 1, 1000), (Touch(1),))))
    solves(cc, record)


def _tampered(inputs: dict, name: str, index: tuple, value) -> dict:
    out = copy.deepcopy(inputs)
    if not index:
        out[name] = value % R
        return out
    target = out[name]
    for i in index[:-1]:
        target = target[i]
    target[index[-1]] = value % R
    return out


def _at(inputs: dict, name: str, index: tuple):
    v = inputs[name]
    for i in index:
        v = v[i]
    return v


def _each_tamper_rejected(cc, inputs: dict, tampers: list) -> None:
    cc.witness(inputs)
    for name, index, value in tampers:
        assert _at(inputs, name.rsplit(".", 2)[0] + ".enabled", ()) == 1
        old = _at(inputs, name, index)
        if value is None or value == old:
            value = old + 1
        with pytest.raises(ConstraintError):
            cc.witness(_tampered(inputs, name, index, value))


def test_a_wrong_box_opening_is_rejected(cc):
    """The batch circuit opens each box commitment on the path of a write (`tree.leaf_write`):
    a sibling's box widened to the full range (the substitution `spec.tree` explains), or
    any other box, blind or box commitment of the witness that is not the committed one,
    no longer recomputes the old root. Box-changing writes (a touch), writes that keep
    the box (a trade's buyer) and a registration (new blinds up the path)."""
    full = spec_box.pack(spec_box.FULL_MARKET)
    d, m = TINY.depth, TINY.num_markets
    state = settled_state()
    lo = state.accounts[1].box[0][0]
    touch = batch_inputs(process_batch(state, pinned(state, Batch(2, 2, (lo - 1, 1000), (Touch(1),)))), TINY, cc)
    tampers = []
    for k in range(d):  # a touch: every level's sibling boxes, own old boxes and blinds
        tampers += [("touch[0].account.sib_box", (k, 0, j), full) for j in range(m)]
        tampers += [("touch[0].account.node_box", (k, j), None) for j in range(m)]
        tampers += [("touch[0].account.blind", (k,), None)]
    _each_tamper_rejected(cc, touch, tampers)
    state = settled_state()
    ops = (trade_op(state, 0, 5, LOT_PRICE, 2, 1, buyer_nonce=1, seller_nonce=1), register_op(state, 4))
    other = batch_inputs(process_batch(state, pinned(state, Batch(2, 2, (1000, 1000), ops))), TINY, cc)
    # a write keeping the box: level 0's boxes and level 1's blind, the commitments above
    tampers = [("trade[0].buyer.sib_box", (0, 0, j), full) for j in range(m)]
    tampers += [("trade[0].buyer.blind", (0,), None)]
    tampers += [("trade[0].buyer.box_commit", (k,), None) for k in range(d - 1 - top_levels(TINY))]
    # a registration: the siblings' boxes and blinds of every level
    tampers += [("register[0].account.sib_box", (k, 0, 0), None) for k in range(d)]
    tampers += [("register[0].account.sib_blind", (k, 0), None) for k in range(d)]
    _each_tamper_rejected(cc, other, tampers)


# --- refusals: no witness for what the spec refuses ---------------------------------------------
def _refusal_cases():
    def bad_signature(state):
        return Batch(2, 2, (1000, 1000), (trade_op(state, 1, 5, 100_000, 3, 2, buyer_nonce=1,
                                                   seller_nonce=1, signers=(3, 1)),))

    def expired(state):
        return Batch(2, 2, (1000, 1000), (withdraw_op(state, 3, 10, nonce=3, expiry=1),))

    def insufficient_margin_withdrawal(state):  # account 1 ends between MR and IR
        return Batch(2, 2, (1000, 1000), (withdraw_op(state, 1, 2 * 10**7, nonce=3),))

    def insufficient_margin_trade(state):  # the buyer ends between MR and IR
        return Batch(2, 2, (1000, 1000), (trade_op(state, 0, 1500, LOT_PRICE, 3, 1, buyer_nonce=1,
                                                   seller_nonce=1),))

    def healthy_liquidation(state):
        return Batch(2, 2, (1000, 1000), (Liquidate(3, INS),))

    def outside_root_box(state):
        return Batch(2, 2, (state.accounts[1].box[0][0] - 1, 1000), ())

    def touch_below_maintenance(state):
        return Batch(2, 2, (900, 1000), (Touch(1),))

    def amount_out_of_range(state):
        return Batch(2, 2, (1000, 1000), (deposit_op(state, 3, 1 << 63),))

    def unboxed_trade(state):  # account 3 still has the full box of a new account
        return Batch(2, 2, (1000, 1000), (trade_op(state, 1, 5, 100_000, 3, 2, buyer_nonce=1, seller_nonce=1),))

    def funding_step_too_large(state):
        return Batch(2, 2, (1000, 1000), (Funding(1, TINY.markets[1].max_funding_delta + 1),))

    return {
        "bad signature": bad_signature,
        "expired": expired,
        "insufficient margin": insufficient_margin_withdrawal,
        "insufficient margin (buyer)": insufficient_margin_trade,
        "account is above maintenance margin": healthy_liquidation,
        "batch prices outside the root's box": outside_root_box,
        "account below maintenance margin": touch_below_maintenance,
        "field out of range": amount_out_of_range,
        "funding step too large": funding_step_too_large,
        "account outside its box": unboxed_trade,
    }


@pytest.mark.parametrize("reason", list(_refusal_cases()))
def test_refused_op_has_no_witness(cc, reason):
    state = settled_state()
    batch = _refusal_cases()[reason](state)
    also = ("batch prices outside the root's box",) if reason == "account below maintenance margin" else ()
    rejects(cc, forced_record(state, batch, reason, *also))


def test_replayed_trade_has_no_witness(cc, monkeypatch):
    state = settled_state()
    trade = trade_op(state, 1, 5, 100_000, 3, 2, buyer_nonce=1, seller_nonce=1)
    process_batch(state, pinned(state, Batch(2, 2, (1000, 1000), (trade,))))
    replay = Batch(3, 3, (1000, 1000), (trade,))
    with pytest.raises(OpRefused, match="nonce already used"):
        process_batch(state, replay)
    # the spec without replay protection: the nonce is accepted and changes nothing
    monkeypatch.setattr(transition, "use_nonce", lambda hi, bitmap, n: (hi, bitmap))
    rejects(cc, process_batch(state, replay))


# --- the trade slot makes each of its checks once: still every one of them ------------------------
def test_trade_with_a_nonce_or_expiry_out_of_range_has_no_witness(cc, monkeypatch):
    """The nonces are range checked by the nonce window, the expiry by the expiry check (the
    trade's own field checks leave them out): a signed trade with a 65-bit nonce or a 33-bit
    expiry, written by a spec without those checks, has no witness."""
    monkeypatch.setattr(transition, "use_nonce", lambda hi, bitmap, n: (n, 1) if n > hi else (hi, bitmap | 1))
    for fields in ({"buyer_nonce": 1 << 64}, {"seller_nonce": (1 << 64) + 3}, {"expiry": (1 << 32) + 5}):
        state = settled_state()
        args = dict(buyer_nonce=1, seller_nonce=1) | fields
        batch = Batch(2, 2, (1000, 1000), (trade_op(state, 1, 5, 100_000, 2, 1, **args),))
        rejects(cc, forced_record(state, batch, "field out of range"))


def test_reducing_trade_below_maintenance_has_no_witness(cc):
    """A trade that reduces a side's risk but leaves it below maintenance margin (account 1
    sells most of its long for nothing) is refused by the spec's margin check; the circuit's
    trade slot leaves TV >= MR to the write's box check (TV >= MR at the worst corner of the
    box) and the batch's root-box check (the batch prices lie in every box): the record
    written without the margin and box checks has no witness."""
    state = settled_state()
    batch = Batch(2, 2, (1000, 1000), (trade_op(state, 0, 800, 0, 2, 1, buyer_nonce=1, seller_nonce=1),))
    rejects(cc, forced_record(state, batch, "insufficient margin (seller)", transition.BOX_REASON))


def test_wrong_digest_or_header_has_no_witness(cc):
    state = settled_state()
    record = process_batch(state, pinned(state, Batch(2, 2, (1001, 999), (deposit_op(state, 2, 5),))))
    good = batch_inputs(record, TINY, cc)
    cc.witness(good)
    for name, index in [("digest", None), ("prices", 0), ("prices", 1), ("batch_number", None),
                        ("oracle_round", None), ("registration_from", None), ("deposit_from", None),
                        ("forced_from", None), ("top.hash", 0), ("top.hash", 1), ("top.commit", 0),
                        ("old.oracle_round", None),
                        ("old.prices", 0), ("old.funding", 1)]:
        bad = dict(good)
        if index is None:
            bad[name] = (int(bad[name]) + 1) % R
        else:
            bad[name] = list(bad[name])
            bad[name][index] = (int(bad[name][index]) + 1) % R
        with pytest.raises(ConstraintError):
            cc.witness(bad)


# --- random batches through the builder -------------------------------------------------------------
# reasons for which `forced_record` can build the refused op's witness (the spec with that
# one check off computes a post-state); the others stop before one exists
FORCEABLE = ("bad signature", "expired", "insufficient margin", "account outside its box")


def random_pending(state, rng, n: int) -> list:
    """Trades, withdrawals (some too large, some expired, some signed by the wrong key)."""
    pending = []
    for k in range(3):
        buyer, seller = rng.sample(range(1, 5), 2)
        signers = rng.choice([None, None, None, (seller, buyer)])
        pending.append(trade_op(state, rng.randrange(2), rng.randint(1, 400),
                                rng.choice([500_000, 1_000_000, 100_000]), buyer, seller,
                                buyer_nonce=10 * n + k, seller_nonce=10 * n + k, fee=rng.randrange(100),
                                signers=signers))
    pending.append(withdraw_op(state, rng.randint(1, 4), rng.choice([10**5, 10**7, 10**8]), nonce=100 + n,
                               expiry=rng.choice([100, n - 1])))
    return pending


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), crash=st.integers(850, 1050))
def test_random_batches_prove_what_the_spec_applies_and_nothing_it_refuses(cc, seed, crash):
    """Random ops through the builder: the batch it cuts proves; each op it refused for a
    forceable reason, forced through alone, has no witness."""
    rng = random.Random(seed)
    state = funded_state(4, amount=10**8)
    for n, g in enumerate((1000, crash), start=1):
        try:
            built = build_batch(state, random_pending(state, rng, n), (g, 1000), oracle_round=n)
        except OpRefused:  # no valid batch at these prices within the slots
            continue
        forceable = [(op, r) for op, r in built.refused if r.startswith(FORCEABLE)]
        for op, reason in forceable[:2]:
            scratch = copy.deepcopy(state)  # the forced run settles a batch: not on the real state
            try:
                record = forced_record(scratch, Batch(n, n, (g, 1000), (op,)), reason)
            except (OpRefused, AssertionError, pytest.fail.Exception):
                continue  # alone the op is refused for another reason first
            rejects(cc, record)
        solves(cc, process_batch(state, built.batch))


# --- single-value tampering ----------------------------------------------------------------------------
def test_tampered_wires_break_a_constraint(cc):
    """Sampled internal wires, each changed alone, break a constraint (the full check of
    `assert_tamper_breaks` runs on the gadgets; here 400 of ~260k wires)."""
    state = funded_state(3)
    ops = (trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3),)
    witness = solves(cc, process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), ops))))
    r1cs = cc.r1cs
    inc = {}
    for i, (a, b, c) in enumerate(r1cs.constraints):
        for wire in set(a) | set(b) | set(c):
            inc.setdefault(wire, []).append(i)
    first_internal = 1 + r1cs.n_pub_out + r1cs.n_pub_in + r1cs.n_prv_in
    rng = random.Random(7)
    for wire in rng.sample(range(first_internal, r1cs.n_wires), 400):
        w = list(witness)
        w[wire] = (w[wire] + 1) % R
        assert unsatisfied(r1cs, w, inc.get(wire, [])), cc.wire_name(wire)


def test_tampered_private_inputs_of_a_trade_fail(cc):
    """Re-solving with one private input of the enabled trade slot changed fails."""
    state = funded_state(3)
    ops = (trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1, fee=3),)
    record = process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), ops)))
    good = batch_inputs(record, TINY, cc)
    names = [k for k in good if k.startswith("trade[0].") and not k.endswith(".enabled")]
    rng = random.Random(11)
    for name in names:
        bad = dict(good)
        bad[name] = bump(good[name], rng)
        with pytest.raises(ConstraintError):
            cc.witness(bad)


def bump(value, rng):
    """A copy of `value` (a number or nested lists) with one random entry + 1."""
    if not isinstance(value, list):
        return (int(value) + 1) % R
    out = list(value)
    i = rng.randrange(len(out))
    out[i] = bump(out[i], rng)
    return out


# --- the CLI, as a user exports and solves the batch circuit -------------------------------------------
def test_cli_exports_and_solves_the_settlement_circuit(cc, tmp_path, capsys):
    import json

    from prover.formats.r1cs import read_r1cs
    from prover.formats.wtns import read_wtns
    from sequencer.cli import main

    assert main(["circuit", "export", "settlement", "--param", "preset=tiny", "--r1cs", str(tmp_path / "s.r1cs")]) == 0
    assert read_r1cs(tmp_path / "s.r1cs").n_constraints == cc.n_constraints
    state = funded_state(3)
    record = process_batch(state, pinned(state, Batch(1, 1, (1000, 1000), (
        trade_op(state, 0, 5, LOT_PRICE, 1, 2, buyer_nonce=1, seller_nonce=1),))))
    (tmp_path / "in.json").write_text(json.dumps(batch_inputs(record, TINY, cc), default=str))
    assert main(["circuit", "witness", "settlement", "--param", "preset=tiny", "--input", str(tmp_path / "in.json"),
                 "--wtns", str(tmp_path / "s.wtns"), "--public", str(tmp_path / "pub.json")]) == 0
    assert read_wtns(tmp_path / "s.wtns")[0] == 1
    assert [int(x) for x in json.loads((tmp_path / "pub.json").read_text())] == [record.digest]
    capsys.readouterr()
    assert main(["circuit", "export", "settlement", "--param", "preset=huge", "--r1cs", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "no preset named 'huge'" in err and len(err.strip().splitlines()) == 1
