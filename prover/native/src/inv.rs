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
use ark_ff::{Field, PrimeField};

use crate::gcd_inverse::{binary_gcd_inverse, fix};

/// 1/x in Fq (None for 0), equal to ark-ff's `x.inverse()`: the GCD of `gcd_inverse.rs`, which
/// holds the algorithm once for Fq and Fr (the witness solver's inverses).
pub fn inverse(x: &Fq) -> Option<Fq> {
    static FIX: std::sync::OnceLock<Fq> = std::sync::OnceLock::new();
    binary_gcd_inverse(x, FIX.get_or_init(fix)).or_else(|| x.inverse())
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
    use ark_ff::{UniformRand, Zero};

    #[test]
    fn matches_ark_inverse() {
        let mut rng = ark_std::test_rng();
        let mut xs: Vec<Fq> = (0..20000).map(|_| Fq::rand(&mut rng)).collect();
        xs.extend([Fq::ONE, -Fq::ONE, Fq::from(2u64), Fq::from(3u64), -Fq::from(2u64)]);
        xs.extend((0..64).map(|k| Fq::from(2u64).pow([k * 4])));
        for x in xs {
            assert_eq!(inverse(&x), x.inverse(), "{x}");
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
