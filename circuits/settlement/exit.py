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

    leaf[7 + 2M (+ 2K + 1)]      the account leaf, `spec.state.Account.fields()` order (its
                                 salt last; options presets: K slots and the option box
                                 digest before it, and the options' inputs below, "Options")
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
2M products: 2640 constraints for TINY, 3228 for DEMO, 5410 for MAINNET (with boxes in the
path it was 3844, 5286 and 11646; `python -m circuits.settlement.stats` prints the counts).

Options (presets with K = option_slots > 0)
-------------------------------------------
What an exit pays. The equity is the account's total value at the last settled state as the
batch's margin measures it (`spec.cross_margin.total_value`, `spec.option_exit`):

    equity = TV above + sum_k n_k v_k,   v_k = intrinsic value at the recorded settlement
                                               price (series settled in the book)
                                             = the last round's mark, entry 0 of the series'
                                               risk array (live series)

A live series is valued at the last mark *whatever its expiry*, also one that expires after
the freeze: the exit closes the book out at the last proven figures, as a clearing house
closes out a defaulter's portfolio at its last marks, and never waits for the expiry. Why:
- every exit is >= 0: the last batch proved every account above maintenance at exactly these
  marks (`options.py`: box_surplus <= the marks' surplus S, in integers, and BPS * TV >= S,
  since TV_j = W_j,0 >= min_s W_j,s), so each owner can exit (the equity range check passes);
- the exits sum to the pool: one value per series for every holder, and the sizes of a live
  series sum to zero (trades and liquidations move positions between accounts), so the
  options' values cancel; a settled series' unclosed positions are the cash its closed
  holders already took. Sum over accounts of the equities = sum C + sum q f + unclosed cash,
  the collateral the contract holds (`tests/sequencer/test_option_exit.py` checks it on
  random portfolios). The insurance fund exits like any account;
- nothing after the freeze is needed: no oracle round (the committee may be what failed),
  no batch. Letting positions run to expiry instead would leave them unmargined (no batch
  liquidates any more): a short's loss beyond its collateral could not be collected and the
  pool could not pay the longs. Intrinsic value at the last price for live series would be
  zero-sum but not margin-backed (a long out-of-the-money option counts in the margin at its
  time value; valued at 0 the account can be below 0, and the others' exits then exceed the pool).

What it opens (private inputs, all bound by the public root):

    options.book[M + 3]          timestamp, vols[M], series root, figures root: the book
                                 digest (`OptionBook.digest`) is the globals' last field
    options.figures[2M + 4]      round, timestamp, prices[M], vols[M], grid digest, events: with
    options.figures_tree_root    the tree root, the preimage of the figures root
                                 (`OptionFigures.commit_root`)
    slot.series[K][5]            per slot the series' fields (market, is_call, strike,
    slot.code[K]                 expiry, smile) and settlement code, with the path
    slot.series_path[K][16]      of its leaf in the series tree (position = the series id)
    slot.row[K][46]              a live series' risk array, row[0] its mark, and its path in
    slot.fig_*[K][24]            the committee's tree: per level present, alone, right, sibling

Why this is sound. (1) The series: its leaf Poseidon(sid, fields, code) reaches the book's
series root along the bits of sid (range-checked to SERIES_BITS), so the fields and code are
the book's for this id, and an id the book never listed has no opening (its leaf is empty:
hash 0, which no Poseidon output is). The code is price + 2^20 * settled with price < 2^16
and the bits between zero: unique. (2) A settled series takes intrinsic value, max(0,
+-(price - strike)) * step_j (the call/put sign from is_call, boolean; step_j by a one-hot
of the series' market), the mark is not used; a live series takes row[0], which must be
opened: its leaf Poseidon over (sid, 0, row) is a Poseidon of 3 chunk hashes, while the
committee tree's inner nodes are Poseidons of 1 or 2 inputs and its corner-row leaves of 2,
so by collision resistance a walk that reaches the tree root (whatever the level flags
choose: each hashing step's inputs must be the true children of a true node) opens a real
risk array of series sid, and the tree root with the round's scalars hashes to the book's
figures root. (3) A slot with series 0 is empty and must hold size 0 (asserted), so its
dummy opening (not enforced) adds nothing. (4) Bounds: |n| < 2^39, v < 2^49 (the mark range
checked, intrinsic < 2^16 step), so each n v < 2^88 and the sum stays far below r; the
equity's TV_BITS range check is unchanged (an account worth more than 2^93 units could not
exit; none is).

Cost per slot (compiled): 17.6k constraints: the figures path 24 x 459 (a Poseidon of 2 and
one of 1 per level: the committee's tree hashes an odd node alone, and 24 levels cover
181 x (2^16 - 1) leaves), the series path 16 x 241 and its leaf 381, the risk array's leaf
2,088 (48 inputs), the rest ~100. The exit circuit is 21,000 constraints at K = 1, 38,580 at
K = 2 (TINY_OPTIONS), 74,133 at K = 4. K = 0 builds the identical R1CS as before (same digest).
A rows tree that promoted an odd node unchanged (or padded to a fixed depth) would save the
Poseidon of one input, ~5k a slot.
"""
from __future__ import annotations

from typing import Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import assert_bool, from_bits, to_bits
from circuits.gadgets.comparators import assert_equal_if_enabled, is_zero
from circuits.gadgets.merkle import _place
from circuits.gadgets.poseidon import poseidon
from sequencer.spec import option_exit as ox
from sequencer.spec import options as opt
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


# --- options (K > 0) ------------------------------------------------------------------------------
SERIES_FIELDS = 5  # Series.fields(): market, is_call, strike, expiry, smile_bps
CODE_BITS = opt.SETTLED_FLAG.bit_length()  # 21: settlement code = price (16 bits) + 2^20 * settled


@gadget
def open_series(c: Circuit, sid, series: list, code, siblings: list) -> LC:
    """The root of the book's series tree reached from series `sid`'s leaf
    (`OptionBook.series_leaf`) at position sid (its SERIES_BITS bits, LSB first)."""
    bits = to_bits(c, sid, opt.SERIES_BITS)
    cur = hash_fields(c, [sid, *series, code])
    for bit, sib in zip(bits, siblings):
        cur = poseidon(c, _place(c, cur, [bit], sib, 2))
    return cur


@gadget
def walk_figures(c: Circuit, leaf, present: list, alone: list, right: list, siblings: list) -> LC:
    """`option_exit.walk_figures_path`: per level the node passes (present 0), is hashed
    alone (an odd node out) or with its sibling on the side `right` says."""
    cur = LC.of(leaf)
    for p, a, r, sib in zip(present, alone, right, siblings):
        with c.scope("level"):
            for b in (p, a, r):
                assert_bool(c, b)
            pair = poseidon(c, _place(c, cur, [r], sib, 2))
            single = poseidon(c, [cur])
            hashed = pair + c.mul(a, single - pair)
            cur = cur + c.mul(p, hashed - cur)
    return cur


@gadget
def slot_exit_value(c: Circuit, preset: Preset, sid, n, op: dict, series_root, figures_tree_root,
                    figures_ok) -> LC:
    """n * v for one option slot (module docstring, "Options"): v = intrinsic value at the
    settlement price of a settled series, the mark (risk array entry 0) of a live one; 0 for
    an empty slot (series 0, which holds nothing). `figures_ok`: the figures preimage hashes to
    the book's figures root (0/1 as an LC difference: asserted zero where a live slot uses it)."""
    m = preset.num_markets
    empty = is_zero(c, sid)
    c.assert_product(empty, n, 0)  # series 0 holds no position
    used = 1 - empty
    assert_signed_bits(c, n, POSITION_BITS)
    market, is_call, strike = op["series"][0], op["series"][1], op["series"][2]
    # the series and its settlement code, from the book's series tree
    with c.scope("series"):
        reached = open_series(c, sid, op["series"], op["code"], op["series_path"])
        assert_equal_if_enabled(c, used, reached, series_root)
    with c.scope("code"):
        code_bits = to_bits(c, op["code"], CODE_BITS)
        for b in code_bits[GRID_BITS:CODE_BITS - 1]:
            c.assert_zero(b)
        price, settled = from_bits(c, code_bits[:GRID_BITS]), LC.of(code_bits[-1])
    # the series' market picks the price step (one-hot over the M markets)
    with c.scope("market"):
        onehot = c.hint(lambda v: [int(v == j) for j in range(m)], market, n=m,
                        names=[f"{c.gadget_path}.is[{j}]" for j in range(m)])
        for e in onehot:
            assert_bool(c, e)
        c.assert_equal(sum((LC.of(e) for e in onehot), LC()), 1)
        c.assert_equal(sum((LC.of(e) * j for j, e in enumerate(onehot)), LC()), market)
        step = sum((LC.of(e) * mk.price_step for e, mk in zip(onehot, preset.markets)), LC())
    # intrinsic value at the settlement price: max(0, +-(price - strike)) * step
    with c.scope("intrinsic"):
        assert_bool(c, is_call)
        to_bits(c, strike, GRID_BITS)
        x = c.mul(LC.of(price) - strike, LC.of(is_call) * 2 - 1)
        itm = to_bits(c, x + (1 << GRID_BITS), GRID_BITS + 1)[GRID_BITS]
        intrinsic = c.mul(c.mul(itm, x), step)
    # the mark of a live series: its risk array under the figures root
    with c.scope("mark"):
        mark = op["row"][0]
        to_bits(c, mark, opt.VALUE_BITS)
        leaf = hash_fields(c, ox.array_leaf_inputs(sid, op["series"], op["row"]))
        reached = walk_figures(c, leaf, op["fig_present"], op["fig_alone"], op["fig_right"], op["fig_sibling"])
        live = c.mul(used, 1 - settled)
        assert_equal_if_enabled(c, live, reached, figures_tree_root)
        assert_equal_if_enabled(c, live, figures_ok, 0)
    value = LC.of(mark) + c.mul(settled, intrinsic - mark)
    return c.mul(n, value)


def _declare_options(c: Circuit, preset: Preset) -> dict:
    """The options' private inputs (module docstring, "Options")."""
    m, k = preset.num_markets, preset.option_slots
    depth = ox.FIGURES_DEPTH
    return {
        "book": c.private_input("options.book", m + 3),  # timestamp, vols[M], series root, figures root
        "figures": c.private_input("options.figures", 2 * m + 4),  # round, timestamp, prices, vols, grid, events
        "figures_tree_root": c.private_input("options.figures_tree_root"),
        "series": c.private_input("slot.series", (k, SERIES_FIELDS)),
        "code": c.private_input("slot.code", k),
        "series_path": c.private_input("slot.series_path", (k, opt.SERIES_DEPTH)),
        "row": c.private_input("slot.row", (k, opt.N_SCENARIOS)),
        "fig_present": c.private_input("slot.fig_present", (k, depth)),
        "fig_alone": c.private_input("slot.fig_alone", (k, depth)),
        "fig_right": c.private_input("slot.fig_right", (k, depth)),
        "fig_sibling": c.private_input("slot.fig_sibling", (k, depth)),
    }


def options_value(c: Circuit, preset: Preset, leaf: Leaf, ins: dict) -> LC:
    """sum_k n_k v_k over the leaf's K option slots, with the book opened from its digest
    (the last globals field, returned separately by `book_digest`)."""
    m = preset.num_markets
    book = ins["book"]
    series_root, figures_root = book[m + 1], book[m + 2]
    with c.scope("figures"):
        commit = hash_fields(c, [*ins["figures"], ins["figures_tree_root"]])
    total = LC()
    for k in range(preset.option_slots):
        sid, n = leaf.option_series[k], leaf.option_sizes[k]
        op = {name: ins[name][k] for name in ("series", "code", "series_path", "row", "fig_present",
                                              "fig_alone", "fig_right", "fig_sibling")}
        with c.scope(f"slot{k}"):
            total = total + slot_exit_value(c, preset, sid, n, op, series_root, ins["figures_tree_root"],
                                            commit - figures_root)
    return total


def build_exit_circuit(c: Circuit, preset: Preset) -> None:
    """Declare the exit circuit's inputs (module docstring) and its constraints."""
    m, d, a = preset.num_markets, preset.depth, preset.arity
    k_slots = preset.option_slots
    # public, in verifier order
    root = c.public_input("root")
    prices = c.public_input("prices", m)
    funding = c.public_input("fundingIndices", m)
    account_id = c.public_input("accountId")
    l1_address = c.public_input("l1Address")
    equity = c.public_input("equity")
    # private
    fields = c.private_input("leaf", leaf_width(m, k_slots))
    sib_hash = c.private_input("path.sib_hash", (d, a - 1))
    box_commit = c.private_input("path.box_commit", d)
    tree_root = c.private_input("tree_root")
    globals_ = [c.private_input(n) for n in GLOBAL_NAMES]
    options = _declare_options(c, preset) if k_slots else None

    # (options presets: the K slots and the option box digest sit between the positions and
    # the salt, `spec.state.Account.fields()`)
    leaf = Leaf.from_fields(fields, m, k_slots)

    # the leaf at index accountId (< capacity) under tree_root
    with c.scope("account_bits"):
        index_bits = to_bits(c, account_id, preset.account_bits)
    computed = open_leaf(c, preset, leaf_hash(c, leaf), index_bits, sib_hash, box_commit)
    c.assert_equal(computed, tree_root)

    # the state root: Poseidon(tree_root, globals_hash), the public prices and funding inside
    # (options presets: the book digest last, Poseidon of its opened fields)
    book = [hash_fields(c, options["book"])] if k_slots else []
    globals_hash = hash_fields(c, [*globals_, *prices, *funding, *book])
    c.assert_equal(hash_fields(c, [tree_root, globals_hash]), root)

    # the payee is the owner
    c.assert_equal(l1_address, leaf.l1_address)

    # equity = TV, 0 <= TV < 2^TV_BITS
    tv = total_value_gadget(c, preset, leaf, prices, funding)
    if k_slots:
        with c.scope("options"):
            tv = tv + options_value(c, preset, leaf, options)
    c.assert_equal(equity, tv)
    with c.scope("equity_range"):
        to_bits(c, equity, TV_BITS)


# --- witness ------------------------------------------------------------------------------------
def exit_equity(state: State, account_id: int) -> int:
    """The account's total value at the state's prices and funding indices, options at the
    last marks or their settlement (may be negative for a state no batch settled; the
    circuit refuses a negative equity)."""
    account = _account(state, account_id)
    return total_value(account, state.preset, state.prices, state.funding) \
        + ox.option_exit_value(account, state.preset, state.options)


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
                             state.tree.root, state.globals_fields(), state.options)


def owner_exit_inputs(preset: Preset, account_id: int, account: Account, path: Sequence[PathLevel], tree_root: int,
                      globals_fields: Sequence[int], book: "opt.OptionBook | None" = None) -> dict:
    """The exit circuit's input dict from what the owner holds: its own leaf (salt included),
    its path (hashes only: the account route's `merkle_path`), the tree root and the
    globals (`State.globals_fields()`: batch number, oracle round, queue indices, prices,
    funding indices, and on options presets the book digest). Nothing of another account
    enters but the path's hashes. Options presets also need the book (`OptionBook`: the
    listed series, settlements and the last round's figures, all public: the oracle's)."""
    m = preset.num_markets
    g = list(globals_fields)
    prices, funding = g[len(GLOBAL_NAMES):len(GLOBAL_NAMES) + m], g[len(GLOBAL_NAMES) + m:len(GLOBAL_NAMES) + 2 * m]
    root = hash_fields_int([tree_root, hash_fields_int(g)])
    equity = total_value(account, preset, prices, funding)
    if preset.option_slots:
        if book is None or book.digest() != g[-1]:
            raise ValueError("an options preset's exit needs the state's option book (its digest is the globals' last)")
        equity += ox.option_exit_value(account, preset, book)
    inputs = {
        "root": root,
        "prices": list(prices),
        "fundingIndices": [to_field(f) for f in funding],
        "accountId": account_id,
        "l1Address": account.l1_address,
        "equity": to_field(equity),
        "leaf": [to_field(x) for x in account.fields()],
        "path.sib_hash": [list(level.sibling_hashes) for level in path],
        "path.box_commit": [level.box_commitment for level in path],
        "tree_root": tree_root,
    }
    for name, value in zip(GLOBAL_NAMES, g):
        inputs[name] = to_field(value)
    if preset.option_slots:
        inputs.update(option_exit_inputs(preset, account, book))
    return inputs


def option_exit_inputs(preset: Preset, account: Account, book: "opt.OptionBook") -> dict:
    """The options' private inputs: the book's opened digest, the figures preimage, and per
    slot the series and (live series) the risk array with their paths (`spec.option_exit`)."""
    preimage, inner = ox.figures_preimage(book, preset)
    openings = [ox.slot_opening(book, preset, sid) for sid, _ in account.option_slots]
    return {
        "options.book": [book.timestamp, *book.vols, opt.series_root(book), book.figures_root],
        "options.figures": preimage,
        "options.figures_tree_root": inner,
        "slot.series": [list(o.series) for o in openings],
        "slot.code": [o.code for o in openings],
        "slot.series_path": [list(o.series_path) for o in openings],
        "slot.row": [list(o.row) for o in openings],
        "slot.fig_present": [[lv.present for lv in o.figures_path] for o in openings],
        "slot.fig_alone": [[lv.alone for lv in o.figures_path] for o in openings],
        "slot.fig_right": [[lv.right for lv in o.figures_path] for o in openings],
        "slot.fig_sibling": [[lv.sibling for lv in o.figures_path] for o in openings],
    }
