"""SHA-256: equality with hashlib, the byte plumbing (be_bits, digest_to_field), soundness and cost."""
from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import registry
from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_rejects, assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets.bits import to_bits
from circuits.gadgets.sha256 import (be_bits, be_bits_of_bits, bytes_to_bits, digest_to_field, n_blocks,
                                     sha256_bits)
from prover.field import R

LENGTHS = (0, 1, 55, 56, 63, 64, 119, 251)  # block boundaries: 55 | 56 (padding spills), 119, tiny's 251


def _digest_bytes(bits) -> bytes:
    return int("".join(str(b) for b in bits), 2).to_bytes(32, "big")


def _hash_in_circuit(msg: bytes) -> bytes:
    cc = registry.build("sha256", nbytes=len(msg))
    w = assert_solves(cc, {"in": bytes_to_bits(msg)})
    return _digest_bytes(cc.outputs(w)["out"])


@pytest.mark.parametrize("nbytes", LENGTHS)
def test_matches_hashlib(nbytes):
    rng = random.Random(nbytes)
    for msg in (bytes(nbytes), b"\xff" * nbytes, bytes(rng.randrange(256) for _ in range(nbytes))):
        assert _hash_in_circuit(msg) == hashlib.sha256(msg).digest()


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_matches_hashlib_drawn(msg):
    assert _hash_in_circuit(msg) == hashlib.sha256(msg).digest()


def test_costs_against_circomlib():
    """One block 17.2k constraints (circomlib Sha256(256): 29,380); each further block of
    message 17.4k; a block of padding only ~12.8k: padding and the IV fold into constants."""
    one = registry.build("sha256", nbytes=55).n_constraints
    assert one == 17183 < 29380
    assert registry.build("sha256", nbytes=32).n_constraints == 16989
    assert registry.build("sha256", nbytes=64).n_constraints == 30123 < 59281
    assert registry.build("sha256", nbytes=119).n_constraints == 34629
    assert registry.build("sha256", nbytes=0).n_constraints == 256  # a constant digest: the 256 outputs
    assert n_blocks(55) == 1 and n_blocks(56) == 2 and n_blocks(251) == 5 and n_blocks(713) == 12


# --- soundness ---------------------------------------------------------------------------
def test_every_signal_is_pinned():
    """One block: changing any single wire (a sum bit, a carry, a maj, a Ch product, a digest
    bit) breaks a constraint."""
    cc = registry.build("sha256", nbytes=1)
    assert_tamper_breaks(cc, cc.witness({"in": bytes_to_bits(b"\xa5")}))


def _split_values(cc, inputs, name, n):
    """The honest values of the n hinted bits `name[0..n-1]` of one split."""
    w = cc.solve_signals(inputs, check=False)
    c = cc.circuit
    by_name = {c.signal_name(s): s for s in range(1, cc.n_signals)}
    return [w[by_name[f"{name}[{i}]"]] for i in range(n)]


def test_forged_digest_bit_is_rejected():
    """Flipping a digest bit alone breaks the feed-forward split: its top (carry) bit is
    substituted away at --O2, so the carry it implies is then no bit."""
    cc = registry.build("sha256", nbytes=1)
    inputs = {"in": bytes_to_bits(b"\x07")}
    assert not unsatisfied(cc.r1cs, forge_witness(cc, inputs, {}))
    for i in (0, 17, 31):
        bit = _split_values(cc, inputs, "sha256_bits/block0/feed_forward.h5", 32)[i]
        assert unsatisfied(cc.r1cs, forge_witness(cc, inputs, {f"feed_forward.h5[{i}]": 1 - bit}))


def test_forged_round_split_unbounded_carry_and_maj_are_rejected():
    """Another new `a` word (bit 0 flipped) with the difference moved into a carry keeps the
    sum equation; it fails only because the carry is then not a bit: carries are bounded."""
    cc = registry.build("sha256", nbytes=1)
    inputs = {"in": bytes_to_bits(b"\x07")}
    for key in ("round20.a", "round20.e", "round40.a"):
        bits = _split_values(cc, inputs, f"sha256_bits/block0/{key}", 34)
        for i in (0, 13, 32):
            assert unsatisfied(cc.r1cs, forge_witness(cc, inputs, {f"{key}[{i}]": 1 - bits[i]}))
        flipped = 1 - bits[0]
        carry = (bits[32] + (bits[0] - flipped) * pow(1 << 32, -1, R)) % R
        forged = forge_witness(cc, inputs, {f"{key}[0]": flipped, f"{key}[32]": carry})
        bad = unsatisfied(cc.r1cs, forged)
        assert len(bad) == 1  # the carry's booleanity, nothing else
        (a, b, c), = [cc.r1cs.constraints[i] for i in bad]
        assert not c and len(a) == 1 and a == {k: 1 for k in b if k}
    m = _split_values(cc, inputs, "sha256_bits/block0/round20/maj.maj", 32)
    for v in (1 - m[5], 2, R - 1):
        assert unsatisfied(cc.r1cs, forge_witness(cc, inputs, {"round20/maj.maj[5]": v}))
    s = _split_values(cc, inputs, "sha256_bits/block0/round30/S1.maj", 32)
    assert unsatisfied(cc.r1cs, forge_witness(cc, inputs, {"round30/S1.maj[9]": 1 - s[9]}))


# --- be_bits, digest_to_field --------------------------------------------------------------
def _be_circuit(nbytes):
    c = Circuit(f"be{nbytes}")
    c.output("out", be_bits(c, c.private_input("x"), nbytes))
    return c.compile()


@pytest.mark.parametrize("nbytes, x", [(1, 0xa5), (2, 0x1234), (8, (1 << 64) - 1), (32, R - 1), (32, 5)])
def test_be_bits(nbytes, x):
    cc = _be_circuit(nbytes)
    w = assert_solves(cc, {"x": x})
    assert cc.outputs(w)["out"] == bytes_to_bits(x.to_bytes(nbytes, "big"))


@pytest.mark.parametrize("nbytes, x", [(1, 256), (2, 1 << 16), (4, (1 << 32) + 7), (8, R - 1)])
def test_be_bits_rejects_values_too_wide(nbytes, x):
    assert_rejects(_be_circuit(nbytes), {"x": x}, match="be_bits/to_bits")


def test_be_bits_32_bytes_is_canonical():
    """x + r also fits 254 bits: the bits of 5 + r must be refused (else the message could
    carry a root the verifier cannot take as an input)."""
    cc = _be_circuit(32)
    alias = 5 + R
    over = {f"num2bits_strict/to_bits.bits[{i}]": (alias >> i) & 1 for i in range(254)}
    assert unsatisfied(cc.r1cs, forge_witness(cc, {"x": 5}, over))


def test_be_bits_of_bits():
    c = Circuit("bb")
    x = c.private_input("x")
    c.output("out", be_bits_of_bits(to_bits(c, x, 20), 3))
    cc = c.compile()
    assert cc.outputs(cc.witness({"x": 0xabcde}))["out"] == bytes_to_bits((0xabcde).to_bytes(3, "big"))
    with pytest.raises(ValueError):
        be_bits_of_bits([0] * 17, 2)


def test_digest_to_field_is_the_batch_public_input():
    """The tiny preset's 251-byte batch message: the circuit's digest_to_field is
    sequencer.spec.public.message_digest (sha256 >> 3)."""
    from sequencer.spec.public import message_digest

    msg = bytes(random.Random(3).randrange(256) for _ in range(251))
    c = Circuit("digest")
    c.output("digest", digest_to_field(c, sha256_bits(c, c.private_input("in", 8 * len(msg)))))
    cc = c.compile()
    d = cc.outputs(assert_solves(cc, {"in": bytes_to_bits(msg)}))["digest"]
    assert d == message_digest(msg) == int.from_bytes(hashlib.sha256(msg).digest(), "big") >> 3


def test_argument_errors():
    c = Circuit()
    with pytest.raises(ValueError, match="whole number of bytes"):
        sha256_bits(c, [0] * 7)
    with pytest.raises(ValueError, match="below the field modulus"):
        digest_to_field(c, [0] * 256, shift=2)
    with pytest.raises(ValueError):
        be_bits(c, 1, 0)
