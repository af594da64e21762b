//! circomlib's Poseidon over BN254 Fr, in circomlib's optimized form (sparse partial rounds).
//! The constants come from Python (`circuits.crypto.poseidon`, which also holds the plain,
//! readable permutation that tests compare this one against) through `poseidon_register`,
//! in either form: circomlib's plain constants (C: t per round, M) or the optimized ones.
use crate::codec::{err, fr_bytes, scalars_std};
use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use pyo3::PyResult;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// circomlib's optimized form of the same permutation (circomlibjs poseidon_opt.js): the MDS
/// multiplications of the partial rounds are folded into sparse matrices S, so a partial
/// round costs 2t−1 multiplications instead of t². Same hash, far fewer operations.
pub struct Params {
    /// the plain form (poseidon_reference.js): every round adds t constants and mixes with M
    plain: bool,
    t: usize,
    rounds_f: usize,
    rounds_p: usize,
    c: Vec<Fr>, // t·rounds_f + rounds_p round constants (plain: t·(rounds_f + rounds_p))
    s: Vec<Fr>, // (2t−1)·rounds_p sparse-matrix entries (plain: empty)
    m: Vec<Fr>, // t×t MDS, row-major
    p: Vec<Fr>, // t×t pre-sparse matrix, row-major (plain: empty)
}

static TABLE: RwLock<Option<HashMap<usize, Arc<Params>>>> = RwLock::new(None);

#[allow(clippy::too_many_arguments)]
pub fn register(t: usize, rounds_f: usize, rounds_p: usize, c: &[u8], s: &[u8], m: &[u8], p: &[u8]) -> PyResult<()> {
    let (c, s, m, p) = (scalars_std(c)?, scalars_std(s)?, scalars_std(m)?, scalars_std(p)?);
    if !(2..=17).contains(&t) || rounds_f % 2 != 0 || rounds_f < 2 || c.len() != t * rounds_f + rounds_p
        || s.len() != (2 * t - 1) * rounds_p || m.len() != t * t || p.len() != t * t
    {
        return err("poseidon_register: constants do not match t and the round counts");
    }
    let params = Arc::new(Params { plain: false, t, rounds_f, rounds_p, c, s, m, p });
    TABLE.write().unwrap().get_or_insert_with(HashMap::new).insert(t, params);
    Ok(())
}

/// The plain form: C holds t constants per round (t·(rounds_f + rounds_p)), M is t×t row-major.
pub fn register_plain(t: usize, rounds_f: usize, rounds_p: usize, c: &[u8], m: &[u8]) -> PyResult<()> {
    let (c, m) = (scalars_std(c)?, scalars_std(m)?);
    if !(2..=17).contains(&t) || rounds_f % 2 != 0 || c.len() != t * (rounds_f + rounds_p) || m.len() != t * t {
        return err("poseidon_register: constants do not match t and the round counts");
    }
    let params = Arc::new(Params { plain: true, t, rounds_f, rounds_p, c, s: Vec::new(), m, p: Vec::new() });
    TABLE.write().unwrap().get_or_insert_with(HashMap::new).insert(t, params);
    Ok(())
}

/// circomlib's permutation as poseidon_reference.js writes it: per round add t constants, x^5
/// on every element (full rounds) or on element 0 (partial rounds), new[i] = Σ_j M[i][j]·s[j].
fn hash_plain(p: &Params, inputs: &[Fr]) -> Fr {
    let t = p.t;
    let mut s = [Fr::zero(); 17];
    let mut scratch = [Fr::zero(); 17];
    let (s, scratch) = (&mut s[..t], &mut scratch[..t]);
    s[1..].copy_from_slice(inputs);
    let half = p.rounds_f / 2;
    for r in 0..p.rounds_f + p.rounds_p {
        for i in 0..t {
            s[i] += p.c[r * t + i];
        }
        if r < half || r >= half + p.rounds_p {
            for x in s.iter_mut() {
                *x = pow5(*x);
            }
        } else {
            s[0] = pow5(s[0]);
        }
        for i in 0..t {
            scratch[i] = (0..t).map(|j| p.m[i * t + j] * s[j]).sum();
        }
        s.copy_from_slice(scratch);
    }
    s[0]
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

/// new[i] = Σ_j mat[j][i] · state[j] (circomlibjs indexes its matrices this way).
fn mix(mat: &[Fr], state: &mut [Fr], scratch: &mut [Fr]) {
    let t = state.len();
    for i in 0..t {
        scratch[i] = (0..t).map(|j| mat[j * t + i] * state[j]).sum();
    }
    state.copy_from_slice(scratch);
}

pub fn hash_one(p: &Params, inputs: &[Fr]) -> Fr {
    if p.plain {
        return hash_plain(p, inputs);
    }
    let t = p.t;
    let half = p.rounds_f / 2;
    let mut s = [Fr::zero(); 17];
    let mut scratch = [Fr::zero(); 17];
    let (s, scratch) = (&mut s[..t], &mut scratch[..t]);
    s[1..].copy_from_slice(inputs);
    for i in 0..t {
        s[i] += p.c[i];
    }
    for r in 0..half - 1 {
        for i in 0..t {
            s[i] = pow5(s[i]) + p.c[(r + 1) * t + i];
        }
        mix(&p.m, s, scratch);
    }
    for i in 0..t {
        s[i] = pow5(s[i]) + p.c[half * t + i];
    }
    mix(&p.p, s, scratch);
    for r in 0..p.rounds_p {
        s[0] = pow5(s[0]) + p.c[(half + 1) * t + r];
        let row = &p.s[(2 * t - 1) * r..(2 * t - 1) * (r + 1)];
        let s0: Fr = (0..t).map(|j| row[j] * s[j]).sum();
        for k in 1..t {
            s[k] += s[0] * row[t + k - 1];
        }
        s[0] = s0;
    }
    for r in 0..half - 1 {
        for i in 0..t {
            s[i] = pow5(s[i]) + p.c[(half + 1) * t + p.rounds_p + r * t + i];
        }
        mix(&p.m, s, scratch);
    }
    for x in s.iter_mut() {
        *x = pow5(*x);
    }
    mix(&p.m, s, scratch);
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
