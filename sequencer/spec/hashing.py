"""The spec's hashes: circomlib Poseidon over BN254, nested when there are more than 16 inputs.

Every commitment of the spec (leaf, tree node, signed message, state root) is `hash_fields`, so outside tools with circomlib's Poseidon recompute it.
Signed integers enter a hash as field elements (`to_field`: a negative x becomes r - |x|),
which is how the circuit holds them.
"""
from __future__ import annotations

from typing import Sequence

from circuits.crypto.poseidon import poseidon_hash, poseidon_hash_many

from .constants import FIELD_MODULUS

POSEIDON_MAX_INPUTS = 16  # circomlib Poseidon takes 1..16 inputs (t = 2..17)


def to_field(x: int) -> int:
    """A signed integer as a BN254 field element."""
    return x % FIELD_MODULUS


def from_field(x: int) -> int:
    """The inverse of `to_field` for values of magnitude below r / 2."""
    return x - FIELD_MODULUS if x > FIELD_MODULUS // 2 else x


def hash_fields(fields: Sequence[int]) -> int:
    """Poseidon of up to 16 field elements; above 16, Poseidon of the Poseidons of 16-chunks.

    (17..256 inputs: H(H(x_0..x_15), H(x_16..x_31), ...); the last chunk may be shorter.)"""
    fields = [to_field(x) for x in fields]
    if len(fields) <= POSEIDON_MAX_INPUTS:
        return poseidon_hash(fields)
    chunks = [fields[i:i + POSEIDON_MAX_INPUTS] for i in range(0, len(fields), POSEIDON_MAX_INPUTS)]
    assert len(chunks) <= POSEIDON_MAX_INPUTS
    full = [ch for ch in chunks if len(ch) == POSEIDON_MAX_INPUTS]
    inner = poseidon_hash_many(full) if full else []
    if len(full) < len(chunks):  # a shorter last chunk has its own width
        inner.append(poseidon_hash(chunks[-1]))
    return poseidon_hash(inner)


__all__ = ["hash_fields", "to_field", "from_field",
           "poseidon_hash", "poseidon_hash_many", "POSEIDON_MAX_INPUTS"]
