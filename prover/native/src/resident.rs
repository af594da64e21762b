//! The resident prover: a Groth16 proving key read once and kept in memory in the layout the
//! MSMs want, for a long-lived worker that proves many witnesses on one key (`ResidentProver`).
//!
//! What a whole-process proof pays every time and this pays once: reading the `.zkey` (points
//! out of Montgomery form, the coefficients), dropping the bases at infinity (signals absent
//! from a matrix), and fixed-base tables, which only a key that stays loaded can afford:
//!
//!   rows[j] = 2^(c·t·j) · bases     (rows[0] = the bases; ⌈W/t⌉ rows in all)
//!
//! Each scalar is cut into W signed c-bit (Booth) digits d_w as in msm.rs. The windows
//! w = q + t·j with the same q share ONE bucket set, fed d_w · rows[j][i]:
//!   S_q = Σ_j Σ_i d_{q+tj,i} · 2^(c·t·j) P_i,   Σ_i s_i P_i = Σ_q 2^(c·q) · S_q,
//! so an MSM does t bucket reductions and c·(t−1) doublings instead of W of each. t = W is
//! msm.rs's Pippenger (one copy: the bases themselves); t = 1 is a full table, where a window
//! as wide as 16 bits pays off because its 2^15 buckets are summed once, not W times. The
//! additions themselves (one per non-zero digit) are the batch-affine ones of msm.rs.
//! Each MSM gets the (c, t) of least estimated cost whose rows fit its share of `table_bytes`
//! (the budget; 0 keeps only the bases), so a big key degrades to plain Pippenger instead of
//! running out of memory.
//!
//! With a table, windows are at most 13 bits in G1 and 16 in G2 (bigger G1 bucket arrays lost
//! more to cache misses than they saved, measured on a 33k-constraint key); ZKCLEAR_CMAX1 /
//! ZKCLEAR_CMAX2 override the caps for experiments. Without one (a budget too small for rows,
//! as a mainnet key's), each proof picks its width from its live terms as msm.rs does, up to
//! 20 bits, with a top window of few bits given few buckets: 19 bits at 2^22, 7 windows of
//! the GLV halves where the 13-bit cap made 10 (ZKCLEAR_CMAX_PLAIN / ZKCLEAR_CMIN_PLAIN bound
//! it, for experiments and tests).
//!
//! The A and B coefficients are kept as rows (coef_rows.rs), summed on every core.
//!
//! G1 MSMs use the GLV endomorphism (msm.rs): s = k1 + λ·k2 with 127-bit halves, k2 applied
//! to φ(P) = (β·x, y). A key with tables keeps φ of every row too (one multiplication saved
//! per addition of k2's digits, ~7% of a G1 MSM, for twice the G1 rows' memory, counted in the
//! budget); one without (a single row) makes φ(P) of each live term once a proof. G2 scalars
//! stay 254-bit under a table (halves would make as many additions from as many rows); without
//! one they are cut with ψ (psi.rs) as msm.rs cuts them: half the bucket reductions, which at
//! 2^22 (2^18 buckets a window) are seconds.
use crate::codec::{err, fr_std};
use crate::msm::{booth_digit, glv_decompose, Buckets};
use crate::fft::CosetFft;
use crate::coef_rows::CoefRows;
use crate::prove::{clock, Phases, ProofParts};
use crate::zkey::{read_wtns, read_zkey, ProvingKey};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;
use std::sync::Mutex;

/// Estimated field multiplications of one batch-affine addition and of one bucket's share of
/// a reduction (two projective additions), per msm.rs's window_bits.
const COST_ADD: usize = 6;
const COST_BUCKET: usize = 14;

/// How one MSM runs: c-bit windows, W of them, t passes (windows ≡ q mod t share buckets),
/// each pass's terms split in `chunks` (so that a single pass still uses every core).
#[derive(Clone, Copy, Debug)]
struct Plan {
    c: usize,
    windows: usize,
    stride: usize,
    chunks: usize,
}

/// Fewest buckets a pass gets (fewer make Buckets' batches too small to share inversions).
const MIN_BUCKETS: usize = 64;
/// Widest window of a plan without a table (msm.rs's window_bits goes as far): with no bucket
/// set shared, wide windows pay for themselves on big keys (19 bits at 2^22: 7 windows of
/// 127-bit GLV halves instead of 13 bits' 10).
const C_MAX_PLAIN: usize = 20;

impl Plan {
    fn rows(&self) -> usize {
        self.windows.div_ceil(self.stride)
    }

    /// Buckets of pass q: the most any of its windows needs, as msm.rs sizes them (a top
    /// window with top < c bits of `nbits`-bit scalars has digits up to 2^top only).
    fn buckets(&self, q: usize, nbits: usize) -> usize {
        let full = 1usize << (self.c - 1);
        (q..self.windows)
            .step_by(self.stride)
            .map(|w| {
                let top = nbits.saturating_sub(w * self.c);
                if top < self.c {
                    ((1usize << top) + 1).clamp(MIN_BUCKETS.min(full), full)
                } else {
                    full
                }
            })
            .max()
            .unwrap_or(1)
    }

    fn cost(&self, points: usize, nbits: usize) -> usize {
        let buckets: usize = (0..self.stride).map(|q| self.buckets(q, nbits)).sum();
        points * self.windows * COST_ADD + self.chunks * buckets * COST_BUCKET
    }

    /// The cheapest plan with at most `max_rows` copies of the bases, for `points` additions
    /// per window (n bases; 2n with GLV) of `nbits`-bit scalars.
    fn best(points: usize, nbits: usize, max_rows: usize, threads: usize) -> Plan {
        let mut best: Option<(usize, Plan)> = None;
        let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
        let c_max = if max_rows <= 1 {
            env("ZKCLEAR_CMAX_PLAIN", C_MAX_PLAIN)
        } else if nbits > 127 {
            env("ZKCLEAR_CMAX2", 16)
        } else {
            env("ZKCLEAR_CMAX1", 13)
        };
        // (ZKCLEAR_CMIN_PLAIN: the narrowest width without a table, for tests that force one)
        let c_min = if max_rows <= 1 { env("ZKCLEAR_CMIN_PLAIN", 4).clamp(4, c_max.max(4)) } else { 4 };
        for c in c_min..=c_max {
            let windows = 1 + nbits / c;
            for stride in 1..=windows {
                let p = Plan { c, windows, stride, chunks: threads.div_ceil(stride).max(1) };
                if p.rows() > max_rows.max(1) {
                    continue;
                }
                let cost = p.cost(points, nbits);
                if best.is_none_or(|(b, _)| cost < b) {
                    best = Some((cost, p));
                }
            }
        }
        best.unwrap().1
    }
}

/// A live term of an MSM: (position among the live bases, |halves| (or the scalar and 0), signs).
type Term = (u32, [BigInt<4>; 2], [bool; 2]);
/// Buffers an MSM's terms and partners are made in (Resident keeps one per group).
type Scratch<P> = (Vec<Term>, Vec<Affine<P>>);

/// One MSM's fixed bases: the non-infinity ones with their indices in the key, and the table.
pub struct FixedBase<P: SWCurveConfig> {
    idx: Vec<u32>,
    rows: Vec<Vec<Affine<P>>>,
    /// φ of each row (G1 with tables), else empty: φ made on the fly
    phi_rows: Vec<Vec<Affine<P>>>,
    plan: Plan,
    nbits: usize,
    /// scalars cut in halves (Halves): always in G1, in G2 only without a table
    split: bool,
    /// rows (and φ rows) held scaled for the IFMA lanes (lanes.rs), decided when the key is
    /// loaded (lanes::enabled() then) and kept for its life
    lanes: bool,
}

/// Scalars cut into two halves below 2^127 with an endomorphism E of the curve,
/// s·P = k1·P + k2·E(P): G1's GLV (E = φ, λ·P; signed halves, msm.rs), G2's ψ (E = [p − r],
/// unsigned halves, psi.rs); half the windows over twice the points, so half the bucket
/// reductions, as msm.rs's MSMs run.
pub trait Halves: SWCurveConfig<ScalarField = Fr, BaseField: crate::lanes::LaneField> {
    /// (|k1|, |k2|) and their signs (true: negative)
    fn halves(s: &BigInt<4>) -> ([BigInt<4>; 2], [bool; 2]);
    fn endo(p: &Affine<Self>) -> Affine<Self>;
}

fn big(k: u128) -> BigInt<4> {
    BigInt::new([k as u64, (k >> 64) as u64, 0, 0])
}

impl Halves for ark_bn254::g1::Config {
    #[inline]
    fn halves(s: &BigInt<4>) -> ([BigInt<4>; 2], [bool; 2]) {
        let (k1, k2) = glv_decompose(s);
        ([big(k1.unsigned_abs()), big(k2.unsigned_abs())], [k1 < 0, k2 < 0])
    }

    #[inline]
    fn endo(p: &G1Affine) -> G1Affine {
        use ark_ec::scalar_mul::glv::GLVConfig;
        G1Affine::new_unchecked(p.x * Self::ENDO_COEFFS[0], p.y)
    }
}

impl Halves for ark_bn254::g2::Config {
    #[inline]
    fn halves(s: &BigInt<4>) -> ([BigInt<4>; 2], [bool; 2]) {
        let (k0, k1) = crate::psi::split(s);
        ([big(k0), big(k1)], [false, false])
    }

    #[inline]
    fn endo(p: &G2Affine) -> G2Affine {
        crate::psi::psi(p)
    }
}

/// (non-infinity bases, points per window, scalar bits)
fn shape<P: SWCurveConfig>(bases: &[Affine<P>], glv: bool) -> (usize, usize, usize) {
    let live = bases.iter().filter(|p| !p.infinity).count();
    if glv {
        (live, 2 * live, 127)
    } else {
        (live, live, 254)
    }
}

impl<P: Halves> FixedBase<P> {
    fn new(bases: Vec<Affine<P>>, split: bool, max_rows: usize) -> Self {
        let (_, points, nbits) = shape(&bases, split);
        let plan = Plan::best(points, nbits, max_rows, rayon::current_num_threads());
        let idx: Vec<u32> = (0..bases.len() as u32).filter(|&i| !bases[i as usize].infinity).collect();
        let first = if idx.len() == bases.len() { bases } else { idx.iter().map(|&i| bases[i as usize]).collect() };
        let shift = plan.c * plan.stride;
        let mut rows = vec![first];
        while rows.len() < plan.rows() {
            let next: Vec<Projective<P>> = rows
                .last()
                .unwrap()
                .par_iter()
                .map(|p| {
                    let mut q = Projective::<P>::from(*p);
                    for _ in 0..shift {
                        q.double_in_place();
                    }
                    q
                })
                .collect();
            rows.push(Projective::<P>::normalize_batch(&next));
        }
        // the lanes' scaled form (16x, 16y); the endomorphisms are Fq-linear in x and y, so φ of
        // a scaled row is the scaled φ row
        let lanes = crate::lanes::enabled();
        if lanes {
            for row in rows.iter_mut() {
                row.par_iter_mut().for_each(|p| *p = crate::lanes::scale(p));
            }
        }
        let phi_rows = if split && rows.len() > 1 {
            rows.iter().map(|r| r.par_iter().map(P::endo).collect()).collect()
        } else {
            Vec::new()
        };
        FixedBase { idx, rows, phi_rows, plan, nbits, split, lanes }
    }

    fn table_bytes(&self) -> usize {
        (self.rows.len() - 1 + self.phi_rows.len()) * self.idx.len() * std::mem::size_of::<Affine<P>>()
    }

    /// Σ scalars[i]·bases[i] over the key's bases (scalars indexed like the key's section);
    /// the live terms and their bases' partners are made in `scratch`'s buffers, kept from
    /// proof to proof (fresh ones would be page-faulted in every proof: ~0.6 GB per G1 MSM at
    /// 2^22), and handed back there.
    fn msm(&self, scalars: &[Fr], scratch: &Mutex<Scratch<P>>) -> Projective<P> {
        let (mut terms, mut phi_terms) = std::mem::take(&mut *scratch.lock().unwrap());
        let sum = self.msm_in(scalars, &mut terms, &mut phi_terms);
        *scratch.lock().unwrap() = (terms, phi_terms);
        sum
    }

    fn msm_in(&self, scalars: &[Fr], terms: &mut Vec<Term>, phi_terms: &mut Vec<Affine<P>>) -> Projective<P> {
        let glv = self.split;
        // the live terms: (row position, |k1|, |k2|, signs); zero scalars cost nothing. Counted
        // piece by piece, then written in place, in parallel
        let live = |i: u32| scalars.get(i as usize).filter(|s| !s.is_zero());
        // (pieces of at least 2^14 bases: a small key's MSM is not cut into tasks too small to pay)
        let piece = self.idx.len().div_ceil(4 * rayon::current_num_threads()).max(1 << 14);
        let counts: Vec<usize> = self.idx.par_chunks(piece).map(|ids| ids.iter().filter(|&&i| live(i).is_some()).count()).collect();
        terms.clear();
        terms.resize(counts.iter().sum(), (0, [BigInt::zero(); 2], [false; 2]));
        let mut outs = Vec::with_capacity(counts.len());
        let mut rest = &mut terms[..];
        for &n in &counts {
            let (out, r) = std::mem::take(&mut rest).split_at_mut(n);
            outs.push(out);
            rest = r;
        }
        self.idx.par_chunks(piece).zip(outs).enumerate().for_each(|(k, (ids, out))| {
            let mut out = out.iter_mut();
            for (j, &i) in ids.iter().enumerate() {
                let Some(s) = live(i) else { continue };
                let b = s.into_bigint();
                let (k2, neg) = if glv { P::halves(&b) } else { ([b, BigInt::zero()], [false, false]) };
                *out.next().unwrap() = ((k * piece + j) as u32, k2, neg);
            }
        });
        if terms.is_empty() {
            return Projective::<P>::zero();
        }
        // no table: the window width for this proof's terms (zero scalars dropped), as msm.rs
        // chooses it; with a table the rows fix it
        let plan = if self.rows.len() == 1 {
            Plan::best(terms.len() * if glv { 2 } else { 1 }, self.nbits, 1, rayon::current_num_threads())
        } else {
            self.plan
        };
        let Plan { c, windows, stride, chunks } = plan;
        debug_assert!(windows * c > self.nbits);
        // φ of each term's base when the key keeps none (no table): made once a proof, not
        // once a window
        phi_terms.clear();
        if glv && self.phi_rows.is_empty() {
            phi_terms.par_extend(terms.par_iter().map(|(pos, _, _)| P::endo(&self.rows[0][*pos as usize])));
        }
        let (terms, phi_terms) = (&terms[..], &phi_terms[..]);
        let chunk_len = terms.len().div_ceil(chunks);
        let tasks: Vec<(usize, usize)> = (0..stride).flat_map(|q| (0..chunks).map(move |k| (q, k))).collect();
        let sums: Vec<(usize, Projective<P>)> = tasks
            .into_par_iter()
            .map(|(q, k)| {
                let from = (k * chunk_len).min(terms.len());
                let part = &terms[from..((k + 1) * chunk_len).min(terms.len())];
                let mut bk = Buckets::<P>::with_lanes(plan.buckets(q, self.nbits), self.lanes);
                for (j, row) in self.rows.iter().enumerate() {
                    let w = q + stride * j;
                    if w >= windows {
                        break;
                    }
                    for (t, (pos, k, neg)) in part.iter().enumerate() {
                        let p = &row[*pos as usize];
                        let d = booth_digit(&k[0], w, c);
                        if d != 0 {
                            bk.add_digit(if neg[0] { -d } else { d }, p);
                        }
                        if glv {
                            let d = booth_digit(&k[1], w, c);
                            if d != 0 {
                                let d = if neg[1] { -d } else { d };
                                match self.phi_rows.get(j) {
                                    Some(phi) => bk.add_digit(d, &phi[*pos as usize]),
                                    None => bk.add_digit(d, &phi_terms[from + t]),
                                }
                            }
                        }
                    }
                }
                bk.finish();
                (q, bk.sum())
            })
            .collect();
        let mut passes = vec![Projective::<P>::zero(); stride];
        for (q, s) in sums {
            passes[q] += s;
        }
        let mut total = Projective::<P>::zero();
        for s in passes.iter().rev() {
            for _ in 0..c {
                total.double_in_place();
            }
            total += s;
        }
        total
    }
}

/// A proving key kept for many proofs: its scalars, and a FixedBase per MSM.
pub struct Resident {
    n_vars: usize,
    n_public: usize,
    domain_size: usize,
    alpha1: G1Affine,
    beta1: G1Affine,
    beta2: G2Affine,
    delta1: G1Affine,
    delta2: G2Affine,
    coefs: CoefRows,
    fft: CosetFft,
    a: FixedBase<ark_bn254::g1::Config>,
    b1: FixedBase<ark_bn254::g1::Config>,
    b2: FixedBase<ark_bn254::g2::Config>,
    c: FixedBase<ark_bn254::g1::Config>,
    h: FixedBase<ark_bn254::g1::Config>,
    /// the MSMs' buffers: one for the G1 MSMs (they run one after another), one for B2's
    scratch1: Mutex<Scratch<ark_bn254::g1::Config>>,
    scratch2: Mutex<Scratch<ark_bn254::g2::Config>>,
}

impl Resident {
    /// Tables within `budget` bytes: each MSM's best rows if they all fit, else each MSM gets
    /// the share of the budget its best rows would have taken.
    pub fn new(pk: ProvingKey, budget: usize) -> PyResult<Self> {
        let threads = rayon::current_num_threads();
        let g1 = std::mem::size_of::<G1Affine>();
        let g2 = std::mem::size_of::<G2Affine>();
        // (extra bytes of the best table, bytes of one row) per MSM: a, b1, b2, c, h
        let want: Vec<(usize, usize)> = [
            (shape(&pk.a, true), g1),
            (shape(&pk.b1, true), g1),
            (shape(&pk.b2, false), g2),
            (shape(&pk.c, true), g1),
            (shape(&pk.h, true), g1),
        ]
        .iter()
        .map(|&((live, points, nbits), size)| {
            let rows = Plan::best(points, nbits, usize::MAX, threads).rows();
            // G1 (GLV, points = 2·live): a row and its φ copy; row 0's φ copy is extra too
            let (row, phi0) = if points > live { (2 * live * size, live * size) } else { (live * size, 0) };
            ((rows - 1) * row + phi0, row)
        })
        .collect();
        let total: usize = want.iter().map(|w| w.0).sum();
        let max_rows: Vec<usize> = want
            .iter()
            .map(|&(extra, row)| {
                if total <= budget {
                    usize::MAX
                } else if row == 0 {
                    1
                } else {
                    1 + (budget as f64 * extra as f64 / total as f64 / row as f64) as usize
                }
            })
            .collect();
        // G2 scalars are cut in ψ halves only where B2 gets no table (its rows stay 254-bit:
        // with a table, halves would make as many additions from as many rows)
        let (_, points2, _) = shape(&pk.b2, false);
        let b2_split = Plan::best(points2, 254, max_rows[2], threads).rows() == 1;
        let ProvingKey { n_vars, n_public, domain_size, alpha1, beta1, beta2, delta1, delta2, coefs, a, b1, b2, c, h } = pk;
        let Some(fft) = CosetFft::new(domain_size) else {
            return err("domain size is not supported");
        };
        Ok(Resident {
            n_vars,
            n_public,
            domain_size,
            alpha1,
            beta1,
            beta2,
            delta1,
            delta2,
            coefs,
            fft,
            a: FixedBase::new(a, true, max_rows[0]),
            b1: FixedBase::new(b1, true, max_rows[1]),
            b2: FixedBase::new(b2, b2_split, if b2_split { 1 } else { max_rows[2] }),
            c: FixedBase::new(c, true, max_rows[3]),
            h: FixedBase::new(h, true, max_rows[4]),
            scratch1: Mutex::default(),
            scratch2: Mutex::default(),
        })
    }

    /// prove.rs's h_evaluations with the key's precomputed transform.
    fn h_evaluations(&self, w: &[Fr], phases: &mut Phases) -> Vec<Fr> {
        let (a, b, c) = self.coefs.witness_products(w);
        phases.mark("witness_products");
        let h = self.fft.h_values(a, b, c);
        phases.mark("h_ffts");
        h
    }

    pub fn table_bytes(&self) -> usize {
        self.a.table_bytes() + self.b1.table_bytes() + self.b2.table_bytes() + self.c.table_bytes() + self.h.table_bytes()
    }

    /// prove.rs's proof (same formulas, same bytes for the same r, s) with the tables.
    pub fn prove(&self, w: &[Fr], r: Fr, s: Fr, mut phases: Phases) -> PyResult<Vec<u8>> {
        if w.len() != self.n_vars {
            return err(format!("witness has {} values, the key expects {}", w.len(), self.n_vars));
        }
        if w[0] != Fr::ONE {
            return err("witness value 0 must be 1");
        }
        // the G2 MSM beside the rest, as in prove.rs
        let (b2, g1) = rayon::join(
            || {
                let t = clock();
                let b2 = self.b2.msm(w, &self.scratch2);
                (b2, clock() - t)
            },
            || -> PyResult<_> {
                let h = self.h_evaluations(w, &mut phases);
                let pi_a = G1Projective::from(self.alpha1) + self.a.msm(w, &self.scratch1) + self.delta1 * r;
                phases.mark("msm_a");
                let pi_b1 = G1Projective::from(self.beta1) + self.b1.msm(w, &self.scratch1) + self.delta1 * s;
                phases.mark("msm_b1");
                let c_part = self.c.msm(&w[self.n_public + 1..], &self.scratch1);
                phases.mark("msm_c");
                let h_part = self.h.msm(&h, &self.scratch1);
                phases.mark("msm_h");
                Ok((pi_a, pi_b1, c_part, h_part))
            },
        );
        let (pi_a, pi_b1, c_part, h_part) = g1?;
        phases.mark("msm_b2_wait");
        phases.0.push(("msm_b2", b2.1));
        let proof = ProofParts { pi_a, pi_b1, b2_msm: b2.0, c_part, h_part };
        Ok(proof.finish(self.beta2, self.delta1, self.delta2, r, s, phases))
    }
}

/// A Groth16 prover holding one `.zkey` in memory with fixed-base tables for its MSMs
/// (see the module's docs): `ResidentProver(zkey_bytes, table_mb=1024)` reads and
/// preprocesses the key once; `prove(wtns_bytes, r, s)` gives the same 256 bytes as
/// `groth16_prove` for the same key, witness and r, s. Thread-safe; the GIL is released.
#[pyclass(frozen, module = "prover._native")]
pub struct ResidentProver {
    key: Resident,
}

#[pymethods]
impl ResidentProver {
    #[new]
    #[pyo3(signature = (zkey, table_mb = 1024.0))]
    fn new(py: Python<'_>, zkey: &[u8], table_mb: f64) -> PyResult<Self> {
        let budget = (table_mb.max(0.0) * (1u64 << 20) as f64) as usize;
        let key = py.allow_threads(|| -> PyResult<Resident> { Resident::new(read_zkey(zkey)?, budget) })?;
        Ok(ResidentProver { key })
    }

    /// The same from the .zkey's path, memory-mapped and read section by section, each part's
    /// pages released once parsed (zkey_map.rs): the raw key is never held beside the parsed
    /// one. OSError when the file cannot be opened.
    #[staticmethod]
    #[pyo3(signature = (zkey_path, table_mb = 1024.0))]
    fn from_file(py: Python<'_>, zkey_path: &str, table_mb: f64) -> PyResult<Self> {
        let budget = (table_mb.max(0.0) * (1u64 << 20) as f64) as usize;
        let key = py.allow_threads(|| -> PyResult<Resident> {
            let map = crate::zkey_map::map_file(zkey_path)?;
            let pk = crate::zkey_map::ZkeyView::new(map.as_deref().unwrap_or(&[]), map.as_ref())?.proving_key()?;
            drop(map);
            Resident::new(pk, budget)
        })?;
        Ok(ResidentProver { key })
    }

    /// A (G1, 64) || B (G2, 128) || C (G1, 64) for raw `.wtns` bytes and r, s (32 bytes LE).
    fn prove(&self, py: Python<'_>, wtns: &[u8], r: &[u8], s: &[u8]) -> PyResult<Py<PyBytes>> {
        if r.len() != 32 || s.len() != 32 {
            return err("r and s must be 32 bytes each");
        }
        let out = py.allow_threads(|| {
            let mut phases = Phases::new();
            let w = read_wtns(wtns)?;
            phases.mark("witness_read");
            self.key.prove(&w, fr_std(r)?, fr_std(s)?, phases)
        })?;
        Ok(PyBytes::new(py, &out).unbind())
    }

    #[getter]
    fn n_vars(&self) -> usize {
        self.key.n_vars
    }

    #[getter]
    fn n_public(&self) -> usize {
        self.key.n_public
    }

    #[getter]
    fn domain_size(&self) -> usize {
        self.key.domain_size
    }

    /// Bytes of the key as held: the A and B rows and the live bases (tables not counted).
    #[getter]
    fn key_bytes(&self) -> usize {
        let k = &self.key;
        let g1 = std::mem::size_of::<G1Affine>();
        let live = k.a.idx.len() + k.b1.idx.len() + k.c.idx.len() + k.h.idx.len();
        k.coefs.bytes() + live * (g1 + 4) + k.b2.idx.len() * (std::mem::size_of::<G2Affine>() + 4)
    }

    /// Bytes of the fixed-base tables beyond the bases themselves.
    #[getter]
    fn table_bytes(&self) -> usize {
        self.key.table_bytes()
    }

    /// {msm: (window bits c, passes t, rows)}: how each MSM runs (one row: c as a proof with
    /// every base live would pick it; each proof picks its own).
    fn plans(&self) -> Vec<(&'static str, usize, usize, usize)> {
        let k = &self.key;
        let row = |name, p: Plan, rows: usize| (name, p.c, p.stride, rows);
        vec![
            row("a", k.a.plan, k.a.rows.len()),
            row("b1", k.b1.plan, k.b1.rows.len()),
            row("b2", k.b2.plan, k.b2.rows.len()),
            row("c", k.c.plan, k.c.rows.len()),
            row("h", k.h.plan, k.h.rows.len()),
        ]
    }
}
