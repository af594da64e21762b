//! `prover._native`: the hot kernels of zkclear (MSM, NTT, Groth16 proving, Poseidon) on arkworks.
//! This file only wires exports; each kernel lives in a module of its own.
use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
