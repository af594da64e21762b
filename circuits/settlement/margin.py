"""Margin in the circuit: funding settlement, surpluses, the worst corner of a box.

The formulas are `sequencer.spec.margin`'s, multiplied through by BPS as there:

    S(g, F) = BPS * (C + sum_j q_j step_j g_j - sum_j q_j (F_j - f_j)) - sum_j |q_j| step_j g_j k_j

with k_j the maintenance or initial factor. Every quantity is an integer far below r (the
bounds of `spec.constants`), so field arithmetic computes it exactly; `S >= 0` is one
MARGIN_BITS-bit range check.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.dsl import LC, Circuit, gadget
from circuits.gadgets.mux import select
from sequencer.spec.constants import BPS, MARGIN_BITS, POSITION_BITS, Preset

from .arith import assert_bits, is_negative_gated, sign_abs


@dataclass
class Positions:
    """Positions with their signs: q_j, neg_j = (q_j < 0), each q_j range checked."""

    q: list
    neg: list


@gadget
def signed_positions(c: Circuit, enabled, q: list) -> Positions:
    """enabled => every q_j is a signed POSITION_BITS value; their signs."""
    negs = [sign_abs(c, enabled, x, POSITION_BITS)[0] for x in q]
    return Positions([LC.of(x) for x in q], negs)


def funding_paid(c: Circuit, q: list, f: list, funding: list) -> LC:
    """sum_j q_j (F_j - f_j): what settling funding takes from the collateral."""
    acc = LC()
    for qj, fj, big_f in zip(q, f, funding):
        acc = acc + c.mul(qj, LC.of(big_f) - fj)
    return acc


@gadget
def surplus(c: Circuit, preset: Preset, collateral, pos: Positions, grid, factor: str,
            funding=None, snapshots=None) -> LC:
    """BPS * TV - BPS * requirement at ladder prices `grid` (and funding `funding` against
    `snapshots`, when given; a settled account has none to pay)."""
    attr = {"maintenance": "maintenance_bps", "initial": "initial_bps"}[factor]
    total = LC.of(collateral) * BPS
    for j, mk in enumerate(preset.markets):
        qg = c.mul(pos.q[j], grid[j])  # q_j g_j
        abs_qg = qg - 2 * c.mul(pos.neg[j], qg)  # |q_j| g_j
        total = total + qg * (BPS * mk.price_step) - abs_qg * (mk.price_step * getattr(mk, attr))
        if funding is not None:
            total = total - c.mul(pos.q[j], LC.of(funding[j]) - snapshots[j]) * BPS
    return total


@gadget
def assert_nonnegative(c: Circuit, enabled, s) -> None:
    """enabled => s >= 0 (s a surplus, |s| < 2^(MARGIN_BITS - 1))."""
    assert_bits(c, enabled, s, MARGIN_BITS - 1)


@gadget
def is_nonnegative(c: Circuit, enabled, s) -> LC:
    """1 if s >= 0 (s a surplus); 0 in a disabled slot."""
    return LC.of(enabled) - is_negative_gated(c, enabled, s, MARGIN_BITS)


@gadget
def worst_corner(c: Circuit, pos: Positions, box_parts: list) -> tuple[list, list]:
    """`spec.margin.worst_corner`: per market (hi, flo) for a short, (lo, fhi) otherwise."""
    grid, funding = [], []
    for neg, (lo, hi, flo, fhi) in zip(pos.neg, box_parts):
        grid.append(select(c, neg, hi, lo))
        funding.append(select(c, neg, flo, fhi))
    return grid, funding


@gadget
def assert_box_safe(c: Circuit, enabled, preset: Preset, collateral, pos: Positions, box_parts: list,
                    funding: list) -> None:
    """enabled => the account (settled at `funding`) has S_m >= 0 at its box's worst corner,
    hence everywhere in the box (the solvency argument of `spec.margin`)."""
    g, f = worst_corner(c, pos, box_parts)
    s = surplus(c, preset, collateral, pos, g, "maintenance", funding=f, snapshots=funding)
    assert_nonnegative(c, enabled, s)
