//! Reading the iden3 `.r1cs` file (iden3/r1csfile, version 1), as prover/formats/r1cs.py does.
//!
//!   section 1 header:      u32 n8 (=32), prime, u32 nWires, u32 nPubOut, u32 nPubIn,
//!                          u32 nPrvIn, u64 nLabels, u32 nConstraints
//!   section 2 constraints: per constraint A, B, C, each u32 nTerms then (u32 wire, n8-byte
//!                          coefficient, standard form) pairs
//! Sections 4/5 (custom gates, circom's PLONK mode) are refused. A wire repeated inside one
//! linear combination keeps its first position and its last coefficient (Python dict semantics),
//! so both backends derive the same QAP from the same bytes.
use crate::codec::{err, limbs};
use crate::zkey::Sections;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use pyo3::PyResult;
use std::collections::HashMap;

pub struct R1cs {
    pub n_wires: usize,
    /// Public signals, outputs first then inputs (snarkjs's nPublic).
    pub n_public: usize,
    pub n_constraints: usize,
    /// Every linear combination's terms, flat: LC k (= 3·constraint + matrix) is
    /// terms[offsets[k]..offsets[k + 1]].
    pub terms: Vec<(u32, Fr)>,
    pub offsets: Vec<usize>,
}

impl R1cs {
    pub fn lc(&self, constraint: usize, matrix: usize) -> &[(u32, Fr)] {
        let k = 3 * constraint + matrix;
        &self.terms[self.offsets[k]..self.offsets[k + 1]]
    }
}

fn u32_at(b: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap())
}

pub fn read_r1cs(data: &[u8]) -> PyResult<R1cs> {
    let s = Sections::parse(data, b"r1cs", "r1cs")?;
    if s.has(4) || s.has(5) {
        return err("r1cs file uses custom gates (circom PLONK mode), which Groth16 cannot prove");
    }
    let h = s.get(1, 4, "r1cs")?;
    if u32_at(h, 0) != 32 {
        return err("r1cs header: field size is not 32 bytes");
    }
    if h.len() != 4 + 32 + 16 + 8 + 4 {
        return err("r1cs header section has the wrong length");
    }
    if limbs(&h[4..36]) != Fr::MODULUS {
        return err("r1cs prime is not BN254's scalar field order r");
    }
    let n_wires = u32_at(h, 36) as usize;
    let (n_pub_out, n_pub_in, n_prv_in) = (u32_at(h, 40) as usize, u32_at(h, 44) as usize, u32_at(h, 48) as usize);
    let n_constraints = u32_at(h, 60) as usize;
    if 1 + n_pub_out + n_pub_in + n_prv_in > n_wires {
        return err("r1cs header corrupt: more inputs than wires");
    }

    let c = s.get(2, 0, "r1cs")?;
    let mut pos = 0usize;
    let mut terms: Vec<(u32, Fr)> = Vec::with_capacity(c.len() / 36);
    let mut offsets = Vec::with_capacity(3 * n_constraints + 1);
    offsets.push(0);
    let mut index: HashMap<u32, usize> = HashMap::new();
    for ci in 0..n_constraints {
        for _ in 0..3 {
            if pos + 4 > c.len() {
                return err(format!("r1cs constraints section truncated in constraint {ci}"));
            }
            let nt = u32_at(c, pos) as usize;
            pos += 4;
            if nt > (c.len() - pos) / 36 {
                return err(format!("r1cs constraints section truncated in constraint {ci}"));
            }
            let start = terms.len();
            index.clear();
            for q in (pos..pos + 36 * nt).step_by(36) {
                let wire = u32_at(c, q);
                let Some(v) = Fr::from_bigint(limbs(&c[q + 4..q + 36])) else {
                    return err(format!("r1cs constraint {ci} corrupt: coefficient not below r"));
                };
                if wire as usize >= n_wires {
                    return err(format!("r1cs constraint {ci} corrupt: wire {wire} out of range"));
                }
                // a repeated wire: keep its first slot, take the later coefficient
                let seen = if nt <= 16 {
                    terms[start..].iter().position(|t| t.0 == wire).map(|k| start + k)
                } else {
                    index.get(&wire).copied()
                };
                match seen {
                    Some(k) => terms[k].1 = v,
                    None => {
                        if nt > 16 {
                            index.insert(wire, terms.len());
                        }
                        terms.push((wire, v));
                    }
                }
            }
            pos += 36 * nt;
            offsets.push(terms.len());
        }
    }
    if pos != c.len() {
        return err(format!("r1cs constraints section corrupt: {} trailing bytes", c.len() - pos));
    }
    Ok(R1cs { n_wires, n_public: n_pub_out + n_pub_in, n_constraints, terms, offsets })
}
