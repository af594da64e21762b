"""The exit circuit: an owner's equity at the last settled state root.

Once the contract is frozen (`Rollup.sol`, `exit`), no batch settles any more and each
owner is paid what its account is worth at the last settled state: its total value

    equity = TV = C + sum_j q_j g_j step_j - sum_j q_j (F_j - f_j)        (collateral units)

(`sequencer.spec.margin.total_value`), where g_j are the last batch's ladder prices,
step_j the preset's price steps, F_j the last funding indices, and (C, q_j, f_j) the
account's collateral, positions and funding snapshots. The contract supplies root, prices
and funding indices from its own storage, the caller the account id, the payee and the
amount; the proof says they belong together.

Public inputs (verifier order, `verifier_contracts.rollup.EXIT_PUBLIC_INPUT_NAMES`, 2M + 4):

    root                the state root (`spec.state.State.root`)
    prices[M]           the state's ladder prices g_j (globals)
    fundingIndices[M]   the state's funding indices F_j (globals; a negative x is r - |x|)
    accountId           the account (leaf index)
    l1Address           the leaf's L1 address: the exit pays there
    equity              TV, 0 <= TV < 2^TV_BITS

Private inputs (`exit_inputs` builds them from a spec `State`):

    leaf[7 + 2M]                 the account leaf, `spec.state.Account.fields()` order (its
                                 salt last)
    path.sib_hash[D][a - 1]      per level, the siblings' hashes (the path's slot left out)
    path.box_commit[D]           per level, the parent's box commitment (`spec.tree`)
    tree_root                    the state tree's root

The path is the owner's (`spec.tree.BoxTree.path`, the account route's `merkle_path`): only
hashes. The exit changes nothing in the tree, so it needs no box: a node's box commitment
enters its hash as one opaque value, and the owner never sees another account's box.
    batch_number, oracle_round, registration_index, deposit_index, forced_index
                                 the other globals (prices and funding are public)

The positions of the path's nodes among their siblings are not inputs: they are the digits
of accountId in base a (`to_bits(accountId, account_bits)`, log2(a) bits per level, least
significant first), so the opened leaf is the one at index accountId, and accountId is
below the capacity a^D.

Why this is sound
-----------------
1. The root binds everything opened. The circuit hashes the leaf (`leaf_hash`), then per
   level the parent Poseidon(children, box commitment) (`spec.tree.node_hash`) with the
   path's node placed at its position, and asserts the result is `tree_root`; then it
   asserts root = Poseidon(tree_root, hash_fields(globals)) exactly as `State.root()`, with
   the public prices and funding indices in the globals. Poseidon being collision
   resistant, a proof for a root opens the leaf at accountId of *that* state, and its
   prices and funding indices are the state's. The box commitments are bound as values;
   what they open to does not matter here (no intersection: the exit does not change the
   tree). An empty leaf has hash 0, which no leaf preimage hashes to, so only registered
   accounts can exit.
2. The payee is the owner's: l1Address equals the opened leaf's l1_address.
3. The equity is computed, not claimed. C, q_j, f_j are range-checked as signed values of
   COLLATERAL_BITS, POSITION_BITS and FUNDING_BITS, and (for self-containment, they are
   bound by the root anyway) g_j as GRID_BITS and F_j as signed FUNDING_BITS values. Then
   |q_j g_j step_j| < 2^87, |q_j (F_j - f_j)| < 2^87 and |TV| < 2^TV_BITS (= 2^93, see
   `spec.constants`), far below r, so the field arithmetic computes the integer TV. The
   circuit asserts equity == TV and equity in [0, 2^TV_BITS): a negative TV would be a
   field element near r and fails the range check. (Every settled state has TV >= MR >= 0
   for every account, which the batch circuit proves, so every owner can exit.)

Cost: one leaf hash, D node hashes, the globals and root hashes, per level the placement of
the path's hash among the siblings (arity 2: 1 product; arity 4: 5), the range checks and
2M products: 2654 constraints for TINY, 3242 for DEMO, 5432 for MAINNET (with boxes in the path
it was 3844, 5286 and 11646; `python -m circuits.settlement.stats` prints the counts).
"""
from __future__ import annotations

from typing import Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import to_bits
from circuits.gadgets.merkle import _place
from sequencer.spec.constants import (COLLATERAL_BITS, FUNDING_BITS, GRID_BITS, POSITION_BITS, TV_BITS,
                                      Preset)
from sequencer.spec.hashing import hash_fields as hash_fields_int
from sequencer.spec.hashing import to_field
from sequencer.spec.margin import total_value
from sequencer.spec.state import Account, State
from sequencer.spec.tree import PathLevel

from .common import Leaf, hash_fields, leaf_hash, leaf_width, node_hash_from

GLOBAL_NAMES = ("batch_number", "oracle_round", "registration_index", "deposit_index", "forced_index")


# --- gadgets -----------------------------------------------------------------------------------
@gadget
def assert_signed_bits(c: Circuit, x, n: int) -> None:
    """-2^(n-1) <= x < 2^(n-1) (n constraints)."""
    to_bits(c, LC.of(x) + (1 << (n - 1)), n)


def _position_selectors(c: Circuit, bits: list, arity: int) -> list:
    """One-hot e_p (p = position) from the level's position bits, LSB first (arity 4: one
    product). Arity 2 needs none (`_place` swaps with the bit)."""
    if arity == 2:
        return []
    b0, b1 = LC.of(bits[0]), LC.of(bits[1])
    b01 = c.mul(b0, b1)
    return [1 - b0 - b1 + b01, b0 - b01, b1 - b01, LC.of(b01)]


def _insert(c: Circuit, own, sibs: list, bits: list, sel: list, arity: int) -> list:
    """The a children of a parent: `sibs` (a - 1 values, in order) with `own` inserted at the
    position. Arity 2: `_place` (one product). Arity 4: children 0, 1, 3 by products with
    the selectors (4 products) and child 2 as the sum of all minus the other three (linear:
    the children are a permutation of own and the siblings)."""
    own = LC.of(own)
    if arity == 2:
        return _place(c, own, bits, sibs[0], 2)
    s0, s1, s2 = (LC.of(s) for s in sibs)
    e0, e1, _, e3 = sel
    child0 = s0 + c.mul(e0, own - s0)
    child1 = s1 + c.mul(e0, s0 - s1) + c.mul(e1, own - s1)
    child3 = s2 + c.mul(e3, own - s2)
    child2 = own + s0 + s1 + s2 - child0 - child1 - child3
    return [child0, child1, child2, child3]


@gadget
def open_leaf(c: Circuit, preset: Preset, leaf_h, index_bits: list, sib_hash: list, box_commit: list) -> LC:
    """The tree root reached from the leaf hash `leaf_h` along an owner's path (hashes
    only, `spec.tree.path_root`): per level Poseidon(children, box_commit[k]) with the own
    node placed among the siblings by its position bits."""
    a = preset.arity
    k_bits = a.bit_length() - 1
    cur = LC.of(leaf_h)
    for k in range(preset.depth):
        with c.scope("level"):
            bits = index_bits[k * k_bits:(k + 1) * k_bits]
            sel = _position_selectors(c, bits, a)
            children = _insert(c, cur, list(sib_hash[k]), bits, sel, a)
            cur = node_hash_from(c, children, box_commit[k])
    return cur


@gadget
def total_value_gadget(c: Circuit, preset: Preset, leaf: Leaf, prices: list, funding: list) -> LC:
    """TV = C + sum_j q_j g_j step_j - sum_j q_j (F_j - f_j), every operand range-checked so
    that the integer value is below 2^(TV_BITS - 1) in magnitude (2M products)."""
    assert_signed_bits(c, leaf.collateral, COLLATERAL_BITS)
    tv = LC.of(leaf.collateral)
    for mk, q, f, g, big_f in zip(preset.markets, leaf.positions, leaf.snapshots, prices, funding):
        assert_signed_bits(c, q, POSITION_BITS)
        assert_signed_bits(c, f, FUNDING_BITS)
        to_bits(c, g, GRID_BITS)
        assert_signed_bits(c, big_f, FUNDING_BITS)
        tv = tv + c.mul(q, g) * mk.price_step - c.mul(q, LC.of(big_f) - f)
    return tv


def build_exit_circuit(c: Circuit, preset: Preset) -> None:
    """Declare the exit circuit's inputs (module docstring) and its constraints."""
    m, d, a = preset.num_markets, preset.depth, preset.arity
    # public, in verifier order
    root = c.public_input("root")
    prices = c.public_input("prices", m)
    funding = c.public_input("fundingIndices", m)
    account_id = c.public_input("accountId")
    l1_address = c.public_input("l1Address")
    equity = c.public_input("equity")
    # private
    fields = c.private_input("leaf", leaf_width(m))
    sib_hash = c.private_input("path.sib_hash", (d, a - 1))
    box_commit = c.private_input("path.box_commit", d)
    tree_root = c.private_input("tree_root")
    globals_ = [c.private_input(n) for n in GLOBAL_NAMES]

    leaf = Leaf.from_fields(fields, m)

    # the leaf at index accountId (< capacity) under tree_root
    with c.scope("account_bits"):
        index_bits = to_bits(c, account_id, preset.account_bits)
    computed = open_leaf(c, preset, leaf_hash(c, leaf), index_bits, sib_hash, box_commit)
    c.assert_equal(computed, tree_root)

    # the state root: Poseidon(tree_root, globals_hash), the public prices and funding inside
    globals_hash = hash_fields(c, [*globals_, *prices, *funding])
    c.assert_equal(hash_fields(c, [tree_root, globals_hash]), root)

    # the payee is the owner
    c.assert_equal(l1_address, leaf.l1_address)

    # equity = TV, 0 <= TV < 2^TV_BITS
    tv = total_value_gadget(c, preset, leaf, prices, funding)
    c.assert_equal(equity, tv)
    with c.scope("equity_range"):
        to_bits(c, equity, TV_BITS)


# --- witness ------------------------------------------------------------------------------------
def exit_equity(state: State, account_id: int) -> int:
    """The account's total value at the state's prices and funding indices (may be negative
    for a state no batch settled; the circuit refuses a negative equity)."""
    return total_value(_account(state, account_id), state.preset, state.prices, state.funding)


def _account(state: State, account_id: int):
    account = state.accounts.get(account_id)
    if account is None:
        raise ValueError(f"account {account_id} is not registered: it has no leaf to open")
    return account


def exit_public(state: State, account_id: int) -> list[int]:
    """The exit proof's public inputs, verifier order: root, prices[M], fundingIndices[M],
    accountId, l1Address, equity (field elements)."""
    account = _account(state, account_id)
    return [state.root(), *state.prices, *(to_field(f) for f in state.funding), account_id,
            account.l1_address, to_field(exit_equity(state, account_id))]


def exit_inputs(state: State, account_id: int) -> dict:
    """The compiled exit circuit's input dict (ints, field elements) for `account_id`: the
    account's own leaf and its owner's path (`State.tree.path`: hashes only)."""
    return owner_exit_inputs(state.preset, account_id, _account(state, account_id), state.tree.path(account_id),
                             state.tree.root, state.globals_fields())


def owner_exit_inputs(preset: Preset, account_id: int, account: Account, path: Sequence[PathLevel], tree_root: int,
                      globals_fields: Sequence[int]) -> dict:
    """The exit circuit's input dict from what the owner holds: its own leaf (salt included),
    its path (hashes only: the account route's `merkle_path`), the tree root and the
    globals (`State.globals_fields()`: batch number, oracle round, queue indices, prices,
    funding indices). Nothing of another account enters but the path's hashes."""
    m = preset.num_markets
    g = list(globals_fields)
    prices, funding = g[len(GLOBAL_NAMES):len(GLOBAL_NAMES) + m], g[len(GLOBAL_NAMES) + m:]
    root = hash_fields_int([tree_root, hash_fields_int(g)])
    inputs = {
        "root": root,
        "prices": list(prices),
        "fundingIndices": [to_field(f) for f in funding],
        "accountId": account_id,
        "l1Address": account.l1_address,
        "equity": to_field(total_value(account, preset, prices, funding)),
        "leaf": [to_field(x) for x in account.fields()],
        "path.sib_hash": [list(level.sibling_hashes) for level in path],
        "path.box_commit": [level.box_commitment for level in path],
        "tree_root": tree_root,
    }
    for name, value in zip(GLOBAL_NAMES, g):
        inputs[name] = to_field(value)
    return inputs
