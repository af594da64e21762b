"""SHA-256 (FIPS 180-4) of a fixed-length bit string, and the big-endian byte plumbing around it.

    bits = be_bits(c, x, 32) + be_bits(c, n, 4) + ...   # the message, MSB of byte 0 first
    digest = sha256_bits(c, bits)                       # 256 bits, MSB of digest byte 0 first
    c.assert_equal(c.public_input("digest"), digest_to_field(c, digest))  # sha256 >> 3

Representation. A 32-bit word is a list of 32 bit-LCs, LSB first (index k weighs 2^k), so
ROTR/SHR are free rewiring and a word's value is the linear combination sum 2^k bit_k.
Constant bits (the IV, the padding, the round constants) are constant LCs, and every
operation below folds them, so the padding costs nothing and the first rounds of the first
block (whose state is the constant IV) are cheaper.

Constraints (all bits boolean by induction: message bits by the caller's guarantee, every
other bit either by the polynomial identity that defines it or by an explicit x(x-1) = 0):

- maj(x, y, z) = floor(s / 2) with s = x + y + z: one hinted signal m and ONE constraint
  s (s - 4m) == s - 6m, i.e. m (6 - 4s) == s - s^2. For s in {0, 1, 2, 3} the factor
  6 - 4s is a nonzero field element, so m = s (s - 1) / (4s - 6) is the only solution, and
  that is 0, 0, 1, 1: maj. (One product of two LCs cannot express maj, whose multilinear
  polynomial has degree 3; the rational form needs only s and m.)
- xor3(x, y, z) = s - 2 maj(x, y, z): the same one constraint per bit, for the four sigma
  functions (two inputs constant at an SHR position: linear, none).
- ch(e, f, g) = e (f - g) + g: 1 constraint.
- additions mod 2^32: the operands are added as ONE linear combination S (e.g. the new `a`
  is h + Sigma1(e) + Ch + K_t + W_t + Sigma0(a) + Maj, the new `e` is d + h + Sigma1 + Ch +
  K_t + W_t; T1 is never materialised). S's largest possible value M is known statically
  (each operand is a word of boolean bits, <= 2^32 - 1, or a constant, or an unreduced sum
  with its own bound), so S is split into n = bitlen(M) hinted bits, each constrained
  boolean, with sum 2^i b_i == S (one linear constraint, substituted away at --O2). The
  split is unique: both sides are integers below 2^n <= 2^37 << r, so the equation holds
  over the integers, and the low 32 bits are S mod 2^32. The carries are the bits 32..n-1:
  boolean, hence bounded (a field-element carry would let a prover pick any low word).
  Cost: n constraints (32 + 1..5 carries).
- words used only linearly are never split: the schedule words W_62, W_63 (no later sigma
  reads them) and the final round's a and e go unreduced into the next sum (the feed-forward
  H_i + a_64 is one split of H_i + T1 + T2), and so do the chaining values H3 and H7 of
  every block but the last (the next block reads them only as d and h of its first round
  and in its feed-forward).

So every signal the gadget makes is a product (defined by its constraint), a maj (pinned
by its constraint) or a hinted sum bit (boolean, and pinned by the unique split): nothing is
left free (tests/circuits/test_gadget_sha256.py runs assert_tamper_breaks over a block).
Per round 32 (Sigma1) + 32 (Ch) + 32 (Sigma0) + 32 (Maj) + 35 + 35 (the two splits); per
schedule word 32 + 32 + 34.

Cost (R1CS constraints after --O2, measured; circomlib's Sha256(nBits) compiled with circom2
--O2 beside it):

    one block, 32-byte message        16,989   circomlib Sha256(256)  29,380
    one block, 55-byte message        17,183
    two blocks, 64-byte message       30,123   circomlib Sha256(512)  59,281
    each further block of message     17,445   (a block of padding only: ~12.8k)
    251 bytes (tiny, 5 blocks)        82,386
    713 bytes (mainnet, 12 blocks)   208,706

The message bits themselves are the caller's: `be_bits` costs 8 nbytes constraints per field
(Num2Bits), about 516 for a 32-byte field element (Num2Bits_strict); `be_bits_of_bits` is
free for a value whose bits the circuit already has.
"""
from __future__ import annotations

from prover.field import R

from circuits.dsl import LC, Circuit, gadget

from .bits import FIELD_BITS, num2bits_strict, to_bits

# fmt: off
IV = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
K = (
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
)
# fmt: on
MASK32 = (1 << 32) - 1


def n_blocks(nbytes: int) -> int:
    """Compression blocks for an nbytes message (padding: 0x80, zeros, the 8-byte bit length)."""
    return (nbytes + 9 + 63) // 64


# --- words ---------------------------------------------------------------------------------
class _Word:
    """A 32-bit word: either split into bits (`bits`, LSB first) or an unreduced sum `lc` of
    operands whose integer value is <= `max` and congruent to the word mod 2^32."""

    __slots__ = ("bits", "lc", "max", "name")

    def __init__(self, bits=None, lc=None, max_=None, name=""):
        self.name = name
        if bits is not None:
            self._set_bits(bits)
        else:
            self.bits, self.lc, self.max = None, lc, max_

    def _set_bits(self, bits) -> None:
        self.bits = bits
        self.lc, self.max = _weighted(bits)

    @staticmethod
    def const(v: int) -> "_Word":
        return _Word([LC.of((v >> k) & 1) for k in range(32)])

    def split(self, c: Circuit) -> list[LC]:
        """The word's 32 bits, splitting the unreduced sum now if needed (bitlen(max) constraints)."""
        if self.bits is None:
            self._set_bits(_split(c, self.lc, self.max, self.name))
        return self.bits


def _weighted(bits) -> tuple[LC, int]:
    """(sum 2^k bits[k], its largest value over boolean bits)."""
    acc: dict[int, int] = {}
    mx = 0
    for k, b in enumerate(bits):
        w = 1 << k
        if b.is_constant():
            mx += b.constant_value() << k
        else:
            mx += w
        for s, v in b.terms.items():
            acc[s] = acc.get(s, 0) + v * w
    return LC({s: m for s, v in acc.items() if (m := v % R)}), mx


def _split(c: Circuit, total: LC, max_value: int, name: str) -> list[LC]:
    """The low 32 bits of the integer `total` (known to lie in [0, max_value]): all
    n = bitlen(max_value) bits hinted and constrained boolean, sum 2^i b_i == total."""
    if total.is_constant():
        v = total.constant_value()
        assert v <= max_value
        return [LC.of((v >> k) & 1) for k in range(32)]
    n = max(32, max_value.bit_length())
    assert n < FIELD_BITS - 1
    bits = c.hint(lambda v: [(v >> i) & 1 for i in range(n)], total, n=n,
                  names=[f"{name}[{i}]" for i in range(n)])
    for b in bits:
        c.assert_product(b, b - 1, 0)
    c.assert_equal(_weighted(bits)[0], total)
    return bits[:32]


def _sum(c: Circuit, words: list, name: str) -> _Word:
    """An unreduced sum of words and int constants (a lazy word: no constraint yet)."""
    acc: dict[int, int] = {}
    mx = 0
    for w in words:
        if isinstance(w, int):
            acc[0] = acc.get(0, 0) + w
            mx += w
        else:
            for s, v in w.lc.terms.items():
                acc[s] = acc.get(s, 0) + v
            mx += w.max
    lc = LC({s: m for s, v in acc.items() if (m := v % R)})
    return _Word(lc=lc, max_=mx, name=f"{c.gadget_path}.{name}")


def _rotr(x: list, n: int) -> list:
    return [x[(k + n) % 32] for k in range(32)]


def _shr(x: list, n: int) -> list:
    zero = LC()
    return [x[k + n] if k + n < 32 else zero for k in range(32)]


# --- bit functions -------------------------------------------------------------------------
def _lin(pairs) -> LC:
    """sum coeff * lc over (lc, coeff) pairs, accumulated in one dict."""
    acc: dict[int, int] = {}
    for lc, k in pairs:
        for sid, v in lc.terms.items():
            acc[sid] = acc.get(sid, 0) + v * k
    return LC({sid: m for sid, v in acc.items() if (m := v % R)})


def _majs(c: Circuit, triples: list) -> list[LC]:
    """maj(x, y, z) = floor(s / 2), s = x + y + z, for each boolean triple: ONE constraint each.

    m is hinted and pinned by s (s - 4m) == s - 6m, i.e. m (6 - 4s) == s - s^2: for s in
    {0, 1, 2, 3} the factor 6 - 4s is a nonzero field element, so m = s(s - 1) / (4s - 6)
    is the only solution: 0, 0, 1, 1 = floor(s / 2). Triples with at most one non-constant bit
    fold to linear combinations (no constraint)."""
    out: list = [None] * len(triples)
    todo, sums = [], []
    for i, triple in enumerate(triples):
        acc: dict[int, int] = {}
        nvar, k, var = 0, 0, None
        for x in triple:
            t = x.terms
            if len(t) > 1 or (len(t) == 1 and 0 not in t):
                nvar, var = nvar + 1, x
            else:
                k += t.get(0, 0)
            for sid, v in t.items():
                acc[sid] = acc.get(sid, 0) + v
        if nvar == 0:
            out[i] = LC.of(k // 2)
        elif nvar == 1:  # maj(v, constant bits summing to k) is 0, v, 1 for k = 0, 1, 2
            out[i] = (LC(), var, LC.of(1))[k]
        else:
            todo.append(i)
            sums.append(LC({sid: m for sid, v in acc.items() if (m := v % R)}))
    if todo:
        ms = c.hint(lambda *vs: [v // 2 for v in vs], *sums, n=len(todo),
                    names=[f"{c.gadget_path}.maj[{i}]" for i in todo])
        for i, s, m in zip(todo, sums, ms):
            c.assert_product(s, LC({**s.terms, m.id: R - 4}), LC({**s.terms, m.id: R - 6}))
            out[i] = m
    return out


def _xor3_word(c: Circuit, x: list, y: list, z: list) -> "_Word":
    """x ^ y ^ z bitwise: s - 2 maj(x, y, z) (s = x + y + z), one constraint per bit."""
    ms = _majs(c, list(zip(x, y, z)))
    return _Word([_lin(((x[k], 1), (y[k], 1), (z[k], 1), (ms[k], -2))) for k in range(32)])


def _ch_word(c: Circuit, e: list, f: list, g: list) -> "_Word":
    """(e & f) ^ (~e & g) = e (f - g) + g: one product per bit (none when f, g are constants)."""
    return _Word([c.mul(e[k], LC.of(f[k]) - g[k], plus=g[k]) for k in range(32)])


def _maj_word(c: Circuit, a: list, b: list, cc: list) -> "_Word":
    with c.scope("maj"):
        return _Word(_majs(c, list(zip(a, b, cc))))


def _big_sigma0(c, a):
    with c.scope("S0"):
        return _xor3_word(c, _rotr(a, 2), _rotr(a, 13), _rotr(a, 22))


def _big_sigma1(c, e):
    with c.scope("S1"):
        return _xor3_word(c, _rotr(e, 6), _rotr(e, 11), _rotr(e, 25))


def _small_sigma0(c, w):
    with c.scope("s0"):
        return _xor3_word(c, _rotr(w, 7), _rotr(w, 18), _shr(w, 3))


def _small_sigma1(c, w):
    with c.scope("s1"):
        return _xor3_word(c, _rotr(w, 17), _rotr(w, 19), _shr(w, 10))


# --- compression ---------------------------------------------------------------------------
def _compress(c: Circuit, state: list[_Word], block: list[_Word], last: bool = True) -> list[_Word]:
    """One SHA-256 compression: 8 state words and 16 message words -> 8 words, all split when
    `last`; otherwise H3 and H7 stay unreduced sums (the next block reads its d and h, and
    its own feed-forward reads them again, only linearly)."""
    w = list(block)
    a, b, cc, d, e, f, g, h = state
    for t in range(64):
        with c.scope(f"round{t}"):
            if t >= 16:
                wt = _sum(c, [_small_sigma1(c, w[t - 2].split(c)), w[t - 7],
                              _small_sigma0(c, w[t - 15].split(c)), w[t - 16]], "w")
                if t <= 61:  # read by a later sigma: split now, before the rounds add it
                    wt.split(c)
                w.append(wt)
            eb, ab = e.split(c), a.split(c)
            s1 = _big_sigma1(c, eb)
            ch = _ch_word(c, eb, f.split(c), g.split(c))
            s0 = _big_sigma0(c, ab)
            maj = _maj_word(c, ab, b.split(c), cc.split(c))
            t1 = [h, s1, ch, K[t], w[t]]
            new_e = _sum(c, [d] + t1, "e")
            new_a = _sum(c, t1 + [s0, maj], "a")
            if t < 63:  # the last round's a and e go unreduced into the feed-forward
                new_e.split(c)
                new_a.split(c)
            a, b, cc, d, e, f, g, h = new_a, a, b, cc, new_e, e, f, g
    with c.scope("feed_forward"):
        out = []
        for i, x in enumerate((a, b, cc, d, e, f, g, h)):
            s = _sum(c, [state[i], x], f"h{i}")
            if last or i not in (3, 7):
                s.split(c)
            out.append(s)
    return out


def _padded(bits: list) -> list[LC]:
    n = len(bits)
    total = 64 * 8 * n_blocks(n // 8)
    zeros = total - n - 1 - 64
    return list(bits) + [LC.of(1)] + [LC()] * zeros + [LC.of((n >> (63 - i)) & 1) for i in range(64)]


@gadget
def sha256_bits(c: Circuit, bits) -> list[LC]:
    """SHA-256 of the fixed-length message `bits` (MSB of byte 0 first; each assumed boolean,
    the caller's duty; len a multiple of 8). Returns the 256 digest bits, MSB of digest byte
    0 first, each constrained boolean. Padding is constant and costs nothing."""
    bits = [LC.of(b) for b in bits]
    if len(bits) % 8:
        raise ValueError(f"sha256_bits: {len(bits)} bits is not a whole number of bytes")
    padded = _padded(bits)
    state = [_Word.const(v) for v in IV]
    for i in range(len(padded) // 512):
        blk = padded[512 * i: 512 * (i + 1)]
        words = [_Word([blk[32 * t + 31 - k] for k in range(32)]) for t in range(16)]
        with c.scope(f"block{i}"):
            state = _compress(c, state, words, last=(i + 1) * 512 == len(padded))
    return [wd.bits[31 - k] for wd in state for k in range(32)]


# --- bytes <-> field elements --------------------------------------------------------------
@gadget
def be_bits(c: Circuit, x, nbytes: int) -> list[LC]:
    """The 8 * nbytes big-endian bits of x (MSB first), asserting x < 2^(8 nbytes).

    nbytes <= 31: Num2Bits(8 nbytes), 8 nbytes constraints, unique since 2^248 < r. nbytes >=
    32: the canonical 254-bit decomposition (Num2Bits_strict: x < r, so the bytes are the
    field element's own value, never x + r) with constant zero bits above."""
    if nbytes <= 0:
        raise ValueError("be_bits: nbytes must be positive")
    n = 8 * nbytes
    if n < FIELD_BITS:
        lsb = to_bits(c, x, n)
    else:
        lsb = num2bits_strict(c, x) + [LC()] * (n - FIELD_BITS)
    return lsb[::-1]


def be_bits_of_bits(bits_lsb_first, nbytes: int) -> list[LC]:
    """The big-endian 8 * nbytes bits (MSB first) of the number whose bits (LSB first, already
    constrained boolean by the caller, e.g. from `to_bits`) are given, zero-extended. Free."""
    bits = [LC.of(b) for b in bits_lsb_first]
    if len(bits) > 8 * nbytes:
        raise ValueError(f"be_bits_of_bits: {len(bits)} bits do not fit {nbytes} bytes")
    return [LC()] * (8 * nbytes - len(bits)) + bits[::-1]


def bytes_to_bits(data: bytes) -> list[int]:
    """Big-endian bits of bytes (MSB of byte 0 first): the `in` input of the `sha256` circuit."""
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def digest_to_field(c: Circuit, digest_bits, shift: int = 3) -> LC:
    """The big-endian integer of `digest_bits` (MSB first, boolean) shifted right by `shift`,
    as one linear combination (no constraint). Requires len - shift <= 253 so the value is
    below r and the map is injective."""
    keep = len(digest_bits) - shift
    if not 0 < keep <= FIELD_BITS - 1:
        raise ValueError(f"digest_to_field: {keep} bits do not fit below the field modulus")
    acc = LC()
    for i in range(keep):
        acc = acc + LC.of(digest_bits[i]) * (1 << (keep - 1 - i))
    return acc


__all__ = ["sha256_bits", "be_bits", "be_bits_of_bits", "bytes_to_bits", "digest_to_field", "n_blocks",
           "IV", "K"]
