"""Issue 11 on chain: after a freeze, Rollup.sol pays an exit whose equity includes option values
(TINY_OPTIONS, eth-tester), with a real exit proof.

The spec settles batches of an options preset: accounts register and deposit on L1, the
committee's figures list a call (strike 58,000, expiring in two days) and a put, accounts
trade them and a perpetual, then the call expires in the money and the batch records its
settlement price; account 2 (short both, long the perpetual) is not written after that, so it
holds the settled call unclosed and the live put. Then a deposit the sequencer ignores freezes
the contract; account 2 proves its exit with the TINY_OPTIONS exit circuit and is paid its
collateral + the perpetual's P&L - 1000 x the call's intrinsic value - 500 x the put's last mark.

The oracle is Oracle.sol with options: each round carries the committee's figures (the
clock, vols, listings, settlements and their commitment, signed by bigQuorum), and the Rollup
takes a batch only with that round's figures root; the spec's figures follow the chain's clock
(the call's expiry is two days of time travel away).

Every batch is proven by the TINY_OPTIONS batch circuit (`sequencer.proving.BatchProver`,
development key) and verified by Rollup.sol's batch verifier: registrations and deposits,
option trades and a perpetual hedge after the builder's touches, then the expiry batch that
records the call's settlement price. The exit proof is the TINY_OPTIONS exit circuit's."""
from __future__ import annotations

import copy
import secrets
from dataclasses import replace

import pytest

from circuits.crypto.eddsa import PrivateKey
from circuits import registry
from circuits.settlement.exit import exit_equity, exit_inputs, exit_public
from prover.backends import get_backend
from prover.field import R
from prover.formats.snarkjs_json import proof_to_json, vk_to_json
from prover.formats.zkey import read_zkey
from prover.groth16.setup import ToxicWaste
from sequencer.spec import Batch, Deposit, Register, State, Trade, build_batch, message_hash, process_batch
from sequencer.spec import cross_margin as xm
from sequencer.spec import options as opt
from sequencer.spec.constants import TINY_OPTIONS as P
from sequencer.spec.ops import OptionTrade
from verifier_contracts.oracle import DevCommittee, Figures, pack_listing, pack_settlement
from verifier_contracts.rollup import RollupClient

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("node_tools", "native")]

PRICES = (60_000, 1000)
STEP = P.markets[0].price_step
DEADLINE, INTERVAL = 40, 10


def figures(rnd: int, t: int, listings=(), settlements=()) -> opt.OptionFigures:
    return opt.OptionFigures(round=rnd, timestamp=t, prices=PRICES, vols=(6000, 0), listings=tuple(listings),
                             settlements=tuple(settlements))


def post_round(committee, state, listings=(), settlements=()) -> opt.OptionFigures:
    """The committee posts the next round at PRICES with its options figures, dated by the
    chain's clock; their root is the commitment over the book as the round leaves it (the
    spec's `process_figures` on a copy of the state). Returns the spec's figures of the round."""
    out = []

    def statement(rid: int, ts: int) -> Figures:
        fig = figures(rid, ts, listings, settlements)
        after = copy.copy(state)  # process_figures replaces `options`, never mutates the book
        opt.process_figures(after, Batch(state.batch_number + 1, rid, PRICES, (), fig))
        out.append(fig)
        return Figures(rid, ts, PRICES, fig.vols, tuple(pack_listing(*s.fields()) for s in listings),
                       tuple(pack_settlement(sid, g) for sid, g in settlements), opt.figures_root(after))

    committee.post_round(list(PRICES), list(state.funding), figures=statement)
    return out[0]


def test_options_batches_settle_with_real_proofs_and_an_exit_pays_option_values(embedded_chain, tiny_options_prover):
    chain, backend = embedded_chain, get_backend("native")
    prover = tiny_options_prover
    l1 = chain.w3.eth.accounts
    bjj = [PrivateKey.from_seed(b"zkclear-option-exit-%d" % i) for i in range(4)]
    exit_cc = registry.build("exit", preset=P.name)
    exit_zkey = backend.setup(exit_cc.r1cs, ToxicWaste.random())
    exit_vk = read_zkey(exit_zkey).verifying_key()

    state = State.genesis(P, bjj[0].public_key, int(l1[0], 16), PRICES)
    committee = DevCommittee.from_seed("zkclear-option-exit")
    oracle = committee.deploy(chain, P.num_markets, [mk.price_step for mk in P.markets], options=True)
    rollup = RollupClient.deploy(chain, prover.vk_json(), vk_to_json(exit_vk),
                                 markets=P.num_markets, slots=P, genesis_root=state.root(), insurance_owner=l1[0],
                                 deadline_blocks=DEADLINE, batch_interval_blocks=INTERVAL, unit_scale=1,
                                 oracle=oracle.address, committee=committee)
    token = rollup.token.functions
    t0 = oracle.now()
    call = opt.Series(0, True, 58_000, t0 + 2 * 86400)  # series 1
    put = opt.Series(0, False, 55_000, t0 + 30 * 86400)  # series 2

    def settle(cut, listings=(), settlements=()) -> None:
        fig = post_round(committee, state, listings, settlements)
        record = process_batch(state, cut(fig))
        assert record.public.figures_root != 0
        proved = prover.prove(record)
        assert proved.verified and proved.digest == record.digest
        rollup.submit_batch(record.public, proved.proof)
        assert rollup.state()["stateRoot"] == state.root()

    def signed(op):
        msg = message_hash(op, P.domain)
        return replace(op, buyer_signature=bjj[op.buyer].sign(msg), seller_signature=bjj[op.seller].sign(msg))

    # batches 1-2: three institutions register and deposit (two registration slots a batch);
    # batch 1's figures list the series
    for n, group in enumerate(((1, 2), (3,))):
        registers, deposits = [], []  # a batch's ops grouped by kind in the circuit's order
        for i in group:
            k = rollup.queues()["registrationCount"]
            assert rollup.register(bjj[i].public_key, sender=l1[i]) == i
            rollup.mint(l1[i], 10**11)
            index = rollup.deposit(i, 10**11, sender=l1[i])
            registers.append(Register(k, bjj[i].public_key, int(l1[i], 16)))
            deposits.append(Deposit(index, i, 10**11))
        settle(lambda fig, ops=tuple(registers + deposits): Batch(state.batch_number + 1, fig.round, PRICES, ops, fig),
               listings=(call, put) if n == 0 else ())
    pool = 3 * 10**11
    # batch 3: option trades at about the marks and a perpetual hedge (the builder touches first)
    marks = {sid: figures(0, oracle.now()).current_row(s, STEP)[0] for sid, s in ((1, call), (2, put))}
    trades = [signed(OptionTrade(1, 1000, marks[1], 1, 2, 1, 1, 100, 0)),
              signed(OptionTrade(2, 500, marks[2], 3, 2, 1, 2, 100, 0)),
              signed(Trade(0, 300, PRICES[0] * STEP, 2, 3, 3, 2, 100, 0))]

    def cut(fig, ops=()):
        built = build_batch(state, list(ops), PRICES, oracle_round=fig.round, options=fig)
        assert not built.refused, built.refused
        return built.batch

    settle(lambda fig: cut(fig, trades))
    assert dict(state.accounts[2].option_slots) == {1: -1000, 2: -500}
    # batch 4: two days later, past the call's expiry: the round records its settlement price
    # (in the money by 2,000 steps)
    chain.w3.provider.ethereum_tester.time_travel(call.expiry + 5)
    settle(cut, settlements=((1, PRICES[0]),))
    book = state.options
    assert book.settled == {1: PRICES[0]} and dict(state.accounts[2].option_slots) == {1: -1000, 2: -500}

    # the sequencer stops: an ignored deposit freezes the contract
    rollup.mint(l1[1], 5)
    rollup.deposit(1, 5, sender=l1[1])
    for _ in range(DEADLINE + 1):
        chain.w3.provider.make_request("evm_mine", [])
    rollup.freeze(sender=l1[3])

    # every account's exit equity is >= 0 and they sum to the pool the contract holds
    equities = {i: exit_equity(state, i) for i in state.accounts}
    assert all(e >= 0 for e in equities.values()) and sum(equities.values()) == pool
    assert equities == {i: xm.total_value(state, a) for i, a in state.accounts.items()}
    # account 2's equity: collateral + perpetual P&L - the settled call's intrinsic - the put's last mark
    a = state.accounts[2]
    put_mark = book.figures.current_row(put, STEP)[0]
    perp = a.positions[0] * PRICES[0] * STEP - a.positions[0] * (state.funding[0] - a.snapshots[0])
    options = -1000 * (PRICES[0] - call.strike) * STEP - 500 * put_mark
    assert put_mark > 0 and equities[2] == a.collateral + perp + options

    witness = exit_cc.witness(exit_inputs(state, 2))
    assert exit_cc.public_signals(witness) == exit_public(state, 2)
    proof = backend.prove(exit_zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
    assert backend.verify(exit_vk, exit_public(state, 2), proof)
    rollup.exit(2, l1[2], equities[2], proof_to_json(proof), sender=l1[1])  # anyone may send it
    before = token.balanceOf(l1[2]).call()
    rollup.claim(2)
    assert token.balanceOf(l1[2]).call() - before == equities[2]
    assert token.balanceOf(rollup.rollup.address).call() == pool - equities[2] + 5
