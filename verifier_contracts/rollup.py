"""Python client of the settlement contract (``src/Rollup.sol``) and the oracle (``src/Oracle.sol``).

    chain = Chain.embedded()                        # or Chain.connect("http://127.0.0.1:8545")
    r = RollupClient.deploy(chain, batch_vk, exit_vk, markets=2)   # Poseidon libs, Oracle, verifiers, Rollup
    r.post_round([p0, p1], [f0, f1])                # oracle poster (default: the chain's account 0)
    r.deposit(account_id=1, amount=5_000, sender=alice)             # units; msg.value = amount * weiPerUnit
    pub = r.next_batch_public(new_root, withdrawals=[(alice, 1_000)])  # fills roots, queues, oracle words
    r.submit_batch(pub, [(alice, 1_000)], proof_json)  # proof over batch_public_inputs(pub)
    r.claim(alice)

Public inputs of a batch, in the verifier's order (``PUBLIC_INPUT_NAMES``; ``prices`` and
``fundingIndices`` stand for M words each, ``public_input_names(M)`` expands them):

    oldRoot, newRoot, batchNumber, oracleRound, prices[0..M-1], fundingIndices[0..M-1],
    depositFrom, depositTo, depositChainFrom, depositChainTo, withdrawalsHash,
    forcedFrom, forcedTo, forcedChainFrom, forcedChainTo                (13 + 2M words)

Exit proofs (``EXIT_PUBLIC_INPUT_NAMES``): root, prices[M], fundingIndices[M], accountId,
l1Address, equity (2M + 4 words), at the last settled root, its oracle round's words.

Hash chains (circomlib Poseidon, as ``sequencer.spec.hashing.hash_chain``):
deposits and forced requests ``c_{k+1} = H(c_k, accountId, amount, sender)``, withdrawals
``h_{i+1} = H(h_i, l1Address, amount)``, all from 0. The client reads chain values from
the contract (``deposit_chain``, ``withdrawals_hash``), so it needs no Poseidon of its own.

Artifacts: ``python -m verifier_contracts.rollup build`` compiles Rollup.sol and Oracle.sol
(solc-js) and writes ``artifacts/{Rollup,Oracle,PoseidonT4,PoseidonT5}.json``; the Poseidon
libraries are poseidon-solidity's shipped bytecode (cheaper than our solc build of it).
``python -m verifier_contracts.rollup gas`` measures deposit and submitBatch gas with a
synthetic (UNSAFE) key.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from web3 import Web3
from web3.exceptions import ContractLogicError, MethodUnavailable

from verifier_contracts.build import ARTIFACTS_DIR, NODE_MODULES, SRC_DIR, compile_sources, write_artifacts
from verifier_contracts.evm import Chain, load_artifact, proof_calldata

# ---------------------------------------------------------------- the public-input contract

#: Batch public inputs in verifier order; "prices" and "fundingIndices" are M words each.
PUBLIC_INPUT_NAMES: tuple[str, ...] = (
    "oldRoot", "newRoot", "batchNumber", "oracleRound",
    "prices", "fundingIndices",
    "depositFrom", "depositTo", "depositChainFrom", "depositChainTo",
    "withdrawalsHash",
    "forcedFrom", "forcedTo", "forcedChainFrom", "forcedChainTo",
)
#: Exit public inputs in verifier order; "prices" and "fundingIndices" are M words each.
EXIT_PUBLIC_INPUT_NAMES: tuple[str, ...] = ("root", "prices", "fundingIndices", "accountId", "l1Address", "equity")
VECTOR_INPUTS = frozenset({"prices", "fundingIndices"})

ROLLUP_SOURCES = ("Rollup.sol", "Oracle.sol")
POSEIDON_LIBRARIES = ("PoseidonT4", "PoseidonT5")
ROLLUP_ARTIFACTS = ("Rollup", "Oracle", *POSEIDON_LIBRARIES)

WEI_PER_UNIT = 10**9  # default: 1 collateral unit = 1 gwei
ACCOUNT_ID_LIMIT = 1 << 32
AMOUNT_LIMIT = 1 << 63


def _expand(names: Sequence[str], markets: int) -> list[str]:
    out = []
    for n in names:
        out += [f"{n}[{j}]" for j in range(markets)] if n in VECTOR_INPUTS else [n]
    return out


def public_input_names(markets: int) -> list[str]:
    """The 13 + 2M batch public-input names, one per verifier input."""
    return _expand(PUBLIC_INPUT_NAMES, markets)


def exit_public_input_names(markets: int) -> list[str]:
    """The 2M + 4 exit public-input names, one per verifier input."""
    return _expand(EXIT_PUBLIC_INPUT_NAMES, markets)


def n_public(markets: int) -> int:
    return 13 + 2 * markets


def n_exit_public(markets: int) -> int:
    return 4 + 2 * markets


def _flatten(names: Sequence[str], values: Mapping[str, Any]) -> list[int]:
    out: list[int] = []
    for n in names:
        v = values[n]
        if n in VECTOR_INPUTS:
            out += [int(x) for x in v]
        elif n == "l1Address" or isinstance(v, str):
            out.append(int(v, 16) if isinstance(v, str) and v.startswith("0x") else int(v))
        else:
            out.append(int(v))
    return out


def batch_public_inputs(pub: Mapping[str, Any]) -> list[int]:
    """The verifier's input array of a batch from a dict keyed by ``PUBLIC_INPUT_NAMES``."""
    return _flatten(PUBLIC_INPUT_NAMES, pub)


def exit_public_inputs(values: Mapping[str, Any]) -> list[int]:
    """The verifier's input array of an exit from a dict keyed by ``EXIT_PUBLIC_INPUT_NAMES``."""
    return _flatten(EXIT_PUBLIC_INPUT_NAMES, values)


def proof_words(proof: Any) -> list[int]:
    """The contract's ``uint256[8]`` proof from a snarkjs proof.json (dict, text or path),
    an ``(a, b, c)`` triple in EVM order, or 8 words already."""
    if isinstance(proof, (list, tuple)) and len(proof) == 8:
        return [int(x) for x in proof]
    if isinstance(proof, (list, tuple)) and len(proof) in (3, 4):
        a, b, c = proof[:3]
    else:
        a, b, c, _ = proof_calldata(proof, [])
    return [int(a[0]), int(a[1]), int(b[0][0]), int(b[0][1]), int(b[1][0]), int(b[1][1]), int(c[0]), int(c[1])]


def _withdrawal_tuples(withdrawals: Iterable[Any]) -> list[tuple[str, int]]:
    """``[(l1Address, amount)]`` from pairs or dicts (``l1Address``/``amount``)."""
    out = []
    for w in withdrawals:
        addr, amount = (w["l1Address"], w["amount"]) if isinstance(w, Mapping) else w
        if isinstance(addr, int):
            addr = "0x" + addr.to_bytes(20, "big").hex()
        out.append((Web3.to_checksum_address(addr), int(amount)))
    return out


def _pub_struct(pub: Mapping[str, Any]) -> tuple:
    """The ``BatchPublic`` calldata tuple (fields in verifier order)."""
    return tuple([int(x) for x in pub[n]] if n in VECTOR_INPUTS else int(pub[n]) for n in PUBLIC_INPUT_NAMES)


# ---------------------------------------------------------------- artifacts


def shipped_library(name: str) -> dict:
    """poseidon-solidity's own creation bytecode for library ``name`` (needs node)."""
    from verifier_contracts.gas_report import shipped_poseidon

    art = shipped_poseidon(name)
    version = json.loads((NODE_MODULES / "poseidon-solidity" / "package.json").read_text())["version"]
    art["source"] = f"poseidon-solidity {version} shipped bytecode (deploy/{name}.js)"
    return art


def compile_rollup(extra_sources: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Compile Rollup.sol + Oracle.sol (and ``extra_sources``); Poseidon libraries replaced by
    poseidon-solidity's shipped bytecode. Needs node."""
    sources = {n: (SRC_DIR / n).read_text() for n in ROLLUP_SOURCES}
    sources.update(extra_sources or {})
    arts = {k: v for k, v in compile_sources(sources).items() if v["bytecode"] != "0x"}
    for lib in POSEIDON_LIBRARIES:
        arts[lib] = {**shipped_library(lib), "abi": arts[lib]["abi"]}
    return arts


def build_artifacts(out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Write ``artifacts/{Rollup,Oracle,PoseidonT4,PoseidonT5}.json``."""
    arts = compile_rollup()
    return write_artifacts({k: arts[k] for k in ROLLUP_ARTIFACTS}, out_dir)


def load_rollup_artifacts() -> dict[str, dict]:
    """The committed artifacts, or a fresh compile when they are missing (needs node)."""
    try:
        return {k: load_artifact(k) for k in ROLLUP_ARTIFACTS}
    except FileNotFoundError:
        return compile_rollup()


# ---------------------------------------------------------------- the client


class RollupError(RuntimeError):
    """A call reverted; the message is the contract's revert reason (e.g. "Rollup: frozen")."""


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    msg = str(msg)
    for prefix in ("execution reverted: ", "execution reverted:"):
        if prefix in msg:
            msg = msg.split(prefix, 1)[1]
    return msg.strip()


@dataclass
class RollupClient:
    chain: Chain
    rollup: Any  # web3 contract
    oracle: Any  # web3 contract

    # ------------------------------------------------------------ deployment

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        batch_verifier: Any,
        exit_verifier: Any,
        *,
        markets: int,
        genesis_root: int = 0,
        deadline_blocks: int = 7200,
        wei_per_unit: int = WEI_PER_UNIT,
        min_deposit_units: int = 1,
        forced_request_fee: int = 0,
        sequencer: str | None = None,
        oracle_poster: str | None = None,
        artifacts: Mapping[str, dict] | None = None,
        libraries: Mapping[str, str] | None = None,
    ) -> "RollupClient":
        """Deploy Poseidon libraries (unless ``libraries`` gives their addresses), the
        Oracle, both verifiers and the Rollup. A verifier is a deployed web3 contract, an
        address, an artifact dict, an artifact name/path, or a snarkjs vk dict (compiled,
        needs node)."""
        arts = dict(artifacts) if artifacts is not None else load_rollup_artifacts()
        w3 = chain.w3
        me = w3.eth.default_account
        libs = dict(libraries or {})
        for lib in POSEIDON_LIBRARIES:
            if lib not in libs:
                libs[lib] = chain.deploy(arts[lib]).address
        oracle = chain.deploy(arts["Oracle"], Web3.to_checksum_address(oracle_poster or me), markets)
        bv = _verifier_address(chain, batch_verifier)
        ev = _verifier_address(chain, exit_verifier)
        cfg = (Web3.to_checksum_address(sequencer or me), oracle.address, bv, ev, int(genesis_root),
               deadline_blocks, wei_per_unit, min_deposit_units, forced_request_fee)
        rollup = chain.deploy(arts["Rollup"], cfg, libraries=libs)
        return cls(chain, rollup, oracle)

    @classmethod
    def at(cls, chain: Chain, rollup_address: str, artifacts: Mapping[str, dict] | None = None) -> "RollupClient":
        arts = artifacts or load_rollup_artifacts()
        rollup = chain.w3.eth.contract(address=rollup_address, abi=arts["Rollup"]["abi"])
        oracle = chain.w3.eth.contract(address=rollup.functions.oracle().call(), abi=arts["Oracle"]["abi"])
        return cls(chain, rollup, oracle)

    # ------------------------------------------------------------ transactions

    def _send(self, fn, sender: str | None = None, value: int = 0) -> dict:
        """Call and estimate on the pending block, where the transaction will run (a revert
        raises RollupError with the contract's reason), then transact."""
        tx = {"from": sender or self.chain.w3.eth.default_account, "value": value}
        try:
            fn.call(tx, block_identifier="pending")
            try:
                gas = fn.estimate_gas(tx, block_identifier="pending")
            except MethodUnavailable:  # eth-tester: no block parameter; it mines each tx alone
                gas = fn.estimate_gas(tx)
            tx_hash = fn.transact({**tx, "gas": gas + gas // 4 + 20_000})
        except Exception as exc:  # web3's ContractLogicError; eth-tester's TransactionFailed
            if isinstance(exc, ContractLogicError) or type(exc).__name__ == "TransactionFailed":
                raise RollupError(_reason(exc)) from None
            raise
        receipt = self.chain.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RollupError("transaction reverted")
        return receipt

    @property
    def markets(self) -> int:
        return self.rollup.functions.markets().call()

    @property
    def wei_per_unit(self) -> int:
        return self.rollup.functions.weiPerUnit().call()

    def post_round(self, prices: Sequence[int], funding: Sequence[int], sender: str | None = None) -> int:
        """Publish the next oracle round; returns its id. Negative funding is sent as r - |F|."""
        from verifier_contracts.build import R

        rid = self.oracle.functions.latestRound().call() + 1
        self._send(self.oracle.functions.postRound(rid, [int(p) % R for p in prices], [int(f) % R for f in funding]),
                   sender)
        return rid

    def deposit(self, account_id: int, amount: int, sender: str | None = None) -> int:
        """Deposit ``amount`` collateral units for ``account_id``; returns the queue index."""
        index = self.rollup.functions.depositCount().call()
        self._send(self.rollup.functions.deposit(account_id), sender, value=amount * self.wei_per_unit)
        return index

    def request_forced_withdrawal(self, account_id: int, amount: int, sender: str | None = None) -> int:
        index = self.rollup.functions.forcedCount().call()
        fee = self.rollup.functions.forcedRequestFee().call()
        self._send(self.rollup.functions.requestForcedWithdrawal(account_id, amount), sender, value=fee)
        return index

    def submit_batch(self, pub: Mapping[str, Any], withdrawals: Iterable[Any], proof: Any,
                     sender: str | None = None) -> dict:
        """``submitBatch(pub, withdrawals, proof)``; ``proof`` as in ``proof_words``."""
        fn = self.rollup.functions.submitBatch(_pub_struct(pub), _withdrawal_tuples(withdrawals), proof_words(proof))
        return self._send(fn, sender)

    def freeze(self, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.freeze(), sender)

    def exit(self, account_id: int, l1_address: str, equity: int, proof: Any, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.exit(account_id, Web3.to_checksum_address(l1_address), equity,
                                                     proof_words(proof)), sender)

    def refund_deposit(self, index: int, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.refundDeposit(index), sender)

    def claim(self, sender: str | None = None) -> dict:
        return self._send(self.rollup.functions.claim(), sender)

    # ------------------------------------------------------------ reads

    def state(self) -> dict:
        f = self.rollup.functions
        return {
            "stateRoot": f.stateRoot().call(), "batchNumber": f.batchNumber().call(),
            "lastOracleRound": f.lastOracleRound().call(),
            "depositCount": f.depositCount().call(), "depositConsumed": f.depositConsumed().call(),
            "forcedCount": f.forcedCount().call(), "forcedConsumed": f.forcedConsumed().call(),
            "custody": f.custody().call(), "frozen": f.frozen().call(), "overdue": f.overdue().call(),
            "balance": self.chain.w3.eth.get_balance(self.rollup.address),
        }

    def oracle_round(self, round_id: int) -> tuple[list[int], list[int], int]:
        p, fi, ts = self.oracle.functions.getRound(round_id).call()
        return list(p), list(fi), ts

    def deposit_chain(self, k: int) -> int:
        """Deposit chain value after k deposits."""
        return self.rollup.functions.depositChain(k).call()

    def forced_chain(self, k: int) -> int:
        return self.rollup.functions.forcedChain(k).call()

    def withdrawals_hash(self, withdrawals: Iterable[Any]) -> int:
        """The on-chain Poseidon chain of a withdrawals list (an eth_call)."""
        return self.rollup.functions.hashWithdrawals(_withdrawal_tuples(withdrawals)).call()

    def pending(self, address: str) -> int:
        return self.rollup.functions.pendingWithdrawal(Web3.to_checksum_address(address)).call()

    def next_batch_public(self, new_root: int, *, withdrawals: Iterable[Any] = (), oracle_round: int | None = None,
                          deposit_to: int | None = None, forced_to: int | None = None) -> dict:
        """The public inputs of the next batch, read from the chain: old root, batch number,
        the oracle round's words (latest round by default), the queues from their consumed
        pointers to ``deposit_to``/``forced_to`` (all queued by default), the withdrawals hash."""
        s = self.state()
        rid = self.oracle.functions.latestRound().call() if oracle_round is None else oracle_round
        prices, funding, _ = self.oracle_round(rid)
        d_to = s["depositCount"] if deposit_to is None else deposit_to
        f_to = s["forcedCount"] if forced_to is None else forced_to
        return {
            "oldRoot": s["stateRoot"], "newRoot": int(new_root), "batchNumber": s["batchNumber"] + 1,
            "oracleRound": rid, "prices": prices, "fundingIndices": funding,
            "depositFrom": s["depositConsumed"], "depositTo": d_to,
            "depositChainFrom": self.deposit_chain(s["depositConsumed"]), "depositChainTo": self.deposit_chain(d_to),
            "withdrawalsHash": self.withdrawals_hash(withdrawals),
            "forcedFrom": s["forcedConsumed"], "forcedTo": f_to,
            "forcedChainFrom": self.forced_chain(s["forcedConsumed"]), "forcedChainTo": self.forced_chain(f_to),
        }

    def exit_public(self, account_id: int, l1_address: str, equity: int) -> dict:
        """The exit proof's public inputs at the last settled batch."""
        prices, funding, _ = self.oracle_round(self.rollup.functions.lastOracleRound().call())
        return {"root": self.rollup.functions.stateRoot().call(), "prices": prices, "fundingIndices": funding,
                "accountId": account_id, "l1Address": int(l1_address, 16), "equity": equity}


def _verifier_address(chain: Chain, v: Any) -> str:
    if hasattr(v, "address"):
        return v.address
    if isinstance(v, str) and Web3.is_address(v):
        return Web3.to_checksum_address(v)
    from verifier_contracts.evm import deploy_verifier

    return deploy_verifier(chain, v).address


# ---------------------------------------------------------------- gas


def deploy_synthetic(chain: Chain, markets: int = 2, seed: int = 7, **kwargs: Any):
    """A Rollup with synthetic (UNSAFE, trapdoored) batch and exit keys, for tests and gas
    measurement: ``(client, batch_key, exit_key)``; ``key.prove(inputs, rng)`` proves
    anything. Needs node (the verifiers are compiled from the keys)."""
    from verifier_contracts.build import compile_verifier
    from verifier_contracts.synthetic import SyntheticKey

    rng = random.Random(seed)
    bkey = SyntheticKey.random(n_public(markets), rng)
    ekey = SyntheticKey.random(n_exit_public(markets), rng)
    kwargs.setdefault("genesis_root", rng.randrange(1, 2**250))
    client = RollupClient.deploy(chain, compile_verifier(bkey.vk_json()), compile_verifier(ekey.vk_json()),
                                 markets=markets, **kwargs)
    return client, bkey, ekey


def measure_gas(client: RollupClient, batch_key, withdrawal_counts: Sequence[int] = (0, 4, 16),
                seed: int = 7) -> dict:
    """Transaction gasUsed of postRound, deposit, requestForcedWithdrawal, submitBatch (two
    deposits and one forced request consumed per batch, ``n`` withdrawals to distinct new
    addresses) and claim. Verification gas depends only on the number of inputs, so a
    synthetic key (``deploy_synthetic``) gives the real figures."""
    rng = random.Random(seed)
    me = client.chain.w3.eth.default_account
    m = client.markets
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    rid = client.oracle.functions.latestRound().call() + 1
    out: dict[str, Any] = {"markets": m, "n_public": n_public(m)}
    out["postRound"] = gas(client._send(client.oracle.functions.postRound(
        rid, [rng.randrange(1, 2**16) for _ in range(m)], [rng.randrange(1, 2**40) for _ in range(m)])))
    unit = client.wei_per_unit
    out["deposit"] = gas(client._send(client.rollup.functions.deposit(2), value=10**6 * unit))
    out["submitBatch"] = {}
    for n in withdrawal_counts:
        client.deposit(3, 10**6)
        out["requestForcedWithdrawal"] = gas(client._send(client.rollup.functions.requestForcedWithdrawal(3, 1)))
        ws = [(me if i == 0 else "0x" + rng.randbytes(20).hex(), 1 + i) for i in range(n)]
        pub = client.next_batch_public(rng.randrange(1, 2**250), withdrawals=ws)
        proof, _ = batch_key.prove(batch_public_inputs(pub), rng)
        out["submitBatch"][n] = gas(client.submit_batch(pub, ws, proof))
    out["claim"] = gas(client.claim(me)) if client.pending(me) else None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m verifier_contracts.rollup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="compile Rollup/Oracle into artifacts/")
    b.add_argument("--out", default=str(ARTIFACTS_DIR))
    g = sub.add_parser("gas", help="measure deposit / submitBatch gas (synthetic key)")
    g.add_argument("--url", help="node URL (anvil); default: embedded eth-tester chain")
    g.add_argument("--markets", type=int, default=2)
    sub.add_parser("names", help="print the public-input order").add_argument("--markets", type=int, default=2)
    args = ap.parse_args(argv)
    if args.cmd == "build":
        for p in build_artifacts(Path(args.out)):
            print(p)
    elif args.cmd == "gas":
        chain = Chain.connect(args.url) if args.url else Chain.embedded()
        client, bkey, _ = deploy_synthetic(chain, args.markets)
        print(json.dumps(measure_gas(client, bkey), indent=1))
    else:
        for i, n in enumerate(public_input_names(args.markets)):
            print(i, n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["PUBLIC_INPUT_NAMES", "EXIT_PUBLIC_INPUT_NAMES", "public_input_names", "exit_public_input_names",
           "batch_public_inputs", "exit_public_inputs", "proof_words", "RollupClient", "RollupError",
           "compile_rollup", "build_artifacts", "deploy_synthetic", "measure_gas"]
