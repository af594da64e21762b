//! A proving key's A and B matrices kept as rows (compressed sparse rows), for a prover that
//! holds the key across proofs (resident.rs).
//!
//! Why rows: A·w and B·w are one sum a row, so rows split into disjoint ranges are summed on
//! every core with no merging, where the key's list of (matrix, constraint, signal, value)
//! terms has to be summed in order (or cut at constraint boundaries on each read, as
//! zkey_map.rs does for a key read once). A term also shrinks from 48 bytes to 36 (signal
//! and value; the row is implied): 3.0 GB instead of 4.0 for the 84M terms of the 2^22
//! mainnet key. Values are kept in plain Montgomery form (c, not the file's c·R), each
//! converted once when the key is read.
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
    value: Vec<Fr>,
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
        let mut value = vec![Fr::zero(); total];
        each(&mut |m, c, s, v| {
            let p = &mut cursor[m as usize * n + c as usize];
            signal[*p as usize] = s;
            value[*p as usize] = v;
            *p += 1;
        })?;
        let r_inv = Fr::from_bigint(Fr::R).unwrap().inverse().unwrap();
        value.par_iter_mut().for_each(|v| *v *= r_inv);
        Ok(CoefRows { n, start, signal, value })
    }

    /// Bytes held (what the rows cost a resident key).
    pub fn bytes(&self) -> usize {
        self.start.len() * 4 + self.signal.len() * 4 + self.value.len() * std::mem::size_of::<Fr>()
    }

    /// A·w, B·w and their product on the n-point domain (prove.rs's witness_products), the
    /// rows summed in parallel. The caller checks w's length (every signal < w.len()).
    pub fn witness_products(&self, w: &[Fr]) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
        let n = self.n;
        let row = |i: usize| {
            let (lo, hi) = (self.start[i] as usize, self.start[i + 1] as usize);
            let mut sum = Fr::zero();
            for (s, v) in self.signal[lo..hi].iter().zip(&self.value[lo..hi]) {
                sum += *v * w[*s as usize];
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
        let c: Vec<Fr> = a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).collect();
        (a, b, c)
    }
}
