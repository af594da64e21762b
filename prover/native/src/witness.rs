//! The DSL's witness program run natively (`circuits.dsl.native`).
//!
//! A `WitnessProgram` holds a compiled circuit's witness program as the DSL stores it
//! (`Circuit._prog` and its step LCs, see circuits/dsl/circuit.py), the coefficient table,
//! one native operation per hint function (or "call Python"), and the constraints no step
//! computes exactly (checked after solving). `solve` runs the steps in order over Fr:
//!
//!   MUL    [0, out, a, b]           w[out] = a * b
//!   LIN    [1, out, a]              w[out] = a
//!   HINT   [2, fn, n_in, ins.., n_out, outs.., single]
//!   MULADD [3, out, a, b, p]        w[out] = a * b + p
//!
//! an operand is a signal id (>= 0) or -(1 + j) for step LC j. Hints the DSL recognised run
//! here (field division, inverses, bit decompositions, halving); any other hint calls back
//! into Python with its inputs (the function itself runs, so its values and its exceptions
//! are the Python solver's). The checks then run in parallel, and the first failing
//! constraint (lowest index, as the Python solver reports it) is returned instead of values.
//!
//! Costs at mainnet (4.1M steps, 27.7M step-LC terms, 12.4M constraint LCs of which 1.0M
//! constraints are checked): the program is made from the circuit's arrays read in place
//! (`pybuf`), copying only the step LCs and the checked constraints; an LC skips its zero
//! terms, adds its ones and sums the other products three to a Montgomery reduction; the
//! inverses (division and inverse hints) use the binary GCD of `gcd_inverse`; the values are
//! encoded straight into the returned bytes. `ZKCLEAR_PROFILE=1` (or `cpu`) prints the
//! solve's phases on stderr as `ZKCLEAR_WITNESS_PROFILE {...}`.
use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

use crate::codec;
use crate::prove::Phases;
use crate::pybuf::Buffer;

const S_MUL: i64 = 0;
const S_LIN: i64 = 1;
const S_HINT: i64 = 2;
const S_MULADD: i64 = 3;

// native hint operations (circuits/dsl/native.py names them)
const H_PYTHON: i64 = 0; // call back into Python
const H_DIV: i64 = 1; // (n, d) -> n / d, 0 when d == 0
const H_INV: i64 = 2; // (v) -> 1 / v, 0 when v == 0
const H_INV_ENABLED: i64 = 3; // (v, e) -> 1 / v when v and e, else 0
const H_BITS: i64 = 4; // (v) -> the n low bits of v (n = the parameter = the step's outputs)
const H_HALVES: i64 = 5; // (v_1..v_k) -> v_i // 2 each

/// A flat array of little-endian integers (`array.array` bytes).
fn i64s(b: &[u8]) -> PyResult<Vec<i64>> {
    if b.len() % 8 != 0 {
        return codec::err("i64 array length is not a multiple of 8");
    }
    Ok(b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect())
}

fn u32s(b: &[u8]) -> PyResult<Vec<u32>> {
    if b.len() % 4 != 0 {
        return codec::err("i32 array length is not a multiple of 4");
    }
    Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect())
}

/// Linear combinations in flat arrays: LC j is terms ends[j]..ends[j+1].
struct Lcs {
    sig: Vec<u32>,
    coef: Vec<u32>,
    ends: Vec<u64>,
}

impl Lcs {
    fn new(sig: &[u8], coef: &[u8], ends: &[u8]) -> PyResult<Self> {
        let sig = u32s(sig)?;
        let coef = u32s(coef)?;
        let ends: Vec<u64> = i64s(ends)?.into_iter().map(|e| e as u64).collect();
        if sig.len() != coef.len() || ends.last().map_or(true, |&e| e as usize != sig.len()) {
            return codec::err("LC arrays disagree in length");
        }
        Ok(Lcs { sig, coef, ends })
    }
}

/// Items s..e of an array of 32-bit LE integers.
fn words(b: &[u8], s: usize, e: usize) -> impl Iterator<Item = u32> + '_ {
    b[4 * s..4 * e].chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap()))
}

/// The constraints no step computes (`defining[i] == 0`) as LCs 3k..3k+2 of their own, and
/// their indices; the others' terms are never read.
fn checked_constraints(sig: &[u8], coef: &[u8], ends: &[u8], defining: &[u8]) -> PyResult<(Lcs, Vec<u32>)> {
    let n_terms = sig.len() / 4;
    if sig.len() % 4 != 0 || coef.len() != sig.len() || ends.len() != 8 * (3 * defining.len() + 1) {
        return codec::err("constraint arrays and `defining` disagree");
    }
    let end = |j: usize| i64::from_le_bytes(ends[8 * j..8 * j + 8].try_into().unwrap());
    if end(3 * defining.len()) as usize != n_terms {
        return codec::err("LC arrays disagree in length");
    }
    let mut out = Lcs { sig: Vec::new(), coef: Vec::new(), ends: vec![0] };
    let mut index = Vec::new();
    for (i, _) in defining.iter().enumerate().filter(|(_, &d)| d == 0) {
        index.push(i as u32);
        for j in 3 * i..3 * i + 3 {
            let (s, e) = (end(j), end(j + 1));
            if s < 0 || s > e || e as usize > n_terms {
                return codec::err("LC ends are not increasing");
            }
            let (s, e) = (s as usize, e as usize);
            out.sig.extend(words(sig, s, e));
            out.coef.extend(words(coef, s, e));
            out.ends.push(out.sig.len() as u64);
        }
    }
    Ok((out, index))
}

#[pyclass(module = "prover._native", frozen)]
pub struct WitnessProgram {
    prog: Vec<i64>,
    lcs: Lcs,
    coefs: Vec<Fr>,
    coef_kind: Vec<u8>, // 1: the coefficient is 1, 2: it is -1, 0: other
    hint_ops: Vec<i64>, // (operation, parameter) per hint function
    n_signals: usize,
    checks: Lcs,          // 3 LCs (A, B, C) per checked constraint
    check_index: Vec<u32>, // the constraint's index in the circuit
}

/// An LC's value. Zero values are skipped and ones added without a product: most signals
/// of a batch witness are bits or zeros (disabled slots). The other products (value times
/// coefficient) are summed three at a time with one Montgomery reduction for the three
/// (`Fr::sum_of_products`: Fr's two spare bits let three unreduced products add up).
#[inline]
fn eval(w: &[Fr], sig: &[u32], coef: &[u32], coefs: &[Fr], kind: &[u8]) -> Fr {
    let mut acc = Fr::zero();
    let (mut xs, mut cs, mut k) = ([Fr::zero(); 3], [Fr::zero(); 3], 0usize);
    for (&s, &c) in sig.iter().zip(coef) {
        let v = &w[s as usize];
        if v.is_zero() {
            continue;
        }
        match kind[c as usize] {
            1 => acc += v,
            2 => acc -= v,
            _ if v.is_one() => acc += coefs[c as usize],
            _ => {
                xs[k] = *v;
                cs[k] = coefs[c as usize];
                k += 1;
                if k == 3 {
                    acc += Fr::sum_of_products(&xs, &cs);
                    k = 0;
                }
            }
        }
    }
    match k {
        1 => acc + xs[0] * cs[0],
        2 => acc + Fr::sum_of_products(&[xs[0], xs[1]], &[cs[0], cs[1]]),
        _ => acc,
    }
}

fn bit(v: &Fr, i: usize) -> Fr {
    if i >= 256 {
        return Fr::zero();
    }
    let b = v.into_bigint();
    if (b.0[i / 64] >> (i % 64)) & 1 == 1 {
        Fr::one()
    } else {
        Fr::zero()
    }
}

fn inverse_or_zero(v: &Fr) -> Fr {
    crate::gcd_inverse::inverse_fr(v).unwrap_or_else(Fr::zero)
}

/// Where a step that runs a Python hint gets Python.
type PyHint<'a, 'py> = (Python<'py>, &'a Bound<'py, PyAny>);

impl WitnessProgram {
    #[inline]
    fn operand(&self, w: &[Fr], r: i64) -> Fr {
        if r >= 0 {
            return w[r as usize];
        }
        let j = (-1 - r) as usize;
        let (s, e) = (self.lcs.ends[j] as usize, self.lcs.ends[j + 1] as usize);
        eval(w, &self.lcs.sig[s..e], &self.lcs.coef[s..e], &self.coefs, &self.coef_kind)
    }

    /// Every step in order, on one thread.
    fn run(&self, w: &mut [Fr], pyhint: PyHint<'_, '_>) -> PyResult<()> {
        let (n, mut pc) = (self.prog.len(), 0usize);
        let mut args: Vec<Fr> = Vec::new();
        while pc < n {
            pc = self.step(pc, w, pyhint, &mut args)?;
        }
        Ok(())
    }

    /// The step at pc (its values written to w); returns the next step's pc.
    #[inline]
    fn step(&self, pc: usize, w: &mut [Fr], pyhint: PyHint<'_, '_>, args: &mut Vec<Fr>) -> PyResult<usize> {
        let prog = &self.prog;
        Ok(match prog[pc] {
            S_MUL => {
                let a = self.operand(w, prog[pc + 2]);
                let v = if a.is_zero() { a } else { a * self.operand(w, prog[pc + 3]) };
                w[prog[pc + 1] as usize] = v;
                pc + 4
            }
            S_LIN => {
                let v = self.operand(w, prog[pc + 2]);
                w[prog[pc + 1] as usize] = v;
                pc + 3
            }
            S_MULADD => {
                let a = self.operand(w, prog[pc + 2]);
                let p = self.operand(w, prog[pc + 4]);
                let v = if a.is_zero() { p } else { a * self.operand(w, prog[pc + 3]) + p };
                w[prog[pc + 1] as usize] = v;
                pc + 5
            }
            S_HINT => {
                let ix = prog[pc + 1] as usize;
                let n_in = prog[pc + 2] as usize;
                let q = pc + 3 + n_in;
                let n_out = prog[q] as usize;
                let outs = &prog[q + 1..q + 1 + n_out];
                let single = prog[q + 1 + n_out] != 0;
                args.clear();
                for &r in &prog[pc + 3..q] {
                    args.push(self.operand(w, r));
                }
                match self.native_hint(ix, n_in, n_out, single) {
                    H_DIV => w[outs[0] as usize] = args[0] * inverse_or_zero(&args[1]),
                    H_INV => w[outs[0] as usize] = inverse_or_zero(&args[0]),
                    H_INV_ENABLED => {
                        w[outs[0] as usize] = if args[1].is_zero() { Fr::zero() } else { inverse_or_zero(&args[0]) }
                    }
                    H_BITS => {
                        for (i, &o) in outs.iter().enumerate() {
                            w[o as usize] = bit(&args[0], i);
                        }
                    }
                    H_HALVES => {
                        for (a, &o) in args.iter().zip(outs) {
                            let mut b = a.into_bigint();
                            b.div2();
                            w[o as usize] = Fr::from_bigint(b).unwrap();
                        }
                    }
                    _ => {
                        let (py, pyhint) = pyhint;
                        let res = pyhint.call1((ix, single, n_out, PyBytes::new(py, &codec::fr_bytes(args))))?;
                        let res = res.downcast::<PyBytes>()?.as_bytes();
                        if res.len() != 32 * n_out {
                            return codec::err("a hint returned the wrong number of values");
                        }
                        for (chunk, &o) in res.chunks_exact(32).zip(outs) {
                            w[o as usize] = codec::fr_std(chunk)?;
                        }
                    }
                }
                q + 2 + n_out
            }
            k => return codec::err(format!("witness program: unknown step kind {k} at {pc}")),
        })
    }

    /// The native operation that runs hint function ix on a step of this shape, or H_PYTHON.
    #[inline]
    fn native_hint(&self, ix: usize, n_in: usize, n_out: usize, single: bool) -> i64 {
        let op = self.hint_ops.get(2 * ix).copied().unwrap_or(H_PYTHON);
        let param = self.hint_ops.get(2 * ix + 1).copied().unwrap_or(0);
        match op {
            H_DIV | H_INV_ENABLED if n_in == 2 && n_out == 1 => op,
            H_INV if n_in == 1 && n_out == 1 => op,
            H_BITS if n_in == 1 && !single && param == n_out as i64 => op,
            H_HALVES if n_in == n_out && !single => op,
            _ => H_PYTHON,
        }
    }

    /// The lowest index of a checked constraint the values violate.
    fn first_failure(&self, w: &[Fr]) -> Option<u32> {
        let ch = &self.checks;
        let lc = |j: usize| {
            let (s, e) = (ch.ends[j] as usize, ch.ends[j + 1] as usize);
            eval(w, &ch.sig[s..e], &ch.coef[s..e], &self.coefs, &self.coef_kind)
        };
        (0..self.check_index.len())
            .into_par_iter()
            .with_min_len(4096)
            .filter(|&k| {
                let a = lc(3 * k);
                let ab = if a.is_zero() { a } else { a * lc(3 * k + 1) };
                ab != lc(3 * k + 2)
            })
            .map(|k| self.check_index[k])
            .min()
    }
}

#[pymethods]
impl WitnessProgram {
    /// prog: the steps (i64 LE); lc_*: the step LCs (signal ids i32, coefficient ids i32,
    /// ends i64); coefs: the coefficient table (32-byte LE, standard form); hint_ops: per
    /// hint function its native operation and a parameter (i64 pairs); cons_*: every constraint's A, B, C as LCs
    /// 3i..3i+2 and `defining` (one byte per constraint: 1 when a step computes it exactly,
    /// so it is not checked). Each array is any contiguous buffer (`bytes`, `array.array`,
    /// `bytearray`), read in place (`pybuf`): only the step LCs and the checked constraints
    /// are copied, the unchecked ones (three in four of a batch circuit) never are.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        prog: &Bound<'_, PyAny>, lc_sig: &Bound<'_, PyAny>, lc_coef: &Bound<'_, PyAny>, lc_ends: &Bound<'_, PyAny>,
        coefs: &[u8], hint_ops: &[u8], n_signals: usize, cons_sig: &Bound<'_, PyAny>,
        cons_coef: &Bound<'_, PyAny>, cons_ends: &Bound<'_, PyAny>, defining: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let coefs = codec::scalars_std(coefs)?;
        let minus_one = -Fr::one();
        let coef_kind = coefs.iter().map(|c| if c.is_one() { 1 } else if *c == minus_one { 2 } else { 0 }).collect();
        let bufs = [prog, lc_sig, lc_coef, lc_ends, cons_sig, cons_coef, cons_ends, defining].map(Buffer::get);
        let [prog, lc_sig, lc_coef, lc_ends, cons_sig, cons_coef, cons_ends, defining] = match bufs {
            [Ok(a), Ok(b), Ok(c), Ok(d), Ok(e), Ok(f), Ok(g), Ok(h)] => [a, b, c, d, e, f, g, h],
            bufs => return Err(bufs.into_iter().find_map(Result::err).unwrap()),
        };
        // the checked constraints picked out on one core while the steps are copied on another
        let (cs, cc, ce, d) = (cons_sig.bytes(), cons_coef.bytes(), cons_ends.bytes(), defining.bytes());
        let (ls, lc, le, p) = (lc_sig.bytes(), lc_coef.bytes(), lc_ends.bytes(), prog.bytes());
        let (checked, steps) = rayon::join(
            || checked_constraints(cs, cc, ce, d),
            || Ok::<_, PyErr>((Lcs::new(ls, lc, le)?, i64s(p)?)),
        );
        let ((checks, check_index), (lcs, prog)) = (checked?, steps?);
        let n_coefs = coefs.len() as u32;
        let max_sig = lcs.sig.iter().chain(&checks.sig).copied().max().unwrap_or(0);
        let max_coef = lcs.coef.iter().chain(&checks.coef).copied().max();
        if max_sig as usize >= n_signals || max_coef.is_some_and(|c| c >= n_coefs) {
            return codec::err("an LC names a signal or coefficient out of range");
        }
        let me = WitnessProgram {
            prog, lcs, coefs, coef_kind, hint_ops: i64s(hint_ops)?, n_signals, checks, check_index,
        };
        me.validate()?;
        Ok(me)
    }

    /// Solve from the inputs (signal ids i64, values 32-byte LE) with `pyhint(fn index,
    /// single, n_out, input bytes) -> output bytes` for the hints not run here. Returns
    /// (failed, values): failed is -1 when every checked constraint holds (or `check` is
    /// false), else the lowest failing constraint's index; values are 32-byte LE standard
    /// form, in the order of `order` (i32 signal ids, e.g. the wires) when given and nothing
    /// failed, else every signal by id.
    #[pyo3(signature = (input_sids, input_vals, pyhint, order = None, check = true))]
    fn solve(
        &self, py: Python<'_>, input_sids: &[u8], input_vals: &[u8], pyhint: &Bound<'_, PyAny>,
        order: Option<&[u8]>, check: bool,
    ) -> PyResult<(i64, Py<PyBytes>)> {
        let mut phases = Phases::new();
        let mut w = vec![Fr::zero(); self.n_signals];
        w[0] = Fr::one();
        let sids = i64s(input_sids)?;
        if input_vals.len() != 32 * sids.len() {
            return codec::err("input values and signal ids disagree");
        }
        for (&s, v) in sids.iter().zip(input_vals.chunks_exact(32)) {
            if s <= 0 || s as usize >= self.n_signals {
                return codec::err("input signal id out of range");
            }
            w[s as usize] = codec::fr_std(v)?;
        }
        phases.mark("inputs");
        self.run(&mut w, (py, pyhint))?;
        phases.mark("steps");
        let order = match order {
            Some(o) => {
                let o = u32s(o)?;
                if o.iter().any(|&s| s as usize >= self.n_signals) {
                    return codec::err("order names a signal out of range");
                }
                Some(o)
            }
            None => None,
        };
        let failed = py.allow_threads(|| if check { self.first_failure(&w) } else { None });
        phases.mark("checks");
        // the values written straight into the bytes object, in parallel (no copies between)
        let encode = |out: &mut [u8]| match (&order, failed) {
            (Some(o), None) => fr_bytes_into(out, o.len(), |i| &w[o[i] as usize]),
            _ => fr_bytes_into(out, w.len(), |i| &w[i]),
        };
        let n_out = if let (Some(o), None) = (&order, failed) { o.len() } else { w.len() };
        let out = PyBytes::new_with(py, 32 * n_out, |b| {
            encode(b);
            Ok(())
        })?
        .unbind();
        let failed = failed.map_or(-1, |i| i as i64);
        phases.mark("encode");
        if std::env::var_os("ZKCLEAR_PROFILE").is_some() {
            let body: Vec<String> = phases.0.iter().map(|(k, v)| format!("\"{k}\": {v:.6}")).collect();
            eprintln!("ZKCLEAR_WITNESS_PROFILE {{{}}}", body.join(", "));
        }
        Ok((failed, out))
    }

    #[getter]
    fn n_signals(&self) -> usize {
        self.n_signals
    }

    #[getter]
    fn n_checks(&self) -> usize {
        self.check_index.len()
    }
}

impl WitnessProgram {
    /// Every step well formed: signal ids and LC indices in range (so `run` cannot panic).
    fn validate(&self) -> PyResult<()> {
        let (prog, n) = (&self.prog, self.prog.len());
        let n_lcs = self.lcs.ends.len() as i64 - 1;
        let sig_ok = |s: i64| s >= 0 && (s as usize) < self.n_signals;
        let ref_ok = |r: i64| if r >= 0 { sig_ok(r) } else { -1 - r < n_lcs };
        let mut pc = 0usize;
        let bad = || codec::err("witness program is malformed");
        while pc < n {
            let need = match prog[pc] {
                S_MUL => 4,
                S_LIN => 3,
                S_MULADD => 5,
                S_HINT => {
                    if pc + 3 > n || prog[pc + 2] < 0 {
                        return bad();
                    }
                    let q = pc + 3 + prog[pc + 2] as usize;
                    if q >= n || prog[q] < 0 || q + 2 + prog[q] as usize > n {
                        return bad();
                    }
                    if !prog[pc + 3..q].iter().all(|&r| ref_ok(r))
                        || !prog[q + 1..q + 1 + prog[q] as usize].iter().all(|&s| sig_ok(s))
                        || prog[pc + 1] < 0
                    {
                        return bad();
                    }
                    pc = q + 2 + prog[q] as usize;
                    continue;
                }
                _ => return bad(),
            };
            if pc + need > n || !sig_ok(prog[pc + 1]) || !prog[pc + 2..pc + need].iter().all(|&r| ref_ok(r)) {
                return bad();
            }
            pc += need;
        }
        Ok(())
    }
}

/// n values, value i = at(i), as 32-byte LE words into out (32·n bytes), in parallel.
fn fr_bytes_into<'a>(out: &mut [u8], n: usize, at: impl Fn(usize) -> &'a Fr + Sync) {
    const CHUNK: usize = 4096;
    out[..32 * n].par_chunks_mut(32 * CHUNK).enumerate().for_each(|(k, o)| {
        for (j, c) in o.chunks_exact_mut(32).enumerate() {
            c.copy_from_slice(&at(k * CHUNK + j).into_bigint().to_bytes_le());
        }
    });
}
