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
  returned. With `resident=True` (the proving pool's workers) the key is also kept preprocessed in
  memory (`prover.resident.ResidentProver`, built once by `warm()` or the first proof), so a
  proof skips the key's load; with $ZKCLEAR_RESIDENT_TABLE_MB set (e.g. 1024) it also keeps
  fixed-base tables for the MSMs, which makes each proof faster still (README, Benchmarks).

The service runs its provers in worker processes (`sequencer/pipeline/pool.py`: one local
worker by default, or a Dask pool), each holding a resident `BatchProver`
(`resident_batch_prover`), so that the service stays responsive while a batch proves; the
workers never outlive the service (`_die_with_parent`)."""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
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
                 backend: str = "native", resident: bool = False):
        from prover.backends import get_backend

        if isinstance(preset, str):
            from sequencer.spec.constants import KNOWN_PRESETS

            preset = KNOWN_PRESETS[preset]
        self.preset = preset
        self.data_dir = Path(data_dir)
        self.zkey_path_given = Path(zkey) if zkey else None
        self.backend = get_backend(backend)
        self._circuit = None
        self._key = None  # (zkey path, vk, path)
        self.resident = resident and self.backend.name == "native"
        self._resident = None  # prover.resident.ResidentProver, built once

    @property
    def circuit(self):
        if self._circuit is None:
            from circuits.registry import build_cached

            self._circuit = build_cached("settlement", preset=self.preset.name)
        return self._circuit

    def key(self):
        """(zkey, verifying key, zkey path): the given .zkey, else the cached development key
        for this R1CS, else a new development setup written to the cache. The key is its
        path, never its bytes: the native prover maps the file and reads it part by part
        (a mainnet key is GBs, which a worker holding it as bytes would pay for again)."""
        if self._key is None:
            if self.zkey_path_given is not None:
                from prover.formats.zkey import read_zkey_vk

                path = self.zkey_path_given
                self._key = (path, read_zkey_vk(path), path)
            else:
                self._key = dev_key(self.circuit, "settlement", self.preset.name, self.data_dir, self.backend)
        return self._key

    def warm(self) -> Path:
        """Load (or set up) the key now, and preprocess it when resident; its path."""
        zkey, _, path = self.key()
        self._resident_prover(zkey)
        return path

    def _resident_prover(self, zkey: Path):
        """The ResidentProver of the key when this prover keeps it, else None."""
        if self.resident and self._resident is None:
            from prover.resident import ResidentProver, resident_available, worker_table_mb

            if resident_available():
                self._resident = ResidentProver(zkey, table_mb=worker_table_mb())
            else:
                self.resident = False
        return self._resident

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
        resident = self._resident_prover(zkey)
        if resident is not None:
            proof = resident.prove(witness)
        else:
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


def resident_batch_prover(preset_name: str, data_dir: str, zkey: Optional[str], backend: str) -> BatchProver:
    """The proving pool's prover (sequencer/pipeline/pool.py PROVER_FACTORY): a BatchProver
    that keeps its key preprocessed in memory across batches (`resident=True`)."""
    return BatchProver(preset_name, data_dir, zkey, backend, resident=True)


def dev_key(circuit, name: str, preset_name: str, data_dir: Path, backend):
    """The development key of `circuit` under data_dir/keys, keyed by its R1CS hash: read
    when there, else set up (UNSAFE) and written (temporary names, then renamed: a crash
    never leaves half a key behind). Returns (zkey path, verifying key, zkey path): the
    key is not read here (BatchProver.key)."""
    from prover.formats.snarkjs_json import read_vk, write_vk
    from prover.formats.zkey import read_zkey_vk
    from prover.groth16.setup import ToxicWaste

    digest = r1cs_digest(circuit.r1cs)
    keys = Path(data_dir) / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    stem = keys / f"{name}-{preset_name}-{digest[:16]}"
    zkey_path, vk_path, meta_path = Path(f"{stem}.zkey"), Path(f"{stem}.vk.json"), Path(f"{stem}.meta.json")
    if zkey_path.exists() and vk_path.exists() and meta_path.exists() \
            and json.loads(meta_path.read_text()).get("r1cs_sha256") == digest:
        return zkey_path, read_vk(vk_path), zkey_path
    # written straight to its path (atomically; the native setup streams it), the vk from the
    # key's header and IC only: a big circuit's key is never parsed whole in Python
    backend.setup_file(circuit.r1cs, ToxicWaste.random(), zkey_path)
    vk = read_zkey_vk(zkey_path)
    meta = {"r1cs_sha256": digest, "circuit": name, "preset": preset_name,
            "setup": "development, UNSAFE: toxic waste from local randomness"}
    for path, write in ((vk_path, lambda p: write_vk(p, vk)),
                        (meta_path, lambda p: p.write_text(json.dumps(meta) + "\n"))):
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        write(tmp)
        os.replace(tmp, path)
    return zkey_path, vk, zkey_path


# --- helpers of the worker processes (sequencer/pipeline/pool.py) ---------------------------------
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
