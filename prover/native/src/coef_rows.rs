//! A proving key's A and B matrices kept as rows (compressed sparse rows), for a prover that
//! holds the key across proofs (resident.rs).
//!
//! Why rows: A·w and B·w are one sum a row, so rows split into disjoint ranges are summed on
//! every core with no merging, where the key's list of (matrix, constraint, signal, value)
//! terms has to be summed in order (or cut at constraint boundaries on each read, as
//! zkey_map.rs does for a key read once).
//!
//! Why a table of values: a circuit's coefficients are few distinct constants used again and
//! again (the 2^22 mainnet key: ~18k distinct values in 84M terms: powers of two, Poseidon's
//! constants, ±1), so a term is its signal and its value's index, 8 bytes instead of the
//! 32-byte value (the row is implied): 0.7 GB instead of 4.0 as (matrix, row, signal, value)
//! for that key, and a proof streams a sixth of the bytes; the table (0.6 MB there) stays in
//! cache. Values are kept in plain Montgomery form (c, not the file's c·R), converted once.
use ark_bn254::Fr;
use ark_ff::{Field, PrimeField, Zero};
use rayon::prelude::*;

/// Rows summed by one task: large enough that a task's start-up is nothing beside its sums.
const ROWS_PER_TASK: usize = 1 << 12;

pub struct CoefRows {
    /// rows of the domain (n): rows 0..n are A's, n..2n are B's
    n: usize,
    /// row i's terms are start[i]..start[i + 1] (2n + 1 entries)
    start: Vec<u32>,
    signal: Vec<u32>,
    /// per term, its value's index in `values`
    value: Vec<u32>,
    /// the distinct values
    values: Vec<Fr>,
}

/// A fast hash for 32-byte field elements (the table's keys are few and not adversarial:
/// the key's owner wrote them).
#[derive(Default)]
struct LimbHasher(u64);

impl std::hash::Hasher for LimbHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl CoefRows {
    /// From the key's terms, read twice by `each` (once to count each row's terms, once to
    /// place them), with values as the file keeps them (c·R). `each(f)` calls f(matrix,
    /// constraint, signal, c·R) for every term in the file's order; the caller checks ranges
    /// (matrix <= 1, constraint < n) before handing a term over.
    pub fn build<E>(n: usize, terms: usize, mut each: impl FnMut(&mut dyn FnMut(u32, u32, u32, Fr)) -> Result<(), E>) -> Result<Self, E> {
        assert!(terms < u32::MAX as usize, "more than 2^32 coefficient terms");
        let mut count = vec![0u32; 2 * n + 1];
        each(&mut |m, c, _, _| count[m as usize * n + c as usize + 1] += 1)?;
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        let start = count.clone();
        let total = start[2 * n] as usize;
        let mut cursor = count;
        let mut signal = vec![0u32; total];
        let mut value = vec![0u32; total];
        let mut index: std::collections::HashMap<[u64; 4], u32, std::hash::BuildHasherDefault<LimbHasher>> = Default::default();
        let mut values = Vec::new();
        each(&mut |m, c, s, v| {
            let p = &mut cursor[m as usize * n + c as usize];
            signal[*p as usize] = s;
            value[*p as usize] = *index.entry(v.0 .0).or_insert_with(|| {
                values.push(v);
                (values.len() - 1) as u32
            });
            *p += 1;
        })?;
        let r_inv = Fr::from_bigint(Fr::R).unwrap().inverse().unwrap();
        values.iter_mut().for_each(|v| *v *= r_inv);
        Ok(CoefRows { n, start, signal, value, values })
    }

    /// Bytes held (what the rows cost a resident key).
    pub fn bytes(&self) -> usize {
        (self.start.len() + self.signal.len() + self.value.len()) * 4 + self.values.len() * std::mem::size_of::<Fr>()
    }

    /// A·w, B·w and their product on the n-point domain (prove.rs's witness_products), the
    /// rows summed in parallel. The caller checks w's length (every signal < w.len()).
    pub fn witness_products(&self, w: &[Fr]) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
        let n = self.n;
        let row = |i: usize| {
            let (lo, hi) = (self.start[i] as usize, self.start[i + 1] as usize);
            let mut sum = Fr::zero();
            for (s, v) in self.signal[lo..hi].iter().zip(&self.value[lo..hi]) {
                sum += self.values[*v as usize] * w[*s as usize];
            }
            sum
        };
        let mut a = vec![Fr::zero(); n];
        let mut b = vec![Fr::zero(); n];
        a.par_chunks_mut(ROWS_PER_TASK).zip(b.par_chunks_mut(ROWS_PER_TASK)).enumerate().for_each(|(k, (a, b))| {
            let first = k * ROWS_PER_TASK;
            for (i, (x, y)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                *x = row(first + i);
                *y = row(n + first + i);
            }
        });
        if crate::fft_lanes::products_in_lanes(n) {
            let c = crate::fft_lanes::product(&a, &b);
            return (a, b, c);
        }
        let c: Vec<Fr> = a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).collect();
        (a, b, c)
    }
}
