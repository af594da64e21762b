"""The per-account key k_a of circuits/crypto/ecdh.py in circuits.

Where it is computed: once per account, in the registration slot that creates the leaf (the
owner's key is in that slot's public data), and stored as a leaf field, so that every later
write encrypts the leaf with a Poseidon cipher only (circuits/gadgets/poseidon_cipher.py), not
a scalar multiplication per write. The sequencer's scalar s is a private input of the batch
circuit; `assert_public_key` proves once per batch that s is the secret of the published key
S (otherwise a prover could encrypt under keys the owners cannot derive), and
`account_key` derives k_a per registration slot.

Costs (measured by tests/circuits/test_ecdh.py): `account_key` 2,558 constraints (on-curve test + select +
3 doublings + EscalarMulAny(252) + Poseidon(2)); `assert_public_key` 775 (Num2Bits(252) +
EscalarMulFix(252)), once per batch.
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
def account_key(c: Circuit, bits, other_public_key) -> LC:
    """Poseidon(bits * (8 * Q)), Q = other_public_key, or Base8 when Q is off the curve."""
    qx, qy = LC.of(other_public_key[0]), LC.of(other_public_key[1])
    x2, y2 = c.mul(qx, qx), c.mul(qy, qy)
    x2y2 = c.mul(x2, y2)
    on = is_zero(c, x2 * babyjub.A + y2 - 1 - x2y2 * babyjub.D)
    q = (select(c, on, qx, babyjub.BASE8[0]), select(c, on, qy, babyjub.BASE8[1]))
    for _ in range(3):
        q = babyjub.babyjub_double(c, q)
    p = babyjub.escalar_mul_any(c, bits, q)
    return poseidon(c, list(p))


__all__ = ["scalar_bits", "assert_public_key", "account_key"]
