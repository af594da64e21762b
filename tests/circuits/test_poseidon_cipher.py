"""The Poseidon sponge cipher: the spec (circuits/crypto/poseidon_cipher.py) against
@zk-kit/poseidon-cipher 0.3.2 under node, round trips and refusals, and the gadget
(circuits/gadgets/poseidon_cipher.py) against the spec: same ciphertext, constraint counts,
every wire pinned, a forged ciphertext refused.

zk-kit is looked up in node_modules (package.json devDependencies) and, before it is
installed there, in $ZKCLEAR_ZKKIT_NODE_MODULES (a node_modules folder holding it); it is
required: the test fails, never skips, when neither has it. Known answers computed by zk-kit
are also pinned here, so the spec's equality with zk-kit is checked even without node."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from circuits.crypto.poseidon_cipher import (CipherError, ciphertext_length, decrypt, encrypt, n_permutations,
                                             poseidon_permutation)
from circuits.crypto.poseidon import poseidon_hash
from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets.poseidon_cipher import poseidon_encrypt
from prover.field import R

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / "tests" / "js" / "zkkit_cipher_oracle.cjs"
PACKAGE = "@zk-kit/poseidon-cipher"

# zk-kit 0.3.2: poseidonEncrypt([1n, 2n, 3n, 4n], [5n, 6n], 7n)
KNOWN = [19134267321102874893394685302897067285922406415545935479431881730213750075881,
         8052218116168590935251748955401619919394332912613302237201870041836731841388,
         19470749017514687395782811229533211201237204295002154075338578203749232436522,
         16260134166669796114056814353079130849411882455049779976345690423507959491540,
         20532314829511312146647749128834105539721352325625802821539504168841770179766,
         13594393860497613367307364820877643011981933202142976333777449720353947466425,
         13780932919624575244370235360356385232863963915127879252918180612347227666999]


def zkkit_node_modules() -> Path:
    for d in (REPO / "node_modules", os.environ.get("ZKCLEAR_ZKKIT_NODE_MODULES")):
        if d and (Path(d) / PACKAGE / "package.json").exists():
            return Path(d)
    pytest.fail(f"{PACKAGE} missing: add it to package.json devDependencies (0.3.2) and run `make setup` "
                "(or point ZKCLEAR_ZKKIT_NODE_MODULES at a node_modules holding it)", pytrace=False)


def zkkit(job: dict) -> dict:
    assert shutil.which("node"), "node missing: run `make setup`"
    env = {**os.environ, "NODE_PATH": str(zkkit_node_modules())}
    done = subprocess.run(["node", str(ORACLE)], input=json.dumps(job), capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_known_answer_and_the_hash_lane():
    assert encrypt([1, 2, 3, 4], [5, 6], 7) == KNOWN
    assert decrypt(KNOWN, [5, 6], 7, 4) == [1, 2, 3, 4]
    # the permutation's lane 0 from [0, x...] is circomlib's Poseidon hash
    assert poseidon_permutation([0, 1, 2, 3])[0] == poseidon_hash([1, 2, 3])


def test_ciphertexts_equal_zkkit_on_random_inputs():
    rng = random.Random(10)
    cases = []
    for length in (1, 2, 3, 4, 5, 8, 14, 16, 24):
        cases.append({"msg": [rng.randrange(R) for _ in range(length)], "key": [rng.randrange(R), rng.randrange(R)],
                      "nonce": rng.randrange(1 << 128)})
    ours = [encrypt(k["msg"], k["key"], k["nonce"]) for k in cases]
    job = {"encrypt": [{k: [str(v) for v in x] if isinstance(x, list) else str(x) for k, x in case.items()}
                       for case in cases],
           "decrypt": [{"ct": [str(v) for v in ct], "key": [str(v) for v in case["key"]],
                        "nonce": str(case["nonce"]), "length": len(case["msg"])} for case, ct in zip(cases, ours)]}
    theirs = zkkit(job)
    assert [[int(v) for v in ct] for ct in theirs["encrypt"]] == ours
    assert [[int(v) for v in m] for m in theirs["decrypt"]] == [case["msg"] for case in cases]


def test_round_trip_and_refusals():
    rng = random.Random(11)
    for length in range(1, 20):
        msg = [rng.randrange(R) for _ in range(length)]
        key, nonce = [rng.randrange(R), rng.randrange(R)], rng.randrange(1 << 128)
        ct = encrypt(msg, key, nonce)
        assert len(ct) == ciphertext_length(length)
        assert decrypt(ct, key, nonce, length) == msg
        with pytest.raises(CipherError):  # another key
            decrypt(ct, [key[0] + 1, key[1]], nonce, length)
        with pytest.raises(CipherError):  # another nonce
            decrypt(ct, key, nonce + 1, length)
        i = rng.randrange(len(ct))
        with pytest.raises(CipherError):  # any element changed
            decrypt(ct[:i] + [(ct[i] + 1) % R] + ct[i + 1:], key, nonce, length)
        with pytest.raises(CipherError):  # truncated
            decrypt(ct[:-1], key, nonce, length)
    with pytest.raises(ValueError):
        encrypt([1], [1, 2], 1 << 128)


def _cipher_circuit(length: int, check_nonce: bool = False):
    c = Circuit(f"poseidon_encrypt_{length}")
    msg = c.private_input("msg", length)
    key = c.private_input("key", 2)
    nonce = c.private_input("nonce")
    ct = c.public_input("ct", ciphertext_length(length))
    out = poseidon_encrypt(c, msg, key, nonce, check_nonce=check_nonce)
    for a, b in zip(out, ct):
        c.assert_equal(a, b)
    return c.compile()


@pytest.mark.parametrize("length", [8, 16, 24])
def test_gadget_matches_the_spec_and_costs(length, record_property):
    rng = random.Random(length)
    cc = _cipher_circuit(length)
    msg = [rng.randrange(R) for _ in range(length)]
    key, nonce = [rng.randrange(R), rng.randrange(R)], rng.randrange(1 << 128)
    ct = encrypt(msg, key, nonce)
    w = assert_solves(cc, {"msg": msg, "key": key, "nonce": nonce, "ct": ct})
    # 264 per width-4 permutation (3 * (4 * 8 + 56)), less lane 0's first S-box (a constant)
    assert cc.n_constraints == 264 * n_permutations(length) - 3
    record_property("constraints", cc.n_constraints)
    assert_tamper_breaks(cc, w)
    # a forged ciphertext (any one element) has no satisfying witness
    for i in (0, len(ct) // 2, len(ct) - 1):
        bad = list(ct)
        bad[i] = (bad[i] + 1) % R
        assert unsatisfied(cc.r1cs, forge_witness(cc, {"msg": msg, "key": key, "nonce": nonce, "ct": bad}, {}))


def test_gadget_nonce_range_check():
    cc = _cipher_circuit(3, check_nonce=True)
    assert cc.n_constraints == 264 * 2 - 3 + 128
    msg, key = [1, 2, 3], [4, 5]
    assert_solves(cc, {"msg": msg, "key": key, "nonce": (1 << 128) - 1, "ct": encrypt(msg, key, (1 << 128) - 1)})
    # a nonce of 2^128 would alias the length lane: refused
    big = 1 << 128
    ct = encrypt(msg, key, 0)
    w = forge_witness(cc, {"msg": msg, "key": key, "nonce": big, "ct": ct}, {})
    assert unsatisfied(cc.r1cs, w)
