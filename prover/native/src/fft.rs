//! The resident prover's h(x) transforms: domain evaluations -> odd-coset evaluations, with
//! every table precomputed once per key and no bit-reversal pass.
//!
//!   DIF with ω^−1 (natural order in, bit-reversed out):  y[j] = n · coef[rev(j)]
//!   y[j] *= g^rev(j) / n                                 (the coset shift g = ω_2n, and 1/n)
//!   DIT with ω (bit-reversed in, natural order out):      out[m] = Σ_i coef_i g^i ω^(im)
//!
//! The same values as prove.rs's ifft + coset fft (arkworks' radix-2, which permutes its
//! input twice per transform and recomputes the roots each call).
use ark_bn254::Fr;
use ark_ff::{Field, One};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rayon::prelude::*;

/// Butterflies of one half-block run in parallel above this many pairs.
const PAR_HALF: usize = 1 << 11;

pub struct CosetFft {
    /// ω^k and ω^−k, k < n/2
    tw: Vec<Fr>,
    tw_inv: Vec<Fr>,
    /// g^rev(j) / n
    scale: Vec<Fr>,
}

fn powers(base: Fr, count: usize) -> Vec<Fr> {
    let mut v = Vec::with_capacity(count);
    let mut x = Fr::one();
    for _ in 0..count {
        v.push(x);
        x *= base;
    }
    v
}

impl CosetFft {
    /// None when n is not a supported power of two.
    pub fn new(n: usize) -> Option<Self> {
        let domain = Radix2EvaluationDomain::<Fr>::new(n).filter(|d| d.size() == n && n >= 2)?;
        let omega = domain.group_gen();
        let g = Radix2EvaluationDomain::<Fr>::new(2 * n)?.group_gen();
        let bits = n.trailing_zeros();
        let n_inv = Fr::from(n as u64).inverse()?;
        let g_pows: Vec<Fr> = powers(g, n);
        let scale = (0..n).map(|j| g_pows[(j.reverse_bits() >> (usize::BITS - bits)) as usize] * n_inv).collect();
        Some(CosetFft { tw: powers(omega, n / 2), tw_inv: powers(omega.inverse()?, n / 2), scale })
    }

    /// Evaluations on the n-point domain -> evaluations on its coset g·ω^i, in place.
    pub fn to_coset(&self, a: &mut [Fr]) {
        dif(a, &self.tw_inv);
        a.par_iter_mut().zip(self.scale.par_iter()).for_each(|(x, s)| *x *= s);
        dit(a, &self.tw);
    }
}

/// Each block of `len`: its two halves (lo, hi) and the twiddle stride, in parallel.
fn stages(a: &mut [Fr], len: usize, f: impl Fn(&mut [Fr], &mut [Fr], usize, usize) + Sync) {
    let n = a.len();
    let half = len / 2;
    let step = n / len;
    a.par_chunks_mut(len).with_min_len((PAR_HALF / half).max(1)).for_each(|blk| {
        let (lo, hi) = blk.split_at_mut(half);
        if half > PAR_HALF {
            lo.par_chunks_mut(PAR_HALF)
                .zip(hi.par_chunks_mut(PAR_HALF))
                .enumerate()
                .for_each(|(c, (l, h))| f(l, h, c * PAR_HALF, step));
        } else {
            f(lo, hi, 0, step);
        }
    });
}

/// Gentleman–Sande: natural order in, bit-reversed out.
fn dif(a: &mut [Fr], tw: &[Fr]) {
    let mut len = a.len();
    while len >= 2 {
        stages(a, len, |lo, hi, j0, step| {
            for (i, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let t = *u - *v;
                *u += *v;
                *v = t * tw[(j0 + i) * step];
            }
        });
        len /= 2;
    }
}

/// Cooley–Tukey: bit-reversed in, natural order out.
fn dit(a: &mut [Fr], tw: &[Fr]) {
    let n = a.len();
    let mut len = 2;
    while len <= n {
        stages(a, len, |lo, hi, j0, step| {
            for (i, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let t = *v * tw[(j0 + i) * step];
                *v = *u - t;
                *u += t;
            }
        });
        len *= 2;
    }
}
