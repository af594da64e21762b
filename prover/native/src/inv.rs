//! Inversion in BN254's base field Fq by Pornin's optimized binary GCD ("Optimized Binary GCD
//! for Modular Inversion", 2020), for the batch-affine MSM (msm.rs), whose every batch of
//! additions shares one inversion: ~3x faster than ark-ff's `inverse` (a bit-by-bit binary
//! Euclid on 4-limb integers), which cost ~7% of a proof.
//!
//! The GCD runs on (a, b) = (y, q) with (u, v) = (1, 0), keeping a·2^(31·i) = u·y (mod q) after
//! round i. A round makes 31 binary-GCD steps on 64-bit approximations of a and b (their low
//! 31 bits and their top 33 bits), recording them as a 2x2 matrix of signed 32-bit factors,
//! then applies the matrix to the full a, b (divided by 2^31) and to u, v (mod q). Pornin shows
//! 2·254 − 1 steps (17 rounds) bring b to gcd = 1; then v = y⁻¹·2^(31·17). u and v are kept
//! multiplied by 2^(−64) per round (a one-limb Montgomery reduction instead of a division by q),
//! and Fq's Montgomery form is one more constant factor: all folded into one multiplication.
//! Should b not end at 1 (it cannot for y ≠ 0 by the paper's bound), ark-ff's inversion answers.
//! `x.inverse()` of an Fq2 element (G2) inverts its norm in Fq: `inverse_fq2` does that here.
use ark_bn254::{Fq, Fq2};
use ark_ff::{BigInt, Field, MontConfig, PrimeField, Zero};

const ROUNDS: usize = 17;
const M: [u64; 4] = <Fq as PrimeField>::MODULUS.0;
/// −q⁻¹ mod 2^64
const M_INV: u64 = <ark_bn254::FqConfig as MontConfig<4>>::INV;

fn bit_len(x: &[u64; 4]) -> u32 {
    for i in (0..4).rev() {
        if x[i] != 0 {
            return 64 * i as u32 + 64 - x[i].leading_zeros();
        }
    }
    0
}

/// x's low 31 bits, and above them its bits [n − 33, n) (n >= 64, x < 2^n).
fn approx(x: &[u64; 4], n: u32) -> u64 {
    let s = n - 33;
    let (limb, off) = ((s / 64) as usize, s % 64);
    let mut top = x[limb] >> off;
    if off > 31 && limb + 1 < 4 {
        top |= x[limb + 1] << (64 - off);
    }
    (x[0] & 0x7FFF_FFFF) | ((top & 0x1_FFFF_FFFF) << 31)
}

/// (a·f + b·g) / 2^31 (exact by construction) as (|value|, negative?).
fn lin_shift(a: &[u64; 4], b: &[u64; 4], f: i64, g: i64) -> ([u64; 4], bool) {
    let mut t = [0u64; 5];
    let mut carry: i128 = 0;
    for i in 0..4 {
        let v = a[i] as i128 * f as i128 + b[i] as i128 * g as i128 + carry;
        t[i] = v as u64;
        carry = v >> 64;
    }
    t[4] = carry as u64;
    let mut w = [0u64; 4];
    for i in 0..4 {
        w[i] = (t[i] >> 31) | (t[i + 1] << 33);
    }
    if (carry as i64) < 0 {
        // two's complement of the low 256 bits (|value| < 2^256)
        let mut c = 1u128;
        for x in w.iter_mut() {
            let v = (!*x) as u128 + c;
            *x = v as u64;
            c = v >> 64;
        }
        (w, true)
    } else {
        (w, false)
    }
}

/// x·k for x < 2^256, k < 2^32 (5 limbs).
fn mul_small(x: &[u64; 4], k: u64, acc: &mut [u64; 6]) {
    let mut carry = 0u128;
    for i in 0..4 {
        let v = x[i] as u128 * k as u128 + acc[i] as u128 + carry;
        acc[i] = v as u64;
        carry = v >> 64;
    }
    for a in acc.iter_mut().skip(4) {
        let v = *a as u128 + carry;
        *a = v as u64;
        carry = v >> 64;
    }
}

/// q − x for 0 < x < q, and 0 for 0.
fn neg_mod(x: &[u64; 4]) -> [u64; 4] {
    if x.iter().all(|&l| l == 0) {
        return *x;
    }
    let mut r = [0u64; 4];
    let mut borrow = 0u64;
    for i in 0..4 {
        let (d, b1) = M[i].overflowing_sub(x[i]);
        let (d, b2) = d.overflowing_sub(borrow);
        r[i] = d;
        borrow = (b1 | b2) as u64;
    }
    r
}

fn geq_m(x: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if x[i] != M[i] {
            return x[i] > M[i];
        }
    }
    true
}

/// (u·f + v·g)·2^(−64) mod q, for u, v < q and |f|, |g| <= 2^31.
fn lin_mod(u: &[u64; 4], v: &[u64; 4], f: i64, g: i64) -> [u64; 4] {
    let (u, v) = (if f < 0 { neg_mod(u) } else { *u }, if g < 0 { neg_mod(v) } else { *v });
    let mut t = [0u64; 6];
    mul_small(&u, f.unsigned_abs(), &mut t);
    mul_small(&v, g.unsigned_abs(), &mut t);
    // t < 2^33·q: add k·q with k = −t·q⁻¹ mod 2^64 and drop the zero low limb: < 2q
    let k = t[0].wrapping_mul(M_INV);
    let mut carry = 0u128;
    for i in 0..4 {
        let s = t[i] as u128 + k as u128 * M[i] as u128 + carry;
        t[i] = s as u64;
        carry = s >> 64;
    }
    for x in t.iter_mut().skip(4) {
        let s = *x as u128 + carry;
        *x = s as u64;
        carry = s >> 64;
    }
    let mut r = [t[1], t[2], t[3], t[4]];
    debug_assert!(t[5] == 0);
    if geq_m(&r) {
        let mut borrow = 0u64;
        for i in 0..4 {
            let (d, b1) = r[i].overflowing_sub(M[i]);
            let (d, b2) = d.overflowing_sub(borrow);
            r[i] = d;
            borrow = (b1 | b2) as u64;
        }
    }
    r
}

/// 1/x in Fq (None for 0), equal to ark-ff's `x.inverse()`.
pub fn inverse(x: &Fq) -> Option<Fq> {
    binary_gcd_inverse(x).or_else(|| x.inverse())
}

/// 1/x by the binary GCD; None for 0 (and, were the round bound wrong, for a GCD left unfinished).
fn binary_gcd_inverse(x: &Fq) -> Option<Fq> {
    if x.is_zero() {
        return None;
    }
    // the GCD inverts x's Montgomery representation y = x·R: v = y⁻¹·2^(31·17) and the stored
    // v carries 2^(−64·17); x⁻¹'s representation is y⁻¹·R², so multiply (Montgomery: ·R⁻¹) by
    // the element whose representation is 2^(64·17 − 31·17)·R³, i.e. of value 2^(561 + 512)
    static FIX: std::sync::OnceLock<Fq> = std::sync::OnceLock::new();
    let fix = FIX.get_or_init(|| Fq::from(2u64).pow([1073]));
    let (mut a, mut b) = (x.0 .0, M);
    let (mut u, mut v) = ([1u64, 0, 0, 0], [0u64; 4]);
    for _ in 0..ROUNDS {
        let n = bit_len(&a).max(bit_len(&b)).max(64);
        let (mut xa, mut xb) = (approx(&a, n), approx(&b, n));
        let (mut f0, mut g0, mut f1, mut g1) = (1i64, 0i64, 0i64, 1i64);
        for _ in 0..31 {
            if xa & 1 == 1 {
                if xa < xb {
                    std::mem::swap(&mut xa, &mut xb);
                    std::mem::swap(&mut f0, &mut f1);
                    std::mem::swap(&mut g0, &mut g1);
                }
                xa -= xb;
                f0 -= f1;
                g0 -= g1;
            }
            xa >>= 1;
            f1 <<= 1;
            g1 <<= 1;
        }
        let (na, neg_a) = lin_shift(&a, &b, f0, g0);
        let (nb, neg_b) = lin_shift(&a, &b, f1, g1);
        let (f0, g0) = if neg_a { (-f0, -g0) } else { (f0, g0) };
        let (f1, g1) = if neg_b { (-f1, -g1) } else { (f1, g1) };
        (a, b) = (na, nb);
        (u, v) = (lin_mod(&u, &v, f0, g0), lin_mod(&u, &v, f1, g1));
    }
    if b != [1, 0, 0, 0] {
        return None;
    }
    Some(Fq::new_unchecked(BigInt(v)) * fix)
}

/// 1/x in Fq2 = Fq[u]/(u² + 1): (c0 − c1·u)/(c0² + c1²), the norm inverted above.
pub fn inverse_fq2(x: &Fq2) -> Option<Fq2> {
    let n = inverse(&(x.c0.square() + x.c1.square()))?;
    Some(Fq2::new(x.c0 * n, -(x.c1 * n)))
}

/// 1/x in any field, by the inversions above for Fq and Fq2 (the MSMs' coordinate fields),
/// else ark-ff's own.
pub fn inverse_any<F: Field>(x: &F) -> Option<F> {
    use std::any::Any;
    let x_any = x as &dyn Any;
    if let Some(q) = x_any.downcast_ref::<Fq>() {
        let r = inverse(q)?;
        return (&r as &dyn Any).downcast_ref::<F>().copied();
    }
    if let Some(q) = x_any.downcast_ref::<Fq2>() {
        let r = inverse_fq2(q)?;
        return (&r as &dyn Any).downcast_ref::<F>().copied();
    }
    x.inverse()
}

/// `prover._native.fq_inverse`: n·32 bytes of standard-form little-endian Fq values -> their
/// inverses by `inverse` (tests check the MSMs' inversion against Python's pow; 0 is refused).
#[pyo3::pyfunction]
pub fn fq_inverse(py: pyo3::Python<'_>, values: &[u8]) -> pyo3::PyResult<pyo3::Py<pyo3::types::PyBytes>> {
    use ark_ff::BigInteger;
    if values.len() % 32 != 0 {
        return crate::codec::err(format!("value buffer length {} is not a multiple of 32", values.len()));
    }
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks_exact(32) {
        let Some(x) = Fq::from_bigint(crate::codec::limbs(chunk)) else {
            return crate::codec::err("value is not below the base field order q");
        };
        let Some(y) = inverse(&x) else {
            return crate::codec::err("0 has no inverse");
        };
        out.extend(y.into_bigint().to_bytes_le());
    }
    Ok(pyo3::types::PyBytes::new(py, &out).unbind())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn matches_ark_inverse() {
        let mut rng = ark_std::test_rng();
        let mut xs: Vec<Fq> = (0..20000).map(|_| Fq::rand(&mut rng)).collect();
        xs.extend([Fq::ONE, -Fq::ONE, Fq::from(2u64), Fq::from(3u64), -Fq::from(2u64)]);
        xs.extend((0..64).map(|k| Fq::from(2u64).pow([k * 4])));
        for x in xs {
            assert_eq!(binary_gcd_inverse(&x), x.inverse(), "{x}");
        }
        assert_eq!(inverse(&Fq::zero()), None);
        for _ in 0..2000 {
            let y = Fq2::rand(&mut rng);
            assert_eq!(inverse_fq2(&y), y.inverse());
            assert_eq!(inverse_any(&y), y.inverse());
        }
        assert_eq!(inverse_any(&Fq2::zero()), None);
    }
}
