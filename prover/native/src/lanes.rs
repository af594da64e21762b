//! Eight batch-affine additions at once in BN254's base field, with AVX-512 IFMA
//! (`vpmadd52luq` / `vpmadd52huq`: 52×52-bit products of eight lanes in one instruction), for
//! the MSMs' bucket flushes (msm.rs `Buckets`) where the CPU has it.
//!
//! **Representation.** A lane holds an Fq element as five 52-bit limbs, and multiplies with
//! Montgomery reduction by R' = 2^260 (five 52-bit rounds) where arkworks reduces by 2^256.
//! So that points move between arkworks' arrays and the lanes by re-slicing bits only, every
//! coordinate the lane kernel sees is *scaled*: the value a is held as the arkworks element
//! 16·a, whose Montgomery integer 16·a·2^256 = a·2^260 mod p is exactly the lane's form of a.
//! Additions, subtractions, negation and equality are the same on scaled values; only products
//! differ, and those the lanes do (mont'(16a, 16b) = 16ab). `scale` / `unscale` cross over: the
//! bases are scaled once an MSM, the buckets unscaled once before they are summed.
//!
//! **Bounds.** Limbs are kept below 2^52 between operations (products use only a limb's low 52
//! bits). Values are lazily reduced: a product of inputs below 2^256 (> 4p) is below
//! 2^252 + p < 2p; a difference a + k·p − b (b < k·p) stays positive. Points written back to
//! the buckets are reduced below p, so that equality of coordinates is equality of integers.
//!
//! **One flush.** The batch is cut in chunks of 8 additions, lane j of every chunk forming one
//! Montgomery-trick chain: a forward pass multiplies up the denominators x_p − x_q, the eight
//! chain products are inverted together in arkworks (one inversion), and a backward pass
//! recovers each 1/(x_p − x_q) and makes λ, x3 = λ² − x_q − x_p, y3 = λ(x_q − x3) − y_q.
//! Six lane products per chunk, as the scalar flush has six products per addition. Additions
//! with x_p = x_q (a doubling or a cancellation) are the caller's (msm.rs sends them to its
//! projective overflow buckets); padding lanes run with denominator 1 and are not written.
//!
//! The lane arithmetic itself (lanes/simd.rs) is x86-64 only; elsewhere `supported()` is false
//! and the callers run their scalar code.
use ark_bn254::{Fq, Fq2};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{AdditiveGroup, Field};
use std::sync::atomic::{AtomicU8, Ordering};

#[cfg(target_arch = "x86_64")]
mod simd;
#[cfg(target_arch = "x86_64")]
pub(crate) use simd::*;

/// Without x86-64 there is no lane arithmetic (and `supported()` is false).
#[cfg(not(target_arch = "x86_64"))]
pub trait LaneOps {}
#[cfg(not(target_arch = "x86_64"))]
impl LaneOps for Fq {}
#[cfg(not(target_arch = "x86_64"))]
impl LaneOps for Fq2 {}

/// batch_add's stand-in where there are no lanes: never called (`supported()` is false).
///
/// # Safety
/// None needed; it only panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn batch_add<P: SWCurveConfig>(_: &mut [Affine<P>], _: &[(u32, Affine<P>)], _: &mut Scratch<P::BaseField>)
where
    P::BaseField: LaneField,
{
    unreachable!("the lanes run only on x86-64 CPUs with AVX-512 IFMA")
}

/// 0 unknown, 1 off, 2 on.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Whether the bucket flushes and the h transforms (fft_lanes.rs) use the lanes: the CPU has
/// AVX-512F and IFMA, and neither ZKCLEAR_LANES=0 nor `set_enabled(false)` turned them off.
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        2 => true,
        1 => false,
        _ => {
            let on = supported() && std::env::var("ZKCLEAR_LANES").map(|v| v != "0").unwrap_or(true);
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

/// Whether this CPU can run the lanes at all.
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    return is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512ifma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Turn the lanes on (where supported) or off for every MSM and transform that starts after;
/// returns the state.
pub fn set_enabled(on: bool) -> bool {
    let on = on && supported();
    STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
    on
}

/// A base field the lanes can work in: Fq (G1) and Fq2 = Fq[u]/(u² + 1) (G2); its lane
/// arithmetic is `LaneOps` (simd.rs, x86-64 only).
pub trait LaneField: Field + LaneOps {
    /// 16 as a field element: the scale of every lane value (see the module's docs)
    fn sixteen() -> Self;
    /// self · c for c in the prime field Fq (a coordinate times 1/16: one Fq product per
    /// component, not a full Fq2 product)
    fn mul_fq(&self, c: &Fq) -> Self;
}

impl LaneField for Fq {
    fn sixteen() -> Self {
        Fq::from(16u64)
    }
    #[inline]
    fn mul_fq(&self, c: &Fq) -> Self {
        *self * c
    }
}

impl LaneField for Fq2 {
    fn sixteen() -> Self {
        Fq2::from(16u64)
    }
    #[inline]
    fn mul_fq(&self, c: &Fq) -> Self {
        Fq2::new(self.c0 * c, self.c1 * c)
    }
}

/// (16x, 16y): a point in the lanes' scaled form.
#[inline]
pub fn scale<P: SWCurveConfig>(p: &Affine<P>) -> Affine<P>
where
    P::BaseField: LaneField,
{
    let s = |mut v: P::BaseField| {
        for _ in 0..4 {
            v.double_in_place();
        }
        v
    };
    Affine::<P>::new_unchecked(s(p.x), s(p.y))
}

/// 1/16 in Fq.
pub fn inv16() -> Fq {
    static INV16: std::sync::OnceLock<Fq> = std::sync::OnceLock::new();
    *INV16.get_or_init(|| crate::inv::inverse(&Fq::from(16u64)).expect("16 is invertible"))
}

/// The point a scaled one stands for (x/16, y/16) given `inv16` = 1/16; infinity stays infinity.
#[inline]
pub fn unscale<P: SWCurveConfig>(p: &Affine<P>, inv16: &Fq) -> Affine<P>
where
    P::BaseField: LaneField,
{
    if p.infinity {
        return *p;
    }
    Affine::<P>::new_unchecked(p.x.mul_fq(inv16), p.y.mul_fq(inv16))
}

/// Per-chunk values kept from the forward pass for the backward one.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub struct Scratch<F: LaneField> {
    #[cfg(target_arch = "x86_64")]
    chunks: Vec<[F::V; 5]>,
    /// 16 and 1/16 (the scale and its inverse; 1/16 in Fq, to unscale with)
    sixteen: F,
    inv16: Fq,
    inv16_f: F,
}

impl<F: LaneField> Scratch<F> {
    pub fn new() -> Self {
        let sixteen = F::sixteen();
        let inv16 = inv16();
        Scratch {
            #[cfg(target_arch = "x86_64")]
            chunks: Vec::new(),
            sixteen,
            inv16,
            inv16_f: F::ONE.mul_fq(&inv16),
        }
    }

    /// 1/16, to unscale with
    pub fn inv16(&self) -> &Fq {
        &self.inv16
    }
}
