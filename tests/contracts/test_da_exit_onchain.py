"""Issue 10's end-to-end: exits that need nobody but the chain and one honest DA member, with
real proofs, on eth-tester and on anvil.

The Rollup has a DA committee (3 members, k = 2) and the sequencer's DA public key. Each batch
the sequencer (the spec, preset tiny) hands the batch's DA payload to the members
(sequencer/da/): each checks it rebuilds the batch's new root on its copy of the tree and that
its commitment is the one the batch proves (the batch message carries it: the circuit
encrypts every written leaf itself), stores it and signs; the batch settles with k
signatures. Then the sequencer stops: a deposit it ignores past the deadline freezes the
contract, its state (its whole database) is dropped, and two of the three members' folders
are deleted. Each owner, holding only its Baby Jubjub key and the remaining member's folder,
rebuilds its leaf and path at the contract's stateRoot (its decryption key derived from its
own key and the contract's `daPublicKey`), proves its exit with the exit circuit and is paid
in tokens."""
from __future__ import annotations

import secrets
import shutil
from dataclasses import replace

import pytest

from circuits.crypto.ecdh import eddsa_scalar
from circuits.crypto.eddsa import PrivateKey
from prover.backends import get_backend
from prover.field import R
from prover.formats.snarkjs_json import proof_to_json, vk_to_json
from sequencer.da.attest import addresses, dev_member_keys
from sequencer.da.member import Member
from sequencer.da.owner import rebuild
from sequencer.da.payload import batch_payload, commitment, genesis_payload
from sequencer.da.store import PayloadStore
from sequencer.spec import TINY, Batch, Deposit, Register, State, Trade, build_batch, message_hash, process_batch
from circuits.settlement.witness import batch_inputs
from test_settlement_onchain import DEADLINE, INTERVAL, PRICES, UNIT, keys  # noqa: F401  (the module's keys)
from verifier_contracts.rollup import RollupClient, RollupError

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools", "native")]

DA_SCALAR = eddsa_scalar(PrivateKey.from_seed(b"zkclear-da-sequencer").secret)  # salts and leaf keys derive from it
MEMBER_KEYS = dev_member_keys("test-da-exit", 3)
K = 2


@pytest.mark.parametrize("chain_name", ["eth-tester", "anvil"])
def test_owners_exit_from_one_members_folder_after_the_sequencer_is_gone(keys, chain_name, request, tmp_path):
    chain = request.getfixturevalue("embedded_chain" if chain_name == "eth-tester" else "anvil_chain")
    backend = get_backend("native")
    l1 = chain.w3.eth.accounts
    bjj = [PrivateKey.from_seed(b"zkclear-da-exit-%d" % i) for i in range(3)]
    state = State.genesis(TINY, bjj[0].public_key, int(l1[0], 16), PRICES, da_scalar=DA_SCALAR)
    rollup = RollupClient.deploy(chain, vk_to_json(keys.vk), vk_to_json(keys.exit_vk), markets=TINY.num_markets,
                                 slots=TINY, genesis_root=state.root(), insurance_owner=l1[0],
                                 deadline_blocks=DEADLINE, batch_interval_blocks=INTERVAL, unit_scale=UNIT,
                                 da_members=addresses(MEMBER_KEYS), da_threshold=K, da_public_key=state.da_public)
    folders = [tmp_path / f"member{j}" for j in range(3)]
    members = []
    for j, folder in enumerate(folders):
        store = PayloadStore.create(folder, arity=TINY.arity, depth=TINY.depth, num_markets=TINY.num_markets,
                                    genesis_root=state.root(), sequencer_public_key=state.da_public)
        member = Member(store, MEMBER_KEYS[j], chain_id=rollup.chain_id, rollup=rollup.rollup.address)
        member.receive(genesis_payload(state))  # batch 0: the insurance fund's leaf
        members.append(member)

    def settle(batch_of) -> None:
        rid = rollup.post_round(PRICES, state.funding)
        record = process_batch(state, batch_of(rid))
        payload = batch_payload(record, state)  # the batch's leaf writes, in order
        assert commitment(payload) == record.public.da_commitment  # what the proof binds
        atts = [m.receive(payload, commitment=record.public.da_commitment) for m in members]
        witness = keys.circuit.witness(batch_inputs(record, TINY, keys.circuit))
        proof = proof_to_json(backend.prove(keys.zkey, witness, secrets.randbelow(R), secrets.randbelow(R)))
        with pytest.raises(RollupError, match="DA signatures required"):  # the committee cannot be skipped
            rollup.submit_batch(record.public, proof)
        with pytest.raises(RollupError, match="too few DA signatures"):
            rollup.submit_batch(record.public, proof, da_signatures=atts[:K - 1])
        rollup.submit_batch(record.public, proof, da_signatures=atts[:K])
        assert rollup.state()["stateRoot"] == state.root() == payload.new_root

    # batches 1, 2: each institution registers on L1 and deposits; batch 3: a co-signed trade
    for i in (1, 2):
        k = rollup.queues()["registrationCount"]
        assert rollup.register(bjj[i].public_key, sender=l1[i]) == i
        rollup.mint(l1[i], 10**8 * UNIT)
        index = rollup.deposit(i, 10**8 * UNIT, sender=l1[i])
        ops = (Register(k, bjj[i].public_key, int(l1[i], 16)), Deposit(index, i, 10**8))
        settle(lambda rid, ops=ops: Batch(state.batch_number + 1, rid, PRICES, ops))
    trade = Trade(0, 10, 1_000_000, 1, 2, 1, 1, 100, 50)
    msg = message_hash(trade, TINY.domain)
    trade = replace(trade, buyer_signature=bjj[1].sign(msg), seller_signature=bjj[2].sign(msg))

    def cut(rid):
        built = build_batch(state, [trade], PRICES, oracle_round=rid)
        assert not built.refused
        return built.batch

    settle(cut)
    assert state.accounts[1].positions[0] == 10 and state.accounts[2].positions[0] == -10

    # the sequencer stops: an ignored deposit freezes the contract ...
    rollup.mint(l1[1], 5 * UNIT)
    rollup.deposit(1, 5 * UNIT, sender=l1[1])
    for _ in range(DEADLINE + 1):
        chain.w3.provider.make_request("evm_mine", [])
    rollup.freeze(sender=l1[2])
    # ... its database is gone, and so are two of the three members' folders
    expected = {i: state.accounts[i] for i in (0, 1, 2)}
    state = members = None  # dropped: nothing below may read them
    shutil.rmtree(folders[0])
    shutil.rmtree(folders[1])

    root = rollup.state()["stateRoot"]
    token = rollup.token.functions
    for i in (1, 2, 0):
        got = rebuild(PayloadStore(folders[2]), i, bjj[i].secret, expected_root=root,
                      da_public_key=rollup.da_public_key)  # from the chain
        assert got.account == expected[i]
        equity = got.equity(TINY)
        witness = keys.exit_circuit.witness(got.exit_inputs(TINY))
        proof = proof_to_json(backend.prove(keys.exit_zkey, witness, secrets.randbelow(R), secrets.randbelow(R)))
        rollup.exit(i, l1[i], equity, proof, sender=l1[(i + 1) % 3])  # anyone may send it
        before = token.balanceOf(l1[i]).call()
        rollup.claim(i)
        assert token.balanceOf(l1[i]).call() - before == equity * UNIT
    assert token.balanceOf(rollup.rollup.address).call() == 5 * UNIT  # only the ignored deposit is left
