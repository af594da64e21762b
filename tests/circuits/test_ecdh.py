"""The per-account key k_a (circuits/crypto/ecdh.py, circuits/gadgets/ecdh.py): both sides
derive the same key, any registered pair of field elements gives a provable key, the gadget
equals the spec, and its constraint counts."""
from __future__ import annotations

import random

import pytest

from circuits.crypto import babyjub
from circuits.crypto.ecdh import SCALAR_BITS, account_key, eddsa_scalar, public_key
from circuits.crypto.eddsa import PrivateKey
from circuits.dsl import Circuit, unsatisfied
from circuits.dsl.testing import assert_solves, assert_tamper_breaks, forge_witness
from circuits.gadgets import ecdh
from prover.field import R

SEQUENCER = PrivateKey.from_seed(b"da-test-sequencer")


def test_owner_and_sequencer_derive_the_same_key():
    s = eddsa_scalar(SEQUENCER.secret)
    assert public_key(s) == SEQUENCER.public_key
    keys = set()
    for i in range(3):
        owner = PrivateKey.from_seed(b"owner %d" % i)
        k = account_key(s, owner.public_key)
        assert k == account_key(eddsa_scalar(owner.secret), SEQUENCER.public_key)
        keys.add(k)
    assert len(keys) == 3


def _key_circuit():
    c = Circuit("ecdh_account_key")
    s = c.private_input("s")
    pk = c.public_input("pk", 2)  # the sequencer's published key
    q = c.public_input("q", 2)  # the registered owner key
    bits = ecdh.scalar_bits(c, s)
    ecdh.assert_public_key(c, bits, pk)
    n_batch = c.n_constraints
    c.output("k", ecdh.account_key(c, bits, q))
    return c.compile(), n_batch, c.n_constraints - n_batch


def test_gadget_matches_the_spec_for_any_registered_pair(record_property):
    cc, n_batch, n_slot = _key_circuit()
    s = eddsa_scalar(SEQUENCER.secret)
    pk = SEQUENCER.public_key
    rng = random.Random(3)
    owner = PrivateKey.from_seed(b"owner").public_key
    torsion = (0, R - 1)  # order 2: 8 * it is the identity
    off_curve = (rng.randrange(R), rng.randrange(R))
    assert not babyjub.in_curve(off_curve)
    not_subgroup = babyjub.add(owner, torsion)
    for q in (owner, torsion, off_curve, not_subgroup, babyjub.IDENTITY):
        w = assert_solves(cc, {"s": s, "pk": list(pk), "q": list(q)})
        assert cc.outputs(w)["k"] == account_key(s, q)
    assert_tamper_breaks(cc, w, free=("inv",))
    record_property("constraints", {"per_batch_public_key": n_batch, "per_registration_slot": n_slot,
                                    "total": cc.n_constraints})
    # the measured costs (README "Data availability"): 775 per batch, 2,558 per registration slot
    assert n_batch <= 775 and n_slot <= 2_558, (n_batch, n_slot)


def test_a_scalar_that_is_not_the_sequencers_is_refused():
    cc, _, _ = _key_circuit()
    s = eddsa_scalar(SEQUENCER.secret)
    q = PrivateKey.from_seed(b"owner").public_key
    w = forge_witness(cc, {"s": s + 1, "pk": list(SEQUENCER.public_key), "q": list(q)}, {})
    assert unsatisfied(cc.r1cs, w)
    with pytest.raises(ValueError):
        account_key(1 << SCALAR_BITS, q)
