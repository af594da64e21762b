//! Baby Jubjub (a·x² + y² = 1 + d·x²·y² over BN254's Fr, a = 168700, d = 168696: EIP-2494,
//! circomlib's constants and Base8) and EdDSA-Poseidon verification with exactly the semantics
//! of circuits/crypto/eddsa.py `verify_poseidon_python` (circomlibjs verifyPoseidon):
//!
//!   valid  <=>  msg < r, R8 and A on the curve (coordinates < r), S < l,
//!               and  S·Base8 == R8 + (8·H)·A  with H = Poseidon(R8.x, R8.y, A.x, A.y, msg).
//!
//! No subgroup check on R8 or A (as circomlibjs); 8·H multiplies A by the integer, so points
//! outside the prime-order subgroup are handled exactly as the Python reference handles them.
//!
//! Arithmetic: the isomorphic model -u² + y² = 1 + d'·u²·y² (u = x·√(−a), d' = −d/a; −a is a
//! square in Fr, d' is not, as d is not), in extended coordinates (X : Y : T : Z) with the
//! a = −1 formulas of Hisil–Wong–Carter–Dawson (add-2008-hwcd-3, dbl-2008-hwcd), complete
//! here as the reference's unified formula is, so no input needs a special case; tests check
//! against babyjub.py on points of every order. S·Base8 uses a precomputed comb of 4-bit
//! windows (63 mixed additions); (8·H)·A a signed radix-16 window.
use crate::codec::{err, limbs};
use crate::poseidon::{self, Params};
use ark_bn254::Fr;
use ark_ff::{BigInt, Field, One, PrimeField, Zero};
use pyo3::PyResult;
use rayon::prelude::*;
use std::str::FromStr;
use std::sync::OnceLock;

/// A row of `eddsa_poseidon_verify_many`: msg || Ax || Ay || R8x || R8y || S.
pub const ROW: usize = 192;
const WINDOWS: usize = 63; // 4-bit windows covering S < l < 2^251

#[derive(Clone, Copy)]
struct Ext {
    x: Fr,
    y: Fr,
    t: Fr,
    z: Fr,
}

/// An affine point ready to add: (y − u, y + u, 2d'·u·y).
#[derive(Clone, Copy)]
struct Niels {
    ymx: Fr,
    ypx: Fr,
    kt: Fr,
}

/// A projective point ready to add: (Y − X, Y + X, 2d'·T, 2Z).
#[derive(Clone, Copy)]
struct Cached {
    ymx: Fr,
    ypx: Fr,
    kt: Fr,
    z2: Fr,
}

struct Curve {
    a: Fr,
    d: Fr,
    /// √(−a): u = x·sqrt_minus_a
    sqrt_minus_a: Fr,
    /// 2d' = −2d/a
    k: Fr,
    suborder: BigInt<4>,
    /// comb[i][j] = (j + 1) · 16^i · Base8
    comb: Vec<[Niels; 15]>,
}

fn fr(s: &str) -> Fr {
    Fr::from_str(s).unwrap_or_else(|_| panic!("bad constant {s}"))
}

fn curve() -> &'static Curve {
    static CURVE: OnceLock<Curve> = OnceLock::new();
    CURVE.get_or_init(|| {
        let a = Fr::from(168700u64);
        let d = Fr::from(168696u64);
        let sqrt_minus_a = (-a).sqrt().expect("-a is a square in Fr");
        let k = -(d + d) * a.inverse().unwrap();
        let suborder = fr("2736030358979909402780800718157159386076813972158567259200215660948447373041").into_bigint();
        let mut c = Curve { a, d, sqrt_minus_a, k, suborder, comb: Vec::with_capacity(WINDOWS) };
        let base8 = Ext::from_xy(
            fr("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
            fr("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
            &c,
        );
        let mut base = base8; // 16^i · Base8
        for _ in 0..WINDOWS {
            let zero = Niels { ymx: Fr::zero(), ypx: Fr::zero(), kt: Fr::zero() };
            let mut row = [zero; 15];
            let cached = base.cached(&c);
            let mut acc = base;
            for (j, entry) in row.iter_mut().enumerate() {
                if j > 0 {
                    acc = acc.add(&cached);
                }
                let zi = acc.z.inverse().expect("complete formulas never give Z = 0");
                let (u, y) = (acc.x * zi, acc.y * zi);
                *entry = Niels { ymx: y - u, ypx: y + u, kt: c.k * u * y };
            }
            base = acc.add(&cached); // 16 · (16^i · Base8)
            c.comb.push(row);
        }
        c
    })
}

impl Ext {
    fn identity() -> Self {
        Ext { x: Fr::zero(), y: Fr::one(), t: Fr::zero(), z: Fr::one() }
    }

    /// The point (x, y) of a·x² + y² = 1 + d·x²·y², in the a = −1 model.
    fn from_xy(x: Fr, y: Fr, c: &Curve) -> Self {
        let u = x * c.sqrt_minus_a;
        Ext { x: u, y, t: u * y, z: Fr::one() }
    }

    fn cached(&self, c: &Curve) -> Cached {
        Cached { ymx: self.y - self.x, ypx: self.y + self.x, kt: c.k * self.t, z2: self.z + self.z }
    }

    fn niels(&self, c: &Curve) -> Niels {
        // only for Z = 1
        Niels { ymx: self.y - self.x, ypx: self.y + self.x, kt: c.k * self.t }
    }

    /// add-2008-hwcd-3 (8M).
    fn add(&self, q: &Cached) -> Ext {
        let a = (self.y - self.x) * q.ymx;
        let b = (self.y + self.x) * q.ypx;
        let cc = self.t * q.kt;
        let d = self.z * q.z2;
        let (e, f, g, h) = (b - a, d - cc, d + cc, b + a);
        Ext { x: e * f, y: g * h, t: e * h, z: f * g }
    }

    /// madd-2008-hwcd-3: q affine (7M).
    fn add_niels(&self, q: &Niels) -> Ext {
        let a = (self.y - self.x) * q.ymx;
        let b = (self.y + self.x) * q.ypx;
        let cc = self.t * q.kt;
        let d = self.z + self.z;
        let (e, f, g, h) = (b - a, d - cc, d + cc, b + a);
        Ext { x: e * f, y: g * h, t: e * h, z: f * g }
    }

    /// dbl-2008-hwcd with a = −1 (4S + 4M; 4S + 3M without T, which doubling does not read:
    /// `with_t` false leaves T stale, for a doubling followed by another doubling).
    fn double(&self, with_t: bool) -> Ext {
        let a = self.x.square();
        let b = self.y.square();
        let z2 = self.z.square();
        let cc = z2 + z2;
        let e = (self.x + self.y).square() - a - b;
        let g = b - a;
        let f = g - cc;
        let h = -a - b;
        let t = if with_t { e * h } else { Fr::zero() };
        Ext { x: e * f, y: g * h, t, z: f * g }
    }

    fn eq(&self, q: &Ext) -> bool {
        self.x * q.z == q.x * self.z && self.y * q.z == q.y * self.z
    }
}

impl Cached {
    fn neg(&self) -> Cached {
        Cached { ymx: self.ypx, ypx: self.ymx, kt: -self.kt, z2: self.z2 }
    }
}

fn nibble(k: &BigInt<4>, i: usize) -> u8 {
    ((k.0[i / 16] >> (4 * (i % 16))) & 15) as u8
}

/// k · Base8 for k < 2^252 (the comb: one mixed addition per non-zero nibble).
fn mul_base8(k: &BigInt<4>, c: &Curve) -> Ext {
    let mut acc = Ext::identity();
    for (i, row) in c.comb.iter().enumerate() {
        let n = nibble(k, i) as usize;
        if n != 0 {
            acc = acc.add_niels(&row[n - 1]);
        }
    }
    acc
}

/// k · p for any 256-bit k, by signed radix-16 digits in [-8, 8).
fn mul(p: &Ext, k: &BigInt<4>, c: &Curve) -> Ext {
    let mut digits = [0i8; 65];
    let mut carry = 0i8;
    for (i, digit) in digits.iter_mut().enumerate().take(64) {
        let v = nibble(k, i) as i8 + carry;
        carry = (v + 8) >> 4;
        *digit = v - (carry << 4);
    }
    digits[64] = carry;
    let p1 = p.cached(c);
    let mut table = [p1; 8]; // table[j] = (j + 1) · p
    let mut multiple = p.double(true);
    table[1] = multiple.cached(c);
    for entry in table.iter_mut().skip(2) {
        multiple = multiple.add(&p1);
        *entry = multiple.cached(c);
    }
    let mut acc = Ext::identity();
    let mut started = false;
    for &dg in digits.iter().rev() {
        if started {
            for i in 0..4 {
                acc = acc.double(i == 3);
            }
        }
        if dg != 0 {
            let q = table[(dg.unsigned_abs() - 1) as usize];
            acc = acc.add(&if dg < 0 { q.neg() } else { q });
            started = true;
        }
    }
    acc
}

fn coord(bytes: &[u8]) -> Option<Fr> {
    Fr::from_bigint(limbs(bytes))
}

fn on_curve(x: Fr, y: Fr, c: &Curve) -> bool {
    let (x2, y2) = (x.square(), y.square());
    c.a * x2 + y2 == Fr::one() + c.d * x2 * y2
}

/// One signature: msg (32) || Ax || Ay || R8x || R8y (32 each) || S (32), all LE standard form.
fn verify_row(p: &Params, c: &Curve, row: &[u8]) -> bool {
    let f: Vec<Option<Fr>> = row[..160].chunks_exact(32).map(coord).collect();
    let (Some(msg), Some(ax), Some(ay), Some(rx), Some(ry)) = (f[0], f[1], f[2], f[3], f[4]) else {
        return false;
    };
    let s = limbs(&row[160..192]);
    if s >= c.suborder || !on_curve(ax, ay, c) || !on_curve(rx, ry, c) {
        return false;
    }
    let hm = poseidon::hash_one(p, &[rx, ry, ax, ay, msg]);
    let left = mul_base8(&s, c);
    let mut right = mul(&Ext::from_xy(ax, ay, c), &hm.into_bigint(), c);
    for i in 0..3 {
        right = right.double(i == 2); // (8·H)·A, the integer 8·H as in the reference
    }
    let right = right.add_niels(&Ext::from_xy(rx, ry, c).niels(c));
    left.eq(&right)
}

pub fn verify(msg: &[u8], public: &[u8], r8: &[u8], s: &[u8]) -> PyResult<bool> {
    if msg.len() != 32 || public.len() != 64 || r8.len() != 64 || s.len() != 32 {
        return err("eddsa_poseidon_verify takes msg (32 bytes), pub (64), r8 (64), s (32)");
    }
    let p = poseidon::params(6)?;
    let mut row = Vec::with_capacity(ROW);
    for part in [msg, public, r8, s] {
        row.extend_from_slice(part);
    }
    Ok(verify_row(&p, curve(), &row))
}

/// One 0/1 byte per 192-byte row, in parallel.
pub fn verify_many(rows: &[u8]) -> PyResult<Vec<u8>> {
    if rows.len() % ROW != 0 {
        return err(format!("eddsa rows: length {} is not a multiple of {ROW}", rows.len()));
    }
    let p = poseidon::params(6)?;
    let c = curve();
    Ok(rows.par_chunks_exact(ROW).with_min_len(8).map(|row| verify_row(&p, c, row) as u8).collect())
}
