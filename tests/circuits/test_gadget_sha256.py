"""SHA-256: equality with hashlib, the byte plumbing (be_bits, digest_to_field), soundness and cost."""
from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import registry
from circuits.dsl import LC, Circuit, unsatisfied
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
    """A tiny-preset batch message (379 bytes): digest_to_field of the circuit's digest bits is
    sequencer.spec.public.batch_digest (sha256 >> 3)."""
    from sequencer.spec.constants import PRESETS
    from sequencer.spec.public import BatchPublic, batch_digest, batch_message

    preset = PRESETS["tiny"]
    m = preset.num_markets
    pub = BatchPublic(old_root=R - 1, new_root=123456789, batch_number=7, oracle_round=3,
                      prices=tuple(range(100, 100 + m)), funding=tuple(range(-m, 0)),
                      registration_from=0, registration_to=1, registrations=((R - 2, 5, (1 << 160) - 1),),
                      deposit_from=4, deposit_to=5, deposits=((1, 10 ** 6, 1),), da_commitment=R - 3)
    msg = batch_message(pub, preset)
    assert len(msg) == 379
    cc = registry.build("sha256", nbytes=len(msg))
    bits = cc.outputs(assert_solves(cc, {"in": bytes_to_bits(msg)}))["out"]
    c = Circuit()
    d = digest_to_field(c, [LC.of(b) for b in bits])  # linear: evaluated on the solved bits
    assert c.n_constraints == 0 and d.is_constant()
    expected = int.from_bytes(hashlib.sha256(msg).digest(), "big") >> 3
    assert d.constant_value() == batch_digest(pub, preset) == expected
    # and as a circuit output, over signals
    c = Circuit("digest")
    c.output("digest", digest_to_field(c, c.private_input("bits", 256)))
    dc = c.compile()
    assert dc.outputs(dc.witness({"bits": bits}))["digest"] == batch_digest(pub, preset)


def test_argument_errors():
    c = Circuit()
    with pytest.raises(ValueError, match="whole number of bytes"):
        sha256_bits(c, [0] * 7)
    with pytest.raises(ValueError, match="below the field modulus"):
        digest_to_field(c, [0] * 256, shift=2)
    with pytest.raises(ValueError):
        be_bits(c, 1, 0)
