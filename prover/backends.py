"""Two Groth16 backends behind one interface: `get_backend("python" | "native")`.

    setup(r1cs, toxic) -> bytes                      UNSAFE dev setup: the .zkey bytes
    setup_file(r1cs, toxic, zkey_path)               the same key written to a file (atomically);
                                                     native streams it section by section
    setup_ptau(r1cs, ptau, delta) -> bytes           phase 2 on a prepared .ptau, one contribution delta
    prove(zkey, witness, r, s) -> Proof              zkey: path, bytes or ProvingKey
    verify(vk, public, proof) -> bool

`python` is the readable reference (prover.groth16); `native` wraps the Rust extension
`prover._native` (arkworks). With the same toxic waste (or ptau and delta) both write the
same zkey bytes, and
with the same r, s both produce the same proof bytes (tests/prover check it).
Native ABI: field elements and points cross as 32-byte little-endian standard-form integers;
G1 = x || y (64 bytes), G2 = x.c0 || x.c1 || y.c0 || y.c1 (128 bytes), infinity = zeros; a
proof is A || B || C (256 bytes, `Proof.to_bytes`).
"""
from __future__ import annotations

import os
from typing import Sequence, Union

from prover.formats.binfile import PathOrBytes, load_bytes
from prover.formats.r1cs import R1CS
from prover.groth16.keys import Proof, ProvingKey, VerifyingKey

NATIVE_FUNCTIONS = ("groth16_prove", "pairing_check")
R1csLike = Union[R1CS, str, os.PathLike, bytes]


def native_module():
    """prover._native if it is built and exports the Groth16 functions, else None."""
    try:
        from prover import _native
    except ImportError:
        return None
    return _native if all(hasattr(_native, f) for f in NATIVE_FUNCTIONS) else None


def native_available() -> bool:
    return native_module() is not None


def _r1cs_bytes(r1cs: R1csLike) -> bytes:
    from prover.formats.r1cs import r1cs_to_bytes
    return r1cs_to_bytes(r1cs) if isinstance(r1cs, R1CS) else load_bytes(r1cs, "r1cs")


def _r1cs_obj(r1cs: R1csLike) -> R1CS:
    from prover.formats.r1cs import read_r1cs
    return r1cs if isinstance(r1cs, R1CS) else read_r1cs(r1cs)


def _witness_list(witness) -> list[int]:
    from prover.formats.wtns import read_wtns
    return list(witness) if isinstance(witness, (list, tuple)) else read_wtns(witness)


class PythonBackend:
    name = "python"

    def setup(self, r1cs: R1csLike, toxic) -> bytes:
        from prover.formats.zkey import zkey_to_bytes
        from prover.groth16.setup import dev_setup
        return zkey_to_bytes(dev_setup(_r1cs_obj(r1cs), toxic))

    def setup_file(self, r1cs: R1csLike, toxic, zkey_path: str | os.PathLike) -> None:
        from prover.formats.binfile import write_atomic
        write_atomic(zkey_path, self.setup(r1cs, toxic))

    def setup_ptau(self, r1cs: R1csLike, ptau: PathOrBytes, delta: int) -> bytes:
        from prover.formats.ptau import read_ptau
        from prover.formats.zkey import zkey_to_bytes
        from prover.groth16.setup import phase2_setup
        return zkey_to_bytes(phase2_setup(_r1cs_obj(r1cs), read_ptau(ptau), delta))

    def prove(self, zkey: Union[PathOrBytes, ProvingKey], witness, r: int, s: int) -> Proof:
        from prover.formats.zkey import read_zkey
        from prover.groth16.prove import prove_with_randomness
        pk = zkey if isinstance(zkey, ProvingKey) else read_zkey(zkey)
        return prove_with_randomness(pk, _witness_list(witness), r, s)

    def check(self, vk: VerifyingKey, public: Sequence[int], proof: Proof) -> str | None:
        from prover.groth16.verify import check
        return check(vk, public, proof)

    def verify(self, vk: VerifyingKey, public: Sequence[int], proof: Proof) -> bool:
        return self.check(vk, public, proof) is None


class NativeBackend(PythonBackend):
    name = "native"

    def __init__(self):
        self.native = native_module()
        if self.native is None:
            raise RuntimeError("the native backend is not built (prover._native lacks groth16_prove); "
                               "run `make setup` or use --backend python")

    def setup(self, r1cs: R1csLike, toxic) -> bytes:
        # The native dev setup is not written yet; the Python one writes the same bytes.
        if not hasattr(self.native, "groth16_setup"):
            return super().setup(r1cs, toxic)
        return bytes(self.native.groth16_setup(_r1cs_bytes(r1cs), toxic.to_bytes()))

    def setup_file(self, r1cs: R1csLike, toxic, zkey_path: str | os.PathLike) -> None:
        """The dev setup streamed to `zkey_path` by Rust, which reads the .r1cs itself (an
        R1CS or bytes go through a temporary file beside the key): nothing big crosses the FFI
        and the key is never whole in memory (a mainnet key is ~6 GB). Written to a temporary
        name and renamed, so readers never see half a key."""
        if not hasattr(self.native, "groth16_setup_file"):
            return super().setup_file(r1cs, toxic, zkey_path)
        from pathlib import Path
        zkey_path = Path(zkey_path)
        tmp = zkey_path.with_name(f".{zkey_path.name}.{os.getpid()}.tmp")
        tmp_r1cs = None
        try:
            if isinstance(r1cs, (str, os.PathLike)):
                r1cs_path = os.fspath(r1cs)
            else:
                tmp_r1cs = zkey_path.with_name(f".{zkey_path.name}.{os.getpid()}.r1cs.tmp")
                tmp_r1cs.write_bytes(_r1cs_bytes(r1cs))
                r1cs_path = str(tmp_r1cs)
            self.native.groth16_setup_file(r1cs_path, toxic.to_bytes(), str(tmp))
            os.replace(tmp, zkey_path)
        finally:
            tmp.unlink(missing_ok=True)
            if tmp_r1cs is not None:
                tmp_r1cs.unlink(missing_ok=True)

    def setup_ptau(self, r1cs: R1csLike, ptau: PathOrBytes, delta: int) -> bytes:
        if not hasattr(self.native, "groth16_setup_ptau"):
            return super().setup_ptau(r1cs, ptau, delta)
        from prover.field import R
        if delta % R == 0:
            raise ValueError("delta must be non-zero")
        return bytes(self.native.groth16_setup_ptau(_r1cs_bytes(r1cs), load_bytes(ptau, "ptau"),
                                                    (delta % R).to_bytes(32, "little")))

    def prove(self, zkey: Union[PathOrBytes, ProvingKey], witness, r: int, s: int) -> Proof:
        """A key given by its path is memory-mapped by Rust and read section by section
        (prover/native/src/zkey_map.rs): the key is never whole in memory, so a proof's peak is
        below the key's size (README, Benchmarks); bytes or a ProvingKey are proved in memory."""
        from prover.field import R
        from prover.formats.binfile import unreadable
        from prover.formats.wtns import wtns_to_bytes
        from prover.formats.zkey import zkey_to_bytes
        if isinstance(witness, (list, tuple)):
            wb = wtns_to_bytes(list(witness))
        else:
            wb = load_bytes(witness, "wtns")
        rb, sb = (r % R).to_bytes(32, "little"), (s % R).to_bytes(32, "little")
        if isinstance(zkey, (str, os.PathLike)) and hasattr(self.native, "groth16_prove_file"):
            try:
                out = self.native.groth16_prove_file(os.fspath(zkey), wb, rb, sb)
            except OSError as exc:
                raise unreadable(zkey, "zkey", exc) from None
            return Proof.from_bytes(bytes(out))
        zb = zkey_to_bytes(zkey) if isinstance(zkey, ProvingKey) else load_bytes(zkey, "zkey")
        out = self.native.groth16_prove(zb, wb, rb, sb)
        return Proof.from_bytes(bytes(out))

    def pairing_check(self, pairs) -> bool:
        g1s = b"".join(bytes(64) if p is None else p[0].to_bytes(32, "little") + p[1].to_bytes(32, "little")
                       for p, _ in pairs)
        g2s = b"".join(bytes(128) if q is None else b"".join(c.to_bytes(32, "little") for c in (*q[0], *q[1]))
                       for _, q in pairs)
        return bool(self.native.pairing_check(g1s, g2s))

    def check(self, vk: VerifyingKey, public: Sequence[int], proof: Proof) -> str | None:
        from prover.groth16.verify import check
        return check(vk, public, proof, pairing_check=self.pairing_check)


def get_backend(name: str = "auto"):
    """"python", "native", or "auto" (native when built, else python)."""
    if name == "auto":
        return NativeBackend() if native_available() else PythonBackend()
    if name == "python":
        return PythonBackend()
    if name == "native":
        return NativeBackend()
    raise ValueError(f"unknown backend {name!r}: choose python or native")
