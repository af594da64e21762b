//! A `.zkey` read in place: its sections located and checked up front, each read only when a
//! proof's step needs it, from a memory-mapped file (or bytes already in memory).
//!
//! Why: a key is mostly its coefficient section (A and B's terms, 44 bytes each: 4.3 of the
//! 6.4 GB of the full mainnet key) and its point sections. Reading the file into memory and
//! parsing it whole held the key twice (the bytes, then the parsed points and coefficients,
//! 2.8x the key at the peak). Here nothing holds the key: the coefficients are summed into
//! A·w and B·w straight from the file's bytes, block by block, and a point section is parsed
//! when its MSM starts and dropped when it ends. Each block of a mapped file is released once
//! read (madvise DONTNEED: the pages leave the process, not the page cache), so the file's
//! pages never pile up in the process either.
//!
//! A mapped file must not change while it is mapped: keys are written to a temporary name and
//! renamed into place (backends.setup_file), never rewritten where they are.
use crate::codec::{err, g1_lem, g2_lem, limbs};
use crate::coef_rows::CoefRows;
use crate::zkey::{u32_at, ProvingKey, Sections};
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{Field, PrimeField, Zero};
use memmap2::{Mmap, UncheckedAdvice};
use pyo3::PyResult;
use rayon::prelude::*;

/// Bytes of one coefficient entry: u32 matrix (0 = A, 1 = B), u32 constraint, u32 signal,
/// then the coefficient c as the Montgomery limbs of c·R (c·R² mod r).
const COEF: usize = 44;
/// Entries (or points) read, then released, at a time: ~46 MB of coefficients.
pub const BLOCK: usize = 1 << 20;

/// A read-only memory map of a file; `None` for an empty file (nothing to map).
pub fn map_file(path: &str) -> std::io::Result<Option<Mmap>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: read-only; the file is not modified while mapped (see the module's docs).
    Ok(Some(unsafe { Mmap::map(&file)? }))
}

/// The key's header values and its sections, checked to be long enough for the header's
/// sizes (so a truncated key fails here, before any work).
pub struct ZkeyView<'a> {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub alpha1: G1Affine,
    pub beta1: G1Affine,
    pub beta2: G2Affine,
    pub delta1: G1Affine,
    pub delta2: G2Affine,
    /// section 4's entries (after its u32 count)
    coefs: &'a [u8],
    a: &'a [u8],
    b1: &'a [u8],
    b2: &'a [u8],
    c: &'a [u8],
    h: &'a [u8],
    /// the map `data` lies in, whose pages are released once read; None for bytes in memory
    map: Option<&'a Mmap>,
    /// entries or points per block (tests make it small to cross block boundaries)
    block: usize,
}

impl<'a> ZkeyView<'a> {
    /// The view of a key's bytes; `map` is the memory map they lie in, if they do.
    pub fn new(data: &'a [u8], map: Option<&'a Mmap>) -> PyResult<Self> {
        let s = Sections::parse(data, b"zkey", "zkey")?;
        if u32_at(s.get(1, 4, "zkey")?, 0) != 1 {
            return err("zkey is not a Groth16 key (protocol id != 1)");
        }
        let h = s.get(2, 4, "zkey")?;
        let n8q = u32_at(h, 0) as usize;
        if n8q != 32 {
            return err("zkey is not for BN254 (n8q != 32)");
        }
        let mut p = 4 + n8q;
        if h.len() < p + 4 {
            return err("zkey header section is too short");
        }
        let n8r = u32_at(h, p) as usize;
        if n8r != 32 {
            return err("zkey is not for BN254 (n8r != 32)");
        }
        p += 4 + n8r;
        if h.len() < p + 12 + 64 * 3 + 128 * 3 {
            return err("zkey header section is too short");
        }
        let n_vars = u32_at(h, p) as usize;
        let n_public = u32_at(h, p + 4) as usize;
        let domain_size = u32_at(h, p + 8) as usize;
        p += 12;
        // gamma2 at p+256..p+384 is only for the verifier.
        let (alpha1, beta1, beta2) = (g1_lem(&h[p..p + 64]), g1_lem(&h[p + 64..p + 128]), g2_lem(&h[p + 128..p + 256]));
        let (delta1, delta2) = (g1_lem(&h[p + 384..p + 448]), g2_lem(&h[p + 448..p + 576]));
        if !domain_size.is_power_of_two() || domain_size > 1 << 27 || n_public >= n_vars {
            return err("zkey header is inconsistent (domain size or public count)");
        }
        let cs = s.get(4, 4, "zkey")?;
        let n_coefs = u32_at(cs, 0) as usize;
        if (cs.len() - 4) / COEF < n_coefs {
            return err("zkey coefficient section is truncated");
        }
        let points = |kind: u32, n: usize, size: usize, what: &str| -> PyResult<&'a [u8]> {
            let bytes = s.get(kind, 0, "zkey")?;
            if bytes.len() / size < n {
                return err(format!("zkey {what} section holds fewer than {n} points"));
            }
            Ok(&bytes[..size * n])
        };
        Ok(ZkeyView {
            n_vars,
            n_public,
            domain_size,
            alpha1,
            beta1,
            beta2,
            delta1,
            delta2,
            coefs: &cs[4..4 + COEF * n_coefs],
            a: points(5, n_vars, 64, "A")?,
            b1: points(6, n_vars, 64, "B1")?,
            b2: points(7, n_vars, 128, "B2")?,
            c: points(8, n_vars - n_public - 1, 64, "C")?,
            h: points(9, domain_size, 64, "H")?,
            map,
            block: BLOCK,
        })
    }

    /// The same view read `block` entries or points at a time.
    pub fn with_block(self, block: usize) -> Self {
        ZkeyView { block: block.max(1), ..self }
    }

    /// Drop `part`'s pages from the process (they stay in the page cache); no-op in memory.
    fn release(&self, part: &[u8]) {
        if let Some(m) = self.map {
            let offset = part.as_ptr() as usize - m.as_ptr() as usize;
            // SAFETY: a read-only shared file map: a released page reads the file again when
            // touched (a concurrent reader of a neighbouring page just faults it back in).
            let _ = unsafe { m.unchecked_advise_range(UncheckedAdvice::DontNeed, offset, part.len()) };
        }
    }

    fn g1s(&self, bytes: &[u8]) -> Vec<G1Affine> {
        let mut out = Vec::with_capacity(bytes.len() / 64);
        for block in bytes.chunks(64 * self.block) {
            out.par_extend(block.par_chunks_exact(64).map(g1_lem));
            self.release(block);
        }
        out
    }

    pub fn a(&self) -> Vec<G1Affine> {
        self.g1s(self.a)
    }

    pub fn b1(&self) -> Vec<G1Affine> {
        self.g1s(self.b1)
    }

    pub fn c(&self) -> Vec<G1Affine> {
        self.g1s(self.c)
    }

    pub fn h(&self) -> Vec<G1Affine> {
        self.g1s(self.h)
    }

    pub fn b2(&self) -> Vec<G2Affine> {
        let mut out = Vec::with_capacity(self.b2.len() / 128);
        for block in self.b2.chunks(128 * self.block) {
            out.par_extend(block.par_chunks_exact(128).map(g2_lem));
            self.release(block);
        }
        out
    }

    /// A·w, B·w and their product on the domain, summed from the coefficient section as it is
    /// read (prove.rs's witness_products without the parsed coefficients). Each block's entries
    /// are cut at constraint boundaries into pieces that own disjoint ranges of A·w and B·w (a
    /// key lists its terms constraint by constraint: setup.rs, snarkjs), summed in parallel;
    /// a term outside its piece's range (a key in another order) is summed after, alone.
    /// A term is c·R·w while summed, and each sum is divided by R once at the end.
    pub fn witness_products(&self, w: &[Fr]) -> PyResult<(Vec<Fr>, Vec<Fr>, Vec<Fr>)> {
        let n = self.domain_size;
        let mut a = vec![Fr::zero(); n];
        let mut b = vec![Fr::zero(); n];
        for block in self.coefs.chunks(COEF * self.block) {
            add_terms(block, w, &mut a, &mut b)?;
            self.release(block);
        }
        let r_inv = Fr::from_bigint(Fr::R).unwrap().inverse().unwrap();
        if crate::fft_lanes::products_in_lanes(n) {
            let c = crate::fft_lanes::scale_and_product(&mut a, &mut b, r_inv);
            return Ok((a, b, c));
        }
        a.par_iter_mut().chain(b.par_iter_mut()).for_each(|x| *x *= r_inv);
        let c: Vec<Fr> = a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).collect();
        Ok((a, b, c))
    }

    /// The whole key parsed (the resident prover's): the coefficients as rows (coef_rows.rs,
    /// the section read twice: once to count each row's terms, once to place them) and the
    /// points, read block by block as above.
    pub fn proving_key(&self) -> PyResult<ProvingKey> {
        let (n, n_vars) = (self.domain_size, self.n_vars);
        let coefs = CoefRows::build(n, self.coefs.len() / COEF, |f| -> PyResult<()> {
            for block in self.coefs.chunks(COEF * self.block) {
                for e in block.chunks_exact(COEF) {
                    let (m, c, s, v) = term(e)?;
                    if m > 1 || c as usize >= n || s as usize >= n_vars {
                        return err("zkey coefficient refers to a matrix, constraint or signal out of range");
                    }
                    f(m, c, s, v);
                }
                self.release(block);
            }
            Ok(())
        })?;
        Ok(ProvingKey {
            n_vars,
            n_public: self.n_public,
            domain_size: n,
            alpha1: self.alpha1,
            beta1: self.beta1,
            beta2: self.beta2,
            delta1: self.delta1,
            delta2: self.delta2,
            coefs,
            a: self.a(),
            b1: self.b1(),
            b2: self.b2(),
            c: self.c(),
            h: self.h(),
        })
    }
}

/// One coefficient entry: (matrix, constraint, signal, c·R); a value not below r is refused.
fn term(e: &[u8]) -> PyResult<(u32, u32, u32, Fr)> {
    let v = limbs(&e[12..44]);
    if v >= Fr::MODULUS {
        return err("zkey coefficient is not below r");
    }
    Ok((u32_at(e, 0), u32_at(e, 4), u32_at(e, 8), Fr::new_unchecked(v)))
}

/// Σ c·R·w[s] of `block`'s entries into a (matrix 0) and b (matrix 1); see witness_products.
fn add_terms(block: &[u8], w: &[Fr], a: &mut [Fr], b: &mut [Fr]) -> PyResult<()> {
    let (n, count) = (a.len(), block.len() / COEF);
    let row = |i: usize| u32_at(block, COEF * i + 4) as usize;
    // piece starts: near equal splits, moved forward to where a new constraint begins
    let pieces = 4 * rayon::current_num_threads();
    let mut starts = vec![0usize];
    for k in 1..pieces {
        let mut i = (k * count / pieces).max(*starts.last().unwrap());
        while i < count && i > 0 && row(i) == row(i - 1) {
            i += 1;
        }
        if i < count && i > *starts.last().unwrap() && row(i) > row(*starts.last().unwrap()) && row(i) <= n {
            starts.push(i);
        }
    }
    // piece k owns rows [row(starts[k]), row(starts[k+1])), the last one up to n; the first
    // starts at 0 so that any row below it still has an owner
    let mut bounds: Vec<usize> = starts.iter().map(|&i| row(i).min(n)).collect();
    bounds[0] = 0;
    bounds.push(n);
    let (mut a_parts, mut b_parts) = (Vec::new(), Vec::new());
    let (mut a_rest, mut b_rest) = (&mut *a, &mut *b);
    for k in 0..starts.len() {
        let len = bounds[k + 1] - bounds[k];
        let (x, y) = std::mem::take(&mut a_rest).split_at_mut(len);
        a_parts.push(x);
        a_rest = y;
        let (x, y) = std::mem::take(&mut b_rest).split_at_mut(len);
        b_parts.push(x);
        b_rest = y;
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([count]).collect();
    // each piece: its terms in range summed, the others (another order) handed back
    let strays: Vec<Vec<(u32, u32, u32, Fr)>> = a_parts
        .into_par_iter()
        .zip(b_parts)
        .enumerate()
        .map(|(k, (pa, pb))| -> PyResult<Vec<_>> {
            let lo = bounds[k];
            let mut stray = Vec::new();
            for e in block[COEF * starts[k]..COEF * ends[k]].chunks_exact(COEF) {
                let (m, c, s, v) = term(e)?;
                let (c, s) = (c as usize, s as usize);
                if m > 1 || s >= w.len() {
                    return err("zkey coefficient refers to a matrix, constraint or signal out of range");
                }
                let t = v * w[s];
                match (m, c.wrapping_sub(lo)) {
                    (0, i) if i < pa.len() => pa[i] += t,
                    (1, i) if i < pb.len() => pb[i] += t,
                    _ => stray.push((m, c as u32, s as u32, t)),
                }
            }
            Ok(stray)
        })
        .collect::<PyResult<_>>()?;
    for (m, c, _, t) in strays.into_iter().flatten() {
        if c as usize >= n {
            return err("zkey coefficient refers to a matrix, constraint or signal out of range");
        }
        if m == 0 {
            a[c as usize] += t;
        } else {
            b[c as usize] += t;
        }
    }
    Ok(())
}
