"""The option rules of the batch circuit's op slots, on the option margin gadgets (options.py).

Each function is the circuit form of one rule of `sequencer.spec.transition` on options presets:

    option_margin_allows(...)  transition.margin_allows: TV >= IR at the batch figures (the
                               initial grid at the marks), or risk reduced everywhere and the
                               account above maintenance (the minimal box for an account holding
                               options, the linear requirement otherwise)
    first_slot_holding(...)    options.slot_for in an accepted trade: the first slot holding the series
    option_trade_side(...)     one party of transition.process_option_trade: its slot, size, collateral
                               and margin rule
    tradable_series(...)       process_option_trade's "a listed series, not expired": the series is
                               in the batch's figures table (published by this round) and its
                               expiry is after the round's time

The slot an option trade uses. `slot_for` picks the slot holding the series, else a free one;
but a position in a slot needs that slot's cached rows for its series (the write's box check,
options.box_surplus), and a slot only keeps rows while it holds their series (`kept_rows`):
so an accepted trade always uses a slot that held the series before it (reserved by a touch,
`Touch.assign`, which caches its rows), and the circuit asks for that slot, the first such.
A trade into a slot that did not hold the series fails the box check here as in the spec.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.comparators import is_equal, is_zero, less_eq
from sequencer.spec import options as opt
from sequencer.spec.constants import POSITION_BITS, Preset

from . import options as og
from .arith import assert_bits, assert_equal_when, gate, is_negative_gated, one_hot, pick, sign_abs
from .common import hash_fields
from .margin import Positions, surplus


@gadget
def option_margin_allows(c: Circuit, enabled, preset: Preset, prices, funding, collateral, pos: Positions,
                         slots: og.OptionSlots, figs: Sequence[og.SlotFigures], reduces) -> LC:
    """`transition.margin_allows` of a settled account (snapshots = funding) on an options preset:
    a bit. `reduces`: every position (perpetual and option) moved toward zero without crossing.
    The mins are lower bounds (options.py): a forged one can only refuse, never admit."""
    initial = og.option_marks_surplus(c, enabled, preset, "initial", collateral, pos, funding, funding, prices,
                                      slots, [f.array for f in figs])
    ok_initial = og.option_is_nonnegative(c, enabled, initial)
    ok_maint = maintenance_ok(c, enabled, preset, prices, funding, collateral, pos, slots, figs)
    fallback = c.mul(reduces, ok_maint)
    return c.mul(1 - LC.of(ok_initial), fallback, plus=ok_initial)


@gadget
def first_slot_holding(c: Circuit, enabled, sids: Sequence, series) -> list:
    """One-hot e over the slots: enabled => slot k holds `series` and no earlier slot does."""
    k = c.hint(lambda s, *ids: next((i for i, x in enumerate(ids) if x == s), 0), series, *sids)
    e = one_hot(c, enabled, k, len(sids))
    assert_equal_when(c, enabled, pick(c, e, sids), series)
    later = LC()  # sum of e over the slots after k': 1 iff the chosen slot is after k'
    for kk in reversed(range(len(sids))):
        c.assert_product(is_equal(c, sids[kk], series), later, 0)
        later = later + e[kk]
    return e


@dataclass
class TradeSide:
    """A party after an option trade: collateral, option sizes, the slots with their figures, and
    the margin rule's verdict (a bit)."""

    collateral: LC
    sizes: list
    slots: og.OptionSlots
    figs: list
    allowed: LC


@gadget
def option_trade_side(c: Circuit, enabled, preset: Preset, table: Sequence[og.TableEntry], prices, funding,
                      collateral, pos: Positions, sids: Sequence, sizes: Sequence, series, size, premium, fee,
                      sign: int) -> TradeSide:
    """One party of `process_option_trade` (buyer: sign +1, seller: -1), its funding settled
    and its settled series closed: its slot for the series takes sign * size, it pays (buyer) or
    receives (seller) size * premium, and pays the fee; then `margin_allows`. The perpetuals do
    not move, so "reduces risk" is the slot's move toward zero: the new size <= 0 for the buyer,
    >= 0 for the seller."""
    e = first_slot_holding(c, enabled, sids, series)
    moved = [c.mul(b, size) * sign for b in e]
    new_sizes = [LC.of(n) + mv for n, mv in zip(sizes, moved)]
    new_collateral = LC.of(collateral) - c.mul(size, premium) * sign - fee
    slots, figs = og.slots_from_table(c, enabled, preset, table, sids, new_sizes)
    new_n = pick(c, e, new_sizes)
    if sign > 0:
        reduces = is_negative_gated(c, enabled, new_n - 1, POSITION_BITS + 1)
    else:
        reduces = LC.of(enabled) - is_negative_gated(c, enabled, new_n, POSITION_BITS + 1)
    allowed = option_margin_allows(c, enabled, preset, prices, funding, new_collateral, pos, slots, figs, reduces)
    return TradeSide(new_collateral, new_sizes, slots, figs, allowed)


@gadget
def tradable_series(c: Circuit, enabled, table: Sequence[og.TableEntry], series, timestamp) -> None:
    """enabled => `series` is in the batch's figures table (the committee published its figures
    this round: a live series) and its expiry (bound by its array's opening) is after the round's time."""
    f = og.pick_figures(c, enabled, table, series)
    assert_bits(c, enabled, LC.of(f.expiry) - timestamp - 1, opt.TIME_BITS)


# --- the batch's option figures and the option part of every write ---------------------------------
@dataclass
class OptionBatch:
    """The round's option figures as the slots see them: the figures tree's root, the round's
    time and vols, and the figures table (`options.TableEntry`, one per live series, opened once)."""

    root: LC
    timestamp: LC
    vols: list
    table: list


def table_size(preset: Preset) -> int:
    """Entries of the figures table: the live series a batch can measure (the batch builder
    must keep the live series within it)."""
    return 2 * preset.option_slots


@gadget
def declare_option_batch(c: Circuit, preset: Preset, prices: Sequence, rows_root, timestamp, vols,
                         series_root) -> OptionBatch:
    """The figures table (inputs `figures.table[e]`), each used entry opened against the round's
    rows root and the book's series tree after the round's listings and settlements
    (`option_state.process_figures` binds the root, the time and the vols to the committee's
    signed commitment)."""
    root, ts = rows_root, timestamp
    table = []
    for e in range(table_size(preset)):
        entry = og.declare_table_entry(c, 1, preset, f"figures.table[{e}]")
        og.open_table_entry(c, root, series_root, prices, vols, ts, entry)
        table.append(entry)
    return OptionBatch(root, ts, list(vols), table)


def declare_cached_rows(c: Circuit, prefix: str, k: int) -> list[og.CachedRows]:
    from circuits.gadgets.bits import assert_bool

    has, sid = c.private_input(f"{prefix}.orows.has", k), c.private_input(f"{prefix}.orows.sid", k)
    long, short = c.private_input(f"{prefix}.orows.long", (k, og.N_ROW)), c.private_input(f"{prefix}.orows.short",
                                                                                          (k, og.N_ROW))
    for h in has:
        assert_bool(c, h)
    return [og.CachedRows(has[i], sid[i], long[i], short[i]) for i in range(k)]


@gadget
def option_write(c: Circuit, ob: OptionBatch, preset: Preset, prefix: str, enabled, check, new, pos: Positions,
                 market_parts: list, rebox: str, packed_obox, new_bounds, funding):
    """The option part of a leaf write (`ops._write`) on an options preset; `new` a `common.Leaf`.

    Kept box (rebox ""): the cached rows (`<prefix>.orows`) and the leaf's packed option box
    (`packed_obox`, the tree's element) open the leaf's option box digest; the new digest keeps
    the rows of the slots that still hold their series (`kept_rows`). Chosen box ("chosen": a
    touch, the closing write): the new rows are opened against the round's figures at their
    corners (`<prefix>.opaths`, the new bounds `new_bounds` flat) and hashed with the new packed box. Then, when `check`: the
    account is safe everywhere in its box (`options.box_surplus` >= 0). Returns (the leaf with
    its new digest, its slots, their figures)."""
    k = preset.option_slots
    rows = declare_cached_rows(c, prefix, k)
    hashes = [hash_fields(c, [r.sid, *r.long, *r.short]) for r in rows]
    if rebox == "chosen":
        slots, figs = og.slots_from_table(c, enabled, preset, ob.table, new.option_series, new.option_sizes,
                                          lookup=[r.has for r in rows])
        d = opt.FIGURES_DEPTH
        paths = [og.RowPaths(*(c.private_input(f"{prefix}.opaths[{i}].{x}", d) for x in ("lb", "ls", "sb", "ss")))
                 for i in range(k)]
        og.open_slot_rows(c, enabled, ob.root, slots, rows, market_parts, new_bounds, paths)
        used = rows
    else:
        old = og.option_box_digest(c, packed_obox, [c.mul(r.has, h) for r, h in zip(rows, hashes)])
        assert_equal_when(c, enabled, old, new.obox_digest)
        used = og.kept_rows(c, rows, new.option_series)
        slots, figs = og.slots_from_table(c, enabled, preset, ob.table, new.option_series, new.option_sizes)
    digest = og.option_box_digest(c, packed_obox, [c.mul(r.has, h) for r, h in zip(used, hashes)])
    if not (isinstance(check, int) and check == 0):
        s = og.option_box_surplus(c, check, preset, new.collateral, pos, funding, market_parts, slots, used)
        og.assert_option_nonnegative(c, check, s)
    return new.replace(obox_digest=digest), slots, figs


@gadget
def maintenance_ok(c: Circuit, enabled, preset: Preset, prices, funding, collateral, pos: Positions,
                   slots: og.OptionSlots, figs: Sequence[og.SlotFigures], exact: bool = False) -> LC:
    """`cross_margin.maintenance_surplus >= 0` of a settled account (a bit): the minimal box for an
    account holding options, the linear requirement at the marks otherwise. `exact` where the
    circuit must show it is negative (a liquidation)."""
    holds = 1 - is_zero(c, sum((LC.of(nz) for nz in slots.nonzero), LC()))
    boxed = og.minimal_box_surplus(c, enabled, preset, collateral, pos, funding, funding, prices, slots, figs,
                                   exact=exact)
    linear = surplus(c, preset, collateral, pos, prices, "maintenance")
    return og.option_is_nonnegative(c, enabled, linear + c.mul(holds, boxed - linear))


@gadget
def assign_series(c: Circuit, enabled, ob: OptionBatch, old_sids: Sequence, sizes: Sequence, new_sids: Sequence) -> None:
    """`options.assign_slots` (a touch reserves slots): enabled => a slot whose series changes holds
    no position, and its new series is live (in the round's figures table)."""
    for old, n, new in zip(old_sids, sizes, new_sids):
        changed = gate(c, enabled, 1 - is_equal(c, old, new))
        c.assert_product(changed, n, 0)
        og.pick_figures(c, changed, ob.table, new)


# --- liquidations: the target's options move to the receiver at their marks ------------------------
@gadget
def target_option_values(c: Circuit, preset: Preset, slots: og.OptionSlots, figs: Sequence[og.SlotFigures]):
    """(sum n V, sum |n| V penalty_j) of a liquidated account's live options at their marks V (the
    arrays' entry 0): `options.option_value` and `options.option_penalty_scaled`."""
    value, scaled = LC(), LC()
    for n, neg, e, f in zip(slots.n, slots.neg, slots.market, figs):
        nv = c.mul(n, f.array[0])
        value = value + nv
        abs_nv = nv - 2 * c.mul(neg, nv)
        rate = sum((LC.of(b) * mk.penalty_bps for b, mk in zip(e, preset.markets)), LC())
        scaled = scaled + c.mul(abs_nv, rate)
    return value, scaled


def _first(c: Circuit, bits: Sequence) -> tuple[list, LC]:
    """(one-hot of the first set bit (zeros if none), whether any is set)."""
    out, none_before = [], LC.of(1)
    for b in bits:
        out.append(c.mul(b, none_before))
        none_before = c.mul(none_before, 1 - LC.of(b))
    return out, 1 - none_before


@gadget
def receive_options(c: Circuit, enabled, sids: Sequence, sizes: Sequence, moves: Sequence) -> tuple[list, list, LC]:
    """`options.move_options` on the receiving side: each (series, size) of `moves` (the target's
    slots, in order) goes to the receiver's `slot_for` slot (the first holding the series, else
    the first empty one, else the first holding no position), adding to what it holds there.
    enabled => every nonzero move finds a slot (else the spec refuses: no free option slot).
    Returns (new series ids, new sizes, reduced: every series' size moved toward zero without
    crossing, `options.reduces_option_risk`)."""
    old_sids, old_sizes = list(sids), list(sizes)
    sids, sizes = [LC.of(x) for x in sids], [LC.of(x) for x in sizes]
    for sid_t, n_t in moves:
        moving = gate(c, enabled, 1 - is_zero(c, n_t))
        holds = [is_equal(c, s, sid_t) for s in sids]
        first_h, any_h = _first(c, holds)
        first_e, any_e = _first(c, [is_zero(c, s) for s in sids])
        first_z, _ = _first(c, [is_zero(c, n) for n in sizes])
        chosen = [c.mul(moving, h + c.mul(1 - any_h, e + c.mul(1 - any_e, z)))
                  for h, e, z in zip(first_h, first_e, first_z)]
        assert_equal_when(c, moving, sum(chosen, LC()), 1)
        have = sum((c.mul(ch, c.mul(h, n)) for ch, h, n in zip(chosen, holds, sizes)), LC())
        sids = [s + c.mul(ch, LC.of(sid_t) - s) for s, ch in zip(sids, chosen)]
        sizes = [n + c.mul(ch, have + n_t - n) for n, ch in zip(sizes, chosen)]
    reduced = LC.of(1)
    for old_sid, old_n, sid, n in zip(old_sids, old_sizes, sids, sizes):
        before = c.mul(is_equal(c, sid, old_sid), old_n)  # its series' size before (0 for a new one)
        _, abs_before = sign_abs(c, enabled, before, POSITION_BITS)
        _, abs_after = sign_abs(c, enabled, n, POSITION_BITS + 1)
        not_larger = less_eq(c, gate(c, enabled, abs_after), gate(c, enabled, abs_before), POSITION_BITS + 1)
        same_side = 1 - is_negative_gated(c, enabled, c.mul(before, n), 2 * POSITION_BITS + 2)
        reduced = c.mul(reduced, c.mul(not_larger, same_side))
    return sids, sizes, reduced
