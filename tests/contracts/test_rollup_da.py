"""The DA committee of Rollup.sol (issue 10): a contract deployed with members and a threshold k
moves its root only through `submitBatchWithData` with k distinct members' EIP-712 signatures
of (batch number, new root, DA commitment) for this contract on this chain.

Attack tests first: each builds a batch whose proof is valid (synthetic key, as in
test_rollup.py) and whose signatures are wrong in one way; only the committee check can
refuse it, and the root must not move. Signatures come from sequencer/da/attest.py (the
member's signer), with dev keys (UNSAFE)."""
from __future__ import annotations

import pytest
from eth_account import Account
from web3.logs import DISCARD

from sequencer.spec.da import DEV_DA_PUBLIC_KEY
from sequencer.da.attest import addresses, dev_member_keys, recover_signer, sign_batch_data
from test_rollup import M, SLOTS, Env, arts, chain, keys, verifiers  # noqa: F401  (fixtures)
from verifier_contracts.build import R
from verifier_contracts.rollup import RollupClient, RollupError

MEMBERS = dev_member_keys("test-da", 5)
OUTSIDER = dev_member_keys("test-da-outsider", 1)[0]
K = 3
COMMITMENT = 0x1234_5678_9ABC


class DAEnv(Env):
    """A Rollup with a 3-of-5 committee, one registration queued and an oracle round."""

    def __init__(self, chain, arts, verifiers, keys, threshold=K, members=MEMBERS):
        super().__init__(chain, arts, verifiers, keys, da_members=addresses(members), da_threshold=threshold)
        self.register(self.alice)
        self.r.post_round([1234, 56789], [17, -5])

    def sign(self, key, pub, *, batch=None, root=None, commitment=COMMITMENT, chain_id=None, rollup=None):
        return sign_batch_data(key, pub.batch_number if batch is None else batch,
                               pub.new_root if root is None else root, commitment,
                               chain_id=self.r.chain_id if chain_id is None else chain_id,
                               rollup=self.r.rollup.address if rollup is None else rollup)

    def batch(self, commitment=COMMITMENT):
        """The next batch with DA commitment `commitment` (its message carries it) and its proof."""
        pub = self.r.next_batch(self.rng.randrange(1, R), da_commitment=commitment)
        return pub, self.prove(pub)

    def settle_signed(self, signers, commitment=COMMITMENT, check=True) -> dict:
        """The next batch, signed by `signers` (none: submitBatch); its receipt."""
        pub, proof = self.batch(commitment)
        if not signers:
            return self.r.submit_batch(pub, proof, check=check)
        atts = [self.sign(k, pub, commitment=commitment) for k in signers]
        return self.r.submit_batch(pub, proof, da_signatures=atts, check=check)


@pytest.fixture
def da(chain, arts, verifiers, keys) -> DAEnv:
    return DAEnv(chain, arts, verifiers, keys)


def _sorted(atts):
    return sorted(atts, key=lambda a: int(a.signer, 16))


def _unmoved(e: DAEnv, root_before: int) -> None:
    s = e.r.state()
    assert s["stateRoot"] == root_before and s["batchNumber"] == 0


ATTACKS = {
    # name: (how the signatures are made from (env, pub), the contract's reason)
    "a non-member's signature": (
        lambda e, pub: [e.sign(k, pub) for k in MEMBERS[:2]] + [e.sign(OUTSIDER, pub)],
        "Rollup: signer not a DA member"),
    "one member's signature twice": (
        lambda e, pub: [e.sign(MEMBERS[0], pub)] * 2 + [e.sign(MEMBERS[1], pub)],
        "Rollup: duplicate DA signer"),
    "signatures of another root": (
        lambda e, pub: [e.sign(k, pub, root=pub.new_root + 1) for k in MEMBERS[:3]],
        "Rollup: signer not a DA member"),
    "signatures of another batch number": (
        lambda e, pub: [e.sign(k, pub, batch=pub.batch_number + 1) for k in MEMBERS[:3]],
        "Rollup: signer not a DA member"),
    "signatures of another commitment": (
        lambda e, pub: [e.sign(k, pub, commitment=COMMITMENT + 1) for k in MEMBERS[:3]],
        "Rollup: signer not a DA member"),
    "signatures for another chain": (
        lambda e, pub: [e.sign(k, pub, chain_id=e.r.chain_id + 1) for k in MEMBERS[:3]],
        "Rollup: signer not a DA member"),
    "signatures for another contract": (
        lambda e, pub: [e.sign(k, pub, rollup=e.r.oracle.address) for k in MEMBERS[:3]],
        "Rollup: signer not a DA member"),
    "fewer than k signatures": (
        lambda e, pub: [e.sign(k, pub) for k in MEMBERS[:2]],
        "Rollup: too few DA signatures"),
    "no signatures": (lambda e, pub: [], "Rollup: too few DA signatures"),
}


@pytest.mark.parametrize("case", list(ATTACKS))
def test_attack_refused(da, case):
    e, r = da, da.r
    make, reason = ATTACKS[case]
    pub, proof = e.batch()
    root = r.state()["stateRoot"]
    atts = make(e, pub)
    # raw tuples in ascending recovered-signer order, so that only the named fault is wrong
    sigs = [a.sig_tuple() for a in _sorted(atts)] if case != "one member's signature twice" else \
        [a.sig_tuple() for a in atts]
    with pytest.raises(RollupError, match=reason):
        r.submit_batch(pub, proof, da_signatures=sigs)
    _unmoved(e, root)


def test_the_signed_commitment_must_be_the_proved_one(da):
    """A sequencer that proved one payload (commitment C) and had the members sign another (C',
    say garbage ciphertexts) settles neither way: with C' in the calldata the proof fails (the
    message carries the commitment), with C the signatures do not recover to members."""
    e, r = da, da.r
    pub, proof = e.batch(COMMITMENT)
    root = r.state()["stateRoot"]
    other = COMMITMENT + 1
    atts = [e.sign(k, pub, commitment=other) for k in MEMBERS[:3]]
    from dataclasses import replace

    assert r.digest(replace(pub, da_commitment=other)) != r.digest(pub) == r.batch_digest(pub)
    # the message carries the commitment, then the contract's DA key (an immutable)
    msg = r.batch_message(pub)
    assert r.da_public_key == DEV_DA_PUBLIC_KEY == pub.da_public_key
    assert msg[64:160] == b"".join(x.to_bytes(32, "big") for x in (COMMITMENT, *DEV_DA_PUBLIC_KEY))
    with pytest.raises(RollupError, match="DA commitment not a field element"):
        r.submit_batch(replace(pub, da_commitment=R), proof, da_signatures=[e.sign(k, pub, commitment=R)
                                                                            for k in MEMBERS[:3]])
    with pytest.raises(RollupError, match="Rollup: invalid proof"):
        r.submit_batch(replace(pub, da_commitment=other), proof, da_signatures=atts)
    with pytest.raises(RollupError, match="Rollup: signer not a DA member"):
        r.submit_batch(pub, proof, da_signatures=atts)
    _unmoved(e, root)
    r.submit_batch(pub, proof, da_signatures=[e.sign(k, pub) for k in MEMBERS[:3]])
    assert r.state()["stateRoot"] == pub.new_root


def test_unsorted_malleable_and_missing_signatures_refused(da):
    e, r = da, da.r
    pub, proof = e.batch()
    root = r.state()["stateRoot"]
    atts = _sorted([e.sign(k, pub) for k in MEMBERS[:3]])
    with pytest.raises(RollupError, match="Rollup: DA signers not in ascending order"):
        r.submit_batch(pub, proof, da_signatures=[a.sig_tuple() for a in atts[::-1]])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    a0 = atts[0]  # its malleable twin (s' = n - s, v flipped) recovers the same signer
    twin = (55 - a0.v, a0.r.to_bytes(32, "big"), (n - a0.s).to_bytes(32, "big"))
    with pytest.raises(RollupError, match="Rollup: malleable signature"):
        r.submit_batch(pub, proof, da_signatures=[twin] + [a.sig_tuple() for a in atts[1:]])
    with pytest.raises(RollupError, match="Rollup: DA signatures required"):  # the committee cannot be skipped
        r.submit_batch(pub, proof)
    with pytest.raises(RollupError, match="Rollup: not the sequencer"):
        r.submit_batch(pub, proof, da_signatures=atts, sender=e.mallory)
    _unmoved(e, root)


def test_k_distinct_member_signatures_move_the_root(da):
    e, r = da, da.r
    assert r.da_committee() == (addresses(MEMBERS), K)
    assert [r.rollup.functions.isDaMember(a).call() for a in addresses(MEMBERS)] == [True] * 5
    pub, proof = e.batch()
    atts = [e.sign(k, pub) for k in (MEMBERS[4], MEMBERS[1], MEMBERS[2])]  # any k, any order: the client sorts
    # the member signs the digest the contract recovers from
    digest = r.batch_data_digest(pub.batch_number, pub.new_root, COMMITMENT)
    assert all(Account._recover_hash(digest, vrs=(a.v, a.r, a.s)) == a.signer for a in atts)
    assert all(recover_signer(a, chain_id=r.chain_id, rollup=r.rollup.address) == a.signer for a in atts)
    receipt = r.submit_batch(pub, proof, da_signatures=atts)
    assert r.state()["stateRoot"] == pub.new_root and r.state()["batchNumber"] == 1
    (ev,) = r.rollup.events.BatchData().process_receipt(receipt, errors=DISCARD)
    assert dict(ev["args"]) == {"batchNumber": 1, "daCommitment": COMMITMENT}
    # a second batch: the first batch's signatures do not carry over; all five members may sign
    pub2, proof2 = e.batch()
    with pytest.raises(RollupError, match="Rollup: signer not a DA member"):
        r.submit_batch(pub2, proof2, da_signatures=atts)
    r.submit_batch(pub2, proof2, da_signatures=[e.sign(k, pub2) for k in MEMBERS])
    assert r.state()["batchNumber"] == 2


def test_without_a_committee_submit_batch_is_unchanged(chain, arts, verifiers, keys):
    """k = 0 (development, tests): submitBatch needs no signatures (the commitment is still in
    the proved message); submitBatchWithData needs none and emits the commitment."""
    e = DAEnv(chain, arts, verifiers, keys, threshold=0, members=[])
    r = e.r
    assert r.da_committee() == ([], 0)
    pub, proof = e.batch()
    r.submit_batch(pub, proof)
    pub, proof = e.batch()
    receipt = r.submit_batch(pub, proof, da_signatures=[])
    (ev,) = r.rollup.events.BatchData().process_receipt(receipt, errors=DISCARD)
    assert ev["args"]["daCommitment"] == COMMITMENT and r.state()["batchNumber"] == 2


@pytest.mark.parametrize("members, threshold", [
    (MEMBERS, 0), (MEMBERS, 6), ([], 1), (MEMBERS[:1] * 2, 1), (["0x" + "00" * 20], 1)])
def test_constructor_refuses_a_bad_committee(chain, arts, verifiers, members, threshold):
    bv, ev = verifiers(chain)
    addrs = [a if isinstance(a, str) else Account.from_key(a).address for a in members]
    with pytest.raises(Exception):
        RollupClient.deploy(chain, bv, ev, markets=M, slots=SLOTS, artifacts=arts, da_members=addrs,
                            da_threshold=threshold)


def test_gas_per_signature(chain, arts, verifiers, keys, record_property):
    """submitBatchWithData over submitBatch: ~7.3k per signature (ecrecover 3k, a cold
    membership read 2.1k, ~1.2k calldata), plus ~3.3k once (the commitment, its event)."""
    gas = {}
    for k in (0, 1, 3):
        e = DAEnv(chain, arts, verifiers, keys, threshold=k, members=MEMBERS if k else [])
        gas[k] = e.settle_signed(MEMBERS[:k], check=False)["gasUsed"]  # the same first batch for each k
    record_property("da_gas", gas)
    per_sig = (gas[3] - gas[1]) / 2
    assert 5_000 < per_sig < 8_000, gas
    assert gas[1] - gas[0] - per_sig < 4_000, gas
