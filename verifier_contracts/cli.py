"""`zkclear export-verifier`: a standalone Solidity Groth16 verifier for any snarkjs key.

    zkclear export-verifier --vk vk.json --out Verifier.sol [--name Groth16Verifier]

The drop-in for `snarkjs zkey export solidityverifier`: the same ABI,
`verifyProof(uint[2] _pA, uint[2][2] _pB, uint[2] _pC, uint[N] _pubSignals) view returns (bool)`
(no `_pubSignals` when the key has no public input), so the calldata of
`snarkjs zkey export soliditycalldata` passes as is. It returns false, never reverts, for a
public input >= r, a proof coordinate >= q, a point off its curve or a failed pairing.
The source comes from verifier_contracts/src/Groth16Verifier.sol.tmpl (render_verifier);
writing it needs no node or solc.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add `export-verifier` to the zkclear command line."""
    p = sub.add_parser(
        "export-verifier", help="Solidity Groth16 verifier for a snarkjs verification key (snarkjs's ABI)",
        description="Write a standalone Solidity Groth16 verifier (BN254) for a snarkjs verification key, "
                    "with the ABI of `snarkjs zkey export solidityverifier`.")
    p.add_argument("--vk", required=True, help="verification key (snarkjs JSON, any number of public inputs)")
    p.add_argument("--out", required=True, help="output Solidity file")
    p.add_argument("--name", default="Groth16Verifier", help="contract name (a Solidity identifier; "
                                                              "default Groth16Verifier, as snarkjs)")
    p.set_defaults(func=cmd_export_verifier)


def cmd_export_verifier(args) -> int:
    from prover.errors import CliError
    from verifier_contracts.build import check_contract_name, render_verifier

    try:
        check_contract_name(args.name)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        vk = json.loads(Path(args.vk).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.vk}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.vk} is not JSON: {exc}") from None
    if not isinstance(vk, dict):
        raise CliError(f"{args.vk}: not a snarkjs verification key (a JSON object)")
    # The file name goes into a // comment: printable ASCII only, so it cannot end the comment.
    key_name = "".join(ch if " " <= ch <= "~" else "?" for ch in Path(args.vk).name)
    provenance = (f"Verification key {key_name} (snarkjs JSON), via `zkclear export-verifier`: "
                  "as sound as the trusted setup that made it.")
    try:
        source = render_verifier(vk, args.name, provenance=provenance)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CliError(f"{args.vk}: not a usable Groth16/BN254 verification key: {detail}") from None
    out = Path(args.out)
    try:
        out.write_text(source)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc}") from None
    n = len(vk["IC"]) - 1
    signals = f",uint256[{n}]" if n else ""
    unsafe = " (UNSAFE development key)" if "UNSAFE:" in source.split("pragma", 1)[0] else ""
    print(f"wrote {out}: contract {args.name}{unsafe}, {n} public input{'s' if n != 1 else ''}, "
          f"verifyProof(uint256[2],uint256[2][2],uint256[2]{signals})")
    return 0
