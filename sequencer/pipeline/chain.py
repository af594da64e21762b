"""The chain the service settles on.

- `LocalAnvil`: anvil from the pinned npm package (its native binary, else the
  node_modules/.bin/anvil wrapper) on a free loopback port, stopped with the service, and
  killed by the kernel if the service dies without stopping it (SIGKILL: no orphan).
- `open_chain`: the Rollup, its committee oracle and the collateral token (TestStablecoin),
  deployed once; their addresses, the chain id and the genesis (the insurance fund's key
  seed, its L1 address, the genesis prices) are kept in the database, so a restart with the
  same `--db` and `--rpc-url` finds them. The verifiers are generated from the proving keys
  (development keys, UNSAFE, unless a .zkey is given).
- On local chains the oracle's reference reporters (`sequencer.reporter.ReporterCommittee`,
  public dev keys) post a round every few seconds from a seeded random walk. Option presets
  (K > 0) deploy the oracle with options: each round carries the committee's figures
  (`sequencer.figures.OptionsDesk`, a flat DEV_VOL surface per market; its book replayed from
  the oracle's events on a restart).
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

log = logging.getLogger("zkclear.chain")
REPO = Path(__file__).resolve().parents[2]
ANVIL = REPO / "node_modules" / ".bin" / "anvil"
NATIVE_ANVILS = REPO / "node_modules" / "@foundry-rs"  # anvil-<platform>/bin/anvil
COMMITTEE_SEED = 0  # public: development reporters only
REPORTER_ACCOUNT = 9  # anvil's prefunded account the reporters send from (not the sequencer's)
DEV_VOL = 0.6  # the local committee's flat vol surface on option presets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def anvil_binary() -> Path:
    """The platform's anvil binary the npm wrapper would start, else the wrapper itself. The
    binary is started directly so that the parent-death signal reaches anvil (a node
    wrapper killed by it would leave its child running)."""
    for path in sorted(NATIVE_ANVILS.glob("anvil-*/bin/anvil")):
        if os.access(path, os.X_OK):
            return path
    if not ANVIL.exists():
        raise RuntimeError(f"{ANVIL} not found: run `make setup` (npm ci)")
    return ANVIL


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: ask the kernel to send `sig` to this process when its parent dies, even by
    SIGKILL (PR_SET_PDEATHSIG). Run in the child (a `preexec_fn`); SIGTERM lets anvil
    dump its state file on the way out."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)


def _child_setup(nice: int) -> None:
    die_with_parent()
    if nice:
        os.nice(nice)


class LocalAnvil:
    """`state`: a file anvil loads at start and dumps every second (so the service's own chain
    outlives a restart with the same data dir). The process dies with the one that started
    it (the thread, in fact: start it from the main thread), so a SIGKILLed service leaves no
    anvil behind; `stop()` is the clean way. `nice`: anvil runs at that lower CPU priority."""

    def __init__(self, port: Optional[int] = None, state: Optional[Path] = None, nice: int = 0):
        binary = anvil_binary()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra = ["--state", str(state), "--state-interval", "1"] if state is not None else []
        self.proc = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", str(self.port), "--silent",
                                      "--gas-limit", "60000000", *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=lambda: _child_setup(nice))
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("anvil did not start")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop anvil's process group (the npm wrapper and the binary it starts)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue


@dataclass
class Genesis:
    """The service's genesis: the insurance fund's key seed and L1 address, the genesis prices,
    and the sequencer's secret DA scalar (`spec.da`: the leaves' salts are Poseidon(ECDH(
    da_scalar, owner key).x, id); its public key is the Rollup's `daPublicKey`). Both secrets
    are drawn from the OS's randomness when the contracts are deployed and kept only in the
    database: whoever knows `da_scalar` can search published leaf hashes and decrypt every
    leaf of the DA payloads."""

    insurance_seed: bytes
    insurance_l1: int
    prices: tuple[int, ...]
    da_scalar: int

    @classmethod
    def fresh(cls, insurance_l1: int, prices: tuple[int, ...]) -> "Genesis":
        from ..spec.da import SCALAR_BITS

        scalar = 1 + secrets.randbelow((1 << (SCALAR_BITS - 1)) - 1)
        return cls(secrets.token_bytes(32), insurance_l1, prices, scalar)

    def state(self, preset):
        from circuits.crypto.eddsa import PrivateKey

        from ..spec.state import State

        key = PrivateKey.from_seed(self.insurance_seed)
        return State.genesis(preset, key.public_key, self.insurance_l1, self.prices, da_scalar=self.da_scalar)

    def to_json(self) -> str:
        return json.dumps({"insurance_seed": self.insurance_seed.hex(), "insurance_l1": hex(self.insurance_l1),
                           "prices": list(self.prices), "da_scalar": hex(self.da_scalar)})

    @classmethod
    def from_json(cls, text: str) -> "Genesis":
        d = json.loads(text)
        if "da_scalar" not in d:
            raise RuntimeError("this database was made by a zkclear before salts derived from the DA key: its "
                               "state roots cannot be rebuilt; start with a fresh --db and chain")
        return cls(bytes.fromhex(d["insurance_seed"]), int(d["insurance_l1"], 16), tuple(d["prices"]),
                   int(d["da_scalar"], 16))


def genesis_prices(preset) -> tuple[int, ...]:
    """Ladder indices where the local reporters' walk starts: 1000 price steps."""
    return tuple(1000 for _ in preset.markets)


@dataclass
class ChainHandle:
    chain: object  # verifier_contracts.evm.Chain
    rollup: object  # RollupClient
    genesis: Genesis
    committee: object = None  # ReporterCommittee when this service posts rounds
    deployed_at: int = 0  # a block that has the contracts (reads K blocks deep never go below it)

    def info(self, rpc_url: str) -> dict:
        return {"rpc_url": rpc_url, "chain_id": int(self.chain.w3.eth.chain_id), "rollup": self.rollup.rollup.address,
                "oracle": self.rollup.oracle.address, "collateral_token": self.rollup.token.address}


def _committee(chain, oracle_address: str, preset, start, walk_seed: int):
    from verifier_contracts.oracle import DevCommittee, OracleClient

    from ..reporter import RandomWalk, ReporterCommittee

    dev = DevCommittee.from_seed(COMMITTEE_SEED)
    steps = [mk.price_step for mk in preset.markets]
    # funding stays put: the tiny preset moves one market's funding per batch at most
    walk = RandomWalk(steps, seed=walk_seed, start=start, funding_step=0)
    oracle = OracleClient.at(chain, oracle_address)
    desk = None
    if preset.option_slots:  # the round's options figures, on a flat surface
        from sequencer.figures import CommitteeBook, OptionsDesk
        from sequencer.risk.surface import VolSurface

        desk = OptionsDesk(CommitteeBook.replay(oracle, preset),
                           {j: VolSurface.flat(DEV_VOL) for j in range(preset.num_markets)})
    committee = ReporterCommittee(oracle, dev.keys, walk, seed=walk_seed,
                                  sender=chain.w3.eth.accounts[REPORTER_ACCOUNT], options=desk)
    return committee


def open_chain(store, rpc_url: str, preset, vk_jsons, reporters: bool, da_members=None,
               da_threshold: int = 0, deploy_options: Optional[dict] = None) -> ChainHandle:
    """Connect, find the contracts the database names on this chain, or deploy them.
    `da_members` (a callable giving the DA members' addresses, asked only when deploying)
    and `da_threshold`: the Rollup's DA committee (none by default); fixed at deployment, as are
    `deploy_options` (RollupClient.deploy's keywords, e.g. deadline_blocks)."""
    from verifier_contracts.build import compile_verifier
    from verifier_contracts.evm import Chain
    from verifier_contracts.oracle import DevCommittee
    from verifier_contracts.rollup import RollupClient

    chain = Chain.connect(rpc_url)
    chain_id = int(chain.w3.eth.chain_id)
    known = store.get_config("rollup")
    if known and store.get_config("chain_id") == str(chain_id) and chain.w3.eth.get_code(known):
        if store.get_config("preset") != preset.name:
            raise RuntimeError(f"the database's contracts are for preset {store.get_config('preset')}, "
                               f"not {preset.name}")
        genesis = Genesis.from_json(store.get_config("genesis"))
        rollup = RollupClient.at(chain, known)
        log.info("contracts found: rollup %s", known)
    else:
        genesis = Genesis.fresh(int(chain.w3.eth.accounts[0], 16), genesis_prices(preset))
        state = genesis.state(preset)
        batch_vk, exit_vk = vk_jsons()
        dev = DevCommittee.from_seed(COMMITTEE_SEED)
        steps = [mk.price_step for mk in preset.markets]
        oracle = dev.deploy(chain, preset.num_markets, steps, options=preset.option_slots > 0)
        rollup = RollupClient.deploy(chain, compile_verifier(batch_vk), compile_verifier(exit_vk),
                                     markets=preset.num_markets, slots=preset, genesis_root=state.root(),
                                     oracle=oracle.address, price_steps=steps, da_public_key=state.da_public,
                                     da_members=da_members() if da_members is not None else (),
                                     da_threshold=da_threshold if da_members is not None else 0,
                                     **(deploy_options or {}))
        store.set_config("deployed_at", str(chain.w3.eth.block_number))
        for k, v in (("genesis", genesis.to_json()), ("chain_id", str(chain_id)), ("preset", preset.name),
                     ("oracle", rollup.oracle.address), ("collateral_token", rollup.token.address),
                     ("rollup", rollup.rollup.address)):  # the rollup last: its presence means "deployed"
            store.set_config(k, v)
        log.info("contracts deployed: rollup %s", rollup.rollup.address)
    store.set_config("rpc_url", rpc_url)
    committee = None
    if reporters:
        committee = _committee(chain, rollup.oracle.address, preset, list(genesis.prices),
                               walk_seed=int(time.time()))
    return ChainHandle(chain, rollup, genesis, committee, int(store.get_config("deployed_at") or 0))
