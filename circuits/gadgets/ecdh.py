"""Diffie-Hellman on Baby Jubjub (circuits/crypto/ecdh.py) in circuits.

Where the batch circuit uses it: once per account, in the registration slot that creates the
leaf (the owner's key is in that slot's public data), to derive the leaf's salt from the
shared point (`shared_point`; sequencer/spec/da.py), so that every later write encrypts the
leaf under a key hashed from its salt (a Poseidon cipher only, circuits/gadgets/
poseidon_cipher.py), not a scalar multiplication per write. The sequencer's scalar s is a
private input of the batch circuit; `public_key` computes S = s * Base8 once per batch, which
the batch message carries (so the contract checks the prover used the published key's
secret: otherwise it could encrypt under keys the owners cannot derive).

Costs (measured by tests/circuits/test_ecdh.py): `account_key` 2,558 constraints (on-curve test + select +
3 doublings + EscalarMulAny(252) + Poseidon(2)), `shared_point` the same less the Poseidon;
`assert_public_key` 775 (Num2Bits(252) + EscalarMulFix(252)), once per batch.
"""
from __future__ import annotations

from circuits.crypto.ecdh import SCALAR_BITS
from circuits.dsl import LC, Circuit, gadget

from . import babyjub
from .bits import to_bits
from .comparators import is_zero
from .mux import select
from .poseidon import poseidon


@gadget
def scalar_bits(c: Circuit, scalar) -> list[LC]:
    """The 252 bits of a scalar (LSB first), range-checking it below 2^252."""
    return to_bits(c, scalar, SCALAR_BITS)


@gadget
def assert_public_key(c: Circuit, bits, public_key) -> None:
    """bits * Base8 == public_key."""
    x, y = babyjub.escalar_mul_fix(c, bits, babyjub.BASE8)
    c.assert_equal(x, public_key[0])
    c.assert_equal(y, public_key[1])


@gadget
def public_key(c: Circuit, bits) -> tuple[LC, LC]:
    """bits * Base8."""
    return babyjub.escalar_mul_fix(c, bits, babyjub.BASE8)


@gadget
def shared_point(c: Circuit, bits, other_public_key) -> tuple[LC, LC]:
    """bits * (8 * Q), Q = other_public_key, or Base8 when Q is off the curve."""
    qx, qy = LC.of(other_public_key[0]), LC.of(other_public_key[1])
    x2, y2 = c.mul(qx, qx), c.mul(qy, qy)
    x2y2 = c.mul(x2, y2)
    on = is_zero(c, x2 * babyjub.A + y2 - 1 - x2y2 * babyjub.D)
    q = (select(c, on, qx, babyjub.BASE8[0]), select(c, on, qy, babyjub.BASE8[1]))
    for _ in range(3):
        q = babyjub.babyjub_double(c, q)
    return babyjub.escalar_mul_any(c, bits, q)


@gadget
def account_key(c: Circuit, bits, other_public_key) -> LC:
    """Poseidon(bits * (8 * Q)), Q = other_public_key, or Base8 when Q is off the curve."""
    return poseidon(c, list(shared_point(c, bits, other_public_key)))


__all__ = ["scalar_bits", "public_key", "assert_public_key", "shared_point", "account_key"]
