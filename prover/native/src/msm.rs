//! Multi-scalar multiplication Σ s_i P_i on a short Weierstrass curve (G1 and G2 of BN254):
//! Pippenger with signed windows and batch-affine bucket accumulation.
//!
//! Each scalar is cut into W signed c-bit digits d in [−2^(c−1), 2^(c−1)], so a window needs
//! 2^(c−1) buckets (−P goes into bucket |d| − 1). Buckets are kept in AFFINE coordinates: the
//! additions bucket += P of up to BATCH different buckets are done together, sharing one field
//! inversion (Montgomery's trick), so an addition costs ~6 multiplications instead of ~11 for
//! a mixed Jacobian addition (arkworks' stock MSM). An addition into a bucket that already has
//! one waiting in the batch is deferred to the next batch; when too many are deferred already
//! (scalars with many equal digits) it goes into a projective overflow bucket instead, so a
//! window costs O(n) whatever the scalars. Windows run in parallel (rayon);
//! each window's buckets are summed with the usual running sum, then windows are combined with
//! c doublings each.
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AdditiveGroup;
use ark_ff::{BigInt, BigInteger, Field, Zero};
use rayon::prelude::*;

/// At most this many additions share one inversion; a quarter of the window's buckets at most,
/// so that few additions collide with one already waiting.
const BATCH: usize = 256;
/// Windows with fewer buckets than this (the top window, small c) use projective buckets.
const MIN_AFFINE_BUCKETS: usize = 64;

/// Bits [pos, pos + c) of a 256-bit little-endian integer (c <= 32).
fn bits(s: &BigInt<4>, pos: usize, c: usize) -> u64 {
    let (limb, off) = (pos / 64, pos % 64);
    if limb >= 4 {
        return 0;
    }
    let mut v = s.0[limb] >> off;
    if off + c > 64 && limb + 1 < 4 {
        v |= s.0[limb + 1] << (64 - off);
    }
    v & ((1u64 << c) - 1)
}

/// Window width minimizing W·(6n + 14·2^c) field multiplications (accumulation + reduction).
fn window_bits(n: usize) -> usize {
    (2..=20usize)
        .min_by_key(|&c| ((254 + c) / c) * (6 * n + 14 * (1usize << c)))
        .unwrap()
}

/// Signed digits, scalar-major: digits[i * windows + w] is scalar i's digit in window w.
fn signed_digits(scalars: &[BigInt<4>], c: usize, windows: usize) -> Vec<i32> {
    let mut digits = vec![0i32; windows * scalars.len()];
    let half = 1i64 << (c - 1);
    let full = 1i64 << c;
    digits.par_chunks_mut(windows).zip(scalars.par_iter()).for_each(|(ds, s)| {
        let mut carry = 0i64;
        for (w, out) in ds.iter_mut().enumerate() {
            let mut d = bits(s, w * c, c) as i64 + carry;
            carry = 0;
            if d > half {
                d -= full;
                carry = 1;
            }
            *out = d as i32;
        }
    });
    digits
}

/// The buckets of one window, accumulated in affine coordinates with batched inversions.
struct Buckets<P: SWCurveConfig> {
    b: Vec<Affine<P>>,
    stamp: Vec<u32>,
    epoch: u32,
    batch: Vec<(u32, Affine<P>)>,
    deferred: Vec<(u32, Affine<P>)>,
    /// projective buckets for the additions that could not wait (allocated on first use)
    overflow: Vec<Projective<P>>,
    den: Vec<P::BaseField>,
    batch_size: usize,
}

impl<P: SWCurveConfig> Buckets<P> {
    fn new(count: usize) -> Self {
        Buckets {
            b: vec![Affine::<P>::identity(); count],
            stamp: vec![0; count],
            epoch: 1,
            batch: Vec::with_capacity(BATCH),
            deferred: Vec::new(),
            overflow: Vec::new(),
            den: Vec::with_capacity(BATCH),
            batch_size: (count / 4).clamp(1, BATCH),
        }
    }

    fn push(&mut self, k: u32, p: Affine<P>) {
        let ku = k as usize;
        if self.stamp[ku] == self.epoch {
            if self.deferred.len() < self.batch_size {
                self.deferred.push((k, p));
            } else {
                self.add_overflow(ku, &p);
            }
        } else if self.b[ku].infinity {
            self.b[ku] = p;
        } else {
            self.stamp[ku] = self.epoch;
            self.batch.push((k, p));
            if self.batch.len() == self.batch_size {
                self.flush();
            }
        }
    }

    fn add_overflow(&mut self, k: usize, p: &Affine<P>) {
        if self.overflow.is_empty() {
            self.overflow = vec![Projective::<P>::zero(); self.b.len()];
        }
        self.overflow[k] += p;
    }

    /// Apply every addition waiting in the batch with one inversion.
    fn flush(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.batch.is_empty() {
            return;
        }
        // denominators: x_p − x_q, or 2·y_q for a doubling; 1 where the sum is infinity
        self.den.clear();
        let mut acc = P::BaseField::ONE;
        for (k, p) in &self.batch {
            let q = &self.b[*k as usize];
            let d = if q.x != p.x {
                p.x - q.x
            } else if q.y == p.y && !q.y.is_zero() {
                q.y.double()
            } else {
                P::BaseField::ONE
            };
            self.den.push(acc);
            acc *= d;
        }
        let mut inv = acc.inverse().expect("non-zero denominators");
        // walk back: den[i] becomes 1/d_i (Montgomery's trick)
        for i in (0..self.batch.len()).rev() {
            let (k, p) = self.batch[i];
            let q = self.b[k as usize];
            let (d, lambda_num) = if q.x != p.x {
                (p.x - q.x, p.y - q.y)
            } else if q.y == p.y && !q.y.is_zero() {
                let x2 = q.x.square();
                (q.y.double(), x2.double() + x2 + P::COEFF_A)
            } else {
                // q = −p: the bucket empties
                self.b[k as usize] = Affine::<P>::identity();
                continue;
            };
            let d_inv = inv * self.den[i];
            inv *= d;
            let lambda = lambda_num * d_inv;
            let x3 = lambda.square() - q.x - p.x;
            let y3 = lambda * (q.x - x3) - q.y;
            self.b[k as usize] = Affine::<P>::new_unchecked(x3, y3);
        }
        self.batch.clear();
    }

    /// Apply what is still waiting: the batch, then the deferred additions (one more batch
    /// where they fit; the rest, and any that collide again, go to the overflow buckets).
    fn finish(&mut self) {
        self.flush();
        let d = std::mem::take(&mut self.deferred);
        for (k, p) in d {
            if self.stamp[k as usize] == self.epoch {
                self.add_overflow(k as usize, &p);
            } else {
                self.push(k, p);
            }
        }
        self.flush();
        debug_assert!(self.deferred.is_empty());
    }

    /// Σ (k + 1)·bucket_k by the running sum.
    fn sum(&self) -> Projective<P> {
        let mut running = Projective::<P>::zero();
        let mut res = Projective::<P>::zero();
        for (k, b) in self.b.iter().enumerate().rev() {
            if !b.infinity {
                running += b;
            }
            if let Some(o) = self.overflow.get(k) {
                running += o;
            }
            res += &running;
        }
        res
    }
}

/// Σ d·P over one window's digits; `buckets` bounds |d| (2^(c−1), less in the top window).
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], digits: &[i32], w: usize, windows: usize, buckets: usize) -> Projective<P> {
    let ds = digits[w..].iter().step_by(windows);
    if buckets < MIN_AFFINE_BUCKETS {
        // too few buckets to batch without collisions: mixed additions into projective buckets
        let mut b = vec![Projective::<P>::zero(); buckets];
        for (p, &d) in bases.iter().zip(ds) {
            if d > 0 {
                b[(d - 1) as usize] += p;
            } else if d < 0 {
                b[(-d - 1) as usize] -= p;
            }
        }
        let mut running = Projective::<P>::zero();
        let mut res = Projective::<P>::zero();
        for x in b.iter().rev() {
            running += x;
            res += &running;
        }
        return res;
    }
    let mut bk = Buckets::<P>::new(buckets);
    for (p, &d) in bases.iter().zip(ds) {
        if d > 0 {
            bk.push((d - 1) as u32, *p);
        } else if d < 0 {
            bk.push((-d - 1) as u32, -*p);
        }
        // right after a flush, retry the additions it deferred
        if bk.batch.is_empty() && !bk.deferred.is_empty() {
            let d = std::mem::take(&mut bk.deferred);
            for (k, p) in d {
                bk.push(k, p);
            }
        }
    }
    bk.finish();
    bk.sum()
}

/// Σ s_i P_i (scalars as standard-form integers below r). Bases at infinity are allowed.
pub fn msm<P: SWCurveConfig<ScalarField = ark_bn254::Fr>>(bases: &[Affine<P>], scalars: &[BigInt<4>]) -> Projective<P> {
    let (bases, scalars): (Vec<Affine<P>>, Vec<BigInt<4>>) = bases
        .iter()
        .zip(scalars)
        .filter(|(p, s)| !p.infinity && !s.is_zero())
        .map(|(p, s)| (*p, *s))
        .unzip();
    let n = bases.len();
    if n == 0 {
        return Projective::<P>::zero();
    }
    let c = window_bits(n);
    let windows = (254 + c) / c;
    let digits = signed_digits(&scalars, c, windows);
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            // the top window holds the scalar's last 254 − w·c bits plus a carry
            let top = 254 - w * c;
            let buckets = if top < c { (1usize << top) + 1 } else { 1 << (c - 1) };
            window_sum(&bases, &digits, w, windows, buckets)
        })
        .collect();
    let mut total = Projective::<P>::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    total
}
