"""The spec's hashes: circomlib Poseidon over BN254, nested when there are more than 16 inputs.

Every commitment of the spec (leaf, tree node, signed message, state root, deposit and
withdrawal chains) is `hash_fields`, so outside tools with circomlib's Poseidon recompute it.
Signed integers enter a hash as field elements (`to_field`: a negative x becomes r - |x|),
which is how the circuit holds them.
"""
from __future__ import annotations

import hashlib
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


def hash_chain(prev: int, fields: Sequence[int]) -> int:
    """One link of a Poseidon hash chain: H(prev, fields...)."""
    return hash_fields([prev, *fields])


def sha256_field(words: Sequence[int]) -> int:
    """sha256 of the words as 32-byte big-endian integers, reduced modulo r (one public input)."""
    data = b"".join(to_field(w).to_bytes(32, "big") for w in words)
    return int.from_bytes(hashlib.sha256(data).digest(), "big") % FIELD_MODULUS


__all__ = ["hash_fields", "hash_chain", "sha256_field", "to_field", "from_field",
           "poseidon_hash", "poseidon_hash_many", "POSEIDON_MAX_INPUTS"]
