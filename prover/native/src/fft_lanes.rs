//! fft.rs's coset transform in AVX-512 IFMA lanes (lanes.rs's core, over Fr): eight butterflies
//! at once, where the CPU has it and `lanes::enabled()`.
//!
//! **The data stays arkworks Fr.** A lane product is a·b/2^260 on Montgomery integers; with b
//! the *scaled* twiddle 16·w (integer w·2^260) and a the arkworks integer x·2^256 it gives
//! x·w·2^256: arkworks' own form of x·w. So only the twiddle tables are scaled (once per
//! domain, `LaneTables`); the values move between the array and the lanes by re-slicing bits
//! (4×64 <-> 5×52), and come out the same bytes as fft.rs's scalar path.
//!
//! **Lazy values.** Between stages a value may be any integer below 4r (< 2^256, so it still
//! fits an Fr's four words in memory): Harvey's butterflies keep it there with one conditional
//! subtraction each. DIF (inputs < 2r): u + v reduced below 2r, (u − v + 2r)·w < 2r. DIT
//! (inputs < 4r): u reduced below 2r, t = v·w < 2r, u + t and u − t + 2r below 4r. The last pass
//! reduces every value below r.
//!
//! **Walk.** As fft.rs: the stages longer than a block go over the whole array two at a time
//! (radix-4) or one, eight consecutive quartets / pairs in the lanes, their twiddles eight
//! consecutive entries of the stage's own table (fft.rs reads one strided table, ω_2n^k; in
//! lanes those strided reads, gathered, took two thirds of a pass at 2^20). The rest run on
//! eight blocks of BLOCK values at once, lane j holding block j (gathered into limb form once,
//! all of both directions' in-block stages done in lanes with one broadcast twiddle per
//! butterfly, scattered back once).
//!
//! **Memory.** The two per-stage tables take 64 bytes a point (fft.rs's one table 32): 256 MiB
//! at 2^22, made in lanes (a product per eight entries) the first time a transform needs them.
#![allow(clippy::needless_range_loop)]
use crate::lanes::{add, canon, cond_sub, mul, splat, sub, Fe, FrMod, Modulus, M52};
use ark_bn254::Fr;
use ark_ff::Field;
use crate::fft::{for_each_pair_run, for_each_quartet_run};
use rayon::prelude::*;
use std::arch::x86_64::*;

const R2: [u64; 5] = FrMod::M2;
/// Values of one lane's block: eight blocks in limb form take 8·BLOCK·40 bytes (320 KB).
/// 2^8..2^12 timed within 10% at 2^20 points once the twiddles were contiguous.
const BLOCK: usize = 1 << 10;
/// Quartets (pairs) of a whole-array pass per parallel task.
const CHUNK: usize = 1 << 10;

const _: () = assert!(std::mem::size_of::<Fr>() == 32);

/// The transform of `n` values in lanes, or None below the sizes the walk needs (8 blocks of
/// at least 16 values).
pub fn block_len(n: usize) -> Option<usize> {
    let b = BLOCK.min(n / 8);
    (b >= 16).then_some(b)
}

/// One domain's twiddles in the lanes' form, each stage's contiguous (eight of them one
/// load), times 16: at [L/2, L) for the stage of length L, as fft.rs's in-block tables but
/// for every L up to n (n − 1 entries each). Stage n's two are powers (lane chains), the
/// others copies out of the next longer DIF table.
pub struct LaneTables {
    /// 16·ω_L^−i, i < L/2 (the DIF's)
    dif: Vec<Fr>,
    /// 16·ω_2L^(2m+1), m < L/2 (the coset DIT's)
    dit: Vec<Fr>,
    /// the same up to L = block, in limbs (broadcast in the blocks)
    dif_small: Vec<[u64; 5]>,
    dit_small: Vec<[u64; 5]>,
}

/// An Fr's 256 bits in 52-bit limbs.
#[inline(always)]
fn limbs(x: &Fr) -> [u64; 5] {
    let w = &(x.0).0;
    [w[0] & M52, (w[0] >> 52 | w[1] << 12) & M52, (w[1] >> 40 | w[2] << 24) & M52, (w[2] >> 28 | w[3] << 36) & M52, w[3] >> 16]
}

impl LaneTables {
    /// For the n-point domain, g = ω_2n; the in-block tables up to stage length `block`.
    pub fn new(g: Fr, n: usize, block: usize) -> Self {
        let sixteen = Fr::from(16u64);
        let mut dif = vec![Fr::from(0u64); n];
        let mut dit = vec![Fr::from(0u64); n];
        let (half, wn) = (n / 2, g.square());
        powers(&mut dif[half..], sixteen, wn.inverse().expect("a root of unity"));
        powers(&mut dit[half..], sixteen * g, wn);
        // the shorter stages from the next longer DIF table (copies, no products):
        // ω_L^−i = ω_2L^−2i, and ω_2L^(2m+1) = −ω_2L^−(L−1−2m) (ω_2L^L = −1)
        let mut len = half;
        while len >= 2 {
            let h = len / 2;
            let (lo, longer) = dif.split_at_mut(len);
            let longer = &longer[..len];
            lo[h..].par_iter_mut().with_min_len(1 << 12).enumerate().for_each(|(i, x)| *x = longer[2 * i]);
            dit[h..len].par_iter_mut().with_min_len(1 << 12).enumerate().for_each(|(m, x)| *x = -longer[len - 1 - 2 * m]);
            len = h;
        }
        let small = |t: &[Fr]| t[..block].iter().map(limbs).collect();
        LaneTables { dif_small: small(&dif), dit_small: small(&dit), dif, dit }
    }
}

/// out[k] = c·base^k (c scaled by 16 or not, as the caller wants): in parallel runs, each
/// from one power, then in lanes four chains of eight stepping 32 entries a product.
fn powers(out: &mut [Fr], c: Fr, base: Fr) {
    const RUN: usize = 1 << 12;
    out.par_chunks_mut(RUN).enumerate().for_each(|(r, run)| {
        let mut x = c * base.pow([(r * RUN) as u64]);
        let head = if run.len() % 32 == 0 && crate::lanes::supported() { 32 } else { run.len() };
        for y in &mut run[..head] {
            *y = x;
            x *= base;
        }
        if head < run.len() {
            let step = limbs(&(base.pow([32u64]) * Fr::from(16u64)));
            unsafe { powers_run(run, &step) };
        }
    });
}

/// run[k] = run[k − 32]·(step / 16) for k ≥ 32, the first 32 given; len a multiple of 32.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn powers_run(run: &mut [Fr], step: &[u64; 5]) {
    let s = bcast(step);
    let p = run.as_mut_ptr();
    let mut v = [load8(p), load8(p.add(8)), load8(p.add(16)), load8(p.add(24))];
    for k in (32..run.len()).step_by(32) {
        for c in 0..4 {
            v[c] = mulr(&v[c], &s);
            store8(p.add(k + 8 * c), &canon::<FrMod>(&v[c]));
        }
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn idx(v: [i64; 8]) -> __m512i {
    _mm512_loadu_si512(v.as_ptr() as *const _)
}

/// Four vectors of words (word k of element j in lane j of w[k]) -> limbs.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn split(w: [__m512i; 4]) -> Fe {
    let m = splat(M52);
    [
        _mm512_and_si512(w[0], m),
        _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[0], 52), _mm512_slli_epi64(w[1], 12)), m),
        _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[1], 40), _mm512_slli_epi64(w[2], 24)), m),
        _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(w[2], 28), _mm512_slli_epi64(w[3], 36)), m),
        _mm512_srli_epi64(w[3], 16),
    ]
}

/// Limbs (each below 2^52, the value below 2^256) -> four vectors of words.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn join(l: &Fe) -> [__m512i; 4] {
    [
        _mm512_or_si512(l[0], _mm512_slli_epi64(l[1], 52)),
        _mm512_or_si512(_mm512_srli_epi64(l[1], 12), _mm512_slli_epi64(l[2], 40)),
        _mm512_or_si512(_mm512_srli_epi64(l[2], 24), _mm512_slli_epi64(l[3], 28)),
        _mm512_or_si512(_mm512_srli_epi64(l[3], 36), _mm512_slli_epi64(l[4], 16)),
    ]
}

/// Eight consecutive Fr at p -> lanes (a 4×8 transpose of words in eight permutes).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn load8(p: *const Fr) -> Fe {
    let q = p as *const __m512i;
    let (z0, z1, z2, z3) = (_mm512_loadu_si512(q as *const _), _mm512_loadu_si512(q.add(1) as *const _), _mm512_loadu_si512(q.add(2) as *const _), _mm512_loadu_si512(q.add(3) as *const _));
    let (ia, ib) = (idx([0, 4, 8, 12, 1, 5, 9, 13]), idx([2, 6, 10, 14, 3, 7, 11, 15]));
    let (lo, hi) = (idx([0, 1, 2, 3, 8, 9, 10, 11]), idx([4, 5, 6, 7, 12, 13, 14, 15]));
    let a0 = _mm512_permutex2var_epi64(z0, ia, z1);
    let a1 = _mm512_permutex2var_epi64(z0, ib, z1);
    let b0 = _mm512_permutex2var_epi64(z2, ia, z3);
    let b1 = _mm512_permutex2var_epi64(z2, ib, z3);
    split([_mm512_permutex2var_epi64(a0, lo, b0), _mm512_permutex2var_epi64(a0, hi, b0), _mm512_permutex2var_epi64(a1, lo, b1), _mm512_permutex2var_epi64(a1, hi, b1)])
}

/// Lanes -> eight consecutive Fr at p (the values' bits as they are: reduce first for an output).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn store8(p: *mut Fr, v: &Fe) {
    let w = join(v);
    let (ia, ib) = (idx([0, 4, 8, 12, 1, 5, 9, 13]), idx([2, 6, 10, 14, 3, 7, 11, 15]));
    let (lo, hi) = (idx([0, 1, 2, 3, 8, 9, 10, 11]), idx([4, 5, 6, 7, 12, 13, 14, 15]));
    let a0 = _mm512_permutex2var_epi64(w[0], lo, w[1]);
    let b0 = _mm512_permutex2var_epi64(w[0], hi, w[1]);
    let a1 = _mm512_permutex2var_epi64(w[2], lo, w[3]);
    let b1 = _mm512_permutex2var_epi64(w[2], hi, w[3]);
    let q = p as *mut __m512i;
    _mm512_storeu_si512(q as *mut _, _mm512_permutex2var_epi64(a0, ia, a1));
    _mm512_storeu_si512(q.add(1) as *mut _, _mm512_permutex2var_epi64(a0, ib, a1));
    _mm512_storeu_si512(q.add(2) as *mut _, _mm512_permutex2var_epi64(b0, ia, b1));
    _mm512_storeu_si512(q.add(3) as *mut _, _mm512_permutex2var_epi64(b0, ib, b1));
}

/// The Fr at base[off_j / 4] for the eight word offsets `off` (multiples of 4) -> lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn gather8(base: *const u64, off: __m512i) -> Fe {
    let b = base as *const i64;
    split([
        _mm512_i64gather_epi64::<8>(off, b as *const _),
        _mm512_i64gather_epi64::<8>(off, b.add(1) as *const _),
        _mm512_i64gather_epi64::<8>(off, b.add(2) as *const _),
        _mm512_i64gather_epi64::<8>(off, b.add(3) as *const _),
    ])
}

/// Lanes -> the Fr at base[off_j / 4].
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn scatter8(base: *mut u64, off: __m512i, v: &Fe) {
    let w = join(v);
    let b = base as *mut i64;
    for k in 0..4 {
        _mm512_i64scatter_epi64::<8>(b.add(k) as *mut _, off, w[k]);
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn bcast(l: &[u64; 5]) -> Fe {
    [splat(l[0]), splat(l[1]), splat(l[2]), splat(l[3]), splat(l[4])]
}

/// v mod 2r for v < 4r.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn red(v: &Fe) -> Fe {
    cond_sub(v, &R2)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mulr(a: &Fe, b: &Fe) -> Fe {
    mul::<FrMod>(a, b)
}

/// (lo, hi) of a Harvey DIF butterfly: (u + v mod 2r, (u − v)·w), inputs below 2r. A macro,
/// not a function: a `#[target_feature]` function cannot be `#[inline(always)]`, and LLVM
/// left these calls (a product each) out of line, their 15 vectors passed through memory.
macro_rules! dif_bfly {
    ($u:expr, $v:expr, $w:expr) => {{
        let (u, v, w): (&Fe, &Fe, &Fe) = ($u, $v, $w);
        (red(&add(u, v)), mulr(&sub(u, v, &R2), w))
    }};
}

/// (lo, hi) of a Harvey DIT butterfly: (u + v·w, u − v·w), inputs and outputs below 4r.
macro_rules! dit_bfly {
    ($u:expr, $v:expr, $w:expr) => {{
        let (u, v, w): (&Fe, &Fe, &Fe) = ($u, $v, $w);
        let t = mulr(v, w);
        let u = red(u);
        (add(&u, &t), sub(&u, &t, &R2))
    }};
}

/// What the whole-array passes need of the transform.
struct Walk<'a> {
    t: &'a LaneTables,
}

impl Walk<'_> {
    /// 16·ω_L^−(i+l) for l < 8, stage length L.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dif_tw(&self, len: usize, i: usize) -> Fe {
        load8(self.t.dif.as_ptr().add(len / 2 + i))
    }

    /// 16·ω_2L^(2(m+l)+1) for l < 8, stage length L.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dit_tw(&self, len: usize, m: usize) -> Fe {
        load8(self.t.dit.as_ptr().add(len / 2 + m))
    }

    /// fft.rs's dif_pass4 on a run of quartets starting at j0.
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dif4(&self, c: [&mut [Fr]; 4], j0: usize, q: usize) {
        let [c0, c1, c2, c3] = c;
        for k in (0..c0.len()).step_by(8) {
            let j = j0 + k;
            let (p0, p1, p2, p3) = (c0.as_mut_ptr().add(k), c1.as_mut_ptr().add(k), c2.as_mut_ptr().add(k), c3.as_mut_ptr().add(k));
            let (u0, u1, u2, u3) = (load8(p0), load8(p1), load8(p2), load8(p3));
            // stage len: (j, j+2q) with ω_len^−j, (j+q, j+3q) with ω_len^−(j+q); stage len/2:
            // (j, j+q) and (j+2q, j+3q) with ω_(len/2)^−j
            let (y0, y2) = dif_bfly!(&u0, &u2, &self.dif_tw(4 * q, j));
            let (y1, y3) = dif_bfly!(&u1, &u3, &self.dif_tw(4 * q, j + q));
            let w = self.dif_tw(2 * q, j);
            let (o0, o1) = dif_bfly!(&y0, &y1, &w);
            let (o2, o3) = dif_bfly!(&y2, &y3, &w);
            store8(p0, &o0);
            store8(p1, &o1);
            store8(p2, &o2);
            store8(p3, &o3);
        }
    }

    /// fft.rs's dif_pass2 on a run of pairs starting at i0.
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dif2(&self, l: &mut [Fr], h: &mut [Fr], i0: usize, len: usize) {
        for k in (0..l.len()).step_by(8) {
            let (pl, ph) = (l.as_mut_ptr().add(k), h.as_mut_ptr().add(k));
            let (u, v) = (load8(pl), load8(ph));
            let (lo, hi) = dif_bfly!(&u, &v, &self.dif_tw(len, i0 + k));
            store8(pl, &lo);
            store8(ph, &hi);
        }
    }

    /// fft.rs's dit_pass4 on a run of quartets starting at j0; `last` reduces below r.
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dit4(&self, c: [&mut [Fr]; 4], j0: usize, q: usize, last: bool) {
        let [c0, c1, c2, c3] = c;
        for k in (0..c0.len()).step_by(8) {
            let j = j0 + k;
            let (p0, p1, p2, p3) = (c0.as_mut_ptr().add(k), c1.as_mut_ptr().add(k), c2.as_mut_ptr().add(k), c3.as_mut_ptr().add(k));
            let (u0, u1, u2, u3) = (load8(p0), load8(p1), load8(p2), load8(p3));
            // stage len/2: (j, j+q) and (j+2q, j+3q) with ω_len^(2j+1); stage len: (j, j+2q)
            // with ω_2len^(2j+1), (j+q, j+3q) with ω_2len^(2(j+q)+1)
            let w = self.dit_tw(2 * q, j);
            let (y0, y1) = dit_bfly!(&u0, &u1, &w);
            let (y2, y3) = dit_bfly!(&u2, &u3, &w);
            let (mut o0, mut o2) = dit_bfly!(&y0, &y2, &self.dit_tw(4 * q, j));
            let (mut o1, mut o3) = dit_bfly!(&y1, &y3, &self.dit_tw(4 * q, j + q));
            if last {
                (o0, o1, o2, o3) = (canon::<FrMod>(&o0), canon::<FrMod>(&o1), canon::<FrMod>(&o2), canon::<FrMod>(&o3));
            }
            store8(p0, &o0);
            store8(p1, &o1);
            store8(p2, &o2);
            store8(p3, &o3);
        }
    }

    /// fft.rs's dit_pass2 on a run of pairs starting at i0; `last` reduces below r.
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn dit2(&self, l: &mut [Fr], h: &mut [Fr], i0: usize, len: usize, last: bool) {
        for k in (0..l.len()).step_by(8) {
            let (pl, ph) = (l.as_mut_ptr().add(k), h.as_mut_ptr().add(k));
            let (u, v) = (load8(pl), load8(ph));
            let (mut lo, mut hi) = dit_bfly!(&u, &v, &self.dit_tw(len, i0 + k));
            if last {
                (lo, hi) = (canon::<FrMod>(&lo), canon::<FrMod>(&hi));
            }
            store8(pl, &lo);
            store8(ph, &hi);
        }
    }
}

/// Eight blocks of `b` values (lane j: blk[j·b ..]), the DIF stages of length b down to 2 then
/// the coset-DIT ones of length 2 up to b (fft.rs's dif_block + dit_block), in limb form.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn blocks8(blk: &mut [Fr], b: usize, t: &LaneTables, buf: &mut Vec<Fe>) {
    debug_assert_eq!(blk.len(), 8 * b);
    let off = idx(std::array::from_fn(|j| (j * b * 4) as i64));
    let base = blk.as_mut_ptr() as *mut u64;
    buf.clear();
    for i in 0..b {
        buf.push(gather8(base.add(4 * i), off));
    }
    let v = &mut buf[..];
    let mut half = b / 2;
    while half >= 1 {
        for s in (0..b).step_by(2 * half) {
            let (u, w) = (v[s], v[s + half]);
            v[s] = red(&add(&u, &w));
            v[s + half] = red(&sub(&u, &w, &R2));
            for i in 1..half {
                let (lo, hi) = dif_bfly!(&v[s + i], &v[s + i + half], &bcast(&t.dif_small[half + i]));
                v[s + i] = lo;
                v[s + i + half] = hi;
            }
        }
        half /= 2;
    }
    let mut half = 1;
    while half < b {
        for s in (0..b).step_by(2 * half) {
            for i in 0..half {
                let (lo, hi) = dit_bfly!(&v[s + i], &v[s + i + half], &bcast(&t.dit_small[half + i]));
                v[s + i] = lo;
                v[s + i + half] = hi;
            }
        }
        half *= 2;
    }
    for i in 0..b {
        scatter8(base.add(4 * i), off, &v[i]);
    }
}

/// n times the coset evaluations (fft.rs's `coset_unscaled`), in lanes. Needs
/// `lanes::supported()` and `block_len(n)`.
pub fn coset_unscaled(a: &mut [Fr], t: &LaneTables) {
    let n = a.len();
    let b = block_len(n).expect("a size the lanes walk");
    let w = Walk { t };
    let outer = (n / b).trailing_zeros();
    let mut len = n;
    for _ in 0..outer / 2 {
        let q = len / 4;
        for_each_quartet_run(a, len, |j, c| unsafe { w.dif4(c, j, q) });
        len /= 4;
    }
    if outer % 2 == 1 {
        for_each_pair_run(a, len, |i, l, h| unsafe { w.dif2(l, h, i, len) });
    }
    a.par_chunks_mut(8 * b).for_each_init(Vec::new, |buf, blk| unsafe { blocks8(blk, b, t, buf) });
    let mut len = 2 * b;
    if outer % 2 == 1 {
        let last = len == n;
        for_each_pair_run(a, len, |i, l, h| unsafe { w.dit2(l, h, i, len, last) });
        len *= 2;
    }
    for _ in 0..outer / 2 {
        let q = len / 2;
        let last = len * 2 == n;
        for_each_quartet_run(a, len * 2, |j, c| unsafe { w.dit4(c, j, q, last) });
        len *= 4;
    }
}

/// a[i] ·= s, every value reduced below r (fft.rs's `to_coset` scaling). len a multiple of 8.
pub fn scale(a: &mut [Fr], s: Fr) {
    let s16 = limbs(&(s * Fr::from(16u64)));
    a.par_chunks_mut(CHUNK).for_each(|a| unsafe { scale_run(a, &s16) });
}

#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn scale_run(a: &mut [Fr], s16: &[u64; 5]) {
    let s = bcast(s16);
    for k in (0..a.len()).step_by(8) {
        let p = a.as_mut_ptr().add(k);
        store8(p, &canon::<FrMod>(&mulr(&load8(p), &s)));
    }
}

/// a[i] = (a[i]·b[i]·s − c[i])·s, reduced below r (fft.rs's `h_values` product). Lengths equal,
/// a multiple of 8. A lane product of two arkworks values is their product / 16, so a·b·s is
/// lane(lane(a, b), 256·s) and (v − c)·s is lane(v − c, 16·s).
pub fn h_combine(a: &mut [Fr], b: &[Fr], c: &[Fr], s: Fr) {
    assert!(a.len() == b.len() && a.len() == c.len() && a.len().is_multiple_of(8));
    let s16 = limbs(&(s * Fr::from(16u64)));
    let s256 = limbs(&(s * Fr::from(256u64)));
    a.par_chunks_mut(CHUNK).zip(b.par_chunks(CHUNK)).zip(c.par_chunks(CHUNK)).for_each(|((a, b), c)| unsafe { h_combine_run(a, b, c, &s16, &s256) });
}

#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn h_combine_run(a: &mut [Fr], b: &[Fr], c: &[Fr], s16: &[u64; 5], s256: &[u64; 5]) {
    let (s16, s256) = (bcast(s16), bcast(s256));
    for k in (0..a.len()).step_by(8) {
        let p = a.as_mut_ptr().add(k);
        let abs = mulr(&mulr(&load8(p), &load8(b.as_ptr().add(k))), &s256);
        let h = mulr(&sub(&abs, &load8(c.as_ptr().add(k)), &R2), &s16);
        store8(p, &canon::<FrMod>(&h));
    }
}

/// Whether `scale_and_product` / `product` run in lanes for n values.
pub fn products_in_lanes(n: usize) -> bool {
    n >= 8 && n.is_multiple_of(8) && crate::lanes::enabled()
}

/// a ·= s, b ·= s and their product (a·s)(b·s), reduced below r (zkey_map.rs's witness
/// products: the key's coefficients carry an extra factor R, s = R⁻¹). A lane product is
/// the arkworks values' product / 16: a·s = lane(a, 16s), and (a·s)(b·s) = lane(lane(a, b),
/// 256s²). Needs `products_in_lanes(n)`.
pub fn scale_and_product(a: &mut [Fr], b: &mut [Fr], s: Fr) -> Vec<Fr> {
    assert!(a.len() == b.len() && a.len().is_multiple_of(8));
    let s16 = limbs(&(s * Fr::from(16u64)));
    let ss256 = limbs(&(s * s * Fr::from(256u64)));
    let mut c = vec![Fr::from(0u64); a.len()];
    c.par_chunks_mut(CHUNK).zip(a.par_chunks_mut(CHUNK)).zip(b.par_chunks_mut(CHUNK)).for_each(|((c, a), b)| unsafe {
        scale_and_product_run(c, a, b, &s16, &ss256)
    });
    c
}

#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn scale_and_product_run(c: &mut [Fr], a: &mut [Fr], b: &mut [Fr], s16: &[u64; 5], ss256: &[u64; 5]) {
    let (s16, ss256) = (bcast(s16), bcast(ss256));
    for k in (0..a.len()).step_by(8) {
        let (pa, pb) = (a.as_mut_ptr().add(k), b.as_mut_ptr().add(k));
        let (x, y) = (load8(pa), load8(pb));
        store8(c.as_mut_ptr().add(k), &canon::<FrMod>(&mulr(&mulr(&x, &y), &ss256)));
        store8(pa, &canon::<FrMod>(&mulr(&x, &s16)));
        store8(pb, &canon::<FrMod>(&mulr(&y, &s16)));
    }
}

/// a∘b, reduced below r: lane(lane(a, b), 256) (coef_rows.rs's witness products). Needs
/// `products_in_lanes(n)`.
pub fn product(a: &[Fr], b: &[Fr]) -> Vec<Fr> {
    assert!(a.len() == b.len() && a.len().is_multiple_of(8));
    let k256 = limbs(&Fr::from(256u64));
    let mut c = vec![Fr::from(0u64); a.len()];
    c.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK)).zip(b.par_chunks(CHUNK)).for_each(|((c, a), b)| unsafe { product_run(c, a, b, &k256) });
    c
}

#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn product_run(c: &mut [Fr], a: &[Fr], b: &[Fr], k256: &[u64; 5]) {
    let k = bcast(k256);
    for i in (0..a.len()).step_by(8) {
        let ab = mulr(&load8(a.as_ptr().add(i)), &load8(b.as_ptr().add(i)));
        store8(c.as_mut_ptr().add(i), &canon::<FrMod>(&mulr(&ab, &k)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{UniformRand, Zero};
    use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

    #[test]
    fn fr_lane_products_match_arkworks() {
        if !crate::lanes::supported() {
            return;
        }
        let mut rng = ark_std::test_rng();
        let sixteen = Fr::from(16u64);
        for round in 0..50 {
            let mut a: [Fr; 8] = std::array::from_fn(|_| Fr::rand(&mut rng));
            let b: [Fr; 8] = std::array::from_fn(|_| Fr::rand(&mut rng));
            if round == 0 {
                a[..3].copy_from_slice(&[Fr::zero(), Fr::from(1u64), -Fr::from(1u64)]);
            }
            let sb = b.map(|v| v * sixteen);
            let mut out = [Fr::zero(); 8];
            unsafe { store8(out.as_mut_ptr(), &canon::<FrMod>(&mulr(&load8(a.as_ptr()), &load8(sb.as_ptr())))) };
            for j in 0..8 {
                assert_eq!(out[j], a[j] * b[j]);
            }
        }
    }

    #[test]
    fn lane_witness_products_match_arkworks() {
        if !crate::lanes::supported() {
            return;
        }
        let mut rng = ark_std::test_rng();
        let n = 4096 + 8;
        let a: Vec<Fr> = (0..n).map(|i| if i % 7 == 0 { -Fr::from(i as u64) } else { Fr::rand(&mut rng) }).collect();
        let b: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let s = Fr::rand(&mut rng);
        let want_c: Vec<Fr> = a.iter().zip(&b).map(|(x, y)| *x * y).collect();
        assert!(product(&a, &b) == want_c);
        let (mut sa, mut sb) = (a.clone(), b.clone());
        let c = scale_and_product(&mut sa, &mut sb, s);
        assert!(sa.iter().zip(&a).all(|(x, y)| *x == *y * s) && sb.iter().zip(&b).all(|(x, y)| *x == *y * s));
        assert!(c.iter().zip(&want_c).all(|(x, y)| *x == *y * s * s));
    }

    /// n times the coset evaluations, as arkworks makes them: interpolate, evaluate on g·ω^i.
    #[test]
    fn lane_transform_matches_arkworks() {
        if !crate::lanes::supported() {
            return;
        }
        let mut rng = ark_std::test_rng();
        for log_n in [7, 8, 11, 13, 14] {
            let n = 1usize << log_n;
            let d = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
            let g = Radix2EvaluationDomain::<Fr>::new(2 * n).unwrap().group_gen();
            let evals: Vec<Fr> = (0..n).map(|i| if i % 5 == 0 { -Fr::from(i as u64) } else { Fr::rand(&mut rng) }).collect();
            let mut want = d.ifft(&evals);
            d.get_coset(g).unwrap().fft_in_place(&mut want);
            let nn = Fr::from(n as u64);
            let want: Vec<Fr> = want.into_iter().map(|x| x * nn).collect();
            let t = LaneTables::new(g, n, block_len(n).unwrap());
            let mut got = evals.clone();
            coset_unscaled(&mut got, &t);
            assert!(got == want, "2^{log_n}");
        }
    }
}
