"""circom's .sym symbol file: one line per signal, `labelIdx,wireIdx,componentIdx,name`.

wireIdx is -1 for a signal the optimiser eliminated (it has a label but no wire).
"""
from __future__ import annotations

from typing import Iterable

from prover.formats.binfile import FormatError, PathOrBytes, load_bytes, write_atomic

SymEntry = tuple[int, int, int, str]  # (label index, wire index or -1, component index, dotted name)


def write_sym(path, entries: Iterable[SymEntry]) -> None:
    """Write `entries` (label, wire or -1, component, name) as a circom .sym file."""
    lines = []
    for label, wire, component, name in entries:
        if "\n" in name or "," in name:
            raise ValueError(f"symbol name {name!r} contains a comma or newline")
        lines.append(f"{label},{wire},{component},{name}\n")
    write_atomic(path, "".join(lines).encode())


def read_sym(path_or_bytes: PathOrBytes) -> list[SymEntry]:
    """Read a circom .sym file."""
    text = load_bytes(path_or_bytes, "sym").decode("utf-8", "replace")
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        parts = line.split(",", 3)
        try:
            out.append((int(parts[0]), int(parts[1]), int(parts[2]), parts[3]))
        except (ValueError, IndexError):
            raise FormatError(f"sym line {n} corrupt: {line[:80]!r}") from None
    return out
