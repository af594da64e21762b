//! The prover's h(x) transforms: domain evaluations -> odd-coset evaluations, with every table
//! precomputed once per domain and no bit-reversal pass.
//!
//!   DIF with ω^−1 (natural order in, bit-reversed out):   y[j] = n · coef[rev(j)]
//!   coset DIT (bit-reversed in, natural order out):        out[m] = Σ_i y_i g^i ω^(im)
//!
//! g = ω_2n, the shift of the odd coset. The DIT absorbs g instead of a scaling pass: a stage of
//! length L joins the even and odd halves' values at the points g^(n/L)·ω_L^m, so its twiddle is
//! g^(n/L)·ω_L^m = ω_2L^(2m+1) (never 1). Both directions read one table, tw2[k] = ω_2n^k for
//! k < n: the DIF's ω_L^−i is −ω_2n^(n − 2i·n/L). The factor 1/n is left out of the transform
//! (`coset_unscaled`) and applied once where the three transforms meet (`h_values`).
//!
//! Memory passes: the stages longer than a cache block (`INNER` elements) go over the whole
//! array two at a time (radix-4 passes: 4 values loaded, two stages' butterflies, 4 stored);
//! the rest run block by block while the block is in cache: the DIF's last stages, then at once
//! the DIT's first ones (bit-reversed order keeps each block's values together), from compact
//! per-stage tables. A 2^23 domain goes over memory 10 times per transform, not 46.
//!
//! The same values as the arkworks ifft + coset fft (kernels.rs's fr_ntt / fr_coset_ntt).
//!
//! Where the CPU has AVX-512 IFMA (lanes::enabled()) and n ≥ 128, the same walk runs eight
//! butterflies at a time in fft_lanes.rs, with its own tables (the same bytes out); this
//! file's scalar code is the fallback.
use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use crate::fft_lanes::LaneTables;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Elements of one in-cache block (32 bytes each; with its two tables 384 KB, within a 1 MB L2).
/// 2^10..2^16 timed the same within 1% on one thread (the transform is bound by the field
/// multiplications, not by memory, on the 2-core development machine).
const INNER: usize = 1 << 12;
/// Quartets of a radix-4 pass per parallel task.
const CHUNK: usize = 1 << 10;

pub struct CosetFft {
    n: usize,
    /// ω_2n
    g: Fr,
    /// the scalar path's tables, or the lanes' (fft_lanes.rs), made at the first transform
    /// that needs them (one of them, unless the lanes are switched between transforms)
    scalar: OnceLock<Tables>,
    lane: OnceLock<LaneTables>,
    n_inv: Fr,
}

struct Tables {
    /// ω_2n^k, k < n
    tw2: Vec<Fr>,
    /// per inner stage of length L (at [L/2, L)): ω_L^−i for the DIF, ω_2L^(2m+1) for the DIT
    dif_small: Vec<Fr>,
    dit_small: Vec<Fr>,
}

/// base^k for k < count, filled in parallel from a few sequential starting powers.
fn powers_par(base: Fr, count: usize) -> Vec<Fr> {
    const SEG: usize = 1 << 14;
    let mut v = vec![Fr::zero(); count];
    v.par_chunks_mut(SEG).enumerate().for_each(|(s, seg)| {
        let mut x = base.pow([(s * SEG) as u64]);
        for y in seg {
            *y = x;
            x *= base;
        }
    });
    v
}

impl Tables {
    fn new(n: usize, g: Fr) -> Self {
        let tw2 = powers_par(g, n);
        let inner = n.min(INNER);
        let mut dif_small = vec![Fr::zero(); inner.max(2)];
        let mut dit_small = vec![Fr::zero(); inner.max(2)];
        let mut len = 2;
        while len <= inner {
            let half = len / 2;
            let step = n / len;
            for i in 0..half {
                // ω_L^−i = −ω_2n^(n − 2i·n/L); ω_2L^(2i+1) = ω_2n^((2i+1)·n/L)
                dif_small[half + i] = if i == 0 { Fr::one() } else { -tw2[n - 2 * i * step] };
                dit_small[half + i] = tw2[(2 * i + 1) * step];
            }
            len *= 2;
        }
        Tables { tw2, dif_small, dit_small }
    }
}

impl CosetFft {
    /// None when n is not a supported power of two.
    pub fn new(n: usize) -> Option<Self> {
        let domain = Radix2EvaluationDomain::<Fr>::new(n).filter(|d| d.size() == n && n >= 2)?;
        let g = Radix2EvaluationDomain::<Fr>::new(2 * n)?.group_gen();
        debug_assert_eq!(g * g, domain.group_gen());
        Some(CosetFft { n, g, scalar: OnceLock::new(), lane: OnceLock::new(), n_inv: Fr::from(n as u64).inverse()? })
    }

    /// The lanes' tables where this transform runs in lanes now (lanes::enabled() and a size
    /// fft_lanes walks), made the first time.
    fn lane_tables(&self) -> Option<&LaneTables> {
        let block = crate::fft_lanes::block_len(self.n).filter(|_| crate::lanes::enabled())?;
        Some(self.lane.get_or_init(|| LaneTables::new(self.g, self.n, block)))
    }

    fn tables(&self) -> &Tables {
        self.scalar.get_or_init(|| Tables::new(self.n, self.g))
    }

    /// Evaluations on the n-point domain -> evaluations on its coset g·ω^i, in place.
    pub fn to_coset(&self, a: &mut [Fr]) {
        self.coset_unscaled(a);
        let s = self.n_inv;
        if self.lane_tables().is_some() {
            return crate::fft_lanes::scale(a, s);
        }
        a.par_iter_mut().for_each(|x| *x *= s);
    }

    /// h on the odd coset from A·w, B·w and their product on the domain: A(x)B(x) − C(x) with
    /// each of the three interpolated and moved to the coset; `a`'s storage is returned.
    pub fn h_values(&self, mut a: Vec<Fr>, mut b: Vec<Fr>, mut c: Vec<Fr>) -> Vec<Fr> {
        // the tables once, before the three transforms ask for them at the same time
        if self.lane_tables().is_none() {
            self.tables();
        }
        rayon::join(
            || self.coset_unscaled(&mut a),
            || rayon::join(|| self.coset_unscaled(&mut b), || self.coset_unscaled(&mut c)),
        );
        // each transform is n times its values: h = (a·b·n^−1 − c)·n^−1
        let s = self.n_inv;
        if self.lane_tables().is_some() {
            crate::fft_lanes::h_combine(&mut a, &b, &c, s);
            return a;
        }
        a.par_iter_mut().zip(b.par_iter()).zip(c.par_iter()).with_min_len(1 << 10).for_each(|((x, y), z)| {
            *x = (*x * y * s - z) * s;
        });
        a
    }

    /// n times the coset evaluations (the DIF's 1/n left out).
    pub fn coset_unscaled(&self, a: &mut [Fr]) {
        let n = self.n;
        assert_eq!(a.len(), n, "the transform's domain has {n} points");
        if let Some(t) = self.lane_tables() {
            return crate::fft_lanes::coset_unscaled(a, t);
        }
        let tables = self.tables();
        let inner = n.min(INNER);
        let outer = (n / inner).trailing_zeros();
        // DIF stages of length n down to 2·inner, two per pass
        let mut len = n;
        for _ in 0..outer / 2 {
            self.dif_pass4(a, len);
            len /= 4;
        }
        if outer % 2 == 1 {
            self.dif_pass2(a, len);
        }
        a.par_chunks_mut(inner).for_each(|blk| {
            dif_block(blk, &tables.dif_small);
            dit_block(blk, &tables.dit_small);
        });
        // DIT stages of length 2·inner up to n
        let mut len = 2 * inner;
        if outer % 2 == 1 {
            self.dit_pass2(a, len);
            len *= 2;
        }
        for _ in 0..outer / 2 {
            self.dit_pass4(a, len * 2);
            len *= 4;
        }
    }


    /// One DIF stage of length `len`, every block, over the whole array.
    fn dif_pass2(&self, a: &mut [Fr], len: usize) {
        let tw2 = &self.tables().tw2;
        let step = self.n / len;
        for_each_pair_run(a, len, |i0, l, h| {
            for (k, (u, v)) in l.iter_mut().zip(h.iter_mut()).enumerate() {
                let i = i0 + k;
                let t = *u;
                *u += *v;
                *v = if i == 0 { t - *v } else { (*v - t) * dif_tw(tw2, i, step) };
            }
        });
    }

    /// DIF stages of length `len` and len/2 in one pass: quartets (j, j+q, j+2q, j+3q), q = len/4.
    fn dif_pass4(&self, a: &mut [Fr], len: usize) {
        let tw2 = &self.tables().tw2;
        let q = len / 4;
        let step = self.n / len;
        for_each_quartet(a, len, |j, c0, c1, c2, c3| {
            let (u0, u1, u2, u3) = (*c0, *c1, *c2, *c3);
            // stage len: (j, j+2q) with ω_len^−j, (j+q, j+3q) with ω_len^−(j+q)
            let y0 = u0 + u2;
            let y2 = if j == 0 { u0 - u2 } else { (u2 - u0) * dif_tw(tw2, j, step) };
            let y1 = u1 + u3;
            let y3 = (u3 - u1) * dif_tw(tw2, j + q, step);
            // stage len/2: (j, j+q) and (j+2q, j+3q) with ω_(len/2)^−j
            *c0 = y0 + y1;
            *c2 = y2 + y3;
            if j == 0 {
                *c1 = y0 - y1;
                *c3 = y2 - y3;
            } else {
                let w = dif_tw(tw2, j, 2 * step);
                *c1 = (y1 - y0) * w;
                *c3 = (y3 - y2) * w;
            }
        });
    }


    /// One coset-DIT stage of length `len` over the whole array.
    fn dit_pass2(&self, a: &mut [Fr], len: usize) {
        let tw2 = &self.tables().tw2;
        let step = self.n / len;
        for_each_pair_run(a, len, |i0, l, h| {
            for (k, (u, v)) in l.iter_mut().zip(h.iter_mut()).enumerate() {
                let t = *v * dit_tw(tw2, i0 + k, step);
                *v = *u - t;
                *u += t;
            }
        });
    }

    /// Coset-DIT stages of length len/2 and len in one pass.
    fn dit_pass4(&self, a: &mut [Fr], len: usize) {
        let tw2 = &self.tables().tw2;
        let q = len / 4;
        let step = self.n / len;
        for_each_quartet(a, len, |j, c0, c1, c2, c3| {
            // stage len/2: (j, j+q) and (j+2q, j+3q) with ω_len^(2j+1)
            let w = dit_tw(tw2, j, 2 * step);
            let t1 = *c1 * w;
            let t3 = *c3 * w;
            let (y0, y1) = (*c0 + t1, *c0 - t1);
            let (y2, y3) = (*c2 + t3, *c2 - t3);
            // stage len: (j, j+2q) with ω_2len^(2j+1), (j+q, j+3q) with ω_2len^(2(j+q)+1)
            let t2 = y2 * dit_tw(tw2, j, step);
            let t3 = y3 * dit_tw(tw2, j + q, step);
            *c0 = y0 + t2;
            *c2 = y0 - t2;
            *c1 = y1 + t3;
            *c3 = y1 - t3;
        });
    }
}

/// ω_L^−i, i < L/2 (−ω_2n^(n − 2i·n/L), written as the table entry and a sign)
#[inline(always)]
fn dif_tw(tw2: &[Fr], i: usize, step: usize) -> Fr {
    let n = tw2.len();
    tw2[(n - 2 * i * step) & (n - 1)]
}

/// ω_2L^(2m+1), m < L/2
#[inline(always)]
fn dit_tw(tw2: &[Fr], m: usize, step: usize) -> Fr {
    tw2[(2 * m + 1) * step]
}

/// Calls `f(j, x_j, x_j+q, x_j+2q, x_j+3q)` for every quartet of every block of length `len`
/// (q = len/4, j < q), blocks and runs of CHUNK quartets in parallel: the radix-4 passes' walk.
fn for_each_quartet(a: &mut [Fr], len: usize, f: impl Fn(usize, &mut Fr, &mut Fr, &mut Fr, &mut Fr) + Sync) {
    for_each_quartet_run(a, len, |j, [c0, c1, c2, c3]| {
        for (k, (((u0, u1), u2), u3)) in c0.iter_mut().zip(c1.iter_mut()).zip(c2.iter_mut()).zip(c3.iter_mut()).enumerate() {
            f(j + k, u0, u1, u2, u3);
        }
    });
}

/// `f(j0, [quarter runs])` for runs of CHUNK quartets of every block of length `len`, in
/// parallel (the scalar passes and fft_lanes.rs's walk both).
pub(crate) fn for_each_quartet_run(a: &mut [Fr], len: usize, f: impl Fn(usize, [&mut [Fr]; 4]) + Sync) {
    let q = len / 4;
    a.par_chunks_mut(len).for_each(|blk| {
        let (x01, x23) = blk.split_at_mut(2 * q);
        let (x0, x1) = x01.split_at_mut(q);
        let (x2, x3) = x23.split_at_mut(q);
        let quarters = x0.par_chunks_mut(CHUNK).zip(x1.par_chunks_mut(CHUNK)).zip(x2.par_chunks_mut(CHUNK).zip(x3.par_chunks_mut(CHUNK)));
        quarters.enumerate().for_each(|(c, ((c0, c1), (c2, c3)))| f(c * CHUNK, [c0, c1, c2, c3]));
    });
}

/// `f(i0, lo run, hi run)` for runs of CHUNK pairs of every block of length `len`, in parallel.
pub(crate) fn for_each_pair_run(a: &mut [Fr], len: usize, f: impl Fn(usize, &mut [Fr], &mut [Fr]) + Sync) {
    a.par_chunks_mut(len).for_each(|blk| {
        let (lo, hi) = blk.split_at_mut(len / 2);
        lo.par_chunks_mut(CHUNK).zip(hi.par_chunks_mut(CHUNK)).enumerate().for_each(|(c, (l, h))| f(c * CHUNK, l, h));
    });
}

/// The DIF stages of length blk.len() down to 2 on one block (in cache), tw[L/2 + i] = ω_L^−i.
fn dif_block(blk: &mut [Fr], tw: &[Fr]) {
    let mut half = blk.len() / 2;
    while half >= 1 {
        let t = &tw[half..2 * half];
        for sub in blk.chunks_exact_mut(2 * half) {
            let (lo, hi) = sub.split_at_mut(half);
            let (u, v) = (lo[0], hi[0]);
            lo[0] = u + v;
            hi[0] = u - v;
            for i in 1..half {
                let (u, v) = (lo[i], hi[i]);
                lo[i] = u + v;
                hi[i] = (u - v) * t[i];
            }
        }
        half /= 2;
    }
}

/// The coset-DIT stages of length 2 up to blk.len() on one block, tw[L/2 + m] = ω_2L^(2m+1).
fn dit_block(blk: &mut [Fr], tw: &[Fr]) {
    let mut half = 1;
    while half < blk.len() {
        let t = &tw[half..2 * half];
        for sub in blk.chunks_exact_mut(2 * half) {
            let (lo, hi) = sub.split_at_mut(half);
            for i in 0..half {
                let x = hi[i] * t[i];
                hi[i] = lo[i] - x;
                lo[i] += x;
            }
        }
        half *= 2;
    }
}

/// Domain evaluations (n·32 bytes, LE standard form, n a power of two) -> odd-coset evaluations.
pub fn odd_coset(values: &[u8]) -> pyo3::PyResult<Vec<u8>> {
    let mut v = crate::codec::scalars_std(values)?;
    let Some(f) = CosetFft::new(v.len()) else {
        return crate::codec::err("the number of values must be a power of two (at least 2)");
    };
    f.to_coset(&mut v);
    Ok(crate::codec::fr_bytes(&v))
}

/// Seconds of `repeat` transforms of 2^log_n pseudo-random values after one untimed warm-up
/// (tables made once, as the resident prover keeps them), on prove.rs's clock (wall, or the
/// process's CPU seconds with ZKCLEAR_PROFILE=cpu): the micro-benchmark's kernel.
pub fn bench(log_n: u32, repeat: usize) -> pyo3::PyResult<Vec<f64>> {
    let n = 1usize << log_n;
    let Some(f) = CosetFft::new(n) else {
        return crate::codec::err("unsupported size");
    };
    let seed = Fr::from(0x9e37_79b9_7f4a_7c15u64);
    let mut v = powers_par(seed, n);
    let mut out = Vec::with_capacity(repeat);
    f.to_coset(&mut v);
    for _ in 0..repeat {
        let t = crate::prove::clock();
        f.to_coset(&mut v);
        out.push(crate::prove::clock() - t);
    }
    Ok(out)
}
