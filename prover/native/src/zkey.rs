//! Reading iden3 binary files: the snarkjs Groth16 `.zkey` and the circom `.wtns`.
//!
//! Both are "binfile"s: 4-byte magic, u32 version, u32 section count, then sections of
//! (u32 type, u64 size, payload). zkey payloads hold points and scalars in Montgomery form;
//! section 4's coefficients are Montgomery-encoded twice (value * R^2 mod r); wtns values are
//! standard form.
use crate::codec::{err, limbs};
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::PrimeField;
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

pub(crate) fn u32_at(b: &[u8], pos: usize) -> u32 {
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
    /// A's and B's rows of (signal, coefficient)
    pub coefs: crate::coef_rows::CoefRows,
    pub a: Vec<G1Affine>,
    pub b1: Vec<G1Affine>,
    pub b2: Vec<G2Affine>,
    pub c: Vec<G1Affine>,
    pub h: Vec<G1Affine>,
}

/// The whole key parsed (zkey_map.rs reads it, checking the sections' sizes first).
pub fn read_zkey(data: &[u8]) -> PyResult<ProvingKey> {
    crate::zkey_map::ZkeyView::new(data, None)?.proving_key()
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
