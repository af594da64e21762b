"""The iden3 binary container shared by .r1cs, .wtns, .zkey and .ptau (iden3/binfileutils).

Layout: a 4-byte magic ("r1cs", "wtns", "zkey", "ptau"), a u32 version, a u32 section count,
then each section as (u32 type, u64 size, `size` bytes). Integers are little-endian. Readers
here never index past the end of the buffer: every bounds problem becomes a `FormatError`.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Union

PathOrBytes = Union[str, os.PathLike, bytes, bytearray, memoryview]


class FormatError(ValueError):
    """A file that is truncated, corrupt, or not of the expected kind."""


def unreadable(src, what: str, exc: OSError) -> FormatError:
    """The FormatError of a `what` file at path `src` that the OS would not read."""
    return FormatError(f"cannot read {what} file {os.fspath(src)!r}: {exc.strerror or exc}")


def load_bytes(src: PathOrBytes, what: str) -> bytes:
    """Return the bytes of `src` (a path or the bytes themselves); unreadable -> FormatError."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    try:
        return Path(src).read_bytes()
    except OSError as exc:
        raise unreadable(src, what, exc) from None


def map_bytes(src: PathOrBytes, what: str):
    """Like load_bytes, but a path is memory-mapped read-only, not read: for readers that touch
    a few sections of a file GBs long (a .zkey's header and IC for its verification key), so
    only the pages they read are in memory."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    import mmap
    try:
        with open(src, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return b""
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise unreadable(src, what, exc) from None


class BinFile:
    """A parsed section table over one buffer: `sections[type]` lists (offset, size) pairs."""

    def __init__(self, data: bytes, magic: bytes, what: str, max_version: int | None = None):
        self.data = data
        self.what = what
        if len(data) < 12:
            raise FormatError(f"{what} file truncated: {len(data)} bytes, shorter than its 12-byte header")
        if data[:4] != magic:
            raise FormatError(f"not a {what} file: magic {data[:4]!r}, expected {magic!r}")
        self.version, n_sections = struct.unpack_from("<II", data, 4)
        if max_version is not None and not 1 <= self.version <= max_version:
            raise FormatError(f"{what} file version {self.version} is not supported")
        self.sections: dict[int, list[tuple[int, int]]] = {}
        pos = 12
        for i in range(n_sections):
            if pos + 12 > len(data):
                raise FormatError(f"{what} file truncated: section header {i + 1} of {n_sections} missing")
            stype, size = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if pos + size > len(data):
                raise FormatError(
                    f"{what} file truncated: section {stype} claims {size} bytes, {len(data) - pos} remain")
            self.sections.setdefault(stype, []).append((pos, size))
            pos += size
        if pos != len(data):
            raise FormatError(f"{what} file corrupt: {len(data) - pos} trailing bytes after the last section")

    def section(self, stype: int, name: str) -> "Reader":
        """The unique section `stype` as a bounds-checked reader."""
        found = self.sections.get(stype)
        if not found:
            raise FormatError(f"{self.what} file corrupt: {name} section ({stype}) missing")
        if len(found) > 1:
            raise FormatError(f"{self.what} file corrupt: {name} section ({stype}) appears {len(found)} times")
        off, size = found[0]
        return Reader(self.data, off, off + size, f"{self.what} {name} section")

    def has(self, stype: int) -> bool:
        return stype in self.sections


class Reader:
    """A cursor over data[start:end] that raises FormatError instead of reading past `end`."""

    def __init__(self, data: bytes, start: int, end: int, what: str):
        self.data, self.pos, self.end, self.what = data, start, end, what

    def need(self, n: int) -> int:
        if n < 0 or self.pos + n > self.end:
            raise FormatError(f"{self.what} truncated: needs {n} more bytes at offset {self.pos}, "
                              f"{self.end - self.pos} remain")
        p = self.pos
        self.pos += n
        return p

    def u32(self) -> int:
        return struct.unpack_from("<I", self.data, self.need(4))[0]

    def u64(self) -> int:
        return struct.unpack_from("<Q", self.data, self.need(8))[0]

    def raw(self, n: int) -> bytes:
        p = self.need(n)
        return self.data[p:p + n]

    def int_le(self, n8: int) -> int:
        p = self.need(n8)
        return int.from_bytes(self.data[p:p + n8], "little")

    def ints_le(self, count: int, n8: int) -> list[int]:
        """`count` consecutive n8-byte little-endian integers."""
        p = self.need(count * n8)
        d = self.data
        fb = int.from_bytes
        return [fb(d[i:i + n8], "little") for i in range(p, p + count * n8, n8)]

    def remaining(self) -> int:
        return self.end - self.pos

    def expect_end(self) -> None:
        if self.pos != self.end:
            raise FormatError(f"{self.what} corrupt: {self.end - self.pos} unexpected trailing bytes")


class Writer:
    """Builds an iden3 container: call `section(type, payload)` in order, then `bytes()`."""

    def __init__(self, magic: bytes, version: int):
        self.magic, self.version = magic, version
        self.parts: list[tuple[int, bytes]] = []

    def section(self, stype: int, payload: bytes) -> None:
        self.parts.append((stype, payload))

    def bytes(self) -> bytes:
        out = [self.magic, struct.pack("<II", self.version, len(self.parts))]
        for stype, payload in self.parts:
            out.append(struct.pack("<IQ", stype, len(payload)))
            out.append(payload)
        return b"".join(out)


def ints_to_le(values, n8: int = 32) -> bytes:
    """Concatenate n8-byte little-endian encodings of non-negative integers."""
    return b"".join(v.to_bytes(n8, "little") for v in values)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, so readers never see a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
