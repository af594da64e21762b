//! Bytes <-> field elements and points at the Python boundary, and the snarkjs/iden3 encodings.
//!
//! Boundary encoding: 32-byte little-endian standard-form integers; G1 = x || y (64 bytes),
//! G2 = x.c0 || x.c1 || y.c0 || y.c1 (128 bytes); the point at infinity is all zeros.
//! snarkjs files (.zkey) store the same layout in Montgomery form ("LEM").
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField};
use pyo3::exceptions::PyValueError;
use pyo3::PyResult;
use rayon::prelude::*;

pub fn limbs(bytes: &[u8]) -> BigInt<4> {
    let mut l = [0u64; 4];
    for (i, chunk) in bytes[..32].chunks_exact(8).enumerate() {
        l[i] = u64::from_le_bytes(chunk.try_into().unwrap());
    }
    BigInt::new(l)
}

pub fn err<T>(msg: impl Into<String>) -> PyResult<T> {
    Err(PyValueError::new_err(msg.into()))
}

/// A standard-form Fr element; values >= r are refused.
pub fn fr_std(bytes: &[u8]) -> PyResult<Fr> {
    match Fr::from_bigint(limbs(bytes)) {
        Some(x) => Ok(x),
        None => err("scalar is not below the field order r"),
    }
}

fn fq_std(bytes: &[u8]) -> PyResult<Fq> {
    match Fq::from_bigint(limbs(bytes)) {
        Some(x) => Ok(x),
        None => err("coordinate is not below the base field order q"),
    }
}

pub fn scalars_std(bytes: &[u8]) -> PyResult<Vec<Fr>> {
    if bytes.len() % 32 != 0 {
        return err(format!("scalar buffer length {} is not a multiple of 32", bytes.len()));
    }
    bytes.chunks_exact(32).map(fr_std).collect()
}

/// A standard-form G1 point, checked on the curve (G1 has cofactor 1).
pub fn g1_std(bytes: &[u8]) -> PyResult<G1Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::identity());
    }
    let p = G1Affine::new_unchecked(fq_std(&bytes[0..32])?, fq_std(&bytes[32..64])?);
    if !p.is_on_curve() {
        return err("G1 point is not on the curve");
    }
    Ok(p)
}

/// A standard-form G2 point, checked on the curve and in the prime-order subgroup.
pub fn g2_std(bytes: &[u8]) -> PyResult<G2Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G2Affine::identity());
    }
    let x = Fq2::new(fq_std(&bytes[0..32])?, fq_std(&bytes[32..64])?);
    let y = Fq2::new(fq_std(&bytes[64..96])?, fq_std(&bytes[96..128])?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return err("G2 point is not on the curve");
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return err("G2 point is not in the prime-order subgroup");
    }
    Ok(p)
}

pub fn points_g1_std(bytes: &[u8]) -> PyResult<Vec<G1Affine>> {
    if bytes.len() % 64 != 0 {
        return err(format!("G1 buffer length {} is not a multiple of 64", bytes.len()));
    }
    bytes.par_chunks_exact(64).map(g1_std).collect()
}

pub fn points_g2_std(bytes: &[u8]) -> PyResult<Vec<G2Affine>> {
    if bytes.len() % 128 != 0 {
        return err(format!("G2 buffer length {} is not a multiple of 128", bytes.len()));
    }
    bytes.par_chunks_exact(128).map(g2_std).collect()
}

fn put(out: &mut Vec<u8>, x: &impl PrimeField) {
    out.extend_from_slice(&x.into_bigint().to_bytes_le());
}

pub fn fr_bytes(xs: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * xs.len());
    xs.iter().for_each(|x| put(&mut out, x));
    out
}

pub fn g1_bytes(p: &G1Affine) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    match p.xy() {
        None => out.resize(64, 0),
        Some((x, y)) => {
            put(&mut out, &x);
            put(&mut out, &y);
        }
    }
    out
}

pub fn g2_bytes(p: &G2Affine) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    match p.xy() {
        None => out.resize(128, 0),
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                put(&mut out, &c);
            }
        }
    }
    out
}

// --- snarkjs Montgomery ("LEM") encodings: the limbs are the Montgomery representation itself.

fn fq_lem(bytes: &[u8]) -> Fq {
    Fq::new_unchecked(limbs(bytes))
}

pub fn g1_lem(bytes: &[u8]) -> G1Affine {
    if bytes.iter().all(|b| *b == 0) {
        return G1Affine::identity();
    }
    G1Affine::new_unchecked(fq_lem(&bytes[0..32]), fq_lem(&bytes[32..64]))
}

pub fn g2_lem(bytes: &[u8]) -> G2Affine {
    if bytes.iter().all(|b| *b == 0) {
        return G2Affine::identity();
    }
    let x = Fq2::new(fq_lem(&bytes[0..32]), fq_lem(&bytes[32..64]));
    let y = Fq2::new(fq_lem(&bytes[64..96]), fq_lem(&bytes[96..128]));
    G2Affine::new_unchecked(x, y)
}

/// Write `p` in snarkjs's Montgomery layout into a 64-byte slot (zeros for infinity).
pub fn put_g1_lem(out: &mut [u8], p: &G1Affine) {
    match p.xy() {
        None => out[..64].fill(0),
        Some((x, y)) => {
            out[0..32].copy_from_slice(&x.0.to_bytes_le());
            out[32..64].copy_from_slice(&y.0.to_bytes_le());
        }
    }
}

/// Write `p` in snarkjs's Montgomery layout into a 128-byte slot (zeros for infinity).
pub fn put_g2_lem(out: &mut [u8], p: &G2Affine) {
    match p.xy() {
        None => out[..128].fill(0),
        Some((x, y)) => {
            for (k, c) in [x.c0, x.c1, y.c0, y.c1].iter().enumerate() {
                out[32 * k..32 * k + 32].copy_from_slice(&c.0.to_bytes_le());
            }
        }
    }
}
