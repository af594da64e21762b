"""prover._native's EdDSA-Poseidon (eddsa_poseidon_verify, _many) against the Python
reference circuits.crypto.eddsa.verify_poseidon_python: the same answer on valid signatures
and on every kind of invalid input, including the points outside the prime-order subgroup
that the reference accepts (a key with a low-order part, a low-order key)."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from circuits.crypto import babyjub, eddsa
from circuits.crypto.blake512 import blake512
from circuits.crypto.eddsa import PrivateKey, Signature, verify_poseidon, verify_poseidon_many, verify_poseidon_python
from circuits.crypto.poseidon import poseidon_hash
from prover.field import R

native = pytest.importorskip("prover._native")
if eddsa._native() is None:
    pytest.skip("prover._native has no EdDSA (rebuild the extension)", allow_module_level=True)

L = babyjub.SUBORDER
KEY = PrivateKey.from_seed(b"native-eddsa")
OTHER = PrivateKey.from_seed(b"native-eddsa-other")


def _torsion():
    """A point of order 8 (the curve's torsion: l * a random curve point has order | 8)."""
    rng = random.Random(8)
    while True:
        p = babyjub.unpack_point(rng.randbytes(32))
        if p is None:
            continue
        t = babyjub.mul(p, L)
        if babyjub.mul(t, 4) != babyjub.IDENTITY:
            return t


T8 = _torsion()
T2 = (0, R - 1)
T4 = babyjub.mul(T8, 2)
assert babyjub.mul(T8, 8) == babyjub.IDENTITY and babyjub.mul(T4, 2) == T2


def sign_for(prv: bytes, msg: int, pub) -> Signature:
    """circomlibjs's signPoseidon, but hashing the given public key instead of the true one:
    for pub = A + (a low-order point) the signature verifies under pub (8*H kills the
    low-order part), so the reference's True on points outside the subgroup gets tested."""
    h = blake512(prv)
    s = int.from_bytes(eddsa._prune(h[:32]), "little")
    r = int.from_bytes(blake512(h[32:64] + msg.to_bytes(32, "little")), "little") % L
    r8 = babyjub.mul(babyjub.BASE8, r)
    hm = poseidon_hash([r8[0], r8[1], pub[0], pub[1], msg])
    return Signature(r8, (r + hm * s) % L)


def same(msg, sig, pub) -> bool:
    """Native (single, and the raw call) == the reference; returns the answer."""
    want = verify_poseidon_python(msg, sig, pub)
    assert verify_poseidon(msg, sig, pub) is want, (msg, sig, pub)
    return want


def mutations(msg: int, sig: Signature, pub, key: PrivateKey):
    """(name, msg, sig, pub): the valid signature and every kind of invalid one."""
    (rx, ry), (ax, ay), s = sig.R8, pub, sig.S
    shifted = babyjub.add(pub, T8)
    cases = [
        ("valid", msg, sig, pub),
        ("msg + 1", (msg + 1) % R, sig, pub),
        ("msg + r", msg + R, sig, pub),
        ("msg = r", R, sig, pub),
        ("msg < 0", -1, sig, pub),
        ("another key", msg, sig, OTHER.public_key),
        ("another signer", msg, OTHER.sign(msg), pub),
        ("S + 1", msg, Signature(sig.R8, (s + 1) % L), pub),
        ("S + l", msg, Signature(sig.R8, s + L), pub),
        ("S = l", msg, Signature(sig.R8, L), pub),
        ("S = r", msg, Signature(sig.R8, R), pub),
        ("S = 2^256 - 1", msg, Signature(sig.R8, (1 << 256) - 1), pub),
        ("S = 2^256", msg, Signature(sig.R8, 1 << 256), pub),
        ("S = 0", msg, Signature(sig.R8, 0), pub),
        ("S < 0", msg, Signature(sig.R8, -1), pub),
        ("R8 off curve", msg, Signature((rx, (ry + 1) % R), s), pub),
        ("R8 negated", msg, Signature(babyjub.neg(sig.R8), s), pub),
        ("R8 + order 2", msg, Signature(babyjub.add(sig.R8, T2), s), pub),
        ("R8 + order 8", msg, Signature(babyjub.add(sig.R8, T8), s), pub),
        ("R8 order 4", msg, Signature(T4, s), pub),
        ("R8 x + r", msg, Signature((rx + R, ry), s), pub),
        ("R8 y + r", msg, Signature((rx, ry + R), s), pub),
        ("R8 swapped", msg, Signature((ry, rx), s), pub),
        ("R8 (0, 0)", msg, Signature((0, 0), s), pub),
        ("R8 identity", msg, Signature(babyjub.IDENTITY, s), pub),
        ("A off curve", msg, sig, (ax, (ay + 1) % R)),
        ("A negated", msg, sig, babyjub.neg(pub)),
        ("A x + r", msg, sig, (ax + R, ay)),
        ("A swapped", msg, sig, (ay, ax)),
        ("A (0, 0)", msg, sig, (0, 0)),
        ("A identity", msg, sig, babyjub.IDENTITY),
        ("A order 2", msg, sig, T2),
        ("A + order 8", msg, sig, shifted),
        # True in the reference: a key with a low-order part, signed over that key ...
        ("A + order 8, signed for it", msg, sign_for(key.secret, msg, shifted), shifted),
        ("A + order 4, signed for it", msg, sign_for(key.secret, msg, babyjub.add(pub, T4)), babyjub.add(pub, T4)),
        # ... and low-order keys, for which R8 = S * Base8 verifies any message.
        ("A order 2, R8 = S*B8", msg, Signature(babyjub.mul(babyjub.BASE8, s), s), T2),
        ("A identity, R8 = S*B8", msg, Signature(babyjub.mul(babyjub.BASE8, s), s), babyjub.IDENTITY),
        ("A order 8, R8 = S*B8", msg, Signature(babyjub.mul(babyjub.BASE8, s), s), T8),
        ("A order 8, R8 = S*B8 + T8", msg, Signature(babyjub.add(babyjub.mul(babyjub.BASE8, s), T8), s), T8),
        # malformed shapes: False, never an exception
        ("R8 None", msg, Signature(None, s), pub),
        ("S None", msg, Signature(sig.R8, None), pub),
        ("R8 one coordinate", msg, Signature((rx,), s), pub),
        ("R8 three coordinates", msg, Signature((rx, ry, 0), s), pub),
        ("pub None", msg, sig, None),
        ("pub a string", msg, sig, "xy"),
        ("msg a string", str(msg), sig, pub),
    ]
    return cases


EXPECTED_TRUE = {"valid", "A + order 8, signed for it", "A + order 4, signed for it", "A order 2, R8 = S*B8",
                 "A identity, R8 = S*B8", "A order 8, R8 = S*B8"}


def test_every_kind_of_input_matches_the_reference():
    msg = 0x1234567890ABCDEF
    cases = mutations(msg, KEY.sign(msg), KEY.public_key, KEY)
    answers = {name: same(m, sig, pub) for name, m, sig, pub in cases}
    assert {name for name, ok in answers.items() if ok} == EXPECTED_TRUE
    # The batch gives the same answers, in order, for the whole mixed list.
    assert verify_poseidon_many([c[1:] for c in cases]) == [answers[c[0]] for c in cases]


@settings(max_examples=12, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.one_of(st.sampled_from([0, 1, R - 1]), st.integers(0, R - 1)),
       st.data())
def test_drawn_signatures_match_the_reference(prv, msg, data):
    key = PrivateKey(prv)
    sig = key.sign(msg)
    assert same(msg, sig, key.public_key)
    name, m, s, pub = data.draw(st.sampled_from(mutations(msg, sig, key.public_key, key)), label="case")
    same(m, s, pub)


def row(msg, sig, pub) -> bytes:
    return b"".join(v.to_bytes(32, "little") for v in (msg, *pub, *sig.R8, sig.S))


def test_raw_calls_and_batch():
    sigs = [(m, k.sign(m), k.public_key) for k in (KEY, OTHER) for m in (0, 5, R - 1)]
    rows = [row(*c) for c in sigs] + [row(m + 1, sig, pub) for m, sig, pub in sigs[:3]]
    single = [native.eddsa_poseidon_verify(r[:32], r[32:96], r[96:160], r[160:]) for r in rows]
    assert single == [True] * 6 + [False] * 3
    assert native.eddsa_poseidon_verify_many(b"".join(rows)) == bytes(single)
    assert native.eddsa_poseidon_verify_many(b"") == b""
    # Keyword names as the stub has them.
    r = rows[0]
    assert native.eddsa_poseidon_verify(msg=r[:32], pub=r[32:96], r8=r[96:160], s=r[160:])
    # Values that do not fit the field: False, not ValueError.
    for at in (0, 32, 64, 96, 128):
        bad = r[:at] + R.to_bytes(32, "little") + r[at + 32:]
        assert not native.eddsa_poseidon_verify(bad[:32], bad[32:96], bad[96:160], bad[160:])
    assert not native.eddsa_poseidon_verify(r[:32], r[32:96], r[96:160], b"\xff" * 32)
    # Wrong lengths raise.
    with pytest.raises(ValueError):
        native.eddsa_poseidon_verify(r[:31], r[32:96], r[96:160], r[160:])
    with pytest.raises(ValueError):
        native.eddsa_poseidon_verify(r[:32], r[32:96], r[96:160], r[160:] + b"\0")
    with pytest.raises(ValueError):
        native.eddsa_poseidon_verify_many(r[:191])


def test_batch_of_many_equals_singles():
    rng = random.Random(6)
    keys = [KEY, OTHER]
    items = []
    for i in range(200):
        k = keys[i % 2]
        m = rng.randrange(R)
        sig = k.sign(m) if i < 20 else items[i % 20][1]  # later rows reuse signatures, mostly wrongly
        items.append((m if i < 20 or i % 3 else items[i % 20][0], sig, keys[(i // 2) % 2].public_key))
    got = verify_poseidon_many(items)
    assert got == [verify_poseidon(*it) for it in items]
    assert any(got) and not all(got)
    assert verify_poseidon_many([]) == []
