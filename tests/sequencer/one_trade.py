"""A one-trade batch record for the proving tests: genesis, two institutions registered and
funded through the L1 queues, one co-signed trade; the batch builder touches both accounts
so that their boxes hold the new positions."""
from __future__ import annotations

from dataclasses import replace

from circuits.crypto.eddsa import PrivateKey
from sequencer.spec import TINY, Deposit, Register, State, Trade, build_batch, message_hash, process_batch, process_op


def one_trade_record():
    """The spec's BatchRecord of that batch (batch 1 at ladder prices 1000, 1000)."""
    keys = {i: PrivateKey.from_seed(b"zkclear-demo-institution-%d" % i) for i in range(3)}
    base = 0xD3110000000000000000000000000000000000
    state = State.genesis(TINY, keys[0].public_key, base, (1000, 1000))
    for i in (1, 2):  # the L1 registration and deposit queues' entries, consumed in order
        reg = Register(index=state.registration_index, pubkey=keys[i].public_key, l1_address=base + i)
        process_op(state, reg)
        process_op(state, Deposit(index=state.deposit_index, account=reg.account, amount=50_000_000_000))
    trade = Trade(market=0, size=10, price=1_000_000, buyer=1, seller=2, buyer_nonce=1, seller_nonce=1,
                  expiry=100, fee=1_000)
    msg = message_hash(trade, TINY.domain)
    trade = replace(trade, buyer_signature=keys[1].sign(msg), seller_signature=keys[2].sign(msg))
    built = build_batch(state, [trade], prices=(1000, 1000), oracle_round=1)
    assert not built.refused, built.refused
    return process_batch(state, built.batch)
