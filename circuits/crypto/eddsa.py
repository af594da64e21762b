"""EdDSA-Poseidon on Baby Jubjub, exactly as circomlibjs's eddsa (signPoseidon /
verifyPoseidon) and circomlib's EdDSAPoseidonVerifier.

    h = BLAKE-512(prv);  s = prune(h[0:32]) as a little-endian integer;  A = Base8 · (s >> 3)
    r = BLAKE-512(h[32:64] || msg as 32 bytes LE) mod l;  R8 = Base8 · r
    S = (r + Poseidon(R8.x, R8.y, A.x, A.y, msg) · s) mod l
    valid  <=>  R8, A on the curve, S < l, and Base8 · S == R8 + A · (8 · hm)

`verify_poseidon` / `verify_poseidon_many` run in the native extension (prover._native's
eddsa_poseidon_verify[_many]) when it is built, and fall back to `verify_poseidon_python`,
the readable reference that tests compare the native code against, otherwise.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache

from circuits.crypto import babyjub
from circuits.crypto.blake512 import blake512
from circuits.crypto.poseidon import _native_for as _native_poseidon, poseidon_hash
from prover.field import R


@dataclass(frozen=True)
class Signature:
    R8: tuple
    S: int


def _prune(buf: bytes) -> bytes:
    b = bytearray(buf)
    b[0] &= 0xF8
    b[31] &= 0x7F
    b[31] |= 0x40
    return bytes(b)


def _secret_scalar(prv: bytes) -> tuple[bytes, int]:
    if len(prv) != 32:
        raise ValueError("an EdDSA private key is 32 bytes")
    h = blake512(prv)
    return h, int.from_bytes(_prune(h[:32]), "little")


def prv2pub(prv: bytes) -> tuple[int, int]:
    _, s = _secret_scalar(prv)
    return babyjub.mul(babyjub.BASE8, s >> 3)


def sign_poseidon(prv: bytes, msg: int) -> Signature:
    if not 0 <= msg < R:
        raise ValueError("the message must be a field element")
    h, s = _secret_scalar(prv)
    a = babyjub.mul(babyjub.BASE8, s >> 3)
    r = int.from_bytes(blake512(h[32:64] + msg.to_bytes(32, "little")), "little") % babyjub.SUBORDER
    r8 = babyjub.mul(babyjub.BASE8, r)
    hm = poseidon_hash([r8[0], r8[1], a[0], a[1], msg])
    return Signature(r8, (r + hm * s) % babyjub.SUBORDER)


def _parse(msg, sig, pub):
    """(msg, R8, S, A) as ints, or None when the arguments do not even have that shape."""
    try:
        r8, s = (int(sig.R8[0]), int(sig.R8[1])), int(sig.S)
        pub = (int(pub[0]), int(pub[1]))
        if len(sig.R8) != 2 or len(pub) != 2 or not isinstance(msg, int):
            return None
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    return int(msg), r8, s, pub


def verify_poseidon_python(msg: int, sig: Signature, pub) -> bool:
    """The readable reference (the native path must give the same answer for every input):
    circomlibjs verifyPoseidon, False (never an exception) for anything but a valid
    signature; additionally refuses msg >= r, which circomlibjs would reduce."""
    parsed = _parse(msg, sig, pub)
    if parsed is None:
        return False
    msg, r8, s, pub = parsed
    if not (0 <= msg < R and babyjub.in_curve(r8) and babyjub.in_curve(pub) and 0 <= s < babyjub.SUBORDER):
        return False
    hm = poseidon_hash([r8[0], r8[1], pub[0], pub[1], msg])
    left = babyjub.mul(babyjub.BASE8, s)
    right = babyjub.add(r8, babyjub.mul(pub, 8 * hm))
    return left == right


@lru_cache(maxsize=None)
def _native():
    """prover._native with Poseidon width 6 registered, when it has EdDSA; else None."""
    native = _native_poseidon(6)
    if native is None or not all(hasattr(native, f) for f in ("eddsa_poseidon_verify",
                                                                "eddsa_poseidon_verify_many")):
        return None
    return native


_WORD = 1 << 256


def _row(parsed) -> bytes | None:
    """msg || Ax || Ay || R8x || R8y || S (192 bytes), or None when a value does not fit 32
    bytes (then it is out of range and the signature invalid)."""
    msg, r8, s, pub = parsed
    values = (msg, pub[0], pub[1], r8[0], r8[1], s)
    if any(not 0 <= v < _WORD for v in values):
        return None
    return b"".join(v.to_bytes(32, "little") for v in values)


def verify_poseidon(msg: int, sig: Signature, pub) -> bool:
    """circomlibjs verifyPoseidon, as `verify_poseidon_python`, in the native extension when
    it is built (some 30 to 60 times faster: `python -m circuits.crypto.bench_eddsa`)."""
    native = _native()
    if native is None:
        return verify_poseidon_python(msg, sig, pub)
    parsed = _parse(msg, sig, pub)
    row = None if parsed is None else _row(parsed)
    if row is None:
        return False
    return native.eddsa_poseidon_verify(row[0:32], row[32:96], row[96:160], row[160:192])


def verify_poseidon_many(items) -> list[bool]:
    """[verify_poseidon(msg, sig, pub) for msg, sig, pub in items], in parallel when native."""
    items = list(items)
    native = _native()
    if native is None:
        return [verify_poseidon_python(msg, sig, pub) for msg, sig, pub in items]
    rows = []
    for msg, sig, pub in items:
        parsed = _parse(msg, sig, pub)
        rows.append(None if parsed is None else _row(parsed))
    good = [row for row in rows if row is not None]
    out = iter(native.eddsa_poseidon_verify_many(b"".join(good)) if good else b"")
    return [row is not None and next(out) == 1 for row in rows]


@dataclass(frozen=True)
class PrivateKey:
    """A Baby Jubjub EdDSA key: 32 secret bytes, used as circomlibjs uses them."""

    secret: bytes

    @classmethod
    def from_seed(cls, seed: bytes) -> "PrivateKey":
        """Deterministic key from a seed: secret = BLAKE2b-256(b"zkclear-key" || seed)."""
        return cls(hashlib.blake2b(b"zkclear-key" + seed, digest_size=32).digest())

    @cached_property
    def public_key(self) -> tuple[int, int]:
        return prv2pub(self.secret)

    def sign(self, msg: int) -> Signature:
        return sign_poseidon(self.secret, msg)

    def __repr__(self) -> str:  # never print the secret
        return f"PrivateKey(public_key={self.public_key})"
