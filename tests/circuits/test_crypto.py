"""circuits.crypto against circomlibjs (run under node) and against itself."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from circuits.crypto import babyjub
from circuits.crypto.eddsa import PrivateKey, Signature, sign_poseidon, verify_poseidon
from circuits.crypto.merkle import MerkleTree, verify_proof
from circuits.crypto.poseidon import poseidon_hash, poseidon_hash_many, poseidon_hash_python
from prover.field import R

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / "tests" / "js" / "circomlibjs_oracle.js"
needs_node = pytest.mark.skipif(not (REPO / "node_modules" / "circomlibjs").exists() or not shutil.which("node"),
                                reason="node tools not installed (make setup)")


def circomlibjs(job: dict) -> dict:
    done = subprocess.run(["node", str(ORACLE)], input=json.dumps(job), capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def vectors():
    rng = random.Random(20261125)
    poseidon_cases = [[rng.randrange(R) for _ in range(n)] for n in range(1, 17) for _ in range(2)]
    poseidon_cases.append([0] * 16)
    poseidon_cases.append([R - 1])
    sign_cases = [{"prv": rng.randbytes(32).hex(), "msg": str(rng.randrange(R))} for _ in range(3)]
    # Values cross as decimal strings: JSON numbers would lose precision in node.
    answers = circomlibjs({"poseidon": [[str(x) for x in c] for c in poseidon_cases], "sign": sign_cases})
    return poseidon_cases, sign_cases, answers


@pytest.mark.slow
@needs_node
def test_poseidon_equals_circomlibjs_for_every_width(vectors):
    cases, _, answers = vectors
    assert [poseidon_hash_python(c) for c in cases] == [int(x) for x in answers["poseidon"]]
    assert [poseidon_hash(c) for c in cases] == [int(x) for x in answers["poseidon"]]


@pytest.mark.slow
@needs_node
def test_signatures_equal_circomlibjs_and_verify_both_ways(vectors):
    _, cases, answers = vectors
    verify_jobs = []
    for case, theirs in zip(cases, answers["sign"]):
        prv, msg = bytes.fromhex(case["prv"]), int(case["msg"])
        ours = sign_poseidon(prv, msg)
        pub = (int(theirs["A"][0]), int(theirs["A"][1]))
        assert PrivateKey(prv).public_key == pub
        assert ours == Signature((int(theirs["R8"][0]), int(theirs["R8"][1])), int(theirs["S"]))
        assert verify_poseidon(msg, ours, pub)
        assert babyjub.pack_point(pub).hex() == theirs["packed"]
        verify_jobs.append({"msg": str(msg), "R8": [str(v) for v in ours.R8], "S": str(ours.S),
                            "A": [str(v) for v in pub]})
        verify_jobs.append({"msg": str((msg + 1) % R), "R8": [str(v) for v in ours.R8], "S": str(ours.S),
                            "A": [str(v) for v in pub]})
    assert circomlibjs({"verify": verify_jobs})["verify"] == [True, False] * len(cases)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, R - 1), min_size=1, max_size=16))
def test_native_poseidon_equals_python(xs):
    assert poseidon_hash(xs) == poseidon_hash_python(xs)
    assert poseidon_hash_many([xs, xs[::-1]]) == [poseidon_hash_python(xs), poseidon_hash_python(xs[::-1])]


def test_poseidon_refuses_bad_inputs():
    for bad in ([], [0] * 17, [R], [-1]):
        with pytest.raises(ValueError):
            poseidon_hash(bad)


KEY = PrivateKey.from_seed(b"test-crypto")
OTHER = PrivateKey.from_seed(b"test-crypto-other")


@settings(max_examples=5, deadline=None)
@given(st.integers(0, R - 1))
def test_signature_soundness(msg):
    sig = KEY.sign(msg)
    assert verify_poseidon(msg, sig, KEY.public_key)
    assert not verify_poseidon((msg + 1) % R, sig, KEY.public_key)          # another message
    assert not verify_poseidon(msg, sig, OTHER.public_key)                   # another key
    assert not verify_poseidon(msg, Signature(sig.R8, sig.S + babyjub.SUBORDER), KEY.public_key)  # S >= l
    assert not verify_poseidon(msg, Signature((sig.R8[0], (sig.R8[1] + 1) % R), sig.S), KEY.public_key)  # off curve
    assert not verify_poseidon(msg, Signature(sig.R8, (sig.S + 1) % babyjub.SUBORDER), KEY.public_key)


def test_babyjub_group_laws_and_packing():
    p = KEY.public_key
    assert babyjub.in_curve(p) and babyjub.in_subgroup(p)
    assert babyjub.mul(babyjub.BASE8, babyjub.SUBORDER) == babyjub.IDENTITY
    assert babyjub.add(p, babyjub.neg(p)) == babyjub.IDENTITY
    assert babyjub.mul(p, 5) == babyjub.add(babyjub.mul(p, 2), babyjub.mul(p, 3))
    for q in (p, babyjub.neg(p), babyjub.BASE8):
        assert babyjub.unpack_point(babyjub.pack_point(q)) == q
    assert not babyjub.in_curve((1, 1))


@pytest.mark.parametrize("arity,depth", [(2, 5), (4, 3)])
def test_merkle_tree_proofs_and_naive_root(arity, depth):
    tree = MerkleTree(depth, arity)
    rng = random.Random(arity)
    leaves = {rng.randrange(arity ** depth): rng.randrange(R) for _ in range(6)}
    for index, leaf in leaves.items():
        tree.update(index, leaf)
    level = [leaves.get(i, 0) for i in range(arity ** depth)]
    while len(level) > 1:
        level = [poseidon_hash(level[i:i + arity]) for i in range(0, len(level), arity)]
    assert tree.root == level[0]
    for index, leaf in leaves.items():
        siblings, path = tree.proof(index)
        assert verify_proof(tree.root, leaf, siblings, path, arity)
        assert not verify_proof(tree.root, (leaf + 1) % R, siblings, path, arity)


# --- BLAKE-512 and Baby Jubjub packing against node (one process per test) -------------------
def node_eval(script: str, job) -> object:
    """Run `script` under node with `job` (JSON) on stdin; the script prints JSON."""
    done = subprocess.run(["node", "-e", script], input=json.dumps(job), capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


BLAKE_JS = """
const b = require('blake-hash');
const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(job.map((h) => b('blake512').update(Buffer.from(h, 'hex')).digest('hex'))));
"""


@pytest.mark.slow
@needs_node
def test_blake512_equals_blake_hash():
    from circuits.crypto.blake512 import blake512

    rng = random.Random(512)
    # Around every padding boundary (111/112 bytes: the length no longer fits in the block).
    lengths = [0, 1, 3, 32, 55, 56, 63, 64, 110, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 300, 1000]
    msgs = [rng.randbytes(n) for n in lengths] + [bytes(112), b"\xff" * 128]
    theirs = node_eval(BLAKE_JS, [m.hex() for m in msgs])
    assert [blake512(m).hex() for m in msgs] == theirs


PACK_JS = """
const { buildBabyjub } = require('circomlibjs');
(async () => {
  const bj = await buildBabyjub();
  const F = bj.F;
  const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const packed = job.points.map(([x, y]) =>
    Buffer.from(bj.packPoint([F.e(BigInt(x)), F.e(BigInt(y))])).toString('hex'));
  const unpacked = job.buffers.map((h) => {
    const p = bj.unpackPoint(Uint8Array.from(Buffer.from(h, 'hex')));
    return p === null ? null : [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
  });
  const mul = job.muls.map(([k]) => {
    const p = bj.mulPointEscalar(bj.Base8, BigInt(k));
    return [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
  });
  console.log(JSON.stringify({ packed, unpacked, mul }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.slow
@needs_node
def test_babyjub_mul_and_packing_equal_circomlibjs():
    rng = random.Random(8)
    scalars = [0, 1, 2, babyjub.SUBORDER - 1, babyjub.SUBORDER] + [rng.randrange(babyjub.SUBORDER) for _ in range(8)]
    points = [babyjub.mul(babyjub.BASE8, k) for k in scalars]
    points += [babyjub.neg(p) for p in points[2:]] + [babyjub.GENERATOR, (0, R - 1)]
    buffers = [babyjub.pack_point(p).hex() for p in points]
    junk = [rng.randbytes(32).hex() for _ in range(12)]  # some points, some not, some y >= p
    theirs = node_eval(PACK_JS, {"points": [[str(x), str(y)] for x, y in points], "buffers": buffers + junk,
                                 "muls": [[str(k)] for k in scalars]})
    assert [babyjub.mul(babyjub.BASE8, k) for k in scalars] == [(int(x), int(y)) for x, y in theirs["mul"]]
    assert buffers == theirs["packed"]
    for p, buf in zip(points, buffers):  # round trip, except x = 0 which circomlibjs refuses
        assert babyjub.unpack_point(bytes.fromhex(buf)) == (None if p[0] == 0 else p)
    for buf, their in zip(buffers + junk, theirs["unpacked"]):
        ours = babyjub.unpack_point(bytes.fromhex(buf))
        if int.from_bytes(bytes.fromhex(buf), "little") & ((1 << 255) - 1) >= R:
            # Non-canonical y (>= p): circomlibjs reduces it mod p, we refuse the encoding.
            assert ours is None
            continue
        assert ours == (None if their is None else (int(their[0]), int(their[1])))


def test_babyjub_subgroup_membership():
    assert babyjub.in_curve(babyjub.GENERATOR) and not babyjub.in_subgroup(babyjub.GENERATOR)
    assert babyjub.mul(babyjub.GENERATOR, 8) == babyjub.BASE8
    low = (0, R - 1)  # order 2
    assert babyjub.in_curve(low) and not babyjub.in_subgroup(low)
    assert babyjub.mul(low, 2) == babyjub.IDENTITY
    assert babyjub.mul(babyjub.BASE8, -3) == babyjub.neg(babyjub.mul(babyjub.BASE8, 3))
    assert babyjub.ORDER == 8 * babyjub.SUBORDER
    assert not babyjub.in_curve((R, 1)) and babyjub.unpack_point(b"\x00" * 31) is None
