"""Constraint counts of the batch circuit: per op kind and per preset.

    python -m circuits.settlement.stats [--preset tiny,demo,mainnet,tiny-options] [--json FILE]
    python -m circuits.settlement.stats --preset mainnet --breakdown trade [--depth 2]

Each op slot is independent of the others, so a preset's batch circuit costs

    base (header, old/new state roots, the closing write, the root-box check, the message's
          header fields' bits)
    + sum over kinds of (slots of that kind) x (one slot of that kind, its message entry's bits
          included)
    + (slots - 1) for each kind used in order (register, deposit, forced, withdrawal: one
          constraint per slot after the first)
    + SHA-256 of the batch message (`spec.public.message_length` bytes, whose length depends
          on the slot counts)

The base and each kind's slot are measured by building the circuit with no slots and with
one slot of that kind, less the SHA-256 of each one's message (before --O2 linear
elimination, which removes well under 1 %).
Also printed: one leaf write alone (the box tree's path update: keeping the box, changing
it, and a registration's, which changes the blinds), the exit circuit, one EdDSA-Poseidon
verification, the two big parts of every signed op, and what binding the DA payload costs
(`spec.da`; included in the figures above): each write's DA record (the leaf encrypted
under Poseidon(salt), absorbed into the commitment), each registration's salt from the ECDH
point, once per batch the DA key s * Base8, and the batch's leaf writes (slots' writes and
the closing write: each pays a record).
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
IN_ORDER = ("register", "deposit", "forced", "withdrawal")  # slots used in order: 1 constraint per slot after the first
# options presets: the header's listing and settlement slots (option_state.py), used in order too
OPTION_SLOTS = (("listing", "listing_slots"), ("settlement", "settlement_slots"))


def kinds_of(preset: Preset) -> list[tuple[str, str]]:
    """(kind, preset attribute) of every slot kind of the preset's batch circuit."""
    out = [(k, attr) for k, attr, _ in SLOTS if preset.option_slots or attr != "option_trade_slots"]
    return out + (list(OPTION_SLOTS) if preset.option_slots else [])


def count(preset: Preset) -> tuple[int, int]:
    """(constraints, of which the SHA-256 of the message) of the preset's batch circuit."""
    c = Circuit("settlement")
    msg = build_batch_circuit(c, preset)
    return c.n_constraints, msg.sha256_constraints


def message_pattern(preset: Preset) -> list[bool]:
    """Which bits of the preset's message the circuit makes constant (zero extensions), from
    a build with one slot of each kind: every slot of a kind has its first slot's pattern."""
    import re

    from sequencer.spec.public import message_layout

    c = Circuit("settlement")
    one = replace(preset, **{attr: 1 for _, attr in kinds_of(preset)})
    pattern = build_batch_circuit(c, one).constant_pattern()
    out: list[bool] = []
    for name, _ in message_layout(preset):
        out += pattern[re.sub(r"\[\d+\]\.", "[0].", name)]
    return out


def sha256_cost(preset: Preset) -> int:
    """The SHA-256 gadget on the preset's batch message, its constant bits folded as in the circuit."""
    from circuits.dsl import LC
    from circuits.gadgets.sha256 import sha256_bits

    c = Circuit("sha256")
    pattern = message_pattern(preset)
    bits = c.private_input("bits", len(pattern))
    sha256_bits(c, [LC() if const else b for const, b in zip(pattern, bits)])
    return c.n_constraints


def per_kind(preset: Preset) -> dict:
    """{"base": n, kind: n per slot, ...} for the preset's shape (tree, markets), SHA-256 apart."""
    empty = replace(preset, **{attr: 0 for _, attr in kinds_of(preset)})
    n, sha = count(empty)
    base = n - sha
    out = {"base": base}
    for kind, attr in kinds_of(preset):
        n, sha = count(replace(empty, **{attr: 1}))
        out[kind] = n - sha - base
    return out


def total(preset: Preset, kinds: dict, sha: int) -> int:
    """The preset's constraint count from the per-kind figures (equals the whole circuit's)."""
    return kinds["base"] + sha + sum(kinds[k] * getattr(preset, attr) + (max(0, getattr(preset, attr) - 1)
                                                                          if k in IN_ORDER + ("listing", "settlement")
                                                                          else 0)
                                     for k, attr in kinds_of(preset))


def leaf_write_cost(preset: Preset, new_box: bool = True, register: bool = False) -> int:
    """One leaf write's path update on its own: with a new box (old and new path, box
    intersections, the new box unpacked), keeping the box (two node hashes a level), or a
    registration's (boxes kept, the blinds up the path recomputed)."""
    from .tree import declare_box, declare_path, declare_top, leaf_write

    c = Circuit("write")
    new_box = new_box and not register
    parts = declare_box(c, "w", preset)[1] if new_box else None
    path = declare_path(c, "w", preset, keep_box=not new_box, register=register)
    top = declare_top(c, preset)
    before = c.n_constraints
    bits = c.private_input("bits", preset.account_bits)
    leaf_write(c, preset, 1, top, bits, c.private_input("old"), c.private_input("new"),
               parts, path, new_salt=c.private_input("salt") if register else None)
    return c.n_constraints - before + (preset.num_markets * 128 if new_box else 0)


def da_write_cost(preset: Preset) -> int:
    """One write's DA record (`ops._publish`): the key Poseidon(salt), the cipher of the
    leaf's opening, the sponge over (index, leaf hash, nonce, ciphertext), the select."""
    from circuits.dsl import LC

    from .common import Leaf, leaf_width
    from .ops import BatchState, _publish

    from .tree import box_width

    c = Circuit("da_write")
    m, k = preset.num_markets, preset.option_slots
    st = BatchState(top=None, funding=[], registration_index=LC(), deposit_index=LC(), forced_index=LC(),
                    fees=LC(), batch_number=c.private_input("batch"), prices=[], da_hash=c.private_input("h"),
                    da_writes=c.private_input("n"))
    leaf = Leaf.from_fields(c.private_input("leaf", leaf_width(m, k)), m, k)
    before = c.n_constraints
    _publish(c, st, c.private_input("flag"), c.private_input("index"), leaf, c.private_input("box", box_width(preset)),
             c.private_input("hash"))
    return c.n_constraints - before


def da_registration_cost() -> int:
    """A registration's salt: the ECDH point with the sequencer's scalar, then Poseidon(P.x, id)."""
    from circuits.gadgets import ecdh

    from .common import hash_fields

    c = Circuit("da_register")
    bits = c.private_input("bits", 252)
    before = c.n_constraints
    hash_fields(c, [ecdh.shared_point(c, bits, c.private_input("pk", 2))[0], c.private_input("id")])
    return c.n_constraints - before


def da_key_cost() -> int:
    """Once per batch: the scalar's 252 bits and s * Base8 (the message's daKeyX, daKeyY)."""
    from circuits.gadgets import ecdh

    c = Circuit("da_key")
    ecdh.public_key(c, ecdh.scalar_bits(c, c.private_input("s")))
    return c.n_constraints


WRITES_PER_SLOT = {"register": 1, "deposit": 1, "forced": 1, "funding": 0, "touch": 1, "liquidation": 3,
                   "withdrawal": 1, "trade": 2, "deleverage": 2, "option_trade": 2}


def batch_writes(preset: Preset) -> int:
    """The leaf writes of a full batch: each slot's, plus the closing write."""
    return 1 + sum(WRITES_PER_SLOT[k] * getattr(preset, attr) for k, attr, _ in SLOTS)


def exit_cost(preset: Preset) -> int:
    from .exit import build_exit_circuit

    c = Circuit("exit")
    build_exit_circuit(c, preset)
    return c.n_constraints


def eddsa_cost() -> int:
    from circuits import registry

    return registry.build("eddsa_poseidon").n_constraints


def table(names: list[str]) -> tuple[str, dict]:
    from . import preset_named

    results = {}
    for name in names:
        p = preset_named(name)
        from sequencer.spec.public import message_length, sha256_blocks

        kinds = per_kind(p)
        sha = sha256_cost(p)
        n = total(p, kinds, sha)
        results[name] = {"kinds": kinds, "total": n, "sha256": sha, "message_bytes": message_length(p),
                         "sha256_blocks": sha256_blocks(p), "leaf_write": leaf_write_cost(p),
                         "leaf_write_keep_box": leaf_write_cost(p, new_box=False),
                         "leaf_write_register": leaf_write_cost(p, register=True), "exit": exit_cost(p),
                         "da_write": da_write_cost(p), "da_registration": da_registration_cost(),
                         "da_key": da_key_cost(), "writes": batch_writes(p),
                         "shape": f"{p.capacity} accounts, arity {p.arity}, depth {p.depth}, M={p.num_markets}",
                         "slots": {k: getattr(p, attr) for k, attr in kinds_of(p)}}
    kinds = ["base"] + [k for k, _, _ in SLOTS]
    if any(preset_named(name).option_slots for name in results):
        kinds += [k for k, _ in OPTION_SLOTS]
    lines = ["| preset | shape | " + " | ".join(kinds) + " | message: bytes, SHA-256 blocks, constraints"
             " | write keeping / changing the box / registering | exit | total | SHA-256 share |",
             "|---" * (len(kinds) + 7) + "|"]
    for name, r in results.items():
        cells = [f"{r['kinds']['base']:,}"] + [f"{r['kinds'][k]:,} x{r['slots'][k]}" if k in r["kinds"] else "-"
                                                for k in kinds[1:]]
        lines.append(f"| {name} | {r['shape']} | " + " | ".join(cells)
                     + f" | {r['message_bytes']} B, {r['sha256_blocks']} blocks, {r['sha256']:,}"
                     + f" | {r['leaf_write_keep_box']:,} / {r['leaf_write']:,} / {r['leaf_write_register']:,}"
                     + f" | {r['exit']:,} | {r['total']:,}"
                     + f" | {100 * r['sha256'] / r['total']:.1f} % |")
    lines.append(f"\nOne EdDSA-Poseidon verification: {eddsa_cost():,} constraints.")
    lines.append("\nBinding the DA payload (included above): | preset | per write | per registration "
                 "(salt) | per batch (DA key) | writes per batch | in all | share |")
    for name, r in results.items():
        p = preset_named(name)
        da = r["da_write"] * r["writes"] + r["da_registration"] * p.register_slots + r["da_key"]
        lines.append(f"| {name} | {r['da_write']:,} | {r['da_registration']:,} | {r['da_key']:,} | {r['writes']} "
                     f"| {da:,} | {100 * da / r['total']:.1f} % |")
    return "\n".join(lines), results


def slot_breakdown(preset: Preset, kind: str, depth: int = 1) -> dict:
    """One slot of `kind` at the preset's shape, per gadget: {gadget path below the slot
    (`depth` levels; "" for the slot's own constraints): constraints}, largest first, and
    "(outside the slot)": what the slot adds elsewhere (the closing write's DA nonce is no
    longer a constant once a slot may write: its S-box), so that the parts add up to
    `per_kind`'s figure."""
    attr = dict(kinds_of(preset))[kind]
    empty = replace(preset, **{a: 0 for _, a in kinds_of(preset)})
    c = Circuit("settlement")
    msg = build_batch_circuit(c, replace(empty, **{attr: 1}))
    top = f"{kind}[0]"
    out: dict = {}
    for i in range(c.n_constraints):
        path = c._paths[c._cpath[i]].split("/")
        if path[0] == top:
            key = "/".join(path[1:1 + depth])
            out[key] = out.get(key, 0) + 1
    n0, sha0 = count(empty)
    out["(outside the slot)"] = (c.n_constraints - msg.sha256_constraints) - (n0 - sha0) - sum(out.values())
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="tiny,demo,mainnet")
    ap.add_argument("--json", default=None)
    ap.add_argument("--breakdown", default=None, metavar="KIND",
                    help="instead: one slot of KIND (trade, touch, ...) per gadget, at each preset")
    ap.add_argument("--depth", type=int, default=1, help="gadget levels of --breakdown")
    args = ap.parse_args(argv)
    if args.breakdown:
        from . import preset_named

        for name in args.preset.split(","):
            parts = slot_breakdown(preset_named(name), args.breakdown, args.depth)
            print(f"{name}: one {args.breakdown} slot, {sum(parts.values()):,} constraints")
            for path, n in parts.items():
                print(f"  {n:>8,}  {path or '(the slot itself)'}")
        return 0
    text, results = table(args.preset.split(","))
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
