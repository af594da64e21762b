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
