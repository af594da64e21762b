//! circomlib's Poseidon over BN254 Fr. The constants come from Python
//! (`circuits.crypto.poseidon`) through `poseidon_register`, so they are written down once.
//!
//! Permutation of width t: per round add the round constants; S-box x^5 on every element in
//! the first and last n_rounds_f/2 (full) rounds, on element 0 only in the partial rounds;
//! then multiply by the MDS matrix. The hash of t−1 inputs is state[0] after permuting [0, inputs].
use crate::codec::{err, fr_bytes, scalars_std};
use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use pyo3::PyResult;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Params {
    t: usize,
    rounds_f: usize,
    rounds_p: usize,
    c: Vec<Fr>,
    m: Vec<Fr>,
}

static TABLE: RwLock<Option<HashMap<usize, Arc<Params>>>> = RwLock::new(None);

pub fn register(t: usize, rounds_f: usize, rounds_p: usize, c: &[u8], m: &[u8]) -> PyResult<()> {
    let c = scalars_std(c)?;
    let m = scalars_std(m)?;
    if t < 2 || c.len() != t * (rounds_f + rounds_p) || m.len() != t * t || rounds_f % 2 != 0 {
        return err("poseidon_register: constants do not match t and the round counts");
    }
    let params = Arc::new(Params { t, rounds_f, rounds_p, c, m });
    TABLE.write().unwrap().get_or_insert_with(HashMap::new).insert(t, params);
    Ok(())
}

pub fn params(t: usize) -> PyResult<Arc<Params>> {
    match TABLE.read().unwrap().as_ref().and_then(|m| m.get(&t)) {
        Some(p) => Ok(p.clone()),
        None => err(format!("poseidon width {t} is not registered")),
    }
}

fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

fn hash_one(p: &Params, inputs: &[Fr]) -> Fr {
    let t = p.t;
    let mut s = vec![Fr::zero(); t];
    s[1..].copy_from_slice(inputs);
    let mut next = vec![Fr::zero(); t];
    let half = p.rounds_f / 2;
    for r in 0..p.rounds_f + p.rounds_p {
        for i in 0..t {
            s[i] += p.c[r * t + i];
        }
        if r < half || r >= half + p.rounds_p {
            s.iter_mut().for_each(|x| *x = pow5(*x));
        } else {
            s[0] = pow5(s[0]);
        }
        for i in 0..t {
            let row = &p.m[i * t..(i + 1) * t];
            next[i] = row.iter().zip(s.iter()).map(|(a, b)| *a * b).sum();
        }
        std::mem::swap(&mut s, &mut next);
    }
    s[0]
}

/// Hash k·(t−1) inputs into k outputs, in parallel.
pub fn hash_many(t: usize, inputs: &[u8]) -> PyResult<Vec<u8>> {
    let p = params(t)?;
    let xs = scalars_std(inputs)?;
    if xs.len() % (t - 1) != 0 {
        return err(format!("{} inputs do not split into rows of {}", xs.len(), t - 1));
    }
    let out: Vec<Fr> = xs.par_chunks_exact(t - 1).map(|row| hash_one(&p, row)).collect();
    Ok(fr_bytes(&out))
}
