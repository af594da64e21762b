//! BN254 G2's endomorphism ψ (untwist, Frobenius, twist), for G2 MSMs with half-length scalars.
//!
//! ψ(x, y) = (conj(x)·γ_x, conj(y)·γ_y) (γ = ark-bn254's TWIST_MUL_BY_Q_X / _Y, as in arkworks'
//! pairing) acts on G2 as multiplication by the field characteristic p, i.e. by
//! μ = p mod r = p − r = 6x² (127 bits, x the BN parameter). Every scalar s < r splits as
//! s = k0 + k1·μ with k0 = s mod μ and k1 = ⌊s/μ⌋, both below 2^127 and never negative, so
//! Σ s_i Q_i = Σ k0_i Q_i + k1_i ψ(Q_i): twice the points, half the windows (as GLV in G1,
//! msm.rs), which halves the bucket reductions and lets a window be one bit wider.
use ark_bn254::{Fq2, G2Affine};
use ark_ec::bn::BnConfig;
use ark_ff::BigInt;

/// μ = p − r.
const MU: u128 = 0x6f4d8248eeb859fbf83e9682e87cfd46;
/// ⌊2^256 / μ⌋, little-endian limbs.
const MU_RECIP: [u64; 3] = [0x2cb62031c8e01941, 0x4ccef014a773d2d5, 0x2];

/// ψ(Q) = [μ]Q for Q in G2 (the point at infinity stays there).
#[inline]
pub fn psi(q: &G2Affine) -> G2Affine {
    if q.infinity {
        return *q;
    }
    let conj = |a: &Fq2| Fq2::new(a.c0, -a.c1);
    let x = conj(&q.x) * ark_bn254::Config::TWIST_MUL_BY_Q_X;
    let y = conj(&q.y) * ark_bn254::Config::TWIST_MUL_BY_Q_Y;
    G2Affine::new_unchecked(x, y)
}

/// (k0, k1) with s = k0 + k1·μ, 0 <= k0 < μ, for s < 2^254 (k1 < 2^127 for s < r).
#[inline]
pub fn split(s: &BigInt<4>) -> (u128, u128) {
    // q = ⌊s·⌊2^256/μ⌋ / 2^256⌋ is ⌊s/μ⌋ or one less (the reciprocal is short by less than one,
    // so the product by less than s/2^256 < 1); the remainder s − q·μ < 2μ < 2^128 is exact
    // in wrapping u128 arithmetic
    let mut t = [0u64; 7];
    for (i, &a) in s.0.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &b) in MU_RECIP.iter().enumerate() {
            let v = (a as u128) * (b as u128) + t[i + j] as u128 + carry;
            t[i + j] = v as u64;
            carry = v >> 64;
        }
        t[i + 3] = carry as u64;
    }
    let mut q = (t[4] as u128) | ((t[5] as u128) << 64);
    let lo = (s.0[0] as u128) | ((s.0[1] as u128) << 64);
    let mut rem = lo.wrapping_sub(q.wrapping_mul(MU));
    if rem >= MU {
        rem -= MU;
        q += 1;
    }
    (rem, q)
}
