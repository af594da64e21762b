"""The memo of valid signatures (`sequencer.spec.verified`) and the pre-verification that
fills it (`sequencer.preverify`): the same answers as a full check, for valid, invalid and
malformed signatures, and nothing invalid is ever remembered."""
from __future__ import annotations

from dataclasses import replace

from circuits.crypto.eddsa import PrivateKey, Signature, verify_poseidon
from sequencer.preverify import Preverifier, signatures_of
from sequencer.signing import Signer
from sequencer.spec import TINY
from sequencer.spec import verified
from sequencer.spec.ops import Trade, Withdraw, message_hash
from sequencer.spec.state import Account

KEYS = [PrivateKey.from_seed(b"verified-%d" % i) for i in range(3)]


def _trade(nonce: int, signers=(1, 2)) -> Trade:
    t = Trade(market=0, size=1, price=1_000_000, buyer=1, seller=2, buyer_nonce=nonce, seller_nonce=nonce,
              expiry=100, fee=0)
    msg = message_hash(t, TINY.domain)
    return replace(t, buyer_signature=Signer.of(KEYS[signers[0]]).sign(msg),
                   seller_signature=Signer.of(KEYS[signers[1]]).sign(msg))


def _items(op):
    return [(op, TINY.domain, op.buyer_signature, KEYS[1].public_key),
            (op, TINY.domain, op.seller_signature, KEYS[2].public_key)]


def _full(items):
    return [verify_poseidon(message_hash(op, d), sig, pub) for op, d, sig, pub in items]


def test_check_many_and_signature_valid_answer_as_a_full_check_and_remember_only_valid():
    verified.clear()
    good, forged = _trade(1), _trade(2, signers=(1, 0))
    bad_s = replace(good, buyer_signature=Signature(good.buyer_signature.R8, good.buyer_signature.S + 1))
    w = Withdraw(account=1, amount=5, nonce=1, expiry=9)
    w = replace(w, signature=Signer.of(KEYS[1]).sign(message_hash(w, TINY.domain)))
    items = _items(good) + _items(forged) + _items(bad_s) + [(w, TINY.domain, w.signature, KEYS[1].public_key),
                                                             (good, TINY.domain, Signature((1, 2), 3), (4, 5)),
                                                             (good, TINY.domain, "junk", KEYS[1].public_key)]
    want = _full(items[:-1]) + [False]
    assert want == [True, True, True, False, False, True, True, False, False]
    assert verified.check_many(items) == want
    assert len(verified._valid) == 4  # the valid ones only (bad_s keeps good's seller signature)
    assert verified.check_many(items) == want  # from the memo
    assert [verified.signature_valid(op, d, s, p) for op, d, s, p in items[:-1]] == want[:-1]
    assert verified.op_message(good, TINY.domain) == message_hash(good, TINY.domain)
    verified.clear()
    assert [verified.signature_valid(op, d, s, p) for op, d, s, p in items[:-1]] == want[:-1]


def test_the_memo_is_bounded(monkeypatch):
    verified.clear()
    monkeypatch.setattr(verified, "LIMIT", 3)
    trades = [_trade(n) for n in range(1, 4)]
    assert verified.check_many([it for t in trades for it in _items(t)]) == [True] * 6
    assert len(verified._valid) == 3 and len(verified._hashes) == 3
    verified.clear()


def test_preverifier_fills_the_memo_for_what_admission_will_check():
    verified.clear()
    accounts = {i: Account.new(KEYS[i].public_key, 0xA000 + i, (0, 0), salt=i) for i in (1, 2)}
    good, forged = _trade(7), _trade(8, signers=(0, 2))
    pv = Preverifier(max_batch=3)
    try:
        futs = [pv.submit(signatures_of(op, accounts, TINY.domain)) for op in (good, forged)]
        for f in futs:
            f.result(timeout=30)
    finally:
        pv.close()
    assert len(signatures_of(replace(good, buyer=5), accounts, TINY.domain)) == 1
    assert len(verified._valid) == 3  # both of the good trade, the seller's of the forged one
    verified.clear()
