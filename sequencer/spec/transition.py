"""The state transition: `process_batch(state, batch)` and one `process_<op>(state, op)` per op.

Each `process_<op>` is a list of commented requirements, then the mutation. A failed
requirement raises `OpRefused(reason)` before anything is written: the new leaves are
computed on an overlay (`_Writes`) and written together at the end. A batch is atomic too:
`process_batch` journals its writes and rolls the state back if any op is refused.

Rules every leaf write obeys (`_Writes.commit`), which the circuit checks per write:
- collateral and positions stay inside their bit bounds;
- a write keeps the leaf's box, and the account must be solvent at the box's worst corner
  (margin.box_surplus >= 0), else the op is refused ("account outside its box: touch it
  first"). Boxes change only in a touch (the sequencer's box, or `margin.choose_box`), a
  liquidated account (flat, the full box) and the fund's closing write. Keeping boxes is
  what makes the common write cheap in the circuit: no node box changes, so a path update
  is two node hashes per level with no box intersections. The sequencer's builder touches
  an account before the ops that would leave its box, with a box that holds them all
  (`build_batch`). Writes of the insurance fund are exempt: the fund may dip below
  maintenance inside a batch (bad debt, liquidations it takes over), and the batch closes
  with `process_insurance_settle`, a checked re-box of the fund;
- funding is settled first: C -= sum_j q_j (F_j - f_j), f_j = F_j (every written account).
At the end of the batch the prices and funding indices must lie in the root's box
(margin.py explains why this proves every account above maintenance margin).

Options presets (K > 0, options.py): a batch carries the committee's option figures
(`Batch.options`); accounts are measured by `cross_margin` (the grid margin where they hold
options), a write first closes the account's positions in settled series into collateral,
re-boxes take a (perpetual box, OptionBox) pair whose rows the round publishes, option trades
(`process_option_trade`) come after the deleverages, liquidations move options at their
marks, and the batch's vols, time and settlement prices must lie in the root boxes.

Conservation: sum over accounts of (C + sum_j q_j f_j) changes only by deposits credited
minus withdrawals and executed forced withdrawals paid (fees, penalties, bad debt and haircuts move between accounts;
sum_j q_j = 0 per market since every position change is two-sided).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

from . import box as boxes
from . import box_policy, margin
from . import cross_margin as xm
from . import options as opt
from .constants import (BPS, COLLATERAL_MAX, COLLATERAL_MIN, FIELD_MODULUS, FUNDING_MAX, FUNDING_MIN, GRID_MAX,
                        POSITION_MAX, POSITION_MIN, ROUND_BITS)
from .ops import (KIND_RANK, SLOT_NAMES, Deleverage, Deposit, ForcedWithdraw, Funding, Liquidate, OptionTrade,
                  Register, Touch, Trade, Withdraw,
                  fields_in_range, use_nonce)
from .da import batch_commitment
from .public import BatchPublic
from .state import Account, State
from .verified import signature_valid
from .witness import RECORDED_TOP_LEVELS, BatchRecord, OpWitness

SLOT_REASON = "no free slot in this batch"  # not a refusal: the op waits for a later batch
BOX_REASON = "account outside its box: touch it first"


class OpRefused(Exception):
    """An op (or a batch) is invalid; the state is unchanged."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise OpRefused(reason)


@dataclass(frozen=True)
class Batch:
    """A batch as the sequencer cuts it: header and ops, in order."""

    number: int
    oracle_round: int
    prices: tuple[int, ...]  # ladder indices, one per market
    ops: tuple = ()
    options: Optional[opt.OptionFigures] = None  # the committee's option figures (options presets only)


# --- helpers -----------------------------------------------------------------------------------
def settle_funding(account: Account, funding: Sequence[int]) -> Account:
    """Realise unsettled funding into collateral: C -= sum q_j (F_j - f_j); f_j = F_j."""
    paid = sum(q * (big_f - f) for q, f, big_f in zip(account.positions, account.snapshots, funding))
    return replace(account, collateral=account.collateral - paid, snapshots=tuple(funding))


def reduces_risk(old_q: int, new_q: int) -> bool:
    """The position moved toward zero without crossing it (so MR did not grow)."""
    return abs(new_q) <= abs(old_q) and new_q * old_q >= 0


def margin_allows(state: State, old: Account, new: Account) -> bool:
    """A trade-like change is allowed if it leaves TV >= IR, or reduces risk in every market
    and leaves TV >= MR."""
    if xm.initial_surplus(state, new) >= 0:
        return True
    return all(reduces_risk(a, b) for a, b in zip(old.positions, new.positions)) \
        and opt.reduces_option_risk(old, new) and xm.maintenance_surplus(state, new) >= 0


def check_signature(state: State, op, signature, pubkey) -> None:
    # the op carries a signature, by the account's key, over the op's message hash
    require(signature is not None, "missing signature")
    try:
        valid = signature_valid(op, state.preset.domain, signature, tuple(pubkey))  # memoized (verified.py)
    except Exception:  # malformed signature data is a bad signature, not a crash
        valid = False
    require(valid, "bad signature")


def check_expiry(state: State, expiry: int) -> None:
    # the op is still valid in this batch
    require(state.batch_number <= expiry, "expired")


def consume_nonce(account: Account, nonce: int) -> Account:
    # the nonce is fresh: above the window, or inside it and unused (ops.py)
    used = use_nonce(account.nonce_hi, account.nonce_bitmap, nonce)
    require(used is not None, "nonce already used or too old")
    return replace(account, nonce_hi=used[0], nonce_bitmap=used[1])


class _Writes:
    """The leaves an op will write, computed before any of them is written."""

    def __init__(self, state: State):
        self.state = state
        self.new: dict[int, Account] = {}

    def get(self, index: int) -> Account:
        if index in self.new:
            return self.new[index]
        account = self.state.accounts.get(index)
        require(account is not None, "unknown account")
        return account

    def put(self, index: int, account: Account) -> None:
        self.new[index] = account

    def commit(self, rebox: Optional[dict] = None) -> None:
        """Check the per-write rules, then write every new leaf.

        A write keeps the leaf's box, and the account must be solvent everywhere in it
        (the fund's writes inside an op are exempt: the closing write re-boxes and checks
        it). Only the leaves in `rebox` (index -> chosen box, or None for
        `margin.choose_box`) get a new box, which must be well formed and safe."""
        state, p = self.state, self.state.preset
        final = {}
        for index, account in self.new.items():
            if state.options is not None:  # options presets: settled series close into collateral
                account = opt.close_settled(account, p, state.options)
            # collateral and positions within their bounds
            require(COLLATERAL_MIN <= account.collateral <= COLLATERAL_MAX, "collateral out of range")
            require(all(POSITION_MIN <= q <= POSITION_MAX for q in account.positions), "position out of range")
            if rebox is not None and index in rebox and state.options is not None:
                chosen = rebox[index]
                if chosen is None:
                    chosen = xm.choose_box(state, account)
                    require(chosen is not None, "account below maintenance margin")
                account = xm.rebox_checks(state, account, chosen)
            elif rebox is not None and index in rebox:
                chosen = rebox[index]
                if chosen is None:
                    chosen = margin.choose_box(account, p, state.prices, state.funding)
                    # the account is solvent at the batch prices (else it must be liquidated)
                    require(chosen is not None, "account below maintenance margin")
                # the chosen box is well formed and the account is solvent everywhere in it
                require(len(chosen) == p.num_markets and all(boxes.is_valid_market_box(b) for b in chosen),
                        "malformed box")
                require(margin.box_surplus(account, p, chosen) >= 0, "account not solvent in the chosen box")
                account = replace(account, box=tuple(tuple(b) for b in chosen))
            elif index != p.insurance_account:
                if state.observed is not None:  # the batch builder's first pass: note, do not refuse
                    state.observed.setdefault(index, []).append(account)
                else:
                    # the account is solvent everywhere in its box
                    surplus = xm.box_surplus(state, account)
                    require(surplus is not None and surplus >= 0, BOX_REASON)
            final[index] = account
        for index, account in final.items():
            state.write_account(index, account)


# --- the ops -----------------------------------------------------------------------------------
def process_register(state: State, op: Register) -> None:
    # the fields fit their widths and the key is a pair of field elements (the L1 contract
    # enforces both)
    require(fields_in_range(op) and all(isinstance(x, int) and 0 <= x < FIELD_MODULUS for x in op.pubkey),
            "field out of range")
    # registrations are consumed in queue order; the id is the one the contract assigned
    require(op.index == state.registration_index, "registration out of queue order")
    # never refused otherwise: the contract refuses registrations past the tree's capacity,
    # and an id is assigned once, so the leaf is free
    assert op.account < state.preset.capacity, "state tree is full (the contract refuses this registration)"
    assert op.account not in state.accounts, "the registration's leaf is taken"

    w = _Writes(state)
    salt = state.leaf_salt(op.account, op.pubkey)  # Poseidon(ECDH(sequencer, owner).x, id): spec.da
    w.put(op.account, Account.new(op.pubkey, op.l1_address, state.funding, salt, state.preset.option_slots))
    w.commit()
    state.registration_index += 1
    state.registrations.append((op.pubkey[0], op.pubkey[1], op.l1_address))


def process_deposit(state: State, op: Deposit) -> None:
    # the fields fit their widths (the L1 contract enforces them)
    require(fields_in_range(op), "field out of range")
    # deposits are consumed in queue order
    require(op.index == state.deposit_index, "deposit out of queue order")
    # the id is in the tree (the contract queues deposits only for ids registered on L1)
    require(op.account < state.preset.capacity, "field out of range")
    # A deposit is never refused, so the deposit queue always advances (the contract's cap
    # argument needs every batch to be able to consume min(slots, pending) entries). It is
    # bounced (consumed, not credited; the contract pays it back to the account's L1 owner)
    # when the account's leaf is still empty (its L1 registration not consumed yet: the
    # builder waits for it while the deadline allows, `build_batch(bounce_unregistered=...)`)
    # or when the collateral would leave its range.
    account = state.accounts.get(op.account)
    if account is not None:
        account = settle_funding(account, state.funding)
    bounced = account is None or not COLLATERAL_MIN <= account.collateral + op.amount <= COLLATERAL_MAX
    if bounced:
        state.read_account(op.account)
    else:
        w = _Writes(state)
        w.put(op.account, replace(account, collateral=account.collateral + op.amount))
        # settling funding leaves TV unchanged as a function of (g, F) and the deposit raises
        # it, so the box stays safe
        w.commit()
    state.deposits.append((op.account, op.amount, int(bounced)))
    state.deposit_index += 1


def process_forced_withdrawal(state: State, op: ForcedWithdraw) -> None:
    p = state.preset
    # the fields fit their widths and the id is in the tree (the L1 contract enforces them:
    # only the owner of an L1-registered account may request)
    require(fields_in_range(op) and op.account < p.capacity, "field out of range")
    # requests are consumed in queue order
    require(op.index == state.forced_index, "forced request out of queue order")

    account = state.accounts.get(op.account)
    new = None
    if account is not None and op.amount > 0:
        settled = settle_funding(account, state.funding)
        after = replace(settled, collateral=settled.collateral - op.amount)
        # executed when the account keeps TV >= IR (and its collateral in range)
        if COLLATERAL_MIN <= after.collateral and xm.initial_surplus(state, after) >= 0:
            new = after
    if new is not None:
        w = _Writes(state)
        w.put(op.account, new)
        w.commit(rebox={op.account: op.box})
    else:
        # consumed with no effect (an empty leaf: a registration not consumed yet): the
        # circuit proves why
        state.read_account(op.account)
    state.forced.append((op.account, op.amount, int(new is not None)))
    state.forced_index += 1


def process_withdrawal(state: State, op: Withdraw) -> None:
    # the fields fit their widths, the amount is positive
    require(fields_in_range(op) and op.amount > 0, "field out of range")
    w = _Writes(state)
    account = w.get(op.account)
    # signed by the owner, not expired, fresh nonce
    check_signature(state, op, op.signature, account.pubkey)
    check_expiry(state, op.expiry)
    account = consume_nonce(settle_funding(account, state.funding), op.nonce)
    new = replace(account, collateral=account.collateral - op.amount)
    # the account keeps TV >= IR at the batch prices
    require(xm.initial_surplus(state, new) >= 0, "insufficient margin")

    w.put(op.account, new)
    w.commit()
    state.withdrawals.append((op.account, op.amount))


def _cosigned_parties(state: State, op) -> tuple["_Writes", Account, Account]:
    """The checks every co-signed trade (Trade, OptionTrade) makes after its own fields, in
    this order: a positive size, two different accounts, not the fund; both sign the same
    message; not expired; both nonces fresh. The writes and both parties with the funding
    settled and the nonces consumed."""
    require(op.size > 0, "size must be positive")
    require(op.buyer != op.seller, "buyer and seller are the same account")
    require(state.preset.insurance_account not in (op.buyer, op.seller), "the insurance fund does not trade")
    w = _Writes(state)
    buyer, seller = w.get(op.buyer), w.get(op.seller)
    check_signature(state, op, op.buyer_signature, buyer.pubkey)
    check_signature(state, op, op.seller_signature, seller.pubkey)
    check_expiry(state, op.expiry)
    buyer = consume_nonce(settle_funding(buyer, state.funding), op.buyer_nonce)
    seller = consume_nonce(settle_funding(seller, state.funding), op.seller_nonce)
    return w, buyer, seller


def process_trade(state: State, op: Trade) -> None:
    p = state.preset
    # the fields fit their widths; a real market, a positive size, two different accounts
    require(fields_in_range(op), "field out of range")
    require(op.market < p.num_markets, "unknown market")
    w, buyer, seller = _cosigned_parties(state, op)

    cost = op.size * op.price
    new_buyer = replace(buyer.with_position(op.market, buyer.positions[op.market] + op.size),
                        collateral=buyer.collateral - cost - op.fee)
    new_seller = replace(seller.with_position(op.market, seller.positions[op.market] - op.size),
                         collateral=seller.collateral + cost - op.fee)
    # each side ends with TV >= IR, or reduced risk and TV >= MR
    require(margin_allows(state, buyer, new_buyer), "insufficient margin (buyer)")
    require(margin_allows(state, seller, new_seller), "insufficient margin (seller)")

    w.put(op.buyer, new_buyer)
    w.put(op.seller, new_seller)
    w.commit()
    # the fees go to the insurance fund when the batch closes (one write for all trades)
    state.fees += 2 * op.fee


def process_funding(state: State, op: Funding) -> None:
    p = state.preset
    # a real market; the step is bounded; the index stays in range
    require(fields_in_range(op), "field out of range")
    require(op.market < p.num_markets, "unknown market")
    require(abs(op.delta) <= p.markets[op.market].max_funding_delta, "funding step too large")
    new_index = state.funding[op.market] + op.delta
    require(FUNDING_MIN <= new_index <= FUNDING_MAX, "funding index out of range")

    funding = list(state.funding)
    funding[op.market] = new_index
    state.funding = tuple(funding)


def process_touch(state: State, op: Touch) -> None:
    # a registered account, solvent at the batch prices (else it must be liquidated)
    require(fields_in_range(op), "field out of range")
    w = _Writes(state)
    account = settle_funding(w.get(op.account), state.funding)
    require(xm.maintenance_surplus(state, account) >= 0, "account below maintenance margin")
    if op.assign:  # options presets: reserve slots for series (no position yet)
        account = opt.assign_slots(account, state.preset, state.options, op.assign)

    w.put(op.account, account)
    w.commit(rebox={op.account: op.box})


def process_insurance_settle(state: State) -> None:
    """The closing op of every batch: credit the batch's trade fees to the insurance fund
    and re-box it; it must be above maintenance (deleverage first otherwise)."""
    p = state.preset
    fund = settle_funding(state.accounts[p.insurance_account], state.funding)
    fund = replace(fund, collateral=fund.collateral + state.fees)
    # collateral within its bounds
    require(COLLATERAL_MIN <= fund.collateral <= COLLATERAL_MAX, "collateral out of range")
    if state.options is not None:  # options presets: close settled series, a box with rows
        fund = opt.close_settled(fund, p, state.options)
        chosen = xm.choose_box(state, fund)
        require(chosen is not None, "insurance fund below maintenance margin")
        fund = xm.rebox_checks(state, fund, chosen)
        state.write_account(p.insurance_account, fund)
        state.fees = 0
        return
    chosen = margin.choose_box(fund, p, state.prices, state.funding)
    # the insurance fund is solvent at the batch prices
    require(chosen is not None, "insurance fund below maintenance margin")

    state.write_account(p.insurance_account, replace(fund, box=chosen))
    state.fees = 0


def liquidation_penalty(state: State, account: Account) -> int:
    """min(max(TV, 0), sum_j |q_j| p_j penalty_j / BPS) (floor division: the circuit takes
    quotient and remainder as witness and checks x = BPS*quot + rem, 0 <= rem < BPS)."""
    p = state.preset
    tv = xm.total_value(state, account)
    scaled = sum(abs(q) * mk.mark_price(g) * mk.penalty_bps
                 for mk, q, g in zip(p.markets, account.positions, state.prices))
    if state.options is not None:  # options: the penalty rate on the options' marks
        scaled += opt.option_penalty_scaled(account, p, state.options)
    return min(max(tv, 0), scaled // BPS)


def process_liquidation(state: State, op: Liquidate) -> None:
    p = state.preset
    ins = p.insurance_account
    # fields fit; the target is a registered account other than the fund; a distinct receiver
    require(fields_in_range(op), "field out of range")
    require(op.account != ins, "the insurance fund is deleveraged, not liquidated")
    require(op.receiver != op.account, "an account cannot take over its own positions")
    w = _Writes(state)
    target = settle_funding(w.get(op.account), state.funding)
    receiver = settle_funding(w.get(op.receiver), state.funding)
    if state.options is not None:  # settled series close into collateral first
        target, receiver = (opt.close_settled(a, p, state.options) for a in (target, receiver))
    # only an account below maintenance margin at the batch prices can be liquidated
    require(xm.maintenance_surplus(state, target) < 0,
            "account is above maintenance margin")
    if op.receiver == ins:
        # the fund takes over unsigned: no nonce, no expiry
        require(op.receiver_nonce == 0 and op.expiry == 0, "a take-over by the fund has no nonce or expiry")
    else:
        # a liquidator signs its take-over, with its own nonce and expiry
        check_signature(state, op, op.signature, receiver.pubkey)
        check_expiry(state, op.expiry)
        receiver = consume_nonce(receiver, op.receiver_nonce)

    penalty = liquidation_penalty(state, target)
    old_receiver = receiver
    t_c, r_c, r_q = target.collateral, receiver.collateral, list(receiver.positions)
    for j, (mk, q, g) in enumerate(zip(p.markets, target.positions, state.prices)):
        # the position moves to the receiver at the mark price
        t_c += q * mk.mark_price(g)
        r_c -= q * mk.mark_price(g)
        r_q[j] += q
    new_receiver = replace(receiver, positions=tuple(r_q))
    if state.options is not None:  # options move to the receiver at their marks
        target, new_receiver, moved = opt.move_options(target, new_receiver, p, state.options)
        require(target is not None, "receiver has no free option slot")
        t_c, r_c = t_c + moved, r_c - moved
    t_c, r_c = t_c - penalty, r_c + penalty
    new_receiver = replace(new_receiver, collateral=r_c)
    if op.receiver != ins:
        # the liquidator ends with TV >= IR, or reduced risk and TV >= MR
        require(margin_allows(state, old_receiver, new_receiver), "insufficient margin (liquidator)")
    # bad debt (t_c < 0): the insurance fund covers it
    bad_debt = min(t_c, 0)
    w.put(op.account, replace(target, collateral=t_c - bad_debt, positions=(0,) * p.num_markets))
    w.put(op.receiver, new_receiver)
    fund = settle_funding(w.get(ins), state.funding)
    w.put(ins, replace(fund, collateral=fund.collateral + bad_debt))
    # the target ends flat with C >= 0: safe at every price, it gets the full box
    full = boxes.full(p.num_markets)
    w.commit(rebox={op.account: full if state.options is None
                    else (full, opt.OptionBox.full(p.num_markets, p.option_slots))})


def process_deleverage(state: State, op: Deleverage) -> None:
    p = state.preset
    ins = p.insurance_account
    # fields fit; a real market; a counterparty other than the fund; something to do
    require(fields_in_range(op), "field out of range")
    require(op.market < p.num_markets, "unknown market")
    require(op.account != ins, "the counterparty must not be the insurance fund")
    require(op.size > 0 or op.haircut > 0, "empty deleverage")
    w = _Writes(state)
    fund = settle_funding(w.get(ins), state.funding)
    cp = settle_funding(w.get(op.account), state.funding)
    # the insurance fund is in shortfall: TV < MR at the batch prices
    require(xm.maintenance_surplus(state, fund) < 0, "insurance fund is not in shortfall")
    q_fund, q_cp = fund.positions[op.market], cp.positions[op.market]
    if op.size > 0:
        # the counterparty holds the opposite side, and both hold at least `size`
        require(q_fund * q_cp < 0, "counterparty does not hold the opposite side")
        require(op.size <= min(abs(q_fund), abs(q_cp)), "deleverage size too large")
    # the haircut covers at most the fund's negative total value
    fund_tv = xm.total_value(state, fund)
    require(op.haircut <= max(0, -fund_tv), "haircut larger than the fund's deficit")

    moved = op.size if q_fund > 0 else -op.size  # lots leaving the fund, signed like q_fund
    price = p.markets[op.market].mark_price(state.prices[op.market])
    w.put(ins, replace(fund.with_position(op.market, q_fund - moved),
                       collateral=fund.collateral + moved * price + op.haircut))
    # the counterparty must stay solvent (enforced by the box check in commit)
    w.put(op.account, replace(cp.with_position(op.market, q_cp + moved),
                              collateral=cp.collateral - moved * price - op.haircut))
    w.commit()


def process_option_trade(state: State, op: OptionTrade) -> None:
    """An option trade (options presets; options.py): the premium moves from buyer to seller,
    the series' positions change by +-size in each side's slot for it."""
    p, book = state.preset, state.options
    require(book is not None, "unknown op")
    # the fields fit; a listed series, not expired; a positive size; two accounts, not the fund
    require(fields_in_range(op), "field out of range")
    require(op.series in book.series, "unknown series")
    require(book.live(op.series) and book.series[op.series].expiry > book.timestamp, "series expired")
    w, buyer, seller = _cosigned_parties(state, op)
    buyer, seller = opt.close_settled(buyer, p, book), opt.close_settled(seller, p, book)
    # each side has a slot for the series (the one holding it, else a free one)
    kb, ks = opt.slot_for(buyer, op.series), opt.slot_for(seller, op.series)
    require(kb is not None, "no free option slot (buyer)")
    require(ks is not None, "no free option slot (seller)")
    have_b = opt.sizes_by_series(buyer).get(op.series, 0)
    have_s = opt.sizes_by_series(seller).get(op.series, 0)
    cost = op.size * op.premium
    new_buyer = replace(opt.with_option(buyer, kb, op.series, have_b + op.size),
                        collateral=buyer.collateral - cost - op.fee)
    new_seller = replace(opt.with_option(seller, ks, op.series, have_s - op.size),
                         collateral=seller.collateral + cost - op.fee)
    require(all(POSITION_MIN <= a.option_slots[k][1] <= POSITION_MAX
                for a, k in ((new_buyer, kb), (new_seller, ks))), "position out of range")
    # each side ends with TV >= IR, or reduced risk and TV >= MR (at the batch figures)
    require(margin_allows(state, buyer, new_buyer), "insufficient margin (buyer)")
    require(margin_allows(state, seller, new_seller), "insufficient margin (seller)")
    w.put(op.buyer, new_buyer)
    w.put(op.seller, new_seller)
    w.commit()
    state.fees += 2 * op.fee


PROCESSORS = {Register: process_register, Deposit: process_deposit, ForcedWithdraw: process_forced_withdrawal,
              Withdraw: process_withdrawal,
              Trade: process_trade, Funding: process_funding, Touch: process_touch,
              Liquidate: process_liquidation, Deleverage: process_deleverage, OptionTrade: process_option_trade}


def process_op(state: State, op) -> None:
    processor = PROCESSORS.get(type(op))
    require(processor is not None, "unknown op")
    processor(state, op)


# --- the batch ---------------------------------------------------------------------------------
def process_batch_header(state: State, batch: Batch) -> None:
    p = state.preset
    # batches settle in order
    require(batch.number == state.batch_number + 1, "batch out of order")
    # the oracle round does not go back; one ladder price per market, on the ladder
    require(state.oracle_round <= batch.oracle_round < (1 << ROUND_BITS), "oracle round goes back")
    require(len(batch.prices) == p.num_markets and all(isinstance(g, int) and 0 <= g <= GRID_MAX
                                                       for g in batch.prices), "prices off the ladder")
    # the ops are grouped by kind in the circuit's order (ops.KIND_ORDER) and fit its slots
    ranks = [KIND_RANK.get(type(op), -1) for op in batch.ops]
    require(all(r >= 0 for r in ranks), "unknown op")
    require(ranks == sorted(ranks), "ops not grouped by kind in the circuit's order")
    for kind, slots in SLOT_NAMES.items():
        require(sum(1 for op in batch.ops if type(op) is kind) <= getattr(p, slots),
                f"too many {kind.__name__} ops")

    state.batch_number = batch.number
    state.oracle_round = batch.oracle_round
    state.prices = tuple(batch.prices)
    opt.process_figures(state, batch)  # options presets: the committee's figures, listings, settlements
    state.registrations, state.deposits, state.forced, state.withdrawals = [], [], [], []


def process_batch_end(state: State) -> None:
    process_insurance_settle(state)
    if state.observed is not None:  # the batch builder's first pass: boxes are not final yet
        return
    # the batch prices and funding indices lie in the root's box: every account is safe
    require(boxes.contains(state.tree.root_box, state.prices, state.funding),
            "batch prices outside the root's box: touch or liquidate the accounts first")
    opt.check_batch_end(state)  # options presets: vols, time and settlement prices in the root boxes


def process_batch(state: State, batch: Batch) -> BatchRecord:
    """Apply a whole batch, or nothing: on OpRefused the state is rolled back."""
    old_root, old_tree_root, old_globals = state.root(), state.tree.root, tuple(state.globals_fields())
    old_tree_top = state.tree.top(min(RECORDED_TOP_LEVELS, state.tree.depth - 1))
    old_queues = (state.registration_index, state.deposit_index, state.forced_index)
    old_book = state.options
    state.begin()
    state.log = []
    try:
        process_batch_header(state, batch)
        witnesses = []
        for op in batch.ops:
            start = len(state.log)
            process_op(state, op)
            witnesses.append(OpWitness(op, tuple(state.log[start:])))
        start = len(state.log)
        process_batch_end(state)
        settle = OpWitness(None, tuple(state.log[start:]))
    except OpRefused:
        state.rollback()
        raise
    state.commit()
    state.log = None
    public = BatchPublic(
        old_root=old_root, new_root=state.root(), batch_number=state.batch_number,
        oracle_round=state.oracle_round, prices=tuple(state.prices), funding=tuple(state.funding),
        registration_from=old_queues[0], registration_to=state.registration_index,
        registrations=tuple(state.registrations),
        deposit_from=old_queues[1], deposit_to=state.deposit_index, deposits=tuple(state.deposits),
        forced_from=old_queues[2], forced_to=state.forced_index, forced=tuple(state.forced),
        withdrawals=tuple(state.withdrawals),
        # every leaf written, encrypted to its owner (da.py): the DA payload the proof binds
        da_commitment=batch_commitment([u for w in (*witnesses, settle) for u in w.updates], state.batch_number),
        da_public_key=state.da_public,
        # options presets: the committee's commitment for the batch's round (Oracle.sol records it)
        figures_root=opt.figures_root(state))
    return BatchRecord(batch=batch, public=public, ops=witnesses, settle=settle, root_box=state.tree.root_box,
                       preset=state.preset, old_tree_root=old_tree_root, old_tree_top=old_tree_top,
                       old_globals=old_globals,
                       da_scalar=state.da_scalar, old_book=old_book, book=state.options)


# --- the sequencer's batch builder -------------------------------------------------------------
QUEUE_KINDS = (Register, Deposit, ForcedWithdraw)  # L1 queue entries: consumed in order, never dropped


@dataclass
class BuiltBatch:
    batch: Batch
    refused: list = field(default_factory=list)  # (op, reason) dropped from `pending`
    # (op, reason) L1 queue entries left for a later batch: no free slot, an earlier entry of
    # the queue left, or a deposit whose account's registration is not consumed yet
    waiting: list = field(default_factory=list)


def _parties(op) -> tuple[int, ...]:
    return (op.buyer, op.seller) if isinstance(op, (Trade, OptionTrade)) else (op.account,)


def build_batch(state: State, pending: Sequence, prices: Sequence[int],
                oracle_round: Optional[int] = None, bounce_unregistered: bool = False,
                options: Optional[opt.OptionFigures] = None) -> BuiltBatch:
    """Cut a valid batch at `prices` from `pending` ops, adding the touches, liquidations and
    deleverages the new prices need. The state is left unchanged (dry runs, rolled back).

    Order (ops.KIND_ORDER): the L1 queues (registrations, deposits, which can rescue an
    account, forced withdrawals), each in queue order from its next index and as far as its
    slots go (a deposit to an account whose registration is not consumed yet stops its queue:
    it and the later ones wait, `BuiltBatch.waiting`, unless `bounce_unregistered`, which the
    sequencer sets when the deposit nears its L1 deadline: then it is bounced to its owner);
    funding updates; then every account whose box misses the new prices or funding indices (found by
    descending the tree's boxes) is touched if TV >= MR; signed liquidations from `pending`,
    then the insolvent accounts are liquidated to the fund; then withdrawals and trades in
    `pending` order, dropping
    refused ones and those beyond their slots; finally, while the fund is below maintenance,
    deleverage the counterparties with the largest surplus, and check that the batch closes.

    Writes keep boxes, so an account whose trades or withdrawals would leave its box must be
    touched first. A first pass notes every state such an account takes in the batch; the
    second pass touches it with the intersection of `margin.choose_box` over those states
    (and its state at the touch), a box safe for all of them, so its ops then fit. What does
    not fit waits for a later batch (`SLOT_REASON` in `refused`, which the sequencer keeps
    pending): an op beyond its kind's slots, an op of an account whose touch found no free
    touch slot, and an op refused only for its box after an earlier op of the pass waited
    (its parties' states then differ from the first pass's). Only other reasons refuse."""
    header = Batch(number=state.batch_number + 1,
                   oracle_round=state.oracle_round if oracle_round is None else oracle_round,
                   prices=tuple(prices), options=options)
    state.observed = {}
    try:
        first = _build_pass(state, header, pending, {}, lenient=True, bounce_unregistered=bounce_unregistered)
    except OpRefused:
        first = None
    finally:
        observed, state.observed = state.observed, None
    wants = {}  # account -> the states its box must hold
    if first is not None:
        # measured after the header (options presets: the states may hold series this batch lists)
        state.begin()
        try:
            process_batch_header(state, header)
            for index, accounts in observed.items():
                if any(_unsafe_in_box(state, a) for a in accounts):
                    wants[index] = accounts
        finally:
            state.rollback()
    return _build_pass(state, header, pending, wants, lenient=False, bounce_unregistered=bounce_unregistered,
                       seen=observed if first is not None else {})


def _build_pass(state: State, header: Batch, pending: Sequence, wants: dict, lenient: bool,
                bounce_unregistered: bool = False, seen: Optional[dict] = None) -> BuiltBatch:
    p = state.preset
    ins = p.insurance_account
    included, refused, waiting = [], [], []
    state.begin()
    try:
        process_batch_header(state, header)

        def attempt(op, forced: bool = False) -> bool:
            kind = type(op)
            if sum(1 for o in included if type(o) is kind) >= getattr(p, SLOT_NAMES[kind]):
                require(not forced, f"not enough {kind.__name__} slots for these prices")
                refused.append((op, SLOT_REASON))
                return False
            try:
                process_op(state, op)
            except OpRefused as exc:
                if forced:
                    raise
                refused.append((op, exc.reason))
                return False
            included.append(op)
            return True

        def pending_of(*kinds):
            return [op for op in pending if isinstance(op, kinds)]

        for kind in QUEUE_KINDS:
            queue = sorted(pending_of(kind), key=lambda op: op.index)
            for k, op in enumerate(queue):
                if sum(1 for o in included if type(o) is kind) >= getattr(p, SLOT_NAMES[kind]):
                    waiting += [(o, "no free slot in this batch") for o in queue[k:]]
                    break
                if kind is Deposit and op.account not in state.accounts and not bounce_unregistered:
                    waiting += [(op, "deposit to an account whose registration is not consumed yet")]
                    waiting += [(o, "an earlier queue entry waits") for o in queue[k + 1:]]
                    break
                try:
                    process_op(state, op)
                except OpRefused as exc:  # a queue entry is consumed later, never dropped
                    waiting += [(op, exc.reason)] + [(o, "an earlier queue entry waits") for o in queue[k + 1:]]
                    break
                included.append(op)
        for op in pending_of(Funding):
            attempt(op)
        liquidate, touch = [], []
        outside = list(state.tree.leaves_outside(state.prices, state.funding))
        outside += [i for i in opt.outside_option_boxes(state) if i not in outside]  # options presets
        for index in outside:
            if index == ins or index not in state.accounts:
                continue
            account = settle_funding(state.accounts[index], state.funding)
            solvent = xm.maintenance_surplus(state, account) >= 0
            (touch if solvent else liquidate).append(index)
        # touches change only the (solvent) accounts they touch, so doing them all before the
        # liquidations (the kind order) decides nothing differently
        for op in pending_of(Touch):
            attempt(op)
        touched = {op.account for op in included if isinstance(op, Touch)}
        # Accounts whose ops may have to wait for the next batch rather than be refused: those
        # whose wanted touch found no free slot, and those touched with a box chosen from the
        # first pass's states, which an op deferred in this pass can make differ. The oldest
        # op of a touched account always fits (its state is a prefix of the first pass's), so
        # every batch makes progress.
        may_wait = set()
        for index in touch + [i for i in wants if i not in touch]:
            if index in touched or index not in state.accounts:
                continue
            forced = index in touch
            box = box_holding(state, index, wants.get(index, ()))
            if box is None:  # cannot hold its next states: its ops will be refused
                if forced:
                    attempt(Touch(index), forced=True)
                continue
            touch_op = Touch(index, box) if state.options is None else Touch(index, box[0], box[1])
            if attempt(touch_op, forced=forced) or refused[-1][1] == SLOT_REASON:
                may_wait.add(index)
        if not lenient and state.options is None:
            # Touch slots left over re-box the accounts closest to leaving their box (a box
            # that holds their states of the first pass), so that boxes chosen together do not
            # all expire in one batch, which would need more touches than the batch has slots
            # (perpetual presets: an options preset keeps its cross-margin boxes as they were).
            busy = {op.account for op in included if isinstance(op, Touch)} | set(touch) | {ins}
            for index in box_policy.refresh_order(state, busy):
                if sum(1 for o in included if isinstance(o, Touch)) >= p.touch_slots:
                    break
                box = box_holding(state, index, (seen or {}).get(index, ()))
                if box is not None and attempt(Touch(index, box)):
                    may_wait.add(index)
        for op in pending_of(Liquidate):
            attempt(op)
        for index in liquidate:
            if index in state.accounts and (state.accounts[index].positions != (0,) * p.num_markets
                                            or opt.has_options(state.accounts[index])):
                attempt(Liquidate(index, ins), forced=True)
        deferred = False  # an earlier withdrawal or trade of this pass waits for a later batch
        for op in pending_of(Withdraw) + pending_of(Trade):
            if attempt(op):
                continue
            if refused[-1][1] == BOX_REASON and (deferred or may_wait & set(_parties(op))):
                # its parties' states differ from the first pass's (an op before it waits), so
                # the boxes chosen or kept for them may not hold it: it waits too, not refused
                refused[-1] = (op, SLOT_REASON)
            deferred = deferred or refused[-1][1] == SLOT_REASON
        _deleverage_fund(state, attempt)
        for op in pending_of(OptionTrade):  # options presets (after the deleverages: ops.KIND_ORDER)
            if attempt(op):
                continue
            if refused[-1][1] == BOX_REASON and (deferred or may_wait & set(_parties(op))):
                refused[-1] = (op, SLOT_REASON)
            deferred = deferred or refused[-1][1] == SLOT_REASON
        process_batch_end(state)  # the batch it returns closes
    finally:
        state.rollback()
    return BuiltBatch(replace(header, ops=tuple(included)), refused, waiting)


def _unsafe_in_box(state: State, account: Account) -> bool:
    surplus = xm.box_surplus(state, account)
    return surplus is None or surplus < 0


def box_holding(state: State, index: int, later: Sequence[Account]):
    """A box safe for the account now (settled) and in each of its `later` states: the
    intersection of the builder's box (`box_policy.slack_box`, which leaves slack for the
    account's next trades) of each; None if one of them cannot be boxed."""
    p = state.preset
    now = settle_funding(state.accounts[index], state.funding)
    if state.options is not None:  # options presets: ((perpetual box, OptionBox), slots to assign)
        now = opt.close_settled(now, p, state.options)
        assign = opt.assignments(now, later)
        now = opt.assign_slots(now, p, state.options, assign) if assign else now
        chosen = xm.choose_box(state, now, later)
        return None if chosen is None else (chosen, assign)
    chosen = [box_policy.slack_box(a, p, state.prices, state.funding) for a in (now, *later)]
    if any(b is None for b in chosen):
        return None
    return boxes.intersect(chosen)


def _deleverage_fund(state: State, attempt) -> None:
    """Deleverage the insurance fund until it is above maintenance. Counterparties go by
    largest maintenance surplus first; each op moves one market's overlap (what the
    counterparty holds opposite the fund) and, while the fund's TV is negative, takes the
    largest haircut the counterparty can pay and stay above maintenance."""
    p = state.preset
    ins = p.insurance_account

    def settled(i: int) -> Account:
        return settle_funding(state.accounts[i], state.funding)

    def surplus(a: Account) -> int:
        return xm.maintenance_surplus(state, a)

    for index in sorted((i for i in state.accounts if i != ins), key=lambda i: -surplus(settled(i))):
        for j in range(p.num_markets):
            fund, cp = settled(ins), settled(index)
            if surplus(fund) >= 0:
                return
            q_fund, q_cp = fund.positions[j], cp.positions[j]
            size = min(abs(q_fund), abs(q_cp)) if q_fund * q_cp < 0 else 0
            moved = size if q_fund > 0 else -size
            price = p.markets[j].mark_price(state.prices[j])
            cp_after = replace(cp.with_position(j, q_cp + moved), collateral=cp.collateral - moved * price)
            deficit = max(0, -xm.total_value(state, fund))
            # the counterparty keeps its box: the haircut must leave it solvent there
            kept = xm.box_surplus(state, cp_after) or 0
            cut = min(deficit, max(0, min(surplus(cp_after), kept) // BPS))
            if size or cut:
                attempt(Deleverage(index, j, size, cut), forced=True)
    require(surplus(settled(ins)) >= 0, "the insurance fund cannot be brought above maintenance")
