"""The batch proof binds the DA payload (issue 10; sequencer/spec/da.py, circuits/settlement/ops.py).

Attacks first. A sequencer that hands the committee a payload whose ciphertext is not the
leaf's cannot prove a batch with that payload's commitment (the circuit encrypts every leaf
it writes and computes the commitment itself), and a member refuses the payload against the
proved commitment. A registration whose salt does not come from the published DA key (a
prover using another scalar, or a salt of its choosing) has no witness. An owner decrypts its
leaf from the payload with its own key and the sequencer's public DA key alone; the circuit's
commitment is the spec's and the members' (the digest, which carries it, is the spec's)."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

from circuits import registry  # noqa: E402
from circuits.crypto.ecdh import eddsa_scalar  # noqa: E402
from circuits.crypto.poseidon_cipher import CipherError, decrypt  # noqa: E402
from circuits.dsl.compiled import ConstraintError  # noqa: E402
from circuits.settlement.witness import batch_inputs  # noqa: E402
from sequencer.da import layout  # noqa: E402
from sequencer.da.attest import dev_member_keys  # noqa: E402
from sequencer.da.member import DAError, Member  # noqa: E402
from sequencer.da.payload import batch_payload, commitment, genesis_payload  # noqa: E402
from sequencer.da.store import PayloadStore  # noqa: E402
from sequencer.spec import TINY, Batch, process_batch  # noqa: E402
from sequencer.spec import da as spec_da  # noqa: E402
from sequencer.spec import transition  # noqa: E402
from sequencer.spec.hashing import hash_fields  # noqa: E402
from sequencer.spec.state import State  # noqa: E402
from spec_helpers import LOT_PRICE, deposit_op, funded_state, key, pinned, register_op, trade_op  # noqa: E402


@pytest.fixture(scope="module")
def cc():
    return registry.build("settlement", preset="tiny")


def solves(cc, record) -> None:
    w = cc.witness(batch_inputs(record, TINY, cc))
    assert cc.public_signals(w) == [record.digest]


def rejects(cc, record) -> None:
    with pytest.raises(ConstraintError):
        cc.witness(batch_inputs(record, TINY, cc))


def registration_batch():
    """Accounts 1..3 funded (queue entries applied, no batch yet); batch 1 registers account 4
    and credits a deposit to 1: (the state before batch 1, the batch)."""
    state = funded_state(3)
    return state, Batch(1, 1, (1000, 1000), (register_op(state, 4), deposit_op(state, 1, 5)))


def test_a_ciphertext_that_is_not_the_leaf_cannot_be_proved_or_signed(cc, tmp_path):
    before, _ = registration_batch()
    state, batch = registration_batch()
    record = process_batch(state, batch)
    solves(cc, record)  # the honest batch: the circuit's daCommitment is the spec's
    payload = batch_payload(record, state)
    assert commitment(payload) == record.public.da_commitment
    w = payload.writes[0]
    garbage = replace(payload, writes=(replace(w, ciphertext=(w.ciphertext[0] + 1,) + w.ciphertext[1:]),)
                      + payload.writes[1:])
    forged = commitment(garbage)
    assert forged != record.public.da_commitment
    # no witness proves the forged payload's commitment: the circuit computes the true one
    rejects(cc, replace(record, public=replace(record.public, da_commitment=forged)))
    # a member, told the proved commitment, refuses the garbage payload (it rebuilds the root:
    # only the commitment tells), and signs the true one
    store = PayloadStore.create(tmp_path / "m", arity=TINY.arity, depth=TINY.depth, num_markets=TINY.num_markets,
                                genesis_root=before.root(), sequencer_public_key=before.da_public)
    member = Member(store, dev_member_keys("test-da-binding", 1)[0], chain_id=1, rollup="0x" + "00" * 20)
    member.receive(genesis_payload(before))
    with pytest.raises(DAError, match="not the proved daCommitment"):
        member.receive(garbage, commitment=record.public.da_commitment)
    att = member.receive(payload, commitment=record.public.da_commitment)
    assert att.commitment == record.public.da_commitment and member.root == record.public.new_root


def test_a_registration_salt_not_from_the_published_da_key_has_no_witness(cc, monkeypatch):
    state, batch = registration_batch()
    record = process_batch(state, batch)
    solves(cc, record)
    # another scalar than the published key's: the message's DA key is the contract's
    rejects(cc, replace(record, da_scalar=record.da_scalar + 1))
    # a salt of the sequencer's choosing (the old secret-seed PRF)
    state, batch = registration_batch()
    monkeypatch.setattr(State, "leaf_salt", lambda self, index, pubkey: hash_fields([12345, index]))
    rejects(cc, process_batch(state, batch))


def test_another_da_key_is_another_message():
    """A prover with another DA scalar proves a message with another DA key: not the
    contract's (the key is an immutable of Rollup.sol, in every message it builds)."""
    state, batch = registration_batch()
    state.da_scalar = spec_da.DEV_DA_SCALAR + 1
    other = process_batch(state, batch)
    state, batch = registration_batch()
    record = process_batch(state, batch)
    assert record.public.da_public_key == spec_da.DEV_DA_PUBLIC_KEY != other.public.da_public_key
    assert record.digest != other.digest


def test_an_owner_decrypts_its_leaf_with_only_its_key():
    state, batch = registration_batch()
    record = process_batch(state, batch)
    payload = batch_payload(record, state)
    (w,) = [w for w in payload.writes if w.index == 4]  # the registration's write
    salt = spec_da.owner_salt(eddsa_scalar(key(4).secret), spec_da.DEV_DA_PUBLIC_KEY, 4)
    assert salt == state.accounts[4].salt
    opening = decrypt(w.ciphertext, spec_da.cipher_key(salt, 4), w.nonce, layout.opening_length(TINY.num_markets))
    assert layout.account_from_opening(opening, TINY.num_markets) == state.accounts[4]
    stranger = spec_da.owner_salt(eddsa_scalar(key(3).secret), spec_da.DEV_DA_PUBLIC_KEY, 4)
    with pytest.raises(CipherError):
        decrypt(w.ciphertext, spec_da.cipher_key(stranger, 4), w.nonce, layout.opening_length(TINY.num_markets))


def test_every_write_is_in_the_commitment_reads_included(cc):
    """A bounced deposit (a read) is re-encrypted under a fresh nonce; a deposit to an account
    whose registration is not consumed yet writes nothing (the circuit agrees: solves)."""
    state, _ = registration_batch()
    ops = (deposit_op(state, 1, 5), transition.Deposit(index=state.deposit_index + 1, account=9, amount=5))
    record = process_batch(state, Batch(1, 1, (1000, 1000), ops))
    solves(cc, record)
    payload = batch_payload(record, state)
    assert [w.index for w in payload.writes] == [1, 0]  # the credited deposit, the fund's closing write
    assert [w.nonce for w in payload.writes] == [spec_da.write_nonce(1, i) for i in range(2)]


@pytest.mark.parametrize("m", [2, 4])
def test_the_packed_opening_is_injective_at_every_bound(m):
    """The opening packs the leaf's bounded values whole into elements below 2^253
    (`spec.da.opening_layout`): each value at its minimum, its maximum and in between comes
    back from the packed elements alone, and a value one past its range would not (it
    overflows into its neighbour), which is why every packed value is one the circuit range
    checks or carries from a leaf that was."""
    import random

    from sequencer.spec import constants as k

    layout_ = spec_da.opening_layout(m)
    assert all(sum(e[2] for e in el) <= spec_da.PACK_BITS for el in layout_)
    assert len(layout_) == {2: 4, 4: 6}[m]  # 7 and 9 elements to encrypt, against 13 and 19
    bounds = {"box": (0, (1 << 128) - 1), "l1_address": (0, (1 << k.ADDRESS_BITS) - 1),
              "nonce_hi": (0, (1 << k.NONCE_BITS) - 1), "nonce_bitmap": (0, (1 << k.NONCE_WINDOW) - 1),
              "collateral": (k.COLLATERAL_MIN, k.COLLATERAL_MAX), "position": (k.POSITION_MIN, k.POSITION_MAX),
              "snapshot": (k.FUNDING_MIN, k.FUNDING_MAX)}
    names = [(name, j) for el in layout_ for name, j, *_ in el]
    rng = random.Random(m)
    for pick in (0, 1, None):
        want = {n: bounds[n[0]][pick] if pick is not None else rng.randint(*bounds[n[0]]) for n in names}
        packed = spec_da.pack_opening(m, lambda name, j: want[(name, j)])
        assert all(0 <= x < 1 << spec_da.PACK_BITS for x in packed)
        assert spec_da.unpack_opening(packed, m) == want
    over = {**want, ("collateral", None): k.COLLATERAL_MAX + 1}
    assert spec_da.unpack_opening(spec_da.pack_opening(m, lambda name, j: over[(name, j)]), m) != over


def test_an_opening_decodes_to_the_leaf_at_mainnet_shape():
    """An account with signed values at both ends, a chosen box and a nonce window in use:
    its opening at M = 4 decodes to it (the owner's side, `layout.account_from_opening`)."""
    from sequencer.spec import constants as k
    from sequencer.spec.state import Account

    a = Account(pubkey=(3, 4), l1_address=(1 << 160) - 1, nonce_hi=(1 << 64) - 1, nonce_bitmap=(1 << 64) - 2,
                collateral=k.COLLATERAL_MIN, positions=(k.POSITION_MAX, k.POSITION_MIN, 0, -1),
                snapshots=(k.FUNDING_MIN, k.FUNDING_MAX, 0, 5),
                box=((0, 65535, k.FUNDING_MIN, k.FUNDING_MAX), (10, 20, -5, 5), (0, 0, 0, 0), (1, 2, 3, 4)),
                salt=12345)
    opening = spec_da.leaf_opening(a)
    assert len(opening) == spec_da.opening_length(4) == 9
    assert layout.account_from_opening(opening, 4) == a
