"""Settlement on chain with real proofs: the spec settles batches, the settlement circuit
(preset tiny) proves them, and Rollup.sol on eth-tester checks each proof against its own
public inputs (roots, oracle round, deposit queue, withdrawals) and moves the root. Then
the escape hatch: a deposit the sequencer ignores past the deadline lets anyone freeze the
contract, and each owner exits with an exit-circuit proof of its equity at the last root.

Nothing is synthetic here: the batch verifier is generated from the settlement circuit's
development key, deposits go through the contract's queue, the oracle round carries the
batch's ladder prices and funding indices, and the withdrawal is paid by the contract."""
from __future__ import annotations

import secrets
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools")]  # required: fails, never skips

from circuits import registry  # noqa: E402
from circuits.crypto.eddsa import PrivateKey  # noqa: E402
from circuits.settlement.exit import exit_equity, exit_inputs  # noqa: E402
from circuits.settlement.witness import batch_inputs  # noqa: E402
from prover.backends import get_backend  # noqa: E402
from prover.field import R  # noqa: E402
from prover.formats.snarkjs_json import proof_to_json, vk_to_json  # noqa: E402
from prover.formats.zkey import read_zkey  # noqa: E402
from prover.groth16.setup import ToxicWaste  # noqa: E402
from sequencer.spec import (TINY, Batch, Deposit, ForcedWithdraw, Register, State, Trade, Withdraw,  # noqa: E402
                            build_batch, message_hash, process_batch)
from sequencer.spec.hashing import to_field  # noqa: E402
from verifier_contracts.evm import Chain  # noqa: E402
from verifier_contracts.rollup import RollupClient, batch_public_inputs  # noqa: E402

PRICES = (1000, 1000)
DEADLINE = 40  # blocks


def rollup_public(record) -> dict:
    """The contract's BatchPublic from the spec's public inputs."""
    p = record.public
    return {"oldRoot": p.old_root, "newRoot": p.new_root, "batchNumber": p.batch_number,
            "oracleRound": p.oracle_round, "prices": list(p.prices), "fundingIndices": [to_field(f) for f in p.funding],
            "depositFrom": p.deposit_index_old, "depositTo": p.deposit_index_new,
            "depositChainFrom": p.deposit_chain_old, "depositChainTo": p.deposit_chain_new,
            "withdrawalsHash": p.withdrawals_hash, "forcedFrom": p.forced_index_old, "forcedTo": p.forced_index_new,
            "forcedChainFrom": p.forced_chain_old, "forcedChainTo": p.forced_chain_new}


def signed(op, key, field="signature"):
    return replace(op, **{field: key.sign(message_hash(op, TINY.domain))})


def test_batches_settle_on_chain_with_real_proofs():
    chain = Chain.embedded()
    l1 = chain.w3.eth.accounts
    keys = [PrivateKey.from_seed(b"zkclear-onchain-%d" % i) for i in range(3)]
    state = State.genesis(TINY, keys[0].public_key, int(l1[0], 16), PRICES)

    circuit = registry.build("settlement", preset="tiny")
    exit_circuit = registry.build("exit", preset="tiny")
    backend = get_backend("native")
    zkey = backend.setup(circuit.r1cs, ToxicWaste.random())
    vk = read_zkey(zkey).verifying_key()
    exit_zkey = backend.setup(exit_circuit.r1cs, ToxicWaste.random())
    exit_vk = read_zkey(exit_zkey).verifying_key()
    rollup = RollupClient.deploy(chain, vk_to_json(vk), vk_to_json(exit_vk), markets=TINY.num_markets,
                                 genesis_root=state.root(), deadline_blocks=DEADLINE)

    def settle(batch) -> None:
        record = process_batch(state, batch)
        witness = circuit.witness(batch_inputs(record, TINY, circuit))
        public = circuit.public_signals(witness)
        pub = rollup_public(record)
        # the circuit's public inputs are exactly what the contract hands its verifier
        assert batch_public_inputs(pub) == public
        proof = backend.prove(zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
        assert backend.verify(vk, public, proof)
        rollup.post_round(pub["prices"], pub["fundingIndices"])
        rollup.submit_batch(pub, record.withdrawals, proof_to_json(proof))
        assert rollup.state()["stateRoot"] == state.root()

    # batches 1 and 2: each institution registers and its L1 deposit is consumed
    for i in (1, 2):
        index = rollup.deposit(i, 10**8, sender=l1[i])
        register = signed(Register(i, keys[i].public_key, int(l1[i], 16)), keys[i])
        settle(Batch(i, i, PRICES, (register, Deposit(index, i, 10**8, int(l1[i], 16)))))

    # batch 3: a co-signed trade (the builder touches both accounts first) and a withdrawal
    trade = Trade(0, 10, 1_000_000, 1, 2, 1, 1, 100, 50)
    msg = message_hash(trade, TINY.domain)
    trade = replace(trade, buyer_signature=keys[1].sign(msg), seller_signature=keys[2].sign(msg))
    withdrawal = signed(Withdraw(2, 3 * 10**7, 2, 100), keys[2])
    built = build_batch(state, [trade, withdrawal], PRICES, oracle_round=3)
    assert not built.refused
    settle(built.batch)
    assert state.accounts[1].positions[0] == 10 and state.accounts[2].positions[0] == -10

    # the contract pays the withdrawal to bob's L1 address
    before = chain.w3.eth.get_balance(l1[2])
    receipt = rollup.claim(sender=l1[2])
    fee = receipt["gasUsed"] * receipt.get("effectiveGasPrice", 0)
    assert chain.w3.eth.get_balance(l1[2]) - before + fee == 3 * 10**7 * rollup.wei_per_unit

    # batch 4 consumes bob's forced-withdrawal request from the L1 queue and pays it; its
    # proof does not settle another new root
    findex = rollup.request_forced_withdrawal(2, 10**6, sender=l1[2])
    record = process_batch(state, Batch(4, 4, PRICES, (ForcedWithdraw(findex, 2, 10**6, int(l1[2], 16)),)))
    assert record.withdrawals == [(int(l1[2], 16), 10**6)]
    witness = circuit.witness(batch_inputs(record, TINY, circuit))
    proof = proof_to_json(backend.prove(zkey, witness, secrets.randbelow(R), secrets.randbelow(R)))
    pub = rollup_public(record)
    rollup.post_round(pub["prices"], pub["fundingIndices"])
    with pytest.raises(Exception, match="invalid proof"):
        rollup.submit_batch({**pub, "newRoot": (pub["newRoot"] + 1) % R}, record.withdrawals, proof)
    rollup.submit_batch(pub, record.withdrawals, proof)
    assert rollup.state()["batchNumber"] == 4 and rollup.state()["forcedConsumed"] == 1

    # escape hatch: a deposit left unconsumed past the deadline freezes the contract ...
    rollup.deposit(1, 5, sender=l1[1])
    for _ in range(DEADLINE + 1):
        chain.w3.provider.make_request("evm_mine", [])
    rollup.freeze(sender=l1[3])
    # ... and every owner exits with its equity at the last settled root, proven
    paid = 0
    for i in (0, 1, 2):
        witness = exit_circuit.witness(exit_inputs(state, i))
        proof = proof_to_json(backend.prove(exit_zkey, witness, secrets.randbelow(R), secrets.randbelow(R)))
        equity = exit_equity(state, i)
        with pytest.raises(Exception, match="invalid exit proof"):
            rollup.exit(i, l1[i], equity + 1, proof)
        rollup.exit(i, l1[i], equity, proof)
        paid += equity
    # the equities add up to what the contract holds for consumed deposits, less withdrawals
    assert paid == 2 * 10**8 - 3 * 10**7 - 10**6
