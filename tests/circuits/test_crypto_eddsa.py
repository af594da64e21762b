"""circuits.crypto.eddsa and blake512: against circomlibjs (signatures both ways, BLAKE-512
against the `blake-hash` package it uses) and crafted bad signatures."""
from __future__ import annotations

import random

import pytest
from crypto_oracle import circomlibjs, dec, needs_node, point
from hypothesis import given, settings, strategies as st

from circuits.crypto import babyjub
from circuits.crypto.blake512 import blake512
from circuits.crypto import eddsa
from circuits.crypto.eddsa import (PrivateKey, Signature, prv2pub, sign_poseidon, verify_poseidon,
                                    verify_poseidon_many, verify_poseidon_python)
from prover.field import R

KEY = PrivateKey.from_seed(b"test-crypto")
OTHER = PrivateKey.from_seed(b"test-crypto-other")
LOW = (0, R - 1)  # order 2


def test_blake512_known_vectors():
    """The BLAKE-512 paper's vectors (appendix: one zero byte; 144 zero bytes)."""
    assert blake512(b"\x00").hex() == (
        "97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4"
        "ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3")
    assert blake512(bytes(144)).hex() == (
        "313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f"
        "1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde")


@needs_node
def test_blake512_equals_blake_hash():
    rng = random.Random(512)
    # Around every padding boundary (111/112 bytes: the length no longer fits in the block).
    lengths = [0, 1, 3, 32, 55, 56, 63, 64, 110, 111, 112, 113, 127, 128, 129, 239, 240, 241, 255, 256, 300, 1000]
    msgs = [rng.randbytes(n) for n in lengths] + [bytes(112), b"\xff" * 128, bytes(240)]
    assert [blake512(m).hex() for m in msgs] == circomlibjs({"blake512": [m.hex() for m in msgs]})["blake512"]


@needs_node
def test_signatures_equal_circomlibjs_and_verify_both_ways():
    rng = random.Random(20261125)
    prvs = [rng.randbytes(32) for _ in range(5)] + [bytes(32), b"\xff" * 32]
    msgs = [rng.randrange(R) for _ in range(len(prvs) - 3)] + [0, 1, R - 1]
    ours = [sign_poseidon(prv, msg) for prv, msg in zip(prvs, msgs)]
    pubs = [prv2pub(prv) for prv in prvs]
    # Ours for circomlibjs to verify, with tampered ones it must refuse (one node run for all).
    cases = []
    for msg, sig, pub in zip(msgs, ours, pubs):
        cases += [(msg, sig, pub, True), ((msg + 1) % R, sig, pub, False),
                  (msg, Signature(sig.R8, (sig.S + 1) % babyjub.SUBORDER), pub, False),
                  (msg, sig, OTHER.public_key, False),
                  (msg, Signature(sig.R8, sig.S + babyjub.SUBORDER), pub, False)]
    theirs = circomlibjs({"sign": [{"prv": p.hex(), "msg": str(m)} for p, m in zip(prvs, msgs)],
                          "verify": [{"msg": str(m), "R8": dec(sig.R8), "S": str(sig.S), "A": dec(a)}
                                     for m, sig, a, _ in cases]})
    for prv, msg, sig, pub, their in zip(prvs, msgs, ours, pubs, theirs["sign"]):
        their_sig = Signature(point(their["R8"]), int(their["S"]))
        assert pub == PrivateKey(prv).public_key == point(their["A"])
        assert babyjub.pack_point(pub).hex() == their["packed"]
        assert sig == their_sig                      # deterministic: the same signature
        assert verify_poseidon(msg, their_sig, pub)  # theirs verifies in ours
    assert [verify_poseidon(m, sig, a) for m, sig, a, _ in cases] == [ok for *_, ok in cases]
    assert theirs["verify"] == [ok for *_, ok in cases]


@settings(max_examples=6, deadline=None)
@given(st.integers(0, R - 1))
def test_signature_soundness(msg):
    sig = KEY.sign(msg)
    pub = KEY.public_key
    assert verify_poseidon(msg, sig, pub)
    assert not verify_poseidon((msg + 1) % R, sig, pub)                                   # another message
    assert not verify_poseidon(msg, sig, OTHER.public_key)                                 # another key
    assert not verify_poseidon(msg, OTHER.sign(msg), pub)                                  # another signer
    assert not verify_poseidon(msg, Signature(sig.R8, sig.S + babyjub.SUBORDER), pub)     # S >= l, S + l
    assert not verify_poseidon(msg, Signature(sig.R8, (sig.S + 1) % babyjub.SUBORDER), pub)
    assert not verify_poseidon(msg, Signature((sig.R8[0], (sig.R8[1] + 1) % R), sig.S), pub)  # R8 off curve
    assert not verify_poseidon(msg, Signature(babyjub.neg(sig.R8), sig.S), pub)
    assert not verify_poseidon(msg, sig, (pub[0], (pub[1] + 1) % R))                       # A off curve
    assert not verify_poseidon(msg + R, sig, pub)                                          # msg not reduced


def test_malformed_signatures_are_refused_not_raised():
    sig = KEY.sign(7)
    pub = KEY.public_key
    for bad_sig in (Signature(None, sig.S), Signature(sig.R8, None), Signature((1,), sig.S),
                    Signature((sig.R8[0] + R, sig.R8[1]), sig.S), Signature(sig.R8, -1)):
        assert not verify_poseidon(7, bad_sig, pub)
    for bad_pub in (None, (1, 2), (pub[0] + R, pub[1]), "xy"):
        assert not verify_poseidon(7, sig, bad_pub)
    assert not verify_poseidon(-1, sig, pub)


def test_small_order_key_behaves_as_circomlibjs():
    """verify checks A on the curve only, as circomlibjs (callers registering keys check
    `in_subgroup`); 8 * hm * A ignores A's low-order part, but hm binds A, so a signature
    under A does not carry over to A + a low-order point."""
    sig = KEY.sign(9)
    shifted = babyjub.add(KEY.public_key, LOW)
    assert babyjub.in_curve(shifted) and not babyjub.in_subgroup(shifted)
    # The hash binds A, so the shifted key does not verify the same signature.
    assert not verify_poseidon(9, sig, shifted)


def test_private_key():
    assert PrivateKey.from_seed(b"a") == PrivateKey.from_seed(b"a") != PrivateKey.from_seed(b"b")
    assert len(KEY.secret) == 32 and babyjub.in_subgroup(KEY.public_key)
    assert KEY.secret.hex() not in repr(KEY)
    assert verify_poseidon(3, KEY.sign(3), KEY.public_key)
    with pytest.raises(ValueError):
        sign_poseidon(b"short", 1)
    with pytest.raises(ValueError):
        KEY.sign(R)


def test_without_the_native_extension_verify_falls_back_to_python(monkeypatch):
    sig = KEY.sign(11)
    items = [(11, sig, KEY.public_key), (12, sig, KEY.public_key), (11, None, KEY.public_key)]
    want = [verify_poseidon_python(*it) for it in items]
    assert want == [True, False, False]
    assert verify_poseidon_many(items) == want
    monkeypatch.setattr(eddsa, "_native", lambda: None)
    assert [verify_poseidon(*it) for it in items] == want
    assert verify_poseidon_many(items) == want
    assert verify_poseidon_many([]) == []
