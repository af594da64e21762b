"""circuits.crypto.babyjub: group laws, subgroup checks, and arithmetic and point packing
against circomlibjs's babyjub."""
from __future__ import annotations

import random

from crypto_oracle import circomlibjs, dec, needs_node, point
from hypothesis import given, settings, strategies as st

from circuits.crypto import babyjub
from circuits.crypto.babyjub import BASE8, GENERATOR, IDENTITY, SUBORDER, add, in_curve, in_subgroup, mul, neg
from prover.field import R

scalars = st.one_of(st.sampled_from([0, 1, 2, SUBORDER - 1, SUBORDER, SUBORDER + 1]), st.integers(0, 2**253))
LOW = (0, R - 1)  # the point of order 2


def naive_mul(p, k):
    """k * p by affine double-and-add, independent of the extended-coordinate path."""
    acc = IDENTITY
    while k:
        if k & 1:
            acc = add(acc, p)
        p, k = add(p, p), k >> 1
    return acc


def test_constants():
    assert babyjub.ORDER == 8 * SUBORDER
    assert in_curve(GENERATOR) and in_curve(BASE8)
    assert mul(GENERATOR, 8) == BASE8
    assert mul(BASE8, SUBORDER) == IDENTITY and mul(BASE8, SUBORDER - 1) == neg(BASE8)
    assert mul(GENERATOR, babyjub.ORDER) == IDENTITY and mul(GENERATOR, SUBORDER) != IDENTITY


@settings(max_examples=15, deadline=None)
@given(scalars, scalars, scalars)
def test_group_laws(a, b, c):
    p, q, s = mul(BASE8, a), mul(BASE8, b), mul(GENERATOR, c)
    assert in_curve(add(p, s)) and in_subgroup(p)
    assert add(p, q) == add(q, p) == mul(BASE8, a + b)
    assert add(add(p, q), s) == add(p, add(q, s))
    assert add(p, IDENTITY) == p and add(p, neg(p)) == IDENTITY
    assert mul(s, a % 2**40) == naive_mul(s, a % 2**40)
    assert mul(p, -b) == neg(mul(p, b))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**70))
def test_extended_mul_equals_affine(k):
    assert mul(GENERATOR, k) == naive_mul(GENERATOR, k)


def test_subgroup_membership():
    assert not in_subgroup(GENERATOR)  # order 8 l
    assert in_curve(LOW) and not in_subgroup(LOW) and mul(LOW, 2) == IDENTITY
    assert in_subgroup(IDENTITY)
    assert in_subgroup(mul(BASE8, 12345)) and not in_subgroup(add(mul(BASE8, 12345), LOW))


def test_in_curve_refuses():
    x, y = BASE8
    for bad in [(1, 1), (x, (y + 1) % R), (x + R, y), (x, y + R), (-x, y), (x,), "ab", None, (x, y, 1)]:
        assert not in_curve(bad), bad


def test_pack_round_trip_and_refusals():
    p = mul(BASE8, 77)
    for q in (p, neg(p), BASE8, GENERATOR, add(p, LOW)):
        assert babyjub.unpack_point(babyjub.pack_point(q)) == q
    assert babyjub.unpack_point(b"\x00" * 31) is None                 # wrong length
    for q in (IDENTITY, LOW):                                          # x = 0, refused as circomlibjs
        assert babyjub.unpack_point(babyjub.pack_point(q)) is None
    assert babyjub.unpack_point(R.to_bytes(32, "little")) is None     # y >= p: non-canonical


@needs_node
def test_arithmetic_and_packing_equal_circomlibjs():
    rng = random.Random(8)
    ks = [0, 1, 2, SUBORDER - 1, SUBORDER] + [rng.randrange(SUBORDER) for _ in range(8)]
    points = [mul(BASE8, k) for k in ks]
    points += [neg(p) for p in points[2:]] + [GENERATOR, LOW, add(points[5], LOW)]
    pairs = [(points[i], points[-1 - i]) for i in range(len(points))] + [(GENERATOR, LOW), (LOW, LOW)]
    buffers = [babyjub.pack_point(p).hex() for p in points]
    junk = [rng.randbytes(32).hex() for _ in range(24)]  # some points, some not, some y >= p
    theirs = circomlibjs({"mul_base8": dec(ks), "pack": [dec(p) for p in points], "unpack": buffers + junk,
                          "add": [[dec(p), dec(q)] for p, q in pairs]})
    assert [mul(BASE8, k) for k in ks] == [point(p) for p in theirs["mul_base8"]]
    assert [add(p, q) for p, q in pairs] == [point(p) for p in theirs["add"]]
    assert buffers == theirs["pack"]
    for buf, their in zip(buffers + junk, theirs["unpack"]):
        ours = babyjub.unpack_point(bytes.fromhex(buf))
        if int.from_bytes(bytes.fromhex(buf), "little") & ((1 << 255) - 1) >= R:
            assert ours is None  # non-canonical y: circomlibjs reduces it mod p, we refuse it
        else:
            assert ours == (None if their is None else point(their))
