//! `prover._native`: the hot kernels of zkclear on arkworks (BN254). This file only wires
//! exports; each kernel lives in its own module. Every function takes and returns bulk bytes
//! (see `codec`) and releases the GIL while it computes.
mod codec;
mod coef_rows;
mod eddsa;
mod fft;
#[cfg_attr(not(target_arch = "x86_64"), path = "fft_lanes_off.rs")]
mod fft_lanes;
mod gcd_inverse;
mod inv;
mod kernels;
mod lanes;
mod mpc;
mod msm;
mod phase2;
mod poseidon;
mod prove;
mod psi;
mod pybuf;
mod r1cs;
mod resident;
mod setup;
mod witness;
mod zkey;
mod zkey_map;
mod zkey_stream;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn bytes_out(py: Python<'_>, v: Vec<u8>) -> Py<PyBytes> {
    PyBytes::new(py, &v).unbind()
}

/// Groth16 proof from raw .zkey and .wtns file bytes and the blinding scalars r, s (32-byte LE).
/// Returns A (G1, 64 bytes) || B (G2, 128) || C (G1, 64), standard-form little-endian.
#[pyfunction]
fn groth16_prove(py: Python<'_>, zkey: &[u8], wtns: &[u8], r: &[u8], s: &[u8]) -> PyResult<Py<PyBytes>> {
    check_rs(r, s)?;
    let out = py.allow_threads(|| prove_view(&zkey_map::ZkeyView::new(zkey, None)?, wtns, r, s, prove::Phases::new()))?;
    Ok(bytes_out(py, out))
}

fn check_rs(r: &[u8], s: &[u8]) -> PyResult<()> {
    if r.len() != 32 || s.len() != 32 {
        return codec::err("r and s must be 32 bytes each");
    }
    Ok(())
}

/// The proof from a key's view (in memory or mapped) and the .wtns bytes: both entry points' tail.
fn prove_view(pk: &zkey_map::ZkeyView<'_>, wtns: &[u8], r: &[u8], s: &[u8], mut phases: prove::Phases) -> PyResult<Vec<u8>> {
    let w = zkey::read_wtns(wtns)?;
    phases.mark("load");
    prove::prove(pk, &w, codec::fr_std(r)?, codec::fr_std(s)?, phases)
}

/// groth16_prove with the .zkey read from its path, memory-mapped: the key is never whole in
/// memory, each section is read when its step needs it and its pages released once read
/// (zkey_map.rs). Same proof bytes as groth16_prove on the file's bytes. OSError when the file
/// cannot be opened. `block`: entries or points read at a time (tests make it small).
#[pyfunction]
#[pyo3(signature = (zkey_path, wtns, r, s, block = zkey_map::BLOCK))]
fn groth16_prove_file(py: Python<'_>, zkey_path: &str, wtns: &[u8], r: &[u8], s: &[u8], block: usize) -> PyResult<Py<PyBytes>> {
    check_rs(r, s)?;
    let out = py.allow_threads(|| {
        let phases = prove::Phases::new();
        let map = zkey_map::map_file(zkey_path)?;
        let pk = zkey_map::ZkeyView::new(map.as_deref().unwrap_or(&[]), map.as_ref())?.with_block(block);
        prove_view(&pk, wtns, r, s, phases)
    })?;
    Ok(bytes_out(py, out))
}

/// UNSAFE development setup: a complete snarkjs Groth16 `.zkey` for raw `.r1cs` bytes and the
/// toxic waste τ, α, β, γ, δ (5 × 32 bytes LE). Same bytes as prover.groth16.setup.dev_setup.
#[pyfunction]
fn groth16_setup(py: Python<'_>, r1cs: &[u8], toxic: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| {
        let t = setup::Toxic::from_bytes(toxic)?;
        let cs = r1cs::read_r1cs(r1cs)?;
        setup::setup(cs, &t)
    })?;
    Ok(bytes_out(py, out))
}

/// The same UNSAFE development setup from an `.r1cs` file to a `.zkey` file, written section
/// by section as it is made: nothing big crosses into Python, and the key never exists whole
/// in memory (a mainnet key is GBs). The caller makes the write atomic (a temporary path).
/// `chunk`: scalars per fixed-base batch (tests make it small to cross chunk boundaries).
#[pyfunction]
#[pyo3(signature = (r1cs_path, toxic, zkey_path, chunk = setup::CHUNK))]
fn groth16_setup_file(py: Python<'_>, r1cs_path: &str, toxic: &[u8], zkey_path: &str, chunk: usize) -> PyResult<()> {
    py.allow_threads(|| {
        let t = setup::Toxic::from_bytes(toxic)?;
        let cs = r1cs::read_r1cs_file(r1cs_path)?; // parsed as read: the file is never whole in memory
        let out = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(zkey_path)?);
        let out = setup::setup_to(cs, &t, out, chunk.max(1))?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    })
}

/// Phase-2 Groth16 setup on a prepared powers-of-tau file: the snarkjs `.zkey` for raw `.r1cs`
/// bytes, raw `.ptau` bytes and the contribution δ (32 bytes LE, non-zero); section 10 carries
/// snarkjs's circuit hash and one contribution record. Same bytes as
/// prover.groth16.setup.phase2_setup.
#[pyfunction]
fn groth16_setup_ptau(py: Python<'_>, r1cs: &[u8], ptau: &[u8], delta: &[u8]) -> PyResult<Py<PyBytes>> {
    if delta.len() != 32 {
        return codec::err("delta must be 32 bytes");
    }
    let out = py.allow_threads(|| {
        let d = codec::fr_std(delta)?;
        let cs = r1cs::read_r1cs(r1cs)?;
        phase2::setup_ptau(&cs, ptau, d)
    })?;
    Ok(bytes_out(py, out))
}

/// True iff Π e(P_i, Q_i) = 1 for n G1 points (n·64 bytes) and n G2 points (n·128 bytes).
#[pyfunction]
fn pairing_check(py: Python<'_>, g1s: &[u8], g2s: &[u8]) -> PyResult<bool> {
    py.allow_threads(|| kernels::pairing_check(g1s, g2s))
}

/// Whether the kernels run in AVX-512 IFMA lanes (lanes.rs: the MSMs' bucket flushes and sums;
/// fft_lanes.rs: the h transforms and the witness products' scaling): with `on`, turn them on
/// (where the CPU has IFMA) or off for the MSMs and transforms that start after; returns the
/// state. ZKCLEAR_LANES=0 starts a process with them off.
#[pyfunction]
#[pyo3(signature = (on = None))]
fn lane_kernels(on: Option<bool>) -> bool {
    match on {
        Some(on) => lanes::set_enabled(on),
        None => lanes::enabled(),
    }
}

/// Σ s_i P_i in G1: n·64 bytes of points, n·32 bytes of scalars -> 64 bytes.
#[pyfunction]
fn g1_msm(py: Python<'_>, bases: &[u8], scalars: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| kernels::g1_msm(bases, scalars))?;
    Ok(bytes_out(py, out))
}

/// Σ s_i Q_i in G2: n·128 bytes of points, n·32 bytes of scalars -> 128 bytes.
#[pyfunction]
fn g2_msm(py: Python<'_>, bases: &[u8], scalars: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| kernels::g2_msm(bases, scalars))?;
    Ok(bytes_out(py, out))
}

/// NTT over Fr (n a power of two): evaluations at ω_n^i, or interpolation when inverse.
#[pyfunction]
#[pyo3(signature = (values, inverse = false))]
fn fr_ntt(py: Python<'_>, values: &[u8], inverse: bool) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| kernels::coset_ntt(values, ark_ff::One::one(), inverse))?;
    Ok(bytes_out(py, out))
}

/// Coset NTT: evaluations at shift·ω_n^i, or interpolation from them when inverse.
#[pyfunction]
#[pyo3(signature = (values, shift, inverse = false))]
fn fr_coset_ntt(py: Python<'_>, values: &[u8], shift: &[u8], inverse: bool) -> PyResult<Py<PyBytes>> {
    if shift.len() != 32 {
        return codec::err("shift must be 32 bytes");
    }
    let out = py.allow_threads(|| kernels::coset_ntt(values, codec::fr_std(shift)?, inverse))?;
    Ok(bytes_out(py, out))
}

/// The prover's h transform (fft.rs): evaluations on the n-point domain -> evaluations on its
/// odd coset ω_2n·ω_n^i (n a power of two, at least 2).
#[pyfunction]
fn fr_odd_coset(py: Python<'_>, values: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| fft::odd_coset(values))?;
    Ok(bytes_out(py, out))
}

/// Seconds of each of `repeat` h transforms (fft.rs) of 2^log_n values: the micro-benchmark.
#[pyfunction]
fn fr_odd_coset_bench(py: Python<'_>, log_n: u32, repeat: usize) -> PyResult<Vec<f64>> {
    py.allow_threads(|| fft::bench(log_n, repeat))
}

/// Store circomlib's Poseidon constants for width t (all Fr, 32-byte LE), in one of two forms:
///   poseidon_register(t, RF, RP, C, M): the plain constants (poseidon_constants.json: C has t
///     per round, M is the t×t MDS matrix row-major);
///   poseidon_register(t, RF, RP, C, S, M, P): circomlibjs's optimized form
///     (poseidon_constants_opt: C, the sparse matrices S, M and P row-major), the fast one.
#[pyfunction]
#[pyo3(signature = (t, n_rounds_f, n_rounds_p, c, *matrices))]
fn poseidon_register(t: usize, n_rounds_f: usize, n_rounds_p: usize, c: &[u8], matrices: Vec<Vec<u8>>) -> PyResult<()> {
    match matrices.as_slice() {
        [m] => poseidon::register_plain(t, n_rounds_f, n_rounds_p, c, m),
        [s, m, p] => poseidon::register(t, n_rounds_f, n_rounds_p, c, s, m, p),
        _ => codec::err("poseidon_register takes (t, RF, RP, C, M) or (t, RF, RP, C, S, M, P)"),
    }
}

/// Poseidon hash of t−1 inputs ((t−1)·32 bytes) -> 32 bytes.
#[pyfunction]
fn poseidon_hash(py: Python<'_>, t: usize, inputs: &[u8]) -> PyResult<Py<PyBytes>> {
    if inputs.len() != 32 * (t.max(1) - 1) {
        return codec::err(format!("poseidon width {t} takes {} inputs", t.max(1) - 1));
    }
    let out = poseidon::hash_many(t, inputs)?;
    Ok(bytes_out(py, out))
}

/// Poseidon hashes of k rows of t−1 inputs -> k·32 bytes, in parallel.
#[pyfunction]
fn poseidon_hash_many(py: Python<'_>, t: usize, inputs: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| poseidon::hash_many(t, inputs))?;
    Ok(bytes_out(py, out))
}

/// EdDSA-Poseidon (circomlibjs verifyPoseidon) on Baby Jubjub: msg (32 bytes), pub = Ax || Ay
/// (64), r8 = R8x || R8y (64), s (32), all LE standard form. False for any invalid signature
/// (values out of range, points off the curve, S >= l); ValueError only for wrong lengths.
#[pyfunction]
fn eddsa_poseidon_verify(py: Python<'_>, msg: &[u8], r#pub: &[u8], r8: &[u8], s: &[u8]) -> PyResult<bool> {
    py.allow_threads(|| eddsa::verify(msg, r#pub, r8, s))
}

/// Batched EdDSA-Poseidon: rows of msg || Ax || Ay || R8x || R8y || S (192 bytes) -> one
/// 0/1 byte per row, verified in parallel.
#[pyfunction]
fn eddsa_poseidon_verify_many(py: Python<'_>, rows: &[u8]) -> PyResult<Py<PyBytes>> {
    let out = py.allow_threads(|| eddsa::verify_many(rows))?;
    Ok(bytes_out(py, out))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(groth16_prove, m)?)?;
    m.add_function(wrap_pyfunction!(groth16_prove_file, m)?)?;
    m.add_function(wrap_pyfunction!(groth16_setup, m)?)?;
    m.add_function(wrap_pyfunction!(groth16_setup_file, m)?)?;
    m.add_function(wrap_pyfunction!(groth16_setup_ptau, m)?)?;
    m.add_function(wrap_pyfunction!(pairing_check, m)?)?;
    m.add_function(wrap_pyfunction!(g1_msm, m)?)?;
    m.add_function(wrap_pyfunction!(lane_kernels, m)?)?;
    m.add_function(wrap_pyfunction!(g2_msm, m)?)?;
    m.add_function(wrap_pyfunction!(fr_ntt, m)?)?;
    m.add_function(wrap_pyfunction!(fr_coset_ntt, m)?)?;
    m.add_function(wrap_pyfunction!(fr_odd_coset, m)?)?;
    m.add_function(wrap_pyfunction!(fr_odd_coset_bench, m)?)?;
    m.add_function(wrap_pyfunction!(poseidon_register, m)?)?;
    m.add_function(wrap_pyfunction!(poseidon_hash, m)?)?;
    m.add_function(wrap_pyfunction!(poseidon_hash_many, m)?)?;
    m.add_function(wrap_pyfunction!(eddsa_poseidon_verify, m)?)?;
    m.add_function(wrap_pyfunction!(eddsa_poseidon_verify_many, m)?)?;
    m.add_function(wrap_pyfunction!(inv::fq_inverse, m)?)?;
    m.add_class::<resident::ResidentProver>()?;
    m.add_class::<witness::WitnessProgram>()?;
    Ok(())
}
