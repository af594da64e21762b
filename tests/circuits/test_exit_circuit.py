"""The exit circuit against the spec: completeness, soundness, and one proof end to end.

Completeness: for accounts with long, short and zero positions, after a settled batch and
funding changes (so funding is unsettled), the witness `exit_inputs` builds solves and the
circuit's equity is `spec.margin.total_value`. Soundness: each wrong public input, each
tampered leaf field and path value, and a cheating prover's choice of path positions break
a constraint; every internal wire is pinned. End to end: the exported R1CS, a dev-unsafe
Groth16 setup, a native proof, verified in Python and by the Solidity verifier.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

from circuits import registry  # noqa: E402
from circuits.dsl.compiled import unsatisfied  # noqa: E402
from circuits.dsl.testing import (assert_rejects, assert_solves, assert_tamper_breaks,  # noqa: E402
                                  forge_witness)
from circuits.settlement.exit import exit_inputs, exit_public  # noqa: E402
from prover.field import R  # noqa: E402
from sequencer.spec import (DEMO, TINY, Account, Batch, Funding, State, margin, process_batch,  # noqa: E402
                            process_op)
from sequencer.spec import box as spec_box  # noqa: E402
from sequencer.spec.constants import (COLLATERAL_BITS, FUNDING_BITS, GRID_MAX, POSITION_BITS,  # noqa: E402
                                      TV_BITS)
from sequencer.spec.hashing import from_field  # noqa: E402
from spec_helpers import ADDRESS_BASE, LOT_PRICE, apply, funded_state, key, pinned, trade_op  # noqa: E402

M = TINY.num_markets


@pytest.fixture(scope="module")
def cc():
    return registry.build("exit", preset="tiny")


def settled_batch_one() -> State:
    """Accounts 1..5 funded. 1 long 90 BTC-T from 2 and short 400 ETH-T to 3; batch 1 settles
    at ladder (1013, 987) with F_0 += 500."""
    s = funded_state(5)
    apply(s, trade_op(s, 0, 90, LOT_PRICE, 1, 2))
    apply(s, trade_op(s, 1, 400, 100_000, 3, 1, seller_nonce=1))
    process_batch(s, pinned(s, Batch(1, 1, (1013, 987), (Funding(0, 500),))))
    return s


@pytest.fixture(scope="module")
def state() -> State:
    """`settled_batch_one`, then F_1 -= 300. Nobody settled the funding."""
    s = settled_batch_one()
    process_op(s, Funding(1, -300))
    return s


def test_public_inputs_are_the_contracts(cc):
    from verifier_contracts.rollup import EXIT_PUBLIC_INPUT_NAMES, n_exit_public

    assert tuple(n for n, _, public in cc.inputs if public) == EXIT_PUBLIC_INPUT_NAMES
    assert cc.r1cs.n_pub_in == n_exit_public(M) and cc.r1cs.n_pub_out == 0


def test_state_covers_long_short_zero_and_unsettled_funding(state):
    pos = [q for a in state.accounts.values() for q in a.positions]
    assert any(q > 0 for q in pos) and any(q < 0 for q in pos) and 0 in pos
    assert any(f != big_f for a in state.accounts.values() for f, big_f in zip(a.snapshots, state.funding))
    assert any(f < 0 for f in state.funding)


@pytest.mark.parametrize("account_id", range(6))
def test_equity_is_total_value(cc, state, account_id):
    w = assert_solves(cc, exit_inputs(state, account_id))
    pub = cc.public_signals(w)
    assert pub == exit_public(state, account_id)
    a = state.accounts[account_id]
    assert from_field(pub[-1]) == margin.total_value(a, TINY, state.prices, state.funding)
    assert pub[-2] == a.l1_address and pub[-3] == account_id and pub[0] == state.root()


def test_unregistered_account_has_no_exit(state):
    with pytest.raises(ValueError, match="not registered"):
        exit_inputs(state, 9)


def test_every_internal_wire_is_pinned(cc, state):
    assert_tamper_breaks(cc, assert_solves(cc, exit_inputs(state, 1)))


def test_four_ary_tree_demo_preset():
    """DEMO (arity 4, depth 5): accounts at every position among their siblings, with
    positions; a tampered sibling hash at each slot or box commitment at each level is refused."""
    cd = registry.build("exit", preset="demo")
    s = funded_state(6, amount=10**10, preset=DEMO)
    apply(s, trade_op(s, 0, 2, 5 * 10**9, 1, 2))
    apply(s, trade_op(s, 1, 30, 2 * 10**8, 5, 3))
    process_op(s, Funding(0, 700))
    process_op(s, Funding(1, -300))
    for account_id in range(7):
        inputs = exit_inputs(s, account_id)
        w = assert_solves(cd, inputs)
        a = s.accounts[account_id]
        assert from_field(cd.public_signals(w)[-1]) == margin.total_value(a, DEMO, s.prices, s.funding)
        for slot in range(DEMO.arity - 1):
            assert_rejects(cd, _with(inputs, "path.sib_hash", inputs["path.sib_hash"][0][slot] + 1, 0, slot))
        for k in range(DEMO.depth):
            assert_rejects(cd, _with(inputs, "path.box_commit", inputs["path.box_commit"][k] + 1, k))
        assert_rejects(cd, _with(inputs, "accountId", account_id ^ 3))


# --- soundness: wrong public inputs -------------------------------------------------------------
def _with(inputs: dict, name: str, value, *index) -> dict:
    out = {k: (v if not isinstance(v, list) else _deep(v)) for k, v in inputs.items()}
    if not index:
        out[name] = value % R
        return out
    target = out[name]
    for i in index[:-1]:
        target = target[i]
    target[index[-1]] = value % R
    return out


def _deep(v):
    return [_deep(x) for x in v] if isinstance(v, list) else v


def _get(inputs: dict, name: str, *index):
    v = inputs[name]
    for i in index:
        v = v[i]
    return v


PUBLIC_TAMPERS = [("equity", ()), ("accountId", ()), ("l1Address", ()), ("root", ()),
                  ("prices", (0,)), ("prices", (1,)), ("fundingIndices", (0,)), ("fundingIndices", (1,))]


@pytest.mark.parametrize("name,index", PUBLIC_TAMPERS)
@pytest.mark.parametrize("delta", [1, -1])
def test_wrong_public_input_rejected(cc, state, name, index, delta):
    inputs = exit_inputs(state, 1)
    assert_rejects(cc, _with(inputs, name, _get(inputs, name, *index) + delta, *index))


def test_other_accounts_public_values_rejected(cc, state):
    """Account 1's witness with account 2's id, address or equity; a different root."""
    inputs, other = exit_inputs(state, 1), exit_inputs(state, 2)
    for name in ("accountId", "l1Address", "equity"):
        assert_rejects(cc, _with(inputs, name, other[name]))
    assert_rejects(cc, _with(inputs, "accountId", inputs["accountId"] + TINY.capacity))  # same low bits
    assert_rejects(cc, _with(inputs, "equity", inputs["equity"] + (1 << TV_BITS)))


def test_other_state_rejected(cc, state):
    """The root of the state before the last funding change: prices and funding, not the
    tree, changed; the old root with the new funding indices does not open."""
    s = settled_batch_one()
    assert s.tree.root == state.tree.root and s.root() != state.root()
    inputs = exit_inputs(state, 1)
    assert_rejects(cc, _with(inputs, "root", s.root()))
    assert_solves(cc, exit_inputs(s, 1))


# --- soundness: tampered private inputs ---------------------------------------------------------
PRIVATE_TAMPERS = ([("leaf", (i,)) for i in range(7 + 2 * M)]
                   + [("path.sib_hash", (k, 0)) for k in range(TINY.depth)]
                   + [("path.box_commit", (k,)) for k in range(TINY.depth)]
                   + [("tree_root", ()), ("batch_number", ()), ("oracle_round", ()), ("registration_index", ()),
                      ("deposit_index", ()), ("forced_index", ())])


@pytest.mark.parametrize("name,index", PRIVATE_TAMPERS, ids=lambda x: str(x))
def test_tampered_private_input_rejected(cc, state, name, index):
    inputs = exit_inputs(state, 3)
    assert_rejects(cc, _with(inputs, name, _get(inputs, name, *index) + 1, *index))


def test_leaf_and_equity_changed_together_rejected(cc, state):
    """More collateral in the leaf and the matching equity: the leaf no longer hashes to
    the committed one."""
    inputs = exit_inputs(state, 4)
    forged = _with(inputs, "leaf", inputs["leaf"][5] + 10**6, 5)
    assert_rejects(cc, _with(forged, "equity", inputs["equity"] + 10**6))


def test_path_positions_follow_account_id(cc, state):
    """A cheating prover opens account 3's leaf (its path, address, equity) but claims
    accountId 1, overriding the position bits: the bits no longer recompose to accountId."""
    inputs = _with(exit_inputs(state, 3), "accountId", 1)
    assert_rejects(cc, inputs)
    bits = {f"account_bits/to_bits.bits[{i}]": (3 >> i) & 1 for i in range(TINY.account_bits)}
    w = forge_witness(cc, inputs, bits)
    assert unsatisfied(cc.r1cs, w)


def test_negative_equity_cannot_be_proved(cc):
    """An account below zero (no batch would settle it): equity = TV as a field element
    fails the range check, and forging its bits breaks their recomposition."""
    s = _state_with(_account(collateral=-5, positions=(0, 0), snapshots=(0, 0)), 7)
    inputs = exit_inputs(s, 7)
    assert from_field(inputs["equity"]) == -5
    assert_rejects(cc, inputs, match="equity_range")
    w = forge_witness(cc, inputs, {f"equity_range/to_bits.bits[{i}]": 0 for i in range(TV_BITS)})
    assert unsatisfied(cc.r1cs, w)


# --- hypothesis: random accounts, prices and funding indices -------------------------------------
def _account(collateral, positions, snapshots, box=None, l1_address=ADDRESS_BASE + 7, pubkey=None) -> Account:
    return Account(pubkey=pubkey or key(7).public_key, l1_address=l1_address, nonce_hi=3, nonce_bitmap=5,
                   collateral=collateral, positions=tuple(positions), snapshots=tuple(snapshots),
                   box=box or spec_box.full(M), salt=0x5A17)


def _state_with(account: Account, index: int, prices=(1000, 1000), funding=(0, 0)) -> State:
    s = State.genesis(TINY, key(0).public_key, ADDRESS_BASE, tuple(prices))
    s.funding = tuple(funding)
    s.registration_index = index  # accounts 1..index registered (only `index` written here)
    s.write_account(index, account)
    return s


def _signed(bits: int):
    return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def _small_or(bits: int):
    """Mostly values a state would hold, sometimes the extremes of the width."""
    return st.one_of(st.integers(-10**9, 10**9), _signed(bits))


_market_box = st.tuples(st.integers(0, GRID_MAX), st.integers(0, GRID_MAX),
                        _signed(FUNDING_BITS), _signed(FUNDING_BITS))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(collateral=_small_or(COLLATERAL_BITS),
       positions=st.lists(_small_or(POSITION_BITS), min_size=M, max_size=M),
       snapshots=st.lists(_small_or(FUNDING_BITS), min_size=M, max_size=M),
       prices=st.lists(st.integers(0, GRID_MAX), min_size=M, max_size=M),
       funding=st.lists(_small_or(FUNDING_BITS), min_size=M, max_size=M),
       box=st.lists(_market_box, min_size=M, max_size=M),
       index=st.integers(1, TINY.capacity - 1),
       l1_address=st.integers(0, (1 << 160) - 1))
def test_random_accounts(cc, collateral, positions, snapshots, prices, funding, box, index, l1_address):
    a = _account(collateral, positions, snapshots, tuple(box), l1_address)
    s = _state_with(a, index, prices, funding)
    tv = margin.total_value(a, TINY, s.prices, s.funding)
    inputs = exit_inputs(s, index)
    event("equity >= 0" if tv >= 0 else "equity < 0")
    if tv >= 0:
        w = assert_solves(cc, inputs)
        assert from_field(cc.public_signals(w)[-1]) == tv
        assert_rejects(cc, _with(inputs, "equity", inputs["equity"] + 1))
    else:
        assert_rejects(cc, inputs, match="equity_range")


# --- end to end: export, dev setup, native proof, Python and EVM verification --------------------
@pytest.fixture(scope="module")
def proved(cc, state, tmp_path_factory, native):
    from prover.backends import get_backend
    from prover.formats.r1cs import read_r1cs
    from prover.formats.zkey import read_zkey
    from prover.groth16.setup import ToxicWaste
    from sequencer.cli import main
    d = tmp_path_factory.mktemp("exit")
    assert main(["circuit", "export", "exit", "--param", "preset=tiny", "--r1cs", str(d / "exit.r1cs")]) == 0
    r1cs = read_r1cs(d / "exit.r1cs")
    assert (r1cs.n_constraints, r1cs.n_wires, r1cs.n_pub_in) == (cc.n_constraints, cc.r1cs.n_wires, 2 * M + 4)
    backend = get_backend("native")
    zkey = backend.setup(d / "exit.r1cs", ToxicWaste.random(random.Random(2024)))
    vk = read_zkey(zkey).verifying_key()
    witness = cc.witness(exit_inputs(state, 1))
    proof = backend.prove(zkey, witness, 12345, 67890)
    return backend, vk, proof, exit_public(state, 1)


@pytest.mark.slow
def test_exit_proof_verifies(proved):
    backend, vk, proof, public = proved
    assert backend.verify(vk, public, proof)
    for i in range(len(public)):
        wrong = list(public)
        wrong[i] = (wrong[i] + 1) % R
        assert not backend.verify(vk, wrong, proof), i


@pytest.mark.slow
def test_exit_proof_verifies_on_chain(proved, node_tools):
    from prover.formats.snarkjs_json import proof_to_json, vk_to_json
    from verifier_contracts.evm import Chain, deploy_verifier, verify_proof

    _, vk, proof, public = proved
    verifier = deploy_verifier(Chain.embedded(), vk_to_json(vk))
    ok, gas = verify_proof(verifier, proof_to_json(proof), [str(x) for x in public])
    assert ok and gas > 0
    wrong = public[:-1] + [public[-1] + 1]  # one collateral unit more
    assert not verify_proof(verifier, proof_to_json(proof), [str(x) for x in wrong])[0]
