"""The box-changing leaf write (`circuits.settlement.tree.leaf_write` with a new box) on its own,
against the spec's tree (`sequencer.spec.tree.BoxTree`), and the forgeries it must refuse.

The gadget is built alone at the demo shape (4-ary, depth 5, two markets: the mainnet shape's
arity, small) and at tiny-options (binary, option boxes as box entry M). Completeness: the
new root and the root's box are the spec's, whichever child binds each bound (the own box
narrowing or widening a bound it held, a sibling's, an empty subtree's FULL). Soundness: every
wire past the inputs is pinned, and a prover that reads a sibling's committed box with other
parts (the gadget range checks all but its top bound, which only the comparison with the
running bound pins: `tree.unpack_committed_entry`) has no witness.
"""
from __future__ import annotations

import random

import pytest

from circuits.dsl import Circuit
from circuits.dsl.compiled import unsatisfied
from circuits.dsl.testing import assert_solves, assert_tamper_breaks, forge_witness
from circuits.settlement import tree as ctree
from circuits.settlement.witness import top_inputs
from sequencer.spec import box as spec_box
from sequencer.spec import tree as spec_tree
from sequencer.spec.constants import DEMO, FUNDING_MAX, FUNDING_MIN, GRID_MAX, TINY_OPTIONS


def _write_circuit(preset):
    """One box-changing write, its root's box out (packed entries): the closing write's form."""
    c = Circuit("box_write")
    _, parts = ctree.declare_box(c, "w", preset)
    path = ctree.declare_path(c, "w", preset)
    top = ctree.declare_top(c, preset)
    old, new, index = (c.private_input(k) for k in ("old", "new", "index"))
    bits = ctree.index_bits_of(c, 1, index, preset)
    new_top, root_box = ctree.leaf_write(c, preset, 1, top, bits, old, new, parts, path, want_root_box=True)
    c.output("new_root", ctree.top_root(c, preset, new_top))
    c.output("root_box", [ctree.pack_entry(preset, j, b) for j, b in enumerate(root_box)])
    return c.compile()


@pytest.fixture(scope="module")
def demo_write():
    return _write_circuit(DEMO)


@pytest.fixture(scope="module")
def options_write():
    return _write_circuit(TINY_OPTIONS)


def _random_box(rng, m: int):
    out = []
    for _ in range(m):
        lo, hi = sorted(rng.randrange(0, GRID_MAX + 1) for _ in range(2))
        flo, fhi = sorted(rng.randrange(FUNDING_MIN, FUNDING_MAX + 1) for _ in range(2))
        out.append((lo, hi, flo, fhi))
    return tuple(out)


def _random_obox(rng, m: int):
    vols = tuple(tuple(sorted(rng.randrange(0, spec_box.OPTION_VOL_MAX + 1) for _ in range(2))) for _ in range(m))
    return vols, tuple(sorted(rng.randrange(0, spec_box.OPTION_TIME_MAX + 1) for _ in range(2)))


def _packed(preset, box, obox) -> list[int]:
    return spec_box.pack_box(box) + ([spec_box.pack_option(obox)] if preset.option_slots else [])


def _case(preset, tree, index: int, new_hash: int, new_box, new_obox=None) -> tuple[dict, int, list]:
    """(inputs of the write circuit, the spec's new root, the spec's new root box entries) for
    writing (new_hash, new_box[, new_obox]) at `index` of `tree` (which it updates)."""
    options = tree.options
    old_hash, old_box = tree.leaf(index)
    salt = tree.blind_at(0, index)
    obox = tree.option_box_at(0, index) if options else None
    inputs = {**top_inputs(tree, preset), "old": old_hash, "new": new_hash, "index": index,
              "box": _packed(preset, new_box, new_obox), "sib_hash": [], "sib_box": [], "node_box": [], "blind": []}
    b, ob, blind = old_box, obox, salt
    for level in tree.opening(index):
        inputs["sib_hash"].append(list(level.sibling_hashes))
        inputs["sib_box"].append([_packed(preset, sb, so) for sb, so in
                                  zip(level.sibling_boxes, level.sibling_option_boxes or level.sibling_boxes)])
        inputs["node_box"].append(_packed(preset, b, ob))
        children = list(level.sibling_boxes)
        children.insert(level.position, b)
        b = spec_box.intersect(children)
        if options:
            obs = list(level.sibling_option_boxes)
            obs.insert(level.position, ob)
            ob = spec_box.intersect_options(obs)
        blinds = list(level.sibling_blinds)
        blinds.insert(level.position, blind)
        blind = spec_tree.blind_hash(blinds)
        inputs["blind"].append(blind)
    inputs["sib_hash"] = inputs["sib_hash"][:preset.depth - ctree.top_levels(preset)]  # the top's are carried
    inputs = {f"w.{k}" if k in ("box", "sib_hash", "sib_box", "node_box", "blind") else k: v
              for k, v in inputs.items()}
    tree.update(index, new_hash, new_box, salt, new_obox)
    root_box = _packed(preset, tree.root_box, tree.root_option_box if options else None)
    return inputs, tree.root, root_box


def _tree(preset, rng, n: int, fill: dict | None = None):
    """A tree with n random leaves (salted, random boxes), plus `fill` {index: box}."""
    m, options = preset.num_markets, bool(preset.option_slots)
    leaves = {}
    for i in rng.sample(range(preset.capacity), n):
        leaves[i] = (i, rng.randrange(1, 1 << 250), _random_box(rng, m), rng.randrange(1, 1 << 250),
                     _random_obox(rng, m) if options else None)
    for i, box in (fill or {}).items():
        leaves[i] = (i, rng.randrange(1, 1 << 250), box, rng.randrange(1, 1 << 250), None)
    return spec_tree.BoxTree.build(preset.arity, preset.depth, m, leaves=leaves.values(), options=options)


def _solves_as_spec(cc, inputs: dict, root: int, root_box: list) -> list[int]:
    w = assert_solves(cc, inputs)
    out = cc.outputs(w)
    assert out["new_root"] == root and out["root_box"] == root_box
    return w


@pytest.mark.parametrize("seed", range(4))
def test_box_write_gives_the_spec_root_and_root_box(demo_write, seed):
    """Random trees, random new boxes (most bounds then move both ways, through siblings that
    bind them and through empty subtrees' FULL boxes)."""
    rng = random.Random(seed)
    tree = _tree(DEMO, rng, 12)
    index = rng.randrange(DEMO.capacity)
    _solves_as_spec(demo_write, *_case(DEMO, tree, index, rng.randrange(1 << 250), _random_box(rng, 2)))


def test_box_write_where_the_own_box_binds(demo_write):
    """The written leaf holds every bound of the root box alone (the tightest box), then widens
    (the parents' bounds fall back to the siblings'), then narrows again past them."""
    rng = random.Random(7)
    tight = ((30_000, 30_010, -5, 5), (100, 200, 1000, 1001))
    wide = ((10, 60_000, FUNDING_MIN + 1, FUNDING_MAX - 1),) * 2
    tree = _tree(DEMO, rng, 0, {i: wide for i in (0, 1, 2, 5, 17, 300)} | {3: tight})
    for box in (wide, tight, ((29_000, 30_005, 0, 3), (150, 150, 1000, 1000))):
        _solves_as_spec(demo_write, *_case(DEMO, tree, 3, rng.randrange(1 << 250), box))


def test_box_write_with_option_boxes(options_write):
    rng = random.Random(3)
    tree = _tree(TINY_OPTIONS, rng, 6)
    for _ in range(2):
        index = rng.randrange(TINY_OPTIONS.capacity)
        m = TINY_OPTIONS.num_markets
        _solves_as_spec(options_write, *_case(TINY_OPTIONS, tree, index, rng.randrange(1 << 250),
                                              _random_box(rng, m), _random_obox(rng, m)))


def test_every_wire_of_a_box_write_is_pinned(demo_write):
    rng = random.Random(11)
    tree = _tree(DEMO, rng, 10)
    inputs, _, _ = _case(DEMO, tree, 5, 123, _random_box(rng, 2))
    assert_tamper_breaks(demo_write, demo_write.witness(inputs))


# --- forged readings of a sibling's committed box ---------------------------------------------------
def _committed_bits(cc, preset) -> list[list[int]]:
    """Per sibling entry unpacked (level, sibling, entry order), the signal ids of its range
    checked low bits."""
    c = cc.circuit
    name = "unpack_committed_entry.bits"
    sids = [s for s in range(1, cc.n_signals) if (c.signal_name(s) or "").rsplit("/", 1)[-1].startswith(name)]
    widths = [ctree.committed_low_bits(preset, j) for j in range(ctree.box_width(preset))]
    out, at = [], 0
    while at < len(sids):
        w = widths[len(out) % len(widths)]
        out.append(sids[at:at + w])
        at += w
    return out


def _forged(cc, inputs: dict, sids: list[int], low: int) -> list[int]:
    return forge_witness(cc, inputs, {}, by_id={s: (low >> i) & 1 for i, s in enumerate(sids)})


def _low(sids_value: list[int]) -> int:
    return sum(b << i for i, b in enumerate(sids_value))


@pytest.mark.parametrize("preset_name", ["demo", "tiny-options"])
def test_a_sibling_box_read_with_other_parts_has_no_witness(demo_write, options_write, preset_name):
    """A cheating prover re-reads a sibling's packed box: other low bounds (each range checked)
    leave the top bound (packed - low) / 2^low_bits a huge field element, which the comparison
    with the running bound refuses. Tried at every sibling entry of the first two levels: its
    lower price bound one lower (the parent's then too low: a root box wider than the
    intersection, the attack the root-box check exists for) or one higher, that bound one lower
    and the next one higher (a borrow), every low bit flipped."""
    preset, cc = (DEMO, demo_write) if preset_name == "demo" else (TINY_OPTIONS, options_write)
    rng = random.Random(5)
    tree = _tree(preset, rng, 10)
    m = preset.num_markets
    new_obox = _random_obox(rng, m) if preset.option_slots else None
    inputs, _, _ = _case(preset, tree, 6, 99, _random_box(rng, m), new_obox)
    honest = cc.witness(inputs)
    assert not unsatisfied(cc.r1cs, forge_witness(cc, inputs, {}))
    groups = _committed_bits(cc, preset)
    per_level = (preset.arity - 1) * ctree.box_width(preset)
    assert len(groups) == per_level * preset.depth  # the closing write's form intersects every level
    value = {s: v for s, v in zip(cc.wire_sids, honest)}
    for sids in groups[:2 * per_level]:
        low = _low([value[s] for s in sids])
        n = len(sids)
        for forged in {low - 1, low + 1, low ^ ((1 << n) - 1), (low + (1 << 16) - 1) % (1 << n)}:
            if 0 <= forged < (1 << n) and forged != low:
                assert unsatisfied(cc.r1cs, _forged(cc, inputs, sids, forged)), (sids[0], low, forged)
