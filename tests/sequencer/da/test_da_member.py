"""sequencer/da/: payloads, a member's check and store, the owner's rebuild (issue 10).

The sequencer's state is the spec's (sequencer/spec/state.py: salted leaves, hash-only paths)
driven by direct leaf writes: registrations, collateral, positions and boxes changing over a
few batches. The owner then rebuilds its leaf and path from a member's folder alone (the
sequencer's State is dropped), and they equal the sequencer's. The payload shows no box and
no salt. Refusals: a member signs nothing that does not rebuild the root; an owner refuses a
stale or forged store."""
from __future__ import annotations

import random
from dataclasses import replace

import pytest

from circuits.crypto.ecdh import eddsa_scalar
from circuits.crypto.eddsa import PrivateKey
from sequencer.da import layout
from sequencer.da.attest import dev_member_keys, recover_signer
from sequencer.da.member import DAError, Member, check
from sequencer.da.owner import rebuild
from sequencer.da.payload import BatchPayload, commitment, genesis_payload, payload_from_updates
from sequencer.da.store import PayloadStore, StoreError
from sequencer.da.tree import SparseTree
from sequencer.spec.constants import TINY
from sequencer.spec.state import Account, State
from sequencer.spec import box as boxes
from sequencer.spec.tree import path_root

SEQUENCER = PrivateKey.from_seed(b"da sequencer")
OWNERS = [PrivateKey.from_seed(b"da owner %d" % i) for i in range(4)]
CHAIN_ID, ROLLUP = 31337, "0x" + "ab" * 20
STRANGER = PrivateKey.from_seed(b"da stranger")
MEMBER_KEY = dev_member_keys("test-da-member", 1)[0]
DA_SCALAR = eddsa_scalar(SEQUENCER.secret)  # the sequencer's DA scalar (spec.da): any scalar below 2^252


def owner_of(i: int) -> PrivateKey:
    """Account 0 (the insurance fund) is registered at genesis with the sequencer's key."""
    return SEQUENCER if i == 0 else OWNERS[(i - 1) % len(OWNERS)]


def _history(rng: random.Random, batches: int = 4):
    """The sequencer's state over `batches` batches and each batch's payload (genesis first),
    from the spec's witness log of its leaf writes."""
    m = TINY.num_markets
    state = State.genesis(TINY, SEQUENCER.public_key, 0xFEE, prices=(100,) * m, da_scalar=DA_SCALAR)
    payloads = [genesis_payload(state)]
    for n in range(1, batches + 1):
        old = state.root()
        state.batch_number = n
        state.log = []
        if n <= 2:  # two registrations a batch
            for _ in range(2):
                i = state.num_accounts
                state.registration_index += 1
                state.write_account(i, Account.new(owner_of(i).public_key, 0x1000 + i, state.funding,
                                                   state.leaf_salt(i, owner_of(i).public_key)))
        for i in rng.sample(range(state.num_accounts), min(2, state.num_accounts)):
            a = state.accounts[i]
            lo = rng.randrange(1, 100)
            box = tuple((lo, rng.randrange(lo, 1 << 16), -rng.randrange(1 << 20), rng.randrange(1 << 20))
                        for _ in range(m))
            a = replace(a.with_position(0, rng.randrange(-1000, 1000)), collateral=rng.randrange(-10**6, 10**9),
                        nonce_hi=a.nonce_hi + 1, box=box)
            state.write_account(i, a)
            state.write_account(i, replace(a, collateral=a.collateral + 1))  # a leaf written twice
            state.read_account(i)  # a read is re-encrypted too (the circuit rewrites the leaf)
        log, state.log = state.log, None
        payloads.append(payload_from_updates(log, batch_number=n, old_root=old, new_root=state.root(),
                                             globals_fields=state.globals_fields()))
    return state, payloads


@pytest.fixture(scope="module")
def history():
    return _history(random.Random(10))


def _store(tmp_path, state) -> PayloadStore:
    return PayloadStore.create(tmp_path / "member", arity=TINY.arity, depth=TINY.depth, num_markets=TINY.num_markets,
                               genesis_root=history_genesis_root(state), sequencer_public_key=state.da_public)


def history_genesis_root(state) -> int:
    g = State.genesis(TINY, SEQUENCER.public_key, 0xFEE, prices=(100,) * TINY.num_markets, da_scalar=DA_SCALAR)
    return g.root()


def test_member_checks_stores_signs_and_the_owner_rebuilds(tmp_path, history):
    state, payloads = history
    store = _store(tmp_path, state)
    member = Member(store, MEMBER_KEY, chain_id=CHAIN_ID, rollup=ROLLUP)
    for p in payloads:
        att = member.receive(BatchPayload.from_json(p.to_json()))  # as received over the wire
        if p.batch_number == 0:
            assert att is None
            continue
        assert (att.batch_number, att.new_root, att.commitment) == (p.batch_number, p.new_root, commitment(p))
        assert recover_signer(att, chain_id=CHAIN_ID, rollup=ROLLUP) == att.signer
    assert member.root == state.root() and member.tree.root == state.tree.root
    # the sequencer's database is gone: only the member's folder and each owner's key remain
    final_root, expected = state.root(), {i: (state.accounts[i], state.tree.path(i)) for i in state.accounts}
    del state
    for i, (account, path) in expected.items():
        got = rebuild(PayloadStore(tmp_path / "member"), i, owner_of(i).secret, expected_root=final_root)
        assert got.account == account and list(got.path) == path
        leaf = layout.leaf_entry_of(got.account)
        assert path_root(TINY.arity, leaf.hash, i, got.path) == got.tree_root
        assert got.state_root == final_root
        with pytest.raises(DAError, match="does not decrypt"):  # another key does not open it
            rebuild(PayloadStore(tmp_path / "member"), i, STRANGER.secret, expected_root=final_root)
    # a member restarted on its folder re-checks it and has the same root
    assert Member(PayloadStore(tmp_path / "member"), MEMBER_KEY, chain_id=CHAIN_ID, rollup=ROLLUP).root == final_root


def _tamper_cases(p: BatchPayload):
    w = p.writes[0]
    e = w.path[0]
    yield "leaf hash", replace(p, writes=(replace(w, leaf=replace(w.leaf, hash=w.leaf.hash + 1)),) + p.writes[1:])
    yield "a leaf with an aux field", replace(p, writes=(replace(w, leaf=replace(w.leaf, aux=(0,))),) + p.writes[1:])
    yield "box commitment", replace(p, writes=(replace(w, path=(replace(e, aux=(e.aux[0] + 1,)),) + w.path[1:]),)
                                    + p.writes[1:])
    yield "a node without its box commitment", replace(p, writes=(replace(w, path=(replace(e, aux=()),) + w.path[1:]),)
                                                       + p.writes[1:])
    yield "path node", replace(p, writes=(replace(w, path=(replace(e, hash=e.hash + 1),) + w.path[1:]),)
                               + p.writes[1:])
    yield "new root", replace(p, new_root=p.new_root + 1)
    yield "old root", replace(p, old_root=p.old_root + 1)
    yield "globals", replace(p, globals=(p.globals[0] + 1,) + p.globals[1:])
    yield "a write dropped", replace(p, writes=p.writes[1:])
    yield "writes out of order", replace(p, writes=p.writes[::-1])
    yield "a leaf's second write dropped", replace(p, writes=p.writes[:-2] + p.writes[-1:])
    yield "a nonce", replace(p, writes=(replace(w, nonce=w.nonce + 1),) + p.writes[1:])
    yield "short ciphertext", replace(p, writes=(replace(w, ciphertext=w.ciphertext[:-1]),) + p.writes[1:])


def test_member_refuses_payloads_that_do_not_rebuild_the_root(history):
    _, payloads = history
    tree, root = SparseTree(layout.Shape(TINY.arity, TINY.depth, TINY.num_markets)), None
    for p in payloads[:2]:
        root, tree = check(p, tree, root)
    p = payloads[2]
    assert len(p.writes) >= 2
    for name, bad in _tamper_cases(p):
        with pytest.raises(DAError):
            check(bad, tree, root)
    assert check(p, tree, root)[0] == p.new_root


def test_store_is_append_only_and_the_owner_refuses_a_stale_or_forged_store(tmp_path, history):
    state, payloads = history
    store = _store(tmp_path, state)
    member = Member(store, MEMBER_KEY, chain_id=CHAIN_ID, rollup=ROLLUP)
    for p in payloads[:-1]:
        member.receive(p)
    with pytest.raises(DAError):  # out of order
        member.receive(payloads[-2])
    other = replace(payloads[-2], new_root=payloads[-2].new_root + 1)
    with pytest.raises(StoreError):  # equivocation: another payload for a stored batch
        store.append(other)
    with pytest.raises(DAError, match="stale or forged"):  # the chain is one batch further
        rebuild(store, 1, owner_of(1).secret, expected_root=payloads[-1].new_root)
    member.receive(payloads[-1])
    assert rebuild(store, 1, owner_of(1).secret, expected_root=payloads[-1].new_root).batch_number == len(payloads) - 1
    # a forged ciphertext is refused by the owner's decryption, not silently used
    w = payloads[-1].writes[-1]  # the last write of its leaf: the one the owner decrypts
    forged_dir = tmp_path / "forged"
    forged = PayloadStore.create(forged_dir, **{k: v for k, v in store.manifest().items()
                                                if k in ("arity", "depth", "num_markets")},
                                 genesis_root=int(store.manifest()["genesis_root"]),
                                 sequencer_public_key=state.da_public)
    for p in payloads[:-1]:
        forged.append(p)
    bad_ct = (w.ciphertext[0] + 1,) + w.ciphertext[1:]
    forged.append(replace(payloads[-1], writes=payloads[-1].writes[:-1] + (replace(w, ciphertext=bad_ct),)))
    with pytest.raises(DAError, match="does not decrypt"):
        rebuild(forged, w.index, owner_of(w.index).secret, expected_root=payloads[-1].new_root)


def test_rebuilt_exit_inputs_equal_the_sequencers(tmp_path, history):
    """The exit circuit's inputs built from a member's folder and the owner's key equal those
    the sequencer's State gives (circuits/settlement/exit.exit_inputs), and solve the exit
    circuit's constraints."""
    from circuits.settlement.exit import exit_equity, exit_inputs

    state, payloads = history
    store = _store(tmp_path, state)
    member = Member(store, MEMBER_KEY, chain_id=CHAIN_ID, rollup=ROLLUP)
    for p in payloads:
        member.receive(p)
    for i in state.accounts:
        got = rebuild(store, i, owner_of(i).secret, expected_root=state.root())
        assert got.exit_inputs(TINY) == exit_inputs(state, i)
        assert got.equity(TINY) == exit_equity(state, i)


def test_payloads_show_no_box_and_no_salt(history):
    """Only hashes and box commitments are in the clear: no account's packed box or salt is
    among a payload's fields outside the ciphertexts (boxes are liquidation bounds)."""
    state, payloads = history
    secret = {x for a in state.accounts.values() for x in (*boxes.pack_box(a.box), a.salt)}
    for p in payloads:
        for w in p.writes:
            clear = [*w.leaf.fields(), *(x for e in w.path for x in e.fields())]
            assert not secret & set(clear)
            assert len(w.leaf.aux) == 0 and all(len(e.aux) == 1 for e in w.path)
