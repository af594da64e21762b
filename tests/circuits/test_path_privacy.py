"""A Merkle path handed to an owner reveals nothing of other accounts but hashes.

What an owner gets: its own leaf and its path (`spec.tree.BoxTree.path`), through the exit
witness (`circuits.settlement.exit.exit_inputs`) and the account route (the API test
`test_owner_path_is_hashes_only` checks the route serves exactly this path). The tests:

- the path is hashes only, each one the output of a hash the tree computes (a node hash or
  a box commitment), and changing every other account (collateral, positions, box) changes
  nothing in what the owner gets but hash values: no field carries another account's data;
- the hashes cannot be searched: the owner's neighbour's leaf hash and the box commitment
  over its box do not open to the neighbour's true data with any salt or blind the owner
  knows; they do with the neighbour's salt, which only the sequencer holds.
"""
from __future__ import annotations

import copy
import sys
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sequencer"))

from circuits.settlement.exit import exit_inputs  # noqa: E402
from sequencer.spec import TINY, Batch, State, process_batch  # noqa: E402
from sequencer.spec import box as spec_box  # noqa: E402
from sequencer.spec.constants import FIELD_MODULUS  # noqa: E402
from sequencer.spec.hashing import hash_fields  # noqa: E402
from sequencer.spec.state import account_hash  # noqa: E402
from sequencer.spec.tree import PathLevel, blind_hash, box_commitment, path_root  # noqa: E402
from spec_helpers import LOT_PRICE, apply, funded_state, pinned, trade_op  # noqa: E402

OWNER, NEIGHBOUR = 2, 3  # siblings at level 0 of the binary TINY tree
HASHES_ONLY = {"position", "sibling_hashes", "box_commitment"}


def boxed_state() -> State:
    """Accounts 1..5 funded; 1 long BTC-T from 2, 3 short ETH-T to 1, settled (so 1, 2 and 3
    have boxes of their own)."""
    s = funded_state(5)
    apply(s, trade_op(s, 0, 90, LOT_PRICE, 1, 2))
    apply(s, trade_op(s, 1, 400, 100_000, 3, 1, seller_nonce=1))
    process_batch(s, pinned(s, Batch(1, 1, (1013, 987), ())))
    assert s.accounts[NEIGHBOUR].box != spec_box.full(TINY.num_markets)
    return s


def others_changed(s: State) -> State:
    """The same state with every account but the owner's rewritten: other collateral,
    positions and box (ids, keys and salts kept)."""
    t = copy.deepcopy(s)
    for i, a in list(t.accounts.items()):
        if i != OWNER:
            box = tuple((lo + 1, hi - 1, flo, fhi) for lo, hi, flo, fhi in a.box) if a.box != spec_box.full(
                TINY.num_markets) else tuple((900, 1100, -10, 10) for _ in a.box)
            t.write_account(i, replace(a, collateral=a.collateral + 12345,
                                       positions=tuple(q + 1 for q in a.positions), box=box))
    return t


def test_path_is_hashes_of_the_tree():
    """Each level holds a position and hashes only; each sibling hash is a node of the tree
    and each box commitment the commitment over the parent's children's boxes and blind."""
    s = boxed_state()
    tree, a = s.tree, TINY.arity
    path = tree.path(OWNER)
    assert {f.name for f in fields(PathLevel)} == HASHES_ONLY
    index = OWNER
    for k, level in enumerate(path):
        assert level.position == index % a
        siblings = [index - index % a + i for i in range(a) if i != index % a]
        assert list(level.sibling_hashes) == [tree.hash_at(k, j) for j in siblings]
        parent = index // a
        children = [tree.box_at(k, parent * a + i) for i in range(a)]
        assert level.box_commitment == box_commitment(children, tree.blind_at(k + 1, parent))
        assert all(0 <= h < FIELD_MODULUS for h in (*level.sibling_hashes, level.box_commitment))
        index = parent
    assert path_root(a, account_hash(s.accounts[OWNER]), OWNER, path) == tree.root


def test_other_accounts_change_only_hash_values():
    """Rewriting every other account leaves the owner's leaf, positions, address and equity
    as they were; what changes in its path and exit witness are hash values (and the roots)."""
    s = boxed_state()
    t = others_changed(s)
    p, q = s.tree.path(OWNER), t.tree.path(OWNER)
    assert [lv.position for lv in p] == [lv.position for lv in q]
    assert all(lp.sibling_hashes != lq.sibling_hashes or lp.box_commitment != lq.box_commitment
               for lp, lq in zip(p, q))  # the neighbour is below every level
    x, y = exit_inputs(s, OWNER), exit_inputs(t, OWNER)
    assert x.keys() == y.keys()
    assert {k for k in x if not k.startswith("path.")} >= {"leaf", "tree_root", "root"}
    assert {k for k in x if k.startswith("path.")} == {"path.sib_hash", "path.box_commit"}
    assert x["path.sib_hash"] == [list(lv.sibling_hashes) for lv in p]
    assert x["path.box_commit"] == [lv.box_commitment for lv in p]
    changed = {k for k in x if x[k] != y[k]}
    assert changed == {"path.sib_hash", "path.box_commit", "tree_root", "root"}


def _flat(v):
    if isinstance(v, list):
        for x in v:
            yield from _flat(x)
    else:
        yield v


def test_owner_cannot_search_its_neighbours_leaf_or_box():
    """The neighbour's leaf hash and the level-1 box commitment (over the owner's and the
    neighbour's boxes) do not open to the neighbour's true leaf and box with any salt or
    blind the owner has; with the neighbour's salt (the sequencer's) they do."""
    s = boxed_state()
    own, neighbour = s.accounts[OWNER], s.accounts[NEIGHBOUR]
    level = s.tree.path(OWNER)[0]
    (neighbour_hash,) = level.sibling_hashes
    view = set(_flat(list(exit_inputs(s, OWNER).values())))
    assert neighbour.salt not in view and s.da_scalar not in view
    # the owner's guesses: no salt, its own, the development seed's pattern without the seed
    guesses = [0, own.salt, 1, NEIGHBOUR, hash_fields([0, NEIGHBOUR])]
    true_fields = neighbour.fields()[:-1]
    assert all(hash_fields(true_fields + [g]) != neighbour_hash for g in guesses)
    assert hash_fields(true_fields + [neighbour.salt]) == neighbour_hash
    # the box commitment: even the true box does not match without the neighbour's salt
    pair = [own.box, neighbour.box] if OWNER % 2 == 0 else [neighbour.box, own.box]
    packed = [x for b in pair for x in spec_box.pack_box(b)]
    blinds = [0, own.salt, blind_hash([own.salt, 0]), blind_hash([own.salt, own.salt])]
    assert all(box_commitment(pair, b) != level.box_commitment for b in blinds)
    assert hash_fields(packed) != level.box_commitment  # the unblinded box hash of old
    assert box_commitment(pair, blind_hash([own.salt, neighbour.salt])) == level.box_commitment


def test_salts_come_from_the_da_key():
    """Salts differ per account and with the sequencer's DA scalar (spec.da: Poseidon(ECDH(s,
    owner key).x, id)); another scalar gives other leaf hashes and another root for the same
    accounts (nothing else in the state changes)."""
    s = funded_state(3)
    salts = [s.accounts[i].salt for i in range(4)]
    assert len(set(salts)) == 4 and all(0 < x < FIELD_MODULUS for x in salts)
    assert salts == [s.leaf_salt(i, s.accounts[i].pubkey) for i in range(4)]
    t = State.genesis(TINY, s.accounts[0].pubkey, s.accounts[0].l1_address, s.prices, da_scalar=12345)
    assert t.accounts[0].salt != salts[0] and t.tree.root != State.genesis(
        TINY, s.accounts[0].pubkey, s.accounts[0].l1_address, s.prices).tree.root
