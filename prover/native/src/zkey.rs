//! Reading iden3 binary files: the snarkjs Groth16 `.zkey` and the circom `.wtns`.
//!
//! Both are "binfile"s: 4-byte magic, u32 version, u32 section count, then sections of
//! (u32 type, u64 size, payload). zkey payloads hold points and scalars in Montgomery form;
//! section 4's coefficients are Montgomery-encoded twice (value * R^2 mod r); wtns values are
//! standard form.
use crate::codec::{err, g1_lem, g2_lem, limbs};
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{Field, PrimeField};
use pyo3::PyResult;
use rayon::prelude::*;
use std::collections::HashMap;

pub struct Sections<'a> {
    map: HashMap<u32, &'a [u8]>,
}

impl<'a> Sections<'a> {
    pub fn parse(data: &'a [u8], magic: &[u8; 4], what: &str) -> PyResult<Self> {
        if data.len() < 12 || &data[0..4] != magic {
            return err(format!("not a {what} file (bad magic)"));
        }
        let n = u32::from_le_bytes(data[8..12].try_into().unwrap()) as usize;
        let mut map = HashMap::new();
        let mut pos = 12usize;
        for _ in 0..n {
            if pos + 12 > data.len() {
                return err(format!("truncated {what} file: section header past the end"));
            }
            let kind = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap());
            let size = u64::from_le_bytes(data[pos + 4..pos + 12].try_into().unwrap()) as usize;
            pos += 12;
            if size > data.len() - pos {
                return err(format!("truncated {what} file: section {kind} claims {size} bytes"));
            }
            map.insert(kind, &data[pos..pos + size]);
            pos += size;
        }
        Ok(Sections { map })
    }

    pub fn has(&self, kind: u32) -> bool {
        self.map.contains_key(&kind)
    }

    pub fn get(&self, kind: u32, min_len: usize, what: &str) -> PyResult<&'a [u8]> {
        match self.map.get(&kind) {
            Some(s) if s.len() >= min_len => Ok(s),
            Some(_) => err(format!("{what} section {kind} is too short")),
            None => err(format!("{what} file has no section {kind}")),
        }
    }
}

fn u32_at(b: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap())
}

/// The Groth16 proving key, as snarkjs lays it out (zkey_new.js).
pub struct ProvingKey {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub alpha1: G1Affine,
    pub beta1: G1Affine,
    pub beta2: G2Affine,
    pub delta1: G1Affine,
    pub delta2: G2Affine,
    /// (matrix 0=A/1=B, constraint, signal, coefficient)
    pub coefs: Vec<(u32, u32, u32, Fr)>,
    pub a: Vec<G1Affine>,
    pub b1: Vec<G1Affine>,
    pub b2: Vec<G2Affine>,
    pub c: Vec<G1Affine>,
    pub h: Vec<G1Affine>,
}

fn g1s(bytes: &[u8], n: usize, what: &str) -> PyResult<Vec<G1Affine>> {
    if bytes.len() < 64 * n {
        return err(format!("zkey {what} section holds fewer than {n} points"));
    }
    Ok(bytes[..64 * n].par_chunks_exact(64).map(g1_lem).collect())
}

fn g2s(bytes: &[u8], n: usize, what: &str) -> PyResult<Vec<G2Affine>> {
    if bytes.len() < 128 * n {
        return err(format!("zkey {what} section holds fewer than {n} points"));
    }
    Ok(bytes[..128 * n].par_chunks_exact(128).map(g2_lem).collect())
}

pub fn read_zkey(data: &[u8]) -> PyResult<ProvingKey> {
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
    let alpha1 = g1_lem(&h[p..p + 64]);
    let beta1 = g1_lem(&h[p + 64..p + 128]);
    let beta2 = g2_lem(&h[p + 128..p + 256]);
    // gamma2 at p+256..p+384 is only for the verifier.
    let delta1 = g1_lem(&h[p + 384..p + 448]);
    let delta2 = g2_lem(&h[p + 448..p + 576]);
    if !domain_size.is_power_of_two() || domain_size > 1 << 27 || n_public >= n_vars {
        return err("zkey header is inconsistent (domain size or public count)");
    }

    let cs = s.get(4, 4, "zkey")?;
    let n_coefs = u32_at(cs, 0) as usize;
    if cs.len() < 4 + n_coefs * 44 {
        return err("zkey coefficient section is truncated");
    }
    // c is stored as c * R^2 mod r; read as a Montgomery limb it is c * R, so divide by R once.
    let r_inv = Fr::from_bigint(Fr::R).unwrap().inverse().unwrap();
    let coefs: Vec<(u32, u32, u32, Fr)> = cs[4..4 + n_coefs * 44]
        .par_chunks_exact(44)
        .map(|e| {
            let v = Fr::new_unchecked(limbs(&e[12..44])) * r_inv;
            (u32_at(e, 0), u32_at(e, 4), u32_at(e, 8), v)
        })
        .collect();
    for &(m, c, w, _) in &coefs {
        if m > 1 || c as usize >= domain_size || w as usize >= n_vars {
            return err("zkey coefficient refers to a matrix, constraint or signal out of range");
        }
    }
    Ok(ProvingKey {
        n_vars,
        n_public,
        domain_size,
        alpha1,
        beta1,
        beta2,
        delta1,
        delta2,
        coefs,
        a: g1s(s.get(5, 0, "zkey")?, n_vars, "A")?,
        b1: g1s(s.get(6, 0, "zkey")?, n_vars, "B1")?,
        b2: g2s(s.get(7, 0, "zkey")?, n_vars, "B2")?,
        c: g1s(s.get(8, 0, "zkey")?, n_vars - n_public - 1, "C")?,
        h: g1s(s.get(9, 0, "zkey")?, domain_size, "H")?,
    })
}

/// The witness vector of a `.wtns` file (standard-form values, wire 0 first).
pub fn read_wtns(data: &[u8]) -> PyResult<Vec<Fr>> {
    let s = Sections::parse(data, b"wtns", "wtns")?;
    let head = s.get(1, 8, "wtns")?;
    let n8 = u32_at(head, 0) as usize;
    if n8 != 32 || head.len() < 4 + n8 + 4 {
        return err("wtns is not a BN254 witness (n8 != 32)");
    }
    let n = u32_at(head, 4 + n8) as usize;
    let body = s.get(2, 32 * n, "wtns")?;
    body[..32 * n]
        .par_chunks_exact(32)
        .map(|b| match Fr::from_bigint(limbs(b)) {
            Some(x) => Ok(x),
            None => err("wtns value is not below r"),
        })
        .collect()
}
