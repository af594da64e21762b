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
use ark_ec::{AdditiveGroup, PrimeGroup};
use ark_ff::{BigInt, BigInteger, Field, Zero};
use rayon::prelude::*;
use crate::lanes::{self, LaneField};

/// At most this many additions share one inversion; a quarter of the window's buckets at most,
/// so that few additions collide with one already waiting. (512 since the binary-GCD inversion
/// of inv.rs: -1 % on the trade key's G1 MSMs against 256, neutral in G2 and the resident.)
const BATCH: usize = 512;
/// Most bytes of one window's bucket points (see window_bits).
const MAX_BUCKET_BYTES: usize = 18 << 20;
/// Windows with fewer buckets than this (the top window, small c) use projective buckets.
const MIN_AFFINE_BUCKETS: usize = 64;

/// Bits [pos, pos + c) of a 256-bit little-endian integer (c <= 33).
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

/// Window width minimizing the estimated field multiplications: 6 per addition (n in each of
/// the W windows) and 16 per bucket summed (two projective additions), counting the top
/// window's buckets as msm_bits makes them (2^top + 1 for its top = nbits − (W − 1)·c bits,
/// not 2^(c−1)): a c whose top window is nearly empty saves a whole window of additions.
/// (With the lanes both costs drop, by about as much: 4 to 16 a bucket timed the same on the
/// trade key.) A window's bucket array is kept within MAX_BUCKET_BYTES (18 bits at most): at
/// 2^22 the model picks 19 bits, whose 2^18 buckets (19 MB in G1, 36 MB in G2) cost more in
/// cache misses than the wider window saves (the mainnet batch's MSMs on one thread, CPU s:
/// G2 14.1-14.6 at 19 bits, 12.8 at 18, 13.4 at 16; G1 24.1-24.7, 23.6, 23.5).
/// ZKCLEAR_MSM_CMAX caps c, for experiments.
fn window_bits(n: usize, nbits: usize, point_bytes: usize) -> usize {
    let cmax: usize = std::env::var("ZKCLEAR_MSM_CMAX").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    // a window's buckets within MAX_BUCKET_BYTES
    let cmax = (2..=cmax.clamp(2, 20)).take_while(|&c| (point_bytes << (c - 1)) <= MAX_BUCKET_BYTES).last().unwrap_or(2);
    (2..=cmax)
        .min_by_key(|&c| {
            let windows = 1 + nbits / c;
            let top = nbits - (windows - 1) * c;
            let buckets = (windows - 1) * (1usize << (c - 1)) + (1usize << top) + 1;
            windows * 6 * n + 16 * buckets
        })
        .unwrap()
}

/// Scalar s's signed (Booth) digit in window w: bits [wc, wc + c) plus bit wc − 1, less 2^c
/// when bit wc + c − 1 is set; Σ d_w 2^(wc) = s and |d_w| <= 2^(c−1), each digit computed on
/// its own (no carry chain, no digit table).
#[inline(always)]
pub(crate) fn booth_digit(s: &BigInt<4>, w: usize, c: usize) -> i32 {
    let pos = w * c;
    // bits [pos − 1, pos + c): c + 1 bits, the lowest being the borrow-in
    let v = if pos == 0 { bits(s, 0, c) << 1 } else { bits(s, pos - 1, c + 1) };
    let d = ((v + 1) >> 1) as i64;
    (if v >> c & 1 == 1 { d - (1i64 << c) } else { d }) as i32
}

/// Ask for the cache line of a bucket that the next flush reads (the buckets of a wide window
/// outgrow the core's cache; the batch gives the load time to arrive).
#[inline(always)]
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = x as *const T as *const i8;
        for off in (0..std::mem::size_of::<T>()).step_by(64) {
            _mm_prefetch(p.add(off), _MM_HINT_T0);
        }
    }
}

/// A bucket's state word: FILLED when the bucket holds a point, and in the low bits the epoch
/// (batch number) of the last batch that took an addition into it. Kept apart from the points
/// so that `push` decides without touching the bucket itself: its cache line is only asked
/// for (prefetched), and arrives by the time the batch is flushed.
const FILLED: u32 = 1 << 31;
const EPOCH_MASK: u32 = FILLED - 1;

/// The buckets of one window, accumulated in affine coordinates with batched inversions.
pub(crate) struct Buckets<P: SWCurveConfig>
where
    P::BaseField: LaneField,
{
    b: Vec<Affine<P>>,
    /// per bucket: FILLED | epoch of its last batched addition
    state: Vec<u32>,
    epoch: u32,
    batch: Vec<(u32, Affine<P>)>,
    deferred: Vec<(u32, Affine<P>)>,
    /// projective buckets for the additions that could not wait (allocated on first use)
    overflow: Vec<Projective<P>>,
    /// per batched addition: the running product of the denominators before it, and its own
    den: Vec<(P::BaseField, P::BaseField)>,
    batch_size: usize,
    /// the points come scaled (lanes.rs) and flushes run in the IFMA lanes
    lanes: bool,
    scratch: lanes::Scratch<P::BaseField>,
}

impl<P: SWCurveConfig> Buckets<P>
where
    P::BaseField: LaneField,
{
    /// Buckets fed scaled points (lanes::scale) when `lanes` (which needs lanes::supported()),
    /// flushed eight additions at a time; `sum` is the same either way.
    pub(crate) fn with_lanes(count: usize, lanes: bool) -> Self {
        Buckets {
            lanes,
            scratch: lanes::Scratch::new(),
            b: vec![Affine::<P>::identity(); count],
            state: vec![0; count],
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
        let st = self.state[ku];
        if st == FILLED | self.epoch {
            if self.deferred.len() < self.batch_size {
                self.deferred.push((k, p));
            } else {
                self.add_overflow(ku, &p);
            }
        } else if st & FILLED == 0 {
            self.b[ku] = p;
            self.state[ku] = FILLED;
        } else {
            self.state[ku] = FILLED | self.epoch;
            prefetch(&self.b[ku]);
            self.batch.push((k, p));
            if self.batch.len() == self.batch_size {
                self.flush();
            }
        }
    }

    /// bucket |d| − 1 += sign(d)·p (d ≠ 0), then, right after a flush, the deferred retries:
    /// one step of window_sum's loop, for callers that make their own (point, digit) stream.
    #[inline]
    pub(crate) fn add_digit(&mut self, d: i32, p: &Affine<P>) {
        if d > 0 {
            self.push((d - 1) as u32, *p);
        } else {
            self.push((-d - 1) as u32, -*p);
        }
        if self.batch.is_empty() && !self.deferred.is_empty() {
            let d = std::mem::take(&mut self.deferred);
            for (k, p) in d {
                self.push(k, p);
            }
        }
    }

    fn add_overflow(&mut self, k: usize, p: &Affine<P>) {
        if self.overflow.is_empty() {
            self.overflow = vec![Projective::<P>::zero(); self.b.len()];
        }
        if self.lanes {
            self.overflow[k] += lanes::unscale(p, self.scratch.inv16());
        } else {
            self.overflow[k] += p;
        }
    }

    /// The lanes' flush: an addition whose point has its bucket's x (a doubling or a
    /// cancellation, rare) goes to the overflow bucket, the rest eight at a time.
    fn flush_lanes(&mut self) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.retain(|(k, p)| {
            if self.b[*k as usize].x == p.x {
                self.add_overflow(*k as usize, p);
                false
            } else {
                true
            }
        });
        // SAFETY: `lanes` is only set where lanes::supported() (with_lanes' contract)
        unsafe { lanes::batch_add(&mut self.b, &batch, &mut self.scratch) };
        batch.clear();
        self.batch = batch;
    }

    /// Apply every addition waiting in the batch with one inversion.
    fn flush(&mut self) {
        self.epoch = (self.epoch + 1) & EPOCH_MASK;
        if self.epoch == 0 {
            // the epoch counter wrapped: forget every old epoch (a bucket keeps FILLED)
            for st in self.state.iter_mut() {
                *st &= FILLED;
            }
            self.epoch = 1;
        }
        if self.batch.is_empty() {
            return;
        }
        if self.lanes {
            return self.flush_lanes();
        }
        // denominators: x_p − x_q, or 2·y_q for a doubling; 0 marks a sum at infinity (q = −p)
        self.den.clear();
        let mut acc = P::BaseField::ONE;
        for (k, p) in &self.batch {
            let q = &self.b[*k as usize];
            let d = if q.x != p.x {
                p.x - q.x
            } else if q.y == p.y && !q.y.is_zero() {
                q.y.double()
            } else {
                P::BaseField::ZERO
            };
            self.den.push((acc, d));
            if !d.is_zero() {
                acc *= d;
            }
        }
        let mut inv = crate::inv::inverse_any(&acc).expect("non-zero denominators");
        // walk back: inv·(product before i) = 1/d_i (Montgomery's trick)
        for i in (0..self.batch.len()).rev() {
            let (k, p) = &self.batch[i];
            let (before, d) = self.den[i];
            let ku = *k as usize;
            let q = &self.b[ku];
            if d.is_zero() {
                // q = −p: the bucket empties
                self.b[ku] = Affine::<P>::identity();
                self.state[ku] &= EPOCH_MASK;
                continue;
            }
            let lambda_num = if q.x != p.x {
                p.y - q.y
            } else {
                let x2 = q.x.square();
                x2.double() + x2 + P::COEFF_A
            };
            let d_inv = inv * before;
            inv *= d;
            let lambda = lambda_num * d_inv;
            let x3 = lambda.square() - q.x - p.x;
            let y3 = lambda * (q.x - x3) - q.y;
            self.b[ku] = Affine::<P>::new_unchecked(x3, y3);
        }
        self.batch.clear();
    }

    /// Apply what is still waiting: the batch, then the deferred additions (one more batch
    /// where they fit; the rest, and any that collide again, go to the overflow buckets).
    pub(crate) fn finish(&mut self) {
        self.flush();
        let d = std::mem::take(&mut self.deferred);
        for (k, p) in d {
            if self.state[k as usize] == FILLED | self.epoch {
                self.add_overflow(k as usize, &p);
            } else {
                self.push(k, p);
            }
        }
        self.flush();
        debug_assert!(self.deferred.is_empty());
    }

    /// Σ (k + 1)·bucket_k: by the projective running sum, or, with the lanes and enough
    /// buckets, by `sum_segments`.
    pub(crate) fn sum(&mut self) -> Projective<P> {
        if self.lanes && self.b.len() >= MIN_SEGMENTED {
            return self.sum_segments();
        }
        let mut running = Projective::<P>::zero();
        let mut res = Projective::<P>::zero();
        for (k, b) in self.b.iter().enumerate().rev() {
            if !b.infinity {
                if self.lanes {
                    running += lanes::unscale(b, self.scratch.inv16());
                } else {
                    running += b;
                }
            }
            if let Some(o) = self.overflow.get(k) {
                running += o;
            }
            res += &running;
        }
        res
    }

    /// Σ (k + 1)·bucket_k with affine additions in the lanes. The B buckets are cut in S
    /// segments of L; segment s keeps its own running sum R_s and sum of running sums T_s over
    /// its buckets, top down, so that each of the L steps is two batches of S independent
    /// additions (R_s += b_k for every s, then T_s += R_s), one inversion each. Then
    ///   Σ_k (k + 1)·b_k = Σ_s T_s + L·Σ_s s·R_s,
    /// the last sum by a running sum over the segments. S ≈ √(6.7·B) balances the inversions
    /// (B/S batches) against the projective work of that final pass (~3S additions): a
    /// projective running sum costs two projective additions per bucket (~29 field products),
    /// this about two lane additions. An addition the lanes cannot take (an x equal to the
    /// sum's: a doubling or a cancellation; an overflow bucket) goes to projective side sums
    /// E_s (running) and F_s (of running sums) with the same recurrence.
    fn sum_segments(&mut self) -> Projective<P> {
        let nb = self.b.len();
        let l = nb.div_ceil(((nb as f64 * 6.7).sqrt() as usize).max(1));
        let segs = nb.div_ceil(l);
        let inv16 = *self.scratch.inv16();
        let zero = Projective::<P>::zero();
        let (mut run, mut tot) = (vec![Affine::<P>::identity(); segs], vec![Affine::<P>::identity(); segs]);
        let (mut run_x, mut tot_x) = (vec![zero; segs], vec![zero; segs]);
        let mut batch: Vec<(u32, Affine<P>)> = Vec::with_capacity(segs);
        for t in 0..l {
            // R_s += b_k, k = s·L + L − 1 − t (top down; past the last bucket: empty)
            batch.clear();
            for s in 0..segs {
                let k = s * l + l - 1 - t;
                if k >= nb {
                    continue;
                }
                if let Some(o) = self.overflow.get(k) {
                    run_x[s] += o;
                }
                let b = &self.b[k];
                if b.infinity {
                    continue;
                }
                let r = &run[s];
                if r.infinity {
                    run[s] = *b;
                } else if r.x == b.x {
                    run_x[s] += lanes::unscale(b, &inv16);
                } else {
                    batch.push((s as u32, *b));
                }
            }
            // SAFETY: `lanes` is only set where lanes::supported()
            unsafe { lanes::batch_add(&mut run, &batch, &mut self.scratch) };
            // T_s += R_s
            batch.clear();
            for s in 0..segs {
                if !run_x[s].is_zero() {
                    let e = run_x[s];
                    tot_x[s] += e;
                }
                let r = run[s];
                if r.infinity {
                    continue;
                }
                let q = &tot[s];
                if q.infinity {
                    tot[s] = r;
                } else if q.x == r.x {
                    tot_x[s] += lanes::unscale(&r, &inv16);
                } else {
                    batch.push((s as u32, r));
                }
            }
            // SAFETY: as above
            unsafe { lanes::batch_add(&mut tot, &batch, &mut self.scratch) };
        }
        // Σ_s T_s + L·Σ_s s·R_s, Σ_s s·R_s = Σ_{s >= 1} Σ_{s' >= s} R_s'
        let (mut total, mut above, mut weighted) = (zero, zero, zero);
        for s in (0..segs).rev() {
            total += lanes::unscale(&tot[s], &inv16);
            total += tot_x[s];
            above += lanes::unscale(&run[s], &inv16);
            above += run_x[s];
            if s > 0 {
                weighted += above;
            }
        }
        total + weighted.mul_bigint([l as u64])
    }
}

/// Fewest buckets that `Buckets::sum` sums by segments (fewer: the projective running sum).
const MIN_SEGMENTED: usize = 256;

/// Σ d·P over one window's digits; `buckets` bounds |d| (2^(c−1), less in the top window).
/// `lanes`: the bases are scaled and the buckets flush in the lanes (lanes.rs).
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigInt<4>], w: usize, c: usize, buckets: usize, lanes: bool) -> Projective<P>
where
    P::BaseField: LaneField,
{
    let ds = scalars.iter().map(|s| booth_digit(s, w, c));
    if buckets < MIN_AFFINE_BUCKETS {
        // too few buckets to batch without collisions: mixed additions into projective buckets
        let inv16 = lanes::inv16();
        let mut b = vec![Projective::<P>::zero(); buckets];
        for (p, d) in bases.iter().zip(ds) {
            if d == 0 {
                continue;
            }
            let p = if lanes { lanes::unscale(p, &inv16) } else { *p };
            if d > 0 {
                b[(d - 1) as usize] += p;
            } else {
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
    let mut bk = Buckets::<P>::with_lanes(buckets, lanes);
    for (p, d) in bases.iter().zip(ds) {
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
pub fn msm<P: SWCurveConfig<ScalarField = ark_bn254::Fr>>(bases: &[Affine<P>], scalars: &[BigInt<4>]) -> Projective<P>
where
    P::BaseField: LaneField,
{
    let lanes = lanes::enabled();
    let (bases, scalars): (Vec<Affine<P>>, Vec<BigInt<4>>) = bases
        .iter()
        .zip(scalars)
        .filter(|(p, s)| !p.infinity && !s.is_zero())
        .map(|(p, s)| (if lanes { lanes::scale(p) } else { *p }, *s))
        .unzip();
    msm_bits(&bases, &scalars, 254, lanes)
}

/// Σ s_i P_i for scalars below 2^`nbits` (bases not at infinity; zero scalars cost nothing);
/// `lanes`: the bases are scaled (lanes::scale) and the buckets flush in the IFMA lanes.
fn msm_bits<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigInt<4>], nbits: usize, lanes: bool) -> Projective<P>
where
    P::BaseField: LaneField,
{
    let n = bases.len();
    if n == 0 {
        return Projective::<P>::zero();
    }
    let c = window_bits(n, nbits, std::mem::size_of::<Affine<P>>());
    // Booth digits need bit windows·c − 1 to be above the scalar's top bit
    let windows = 1 + nbits / c;
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            // the top window holds the scalar's last nbits − w·c bits plus a carry
            let top = nbits - w * c;
            let buckets = if top < c { (1usize << top) + 1 } else { 1 << (c - 1) };
            window_sum(bases, scalars, w, c, buckets, lanes)
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

/// GLV decomposition for BN254 G1: s = k1 + λ·k2 mod r with |k1|, |k2| < 2^127, by Babai
/// rounding against the lattice basis of ark-bn254's GLVConfig (SCALAR_DECOMP_COEFFS):
/// β_1 = −⌊s·G1 / 2^256⌋, β_2 = −⌊s·G2 / 2^256⌋ with G_i = ⌊2^256·|n22|/r⌋, ⌊2^256·|n12|/r⌋;
/// k1 = s − (β_1·n11 + β_2·n21), k2 = −(β_1·n12 + β_2·n22). The floors are off by less than
/// one, so |k_i| < |n11| + |n21| < 2^127 and the i128 arithmetic (mod 2^128) is exact.
pub(crate) fn glv_decompose(s: &BigInt<4>) -> (i128, i128) {
    const G1: [u64; 3] = [0x5398fd0300ff6565, 0x4ccef014a773d2d2, 0x2];
    const G2: [u64; 2] = [0xd91d232ec7e0b3d7, 0x2];
    const N11: i128 = -147946756881789319000765030803803410728;
    const N12: i128 = 9931322734385697763;
    const N21: i128 = -9931322734385697763;
    const N22: i128 = -147946756881789319010696353538189108491;
    // ⌊s·g / 2^256⌋ (< 2^128 here)
    fn mul_hi(s: &[u64; 4], g: &[u64]) -> u128 {
        let mut t = [0u64; 8];
        for (i, &a) in s.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &b) in g.iter().enumerate() {
                let v = (a as u128) * (b as u128) + t[i + j] as u128 + carry;
                t[i + j] = v as u64;
                carry = v >> 64;
            }
            let mut k = i + g.len();
            while carry != 0 && k < 8 {
                let v = t[k] as u128 + carry;
                t[k] = v as u64;
                carry = v >> 64;
                k += 1;
            }
        }
        (t[4] as u128) | ((t[5] as u128) << 64)
    }
    let b1 = (mul_hi(&s.0, &G1) as i128).wrapping_neg();
    let b2 = (mul_hi(&s.0, &G2) as i128).wrapping_neg();
    let lo = ((s.0[0] as u128) | ((s.0[1] as u128) << 64)) as i128;
    let k1 = lo.wrapping_sub(b1.wrapping_mul(N11).wrapping_add(b2.wrapping_mul(N21)));
    let k2 = b1.wrapping_mul(N12).wrapping_add(b2.wrapping_mul(N22)).wrapping_neg();
    (k1, k2)
}

/// Σ s_i P_i in BN254 G1 with the GLV endomorphism φ(x, y) = (βx, y) = λ·(x, y): each term
/// becomes k1·(±P) + k2·(±φ(P)) with 127-bit k's, half the windows over twice the points.
pub fn msm_g1_glv(bases: &[ark_bn254::G1Affine], scalars: &[BigInt<4>]) -> ark_bn254::G1Projective {
    use ark_ec::scalar_mul::glv::GLVConfig;
    let pairs: Vec<(ark_bn254::G1Affine, BigInt<4>)> =
        bases.iter().zip(scalars).filter(|(p, s)| !p.infinity && !s.is_zero()).map(|(p, s)| (*p, *s)).collect();
    let n = pairs.len();
    let mut b = vec![ark_bn254::G1Affine::identity(); 2 * n];
    let mut k = vec![BigInt::<4>::zero(); 2 * n];
    let beta = ark_bn254::g1::Config::ENDO_COEFFS[0];
    let lanes = lanes::enabled();
    b.par_chunks_mut(2).zip(k.par_chunks_mut(2)).zip(pairs.par_iter()).for_each(|((b, k), (p, s))| {
        let (k1, k2) = glv_decompose(s);
        let phi = ark_bn254::G1Affine::new_unchecked(p.x * beta, p.y);
        let (p, phi) = if lanes { (lanes::scale(p), lanes::scale(&phi)) } else { (*p, phi) };
        b[0] = if k1 < 0 { -p } else { p };
        b[1] = if k2 < 0 { -phi } else { phi };
        let (a1, a2) = (k1.unsigned_abs(), k2.unsigned_abs());
        k[0] = BigInt::new([a1 as u64, (a1 >> 64) as u64, 0, 0]);
        k[1] = BigInt::new([a2 as u64, (a2 >> 64) as u64, 0, 0]);
    });
    msm_bits(&b, &k, 127, lanes)
}

/// The fastest MSM for each BN254 group: GLV in G1, ψ in G2.
pub trait FastMsm: SWCurveConfig<ScalarField = ark_bn254::Fr> {
    fn fast_msm(bases: &[Affine<Self>], scalars: &[BigInt<4>]) -> Projective<Self>;
}

impl FastMsm for ark_bn254::g1::Config {
    fn fast_msm(bases: &[Affine<Self>], scalars: &[BigInt<4>]) -> Projective<Self> {
        msm_g1_glv(bases, scalars)
    }
}

impl FastMsm for ark_bn254::g2::Config {
    fn fast_msm(bases: &[Affine<Self>], scalars: &[BigInt<4>]) -> Projective<Self> {
        msm_g2_psi(bases, scalars)
    }
}

/// Σ s_i Q_i in BN254 G2 with the endomorphism ψ = [μ] (psi.rs): each term becomes
/// k0·Q + k1·ψ(Q) with 127-bit k's, half the windows over twice the points.
pub fn msm_g2_psi(bases: &[ark_bn254::G2Affine], scalars: &[BigInt<4>]) -> ark_bn254::G2Projective {
    let pairs: Vec<(ark_bn254::G2Affine, BigInt<4>)> =
        bases.iter().zip(scalars).filter(|(p, s)| !p.infinity && !s.is_zero()).map(|(p, s)| (*p, *s)).collect();
    let n = pairs.len();
    let mut b = vec![ark_bn254::G2Affine::identity(); 2 * n];
    let mut k = vec![BigInt::<4>::zero(); 2 * n];
    let lanes = lanes::enabled();
    b.par_chunks_mut(2).zip(k.par_chunks_mut(2)).zip(pairs.par_iter()).for_each(|((b, k), (p, s))| {
        let (k0, k1) = crate::psi::split(s);
        let q = crate::psi::psi(p);
        (b[0], b[1]) = if lanes { (lanes::scale(p), lanes::scale(&q)) } else { (*p, q) };
        k[0] = BigInt::new([k0 as u64, (k0 >> 64) as u64, 0, 0]);
        k[1] = BigInt::new([k1 as u64, (k1 >> 64) as u64, 0, 0]);
    });
    msm_bits(&b, &k, 127, lanes)
}
