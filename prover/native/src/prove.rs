//! Groth16 proving from a snarkjs `.zkey` and a circom `.wtns`, as snarkjs's groth16_prove.js.
//!
//!   a = A·w, b = B·w, c = a∘b on the n-point domain (the zkey's sparse A, B rows)
//!   h evaluations: (a·b − c) on the odd coset ω_{2n}·ω_n^i (the zkey's H points are the
//!   Lagrange basis of the 2n domain at odd indices over δ, so no division by Z is needed)
//!   π_A = α + Σ w_i A_i + r·δ                 (G1)
//!   π_B = β + Σ w_i B_i + s·δ                 (G2), and its G1 twin B1 for π_C
//!   π_C = Σ_priv w_i C_i + Σ h_j H_j + s·π_A + r·B1 − r·s·δ
use crate::codec::{err, g1_bytes, g2_bytes};
use crate::zkey_map::ZkeyView;
use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::CurveGroup;
use ark_ff::{Field, PrimeField, Zero};
use pyo3::PyResult;
use rayon::prelude::*;
use std::time::Instant;

pub struct Phases(pub Vec<(&'static str, f64)>, pub f64);

/// The profile's clock: wall seconds, or with ZKCLEAR_PROFILE=cpu the process's CPU seconds
/// (with RAYON_NUM_THREADS=1, each phase's own cost even on a machine busy with other work).
pub fn clock() -> f64 {
    static CPU: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    if *CPU.get_or_init(|| std::env::var("ZKCLEAR_PROFILE").is_ok_and(|v| v == "cpu")) {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
        }
        const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux)
        unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) };
        return t.sec as f64 + t.nsec as f64 * 1e-9;
    }
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

impl Phases {
    pub fn new() -> Self {
        Phases(Vec::new(), clock())
    }
    pub fn mark(&mut self, name: &'static str) {
        let now = clock();
        self.0.push((name, now - self.1));
        self.1 = now;
    }
    pub fn report(&self) {
        if std::env::var_os("ZKCLEAR_PROFILE").is_some() {
            let body: Vec<String> = self.0.iter().map(|(k, v)| format!("\"{k}\": {v:.6}")).collect();
            eprintln!("ZKCLEAR_PROFILE {{{}}}", body.join(", "));
        }
    }
}

/// Σ s_i P_i over the pairs whose scalar and base are not zero (many zkey bases are the point
/// at infinity: signals absent from a matrix); scalars of one are plain additions, the rest go
/// to the batch-affine Pippenger of msm.rs.
fn msm<P: crate::msm::FastMsm>(bases: &[Affine<P>], scalars: &[Fr]) -> Projective<P> {
    let (ones, rest): (Vec<usize>, Vec<usize>) = (0..scalars.len())
        .filter(|&i| !scalars[i].is_zero() && !bases[i].infinity)
        .partition(|&i| scalars[i] == Fr::ONE);
    let sum_ones: Projective<P> = ones.par_iter().map(|&i| Projective::<P>::from(bases[i])).sum();
    let b: Vec<Affine<P>> = rest.iter().map(|&i| bases[i]).collect();
    let s: Vec<_> = rest.iter().map(|&i| scalars[i].into_bigint()).collect();
    sum_ones + P::fast_msm(&b, &s)
}

/// h's evaluations on the odd coset of the 2n domain: (A·w)(B·w) − (A·w)∘(B·w) interpolated,
/// from (A·w, B·w, their product) (zkey_map.rs's witness_products, or coef_rows.rs's).
pub fn h_evaluations(n: usize, (a, b, c): (Vec<Fr>, Vec<Fr>, Vec<Fr>), phases: &mut Phases) -> PyResult<Vec<Fr>> {
    // the key-independent transform of fft.rs (twiddles made once here, no bit reversal)
    let Some(f) = crate::fft::CosetFft::new(n) else {
        return err("domain size is not supported");
    };
    let h = f.h_values(a, b, c);
    phases.mark("h_ffts");
    Ok(h)
}

/// The key is read as the steps need it (zkey_map.rs): each point section is parsed when its
/// MSM starts and dropped when it ends.
pub fn prove(pk: &ZkeyView, w: &[Fr], r: Fr, s: Fr, mut phases: Phases) -> PyResult<Vec<u8>> {
    if w.len() != pk.n_vars {
        return err(format!("witness has {} values, the key expects {}", w.len(), pk.n_vars));
    }
    if w[0] != Fr::ONE {
        return err("witness value 0 must be 1");
    }
    // The G2 MSM (B2, the costliest) runs beside the FFTs and the G1 MSMs: rayon's work stealing
    // shares both sides' windows out over the cores, so no core idles at the end of one MSM.
    // Its phase entry is its own wall time, overlapping the others.
    let (b2, g1) = rayon::join(
        || {
            let t = clock();
            let b2 = msm(&pk.b2(), w);
            (b2, clock() - t)
        },
        || -> PyResult<_> {
            let products = pk.witness_products(w)?;
            phases.mark("witness_products");
            let h = h_evaluations(pk.domain_size, products, &mut phases)?;
            let pi_a = G1Projective::from(pk.alpha1) + msm(&pk.a(), w) + pk.delta1 * r;
            phases.mark("msm_a");
            let pi_b1 = G1Projective::from(pk.beta1) + msm(&pk.b1(), w) + pk.delta1 * s;
            phases.mark("msm_b1");
            let private = &w[pk.n_public + 1..];
            let c_part = msm(&pk.c(), private);
            phases.mark("msm_c");
            let h_part = msm(&pk.h(), &h);
            phases.mark("msm_h");
            Ok((pi_a, pi_b1, c_part, h_part))
        },
    );
    let (pi_a, pi_b1, c_part, h_part) = g1?;
    phases.mark("msm_b2_wait");
    phases.0.push(("msm_b2", b2.1));
    let proof = ProofParts { pi_a, pi_b1, b2_msm: b2.0, c_part, h_part };
    Ok(proof.finish(pk.beta2, pk.delta1, pk.delta2, r, s, phases))
}

/// A proof's MSM results, before the blinding: A = alpha + sum a_i w_i + r delta (in G1),
/// B's G1 copy beta + sum b_i w_i + s delta, B's G2 MSM sum b_i w_i, C's private part, h's.
pub(crate) struct ProofParts {
    pub pi_a: G1Projective,
    pub pi_b1: G1Projective,
    pub b2_msm: G2Projective,
    pub c_part: G1Projective,
    pub h_part: G1Projective,
}

impl ProofParts {
    /// Groth16's last step, the one place it is written: B = beta2 + B2 + s delta2,
    /// C = c + h + s A + r B1 - r s delta1; the proof as A || B || C bytes (codec.rs).
    pub(crate) fn finish(
        self,
        beta2: ark_bn254::G2Affine,
        delta1: ark_bn254::G1Affine,
        delta2: ark_bn254::G2Affine,
        r: Fr,
        s: Fr,
        mut phases: Phases,
    ) -> Vec<u8> {
        let pi_b = G2Projective::from(beta2) + self.b2_msm + delta2 * s;
        let pi_c = self.c_part + self.h_part + self.pi_a * s + self.pi_b1 * r - delta1 * (r * s);
        let mut out = g1_bytes(&self.pi_a.into_affine());
        out.extend(g2_bytes(&pi_b.into_affine()));
        out.extend(g1_bytes(&pi_c.into_affine()));
        phases.mark("finish");
        phases.report();
        out
    }
}
