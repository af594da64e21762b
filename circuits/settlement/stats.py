"""Constraint counts of the batch circuit: per op kind and per preset.

    python -m circuits.settlement.stats [--preset tiny,demo,mainnet] [--json FILE]

Each op slot is independent of the others, so a preset's batch circuit costs

    base (header, old/new state roots, the closing write, the root-box check)
    + sum over kinds of (slots of that kind) x (one slot of that kind)

The base and each kind's slot are measured by building the circuit with no slots and with
one slot of that kind (before --O2 linear elimination, which removes well under 1 %).
Also printed: one leaf write alone (the box tree's path update) and one EdDSA-Poseidon
verification, the two big parts of every signed op.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

from circuits.dsl import Circuit
from sequencer.spec.constants import PRESETS, Preset

from .batch import build_batch_circuit
from .ops import SLOTS

NO_SLOTS = {attr: 0 for _, attr, _ in SLOTS}


def count(preset: Preset) -> int:
    c = Circuit("settlement")
    build_batch_circuit(c, preset)
    return c.n_constraints


def per_kind(preset: Preset) -> dict:
    """{"base": n, kind: n per slot, ...} for the preset's shape (tree, markets)."""
    empty = replace(preset, **NO_SLOTS)
    base = count(empty)
    out = {"base": base}
    for kind, attr, _ in SLOTS:
        out[kind] = count(replace(empty, **{attr: 1})) - base
    return out


def leaf_write_cost(preset: Preset, new_box: bool = True) -> int:
    """One leaf write's path update on its own: with a new box (old and new path, box
    intersections, the new box unpacked) or keeping the box (two node hashes a level)."""
    from .tree import declare_box, declare_path, leaf_write

    c = Circuit("write")
    parts = declare_box(c, "w", preset)[1] if new_box else None
    path = declare_path(c, "w", preset, keep_box=not new_box)
    before = c.n_constraints
    bits = c.private_input("bits", preset.account_bits)
    leaf_write(c, preset, 1, c.private_input("root"), bits, c.private_input("old"), c.private_input("new"),
               parts, path)
    return c.n_constraints - before + (preset.num_markets * 128 if new_box else 0)


def eddsa_cost() -> int:
    from circuits import registry

    return registry.build("eddsa_poseidon").n_constraints


def table(names: list[str]) -> tuple[str, dict]:
    results = {}
    for name in names:
        p = PRESETS[name]
        kinds = per_kind(p)
        total = kinds["base"] + sum(kinds[k] * getattr(p, attr) for k, attr, _ in SLOTS)
        results[name] = {"kinds": kinds, "total": total, "leaf_write": leaf_write_cost(p),
                         "leaf_write_keep_box": leaf_write_cost(p, new_box=False),
                         "shape": f"{p.capacity} accounts, arity {p.arity}, depth {p.depth}, M={p.num_markets}",
                         "slots": {k: getattr(p, attr) for k, attr, _ in SLOTS}}
    kinds = ["base"] + [k for k, _, _ in SLOTS]
    lines = ["| preset | shape | " + " | ".join(kinds) + " | write keeping / changing the box | total |",
             "|---" * (len(kinds) + 4) + "|"]
    for name, r in results.items():
        cells = [f"{r['kinds']['base']:,}"] + [f"{r['kinds'][k]:,} x{r['slots'][k]}" for k in kinds[1:]]
        lines.append(f"| {name} | {r['shape']} | " + " | ".join(cells)
                     + f" | {r['leaf_write_keep_box']:,} / {r['leaf_write']:,} | {r['total']:,} |")
    lines.append(f"\nOne EdDSA-Poseidon verification: {eddsa_cost():,} constraints.")
    return "\n".join(lines), results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="tiny,demo,mainnet")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    text, results = table(args.preset.split(","))
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
