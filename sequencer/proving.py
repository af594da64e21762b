"""The proving steps, in one place: the scenario runner, the demo and the service call them.

    prover = BatchProver(TINY, data_dir="zkclear_data")     # builds the circuit once
    proved = prover.prove(record)                           # witness, proof, local verification

- The settlement circuit of a preset is built once per source version: compiled circuits
  are cached on disk (`circuits.registry.build_cached`: ~/.cache/zkclear/circuits or
  $ZKCLEAR_CIRCUIT_CACHE, keyed by the circuit's source files and preset) and kept in
  process.
- The key is set up once and kept on disk under `DATA/keys/`, keyed by the SHA-256 of the
  circuit's R1CS (`settlement-<preset>-<r1cs sha256[:16]>.{zkey,vk.json,meta.json}`): a
  changed circuit gets a new key, an unchanged one reuses it across runs and restarts. The
  setup is the development setup (UNSAFE: toxic waste from local randomness) unless a
  `.zkey` is given (made by a ceremony for the same R1CS).
- The witness comes from a spec `BatchRecord` (`circuits.settlement.witness.batch_inputs`),
  solved by the native witness solver straight to .wtns bytes (`CompiledCircuit.witness_wtns`);
  the proof is made with the native backend by default and verified locally before it is
  returned.

`ProvingWorker` runs a `BatchProver` in a separate process (one worker, 'spawn'), so that a
service stays responsive while a batch proves; `close()` kills the worker, so it never
outlives the service."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import secrets
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

DEFAULT_DATA_DIR = Path("zkclear_data")


@dataclass
class ProvedBatch:
    number: int
    digest: int
    public: list  # the public signals, decimal strings (one: the digest)
    proof: dict  # snarkjs JSON
    prove_s: float  # the prover alone
    witness_s: float
    verified: bool
    key: str = ""  # the key file it was proved with
    meta: dict = field(default_factory=dict)


def r1cs_digest(r1cs) -> str:
    from prover.formats.r1cs import r1cs_sha256

    return r1cs_sha256(r1cs)  # hashed piece by piece: a mainnet R1CS is ~2.7 GB of bytes


class BatchProver:
    """The settlement circuit of one preset, its key, and the steps that prove a batch."""

    def __init__(self, preset, data_dir: Path | str = DEFAULT_DATA_DIR, zkey: Optional[Path | str] = None,
                 backend: str = "native"):
        from prover.backends import get_backend

        if isinstance(preset, str):
            from sequencer.spec.constants import PRESETS

            preset = PRESETS[preset]
        self.preset = preset
        self.data_dir = Path(data_dir)
        self.zkey_path_given = Path(zkey) if zkey else None
        self.backend = get_backend(backend)
        self._circuit = None
        self._key = None  # (zkey bytes, vk, path)

    @property
    def circuit(self):
        if self._circuit is None:
            from circuits.registry import build_cached

            self._circuit = build_cached("settlement", preset=self.preset.name)
        return self._circuit

    def key(self):
        """(zkey bytes, verifying key, zkey path): the given .zkey, else the cached
        development key for this R1CS, else a new development setup written to the cache."""
        if self._key is None:
            if self.zkey_path_given is not None:
                from prover.formats.zkey import read_zkey

                zkey = self.zkey_path_given.read_bytes()
                self._key = (zkey, read_zkey(zkey).verifying_key(), self.zkey_path_given)
            else:
                self._key = dev_key(self.circuit, "settlement", self.preset.name, self.data_dir, self.backend)
        return self._key

    def exit_vk_json(self) -> dict:
        """The exit circuit's verifying key (development key, cached like the batch key):
        what the Rollup's exit verifier is generated from."""
        from circuits.registry import build
        from prover.formats.snarkjs_json import vk_to_json

        circuit = build("exit", preset=self.preset.name)
        return vk_to_json(dev_key(circuit, "exit", self.preset.name, self.data_dir, self.backend)[1])

    def vk_json(self) -> dict:
        from prover.formats.snarkjs_json import vk_to_json

        return vk_to_json(self.key()[1])

    def prove(self, record, out: Optional[Path] = None) -> ProvedBatch:
        """Witness from the spec's record, proof, local verification. With `out`, writes
        out/{proof.json, public.json} (snarkjs JSON)."""
        from circuits.settlement.witness import batch_inputs
        from prover.field import R
        from prover.formats.snarkjs_json import proof_to_json, write_proof, write_public

        circuit = self.circuit
        zkey, vk, zkey_path = self.key()
        t0 = time.perf_counter()
        # .wtns bytes from the native solver: the witness never becomes Python ints
        witness = circuit.witness_wtns(batch_inputs(record, self.preset, circuit))
        witness_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        proof = self.backend.prove(zkey, witness, secrets.randbelow(R), secrets.randbelow(R))
        prove_s = time.perf_counter() - t0
        public = circuit.public_from_wtns(witness)
        verified = bool(self.backend.verify(vk, public, proof))
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            write_proof(out / "proof.json", proof)
            write_public(out / "public.json", public)
        return ProvedBatch(number=record.public.batch_number, digest=int(public[0]), public=[str(x) for x in public],
                           proof=proof_to_json(proof), prove_s=round(prove_s, 3), witness_s=round(witness_s, 3),
                           verified=verified, key=str(zkey_path))


def dev_key(circuit, name: str, preset_name: str, data_dir: Path, backend):
    """The development key of `circuit` under data_dir/keys, keyed by its R1CS hash: read
    when there, else set up (UNSAFE) and written (temporary names, then renamed: a crash
    never leaves half a key behind). Returns (zkey bytes, verifying key, zkey path)."""
    from prover.formats.snarkjs_json import read_vk, write_vk
    from prover.formats.zkey import read_zkey
    from prover.groth16.setup import ToxicWaste

    digest = r1cs_digest(circuit.r1cs)
    keys = Path(data_dir) / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    stem = keys / f"{name}-{preset_name}-{digest[:16]}"
    zkey_path, vk_path, meta_path = Path(f"{stem}.zkey"), Path(f"{stem}.vk.json"), Path(f"{stem}.meta.json")
    if zkey_path.exists() and vk_path.exists() and meta_path.exists() \
            and json.loads(meta_path.read_text()).get("r1cs_sha256") == digest:
        return zkey_path.read_bytes(), read_vk(vk_path), zkey_path
    zkey = backend.setup(circuit.r1cs, ToxicWaste.random())
    vk = read_zkey(zkey).verifying_key()
    meta = {"r1cs_sha256": digest, "circuit": name, "preset": preset_name,
            "setup": "development, UNSAFE: toxic waste from local randomness"}
    for path, write in ((zkey_path, lambda p: p.write_bytes(zkey)), (vk_path, lambda p: write_vk(p, vk)),
                        (meta_path, lambda p: p.write_text(json.dumps(meta) + "\n"))):
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        write(tmp)
        os.replace(tmp, path)
    return zkey, vk, zkey_path


# --- the worker process ---------------------------------------------------------------------------
_WORKER: Optional[BatchProver] = None


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies, even by SIGKILL, so a
    restarted service never races a leftover worker."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


_NICE = 0  # applied before the first proof (os.nice), not during the setup


def _worker_init(preset_name: str, data_dir: str, zkey: Optional[str], backend: str, nice: int = 0) -> None:
    global _WORKER, _NICE
    _die_with_parent()
    _WORKER, _NICE = BatchProver(preset_name, data_dir, zkey, backend), nice


def _worker_warm() -> str:
    return str(_WORKER.key()[2])


def _worker_vks() -> tuple[dict, dict]:
    return _WORKER.vk_json(), _WORKER.exit_vk_json()


def lower_priority(n: int) -> None:
    """Lower the CPU priority of every thread of this process by n (Linux: a nice value is
    per thread, and the native code's thread pool may exist already); elsewhere os.nice."""
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        os.nice(n)
        return
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + n))
        except OSError:  # a thread that just ended
            pass


def _worker_prove(record) -> ProvedBatch:
    global _NICE
    if _NICE:  # the key is ready (the service waits for it before it listens): yield the CPU from now on
        lower_priority(_NICE)  # threads started later inherit it
        _NICE = 0
    return _WORKER.prove(record)


class ProvingWorker:
    """One prover process ('spawn': a fresh interpreter, no inherited threads or sockets).
    `submit(record)` returns a Future of ProvedBatch; `close()` kills the process.

    `nice`: before its first proof the worker lowers its own CPU priority by that much
    (os.nice; the setup of the keys, which the service waits for before it listens, runs at
    full priority). A service on a few cores gives it a positive value: a proof then takes
    the CPU the API leaves, instead of queueing the API's requests behind its threads for
    seconds per batch."""

    def __init__(self, preset, data_dir: Path | str = DEFAULT_DATA_DIR, zkey: Optional[Path | str] = None,
                 backend: str = "native", nice: int = 0):
        name = preset if isinstance(preset, str) else preset.name
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_worker_init,
                                         initargs=(name, str(data_dir), str(zkey) if zkey else None, backend, nice))

    def warm(self) -> Future:
        """Build the circuit and load (or set up) the key now; the future gives the key's path."""
        return self._pool.submit(_worker_warm)

    def vk_jsons(self) -> Future:
        """The (batch, exit) verifying keys as snarkjs JSON (to deploy the verifiers)."""
        return self._pool.submit(_worker_vks)

    def submit(self, record) -> Future:
        return self._pool.submit(_worker_prove, record)

    def close(self) -> None:
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        for p in procs:  # a batch in hand is abandoned: the service re-proves it after a restart
            if p.is_alive():
                p.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.join(timeout=5)
