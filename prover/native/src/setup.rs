//! UNSAFE development Groth16 setup from known toxic waste, written as a snarkjs `.zkey`.
//!
//! The same key, byte for byte, as prover/groth16/setup.py `dev_setup` + formats/zkey.py:
//!   * domain n = smallest power of two >= m + l + 1 rows (at least 2); rows m..m+l are
//!     snarkjs's extra A-only rows A[m+i][i] = 1 for wire 0 and each public signal
//!   * u_i, v_i, w_i = Σ_j A/B/C[j][i] L_j(τ) with L_j the Lagrange basis of the n-domain
//!   * A_i = u_i G1, B1_i = v_i G1, B2_i = v_i G2,
//!     IC_i = (β u_i + α v_i + w_i)/γ G1 (i <= l), C_i = (β u_i + α v_i + w_i)/δ G1 (i > l),
//!     H_j = L^{2n}_{2j+1}(τ)/δ G1 (the odd points of the 2n domain; see prove.rs)
//!   * section 4: per row A's then B's non-zero terms in R1CS order, then the extra rows
//!   * sections in zkey_new.js's order 1, 2, 4, 3, 9, 8, 5, 6, 7, 10
//!   * section 10: snarkjs puts the blake2b hash of the circuit there and then the
//!     contributions. A dev setup has no ceremony and no meaningful hash, so we write the
//!     64-byte DEV_SETUP_MARKER text (prover/groth16/keys.py) in place of the hash, so the key
//!     is recognisably unsafe, and u32 0 contributions. snarkjs's prover ignores section 10.
//! Points are the batch fixed-base products of G1/G2 generators (one window table per group),
//! normalized to affine with one batched inversion.
use crate::codec::{err, fr_std, put_g1_lem, put_g2_lem};
use crate::r1cs::R1cs;
use ark_bn254::{Fr, G1Affine, G2Affine, G1Projective, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::PrimeGroup;
use ark_ff::{batch_inversion, BigInteger, FftField, Field, PrimeField, Zero};
use rayon::prelude::*;

pub const DEV_SETUP_MARKER: &[u8] = b"ZKCLEAR-UNSAFE-DEV-SETUP: toxic waste known; never deploy";

pub struct Toxic {
    pub tau: Fr,
    pub alpha: Fr,
    pub beta: Fr,
    pub gamma: Fr,
    pub delta: Fr,
}

impl Toxic {
    /// 5 × 32 bytes little-endian standard form: τ, α, β, γ, δ.
    pub fn from_bytes(b: &[u8]) -> pyo3::PyResult<Self> {
        if b.len() != 160 {
            return err(format!("toxic waste is 160 bytes (tau, alpha, beta, gamma, delta), got {}", b.len()));
        }
        let t = Toxic {
            tau: fr_std(&b[0..32])?,
            alpha: fr_std(&b[32..64])?,
            beta: fr_std(&b[64..96])?,
            gamma: fr_std(&b[96..128])?,
            delta: fr_std(&b[128..160])?,
        };
        if t.alpha.is_zero() || t.beta.is_zero() || t.gamma.is_zero() || t.delta.is_zero() {
            return err("alpha, beta, gamma and delta must be non-zero");
        }
        Ok(t)
    }
}

/// zkey_new.js's domain: the smallest power of two >= m + l + 1 rows, and at least 2.
pub fn domain_size(n_constraints: usize, n_public: usize) -> pyo3::PyResult<usize> {
    let n = (n_constraints + n_public + 1).next_power_of_two().max(2);
    if n > 1 << 27 {
        return err(format!("circuit too large: a domain of {n} rows exceeds 2^27"));
    }
    Ok(n)
}

/// L_j(τ) for the n-th roots of unity ω_n^j: ω^j (τ^n − 1) / (n (τ − ω^j)).
pub fn lagrange_at(tau: Fr, n: usize) -> Vec<Fr> {
    let omega = Fr::get_root_of_unity(n as u64).expect("n divides 2^28");
    let mut powers = vec![Fr::ONE; n];
    // ω^j in parallel chunks, each chunk started from ω^(chunk start)
    let chunk = (n / rayon::current_num_threads().max(1)).max(1024);
    powers.par_chunks_mut(chunk).enumerate().for_each(|(k, c)| {
        let mut x = omega.pow([(k * chunk) as u64]);
        for p in c.iter_mut() {
            *p = x;
            x *= omega;
        }
    });
    if let Some(j) = powers.iter().position(|w| *w == tau) {
        let mut out = vec![Fr::zero(); n];
        out[j] = Fr::ONE;
        return out;
    }
    let mut den: Vec<Fr> = powers.par_iter().map(|w| tau - w).collect();
    batch_inversion(&mut den);
    let z_over_n = (tau.pow([n as u64]) - Fr::ONE) * Fr::from(n as u64).inverse().unwrap();
    powers.par_iter().zip(den.par_iter()).map(|(w, d)| *w * d * z_over_n).collect()
}

pub fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

/// The iden3 container: magic, version 1, section count, then (u32 type, u64 size, payload).
fn binfile(magic: &[u8; 4], sections: Vec<(u32, Vec<u8>)>) -> Vec<u8> {
    let total: usize = 12 + sections.iter().map(|(_, p)| 12 + p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(magic);
    put_u32(&mut out, 1);
    put_u32(&mut out, sections.len() as u32);
    for (kind, payload) in sections {
        put_u32(&mut out, kind);
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
    }
    out
}

pub fn g1_section(points: &[ark_bn254::G1Affine]) -> Vec<u8> {
    let mut out = vec![0u8; 64 * points.len()];
    out.par_chunks_mut(64).zip(points.par_iter()).for_each(|(o, p)| put_g1_lem(o, p));
    out
}

pub fn g2_section(points: &[ark_bn254::G2Affine]) -> Vec<u8> {
    let mut out = vec![0u8; 128 * points.len()];
    out.par_chunks_mut(128).zip(points.par_iter()).for_each(|(o, p)| put_g2_lem(o, p));
    out
}

pub fn setup(cs: &R1cs, t: &Toxic) -> pyo3::PyResult<Vec<u8>> {
    let (m, l, nw) = (cs.n_constraints, cs.n_public, cs.n_wires);
    let n = domain_size(m, l)?;

    // u, v, w at τ
    let lag = lagrange_at(t.tau, n);
    let (mut u, mut v, mut w) = (vec![Fr::zero(); nw], vec![Fr::zero(); nw], vec![Fr::zero(); nw]);
    for j in 0..m {
        for (matrix, acc) in [(0usize, &mut u), (1, &mut v), (2, &mut w)] {
            for &(wire, c) in cs.lc(j, matrix) {
                acc[wire as usize] += c * lag[j];
            }
        }
    }
    for i in 0..=l {
        u[i] += lag[m + i];
    }
    drop(lag);

    let gamma_inv = t.gamma.inverse().unwrap();
    let delta_inv = t.delta.inverse().unwrap();
    let k: Vec<Fr> = (0..nw)
        .into_par_iter()
        .map(|i| {
            let ki = t.beta * u[i] + t.alpha * v[i] + w[i];
            ki * if i <= l { gamma_inv } else { delta_inv }
        })
        .collect();
    let lag2 = lagrange_at(t.tau, 2 * n);
    let h: Vec<Fr> = lag2.par_iter().skip(1).step_by(2).map(|x| *x * delta_inv).collect();
    drop(lag2);

    // G1: α, β, δ, A (u), B1 (v), IC, C, H — one fixed-base table for all of them.
    let mut s1 = Vec::with_capacity(3 + 3 * nw + n);
    s1.extend([t.alpha, t.beta, t.delta]);
    s1.extend_from_slice(&u);
    s1.extend_from_slice(&v);
    s1.extend_from_slice(&k);
    s1.extend_from_slice(&h);
    let g1 = BatchMulPreprocessing::new(G1Projective::generator(), s1.len()).batch_mul(&s1);
    drop(s1);
    let mut s2 = Vec::with_capacity(3 + nw);
    s2.extend([t.beta, t.gamma, t.delta]);
    s2.extend_from_slice(&v);
    let g2 = BatchMulPreprocessing::new(G2Projective::generator(), s2.len()).batch_mul(&s2);
    drop(s2);

    let (alpha1, beta1, delta1) = (&g1[0..1], &g1[1..2], &g1[2..3]);
    let a = &g1[3..3 + nw];
    let b1 = &g1[3 + nw..3 + 2 * nw];
    let ic = &g1[3 + 2 * nw..3 + 2 * nw + l + 1];
    let c = &g1[3 + 2 * nw + l + 1..3 + 3 * nw];
    let hq = &g1[3 + 3 * nw..];
    let (beta2, gamma2, delta2) = (&g2[0..1], &g2[1..2], &g2[2..3]);
    let b2 = &g2[3..];

    let mut tail = DEV_SETUP_MARKER.to_vec();
    tail.resize(64, 0);
    put_u32(&mut tail, 0);
    Ok(assemble_zkey(&ZkeyParts {
        n_vars: nw,
        n_public: l,
        domain_size: n,
        alpha1: alpha1[0],
        beta1: beta1[0],
        beta2: beta2[0],
        gamma2: gamma2[0],
        delta1: delta1[0],
        delta2: delta2[0],
        coefs: coef_section(cs),
        ic,
        h: hq,
        c,
        a,
        b1,
        b2,
        tail,
    }))
}

/// Section 4: per row A's then B's non-zero terms in R1CS order, then the extra rows
/// A[m+i][i] = 1 (i <= l); coefficients stored as c·R² mod r (the Montgomery limbs of c·R).
pub fn coef_section(cs: &R1cs) -> Vec<u8> {
    let (m, l) = (cs.n_constraints, cs.n_public);
    let r_std = Fr::from_bigint(Fr::R).unwrap();
    let mut coefs = Vec::with_capacity(4 + 44 * (cs.terms.len() + l + 1));
    put_u32(&mut coefs, 0); // count, patched below
    let mut count = 0u32;
    for j in 0..m {
        for matrix in 0..2usize {
            for &(wire, c) in cs.lc(j, matrix) {
                if !c.is_zero() {
                    put_u32(&mut coefs, matrix as u32);
                    put_u32(&mut coefs, j as u32);
                    put_u32(&mut coefs, wire);
                    coefs.extend_from_slice(&(c * r_std).0.to_bytes_le());
                    count += 1;
                }
            }
        }
    }
    for i in 0..=l {
        put_u32(&mut coefs, 0);
        put_u32(&mut coefs, (m + i) as u32);
        put_u32(&mut coefs, i as u32);
        coefs.extend_from_slice(&r_std.0.to_bytes_le()); // 1·R² mod r
        count += 1;
    }
    coefs[0..4].copy_from_slice(&count.to_le_bytes());
    coefs
}

/// Everything a Groth16 .zkey holds; `tail` is section 10 (hash, contributions).
pub struct ZkeyParts<'a> {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub alpha1: G1Affine,
    pub beta1: G1Affine,
    pub beta2: G2Affine,
    pub gamma2: G2Affine,
    pub delta1: G1Affine,
    pub delta2: G2Affine,
    pub coefs: Vec<u8>,
    pub ic: &'a [G1Affine],
    pub h: &'a [G1Affine],
    pub c: &'a [G1Affine],
    pub a: &'a [G1Affine],
    pub b1: &'a [G1Affine],
    pub b2: &'a [G2Affine],
    pub tail: Vec<u8>,
}

/// The .zkey bytes, sections in zkey_new.js's order 1, 2, 4, 3, 9, 8, 5, 6, 7, 10.
pub fn assemble_zkey(z: &ZkeyParts) -> Vec<u8> {
    let mut header = Vec::with_capacity(4 + 32 + 4 + 32 + 12 + 3 * 64 + 3 * 128);
    put_u32(&mut header, 32);
    header.extend_from_slice(&ark_bn254::Fq::MODULUS.to_bytes_le());
    put_u32(&mut header, 32);
    header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
    put_u32(&mut header, z.n_vars as u32);
    put_u32(&mut header, z.n_public as u32);
    put_u32(&mut header, z.domain_size as u32);
    header.extend(g1_section(&[z.alpha1, z.beta1]));
    header.extend(g2_section(&[z.beta2, z.gamma2]));
    header.extend(g1_section(&[z.delta1]));
    header.extend(g2_section(&[z.delta2]));
    binfile(
        b"zkey",
        vec![
            (1, 1u32.to_le_bytes().to_vec()),
            (2, header),
            (4, z.coefs.clone()),
            (3, g1_section(z.ic)),
            (9, g1_section(z.h)),
            (8, g1_section(z.c)),
            (5, g1_section(z.a)),
            (6, g1_section(z.b1)),
            (7, g2_section(z.b2)),
            (10, z.tail.clone()),
        ],
    )
}
