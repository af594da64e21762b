"""Subcommands of the circuit DSL: `zkclear circuit list|export|witness|stats`.

    zkclear circuit list
    zkclear circuit export NAME [--param k=v ...] --r1cs X.r1cs [--sym X.sym]
    zkclear circuit witness NAME [--param k=v ...] --input input.json --wtns X.wtns
    zkclear circuit stats [--cached] [--write-table]
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add `circuit` to the zkclear command line."""
    p = sub.add_parser("circuit", help="circuits: list, export R1CS, solve witnesses, constraint stats")
    csub = p.add_subparsers(dest="circuit_command", required=True, metavar="ACTION")

    lp = csub.add_parser("list", help="the registered circuits and their parameters")
    lp.set_defaults(func=_cmd_list)

    def named(sp):
        sp.add_argument("name", help="a registered circuit (see `zkclear circuit list`)")
        sp.add_argument("--param", action="append", default=[], metavar="K=V", help="circuit parameter")

    ep = csub.add_parser("export", help="write the circuit's .r1cs (and .sym)")
    named(ep)
    ep.add_argument("--r1cs", required=True, help="output .r1cs path")
    ep.add_argument("--sym", help="output .sym path")
    ep.set_defaults(func=_cmd_export)

    wp = csub.add_parser("witness", help="solve a witness from an input.json and write a .wtns")
    named(wp)
    wp.add_argument("--input", required=True, help="input.json (circom's shape)")
    wp.add_argument("--wtns", required=True, help="output .wtns path")
    wp.add_argument("--public", help="also write the public signals (snarkjs public.json)")
    wp.set_defaults(func=_cmd_witness)

    sp = csub.add_parser("stats", help="our constraint counts beside circomlib's --O2 counts")
    sp.add_argument("--cached", action="store_true", help="use the committed circomlib table, never run circom")
    sp.add_argument("--write-table", action="store_true", help="re-measure circomlib and rewrite the table")
    sp.set_defaults(func=_cmd_stats)


def _error(msg: str, code: int = 2):
    from prover.errors import CliError

    return CliError(msg, code)


def _compiled(args):
    from circuits import registry

    try:
        return registry.build(args.name, **registry.parse_params(args.param))
    except registry.RegistryError as exc:
        raise _error(str(exc)) from None
    except ValueError as exc:
        raise _error(f"{args.name}: {exc}") from None
    except ImportError as exc:
        raise _error(f"{args.name} cannot be built here: {exc}") from None


def _cmd_list(args) -> int:
    from circuits import registry

    for name in registry.names():
        spec = registry.get(name)
        params = " ".join(f"{k}={v}" for k, v in spec.params.items())
        first = spec.doc.splitlines()[0] if spec.doc else ""
        print(f"{name:<18} {params:<18} {first}")
    return 0


def _cmd_export(args) -> int:
    try:
        from prover.formats.r1cs import write_r1cs
    except ImportError:
        raise _error("prover.formats.r1cs.write_r1cs is not available in this build") from None
    cc = _compiled(args)
    try:
        write_r1cs(args.r1cs, cc.r1cs)
        if args.sym:
            from prover.formats.sym import write_sym

            write_sym(args.sym, cc.sym_entries())
    except OSError as exc:
        raise _error(f"cannot write: {exc}") from None
    print(f"{cc.name}: {cc.n_constraints} constraints, {cc.r1cs.n_wires} wires "
          f"({cc.r1cs.n_pub_out} public outputs, {cc.r1cs.n_pub_in} public inputs, "
          f"{cc.r1cs.n_prv_in} private inputs) -> {args.r1cs}")
    return 0


def _cmd_witness(args) -> int:
    from circuits.dsl import ConstraintError, InputError

    try:
        from prover.formats.wtns import write_wtns
    except ImportError:
        raise _error("prover.formats.wtns.write_wtns is not available in this build") from None
    cc = _compiled(args)
    try:
        with open(args.input) as f:
            inputs = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise _error(f"cannot read {args.input}: {exc}") from None
    try:
        witness = cc.witness(inputs)
    except InputError as exc:
        raise _error(f"{args.input}: {exc}") from None
    except ConstraintError as exc:
        raise _error(f"inputs violate the circuit: {exc}", 1) from None
    try:
        write_wtns(args.wtns, witness)
        if args.public:
            with open(args.public, "w") as f:
                json.dump([str(v) for v in cc.public_signals(witness)], f)
    except OSError as exc:
        raise _error(f"cannot write: {exc}") from None
    print(f"{cc.name}: witness of {len(witness)} wires satisfies {cc.n_constraints} constraints -> {args.wtns}")
    return 0


def stats_rows(live: bool) -> list[dict]:
    """One row per registered circuit and parameter set: ours, circomlib's (live or cached)."""
    import tempfile

    from circuits import circom_ref, registry

    table = circom_ref.cached_counts()
    rows = []
    work = tempfile.TemporaryDirectory(prefix="zkclear-stats-") if live else None
    for name in registry.names():
        spec = registry.get(name)
        for params in [{}] + spec.stats_params:
            p = spec.resolve(params)
            label = spec.label(p)
            ours = registry.build(name, **p).n_constraints
            theirs, source = None, "-"
            if spec.circom is not None:
                if live:
                    inc, inst = spec.circom(**p)
                    build = circom_ref.compile_template(inc, inst, work.name, name=f"t{len(rows)}")
                    theirs, source = build.constraints, "circom2 --O2"
                elif label in table:
                    theirs, source = table[label], "table"
            rows.append({"circuit": label, "ours": ours, "circomlib": theirs, "source": source,
                         "template": spec.circom(**p)[1] if spec.circom else ""})
    if work is not None:
        work.cleanup()
    return rows


def _cmd_stats(args) -> int:
    from circuits import circom_ref

    live = (args.write_table or not args.cached) and circom_ref.have_node_tools()
    if args.write_table and not live:
        raise _error("--write-table needs the node tools (npm ci)")
    try:
        rows = stats_rows(live)
    except ImportError as exc:
        raise _error(f"cannot build the circuits here: {exc}") from None
    print(f"{'circuit':<34} {'ours':>7} {'circomlib':>9}  {'template':<26} source")
    note = False
    for r in rows:
        theirs = "-" if r["circomlib"] is None else str(r["circomlib"])
        mark = ""
        if r["circomlib"] is not None and r["ours"] > r["circomlib"]:
            mark, note = " *", True
        print(f"{r['circuit']:<34} {r['ours']:>7} {theirs:>9}  {r['template']:<26} {r['source']}{mark}")
    if note:
        print("* circom --O2 substitutes away a private main input defined by a linear constraint "
              "(Num2Bits: in = sum bits 2^i); zkclear keeps inputs as wires, one linear constraint more")
    if args.write_table:
        table = {r["circuit"]: r["circomlib"] for r in rows if r["circomlib"] is not None}
        circom_ref.COUNTS_TABLE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        print(f"wrote {circom_ref.COUNTS_TABLE}", file=sys.stderr)
    return 0
