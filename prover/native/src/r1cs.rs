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
use ark_bn254::Fr;
use ark_ff::PrimeField;
use pyo3::PyResult;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};

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
    read_r1cs_from(Cursor::new(data))
}

/// The same from a file read in order: the constraints are parsed as they are read, so the
/// file's bytes (3.8 GB at the mainnet batch) are never in memory beside the parsed terms.
pub fn read_r1cs_file(path: &str) -> PyResult<R1cs> {
    read_r1cs_from(BufReader::with_capacity(1 << 22, File::open(path)?))
}

/// The binfile's section table, (offset, size) by type (a repeated type: the last one), with
/// the same checks and messages as zkey::Sections::parse.
fn section_table<R: Read + Seek>(rd: &mut R) -> PyResult<HashMap<u32, (u64, u64)>> {
    let len = rd.seek(SeekFrom::End(0))?;
    rd.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 12];
    if len < 12 || rd.read_exact(&mut head).is_err() || &head[0..4] != b"r1cs" {
        return err("not a r1cs file (bad magic)");
    }
    let n = u32_at(&head, 8);
    let mut map = HashMap::new();
    let mut pos = 12u64;
    for _ in 0..n {
        if pos + 12 > len {
            return err("truncated r1cs file: section header past the end");
        }
        rd.seek(SeekFrom::Start(pos))?;
        rd.read_exact(&mut head)?;
        let kind = u32_at(&head, 0);
        let size = u64::from_le_bytes(head[4..12].try_into().unwrap());
        pos += 12;
        if size > len - pos {
            return err(format!("truncated r1cs file: section {kind} claims {size} bytes"));
        }
        map.insert(kind, (pos, size));
        pos += size;
    }
    Ok(map)
}

fn read_r1cs_from<R: Read + Seek>(mut rd: R) -> PyResult<R1cs> {
    let table = section_table(&mut rd)?;
    if table.contains_key(&4) || table.contains_key(&5) {
        return err("r1cs file uses custom gates (circom PLONK mode), which Groth16 cannot prove");
    }
    let h = match table.get(&1) {
        Some(&(_, size)) if size < 4 => return err("r1cs section 1 is too short"),
        Some(&(pos, size)) => {
            rd.seek(SeekFrom::Start(pos))?;
            let mut h = vec![0u8; size.min(1 << 20) as usize];
            rd.read_exact(&mut h)?;
            h.truncate(size as usize); // a header over 1 MiB is refused below all the same
            h
        }
        None => return err("r1cs file has no section 1"),
    };
    let h = &h[..];
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

    let Some(&(c_pos, c_len)) = table.get(&2) else {
        return err("r1cs file has no section 2");
    };
    rd.seek(SeekFrom::Start(c_pos))?;
    let (terms, offsets) = read_constraints(&mut rd.take(c_len), c_len as usize, n_wires, n_constraints)?;
    Ok(R1cs { n_wires, n_public: n_pub_out + n_pub_in, n_constraints, terms, offsets })
}

/// Section 2 (`len` bytes from `rd`), parsed one linear combination at a time as it is read.
fn read_constraints<R: Read>(
    rd: &mut R,
    len: usize,
    n_wires: usize,
    n_constraints: usize,
) -> PyResult<(Vec<(u32, Fr)>, Vec<usize>)> {
    let mut pos = 0usize;
    let mut terms: Vec<(u32, Fr)> = Vec::with_capacity(len / 36);
    let mut offsets = Vec::with_capacity(3 * n_constraints + 1);
    offsets.push(0);
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut word = [0u8; 4];
    for ci in 0..n_constraints {
        for _ in 0..3 {
            if pos + 4 > len {
                return err(format!("r1cs constraints section truncated in constraint {ci}"));
            }
            rd.read_exact(&mut word)?;
            let nt = u32::from_le_bytes(word) as usize;
            pos += 4;
            if nt > (len - pos) / 36 {
                return err(format!("r1cs constraints section truncated in constraint {ci}"));
            }
            buf.resize(36 * nt, 0);
            rd.read_exact(&mut buf)?;
            let c = &buf[..];
            let start = terms.len();
            index.clear();
            for q in (0..36 * nt).step_by(36) {
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
    if pos != len {
        return err(format!("r1cs constraints section corrupt: {} trailing bytes", len - pos));
    }
    Ok((terms, offsets))
}
