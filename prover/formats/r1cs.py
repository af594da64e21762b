"""The R1CS data model shared by the circuit DSL (which builds it) and the prover (which proves it).

Wire layout follows iden3: wire 0 is the constant 1, then the public outputs, the public
inputs, the private inputs, then the internal signals. A constraint is (A, B, C), three sparse
linear combinations {wire: coefficient mod r}, satisfied when <A,w> * <B,w> == <C,w>.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LinearCombination = dict[int, int]
Constraint = tuple[LinearCombination, LinearCombination, LinearCombination]


class CompactConstraints(Sequence):
    """The constraints of a large R1CS in flat arrays (what the circuit DSL compiles to):
    LC j of constraint i = j-th of 3i..3i+2 holds terms ends[j]..ends[j+1], each a wire
    (`wires`, int32) and a coefficient (`coefs`, int32 index into `table`). A sequence of
    (A, B, C) dicts like a plain list (each made when asked for), and written to .r1cs
    bytes without making them (`r1cs_to_bytes`)."""

    __slots__ = ("wires", "coefs", "ends", "table")

    def __init__(self, wires, coefs, ends, table: list[int]):
        self.wires, self.coefs, self.ends, self.table = wires, coefs, ends, table

    def __len__(self) -> int:
        return (len(self.ends) - 1) // 3

    def _lc(self, j: int) -> LinearCombination:
        s, e = self.ends[j], self.ends[j + 1]
        t = self.table
        return dict(zip(self.wires[s:e], [t[i] for i in self.coefs[s:e]]))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("constraint index out of range")
        return self._lc(3 * i), self._lc(3 * i + 1), self._lc(3 * i + 2)

    def __iter__(self):
        for i in range(len(self)):
            yield self._lc(3 * i), self._lc(3 * i + 1), self._lc(3 * i + 2)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(x == y for x, y in zip(self, other))

    __hash__ = None

    @property
    def n_terms(self) -> int:
        return len(self.wires)


@dataclass
class R1CS:
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    constraints: list[Constraint]
    # wire_to_label[w] is the label id of wire w (iden3 section 3); identity when absent.
    wire_to_label: list[int] | None = None
    n_labels: int | None = None
    prime: int = 21888242871839275222246405745257275088548364400416034343698204186575808495617

    @property
    def n_public(self) -> int:
        """Public signals, outputs first then inputs (snarkjs's nPublic)."""
        return self.n_pub_out + self.n_pub_in

    @property
    def n_constraints(self) -> int:
        return len(self.constraints)


# ---------------------------------------------------------------------------------------------
# The iden3 .r1cs binary format (iden3/r1csfile), version 1:
#   section 1 header:      u32 n8 (=32), prime (n8 bytes LE), u32 nWires, u32 nPubOut,
#                          u32 nPubIn, u32 nPrvIn, u64 nLabels, u32 nConstraints
#   section 2 constraints: per constraint, A then B then C, each u32 nTerms then nTerms pairs
#                          (u32 wire, coefficient n8 bytes LE, standard form, not Montgomery)
#   section 3 wire->label: nWires u64
# Sections 4/5 (custom gates, circom --O2 PLONK only) are not supported and rejected.

import struct as _struct

from prover.formats.binfile import (BinFile, FormatError, PathOrBytes, Writer, load_bytes,
                                    write_atomic)

R1CS_MAGIC = b"r1cs"
_HEADER, _CONSTRAINTS, _WIRE2LABEL = 1, 2, 3


def _header(r1cs: R1CS) -> bytes:
    n8 = 32
    return (_struct.pack("<I", n8) + r1cs.prime.to_bytes(n8, "little")
            + _struct.pack("<IIIIQI", r1cs.n_wires, r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in,
                           r1cs.n_labels if r1cs.n_labels is not None else r1cs.n_wires,
                           len(r1cs.constraints)))


def r1cs_to_bytes(r1cs: R1CS) -> bytes:
    """Serialise `r1cs` as an iden3 .r1cs file (terms in the dicts' order, zero coefficients dropped)."""
    p = r1cs.prime
    n8 = 32
    header = _header(r1cs)
    cons = r1cs.constraints
    if isinstance(cons, CompactConstraints) and all(v % p for v in cons.table):
        return b"".join(_compact_chunks(r1cs, cons, header))
    pack_u32 = _struct.Struct("<I").pack
    parts: list[bytes] = []
    n_wires = r1cs.n_wires
    for ci, constraint in enumerate(r1cs.constraints):
        for lc in constraint:
            terms = [(w, c % p) for w, c in lc.items() if c % p]
            parts.append(pack_u32(len(terms)))
            for w, c in terms:
                if not 0 <= w < n_wires:
                    raise ValueError(f"constraint {ci} uses wire {w}, outside 0..{n_wires - 1}")
                parts.append(pack_u32(w))
                parts.append(c.to_bytes(n8, "little"))
    labels = r1cs.wire_to_label if r1cs.wire_to_label is not None else range(r1cs.n_wires)
    if len(labels) != r1cs.n_wires:
        raise ValueError(f"wire_to_label has {len(labels)} entries for {r1cs.n_wires} wires")
    w = Writer(R1CS_MAGIC, 1)
    w.section(_CONSTRAINTS, b"".join(parts))  # circom's order: constraints, header, map
    w.section(_HEADER, header)
    w.section(_WIRE2LABEL, _struct.pack(f"<{r1cs.n_wires}Q", *labels))
    return w.bytes()


def _compact_chunks(r1cs: R1CS, cons: CompactConstraints, header: bytes, lcs_per_chunk: int = 1 << 16):
    """The .r1cs file of compact constraints in pieces (a mainnet R1CS is ~2.7 GB: hashing or
    writing it never needs it whole), laid out by numpy: in u32 words from the start of a
    piece of LCs j0.., LC j's term count sits at (j - j0) + 9 (ends[j] - ends[j0]) and its term t
    at (j - j0) + 1 + 9 (t - ends[j0]) (one word per earlier count, nine per earlier term:
    the wire and the 32-byte coefficient)."""
    import numpy as np

    n8 = 32
    n_wires = r1cs.n_wires
    wires = np.frombuffer(cons.wires, dtype=np.int32)
    coefs = np.frombuffer(cons.coefs, dtype=np.int32)
    ends = np.frombuffer(cons.ends, dtype=np.int64)
    if len(wires) and (wires.min() < 0 or wires.max() >= n_wires):
        bad = int(np.argmax((wires < 0) | (wires >= n_wires)))
        ci = (int(np.searchsorted(ends, bad, side="right")) - 1) // 3
        raise ValueError(f"constraint {ci} uses wire outside 0..{n_wires - 1}")
    labels = r1cs.wire_to_label if r1cs.wire_to_label is not None else range(r1cs.n_wires)
    if len(labels) != n_wires:
        raise ValueError(f"wire_to_label has {len(labels)} entries for {n_wires} wires")
    p = r1cs.prime
    table = np.frombuffer(b"".join((v % p).to_bytes(n8, "little") for v in cons.table) or bytes(n8),
                          dtype="<u4").reshape(-1, 8)
    n_lc, n_terms = len(ends) - 1, len(wires)
    # magic, version, 3 sections in circom's order: constraints, header, wire -> label map
    yield R1CS_MAGIC + _struct.pack("<II", 1, 3) + _struct.pack("<IQ", _CONSTRAINTS, 4 * (n_lc + 9 * n_terms))
    offs = np.arange(1, 9, dtype=np.int64)
    for j0 in range(0, n_lc, lcs_per_chunk):
        j1 = min(n_lc, j0 + lcs_per_chunk)
        t0, t1 = int(ends[j0]), int(ends[j1])
        body = np.zeros((j1 - j0) + 9 * (t1 - t0), dtype="<u4")
        js = np.arange(j1 - j0, dtype=np.int64)
        body[js + 9 * (ends[j0:j1] - t0)] = np.diff(ends[j0:j1 + 1])
        t = np.arange(t0, t1, dtype=np.int64)
        pos = (np.searchsorted(ends, t, side="right") - 1 - j0) + 1 + 9 * (t - t0)
        body[pos] = wires[t0:t1]
        body[pos[:, None] + offs] = table[coefs[t0:t1]]
        del t, pos, js
        yield body.tobytes()
    yield _struct.pack("<IQ", _HEADER, len(header)) + header + _struct.pack("<IQ", _WIRE2LABEL, 8 * n_wires)
    yield np.asarray(labels, dtype="<u8").tobytes()


def r1cs_chunks(r1cs: R1CS):
    """The bytes of `r1cs_to_bytes(r1cs)` in pieces (compact constraints: without making them whole)."""
    cons = r1cs.constraints
    if isinstance(cons, CompactConstraints) and all(v % r1cs.prime for v in cons.table):
        yield from _compact_chunks(r1cs, cons, _header(r1cs))
    else:
        yield r1cs_to_bytes(r1cs)


def r1cs_sha256(r1cs: R1CS) -> str:
    """SHA-256 (hex) of the .r1cs bytes, computed piece by piece."""
    import hashlib

    h = hashlib.sha256()
    for part in r1cs_chunks(r1cs):
        h.update(part)
    return h.hexdigest()


def write_r1cs(path, r1cs: R1CS) -> None:
    """Write `r1cs` to `path` in the iden3 .r1cs format that circom emits and snarkjs reads
    (piece by piece, through a temporary name)."""
    import os
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        for part in r1cs_chunks(r1cs):
            f.write(part)
    os.replace(tmp, path)


def read_r1cs(path_or_bytes: PathOrBytes) -> R1CS:
    """Read an iden3 .r1cs file (a path or its bytes); truncated or corrupt -> FormatError."""
    data = load_bytes(path_or_bytes, "r1cs")
    bf = BinFile(data, R1CS_MAGIC, "r1cs", max_version=1)
    if bf.has(4) or bf.has(5):
        raise FormatError("r1cs file uses custom gates (circom PLONK mode), which Groth16 cannot prove")
    h = bf.section(_HEADER, "header")
    n8 = h.u32()
    if n8 != 32:
        raise FormatError(f"r1cs header: field size {n8} bytes, only 32 is supported")
    prime = h.int_le(n8)
    n_wires, n_pub_out, n_pub_in, n_prv_in = (h.u32() for _ in range(4))
    n_labels = h.u64()
    n_constraints = h.u32()
    h.expect_end()
    if 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:
        raise FormatError(f"r1cs header corrupt: {n_pub_out + n_pub_in + n_prv_in} inputs for {n_wires} wires")

    c = bf.section(_CONSTRAINTS, "constraints")
    d = data
    pos, end = c.pos, c.end
    fb = int.from_bytes
    unpack_u32 = _struct.Struct("<I").unpack_from
    step = 4 + n8
    constraints: list[Constraint] = []
    try:
        for ci in range(n_constraints):
            triple = []
            for _ in range(3):
                if pos + 4 > end:
                    raise FormatError(f"r1cs constraints section truncated in constraint {ci}")
                (nt,) = unpack_u32(d, pos)
                pos += 4
                stop = pos + nt * step
                if stop > end:
                    raise FormatError(f"r1cs constraints section truncated in constraint {ci}")
                lc = {}
                for q in range(pos, stop, step):
                    (wire,) = unpack_u32(d, q)
                    lc[wire] = fb(d[q + 4:q + step], "little")
                pos = stop
                triple.append(lc)
            constraints.append((triple[0], triple[1], triple[2]))
    except _struct.error as exc:  # defensive: the bounds checks above should make this unreachable
        raise FormatError(f"r1cs constraints section corrupt: {exc}") from None
    if pos != end:
        raise FormatError(f"r1cs constraints section corrupt: {end - pos} trailing bytes")
    for ci, cons in enumerate(constraints):
        for lc in cons:
            for wire, coef in lc.items():
                if wire >= n_wires or coef >= prime:
                    raise FormatError(f"r1cs constraint {ci} corrupt: wire {wire} or coefficient out of range")

    wire_to_label = None
    if bf.has(_WIRE2LABEL):
        m = bf.section(_WIRE2LABEL, "wire-to-label")
        if m.remaining() != 8 * n_wires:
            raise FormatError(f"r1cs wire-to-label section has {m.remaining()} bytes for {n_wires} wires")
        wire_to_label = list(_struct.unpack_from(f"<{n_wires}Q", data, m.pos))
    return R1CS(n_wires=n_wires, n_pub_out=n_pub_out, n_pub_in=n_pub_in, n_prv_in=n_prv_in,
                constraints=constraints, wire_to_label=wire_to_label, n_labels=n_labels, prime=prime)
