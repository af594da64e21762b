"""Diffie-Hellman on Baby Jubjub between the sequencer and an account's owner, so that the
batch circuit can encrypt every new leaf to its owner and the owner, holding only its own
EdDSA key, can decrypt it (sequencer/spec/da.py, sequencer/da/).

    owner:      secret scalar a (its EdDSA key's, `eddsa_scalar`), public key A = a * Base8
                (what it registers on L1)
    sequencer:  secret DA scalar s, public key S = s * Base8 (published: Rollup.daPublicKey)
    shared:     P = s * (8 * A') = a * (8 * S)          A' = A if A is on the curve, else Base8
    the leaf's salt = Poseidon(P.x, id), its cipher key (Poseidon(salt), id)   (spec/da.py)

The cofactor 8 makes P a point of the prime-order subgroup whatever point was registered
(the contract takes any pair of field elements), so the circuit's variable-base
multiplication never meets an exceptional case and no registration can make a batch
unprovable; a key off the curve is replaced by Base8 (such an owner cannot sign anything
either, and its leaf is then encrypted under a key the sequencer alone knows: clients must
register real keys). For an honest owner 8 * A = (8a) * Base8, so both sides get
8 * a * s * Base8. (`account_key`, Poseidon(P.x, P.y), and `cipher_key` are the earlier
per-account key, kept for the gadget tests.)
"""
from __future__ import annotations

from circuits.crypto import babyjub
from circuits.crypto.eddsa import _secret_scalar
from circuits.crypto.poseidon import poseidon_hash

COFACTOR = 8
SCALAR_BITS = 252  # eddsa scalars (s >> 3 of a pruned s, bit 254 set) are below 2^252


def eddsa_scalar(prv: bytes) -> int:
    """The scalar a of an EdDSA private key (32 bytes, circomlibjs's derivation): its public
    key is a * Base8."""
    _, s = _secret_scalar(prv)
    return s >> 3


def public_key(scalar: int) -> tuple[int, int]:
    return babyjub.mul(babyjub.BASE8, scalar)


def shared_point(scalar: int, other_public_key) -> tuple[int, int]:
    """scalar * (8 * Q), Q = the other side's public key (Base8 when Q is off the curve)."""
    if not 0 <= scalar < 1 << SCALAR_BITS:
        raise ValueError(f"the scalar must be below 2^{SCALAR_BITS}")
    q = tuple(int(v) for v in other_public_key)
    if not babyjub.in_curve(q):
        q = babyjub.BASE8
    return babyjub.mul(babyjub.mul(q, COFACTOR), scalar)


def account_key(scalar: int, other_public_key) -> int:
    """k_a = Poseidon(shared point): the same from (sequencer scalar, owner key) and from
    (owner scalar, sequencer key)."""
    p = shared_point(scalar, other_public_key)
    return poseidon_hash([p[0], p[1]])


def cipher_key(k_a: int, account_id: int) -> tuple[int, int]:
    """The Poseidon-cipher key of account `account_id` (its id separates the domains of two
    accounts registered with the same public key)."""
    return int(k_a), int(account_id)


__all__ = ["eddsa_scalar", "public_key", "shared_point", "account_key", "cipher_key", "COFACTOR", "SCALAR_BITS"]
