"""The batch circuit's signature check without S < l (`assert_eddsa_poseidon(canonical_s=False)`,
`ops._signature`): what it accepts is a valid signature, or the same one with S shifted by
multiples of l; every forgery the full check refuses it still refuses.

The batch proves that a signature EXISTS for each signed op (the signature is a private
witness, bound to nothing else), so accepting (R8, S + k l) proves what accepting (R8, S)
does: the same op, signed by the same key. The fixed-base multiplication S * Base8 must stay
exact for every 253-bit S for that to hold: the shifted signatures below land on the same
point, and a point off by one step does not.
"""
from __future__ import annotations

import pytest

from circuits.crypto.eddsa import PrivateKey, Signature, verify_poseidon
from circuits.dsl import Circuit
from circuits.dsl.compiled import ConstraintError
from circuits.gadgets.babyjub import SUBORDER
from circuits.gadgets.eddsa import assert_eddsa_poseidon

KEY = PrivateKey.from_seed(b"s-range")
OTHER = PrivateKey.from_seed(b"s-range-other")
MSG = 0x1234567890ABCDEF


def _circuit(canonical_s: bool):
    c = Circuit(f"eddsa_{canonical_s}")
    en, ax, ay, s, rx, ry, m = (c.private_input(k) for k in ("enabled", "Ax", "Ay", "S", "R8x", "R8y", "M"))
    assert_eddsa_poseidon(c, en, ax, ay, s, rx, ry, m, canonical_s=canonical_s)
    return c.compile()


@pytest.fixture(scope="module")
def loose():
    return _circuit(False)


@pytest.fixture(scope="module")
def strict():
    return _circuit(True)


def _inputs(pub, sig: Signature, s: int, msg: int = MSG) -> dict:
    return {"enabled": 1, "Ax": pub[0], "Ay": pub[1], "S": s, "R8x": sig.R8[0], "R8y": sig.R8[1], "M": msg}


def _accepts(cc, inputs: dict) -> bool:
    try:
        cc.witness(inputs)
        return True
    except ConstraintError:
        return False


def test_the_signature_and_its_shifts_by_l_pass_and_are_one_signature(loose, strict):
    sig = KEY.sign(MSG)
    pub = KEY.public_key
    assert verify_poseidon(MSG, sig, pub)
    for k in range(3):
        s = sig.S + k * SUBORDER
        assert s < 1 << 253
        assert _accepts(loose, _inputs(pub, sig, s))
        assert _accepts(strict, _inputs(pub, sig, s)) == (k == 0)  # the cut: S >= l passes now
        assert verify_poseidon(MSG, Signature(sig.R8, s % SUBORDER), pub)  # ... as the valid signature


@pytest.mark.parametrize("forgery", ["S + 1", "S - 1", "S + l + 1", "S + l - 1", "S + 2^252", "S + 2^253",
                                     "other key", "other message", "other R8"])
def test_a_forged_signature_has_no_witness(loose, forgery):
    """What a prover without the key can put there: every S that is not the signature's S mod l
    (off by one, or shifted by anything but a multiple of l, or past 253 bits), another key's
    signature, a signature of another message, another signature's R8."""
    sig, pub, msg = KEY.sign(MSG), KEY.public_key, MSG
    s = {"S + 1": sig.S + 1, "S - 1": sig.S - 1, "S + l + 1": sig.S + SUBORDER + 1,
         "S + l - 1": sig.S + SUBORDER - 1, "S + 2^252": sig.S + (1 << 252), "S + 2^253": sig.S + (1 << 253)}.get(forgery, sig.S)
    if forgery == "other key":
        sig = OTHER.sign(MSG)
        s = sig.S
    elif forgery == "other message":
        msg = MSG + 1
    elif forgery == "other R8":
        sig = Signature(KEY.sign(MSG + 1).R8, sig.S)
    assert not verify_poseidon(msg, Signature(sig.R8, s % SUBORDER), pub)
    assert not _accepts(loose, _inputs(pub, sig, s, msg))


def test_a_disabled_check_accepts_anything(loose):
    sig = KEY.sign(MSG)
    assert _accepts(loose, {**_inputs(KEY.public_key, sig, sig.S + 1), "enabled": 0})
