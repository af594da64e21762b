//! fft_lanes.rs where there are no lanes (not x86-64): the same names, so that fft.rs,
//! zkey_map.rs and coef_rows.rs compile unchanged; `block_len` and `products_in_lanes` say no,
//! so the scalar code runs and nothing below them is ever called.
use ark_bn254::Fr;

const NO_LANES: &str = "the lanes run only on x86-64 CPUs with AVX-512 IFMA";

pub fn block_len(_: usize) -> Option<usize> {
    None
}

pub fn products_in_lanes(_: usize) -> bool {
    false
}

pub struct LaneTables;

impl LaneTables {
    pub fn new(_: Fr, _: usize, _: usize) -> Self {
        unreachable!("{NO_LANES}")
    }
}

pub fn coset_unscaled(_: &mut [Fr], _: &LaneTables) {
    unreachable!("{NO_LANES}")
}

pub fn scale(_: &mut [Fr], _: Fr) {
    unreachable!("{NO_LANES}")
}

pub fn h_combine(_: &mut [Fr], _: &[Fr], _: &[Fr], _: Fr) {
    unreachable!("{NO_LANES}")
}

pub fn scale_and_product(_: &mut [Fr], _: &mut [Fr], _: Fr) -> Vec<Fr> {
    unreachable!("{NO_LANES}")
}

pub fn product(_: &[Fr], _: &[Fr]) -> Vec<Fr> {
    unreachable!("{NO_LANES}")
}
