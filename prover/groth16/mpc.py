"""snarkjs's phase-2 transcript (zkey section 10), so `snarkjs zkey verify` accepts our keys.

Section 10 = 64-byte circuit hash || u32 count || contribution records (snarkjs zkey_utils.js).

Circuit hash (zkey_new.js): blake2b-512 over the *initial* key (delta = 1) in snarkjs's
"uncompressed" encoding U (affine, big-endian standard form; G2 as x.c1 x.c0 y.c1 y.c0;
infinity as zeros), in this order:
   U(alpha1) U(beta1) U(beta2) U(G2) U(G1) U(G2)         gamma2, delta1, delta2 = generators
   be32(l+1) U(IC_i)...
   be32(n-1) U(tau^(n+i) G1 - tau^i G1) for i < N          from the ptau tau powers (section 2)
   be32(|C|) U(K_i)... (i > l, undivided)   be32(nVars) U(A_i)...   U(B1_i)...   U(B2_i)...
N is what zkey_new.js's hashHPoints really hashes: its chunk loop reads min(n-1, 2^14) points
per 2^14 step, so N = n-1 for n <= 2^14 and N = n (rounded up to 2^14) above. When n equals
the ptau's 2^power and n > 2^14, that reads one point past the section's end (snarkjs hashes
bytes of the next section); we cannot reproduce that and write no transcript there.

Contribution record (zkey_contribute.js, type 0), our delta as its private key:
   deltaAfter = delta G1, g1_s = s G1 (s = blake2b of delta, below), g1_sx = delta g1_s,
   transcript = blake2b-512(csHash || U(g1_s) || U(g1_sx)), g2_sp = hashToG2(transcript),
   g2_spx = delta g2_sp; written as LEM points deltaAfter, g1_s, g1_sx, g2_spx, then the
   transcript, u32 type 0, u32 params length, params (1, len, name).
hashToG2 (keypair.js): ChaCha20 (ffjavascript's) seeded with the transcript's first 8 big-endian
u32 words, then G2.fromRng: x from two Fq.fromRng (4 u64 words, each high u32 first, masked to
254 bits, rejected when >= q, and read as a *Montgomery* value: x = v / 2^256), one bool (low
bit of a u32) choosing the root y whose "isNegative" (Fq2: of c1, or of c0 when c1 = 0; Fq:
value > (q-1)/2) equals it, retried until x^3 + b is a square, then times the G2 cofactor.
prover/native/src/mpc.rs computes the same bytes.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Optional, Sequence

from prover.field import Q, R
from prover.groth16 import curve
from prover.groth16.curve import G1, G2, f2add, f2mul, f2sqr

HASH_CHUNK = 1 << 14
G2_COFACTOR = 0x30644e72e131a029b85045b68181585e06ceecda572a2489345f2299c0f9fa8d
CONTRIBUTION_NAME = b"zkclear"
_RQ_INV = pow((1 << 256) % Q, -1, Q)


def u_g1(p) -> bytes:
    return bytes(64) if p is None else p[0].to_bytes(32, "big") + p[1].to_bytes(32, "big")


def u_g2(p) -> bytes:
    if p is None:
        return bytes(128)
    (x0, x1), (y0, y1) = p
    return b"".join(c.to_bytes(32, "big") for c in (x1, x0, y1, y0))


def h_points_hashed(n: int) -> int:
    """How many points tau^(n+i) - tau^i zkey_new.js's hashHPoints hashes for domain n."""
    if n - 1 <= HASH_CHUNK:
        return n - 1
    return -(-(n - 1) // HASH_CHUNK) * HASH_CHUNK


def hashable(n: int, power: int) -> bool:
    """True when hashHPoints stays inside the ptau's 2^(power+1) - 1 tau powers."""
    return h_points_hashed(n) - 1 + n <= 2 ** (power + 1) - 2


def circuit_hash(alpha_1, beta_1, beta_2, ic, tau_g1: Sequence, n: int, k_c, a, b1, b2) -> bytes:
    """snarkjs's csHash; tau_g1 = the first h_points_hashed(n) + n tau powers in G1, k_c the
    undivided C points (delta = 1)."""
    h = hashlib.blake2b(digest_size=64)
    h.update(u_g1(alpha_1) + u_g1(beta_1) + u_g2(beta_2) + u_g2(curve.G2_GEN) + u_g1(curve.G1_GEN)
             + u_g2(curve.G2_GEN))
    h.update(struct.pack(">I", len(ic)) + b"".join(map(u_g1, ic)))
    cnt = h_points_hashed(n)
    jac = lambda p: G1.inf if p is None else (p[0], p[1], 1)
    diffs = G1.batch_to_affine([jac(tau_g1[i + n]) if tau_g1[i] is None
                                else G1.madd(jac(tau_g1[i + n]), G1.neg_affine(tau_g1[i])) for i in range(cnt)])
    h.update(struct.pack(">I", n - 1) + b"".join(map(u_g1, diffs)))
    for pts, enc in ((k_c, u_g1), (a, u_g1), (b1, u_g1), (b2, u_g2)):
        h.update(struct.pack(">I", len(pts)) + b"".join(map(enc, pts)))
    return h.digest()


class ChaCha:
    """ffjavascript's ChaCha20 stream (src/chacha.js): 20 rounds, counter in words 12..15."""

    def __init__(self, seed: Sequence[int]):
        self.state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *seed, 0, 0, 0, 0]
        self.buff: list[int] = []
        self.idx = 16

    @staticmethod
    def _qr(s, a, b, c, d):
        M = 0xFFFFFFFF
        s[a] = (s[a] + s[b]) & M; s[d] ^= s[a]; s[d] = ((s[d] << 16) | (s[d] >> 16)) & M
        s[c] = (s[c] + s[d]) & M; s[b] ^= s[c]; s[b] = ((s[b] << 12) | (s[b] >> 20)) & M
        s[a] = (s[a] + s[b]) & M; s[d] ^= s[a]; s[d] = ((s[d] << 8) | (s[d] >> 24)) & M
        s[c] = (s[c] + s[d]) & M; s[b] ^= s[c]; s[b] = ((s[b] << 7) | (s[b] >> 25)) & M

    def _update(self):
        b = list(self.state)
        for _ in range(10):
            for q in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                      (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
                self._qr(b, *q)
        self.buff = [(x + y) & 0xFFFFFFFF for x, y in zip(b, self.state)]
        self.idx = 0
        for i in range(12, 16):
            self.state[i] = (self.state[i] + 1) & 0xFFFFFFFF
            if self.state[i]:
                break

    def next_u32(self) -> int:
        if self.idx == 16:
            self._update()
        v = self.buff[self.idx]
        self.idx += 1
        return v

    def next_u64(self) -> int:
        hi = self.next_u32()
        return hi * 2 ** 32 + self.next_u32()


def fq_from_rng(rng: ChaCha) -> int:
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= (1 << 254) - 1
        if v < Q:
            return v * _RQ_INV % Q


def _fq_sqrt(a: int) -> Optional[int]:
    r = pow(a, (Q + 1) // 4, Q)
    return r if r * r % Q == a % Q else None


def _f2_sqrt(a) -> Optional[tuple]:
    a0, a1 = a
    if a1 == 0:
        r = _fq_sqrt(a0)
        if r is not None:
            return (r, 0)
        r = _fq_sqrt(-a0 % Q)
        return None if r is None else (0, r)
    n = _fq_sqrt((a0 * a0 + a1 * a1) % Q)
    if n is None:
        return None
    inv2 = (Q + 1) // 2
    x0 = _fq_sqrt((a0 + n) * inv2 % Q)
    if x0 is None:
        x0 = _fq_sqrt((a0 - n) * inv2 % Q)
    x1 = a1 * pow(2 * x0, -1, Q) % Q
    assert f2sqr((x0, x1)) == (a0 % Q, a1 % Q)
    return (x0, x1)


def _fq_neg(v: int) -> bool:
    return v > (Q - 1) // 2


def hash_to_g2(transcript: bytes):
    """snarkjs keypair.js hashToG2: an affine G2 point from a 64-byte hash."""
    rng = ChaCha(struct.unpack(">8I", transcript[:32]))
    while True:
        x = (fq_from_rng(rng), fq_from_rng(rng))
        greatest = rng.next_u32() & 1 == 1
        y = _f2_sqrt(f2add(f2mul(f2sqr(x), x), curve.B2))
        if y is not None:
            break
    neg = _fq_neg(y[1]) if y[1] else _fq_neg(y[0])
    if neg != greatest:
        y = (-y[0] % Q, -y[1] % Q)
    return G2.to_affine(curve.scalar_mul_raw(G2, (x, y), G2_COFACTOR))


def g1_s_scalar(delta: int) -> int:
    """The contribution's g1_s = s G1: s is derived from delta (snarkjs draws it from the same
    rng as delta), so one secret fixes the whole key and the backends agree."""
    d = hashlib.blake2b(b"zkclear phase2 g1_s" + (delta % R).to_bytes(32, "little"), digest_size=64).digest()
    return int.from_bytes(d, "little") % R or 1


def contribution(cs_hash: bytes, delta: int, name: bytes = CONTRIBUTION_NAME) -> bytes:
    """u32 1 and one type-0 contribution record with private key delta (section 10 tail)."""
    from prover.formats.zkey import encode_g1s, encode_g2s
    delta %= R
    g1 = lambda k: G1.to_affine(curve.scalar_mul(G1, curve.G1_GEN, k))
    s = g1_s_scalar(delta)
    g1_s, g1_sx = g1(s), g1(s * delta % R)
    transcript = hashlib.blake2b(cs_hash + u_g1(g1_s) + u_g1(g1_sx), digest_size=64).digest()
    g2_spx = G2.to_affine(curve.scalar_mul(G2, hash_to_g2(transcript), delta))
    params = bytes([1, len(name)]) + name
    return (struct.pack("<I", 1) + encode_g1s([g1(delta), g1_s, g1_sx]) + encode_g2s([g2_spx]) + transcript
            + struct.pack("<II", 0, len(params)) + params)
