"""The full-sweep alternative to the box tree: every account's margin checked in every batch.

    python -m circuits.settlement.sweep [--preset mainnet] [--arity 2|4] [--build-bits 10]

What each side proves
---------------------
Both designs end a batch with the same statement: *every account of the committed state is
above maintenance margin at the batch's public prices g and funding indices F*
(S_m = BPS * TV - BPS * MR >= 0, `sequencer.spec.margin.maintenance_surplus`).

- Full sweep (this module): the state tree is a plain Poseidon tree of arity a over the leaf
  hashes (no boxes). The circuit takes all N = a^D leaves as private inputs and, for each,
  hashes it (`leaf_hash`), range-checks its positions (`signed_positions`), computes S_m at
  the public (g, F) with the leaf's funding snapshots (`surplus`) and asserts S_m >= 0
  (`assert_nonnegative`); it then rebuilds the whole tree bottom-up and checks its root
  against the public root. Cost per batch: N leaf checks + (N - 1) / (a - 1) inner hashes,
  i.e. O(N) whatever the batch contains, even a batch that only moves the prices.
- Box tree (`batch.py`, `tree.py`): each written leaf proves S_m >= 0 at the worst corner of
  its own box (so everywhere in it) and the path update keeps every node's box the
  intersection of its children's; per batch the circuit then checks only that (g, F) lies in
  the root's box: 4 comparisons per market (`box_tree_cost`), independent of N. Its other
  cost is O(depth) per *written* account (the path update, `python -m
  circuits.settlement.stats`, column "leaf write"), paid by the op slots, not per account.

So the sweep is O(N) per batch, the box tree O(depth) per written account plus O(M).

Empty leaves
------------
Each leaf slot carries a private bit `registered[i]` (boolean-constrained). The slot's hash
in the tree is `registered * leaf_hash(fields)`: an empty slot (registered = 0) hashes to 0,
as in the spec (`spec.state.account_hash(None) == 0`), whatever its fields. The margin check
runs ungated on every slot: an empty account has all-zero fields (C = 0, q = 0, f = 0), so
S_m = 0 passes, and the prover fills empty slots with zeros. Soundness does not depend on
the fields of an empty slot: a slot whose hash in the committed tree is nonzero can only be
opened with registered = 1 and a preimage of that hash (Poseidon), so every committed account
is the one checked. Field ranges of the leaves (C, f_j) are not re-checked here: every leaf
was range-checked when the state-transition circuit wrote it, as in the box tree; the
positions are range-checked anyway (`signed_positions` gives their signs), and the public
prices and funding indices are range-checked once per batch (the fixed part), so S_m is an
integer below 2^(MARGIN_BITS - 1) and cannot wrap modulo r.

Counting
--------
The cost is exactly linear: total(N) = fixed + N * leaf + (N - 1) / (a - 1) * node, with
`leaf` one leaf's work, `node` one Poseidon(a) and `fixed` the public-input checks
(`sweep_parts`, each measured by building). `extrapolate` uses it from 2^8 to 2^20 accounts;
the tests check it against circuits built at 2^4, 2^6 and 2^8 accounts.
"""
from __future__ import annotations

import argparse
import gc
import time
from dataclasses import dataclass, replace
from fractions import Fraction

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.bits import assert_bool, to_bits
from circuits.gadgets.poseidon import poseidon
from sequencer.spec.constants import FUNDING_BITS, GRID_BITS, PRESETS, Preset

from .common import Leaf, leaf_hash, leaf_width
from .margin import assert_nonnegative, signed_positions, surplus

_F_SHIFT = 1 << (FUNDING_BITS - 1)


def _log2_arity(arity: int) -> int:
    return arity.bit_length() - 1


def sweep_preset(preset: Preset, account_bits: int | None = None, arity: int | None = None) -> Preset:
    """`preset` with its capacity (2^account_bits) and/or tree arity overridden."""
    changes = {}
    if account_bits is not None:
        changes["account_bits"] = account_bits
    if arity is not None:
        changes["arity"] = arity
    return replace(preset, **changes) if changes else preset


def leaf_of(fields: list, m: int) -> Leaf:
    """A `Leaf` from `Account.fields()` order: pk_x, pk_y, l1, nonce_hi, bitmap, C, (q_j, f_j)*, salt."""
    return Leaf.from_fields(fields, m)


@gadget
def sweep_leaf(c: Circuit, preset: Preset, fields: list, registered, prices: list, funding: list) -> LC:
    """One leaf slot: S_m >= 0 at (prices, funding); returns its hash in the tree
    (registered * leaf_hash, 0 for an empty slot)."""
    m = preset.num_markets
    leaf = leaf_of([LC.of(x) for x in fields], m)
    assert_bool(c, registered)
    h = c.mul(registered, leaf_hash(c, leaf))
    pos = signed_positions(c, 1, leaf.positions)
    s = surplus(c, preset, leaf.collateral, pos, prices, "maintenance", funding=funding,
                snapshots=leaf.snapshots)
    assert_nonnegative(c, 1, s)
    return h


@gadget
def plain_root(c: Circuit, hashes: list, arity: int) -> LC:
    """Root of the plain Poseidon tree of `arity` over `hashes` (a power of `arity` of them)."""
    level = list(hashes)
    while len(level) > 1:
        assert len(level) % arity == 0
        level = [poseidon(c, level[i:i + arity]) for i in range(0, len(level), arity)]
    return level[0]


def check_public(c: Circuit, prices: list, funding: list) -> None:
    """The batch's ladder prices are GRID_BITS-bit, its funding indices signed FUNDING_BITS."""
    for g in prices:
        to_bits(c, g, GRID_BITS)
    for f in funding:
        to_bits(c, LC.of(f) + _F_SHIFT, FUNDING_BITS)


def build_sweep_circuit(c: Circuit, preset: Preset, account_bits: int | None = None) -> None:
    """The full sweep over 2^account_bits leaves (default: the preset's capacity) in a tree
    of the preset's arity.

    Public: root, prices[M], funding[M]. Private: leaf[N][7 + 2M] (`Account.fields()` order,
    signed values as field elements), registered[N]."""
    p = sweep_preset(preset, account_bits)
    m, n = p.num_markets, p.capacity
    root = c.public_input("root")
    prices = c.public_input("prices", m)
    funding = c.public_input("funding", m)
    leaves = c.private_input("leaf", (n, leaf_width(m)))
    registered = c.private_input("registered", n)
    check_public(c, prices, funding)
    hashes = []
    for i in range(n):
        with c.scope(f"leaf[{i}]"):
            hashes.append(sweep_leaf(c, p, leaves[i], registered[i], prices, funding))
    c.assert_equal(plain_root(c, hashes, p.arity), root)


def sweep_constraints(preset: Preset, account_bits: int | None = None) -> int:
    """Constraints of the full sweep, counted by building it. A build runs at roughly 7,000
    to 10,000 constraints a second (M = 4: 2^8 accounts in ~30-40 s of CPU, 2^10 in minutes);
    beyond, use `extrapolate`, which is exact."""
    c = Circuit("sweep")
    was = gc.isenabled()
    gc.disable()  # the build allocates millions of small dicts and frees none of them early
    try:
        build_sweep_circuit(c, preset, account_bits)
    finally:
        if was:
            gc.enable()
    return c.n_constraints


@dataclass(frozen=True)
class SweepParts:
    """total(N) = fixed + N * leaf + (N - 1) / (arity - 1) * node."""

    fixed: int  # public-input range checks and the root equality
    leaf: int  # one leaf slot (hash, positions, surplus, S_m >= 0)
    node: int  # one inner node: Poseidon(arity)
    arity: int

    def total(self, account_bits: int) -> int:
        n = 1 << account_bits
        assert (n - 1) % (self.arity - 1) == 0, "capacity must be a power of the arity"
        return self.fixed + n * self.leaf + (n - 1) // (self.arity - 1) * self.node

    @property
    def per_account(self) -> Fraction:
        return self.leaf + Fraction(self.node, self.arity - 1)


def sweep_parts(preset: Preset) -> SweepParts:
    """The three parts, each measured by building: one leaf slot, one Poseidon(arity), and
    the fixed rest (a tree of one level, `arity` leaves, less those)."""
    m = preset.num_markets
    c = Circuit("leaf")
    prices, funding = c.public_input("prices", m), c.public_input("funding", m)
    fields, reg = c.private_input("leaf", leaf_width(m)), c.private_input("registered")
    sweep_leaf(c, preset, fields, reg, prices, funding)
    leaf = c.n_constraints
    c = Circuit("node")
    poseidon(c, c.private_input("children", preset.arity))
    node = c.n_constraints
    bits = _log2_arity(preset.arity)
    fixed = sweep_constraints(preset, bits) - preset.arity * leaf - node
    return SweepParts(fixed=fixed, leaf=leaf, node=node, arity=preset.arity)


def per_account_cost(preset: Preset) -> int | Fraction:
    """Exact marginal constraints per account: (total(a^2) - total(a)) / (a^2 - a), both
    built. Equals leaf + node / (a - 1) (each account's share of the inner nodes)."""
    bits = _log2_arity(preset.arity)
    t1, t2 = sweep_constraints(preset, bits), sweep_constraints(preset, 2 * bits)
    n1, n2 = 1 << bits, 1 << (2 * bits)
    out = Fraction(t2 - t1, n2 - n1)
    return int(out) if out.denominator == 1 else out


def extrapolate(preset: Preset, account_bits: int, parts: SweepParts | None = None) -> int:
    """Constraints of the full sweep at 2^account_bits accounts, from `sweep_parts` (exact:
    the cost is linear in the leaves plus the (N - 1) / (a - 1) inner hashes)."""
    parts = parts or sweep_parts(preset)
    return parts.total(account_bits)


def root_box_check(c: Circuit, prices: list, funding: list, box_parts: list) -> None:
    """The box tree's per-batch check (as `batch.build_batch_circuit` writes it): per market,
    lo <= g <= hi (two GRID_BITS range checks) and flo <= F <= fhi (two FUNDING_BITS)."""
    for g, f, (lo, hi, flo, fhi) in zip(prices, funding, box_parts):
        fs = LC.of(f) + _F_SHIFT
        to_bits(c, LC.of(g) - lo, GRID_BITS)
        to_bits(c, LC.of(hi) - g, GRID_BITS)
        to_bits(c, fs - (LC.of(flo) + _F_SHIFT), FUNDING_BITS)
        to_bits(c, (LC.of(fhi) + _F_SHIFT) - fs, FUNDING_BITS)


def box_tree_cost(preset: Preset) -> int:
    """Per-batch, N-independent cost of the box tree: the root-box check, built alone (the
    root box's unpacking belongs to the closing write, counted with the op slots)."""
    m = preset.num_markets
    c = Circuit("root_box")
    prices, funding = c.public_input("prices", m), c.public_input("funding", m)
    parts = [tuple(c.private_input(f"box[{j}].{k}") for k in ("lo", "hi", "flo", "fhi")) for j in range(m)]
    root_box_check(c, prices, funding, parts)
    return c.n_constraints


def table(preset: Preset, arity: int, bits_range=range(8, 21, 2)) -> str:
    p = sweep_preset(preset, arity=arity)
    parts = sweep_parts(p)
    box = box_tree_cost(p)
    lines = [f"Full sweep vs box tree, preset {preset.name}, M={p.num_markets}, arity {arity}: "
             f"sweep = {parts.fixed:,} + N x {parts.leaf:,} + (N-1)/{arity - 1} x {parts.node:,} "
             f"= {parts.per_account} per account.",
             "",
             "| accounts | full sweep: per batch | box tree: per batch, fixed "
             "(+ O(depth) per written leaf: `python -m circuits.settlement.stats`) |",
             "|---|---|---|"]
    for bits in bits_range:
        if bits % _log2_arity(arity):
            continue
        lines.append(f"| 2^{bits} = {1 << bits:,} | {parts.total(bits):,} | {box:,} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="mainnet")
    ap.add_argument("--arity", type=int, choices=(2, 4), default=None,
                    help="tree arity (default: both)")
    ap.add_argument("--build-bits", type=int, default=None,
                    help="also build the sweep at 2^BITS accounts, time it, compare with the formula")
    args = ap.parse_args(argv)
    preset = PRESETS[args.preset]
    for arity in ([args.arity] if args.arity else [2, 4]):
        print(table(preset, arity))
        print()
        if args.build_bits is not None:
            p = sweep_preset(preset, arity=arity)
            t0 = time.perf_counter()
            built = sweep_constraints(p, args.build_bits)
            dt = time.perf_counter() - t0
            print(f"built at 2^{args.build_bits}: {built:,} constraints in {dt:.1f} s "
                  f"(formula {extrapolate(p, args.build_bits):,})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
