//! Groth16 phase 2 on a prepared powers-of-tau file (snarkjs `groth16 setup` + one
//! `zkey contribute`), byte for byte prover/groth16/setup.py `phase2_setup`:
//!   * the ceremony's Lagrange-basis sections (12..15) give every query as a sparse linear
//!     combination per the R1CS, no FFT: A_i = Σ_j A[j][i] L_j(τ)G1 (rows m..m+l: the extra
//!     A-only rows), B1_i / B2_i likewise from B, K_i = Σ A[j][i] βL_j + B[j][i] αL_j + C[j][i] L_j;
//!     IC = K_i (i <= l, γ = 1), C = K_i/δ (i > l), H_j = L^{2n}_{2j+1}(τ)G1/δ
//!   * α, β from the ceremony (sections 4, 5, 6), γ = G2, δ the one contribution
//!   * section 10: snarkjs's circuit hash and one contribution record (mpc.rs)
//! Each wire's combination is a few scalar multiplications (±1 coefficients are additions);
//! wires with many terms (the constant wire) use the Pippenger MSM of msm.rs.
use crate::codec::{err, limbs};
use crate::mpc;
use crate::r1cs::R1cs;
use crate::setup::{assemble_zkey, coef_section, domain_size, ZkeyParts};
use crate::zkey::Sections;
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{Field, One, PrimeField, Zero};
use pyo3::PyResult;
use rayon::prelude::*;

fn fq_lem(b: &[u8]) -> Option<Fq> {
    let l = limbs(b);
    if l >= Fq::MODULUS {
        None
    } else {
        Some(Fq::new_unchecked(l))
    }
}

fn g1_checked(b: &[u8]) -> Option<G1Affine> {
    if b.iter().all(|x| *x == 0) {
        return Some(G1Affine::identity());
    }
    Some(G1Affine::new_unchecked(fq_lem(&b[0..32])?, fq_lem(&b[32..64])?))
}

fn g2_checked(b: &[u8]) -> Option<G2Affine> {
    if b.iter().all(|x| *x == 0) {
        return Some(G2Affine::identity());
    }
    let x = Fq2::new(fq_lem(&b[0..32])?, fq_lem(&b[32..64])?);
    let y = Fq2::new(fq_lem(&b[64..96])?, fq_lem(&b[96..128])?);
    Some(G2Affine::new_unchecked(x, y))
}

pub struct Ptau<'a> {
    pub power: u32,
    s: Sections<'a>,
}

const NAMES: [&str; 16] = [
    "", "header", "tauG1", "tauG2", "alphaTauG1", "betaTauG1", "betaG2", "contributions", "", "", "", "",
    "lagrange tauG1", "lagrange tauG2", "lagrange alphaTauG1", "lagrange betaTauG1",
];

impl<'a> Ptau<'a> {
    pub fn parse(data: &'a [u8]) -> PyResult<Self> {
        let s = Sections::parse(data, b"ptau", "ptau")?;
        let h = s.get(1, 44, "ptau")?;
        if u32::from_le_bytes(h[0..4].try_into().unwrap()) != 32 || limbs(&h[4..36]) != Fq::MODULUS {
            return err("ptau header: not a BN254 (bn128) ceremony");
        }
        let power = u32::from_le_bytes(h[36..40].try_into().unwrap());
        if !(1..=28).contains(&power) {
            return err(format!("ptau header corrupt: power {power}"));
        }
        let p = 1usize << power;
        for (sec, count, size) in [(2u32, 2 * p - 1, 64usize), (3, p, 128), (4, p, 64), (5, p, 64), (6, 1, 128)] {
            let got = s.get(sec, 0, "ptau")?.len();
            if got != count * size {
                return err(format!("ptau {} section has {got} bytes, expected {}", NAMES[sec as usize], count * size));
            }
        }
        if ![12u32, 13, 14, 15].iter().all(|k| s.has(*k)) {
            return err("ptau file is not prepared for phase 2: run `snarkjs powersoftau prepare phase2`");
        }
        for (sec, top, size) in [(12u32, power + 1, 64usize), (13, power, 128), (14, power, 64), (15, power, 64)] {
            let want = ((1usize << (top + 1)) - 1) * size;
            let got = s.get(sec, 0, "ptau")?.len();
            if got != want {
                return err(format!("ptau {} section has {got} bytes, expected {want}", NAMES[sec as usize]));
            }
        }
        Ok(Ptau { power, s })
    }

    fn raw(&self, sec: u32, start: usize, count: usize, size: usize) -> PyResult<&'a [u8]> {
        let b = self.s.get(sec, 0, "ptau")?;
        if (start + count) * size > b.len() {
            return err(format!("ptau {} section too short for points {start}..{}", NAMES[sec as usize], start + count));
        }
        Ok(&b[start * size..(start + count) * size])
    }

    pub fn g1s(&self, sec: u32, start: usize, count: usize) -> PyResult<Vec<G1Affine>> {
        let b = self.raw(sec, start, count, 64)?;
        match b.par_chunks_exact(64).map(g1_checked).collect::<Option<Vec<_>>>() {
            Some(v) => Ok(v),
            None => err(format!("ptau {}: coordinate not reduced modulo q", NAMES[sec as usize])),
        }
    }

    pub fn g2s(&self, sec: u32, start: usize, count: usize) -> PyResult<Vec<G2Affine>> {
        let b = self.raw(sec, start, count, 128)?;
        match b.par_chunks_exact(128).map(g2_checked).collect::<Option<Vec<_>>>() {
            Some(v) => Ok(v),
            None => err(format!("ptau {}: coordinate not reduced modulo q", NAMES[sec as usize])),
        }
    }
}

/// Σ c·P over (point index, coefficient) entries.
fn combine<P: SWCurveConfig<ScalarField = Fr, BaseField: crate::lanes::LaneField>>(bases: &[Affine<P>], entries: &[(u32, Fr)]) -> Projective<P> {
    if entries.len() > 32 {
        let b: Vec<Affine<P>> = entries.iter().map(|(j, _)| bases[*j as usize]).collect();
        let s: Vec<_> = entries.iter().map(|(_, c)| c.into_bigint()).collect();
        return crate::msm::msm(&b, &s);
    }
    let minus_one = -Fr::one();
    let mut acc = Projective::<P>::zero();
    for &(j, c) in entries {
        let p = bases[j as usize];
        if c.is_one() {
            acc += p;
        } else if c == minus_one {
            acc -= p;
        } else {
            acc += p * c; // GLV (ark-bn254 mul_projective)
        }
    }
    acc
}

/// Per wire, the (row, coefficient) entries of one matrix (zero coefficients dropped).
fn columns(cs: &R1cs, matrix: usize, extra_rows: bool) -> Vec<Vec<(u32, Fr)>> {
    let mut cols: Vec<Vec<(u32, Fr)>> = vec![Vec::new(); cs.n_wires];
    for j in 0..cs.n_constraints {
        for &(w, c) in cs.lc(j, matrix) {
            if !c.is_zero() {
                cols[w as usize].push((j as u32, c));
            }
        }
    }
    if extra_rows {
        for i in 0..=cs.n_public {
            cols[i].push(((cs.n_constraints + i) as u32, Fr::one()));
        }
    }
    cols
}

pub fn setup_ptau(cs: &R1cs, data: &[u8], delta: Fr) -> PyResult<Vec<u8>> {
    if delta.is_zero() {
        return err("delta must be non-zero");
    }
    let pt = Ptau::parse(data)?;
    let (l, nw) = (cs.n_public, cs.n_wires);
    let n = domain_size(cs.n_constraints, l)?;
    if n > 1usize << pt.power {
        return err(format!(
            "circuit needs a domain of 2^{} rows; the ptau file has power {}",
            n.trailing_zeros(),
            pt.power
        ));
    }
    let lt1 = pt.g1s(12, n - 1, n)?;
    let lt2 = pt.g2s(13, n - 1, n)?;
    let la1 = pt.g1s(14, n - 1, n)?;
    let lb1 = pt.g1s(15, n - 1, n)?;
    let (ca, cb, cc) = (columns(cs, 0, true), columns(cs, 1, false), columns(cs, 2, false));

    let a: Vec<G1Projective> = ca.par_iter().map(|e| combine(&lt1, e)).collect();
    let b1: Vec<G1Projective> = cb.par_iter().map(|e| combine(&lt1, e)).collect();
    let b2: Vec<G2Projective> = cb.par_iter().map(|e| combine(&lt2, e)).collect();
    let k: Vec<G1Projective> = (0..nw)
        .into_par_iter()
        .map(|i| combine(&lb1, &ca[i]) + combine(&la1, &cb[i]) + combine(&lt1, &cc[i]))
        .collect();
    drop((lt1, lt2, la1, lb1));
    let a = G1Projective::normalize_batch(&a);
    let b1 = G1Projective::normalize_batch(&b1);
    let b2 = G2Projective::normalize_batch(&b2);
    let k = G1Projective::normalize_batch(&k);

    let delta_inv = delta.inverse().unwrap();
    let di = delta_inv.into_bigint();
    let c: Vec<G1Projective> = k[l + 1..].par_iter().map(|p| p.mul_bigint(di)).collect();
    let c = G1Projective::normalize_batch(&c);
    let lag2 = pt.g1s(12, 2 * n - 1, 2 * n)?;
    let h: Vec<G1Projective> = lag2.par_iter().skip(1).step_by(2).map(|p| p.mul_bigint(di)).collect();
    drop(lag2);
    let h = G1Projective::normalize_batch(&h);

    let alpha1 = pt.g1s(4, 0, 1)?[0];
    let beta1 = pt.g1s(5, 0, 1)?[0];
    let beta2 = pt.g2s(6, 0, 1)?[0];
    let mut tail = vec![0u8; 64];
    tail.extend_from_slice(&0u32.to_le_bytes());
    if mpc::hashable(n, pt.power as usize) {
        let tau = pt.g1s(2, 0, mpc::h_points_hashed(n) + n)?;
        let cs_hash = mpc::circuit_hash(alpha1, beta1, beta2, &k[..l + 1], &tau, n, &k[l + 1..], &a, &b1, &b2);
        tail = cs_hash.to_vec();
        tail.extend(mpc::contribution(&cs_hash, delta));
    }
    Ok(assemble_zkey(&ZkeyParts {
        n_vars: nw,
        n_public: l,
        domain_size: n,
        alpha1,
        beta1,
        beta2,
        gamma2: G2Projective::generator().into_affine(),
        delta1: (G1Projective::generator() * delta).into_affine(),
        delta2: (G2Projective::generator() * delta).into_affine(),
        coefs: coef_section(cs),
        ic: &k[..l + 1],
        h: &h,
        c: &c,
        a: &a,
        b1: &b1,
        b2: &b2,
        tail,
    }))
}
