//! Inversion in a 254-bit prime field (BN254's Fr or Fq) by Pornin's optimized binary GCD
//! (inv.rs's comment gives the derivation), generic over the field's Montgomery parameters:
//! inv.rs's Fq inverse (the MSMs' batch inversion) calls it too. The witness solver inverts Fr elements for the DSL's division and
//! inverse hints (hundreds of thousands in a mainnet batch), where ark-ff's bit-by-bit
//! binary Euclid was a fifth of the solve. 17 rounds of 31 steps suffice for any modulus
//! below 2^254 (Pornin's bound: 2·254 − 1 steps); should the GCD not end at 1 (it cannot
//! for x != 0), `inverse_fr` falls back to ark-ff's.
use ark_bn254::Fr;
use ark_ff::{BigInt, Field, Fp256, MontBackend, MontConfig, Zero};

const ROUNDS: usize = 17;

/// 1/x in Fr (None for 0), equal to ark-ff's `x.inverse()`.
pub fn inverse_fr(x: &Fr) -> Option<Fr> {
    static FIX: std::sync::OnceLock<Fr> = std::sync::OnceLock::new();
    binary_gcd_inverse(x, FIX.get_or_init(fix)).or_else(|| x.inverse())
}

/// The constant the GCD's result is multiplied by (inv.rs): 2^(561 + 512), in the field.
pub(crate) fn fix<F: Field + From<u64>>() -> F {
    F::from(2u64).pow([1073])
}

fn bit_len(x: &[u64; 4]) -> u32 {
    for i in (0..4).rev() {
        if x[i] != 0 {
            return 64 * i as u32 + 64 - x[i].leading_zeros();
        }
    }
    0
}

/// x's low 31 bits, and above them its bits [n − 33, n) (n >= 64, x < 2^n).
fn approx(x: &[u64; 4], n: u32) -> u64 {
    let s = n - 33;
    let (limb, off) = ((s / 64) as usize, s % 64);
    let mut top = x[limb] >> off;
    if off > 31 && limb + 1 < 4 {
        top |= x[limb + 1] << (64 - off);
    }
    (x[0] & 0x7FFF_FFFF) | ((top & 0x1_FFFF_FFFF) << 31)
}

/// (a·f + b·g) / 2^31 (exact by construction) as (|value|, negative?).
fn lin_shift(a: &[u64; 4], b: &[u64; 4], f: i64, g: i64) -> ([u64; 4], bool) {
    let mut t = [0u64; 5];
    let mut carry: i128 = 0;
    for i in 0..4 {
        let v = a[i] as i128 * f as i128 + b[i] as i128 * g as i128 + carry;
        t[i] = v as u64;
        carry = v >> 64;
    }
    t[4] = carry as u64;
    let mut w = [0u64; 4];
    for i in 0..4 {
        w[i] = (t[i] >> 31) | (t[i + 1] << 33);
    }
    if (carry as i64) < 0 {
        // two's complement of the low 256 bits (|value| < 2^256)
        let mut c = 1u128;
        for x in w.iter_mut() {
            let v = (!*x) as u128 + c;
            *x = v as u64;
            c = v >> 64;
        }
        (w, true)
    } else {
        (w, false)
    }
}

/// x·k for x < 2^256, k < 2^32 (5 limbs).
fn mul_small(x: &[u64; 4], k: u64, acc: &mut [u64; 6]) {
    let mut carry = 0u128;
    for i in 0..4 {
        let v = x[i] as u128 * k as u128 + acc[i] as u128 + carry;
        acc[i] = v as u64;
        carry = v >> 64;
    }
    for a in acc.iter_mut().skip(4) {
        let v = *a as u128 + carry;
        *a = v as u64;
        carry = v >> 64;
    }
}

/// q − x for 0 < x < q, and 0 for 0.
fn neg_mod(x: &[u64; 4], m: &[u64; 4]) -> [u64; 4] {
    if x.iter().all(|&l| l == 0) {
        return *x;
    }
    let mut r = [0u64; 4];
    let mut borrow = 0u64;
    for i in 0..4 {
        let (d, b1) = m[i].overflowing_sub(x[i]);
        let (d, b2) = d.overflowing_sub(borrow);
        r[i] = d;
        borrow = (b1 | b2) as u64;
    }
    r
}

fn geq_m(x: &[u64; 4], m: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if x[i] != m[i] {
            return x[i] > m[i];
        }
    }
    true
}

/// (u·f + v·g)·2^(−64) mod m, for u, v < m and |f|, |g| <= 2^31 (m_inv = −m⁻¹ mod 2^64).
#[inline]
fn lin_mod(u: &[u64; 4], v: &[u64; 4], f: i64, g: i64, m: &[u64; 4], m_inv: u64) -> [u64; 4] {
    let (u, v) = (if f < 0 { neg_mod(u, m) } else { *u }, if g < 0 { neg_mod(v, m) } else { *v });
    let mut t = [0u64; 6];
    mul_small(&u, f.unsigned_abs(), &mut t);
    mul_small(&v, g.unsigned_abs(), &mut t);
    // t < 2^33·q: add k·q with k = −t·q⁻¹ mod 2^64 and drop the zero low limb: < 2q
    let k = t[0].wrapping_mul(m_inv);
    let mut carry = 0u128;
    for i in 0..4 {
        let s = t[i] as u128 + k as u128 * m[i] as u128 + carry;
        t[i] = s as u64;
        carry = s >> 64;
    }
    for x in t.iter_mut().skip(4) {
        let s = *x as u128 + carry;
        *x = s as u64;
        carry = s >> 64;
    }
    let mut r = [t[1], t[2], t[3], t[4]];
    debug_assert!(t[5] == 0);
    if geq_m(&r, m) {
        let mut borrow = 0u64;
        for i in 0..4 {
            let (d, b1) = r[i].overflowing_sub(m[i]);
            let (d, b2) = d.overflowing_sub(borrow);
            r[i] = d;
            borrow = (b1 | b2) as u64;
        }
    }
    r
}

/// 1/x by the binary GCD; None for 0 (and, were the round bound wrong, for a GCD left unfinished).
/// (`fix`: `fix()` in the same field)
pub fn binary_gcd_inverse<P: MontConfig<4>>(
    x: &Fp256<MontBackend<P, 4>>, fix: &Fp256<MontBackend<P, 4>>,
) -> Option<Fp256<MontBackend<P, 4>>> {
    if x.is_zero() {
        return None;
    }
    // the GCD inverts x's Montgomery representation y = x·R: v = y⁻¹·2^(31·17) and the stored
    // v carries 2^(−64·17); x⁻¹'s representation is y⁻¹·R², so multiply (Montgomery: ·R⁻¹) by
    // the element whose representation is 2^(64·17 − 31·17)·R³, i.e. of value 2^(561 + 512)
    let (m, m_inv) = (P::MODULUS.0, P::INV);
    let (mut a, mut b) = (x.0 .0, m);
    let (mut u, mut v) = ([1u64, 0, 0, 0], [0u64; 4]);
    for _ in 0..ROUNDS {
        let n = bit_len(&a).max(bit_len(&b)).max(64);
        let (mut xa, mut xb) = (approx(&a, n), approx(&b, n));
        let (mut f0, mut g0, mut f1, mut g1) = (1i64, 0i64, 0i64, 1i64);
        for _ in 0..31 {
            if xa & 1 == 1 {
                if xa < xb {
                    std::mem::swap(&mut xa, &mut xb);
                    std::mem::swap(&mut f0, &mut f1);
                    std::mem::swap(&mut g0, &mut g1);
                }
                xa -= xb;
                f0 -= f1;
                g0 -= g1;
            }
            xa >>= 1;
            f1 <<= 1;
            g1 <<= 1;
        }
        let (na, neg_a) = lin_shift(&a, &b, f0, g0);
        let (nb, neg_b) = lin_shift(&a, &b, f1, g1);
        let (f0, g0) = if neg_a { (-f0, -g0) } else { (f0, g0) };
        let (f1, g1) = if neg_b { (-f1, -g1) } else { (f1, g1) };
        (a, b) = (na, nb);
        (u, v) = (lin_mod(&u, &v, f0, g0, &m, m_inv), lin_mod(&u, &v, f1, g1, &m, m_inv));
    }
    if b != [1, 0, 0, 0] {
        return None;
    }
    Some(Fp256::<MontBackend<P, 4>>::new_unchecked(BigInt(v)) * *fix)
}


#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fq;
    use ark_ff::{One, UniformRand};

    fn edge<F: Field + From<u64>>() -> Vec<F> {
        let mut xs = vec![F::one(), -F::one(), F::from(2u64), F::from(3u64), -F::from(2u64)];
        xs.extend((0..64).map(|k| F::from(2u64).pow([k * 4])));
        xs.extend((0..64).map(|k| -F::from(2u64).pow([k * 4])));
        xs
    }

    #[test]
    fn matches_ark_inverse_in_fr_and_fq() {
        let mut rng = ark_std::test_rng();
        let mut xs: Vec<Fr> = (0..20000).map(|_| Fr::rand(&mut rng)).collect();
        xs.extend(edge::<Fr>());
        for x in xs {
            assert_eq!(inverse_fr(&x), x.inverse(), "{x}");
        }
        let mut ys: Vec<Fq> = (0..5000).map(|_| Fq::rand(&mut rng)).collect();
        ys.extend(edge::<Fq>());
        for y in ys {
            assert_eq!(binary_gcd_inverse(&y, &fix()), y.inverse(), "{y}");
        }
        assert_eq!(inverse_fr(&Fr::zero()), None);
        assert_eq!(inverse_fr(&Fr::one()), Some(Fr::one()));
    }
}
