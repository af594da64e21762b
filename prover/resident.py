"""The resident prover: one proving key loaded and preprocessed once, then many proofs.

    rp = ResidentProver("settlement.zkey")           # reads the key, builds the MSM tables
    proof = rp.prove(witness)                         # witness: list of ints, .wtns path or bytes

A deployment proves every batch with the same key, so a long-lived worker (the proving worker
of `sequencer.proving`) can spend memory once to save time on every proof: the key stays
parsed in the layout the kernels want (no points at infinity, affine, Montgomery form; A and
B as rows of (signal, index of a distinct value): 8 bytes a term, summed on every core) and
each MSM gets fixed-base tables (`prover/native/src/resident.rs`: multiples 2^(c·t·j)·P of
each base, so windows share bucket sets and the bucket reductions are paid once). The tables
are bounded by `table_mb` (a key too big for it gets fewer rows, down to none: plain
Pippenger on the kept key, each proof's window width chosen from its live terms as the
whole-process prover chooses it). `zkclear prove` stays the whole-process path (`groth16_prove`).
At 2^22 (the mainnet key) the worker without tables peaks at 4.3 GB (a whole `zkclear prove`:
4.0 GB) and proves ~7 % faster than the whole process (README, "The resident prover").

The same key, witness and r, s give the same proof bytes as the whole-process prover.
"""
from __future__ import annotations

import os
import secrets
from typing import Optional, Sequence, Union

from prover.formats.binfile import PathOrBytes, load_bytes, unreadable
from prover.groth16.keys import Proof, ProvingKey

DEFAULT_TABLE_MB = 1024
TABLE_MB_ENV = "ZKCLEAR_RESIDENT_TABLE_MB"


def worker_table_mb() -> float:
    """The table budget of the proving worker: $ZKCLEAR_RESIDENT_TABLE_MB, else 0 (the key is
    kept, parsed and filtered, but no tables). Tables cost memory (~7 KB a constraint: 242 MB
    on a 33k-constraint key, G1 rows kept with their GLV φ copies) and a one-off build (~n·254 point doublings: 5 s on 2 cores at
    33k, ~40 s CPU for the tiny preset's 2^18 key), worth it for a service that proves for
    hours, not for a test or a one-batch run; a deployment sets the variable (1024 for most keys)."""
    import os

    return float(os.environ.get(TABLE_MB_ENV, "0") or 0)


def resident_available() -> bool:
    """True when prover._native is built with the ResidentProver class."""
    try:
        from prover import _native
    except ImportError:
        return False
    return hasattr(_native, "ResidentProver")


class ResidentProver:
    """A Groth16 prover that keeps one .zkey in memory (see the module docstring)."""

    def __init__(self, zkey: Union[PathOrBytes, ProvingKey], table_mb: float = DEFAULT_TABLE_MB):
        from prover import _native
        from prover.formats.zkey import zkey_to_bytes

        if not hasattr(_native, "ResidentProver"):
            raise RuntimeError("prover._native is built without ResidentProver: rebuild prover/native")
        if isinstance(zkey, (str, os.PathLike)) and hasattr(_native.ResidentProver, "from_file"):
            # memory-mapped and parsed part by part: the raw key is never held beside the parsed one
            try:
                self._native = _native.ResidentProver.from_file(os.fspath(zkey), table_mb)
            except OSError as exc:
                raise unreadable(zkey, "zkey", exc) from None
            return
        data = zkey_to_bytes(zkey) if isinstance(zkey, ProvingKey) else load_bytes(zkey, "zkey")
        self._native = _native.ResidentProver(data, table_mb)

    @property
    def n_vars(self) -> int:
        return self._native.n_vars

    @property
    def n_public(self) -> int:
        return self._native.n_public

    @property
    def domain_size(self) -> int:
        return self._native.domain_size

    @property
    def key_bytes(self) -> int:
        """Memory the key itself takes as held: A and B's rows (8 bytes a term) and the bases."""
        return self._native.key_bytes

    @property
    def table_bytes(self) -> int:
        """Memory the fixed-base tables take beyond the key's own points."""
        return self._native.table_bytes

    def plans(self) -> dict[str, tuple[int, int, int]]:
        """{msm: (window bits, passes, rows)} for a, b1, b2 (G2), c and h. With one row (no
        table) the width is each proof's own (from its live terms); shown: for every base live."""
        return {name: (c, t, rows) for name, c, t, rows in self._native.plans()}

    def prove(self, witness: Union[Sequence[int], PathOrBytes], r: Optional[int] = None,
              s: Optional[int] = None) -> Proof:
        """Proof of `witness` (wire values, or a .wtns path or bytes); r, s random unless
        given. ValueError for a witness of another circuit (wrong length, or wire 0 not 1)."""
        from prover.field import R
        from prover.formats.wtns import wtns_to_bytes

        wb = wtns_to_bytes(list(witness)) if isinstance(witness, (list, tuple)) else load_bytes(witness, "wtns")
        r = secrets.randbelow(R) if r is None else r % R
        s = secrets.randbelow(R) if s is None else s % R
        out = self._native.prove(wb, r.to_bytes(32, "little"), s.to_bytes(32, "little"))
        return Proof.from_bytes(bytes(out))
