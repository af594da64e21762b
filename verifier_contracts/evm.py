"""Deploy artifacts and call a Groth16 verifier from Python (no node needed).

    chain = Chain.embedded()                      # eth-tester + py-evm, in process
    chain = Chain.connect("http://127.0.0.1:8545")  # anvil or any node with unlocked accounts
    verifier = chain.deploy(load_artifact("Groth16Verifier"))
    ok, gas = verify_proof(verifier, proof_json, public_json)

``gas`` is the ``gasUsed`` of a real transaction calling ``verifyProof`` (what a
settlement transaction pays for verification: 21000 base + calldata + execution).
``ok`` comes from an ``eth_call`` at the same state. A call that reverts counts as
``ok = False`` and reports ``gas = None``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from web3 import Web3

from verifier_contracts.build import ARTIFACTS_DIR

Proof = tuple[list[int], list[list[int]], list[int], list[int]]


# ---------------------------------------------------------------- artifacts


def load_artifact(name_or_path: str | os.PathLike) -> dict:
    """An artifact by contract name (``artifacts/<name>.json``) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = ARTIFACTS_DIR / f"{name_or_path}.json"
    return json.loads(path.read_text())


def link(artifact: Mapping[str, Any], libraries: Mapping[str, str]) -> str:
    """Creation bytecode with library placeholders replaced by ``{library_name: address}``."""
    hexcode = artifact["bytecode"][2:]
    if "$" not in hexcode:
        return "0x" + hexcode
    out = list(hexcode)
    for _source, libs in artifact.get("linkReferences", {}).items():
        for lib, refs in libs.items():
            if lib not in libraries:
                raise ValueError(f"library {lib} not given")
            addr = Web3.to_checksum_address(libraries[lib])[2:].lower()
            for ref in refs:
                start = 2 * ref["start"]
                out[start:start + 2 * ref["length"]] = addr
    linked = "".join(out)
    if "$" in linked:
        raise ValueError("unlinked library placeholders remain")
    return "0x" + linked


# ---------------------------------------------------------------- proofs


def _load_json(obj: Any) -> Any:
    if isinstance(obj, (str, os.PathLike)):
        text = str(obj)
        if not text.lstrip().startswith(("{", "[")):
            text = Path(obj).read_text()
        return json.loads(text)
    return obj


def proof_calldata(proof_json: Any, public_json: Any) -> Proof:
    """``(a, b, c, inputs)`` for ``verifyProof`` from snarkjs ``proof.json`` and ``public.json``.

    snarkjs JSON writes G2 coordinates as (c0, c1); the EVM precompile wants (c1, c0).
    """
    proof = _load_json(proof_json)
    public = _load_json(public_json)
    a = [int(proof["pi_a"][0]), int(proof["pi_a"][1])]
    b = [[int(proof["pi_b"][0][1]), int(proof["pi_b"][0][0])],
         [int(proof["pi_b"][1][1]), int(proof["pi_b"][1][0])]]
    c = [int(proof["pi_c"][0]), int(proof["pi_c"][1])]
    inputs = [int(x) for x in public]
    return a, b, c, inputs


def parse_soliditycalldata(text: str) -> Proof:
    """Parse the output of ``snarkjs zkey export soliditycalldata`` (already EVM order)."""
    a, b, c, inputs = json.loads("[" + text.strip() + "]")
    to_int = lambda v: int(v, 16) if isinstance(v, str) else int(v)  # noqa: E731
    return ([to_int(v) for v in a], [[to_int(v) for v in row] for row in b],
            [to_int(v) for v in c], [to_int(v) for v in inputs])


# ---------------------------------------------------------------- chains


class Chain:
    """A web3 connection with a funded default account."""

    def __init__(self, w3: Web3):
        self.w3 = w3
        if not w3.eth.default_account or w3.eth.default_account == "0x0000000000000000000000000000000000000000":
            w3.eth.default_account = w3.eth.accounts[0]

    @classmethod
    def embedded(cls) -> "Chain":
        """An in-process chain: eth-tester on py-evm (latest fork it supports)."""
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        backend = PyEVMBackend(genesis_parameters=PyEVMBackend.generate_genesis_params(
            overrides={"gas_limit": 60_000_000}))
        return cls(Web3(EthereumTesterProvider(EthereumTester(backend))))

    @classmethod
    def connect(cls, url: str, timeout: float = 30.0) -> "Chain":
        """A node over HTTP (anvil: its unlocked default accounts sign)."""
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
        if not w3.is_connected():
            raise ConnectionError(f"no Ethereum node at {url}")
        return cls(w3)

    def deploy(self, artifact: Mapping[str, Any], *args: Any,
               libraries: Mapping[str, str] | None = None, gas: int = 15_000_000):
        """Deploy an artifact (linking ``libraries`` if given); returns a web3 contract."""
        bytecode = link(artifact, libraries or {})
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=bytecode)
        tx = factory.constructor(*args).transact({"gas": gas})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise RuntimeError(f"deployment of {artifact.get('contractName')} failed")
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    def transact_gas(self, fn, gas: int = 15_000_000) -> int:
        """Send ``fn`` (a bound contract function) as a transaction; its ``gasUsed``."""
        tx = fn.transact({"gas": gas})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        if receipt["status"] != 1:
            raise RuntimeError("transaction reverted")
        return int(receipt["gasUsed"])


def deploy_verifier(chain: Chain, source: Any, contract_name: str = "Groth16Verifier"):
    """Deploy a verifier from an artifact (dict, name or path; no node needed) or from a
    snarkjs verification key (dict or path; renders and compiles it, needs node)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        source = json.loads(path.read_text()) if path.suffix == ".json" else load_artifact(source)
    if "bytecode" in source:
        return chain.deploy(source)
    from verifier_contracts.build import compile_verifier  # build time: needs node

    return chain.deploy(compile_verifier(source, contract_name))


def call_verify(verifier, a: Sequence, b: Sequence, c: Sequence, inputs: Sequence) -> tuple[bool, int | None]:
    """``(ok, gas)`` of ``verifyProof(a, b, c, inputs)``; a revert gives ``(False, None)``.

    A verifier of a key with no public input takes no ``inputs`` argument (``inputs`` empty)."""
    args = [list(a), [list(r) for r in b], list(c)]
    if list(inputs) or any(len(f.get("inputs", [])) == 4 for f in verifier.abi if f.get("name") == "verifyProof"):
        args.append(list(inputs))
    fn = verifier.functions.verifyProof(*args)
    try:
        ok = bool(fn.call())
    except Exception:  # revert (e.g. a library's own range check), or ABI rejection
        return False, None
    w3 = verifier.w3
    tx = fn.transact({"gas": 5_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    return ok, int(receipt["gasUsed"])


def verify_proof(verifier, proof_json: Any, public_json: Any) -> tuple[bool, int | None]:
    """``(ok, gas)`` for a snarkjs ``proof.json`` + ``public.json`` (dicts, texts or paths)."""
    return call_verify(verifier, *proof_calldata(proof_json, public_json))
