//! Stand-alone kernels for tests and tools: MSM in G1 and G2, NTTs over Fr, the pairing check.
use crate::codec::{err, fr_bytes, g1_bytes, g2_bytes, points_g1_std, points_g2_std, scalars_std};
use ark_bn254::{Bn254, Fr};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::CurveGroup;
use ark_ff::PrimeField;
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use pyo3::PyResult;

pub fn g1_msm(bases: &[u8], scalars: &[u8]) -> PyResult<Vec<u8>> {
    let p = points_g1_std(bases)?;
    let s = scalars_std(scalars)?;
    if p.len() != s.len() {
        return err(format!("{} bases but {} scalars", p.len(), s.len()));
    }
    let s: Vec<_> = s.iter().map(|x| x.into_bigint()).collect();
    Ok(g1_bytes(&crate::msm::msm_g1_glv(&p, &s).into_affine()))
}

pub fn g2_msm(bases: &[u8], scalars: &[u8]) -> PyResult<Vec<u8>> {
    let p = points_g2_std(bases)?;
    let s = scalars_std(scalars)?;
    if p.len() != s.len() {
        return err(format!("{} bases but {} scalars", p.len(), s.len()));
    }
    let s: Vec<_> = s.iter().map(|x| x.into_bigint()).collect();
    Ok(g2_bytes(&crate::msm::msm_g2_psi(&p, &s).into_affine()))
}

fn domain(n: usize) -> PyResult<Radix2EvaluationDomain<Fr>> {
    if n == 0 || !n.is_power_of_two() {
        return err(format!("NTT size {n} is not a power of two"));
    }
    match Radix2EvaluationDomain::<Fr>::new(n) {
        Some(d) => Ok(d),
        None => err(format!("NTT size {n} exceeds 2^28")),
    }
}

/// Evaluate at shift·ω_n^i (interpolate when inverse); ω_n = 5^((r−1)/n).
pub fn coset_ntt(values: &[u8], shift: Fr, inverse: bool) -> PyResult<Vec<u8>> {
    let mut v = scalars_std(values)?;
    let d = domain(v.len())?.get_coset(shift).unwrap();
    if inverse {
        d.ifft_in_place(&mut v);
    } else {
        d.fft_in_place(&mut v);
    }
    Ok(fr_bytes(&v))
}

pub fn pairing_check(g1s: &[u8], g2s: &[u8]) -> PyResult<bool> {
    let a = points_g1_std(g1s)?;
    let b = points_g2_std(g2s)?;
    if a.len() != b.len() {
        return err(format!("{} G1 points but {} G2 points", a.len(), b.len()));
    }
    Ok(Bn254::multi_pairing(a, b) == PairingOutput::<Bn254>::zero())
}
