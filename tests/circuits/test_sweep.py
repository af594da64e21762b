"""The full-sweep circuit (`circuits.settlement.sweep`): witnesses from the spec, refusals,
and the exact cost formula against built circuits.

The witness: a TINY state (16 accounts, binary tree, M = 2) after two spec batches (trades in
both markets, then a funding update that leaves account 1 with an unsettled snapshot), its
leaves as `Account.fields()`, the plain Poseidon root of their hashes (0 for empty slots).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

from circuits.crypto.poseidon import poseidon_hash  # noqa: E402
from circuits.dsl import Circuit  # noqa: E402
from circuits.dsl.testing import assert_rejects, assert_solves  # noqa: E402
from circuits.settlement.sweep import (box_tree_cost, build_sweep_circuit, extrapolate, per_account_cost,  # noqa: E402
                                       sweep_constraints, sweep_parts)
from sequencer.spec import TINY, Funding, account_hash, build_batch, process_batch  # noqa: E402
from sequencer.spec.constants import FUNDING_BITS, GRID_BITS  # noqa: E402
from sequencer.spec.margin import maintenance_surplus  # noqa: E402
from spec_helpers import LOT_PRICE, funded_state, trade_op  # noqa: E402

BITS = 4  # 16 accounts, TINY's capacity, binary


@pytest.fixture(scope="module")
def cc():
    c = Circuit("sweep")
    build_sweep_circuit(c, TINY, BITS)
    return c.compile()


@pytest.fixture(scope="module")
def state():
    """Accounts 1..3: 1 long 900 BTC-T lots from 2, 3 long 7 ETH-T from 2; then funding +5
    in BTC-T, so account 1 (not touched since) owes 900 * 5 it has not settled."""
    st = funded_state(3)
    trades = [trade_op(st, 0, 900, LOT_PRICE, 1, 2), trade_op(st, 1, 7, 100_000, 3, 2, seller_nonce=1)]
    for ops, rnd in ((trades, 1), ([Funding(0, 5)], 2)):  # the builder adds the touches
        process_batch(st, build_batch(st, ops, (1000, 1000), oracle_round=rnd).batch)
    assert st.accounts[1].snapshots[0] != st.funding[0] and st.accounts[1].positions[0] == 900
    return st


def plain_root(hashes: list, arity: int) -> int:
    level = list(hashes)
    while len(level) > 1:
        level = [poseidon_hash(level[i:i + arity]) for i in range(0, len(level), arity)]
    return level[0]


def sweep_inputs(state, prices=None, funding=None) -> dict:
    m, n = TINY.num_markets, 1 << BITS
    leaves, registered, hashes = [], [], []
    for i in range(n):
        acc = state.accounts.get(i)
        leaves.append(acc.fields() if acc is not None else [0] * (7 + 2 * m))
        registered.append(int(acc is not None))
        hashes.append(account_hash(acc))
    return {"root": plain_root(hashes, TINY.arity), "prices": list(prices or state.prices),
            "funding": list(funding or state.funding), "leaf": leaves, "registered": registered}


def surpluses(state, prices, funding) -> dict:
    return {i: maintenance_surplus(a, TINY, prices, funding) for i, a in state.accounts.items()}


# --- witnesses --------------------------------------------------------------------------------
def test_solvent_state_solves(cc, state):
    assert len(state.accounts) == 4  # the insurance fund and accounts 1..3; 12 empty slots
    assert all(s >= 0 for s in surpluses(state, state.prices, state.funding).values())
    assert_solves(cc, sweep_inputs(state))


def test_solvent_at_other_public_prices_solves(cc, state):
    prices = (990, 1000)  # BTC-T down 1 %: account 1 still above maintenance
    assert all(s >= 0 for s in surpluses(state, prices, state.funding).values())
    assert_solves(cc, sweep_inputs(state, prices=prices))


def test_one_account_below_maintenance_fails(cc, state):
    prices = (900, 1000)  # BTC-T down 10 %: account 1, long 900 lots, falls below maintenance
    s = surpluses(state, prices, state.funding)
    assert s[1] < 0 and all(v >= 0 for i, v in s.items() if i != 1)
    assert_rejects(cc, sweep_inputs(state, prices=prices), match=r"leaf\[1\].*assert_nonnegative")


def test_unsettled_funding_counts(cc, state):
    """Solvent at the batch's funding index, not once funding moves against account 1 enough."""
    g = state.prices
    lo, hi = 0, 1 << (FUNDING_BITS - 2)
    while hi - lo > 1:  # the least funding index at which account 1 falls below maintenance
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if maintenance_surplus(state.accounts[1], TINY, g, (mid, state.funding[1])) >= 0 \
            else (lo, mid)
    assert_solves(cc, sweep_inputs(state, funding=(lo, state.funding[1])))
    assert_rejects(cc, sweep_inputs(state, funding=(hi, state.funding[1])), match="assert_nonnegative")


def test_wrong_root_fails(cc, state):
    inputs = sweep_inputs(state)
    inputs["root"] += 1
    assert_rejects(cc, inputs)


def test_hiding_an_account_fails(cc, state):
    """Declaring account 1 empty (zero fields, registered = 0) changes its hash to 0: the root
    no longer matches, so an insolvent account cannot be dropped from the sweep."""
    inputs = sweep_inputs(state, prices=(900, 1000))
    inputs["leaf"][1] = [0] * len(inputs["leaf"][1])
    inputs["registered"][1] = 0
    assert_rejects(cc, inputs)


def test_prices_off_the_ladder_fail(cc, state):
    assert_rejects(cc, sweep_inputs(state, prices=(1 << GRID_BITS, 1000)))


# --- counting ---------------------------------------------------------------------------------
def test_formula_matches_built_circuits(cc):
    """total(N) = fixed + N leaf + (N - 1)/(a - 1) node against builds at 2^4 (TINY, the
    fixture) and 2^6 (TINY with one market); `python -m circuits.settlement.sweep` builds 2^8."""
    parts = sweep_parts(TINY)
    assert cc.circuit.n_constraints == parts.total(4) == extrapolate(TINY, 4, parts)
    assert per_account_cost(TINY) == parts.per_account == parts.leaf + parts.node  # binary
    one = replace(TINY, markets=TINY.markets[:1])
    p1 = sweep_parts(one)
    for bits in (4, 6):
        assert sweep_constraints(one, bits) == p1.total(bits)
    # arity 4: (N - 1) / 3 inner Poseidon(4)s
    four = replace(TINY, arity=4)
    p4 = sweep_parts(four)
    assert p4.leaf == parts.leaf and sweep_constraints(four, 4) == p4.total(4)
    assert per_account_cost(four) == p4.per_account


def test_box_tree_root_check_cost():
    """4 range checks per market: two ladder (GRID_BITS + 1 constraints each: the bits and
    their sum), two funding (FUNDING_BITS + 1)."""
    assert box_tree_cost(TINY) == TINY.num_markets * 2 * (GRID_BITS + 1 + FUNDING_BITS + 1)
