"""Client-side signing: EdDSA-Poseidon signatures equal to `circuits.crypto.eddsa.sign_poseidon`
(the same deterministic nonce), some 20 times faster: the secret scalar and public key are
computed once per key, and r·Base8 uses a fixed-base table (32 windows of 8 bits, built
once per process). The tests compare it with `sign_poseidon`; clients, load tools and the
tests sign with it."""
from __future__ import annotations

from functools import lru_cache

from circuits.crypto import babyjub
from circuits.crypto.blake512 import blake512
from circuits.crypto.eddsa import PrivateKey, Signature, _secret_scalar
from circuits.crypto.poseidon import poseidon_hash
from prover.field import R

_ID = (0, 1, 0, 1)
_WINDOW = 8


class FixedBase:
    """k·P for a fixed point P, by table lookups: one addition per 8 bits of k."""

    def __init__(self, point, bits: int = 256):
        self.rows = []
        base = babyjub._to_ext(point)
        for _ in range((bits + _WINDOW - 1) // _WINDOW):
            row, acc = [_ID], _ID
            for _j in range(1, 1 << _WINDOW):
                acc = babyjub._ext_add(acc, base)
                row.append(acc)
            self.rows.append(row)
            base = babyjub._ext_add(acc, base)  # (2^8 - 1)·base + base
        self.max_bits = bits

    def mul(self, k: int) -> tuple[int, int]:
        assert 0 <= k < (1 << self.max_bits)
        acc, i, mask = _ID, 0, (1 << _WINDOW) - 1
        while k:
            acc = babyjub._ext_add(acc, self.rows[i][k & mask])
            k >>= _WINDOW
            i += 1
        return babyjub._from_ext(acc)


@lru_cache(maxsize=1)
def _base8() -> FixedBase:
    return FixedBase(babyjub.BASE8)


class Signer:
    """An account's signing key: `sign(msg)` == `sign_poseidon(secret, msg)`."""

    def __init__(self, secret: bytes):
        self._h, self._s = _secret_scalar(secret)
        self.public_key = _base8().mul(self._s >> 3)

    @classmethod
    def of(cls, key: PrivateKey) -> "Signer":
        return cls(key.secret)

    def sign(self, msg: int) -> Signature:
        if not 0 <= msg < R:
            raise ValueError("the message must be a field element")
        r = int.from_bytes(blake512(self._h[32:64] + msg.to_bytes(32, "little")), "little") % babyjub.SUBORDER
        r8 = _base8().mul(r)
        a = self.public_key
        hm = poseidon_hash([r8[0], r8[1], a[0], a[1], msg])
        return Signature(r8, (r + hm * self._s) % babyjub.SUBORDER)
