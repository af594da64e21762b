"""Random op sequences over several batches keep the spec's invariants:

- after every batch every account has TV >= MR at the batch prices, lies in its box, and the
  batch prices lie in the root's box;
- sum of (C + sum_j q_j f_j) over all accounts (the insurance fund included) moves only by
  deposits minus withdrawals (fees, penalties, bad debt, haircuts move between accounts);
- the incremental root equals the root hashed from scratch;
- the batch builder is a dry run and the batch it builds is accepted."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequencer.spec import TINY, Funding, OpRefused, build_batch, process_batch
from sequencer.spec.constants import GRID_MAX

from spec_helpers import (Snapshot, assert_all_solvent, assert_roots_consistent, conserved_total, deposit_op,
                          funded_state, trade_op, withdraw_op)

ACCOUNTS = (1, 2, 3, 4)

op_specs = st.one_of(
    st.tuples(st.just("trade"), st.integers(0, 1), st.integers(1, 950), st.integers(-300, 300),
              st.permutations(ACCOUNTS), st.integers(0, 200), st.booleans()),
    st.tuples(st.just("withdraw"), st.sampled_from(ACCOUNTS), st.integers(1, 4 * 10**7), st.booleans()),
    st.tuples(st.just("deposit"), st.sampled_from(ACCOUNTS + (9,)), st.integers(0, 10**7)),
    st.tuples(st.just("funding"), st.integers(0, 1), st.integers(-3000, 3000)),
)
batches = st.lists(st.tuples(st.tuples(st.integers(-150, 150), st.integers(-150, 150)),
                             st.lists(op_specs, max_size=5)), min_size=1, max_size=4)


def make_ops(state, specs, nonces, prices):
    pending = []
    for spec in specs:
        kind = spec[0]
        if kind == "trade":
            _, market, size, bps, (buyer, seller, *_), fee, replay = spec
            mark = TINY.markets[market].mark_price(prices[market])
            nb = nonces[buyer] - 1 if replay and nonces[buyer] else nonces[buyer]
            ns = nonces[seller]
            nonces[buyer] += 1
            nonces[seller] += 1
            pending.append(trade_op(state, market, size, max(1, mark + mark * bps // 10_000), buyer, seller,
                                    buyer_nonce=nb, seller_nonce=ns, fee=fee))
        elif kind == "withdraw":
            _, account, amount, replay = spec
            n = nonces[account] - 1 if replay and nonces[account] else nonces[account]
            nonces[account] += 1
            pending.append(withdraw_op(state, account, amount, nonce=n))
        elif kind == "deposit":
            # the queue index of a deposit depends on how many deposits precede it
            _, account, amount = spec
            pending.append(deposit_op(state, account, amount))
            pending[-1] = type(pending[-1])(state.deposit_index + sum(
                1 for op in pending[:-1] if type(op).__name__ == "Deposit"), account, amount)
        else:
            _, market, delta = spec
            pending.append(Funding(market, delta))
    return pending


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_random_batches_keep_invariants(plan):
    state = funded_state(4)
    nonces = {i: 0 for i in ACCOUNTS}
    for number, (moves, specs) in enumerate(plan, start=1):
        prices = tuple(min(GRID_MAX, max(1, g + d)) for g, d in zip(state.prices, moves))
        pending = make_ops(state, specs, nonces, prices)
        pre, total = Snapshot.of(state), conserved_total(state)
        try:
            built = build_batch(state, pending, prices, oracle_round=number)
        except OpRefused:  # no valid batch at these prices within the slots: skip them
            assert Snapshot.of(state) == pre
            continue
        assert Snapshot.of(state) == pre  # a dry run
        record = process_batch(state, built.batch)
        deposited = sum(amount for _, amount, bounced in record.public.deposits if not bounced)
        assert conserved_total(state) == total + deposited - sum(a for _, a in record.withdrawals)
        assert_all_solvent(state)
        assert_roots_consistent(state)
        assert sum(a.positions[j] for a in state.accounts.values() for j in (0,)) == 0
        assert sum(a.positions[1] for a in state.accounts.values()) == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 950), min_size=2, max_size=2),
       st.lists(st.tuples(st.integers(-250, 250), st.integers(-250, 250)), min_size=1, max_size=4))
def test_leveraged_books_through_price_shocks(sizes, path):
    """Near-maximal positions, then price jumps of up to 25 %: the builder touches, liquidates
    (with bad debt when the jump passes the bankruptcy price) and deleverages the fund."""
    state = funded_state(4)
    opening = [trade_op(state, 0, sizes[0], 1_000_000, 1, 2), trade_op(state, 1, sizes[1], 100_000, 3, 4)]
    process_batch(state, build_batch(state, opening, state.prices, oracle_round=1).batch)
    for number, moves in enumerate(path, start=2):
        prices = tuple(min(GRID_MAX, max(1, g + d)) for g, d in zip(state.prices, moves))
        total = conserved_total(state)
        record = process_batch(state, build_batch(state, [], prices, oracle_round=number).batch)
        assert conserved_total(state) == total - sum(a for _, a in record.withdrawals)
        assert_all_solvent(state)
        assert_roots_consistent(state)
