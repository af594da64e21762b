//! lanes.rs's arithmetic on x86-64: the moduli in 52-bit limbs, eight-lane Montgomery
//! products with AVX-512 IFMA, the Fq and Fq2 lane operations (`LaneOps`) and the batched
//! affine additions of a bucket flush (`batch_add`). The representation is lanes.rs's.
#![allow(clippy::needless_range_loop)]
use super::{LaneField, Scratch};
use ark_bn254::{Fq, Fq2};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{AdditiveGroup, BigInt, Field};
use std::arch::x86_64::*;

pub(crate) const M52: u64 = (1 << 52) - 1;
/// p in 52-bit limbs, 2p (the base field Fq's modulus).
const P1: [u64; 5] = FqMod::M1;
const P2: [u64; 5] = FqMod::M2;

/// A prime the lanes reduce by (the products and `canon` are generic over it, so that the
/// same core serves Fq for the MSMs and Fr for the FFTs, fft_lanes.rs): its 52-bit limbs,
/// twice them, and −m⁻¹ mod 2^52. Any m with 2^252 < m and 4m < 2^256 keeps the bounds below.
pub(crate) trait Modulus {
    const M1: [u64; 5];
    const M2: [u64; 5];
    const MINV: u64;
}

/// BN254's base field Fq (p).
pub(crate) struct FqMod;
impl Modulus for FqMod {
    const M1: [u64; 5] = [0x8c16d87cfd47, 0x916871ca8d3c2, 0x181585d97816a, 0xa029b85045b68, 0x30644e72e131];
    const M2: [u64; 5] = [0x1182db0f9fa8e, 0x22d0e3951a784, 0x302b0bb2f02d5, 0x405370a08b6d0, 0x60c89ce5c263];
    const MINV: u64 = 0x20782e4866389;
}

/// BN254's scalar field Fr (r), where the witness and the h transforms live.
pub(crate) struct FrMod;
impl Modulus for FrMod {
    const M1: [u64; 5] = [0x1f593f0000001, 0x4879b9709143e, 0x181585d2833e8, 0xa029b85045b68, 0x30644e72e131];
    const M2: [u64; 5] = [0x3eb27e0000002, 0x90f372e12287c, 0x302b0ba5067d0, 0x405370a08b6d0, 0x60c89ce5c263];
    const MINV: u64 = 0x1f593efffffff;
}

/// Eight field values, limb i of lane j in lane j of v[i].
pub(crate) type Fe = [__m512i; 5];

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn splat(x: u64) -> __m512i {
    _mm512_set1_epi64(x as i64)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn consts(c: &[u64; 5]) -> Fe {
    [splat(c[0]), splat(c[1]), splat(c[2]), splat(c[3]), splat(c[4])]
}

/// Montgomery reduction of a 10-limb accumulator (limbs below 2^62): t / 2^260 mod p, < 2p
/// for t < 2^513.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn reduce<M: Modulus>(mut t: [__m512i; 10]) -> Fe {
    let z = _mm512_setzero_si512();
    let p = consts(&M::M1);
    let pinv = splat(M::MINV);
    for i in 0..5 {
        let m = _mm512_madd52lo_epu64(z, t[i], pinv);
        for j in 0..5 {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, p[j]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, p[j]);
        }
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64(t[i], 52));
    }
    let mask = splat(M52);
    for k in 5..9 {
        t[k + 1] = _mm512_add_epi64(t[k + 1], _mm512_srli_epi64(t[k], 52));
        t[k] = _mm512_and_si512(t[k], mask);
    }
    [t[5], t[6], t[7], t[8], t[9]]
}

/// t += a·b (limb products only, no reduction).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mac(t: &mut [__m512i; 10], a: &Fe, b: &Fe) {
    for i in 0..5 {
        for j in 0..5 {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], a[i], b[j]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a[i], b[j]);
        }
    }
}

/// a·b / 2^260 mod p (< 2p for a, b < 2^256).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn mul<M: Modulus>(a: &Fe, b: &Fe) -> Fe {
    let mut t = [_mm512_setzero_si512(); 10];
    mac(&mut t, a, b);
    reduce::<M>(t)
}

/// (a·b + c·d) / 2^260 mod p with one reduction (< 2p for inputs below 2^256).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mul2<M: Modulus>(a: &Fe, b: &Fe, c: &Fe, d: &Fe) -> Fe {
    let mut t = [_mm512_setzero_si512(); 10];
    mac(&mut t, a, b);
    mac(&mut t, c, d);
    reduce::<M>(t)
}

/// Carry signed limbs into 52-bit ones (the value must be non-negative).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn carry(mut t: Fe) -> Fe {
    let mask = splat(M52);
    for k in 0..4 {
        t[k + 1] = _mm512_add_epi64(t[k + 1], _mm512_srai_epi64(t[k], 52));
        t[k] = _mm512_and_si512(t[k], mask);
    }
    t
}

/// a + b.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn add(a: &Fe, b: &Fe) -> Fe {
    let mut t = *a;
    for k in 0..5 {
        t[k] = _mm512_add_epi64(a[k], b[k]);
    }
    carry(t)
}

/// a + kp − b, for b < kp (kp = p or 2p in limbs).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn sub(a: &Fe, b: &Fe, kp: &[u64; 5]) -> Fe {
    let mut t = *a;
    for k in 0..5 {
        t[k] = _mm512_sub_epi64(_mm512_add_epi64(a[k], splat(kp[k])), b[k]);
    }
    carry(t)
}

/// v − m where that is not negative, else v.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn cond_sub(v: &Fe, m: &[u64; 5]) -> Fe {
    let mut t = *v;
    for k in 0..5 {
        t[k] = _mm512_sub_epi64(v[k], splat(m[k]));
    }
    let mut t = carry(t);
    let neg = _mm512_cmplt_epi64_mask(t[4], _mm512_setzero_si512());
    for k in 0..5 {
        t[k] = _mm512_mask_blend_epi64(neg, t[k], v[k]);
    }
    t
}

/// v mod p for v < 4p.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) unsafe fn canon<M: Modulus>(v: &Fe) -> Fe {
    cond_sub(&cond_sub(v, &M::M2), &M::M1)
}

/// An arkworks Fq's Montgomery integer (< p) in 52-bit limbs.
#[inline(always)]
fn limbs(x: &Fq) -> [u64; 5] {
    let w = &(x.0).0;
    [w[0] & M52, (w[0] >> 52 | w[1] << 12) & M52, (w[1] >> 40 | w[2] << 24) & M52, (w[2] >> 28 | w[3] << 36) & M52, w[3] >> 16]
}

/// The Fq whose Montgomery integer has these limbs (a canonical value).
#[inline(always)]
fn from_limbs(l: &[u64; 5]) -> Fq {
    ark_ff::Fp::new_unchecked(BigInt([l[0] | l[1] << 52, l[1] >> 12 | l[2] << 40, l[2] >> 24 | l[3] << 28, l[3] >> 36 | l[4] << 16]))
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn load(xs: &[&Fq; 8]) -> Fe {
    let mut a = [[0u64; 8]; 5];
    for (j, x) in xs.iter().enumerate() {
        let l = limbs(x);
        for i in 0..5 {
            a[i][j] = l[i];
        }
    }
    let mut v = [_mm512_setzero_si512(); 5];
    for i in 0..5 {
        v[i] = _mm512_loadu_si512(a[i].as_ptr() as *const _);
    }
    v
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn store(v: &Fe) -> [Fq; 8] {
    let mut a = [[0u64; 8]; 5];
    for i in 0..5 {
        _mm512_storeu_si512(a[i].as_mut_ptr() as *mut _, v[i]);
    }
    std::array::from_fn(|j| from_limbs(&[a[0][j], a[1][j], a[2][j], a[3][j], a[4][j]]))
}

/// A base field's arithmetic in lanes (Fq: one Fe; Fq2: two).
pub trait LaneOps: Sized {
    type V: Copy;
    /// Eight canonical values into lanes.
    unsafe fn lane_load(xs: &[&Self; 8]) -> Self::V;
    /// Eight lanes out (each reduced below p first).
    unsafe fn lane_store(v: &Self::V) -> [Self; 8];
    unsafe fn lane_mul(a: &Self::V, b: &Self::V) -> Self::V;
    unsafe fn lane_square(a: &Self::V) -> Self::V;
    /// a + kp − b for b < kp
    unsafe fn lane_sub(a: &Self::V, b: &Self::V, kp: &[u64; 5]) -> Self::V;
    /// v mod p for v < 4p
    unsafe fn lane_canon(v: &Self::V) -> Self::V;
}

impl LaneOps for Fq {
    type V = Fe;
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_load(xs: &[&Self; 8]) -> Fe {
        load(xs)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_store(v: &Fe) -> [Self; 8] {
        store(&canon::<FqMod>(v))
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_mul(a: &Fe, b: &Fe) -> Fe {
        mul::<FqMod>(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_square(a: &Fe) -> Fe {
        mul::<FqMod>(a, a)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_sub(a: &Fe, b: &Fe, kp: &[u64; 5]) -> Fe {
        sub(a, b, kp)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_canon(v: &Fe) -> Fe {
        canon::<FqMod>(v)
    }
}

impl LaneOps for Fq2 {
    type V = [Fe; 2];
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_load(xs: &[&Self; 8]) -> [Fe; 2] {
        [load(&xs.map(|x| &x.c0)), load(&xs.map(|x| &x.c1))]
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_store(v: &[Fe; 2]) -> [Self; 8] {
        let (c0, c1) = (store(&canon::<FqMod>(&v[0])), store(&canon::<FqMod>(&v[1])));
        std::array::from_fn(|j| Fq2::new(c0[j], c1[j]))
    }
    /// (a0 + a1 u)(b0 + b1 u) = a0 b0 − a1 b1 + (a0 b1 + a1 b0) u, each part one reduction;
    /// −a1 b1 as a1 (2p − b1) (b1 < 2p).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_mul(a: &[Fe; 2], b: &[Fe; 2]) -> [Fe; 2] {
        let nb1 = sub(&[_mm512_setzero_si512(); 5], &b[1], &P2);
        [mul2::<FqMod>(&a[0], &b[0], &a[1], &nb1), mul2::<FqMod>(&a[0], &b[1], &a[1], &b[0])]
    }
    /// (a0 + a1 u)² = (a0 + a1)(a0 − a1) + 2 a0 a1 u
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_square(a: &[Fe; 2]) -> [Fe; 2] {
        let s = add(&a[0], &a[1]);
        let d = sub(&a[0], &a[1], &P2);
        [mul::<FqMod>(&s, &d), mul::<FqMod>(&add(&a[0], &a[0]), &a[1])]
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_sub(a: &[Fe; 2], b: &[Fe; 2], kp: &[u64; 5]) -> [Fe; 2] {
        [sub(&a[0], &b[0], kp), sub(&a[1], &b[1], kp)]
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn lane_canon(v: &[Fe; 2]) -> [Fe; 2] {
        [canon::<FqMod>(&v[0]), canon::<FqMod>(&v[1])]
    }
}

/// b[k] += p for every (k, p) of `batch`, all scaled: distinct k, no point at infinity, and
/// x(b[k]) ≠ x(p) (so no doubling and no sum at infinity). Needs `supported()`.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn batch_add<P: SWCurveConfig>(b: &mut [Affine<P>], batch: &[(u32, Affine<P>)], scratch: &mut Scratch<P::BaseField>)
where
    P::BaseField: LaneField,
{
    type F<P> = <P as ark_ec::CurveConfig>::BaseField;
    let n = batch.len();
    if n == 0 {
        return;
    }
    let one = scratch.sixteen;
    let one_l = F::<P>::lane_load(&[&one; 8]);
    // padding lanes: x_p − x_q = 1 (scaled), written nowhere
    let pad = Affine::<P>::new_unchecked(one, F::<P>::ZERO);
    let zero_pt = Affine::<P>::new_unchecked(F::<P>::ZERO, F::<P>::ZERO);
    let chunks = n.div_ceil(8);
    scratch.chunks.clear();
    let mut acc = one_l;
    for c in 0..chunks {
        let lane = |j: usize| -> (&Affine<P>, &Affine<P>) {
            let i = c * 8 + j;
            if i < n {
                let (k, p) = &batch[i];
                (p, &b[*k as usize])
            } else {
                (&pad, &zero_pt)
            }
        };
        let ls: [(&Affine<P>, &Affine<P>); 8] = std::array::from_fn(lane);
        let px = F::<P>::lane_load(&ls.map(|(p, _)| &p.x));
        let py = F::<P>::lane_load(&ls.map(|(p, _)| &p.y));
        let qx = F::<P>::lane_load(&ls.map(|(_, q)| &q.x));
        let qy = F::<P>::lane_load(&ls.map(|(_, q)| &q.y));
        let d = F::<P>::lane_sub(&px, &qx, &P1);
        scratch.chunks.push([px, py, qx, qy, acc]);
        acc = F::<P>::lane_mul(&acc, &d);
    }
    // the eight chains' products, inverted together (Montgomery's trick over the lanes, one
    // binary-GCD inversion): unscaled, inverted, scaled again
    let prods: [F<P>; 8] = F::<P>::lane_store(&acc).map(|v| v * scratch.inv16_f);
    let mut before = [F::<P>::ONE; 8];
    let mut all = F::<P>::ONE;
    for j in 0..8 {
        before[j] = all;
        all *= prods[j];
    }
    let mut all_inv = crate::inv::inverse_any(&all).expect("non-zero denominators") * scratch.sixteen;
    let mut invs = [F::<P>::ZERO; 8];
    for j in (0..8).rev() {
        invs[j] = all_inv * before[j];
        all_inv *= prods[j];
    }
    let mut inv = F::<P>::lane_load(&std::array::from_fn(|j| &invs[j]));
    for c in (0..chunks).rev() {
        let [px, py, qx, qy, before] = &scratch.chunks[c];
        let d = F::<P>::lane_sub(px, qx, &P1);
        let d_inv = F::<P>::lane_mul(&inv, before);
        inv = F::<P>::lane_mul(&inv, &d);
        let num = F::<P>::lane_sub(py, qy, &P1);
        let lambda = F::<P>::lane_mul(&num, &d_inv);
        // x3 = λ² + 2p − x_q − x_p  (< 4p), y3 = λ(x_q + p − x3) + p − y_q  (< 3p)
        let x3 = F::<P>::lane_canon(&F::<P>::lane_sub(&F::<P>::lane_sub(&F::<P>::lane_square(&lambda), qx, &P1), px, &P1));
        let y3 = F::<P>::lane_sub(&F::<P>::lane_mul(&lambda, &F::<P>::lane_sub(qx, &x3, &P1)), qy, &P1);
        let xs = F::<P>::lane_store(&x3);
        let ys = F::<P>::lane_store(&y3);
        for j in 0..8 {
            let i = c * 8 + j;
            if i < n {
                b[batch[i].0 as usize] = Affine::<P>::new_unchecked(xs[j], ys[j]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn lane_products_match_arkworks() {
        if !super::super::supported() {
            return;
        }
        let mut rng = ark_std::test_rng();
        let sixteen = Fq::from(16u64);
        for _ in 0..50 {
            let a: [Fq; 8] = std::array::from_fn(|_| Fq::rand(&mut rng));
            let b: [Fq; 8] = std::array::from_fn(|_| Fq::rand(&mut rng));
            let sa = a.map(|v| v * sixteen);
            let sb = b.map(|v| v * sixteen);
            let out = unsafe {
                let va = Fq::lane_load(&std::array::from_fn(|j| &sa[j]));
                let vb = Fq::lane_load(&std::array::from_fn(|j| &sb[j]));
                Fq::lane_store(&Fq::lane_mul(&va, &vb))
            };
            for j in 0..8 {
                assert_eq!(out[j], a[j] * b[j] * sixteen);
            }
        }
    }
}

