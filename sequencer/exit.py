"""`zkclear exit`: an owner leaves a frozen Rollup with nobody's help but the chain's and one
DA member's.

    zkclear exit --account ID --key KEYFILE --da-member URL --rpc-url URL --rollup ADDR
                 [--exit-zkey FILE | --data-dir DIR] [--from ADDR] [--store DIR] [--freeze] [--no-claim]

What the owner needs: its Baby Jubjub key (KEYFILE), the URL of one honest DA member
(`zkclear da member`), an Ethereum node, the Rollup's address and the exit circuit's proving
key (public: the key whose verifier the Rollup was deployed with; `zkclear serve` keeps it as
DATA/keys/exit-<preset>-<r1cs hash>.zkey). Not the sequencer, nor its database.

1. The Rollup must be frozen (`--freeze` sends `freeze()` first when a queue is overdue: anyone may).
2. The member's manifest and payloads 0..last are copied into a local store (`--store`, else a
   temporary folder; a folder already holding some is completed), then replayed with the
   member's own check (`sequencer.da.owner.rebuild`): the tree they rebuild must have the
   Rollup's `stateRoot`, the owner's leaf decrypts (k_a = ECDH(owner key, the sequencer's
   key in the manifest)) and hashes to the tree's leaf. Nothing the member says is trusted.
3. The exit circuit proves the leaf's equity at that root and the last batch's prices
   (checked locally), `Rollup.exit` is sent (from `--from`, default the account's L1
   address: an unlocked account of the node), then `claim` pays the owner in tokens.

KEYFILE: the owner's 32-byte EdDSA secret in hex (`PrivateKey.secret`), or `seed:TEXT` for a
key made by `PrivateKey.from_seed(TEXT)` (the client's and the tests' seeds). Prints one JSON
line: account, owner, the last batch, the rebuilt leaf's collateral and positions, equity
(units), paid (token base units), the transactions."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional



def read_owner_key(path: str | Path):
    from circuits.crypto.eddsa import PrivateKey

    text = Path(path).read_text().strip()
    if text.startswith("seed:"):
        return PrivateKey.from_seed(text[5:].encode())
    secret = bytes.fromhex(text.removeprefix("0x"))
    if len(secret) != 32:
        raise ValueError(f"{path}: an owner key is 32 bytes (64 hex digits) or seed:TEXT")
    return PrivateKey(secret)


def fetch_store(url: str, directory: Path, timeout: float = 30.0):
    """Copy a member's manifest and payloads 0..last into `directory` (a PayloadStore)."""
    import httpx

    from .da.payload import BatchPayload
    from .da.store import PayloadStore

    url = url.rstrip("/")
    with httpx.Client(base_url=url, timeout=timeout) as http:
        r = http.get("/v1/manifest")
        r.raise_for_status()
        m = r.json()
        store = PayloadStore.create(directory, arity=int(m["arity"]), depth=int(m["depth"]),
                                    num_markets=int(m["num_markets"]), genesis_root=int(m["genesis_root"]),
                                    sequencer_public_key=tuple(int(v) for v in m["sequencer_public_key"]))
        last = int(http.get("/v1/member").json()["last"])
        have = set(store.numbers())
        for n in range(last + 1):
            if n in have:
                continue
            r = http.get(f"/v1/payloads/{n}")
            r.raise_for_status()
            store.append(BatchPayload.from_json(r.text))
    return store


def preset_of(manifest: dict):
    from .spec.constants import PRESETS

    for p in PRESETS.values():
        if (p.arity, p.depth, p.num_markets) == (manifest["arity"], manifest["depth"], manifest["num_markets"]):
            return p
    raise ValueError(f"no preset has the store's tree shape {manifest}")


def exit_zkey(preset, circuit, zkey: Optional[str], data_dir: str) -> bytes:
    """The exit proving key: `zkey`, else the development key serve set up under DATA/keys
    (found by the circuit's R1CS hash; never set up here: a new key would not match the
    Rollup's verifier)."""
    from .proving import r1cs_digest

    if zkey:
        return Path(zkey).read_bytes()
    path = Path(data_dir) / "keys" / f"exit-{preset.name}-{r1cs_digest(circuit.r1cs)[:16]}.zkey"
    if not path.exists():
        raise FileNotFoundError(f"no exit proving key at {path}: pass --exit-zkey (the key the Rollup's exit "
                                "verifier was made from)")
    return path.read_bytes()


def run_exit(args) -> int:
    import secrets

    from circuits.registry import build
    from prover.backends import get_backend
    from prover.errors import CliError
    from prover.field import R
    from prover.formats.snarkjs_json import proof_to_json
    from prover.formats.zkey import read_zkey
    from verifier_contracts.evm import Chain
    import httpx
    from verifier_contracts.rollup import RollupClient, RollupError
    from web3 import Web3

    from .da.member import DAError
    from .da.owner import rebuild

    try:
        key = read_owner_key(args.key)
        rollup = RollupClient.at(Chain.connect(args.rpc_url), args.rollup)
        state = rollup.state()
        if not state["frozen"]:
            if not (args.freeze and state["overdue"]):
                raise CliError("the Rollup is not frozen: exits open after a freeze (`--freeze` sends it once a "
                               "queue is overdue)", 1)
            rollup.freeze(sender=args.sender)
            state = rollup.state()
        with tempfile.TemporaryDirectory(prefix="zkclear-exit-") as tmp:
            store = fetch_store(args.da_member, Path(args.store or tmp))
            preset = preset_of(store.manifest())
            got = rebuild(store, args.account, key.secret, expected_root=int(state["stateRoot"]),
                          da_public_key=rollup.da_public_key)  # the contract's, not the member's
        circuit = build("exit", preset=preset.name)
        zkey = exit_zkey(preset, circuit, args.exit_zkey, args.data_dir)
        backend = get_backend(args.backend)
        witness = circuit.witness(got.exit_inputs(preset))
        proof = backend.prove(zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
        if not backend.verify(read_zkey(zkey).verifying_key(), circuit.public_signals(witness), proof):
            raise CliError("the exit proof does not verify with this proving key", 1)
        equity = got.equity(preset)
        owner = Web3.to_checksum_address(f"{got.account.l1_address:040x}")
        sender = args.sender or owner
        exit_tx = rollup.exit(args.account, owner, equity, proof_to_json(proof), sender=sender)
        out = {"account": args.account, "owner": owner, "batch": got.batch_number,
               "collateral": got.account.collateral, "positions": list(got.account.positions), "equity": equity,
               "exit_tx": Web3.to_hex(exit_tx["transactionHash"])}
        if not args.no_claim:
            before = rollup.balance(owner)
            claim_tx = rollup.claim(args.account, sender=sender)
            out.update(paid=rollup.balance(owner) - before, claim_tx=Web3.to_hex(claim_tx["transactionHash"]))
    except (DAError, ValueError, OSError, httpx.HTTPError, RollupError) as exc:
        raise CliError(f"{type(exc).__name__}: {exc}", 1) from None
    print(json.dumps(out), flush=True)
    return 0


def register(sub) -> None:
    p = sub.add_parser("exit", help="after a freeze: rebuild your leaf from a DA member, prove your exit, be paid",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--account", type=int, required=True, help="the account id (Rollup.register gave it)")
    p.add_argument("--key", required=True, help="file with the owner's EdDSA secret (64 hex digits, or seed:TEXT)")
    p.add_argument("--da-member", required=True, metavar="URL", help="one DA committee member")
    p.add_argument("--rpc-url", required=True, help="an Ethereum node")
    p.add_argument("--rollup", required=True, help="the Rollup's address")
    p.add_argument("--exit-zkey", default=None, help="the exit circuit's proving key (.zkey)")
    p.add_argument("--data-dir", default="zkclear_data",
                   help="without --exit-zkey: the development exit key under DATA/keys (as serve made it)")
    p.add_argument("--from", dest="sender", default=None,
                   help="L1 sender of the transactions (an unlocked account of the node; default the owner)")
    p.add_argument("--store", default=None, help="keep the member's payloads here (default: a temporary folder)")
    p.add_argument("--freeze", action="store_true", help="send freeze() first if the Rollup is overdue")
    p.add_argument("--no-claim", action="store_true", help="only exit: leave the credit to a later claim")
    p.add_argument("--backend", default="native", choices=("native", "python"), help="prover backend")
    p.set_defaults(func=run_exit)


__all__ = ["run_exit", "register", "fetch_store", "read_owner_key", "preset_of"]
