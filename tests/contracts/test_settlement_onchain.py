"""Settlement on chain with real proofs, on eth-tester and on anvil: the spec settles batches,
the settlement circuit (preset tiny) proves them, and Rollup.sol rebuilds each batch's message
from its own storage (registration, deposit and forced queues) and the calldata, hashes it and
checks the proof's one public input. Collateral is the 6-decimal TestStablecoin, oracle rounds
come from the committee oracle (a quorum of EIP-712 signed reports, DevCommittee), accounts
register on L1 (the contract assigns the id and records the owner). Then the escape hatch: a
deposit the sequencer ignores past the deadline lets anyone freeze the contract, each owner
exits with an exit-circuit proof of its equity at the last root, and the ignored deposit is
refunded to the account's owner.

Nothing is synthetic: the batch verifier is generated from the settlement circuit's
development key and the exit verifier from the exit circuit's."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

import pytest

from circuits import registry
from circuits.crypto.eddsa import PrivateKey
from circuits.settlement.exit import exit_equity, exit_inputs
from circuits.settlement.witness import batch_inputs
from prover.backends import get_backend
from prover.field import R
from prover.formats.snarkjs_json import proof_to_json, vk_to_json
from prover.formats.zkey import read_zkey
from prover.groth16.setup import ToxicWaste
from sequencer.spec import (TINY, Batch, Deposit, ForcedWithdraw, Register, State, Trade, Withdraw, build_batch,
                            message_hash, process_batch)
from verifier_contracts.rollup import RollupClient, RollupError

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools", "native")]

PRICES = (1000, 1000)
DEADLINE = 40  # blocks
INTERVAL = 10  # blocks between batches (the operator's promise): queue caps = slots * 4
UNIT = 1  # TestStablecoin has 6 decimals: 1 token base unit = 1 collateral unit (1e-6 USD)


@dataclass
class Keys:
    circuit: object
    zkey: bytes
    vk: object
    exit_circuit: object
    exit_zkey: bytes
    exit_vk: object


@pytest.fixture(scope="module")
def keys() -> Keys:
    backend = get_backend("native")
    circuit = registry.build("settlement", preset="tiny")
    exit_circuit = registry.build("exit", preset="tiny")
    zkey = backend.setup(circuit.r1cs, ToxicWaste.random())
    exit_zkey = backend.setup(exit_circuit.r1cs, ToxicWaste.random())
    return Keys(circuit, zkey, read_zkey(zkey).verifying_key(), exit_circuit, exit_zkey,
                read_zkey(exit_zkey).verifying_key())


def signed(op, key, field="signature"):
    return replace(op, **{field: key.sign(message_hash(op, TINY.domain))})


@pytest.mark.parametrize("chain_name", ["eth-tester", "anvil"])
def test_batches_settle_on_chain_with_real_proofs(keys, chain_name, request):
    chain = request.getfixturevalue("embedded_chain" if chain_name == "eth-tester" else "anvil_chain")
    backend = get_backend("native")
    l1 = chain.w3.eth.accounts
    bjj = [PrivateKey.from_seed(b"zkclear-onchain-%d" % i) for i in range(3)]
    state = State.genesis(TINY, bjj[0].public_key, int(l1[0], 16), PRICES)
    rollup = RollupClient.deploy(chain, vk_to_json(keys.vk), vk_to_json(keys.exit_vk), markets=TINY.num_markets,
                                 slots=TINY, genesis_root=state.root(), insurance_owner=l1[0],
                                 deadline_blocks=DEADLINE, batch_interval_blocks=INTERVAL, unit_scale=UNIT)
    token = rollup.token.functions

    def prove(record) -> dict:
        witness = keys.circuit.witness(batch_inputs(record, TINY, keys.circuit))
        # the proof's one public input is the digest of the batch message ...
        assert keys.circuit.public_signals(witness) == [record.digest]
        # ... which the contract rebuilds from its storage and the calldata
        assert rollup.batch_digest(record.public) == record.digest
        proof = backend.prove(keys.zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
        assert backend.verify(keys.vk, [record.digest], proof)
        return proof_to_json(proof)

    def settle(ops, *, built=None) -> object:
        rid = rollup.post_round(PRICES, state.funding)  # a committee round at the batch's prices
        batch = built(rid) if built else Batch(state.batch_number + 1, rid, PRICES, tuple(ops))
        record = process_batch(state, batch)
        rollup.submit_batch(record.public, prove(record))
        assert rollup.state()["stateRoot"] == state.root()
        return record

    # batches 1 and 2: each institution registers on L1 (the contract assigns the id and
    # records the owner) and deposits stablecoins; the batch consumes both queues
    ids = {}
    for i in (1, 2):
        k = rollup.queues()["registrationCount"]
        ids[i] = rollup.register(bjj[i].public_key, sender=l1[i])
        assert ids[i] == i and rollup.account(ids[i])[0] == l1[i]
        rollup.mint(l1[i], 10**8 * UNIT)
        index = rollup.deposit(ids[i], 10**8 * UNIT, sender=l1[i])
        settle([Register(k, bjj[i].public_key, int(l1[i], 16)), Deposit(index, ids[i], 10**8)])
    assert token.balanceOf(rollup.rollup.address).call() == 2 * 10**8 * UNIT

    # batch 3: a co-signed trade (the builder touches both accounts first) and a withdrawal
    trade = Trade(0, 10, 1_000_000, 1, 2, 1, 1, 100, 50)
    msg = message_hash(trade, TINY.domain)
    trade = replace(trade, buyer_signature=bjj[1].sign(msg), seller_signature=bjj[2].sign(msg))
    withdrawal = signed(Withdraw(2, 3 * 10**7, 2, 100), bjj[2])

    def cut(rid):
        built = build_batch(state, [trade, withdrawal], PRICES, oracle_round=rid)
        assert not built.refused
        return built.batch

    record = settle([], built=cut)
    assert record.public.withdrawals == ((2, 3 * 10**7),)
    assert state.accounts[1].positions[0] == 10 and state.accounts[2].positions[0] == -10
    # the contract pays the withdrawal to bob's L1 address, in tokens
    before = token.balanceOf(l1[2]).call()
    rollup.claim(2, sender=l1[3])  # anyone may send the claim: the money goes to the owner
    assert token.balanceOf(l1[2]).call() - before == 3 * 10**7 * UNIT

    # batch 4: bob's forced-withdrawal request (a stranger cannot force bob's account) is
    # consumed and paid; its proof does not settle another new root
    with pytest.raises(RollupError, match="not the account's owner|owner"):
        rollup.request_forced_withdrawal(2, 10**6, sender=l1[3])
    findex = rollup.request_forced_withdrawal(2, 10**6, sender=l1[2])
    rid = rollup.post_round(PRICES, state.funding)
    record = process_batch(state, Batch(4, rid, PRICES, (ForcedWithdraw(findex, 2, 10**6),)))
    assert record.public.forced == ((2, 10**6, 1),)
    proof = prove(record)
    with pytest.raises(RollupError, match="invalid proof"):
        rollup.submit_batch(replace(record.public, new_root=(record.public.new_root + 1) % R), proof)
    rollup.submit_batch(record.public, proof)
    assert rollup.state()["batchNumber"] == 4 and rollup.queues()["forcedConsumed"] == 1
    assert rollup.credit(2) == 10**6

    # escape hatch: a deposit left unconsumed past the deadline freezes the contract ...
    rollup.mint(l1[1], 5 * UNIT)
    ignored = rollup.deposit(1, 5 * UNIT, sender=l1[1])
    assert not rollup.overdue()
    for _ in range(DEADLINE + 1):
        chain.w3.provider.make_request("evm_mine", [])
    rollup.freeze(sender=l1[3])
    # ... every owner exits with its equity at the last settled root, proven ...
    paid = 0
    for i in (0, 1, 2):
        witness = keys.exit_circuit.witness(exit_inputs(state, i))
        proof = proof_to_json(backend.prove(keys.exit_zkey, witness, secrets.randbelow(R), secrets.randbelow(R)))
        equity = exit_equity(state, i)
        with pytest.raises(RollupError, match="invalid exit proof"):
            rollup.exit(i, l1[i], equity + 1, proof)
        rollup.exit(i, l1[i], equity, proof)
        paid += equity
    # ... the ignored deposit goes back to the account's owner, and the equities plus the
    # unclaimed forced payment add up to what the contract holds for consumed deposits
    rollup.refund_deposit(ignored)
    assert paid + 10**6 == 2 * 10**8 - 3 * 10**7
    for i in (0, 1, 2):
        before = token.balanceOf(l1[i]).call()
        credit = rollup.credit(i)
        rollup.claim(i)
        assert token.balanceOf(l1[i]).call() - before == credit * UNIT
    assert token.balanceOf(rollup.rollup.address).call() == 0
