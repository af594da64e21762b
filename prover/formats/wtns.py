"""The iden3 .wtns witness format, version 2 (what circom's witness calculators write).

    section 1 header:  u32 n8 (=32), prime (n8 bytes LE), u32 nWitness
    section 2 values:  nWitness field elements, n8 bytes LE each, standard form
"""
from __future__ import annotations

import struct

from prover.field import R
from prover.formats.binfile import BinFile, FormatError, PathOrBytes, Writer, ints_to_le, load_bytes, write_atomic

WTNS_MAGIC = b"wtns"


def wtns_to_bytes(witness: list[int], prime: int = R) -> bytes:
    """Serialise a full witness (wire 0 = 1 first) as .wtns bytes; values are reduced mod prime."""
    w = Writer(WTNS_MAGIC, 2)
    w.section(1, struct.pack("<I", 32) + prime.to_bytes(32, "little") + struct.pack("<I", len(witness)))
    w.section(2, ints_to_le((v % prime for v in witness), 32))
    return w.bytes()


def write_wtns(path, witness: list[int]) -> None:
    """Write the full witness (wire 0 first) to `path` in .wtns format."""
    write_atomic(path, wtns_to_bytes(witness))


def read_wtns(path_or_bytes: PathOrBytes) -> list[int]:
    """Read a .wtns file (a path or its bytes) into the list of wire values."""
    _, values = read_wtns_head(path_or_bytes, None)
    return values


def read_wtns_head(path_or_bytes: PathOrBytes, count: int | None) -> tuple[int, list[int]]:
    """(number of wires, the first `count` values, all when None), the file checked whole
    (sizes) but only those values read: a prover needs the public signals, not 5 million ints."""
    data = load_bytes(path_or_bytes, "wtns")
    bf = BinFile(data, WTNS_MAGIC, "wtns", max_version=2)
    h = bf.section(1, "header")
    n8 = h.u32()
    if n8 != 32:
        raise FormatError(f"wtns header: field size {n8} bytes, only 32 is supported")
    prime = h.int_le(n8)
    n = h.u32()
    h.expect_end()
    s = bf.section(2, "values")
    if s.remaining() != n * n8:
        raise FormatError(f"wtns values section has {s.remaining()} bytes, expected {n} x {n8}")
    values = s.ints_le(n if count is None else min(count, n), n8)
    if any(v >= prime for v in values):
        raise FormatError("wtns corrupt: a value is not reduced modulo the prime")
    return n, values
