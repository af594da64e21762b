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
use crate::zkey_stream::BinWriter;
use ark_bn254::{Fr, G1Affine, G2Affine, G1Projective, G2Projective};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{CurveGroup, PrimeGroup};
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

/// The dev setup's .zkey bytes in memory (tests, small circuits): `setup_to` into a Vec.
pub fn setup(cs: R1cs, t: &Toxic) -> pyo3::PyResult<Vec<u8>> {
    setup_to(cs, t, Vec::new(), CHUNK)
}

/// Scalars per fixed-base batch: the points and their bytes for one chunk are all that a
/// point section holds in memory (2^20 G1 points: 64 MB affine + 64 MB encoded).
pub const CHUNK: usize = 1 << 20;

fn io_err(e: std::io::Error) -> pyo3::PyErr {
    pyo3::exceptions::PyOSError::new_err(format!("writing the zkey: {e}"))
}

/// The dev setup streamed into `out` section by section (zkey_new.js's order 1, 2, 4, 3, 9,
/// 8, 5, 6, 7, 10): the coefficient section straight from the R1CS, which is dropped as soon
/// as u, v, w are summed; then each point section in chunks of `chunk` scalars, so the peak is
/// the R1CS (while it lives) or the five scalar vectors plus one chunk, never the key.
pub fn setup_to<W: std::io::Write>(cs: R1cs, t: &Toxic, out: W, chunk: usize) -> pyo3::PyResult<W> {
    let (m, l, nw) = (cs.n_constraints, cs.n_public, cs.n_wires);
    let n = domain_size(m, l)?;
    let g1 = |x: Fr| (G1Projective::generator() * x).into_affine();
    let g2 = |x: Fr| (G2Projective::generator() * x).into_affine();
    let mut z = BinWriter::new(out, b"zkey", 10).map_err(io_err)?;
    z.section(1, &1u32.to_le_bytes()).map_err(io_err)?;
    let header = header_section(nw, l, n, g1(t.alpha), g1(t.beta), g2(t.beta), g2(t.gamma), g1(t.delta), g2(t.delta));
    z.section(2, &header).map_err(io_err)?;
    write_coef_section(&mut z, &cs).map_err(io_err)?;

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
    drop(cs);
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
    drop(w);
    let h: Vec<Fr> = {
        let lag2 = lagrange_at(t.tau, 2 * n);
        lag2.par_iter().skip(1).step_by(2).map(|x| *x * delta_inv).collect()
    };

    // G1: IC, H, C, A (u), B1 (v) — one fixed-base table; G2: B2 (v).
    let t1 = BatchMulPreprocessing::new(G1Projective::generator(), 3 + 3 * nw + n);
    let g1_stream = |z: &mut BinWriter<W>, kind: u32, s: &[Fr]| -> std::io::Result<()> {
        z.begin(kind, 64 * s.len() as u64)?;
        for c in s.chunks(chunk) {
            z.put(&g1_section(&t1.batch_mul(c)))?;
        }
        Ok(())
    };
    g1_stream(&mut z, 3, &k[..=l]).map_err(io_err)?;
    g1_stream(&mut z, 9, &h).map_err(io_err)?;
    drop(h);
    g1_stream(&mut z, 8, &k[l + 1..]).map_err(io_err)?;
    drop(k);
    g1_stream(&mut z, 5, &u).map_err(io_err)?;
    drop(u);
    g1_stream(&mut z, 6, &v).map_err(io_err)?;
    drop(t1);
    let t2 = BatchMulPreprocessing::new(G2Projective::generator(), 3 + nw);
    z.begin(7, 128 * nw as u64).map_err(io_err)?;
    for c in v.chunks(chunk) {
        z.put(&g2_section(&t2.batch_mul(c))).map_err(io_err)?;
    }
    drop(v);

    let mut tail = DEV_SETUP_MARKER.to_vec();
    tail.resize(64, 0);
    put_u32(&mut tail, 0);
    z.section(10, &tail).map_err(io_err)?;
    z.finish().map_err(io_err)
}

/// Section 4: per row A's then B's non-zero terms in R1CS order, then the extra rows
/// A[m+i][i] = 1 (i <= l); coefficients stored as c·R² mod r (the Montgomery limbs of c·R).
/// The count, first, comes from one pass over the terms; the rows are then written one at a
/// time, so the streaming setup never holds the section whole.
fn put_coefs<W: std::io::Write>(out: &mut W, cs: &R1cs) -> std::io::Result<()> {
    let (m, l) = (cs.n_constraints, cs.n_public);
    let r_std = Fr::from_bigint(Fr::R).unwrap();
    out.write_all(&(coef_count(cs) as u32).to_le_bytes())?;
    let mut row = Vec::with_capacity(44 * 64);
    let term = |row: &mut Vec<u8>, matrix: u32, j: u32, wire: u32, c: Fr| {
        put_u32(row, matrix);
        put_u32(row, j);
        put_u32(row, wire);
        row.extend_from_slice(&c.0.to_bytes_le());
    };
    for j in 0..m {
        row.clear();
        for matrix in 0..2usize {
            for &(wire, c) in cs.lc(j, matrix) {
                if !c.is_zero() {
                    term(&mut row, matrix as u32, j as u32, wire, c * r_std);
                }
            }
        }
        out.write_all(&row)?;
    }
    row.clear();
    for i in 0..=l {
        term(&mut row, 0, (m + i) as u32, i as u32, r_std); // 1·R² mod r
    }
    out.write_all(&row)
}

/// Section 4's term count: the non-zero A and B terms plus the l + 1 extra rows.
fn coef_count(cs: &R1cs) -> usize {
    let nonzero: usize = (0..cs.n_constraints)
        .map(|j| cs.lc(j, 0).iter().chain(cs.lc(j, 1)).filter(|(_, c)| !c.is_zero()).count())
        .sum();
    nonzero + cs.n_public + 1
}

fn write_coef_section<W: std::io::Write>(z: &mut BinWriter<W>, cs: &R1cs) -> std::io::Result<()> {
    z.begin(4, 4 + 44 * coef_count(cs) as u64)?;
    put_coefs(z, cs)
}

/// Section 4 in memory (the phase-2 setup's assemble_zkey).
pub fn coef_section(cs: &R1cs) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 44 * (cs.terms.len() + cs.n_public + 1));
    put_coefs(&mut out, cs).expect("writing to a Vec");
    out
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
    let header = header_section(z.n_vars, z.n_public, z.domain_size, z.alpha1, z.beta1, z.beta2, z.gamma2, z.delta1, z.delta2);
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

/// Section 2: the Groth16 header (field sizes and primes, sizes, α1 β1 β2 γ2 δ1 δ2).
#[allow(clippy::too_many_arguments)]
fn header_section(
    n_vars: usize,
    n_public: usize,
    domain_size: usize,
    alpha1: G1Affine,
    beta1: G1Affine,
    beta2: G2Affine,
    gamma2: G2Affine,
    delta1: G1Affine,
    delta2: G2Affine,
) -> Vec<u8> {
    let mut header = Vec::with_capacity(4 + 32 + 4 + 32 + 12 + 3 * 64 + 3 * 128);
    put_u32(&mut header, 32);
    header.extend_from_slice(&ark_bn254::Fq::MODULUS.to_bytes_le());
    put_u32(&mut header, 32);
    header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
    put_u32(&mut header, n_vars as u32);
    put_u32(&mut header, n_public as u32);
    put_u32(&mut header, domain_size as u32);
    header.extend(g1_section(&[alpha1, beta1]));
    header.extend(g2_section(&[beta2, gamma2]));
    header.extend(g1_section(&[delta1]));
    header.extend(g2_section(&[delta2]));
    header
}
