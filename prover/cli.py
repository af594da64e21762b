"""Subcommands of the prover: setup, prove, verify, export-vk (bench registers itself).

A stable interface that scripts depend on:
  zkclear setup --r1cs C.r1cs (--ptau P.ptau | --dev-unsafe) --zkey C.zkey [--vk vk.json] [--backend B]
      --ptau: phase 2 with one random contribution, on either backend; `snarkjs zkey verify` accepts it
  zkclear prove --zkey C.zkey --wtns W.wtns --proof proof.json --public public.json [--backend B]
  zkclear verify --vk vk.json --proof proof.json --public public.json [--backend B]
      exit 0 valid, 1 invalid, 2 unreadable input; always one line saying why
  zkclear export-vk --zkey C.zkey --vk vk.json
Heavy imports happen inside the handlers, so `zkclear --help` stays fast.
"""
from __future__ import annotations

import argparse
import sys

BACKENDS = ("auto", "native", "python")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `setup`, `prove`, `verify` and `export-vk` to the zkclear command line."""
    p = sub.add_parser("setup", help="Groth16 setup: phase 2 on a .ptau, or an UNSAFE dev setup",
                       description="Write a snarkjs-compatible Groth16 .zkey for a circuit.")
    p.add_argument("--r1cs", required=True, help="circuit (.r1cs)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--ptau", help="prepared powers of tau (snarkjs powersoftau prepare phase2)")
    src.add_argument("--dev-unsafe", action="store_true",
                     help="UNSAFE: all toxic waste from local randomness (tests and demos only)")
    p.add_argument("--zkey", required=True, help="output proving key (.zkey)")
    p.add_argument("--vk", help="also write the verification key (snarkjs JSON)")
    p.add_argument("--backend", choices=BACKENDS, default="auto")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("prove", help="prove a witness with a .zkey (snarkjs JSON out)")
    p.add_argument("--zkey", required=True)
    p.add_argument("--wtns", required=True, help="witness (.wtns)")
    p.add_argument("--proof", required=True, help="output proof JSON")
    p.add_argument("--public", required=True, help="output public signals JSON")
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="default: native when built")
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("verify", help="verify a proof: exit 0 valid, 1 invalid, 2 unreadable input")
    p.add_argument("--vk", required=True, help="verification key JSON")
    p.add_argument("--proof", required=True, help="proof JSON")
    p.add_argument("--public", required=True, help="public signals JSON")
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="pairing implementation")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("export-vk", help="write the verification key (snarkjs JSON) of a .zkey")
    p.add_argument("--zkey", required=True)
    p.add_argument("--vk", required=True)
    p.set_defaults(func=cmd_export_vk)


def _backend(name: str):
    from prover.backends import get_backend
    from prover.errors import CliError
    try:
        return get_backend(name)
    except (RuntimeError, ValueError) as exc:
        raise CliError(str(exc), 2) from None


def _unreadable(exc: Exception):
    from prover.errors import CliError
    return CliError(str(exc), 2)


def cmd_setup(args) -> int:
    from prover.formats import FormatError
    from prover.formats.snarkjs_json import write_vk
    from prover.formats.zkey import read_zkey_vk
    from prover.formats.binfile import write_atomic
    from prover.errors import CliError
    try:
        from prover.formats.r1cs import read_r1cs
        if args.dev_unsafe:
            from prover.groth16.setup import ToxicWaste
            backend = _backend(args.backend)
            # The .r1cs goes by path: the native setup reads it and streams the key to the file
            # section by section (a mainnet key is ~6 GB; never whole in memory, nor in Python).
            # An unreadable r1cs is found there, so the warning (one line of stderr on error) follows.
            try:
                backend.setup_file(args.r1cs, ToxicWaste.random(), args.zkey)
            except (ValueError, OSError) as exc:  # FormatError included: an unreadable r1cs
                raise CliError(str(exc), 2) from None
            print("zkclear setup: WARNING: UNSAFE development setup, the toxic waste was drawn locally; "
                  "anyone holding it can forge proofs. Never deploy this key.", file=sys.stderr)
            vk = read_zkey_vk(args.zkey) if args.vk else None
        else:
            import secrets
            from prover.field import R
            r1cs = read_r1cs(args.r1cs)
            backend = _backend(args.backend)
            try:
                zkey = backend.setup_ptau(r1cs, args.ptau, secrets.randbelow(R - 1) + 1)
            except ValueError as exc:  # FormatError included: an unreadable or too small ptau
                raise CliError(str(exc), 2) from None
            write_atomic(args.zkey, zkey)
            vk = read_zkey_vk(zkey) if args.vk else None
        if args.vk:
            write_vk(args.vk, vk)  # from the key's header and IC only: a mainnet key is GBs
    except FormatError as exc:
        raise _unreadable(exc) from None
    print(f"zkclear setup: wrote {args.zkey}" + (" (UNSAFE dev setup)" if args.dev_unsafe else ""))
    return 0


def cmd_prove(args) -> int:
    import secrets
    from prover.field import R
    from prover.formats import FormatError
    from prover.formats.snarkjs_json import write_proof, write_public
    from prover.formats.wtns import read_wtns_head
    from prover.formats.zkey import read_zkey_header
    from prover.formats.binfile import load_bytes
    from prover.errors import CliError
    backend = _backend(args.backend)
    try:
        # the key by its path (the native prover maps it: a mainnet key is GBs), its header
        # mapped; the witness as bytes, of which only the public values become ints
        _, hdr = read_zkey_header(args.zkey)
        wtns = load_bytes(args.wtns, "wtns")
        n_wires, head = read_wtns_head(wtns, 1 + hdr["n_public"])
    except FormatError as exc:
        raise _unreadable(exc) from None
    if n_wires != hdr["n_vars"]:
        raise CliError(f"witness has {n_wires} values, the circuit of {args.zkey} has {hdr['n_vars']} wires", 2)
    try:
        proof = backend.prove(args.zkey, wtns, secrets.randbelow(R), secrets.randbelow(R))
    except (FormatError, ValueError) as exc:
        raise _unreadable(exc) from None
    write_proof(args.proof, proof)
    write_public(args.public, head[1:])
    print(f"zkclear prove: wrote {args.proof} and {args.public} ({backend.name} backend)")
    return 0


def cmd_verify(args) -> int:
    from prover.formats import FormatError
    from prover.formats.snarkjs_json import read_proof, read_public, read_vk
    from prover.errors import CliError
    try:
        vk = read_vk(args.vk)
        proof = read_proof(args.proof)
        public = read_public(args.public)
    except FormatError as exc:
        raise _unreadable(exc) from None
    reason = _backend(args.backend).check(vk, public, proof)
    if reason is not None:
        raise CliError(f"INVALID: {reason}", 1)
    note = " (key from an UNSAFE dev setup)" if vk.unsafe_dev_setup else ""
    print(f"zkclear verify: OK, the proof is valid{note}")
    return 0


def cmd_export_vk(args) -> int:
    from prover.formats import FormatError
    from prover.formats.snarkjs_json import write_vk
    from prover.formats.zkey import read_zkey_vk
    try:
        vk = read_zkey_vk(args.zkey)  # header, IC and hash sections: a mainnet key is GBs
    except FormatError as exc:
        raise _unreadable(exc) from None
    write_vk(args.vk, vk)
    print(f"zkclear export-vk: wrote {args.vk}")
    return 0
