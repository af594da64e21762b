"""The nonce window gadget (circuits/settlement/nonce.py) against `spec.ops.use_nonce`: every
case of the window (fresh by 1, by 63, 64, 65 and far above; inside the window used and unused;
at its edge; too old) gives the spec's (nonce_hi', bitmap') or, where the spec refuses the
nonce, no witness; a disabled slot accepts anything; every wire past the
inputs is pinned (a prover cannot pick another bitmap or another verdict)."""
from __future__ import annotations

import pytest

from circuits.dsl import Circuit
from circuits.dsl.compiled import ConstraintError
from circuits.dsl.testing import assert_solves, assert_tamper_breaks
from circuits.settlement.nonce import use_nonce
from sequencer.spec.constants import NONCE_BITS
from sequencer.spec.ops import use_nonce as spec_use_nonce

TOP = (1 << NONCE_BITS) - 1
FULL = (1 << 64) - 1
# (nonce_hi, bitmap, n): fresh and stale, at the window's edges and around them
CASES = [(0, 0, 0), (0, 0, 1), (5, 0b1011, 6), (5, 0b1011, 68), (5, 0b1011, 69), (5, 0b1011, 70),
         (5, FULL, 5 + 63), (5, FULL, 5 + 64), (5, FULL, 5 + 65), (5, 1 << 63 | 1, 9), (0, 0, TOP),
         (TOP - 3, FULL ^ (1 << 2), TOP), (1000, 0b1011, 1000), (1000, 0b1011, 999), (1000, 0b1011, 998),
         (1000, 0b1011, 997), (1000, 1 << 63, 1000 - 63), (1000, FULL ^ (1 << 63), 1000 - 63),
         (1000, 0, 1000 - 64), (1000, 0, 1000 - 65), (1000, 0, 0), (TOP, FULL ^ 1, TOP), (TOP, 0, 0),
         (TOP, FULL ^ (1 << 17), TOP - 17), (70, 1 << 5, 65)]


@pytest.fixture(scope="module")
def cc():
    c = Circuit("use_nonce")
    en, hi, bm, n = (c.private_input(k) for k in ("en", "hi", "bm", "n"))
    new_hi, new_bm = use_nonce(c, en, hi, bm, n)
    c.output("new_hi", new_hi)
    c.output("new_bm", new_bm)
    return c.compile()


@pytest.mark.parametrize("hi,bm,n", CASES)
def test_the_gadget_is_the_spec(cc, hi, bm, n):
    inputs = {"en": 1, "hi": hi, "bm": bm, "n": n}
    want = spec_use_nonce(hi, bm, n)
    if want is None:
        with pytest.raises(ConstraintError):
            cc.witness(inputs)
        return
    w = assert_solves(cc, inputs)
    out = cc.outputs(w)
    assert (out["new_hi"], out["new_bm"]) == want


def test_out_of_range_nonces_are_refused(cc):
    for n in (1 << NONCE_BITS, (1 << NONCE_BITS) + 70, -1, -64):
        with pytest.raises(ConstraintError):
            cc.witness({"en": 1, "hi": 70, "bm": 0, "n": n})


def test_a_disabled_slot_accepts_anything(cc):
    """(Its write is disabled too: what it returns is never stored.)"""
    for hi, bm, n in [(1000, 0b1011, 999), (1000, 0, 0), (7, 3, 1 << 70), (1 << 80, 1 << 90, 5)]:
        assert_solves(cc, {"en": 0, "hi": hi, "bm": bm, "n": n})


@pytest.mark.parametrize("hi,bm,n", [(5, 0b1011, 9), (5, FULL, 5 + 64), (1000, 0b1011, 998), (1000, 1 << 62, 937)])
def test_every_wire_is_pinned(cc, hi, bm, n):
    w = assert_solves(cc, {"en": 1, "hi": hi, "bm": bm, "n": n})
    assert_tamper_breaks(cc, w, free=("is_zero.inv",))
