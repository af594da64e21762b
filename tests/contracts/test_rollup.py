"""The settlement contract (Rollup.sol) and the oracle (Oracle.sol), through verifier_contracts.rollup.

Proofs come from synthetic (UNSAFE, trapdoored) keys: they verify for any public inputs we
choose, so each rejection test builds inputs that are wrong for the *contract* and a proof
that is valid for them; only the contract's own check can refuse the batch. Most tests run
on anvil (fast pairings); one happy path runs on eth-tester (py-evm).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from web3 import Web3

from verifier_contracts.build import NODE_MODULES, R, render_verifier
from verifier_contracts.evm import Chain
from verifier_contracts.rollup import (EXIT_PUBLIC_INPUT_NAMES, PUBLIC_INPUT_NAMES, ROLLUP_ARTIFACTS, RollupClient,
                                       RollupError, load_rollup_artifacts,
                                       batch_public_inputs, compile_rollup, exit_public_input_names,
                                       exit_public_inputs, measure_gas, n_exit_public, n_public,
                                       public_input_names)
from verifier_contracts.synthetic import SyntheticKey

pytestmark = pytest.mark.usefixtures("node_tools")  # required (make setup): fails, never skips

M = 2
UNIT = 10**9  # wei per collateral unit
DEADLINE = 4  # blocks
PRICES = [1234, 56789]
FUNDING = [17, R - 5]  # F_1 = -5 as a field element

REENTRANT = """pragma solidity ^0.8.20;
// Receives a withdrawal and tries to claim it a second time from inside the transfer.
contract ReentrantClaimer {
    address public immutable target;
    bool public innerOk;
    uint256 public calls;
    constructor(address t) { target = t; }
    function claim() external { (bool ok,) = target.call(abi.encodeWithSignature("claim()")); require(ok, "outer"); }
    receive() external payable {
        calls++;
        if (calls == 1) { (bool ok,) = target.call(abi.encodeWithSignature("claim()")); innerOk = ok; }
    }
}
"""


@dataclass
class Keys:
    batch: SyntheticKey
    exit: SyntheticKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    rng = random.Random(2024)
    return Keys(SyntheticKey.random(n_public(M), rng), SyntheticKey.random(n_exit_public(M), rng))


@pytest.fixture(scope="module")
def arts(keys) -> dict:
    """One solc run: Rollup, Oracle, both synthetic verifiers and the re-entrancy probe."""
    extra = {"BatchVerifier.sol": render_verifier(keys.batch.vk_json(), "BatchVerifier"),
             "ExitVerifier.sol": render_verifier(keys.exit.vk_json(), "ExitVerifier"),
             "ReentrantClaimer.sol": REENTRANT}
    return compile_rollup(extra)


@pytest.fixture(scope="module")
def shared(arts):
    """Per chain: the libraries and verifiers, deployed once."""
    cache = {}

    def get(chain: Chain) -> dict:
        if id(chain) not in cache:
            cache[id(chain)] = {
                "libraries": {n: chain.deploy(arts[n]).address for n in ("PoseidonT4", "PoseidonT5")},
                "batch": chain.deploy(arts["BatchVerifier"]).address,
                "exit": chain.deploy(arts["ExitVerifier"]).address,
            }
        return cache[id(chain)]

    return get


class Env:
    """A fresh Rollup + Oracle on a chain, with named accounts and a proving helper."""

    def __init__(self, chain: Chain, arts: dict, shared: dict, keys: Keys, **kw):
        self.chain, self.arts, self.keys = chain, arts, keys
        self.rng = random.Random(7)
        accts = chain.w3.eth.accounts
        self.sequencer, self.alice, self.bob, self.carol = accts[0], accts[1], accts[2], accts[3]
        kw.setdefault("deadline_blocks", DEADLINE)
        kw.setdefault("genesis_root", 111)
        self.r = RollupClient.deploy(chain, shared["batch"], shared["exit"], markets=M, wei_per_unit=UNIT,
                                     sequencer=self.sequencer, artifacts=arts, libraries=shared["libraries"], **kw)

    def prove(self, pub: dict):
        proof, _ = self.keys.batch.prove(batch_public_inputs(pub), self.rng)
        return proof

    def prove_exit(self, values: dict):
        proof, _ = self.keys.exit.prove(exit_public_inputs(values), self.rng)
        return proof

    def settle(self, new_root: int, withdrawals=(), **kw) -> dict:
        pub = self.r.next_batch_public(new_root, withdrawals=withdrawals, **kw)
        return self.r.submit_batch(pub, withdrawals, self.prove(pub))

    def mine(self, n: int) -> None:
        for _ in range(n):
            self.chain.w3.provider.make_request("evm_mine", [])


@pytest.fixture
def env(anvil_chain, arts, shared, keys) -> Env:
    return Env(anvil_chain, arts, shared(anvil_chain), keys)


def funded(e: Env) -> None:
    """Two deposits, one forced request, one oracle round."""
    e.r.deposit(1, 5_000, e.alice)
    e.r.deposit(2, 3_000, e.bob)
    e.r.request_forced_withdrawal(1, 100, e.alice)
    e.r.post_round(PRICES, FUNDING)


def circomlib_poseidon_chains(deposits, withdrawals) -> tuple[int, int]:
    """The deposit chain and the withdrawals hash recomputed with circomlibjs (what the
    circuit's Poseidon is compatible with)."""
    js = """
    const {buildPoseidon} = require("circomlibjs");
    const [deps, ws] = JSON.parse(process.argv[1]);
    buildPoseidon().then(H => {
      const h = xs => BigInt(H.F.toString(H(xs.map(BigInt))));
      let c = 0n; for (const d of deps) c = h([c, ...d]);
      let w = 0n; for (const x of ws) w = h([w, ...x]);
      console.log(JSON.stringify([c.toString(), w.toString()]));
    });"""
    arg = json.dumps([[[str(x) for x in d] for d in deposits], [[str(x) for x in w] for w in withdrawals]])
    out = subprocess.run(["node", "-e", js, arg], cwd=NODE_MODULES.parent, capture_output=True, text=True,
                         check=True).stdout
    c, w = json.loads(out)
    return int(c), int(w)


# ------------------------------------------------------------------ the input order


def test_public_input_order_is_the_contracts():
    assert public_input_names(2) == [
        "oldRoot", "newRoot", "batchNumber", "oracleRound", "prices[0]", "prices[1]",
        "fundingIndices[0]", "fundingIndices[1]", "depositFrom", "depositTo", "depositChainFrom",
        "depositChainTo", "withdrawalsHash", "forcedFrom", "forcedTo", "forcedChainFrom", "forcedChainTo"]
    assert len(public_input_names(3)) == n_public(3) == 19
    assert exit_public_input_names(1) == ["root", "prices[0]", "fundingIndices[0]", "accountId", "l1Address",
                                          "equity"]


def test_contract_builds_the_same_input_array(env):
    funded(env)
    pub = env.r.next_batch_public(999)
    struct = tuple(pub[n] for n in PUBLIC_INPUT_NAMES)
    assert env.r.rollup.functions.batchPublicInputs(struct).call() == batch_public_inputs(pub)
    env.r.submit_batch(pub, [], env.prove(pub))
    assert set(EXIT_PUBLIC_INPUT_NAMES) <= set(env.r.exit_public(1, env.alice, 5).keys())


# ------------------------------------------------------------------ happy paths


def test_happy_path_anvil(env):
    e, r = env, env.r
    funded(e)
    w3 = e.chain.w3
    assert r.state()["balance"] == 8_000 * UNIT
    # the queue's Poseidon chain and the withdrawals hash are circomlib's
    withdrawals = [(e.alice, 100), (e.carol, 2_500)]
    chain2, wh = circomlib_poseidon_chains(
        [(1, 5_000, int(e.alice, 16)), (2, 3_000, int(e.bob, 16))],
        [(int(a, 16), amt) for a, amt in withdrawals])
    assert r.deposit_chain(2) == chain2 and r.withdrawals_hash(withdrawals) == wh

    receipt = e.settle(0xABC, withdrawals)
    s = r.state()
    assert (s["stateRoot"], s["batchNumber"], s["lastOracleRound"]) == (0xABC, 1, 1)
    assert (s["depositConsumed"], s["forcedConsumed"], s["custody"]) == (2, 1, 8_000 - 2_600)
    assert r.pending(e.alice) == 100 * UNIT and r.pending(e.carol) == 2_500 * UNIT
    # events: roots and queue positions only
    (ev,) = r.rollup.events.BatchSubmitted().process_receipt(receipt)
    assert dict(ev["args"]) == {"batchNumber": 1, "oldRoot": 111, "newRoot": 0xABC, "oracleRound": 1,
                                "depositTo": 2, "forcedTo": 1, "withdrawalsHash": wh}
    # claim pays once
    before = w3.eth.get_balance(e.carol)
    rc = r.claim(e.carol)
    assert w3.eth.get_balance(e.carol) == before + 2_500 * UNIT - rc["gasUsed"] * rc["effectiveGasPrice"]
    with pytest.raises(RollupError, match="Rollup: nothing to claim"):
        r.claim(e.carol)
    # the same batch again: the root has moved
    pub = r.next_batch_public(0xDEF)
    pub["oldRoot"] = 111
    with pytest.raises(RollupError, match="Rollup: old root mismatch"):
        r.submit_batch(pub, [], e.prove(pub))
    # a second batch with nothing queued
    e.settle(0xDEF)
    assert r.state()["batchNumber"] == 2
    assert r.state()["balance"] == (8_000 - 2_500) * UNIT


def test_happy_path_eth_tester(embedded_chain, arts, shared, keys):
    e = Env(embedded_chain, arts, shared(embedded_chain), keys)
    e.r.deposit(7, 1_000, e.alice)
    e.r.post_round(PRICES, FUNDING)
    e.settle(0x1234, [(e.alice, 400)])
    assert e.r.state()["stateRoot"] == 0x1234 and e.r.state()["custody"] == 600
    e.r.claim(e.alice)
    assert e.r.state()["balance"] == 600 * UNIT
    pub = e.r.next_batch_public(5)
    pub["newRoot"] = 6  # proof for root 5, inputs claim 6
    with pytest.raises(RollupError, match="Rollup: invalid proof"):
        e.r.submit_batch(pub, [], e.prove({**pub, "newRoot": 5}))


# ------------------------------------------------------------------ rejections


def _bump(key, by=1):
    def f(pub, ws):
        pub[key] = pub[key] + by
    return f


def _set(key, value):
    def f(pub, ws):
        pub[key] = value(pub) if callable(value) else value
    return f


def _price(pub, ws):
    pub["prices"] = [pub["prices"][0] + 1, pub["prices"][1]]


def _funding(pub, ws):
    pub["fundingIndices"] = [pub["fundingIndices"][0], 5]


def _deposit_from(pub, ws):
    pub["depositFrom"], pub["depositChainFrom"] = 1, pub["_chain1"]


def _withdrawal_amount(pub, ws):
    ws[0] = (ws[0][0], ws[0][1] + 1)


def _withdrawal_dropped(pub, ws):
    ws.pop()


def _withdrawal_too_much(pub, ws):
    ws.append((ws[0][0], 10**7))


REJECTIONS = {
    "old root": (_bump("oldRoot"), "Rollup: old root mismatch"),
    "batch number": (_bump("batchNumber"), "Rollup: wrong batch number"),
    "batch number replay": (_set("batchNumber", 0), "Rollup: wrong batch number"),
    "oracle price": (_price, "Rollup: prices differ from the oracle round"),
    "oracle funding": (_funding, "Rollup: prices differ from the oracle round"),
    "oracle round unknown": (_set("oracleRound", 9), "Rollup: unknown oracle round"),
    "deposit from": (_deposit_from, "Rollup: deposit range"),
    "deposit beyond queue": (_bump("depositTo"), "Rollup: deposit range"),
    "deposit chain to": (_bump("depositChainTo"), "Rollup: deposit chain mismatch"),
    "deposit chain from": (_bump("depositChainFrom"), "Rollup: deposit chain mismatch"),
    "forced beyond queue": (_bump("forcedTo"), "Rollup: forced range"),
    "forced chain": (_bump("forcedChainTo"), "Rollup: forced chain mismatch"),
    "withdrawal amount": (_withdrawal_amount, "Rollup: withdrawals hash mismatch"),
    "withdrawal dropped": (_withdrawal_dropped, "Rollup: withdrawals hash mismatch"),
    "withdrawals exceed custody": (_withdrawal_too_much, "Rollup: withdrawals exceed custody"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_batch_rejected(env, case):
    """Each wrong input has a valid proof (synthetic key): the contract's check refuses it."""
    e, r = env, env.r
    funded(e)
    mutate, reason = REJECTIONS[case]
    ws = [(e.alice, 100), (e.bob, 50)]
    pub = r.next_batch_public(0xBEEF, withdrawals=ws)
    pub["_chain1"] = r.deposit_chain(1)
    mutate(pub, ws)
    if case == "withdrawals exceed custody":
        pub["withdrawalsHash"] = r.withdrawals_hash(ws)
    pub.pop("_chain1")
    with pytest.raises(RollupError, match=reason):
        r.submit_batch(pub, ws, e.prove(pub))
    assert r.state()["batchNumber"] == 0 and r.state()["stateRoot"] == 111


def test_invalid_proof_and_non_sequencer(env):
    e, r = env, env.r
    funded(e)
    pub = r.next_batch_public(0xBEEF)
    good = e.prove(pub)
    with pytest.raises(RollupError, match="Rollup: invalid proof"):
        r.submit_batch(pub, [], e.prove({**pub, "newRoot": 0xBEEE}))
    with pytest.raises(RollupError, match="Rollup: invalid proof"):
        r.submit_batch({**pub, "newRoot": R + 0xBEEF}, [], good)  # the same word mod r
    with pytest.raises(RollupError, match="Rollup: not the sequencer"):
        r.submit_batch(pub, [], good, sender=e.alice)
    with pytest.raises(RollupError, match="Rollup: wrong number of markets"):
        r.submit_batch({**pub, "prices": PRICES + [1]}, [], good)
    r.submit_batch(pub, [], good)


def test_oracle_round_may_not_go_back(env):
    e, r = env, env.r
    r.post_round(PRICES, FUNDING)
    r.post_round([p + 1 for p in PRICES], FUNDING)
    e.settle(1, oracle_round=2)
    pub = r.next_batch_public(2, oracle_round=1)
    with pytest.raises(RollupError, match="Rollup: oracle round goes back"):
        r.submit_batch(pub, [], e.prove(pub))
    e.settle(2, oracle_round=2)  # the same round twice is fine


def test_partial_queue_consumption(env):
    e, r = env, env.r
    funded(e)
    e.settle(5, deposit_to=1, forced_to=0)
    s = r.state()
    assert (s["depositConsumed"], s["forcedConsumed"], s["custody"]) == (1, 0, 5_000)
    e.settle(6)
    assert r.state()["custody"] == 8_000


def test_deposit_and_request_validation(env):
    r = env.r
    with pytest.raises(RollupError, match="not a whole number of units"):
        env.r._send(r.rollup.functions.deposit(1), env.alice, value=UNIT + 1)
    with pytest.raises(RollupError, match="deposit below minimum"):
        env.r._send(r.rollup.functions.deposit(1), env.alice, value=0)
    with pytest.raises(RollupError, match="account id out of range"):
        r.deposit(2**32, 1, env.alice)
    with pytest.raises(RollupError, match="amount out of range"):
        r.request_forced_withdrawal(1, 2**63, env.alice)
    with pytest.raises(RollupError, match="wrong forced request fee"):
        env.r._send(r.rollup.functions.requestForcedWithdrawal(1, 5), env.alice, value=1)


# ------------------------------------------------------------------ escape hatch


def test_freeze_only_after_the_deadline_and_frozen_rejects(env):
    e, r = env, env.r
    r.post_round(PRICES, FUNDING)
    r.request_forced_withdrawal(1, 100, e.alice)
    with pytest.raises(RollupError, match="Rollup: no overdue request"):
        r.freeze(e.carol)
    e.mine(DEADLINE - 1)
    with pytest.raises(RollupError, match="Rollup: no overdue request"):  # the next block is +DEADLINE
        r.freeze(e.carol)
    e.mine(1)
    r.freeze(e.carol)  # block +DEADLINE+1: overdue
    assert r.state()["frozen"]
    pub = r.next_batch_public(5)
    with pytest.raises(RollupError, match="Rollup: frozen"):
        r.submit_batch(pub, [], e.prove(pub))
    with pytest.raises(RollupError, match="Rollup: frozen"):
        r.deposit(1, 10, e.alice)
    with pytest.raises(RollupError, match="Rollup: frozen"):
        r.request_forced_withdrawal(1, 10, e.alice)
    with pytest.raises(RollupError, match="Rollup: frozen"):
        r.freeze()


def test_consumed_requests_do_not_freeze_and_deposits_do(env):
    e, r = env, env.r
    funded(e)
    e.settle(5)
    e.mine(DEADLINE + 2)
    with pytest.raises(RollupError, match="Rollup: no overdue request"):
        r.freeze()
    r.deposit(3, 10, e.bob)  # an ignored deposit freezes the contract too
    e.mine(DEADLINE)
    r.freeze()
    assert r.state()["frozen"]


def test_exit_refund_and_claims_drain_exactly(env):
    e, r = env, env.r
    w3 = e.chain.w3
    funded(e)
    with pytest.raises(RollupError, match="Rollup: not frozen"):
        r.exit(1, e.alice, 1, [1] * 8)
    e.settle(0x77, [(e.alice, 100)])  # custody 7_900
    r.deposit(2, 1_000, e.bob)  # never consumed
    e.mine(DEADLINE + 1)
    r.freeze()
    with pytest.raises(RollupError, match="Rollup: deposit was consumed"):
        r.refund_deposit(0)

    vals = r.exit_public(1, e.alice, 4_000)
    assert vals["root"] == 0x77 and vals["prices"] == PRICES and vals["fundingIndices"] == FUNDING
    # a proof for another equity, another address, another account: refused
    for wrong in ({"equity": 4_001}, {"l1Address": int(e.bob, 16)}, {"accountId": 2}):
        with pytest.raises(RollupError, match="Rollup: invalid exit proof"):
            r.exit(1, e.alice, 4_000, e.prove_exit({**vals, **wrong}))
    r.exit(1, e.alice, 4_000, e.prove_exit(vals), sender=e.carol)  # anyone submits, alice is paid
    assert r.pending(e.alice) == 4_100 * UNIT
    with pytest.raises(RollupError, match="Rollup: already exited"):
        r.exit(1, e.alice, 4_000, e.prove_exit(vals))
    # an exit claiming more than is left is paid what is left
    vals2 = r.exit_public(2, e.bob, 10**9)
    r.exit(2, e.bob, 10**9, e.prove_exit(vals2))
    assert r.pending(e.bob) == 3_900 * UNIT and r.state()["custody"] == 0
    r.refund_deposit(2)
    with pytest.raises(RollupError, match="Rollup: already refunded"):
        r.refund_deposit(2)
    assert r.pending(e.bob) == 4_900 * UNIT
    for who in (e.alice, e.bob):
        r.claim(who)
    assert r.pending(e.sequencer) == 0 and w3.eth.get_balance(r.rollup.address) == 0


def test_claim_is_not_reentrant(env):
    e, r = env, env.r
    attacker = e.chain.deploy(e.arts["ReentrantClaimer"], r.rollup.address)
    r.deposit(1, 5_000, e.alice)
    r.post_round(PRICES, FUNDING)
    e.settle(9, [(attacker.address, 1_000)])
    e.chain.transact_gas(attacker.functions.claim())
    assert e.chain.w3.eth.get_balance(attacker.address) == 1_000 * UNIT
    assert attacker.functions.calls().call() == 1 and attacker.functions.innerOk().call() is False
    assert r.pending(attacker.address) == 0 and r.state()["balance"] == 4_000 * UNIT


# ------------------------------------------------------------------ oracle


def test_oracle_rounds(env):
    e, r = env, env.r
    o = r.oracle
    with pytest.raises(RollupError, match="Oracle: not the poster"):
        r._send(o.functions.postRound(1, PRICES, FUNDING), e.alice)
    with pytest.raises(RollupError, match="Oracle: round out of order"):
        r._send(o.functions.postRound(2, PRICES, FUNDING))
    with pytest.raises(RollupError, match="Oracle: wrong number of markets"):
        r._send(o.functions.postRound(1, PRICES + [3], FUNDING))
    with pytest.raises(RollupError, match="Oracle: not a field element"):
        r._send(o.functions.postRound(1, [R, 1], FUNDING))
    with pytest.raises(Exception, match="Oracle: unknown round"):
        o.functions.getRound(1).call()
    assert r.post_round(PRICES, [17, -5]) == 1
    prices, funding, ts = r.oracle_round(1)
    assert (prices, funding) == (PRICES, FUNDING) and ts > 0
    assert o.functions.roundHash(1).call() == Web3.keccak(
        Web3().codec.encode(["uint256[]", "uint256[]"], [PRICES, FUNDING]))
    r._send(o.functions.setPoster(e.bob))
    with pytest.raises(RollupError, match="Oracle: not the poster"):
        r.post_round(PRICES, FUNDING)
    assert r.post_round(PRICES, FUNDING, sender=e.bob) == 2


def test_constructor_checks_the_verifiers(anvil_chain, arts, shared, keys):
    s = shared(anvil_chain)
    with pytest.raises(Exception):  # the exit verifier in the batch verifier's place
        RollupClient.deploy(anvil_chain, s["exit"], s["batch"], markets=M, artifacts=arts,
                            libraries=s["libraries"])


# ------------------------------------------------------------------ gas


def test_gas(env, record_property, capsys):
    g = measure_gas(env.r, env.keys.batch, (0, 4, 16))
    record_property("rollup_gas", g)
    with capsys.disabled():
        print("\nRollup gas (anvil, M=2, 17 public inputs):", json.dumps(g))
    sb = g["submitBatch"]
    assert sb[0] < sb[4] < sb[16] < 2_000_000
    assert g["deposit"] < 200_000


# ------------------------------------------------------------------ committed artifacts


def test_committed_artifacts_match_the_sources(arts, anvil_chain, shared):
    """artifacts/{Rollup,Oracle,PoseidonT4,PoseidonT5}.json are what `python -m
    verifier_contracts.rollup build` writes now, and deploy with no compiler."""
    committed = load_rollup_artifacts()
    for name in ROLLUP_ARTIFACTS:
        assert committed[name]["bytecode"] == arts[name]["bytecode"], f"{name}.json is stale: rebuild it"
        assert committed[name]["abi"] == arts[name]["abi"]
    s = shared(anvil_chain)
    r = RollupClient.deploy(anvil_chain, s["batch"], s["exit"], markets=M)  # libraries from the artifacts
    assert r.state()["stateRoot"] == 0 and r.markets == M
