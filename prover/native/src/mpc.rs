//! snarkjs's phase-2 transcript (zkey section 10): the circuit hash of the initial key and one
//! contribution record, byte for byte prover/groth16/mpc.py (which documents the layout, the
//! hashHPoints chunking and ffjavascript's ChaCha / hashToG2).
use crate::codec::put_g1_lem;
use crate::codec::put_g2_lem;
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

const HASH_CHUNK: usize = 1 << 14;
const NAME: &[u8] = b"zkclear";
const G2_COFACTOR: [u64; 4] = [0x345f2299c0f9fa8d, 0x06ceecda572a2489, 0xb85045b68181585e, 0x30644e72e131a029];

pub fn h_points_hashed(n: usize) -> usize {
    if n - 1 <= HASH_CHUNK {
        n - 1
    } else {
        (n - 1).div_ceil(HASH_CHUNK) * HASH_CHUNK
    }
}

pub fn hashable(n: usize, power: usize) -> bool {
    h_points_hashed(n) + n <= (1usize << (power + 1)) - 1
}

fn be(x: &Fq) -> Vec<u8> {
    x.into_bigint().to_bytes_be()
}

pub fn u_g1(p: &G1Affine) -> Vec<u8> {
    match p.xy() {
        None => vec![0u8; 64],
        Some((x, y)) => [be(&x), be(&y)].concat(),
    }
}

pub fn u_g2(p: &G2Affine) -> Vec<u8> {
    match p.xy() {
        None => vec![0u8; 128],
        Some((x, y)) => [be(&x.c1), be(&x.c0), be(&y.c1), be(&y.c0)].concat(),
    }
}

fn hash_points<T: Sync>(h: &mut Blake2b512, pts: &[T], enc: fn(&T) -> Vec<u8>) {
    h.update((pts.len() as u32).to_be_bytes());
    let bytes: Vec<u8> = pts.par_iter().flat_map_iter(enc).collect();
    h.update(&bytes);
}

#[allow(clippy::too_many_arguments)]
pub fn circuit_hash(
    alpha1: G1Affine,
    beta1: G1Affine,
    beta2: G2Affine,
    ic: &[G1Affine],
    tau_g1: &[G1Affine],
    n: usize,
    k_c: &[G1Affine],
    a: &[G1Affine],
    b1: &[G1Affine],
    b2: &[G2Affine],
) -> [u8; 64] {
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    let mut h = Blake2b512::new();
    for part in [u_g1(&alpha1), u_g1(&beta1), u_g2(&beta2), u_g2(&g2), u_g1(&g1), u_g2(&g2)] {
        h.update(&part);
    }
    hash_points(&mut h, ic, u_g1);
    let cnt = h_points_hashed(n);
    let diffs: Vec<G1Projective> = (0..cnt).into_par_iter().map(|i| tau_g1[i + n].into_group() - tau_g1[i]).collect();
    let diffs = G1Projective::normalize_batch(&diffs);
    h.update(((n - 1) as u32).to_be_bytes());
    let bytes: Vec<u8> = diffs.par_iter().flat_map_iter(u_g1).collect();
    h.update(&bytes);
    hash_points(&mut h, k_c, u_g1);
    hash_points(&mut h, a, u_g1);
    hash_points(&mut h, b1, u_g1);
    hash_points(&mut h, b2, u_g2);
    h.finalize().into()
}

/// ffjavascript's ChaCha20 stream (src/chacha.js).
struct ChaCha {
    state: [u32; 16],
    buff: [u32; 16],
    idx: usize,
}

impl ChaCha {
    fn new(seed: [u32; 8]) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]);
        state[4..12].copy_from_slice(&seed);
        ChaCha { state, buff: [0; 16], idx: 16 }
    }

    fn qr(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(16);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(12);
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(8);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(7);
    }

    fn update(&mut self) {
        let mut b = self.state;
        for _ in 0..10 {
            for (a, bb, c, d) in [(0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15), (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)] {
                Self::qr(&mut b, a, bb, c, d);
            }
        }
        for i in 0..16 {
            self.buff[i] = b[i].wrapping_add(self.state[i]);
        }
        self.idx = 0;
        for i in 12..16 {
            self.state[i] = self.state[i].wrapping_add(1);
            if self.state[i] != 0 {
                break;
            }
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.idx == 16 {
            self.update();
        }
        let v = self.buff[self.idx];
        self.idx += 1;
        v
    }

    fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        (hi << 32) | self.next_u32() as u64
    }
}

/// Fq.fromRng: 4 u64 words (low word first), masked to 254 bits, rejected when >= q, read as
/// a Montgomery representation.
fn fq_from_rng(rng: &mut ChaCha) -> Fq {
    loop {
        let mut l = [0u64; 4];
        for w in l.iter_mut() {
            *w = rng.next_u64();
        }
        l[3] &= (1u64 << 62) - 1;
        let v = BigInt::new(l);
        if v < Fq::MODULUS {
            return Fq::new_unchecked(v);
        }
    }
}

fn fq_neg(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

pub fn hash_to_g2(transcript: &[u8]) -> G2Affine {
    let mut seed = [0u32; 8];
    for (i, s) in seed.iter_mut().enumerate() {
        *s = u32::from_be_bytes(transcript[4 * i..4 * i + 4].try_into().unwrap());
    }
    let mut rng = ChaCha::new(seed);
    let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    let (x, mut y, greatest) = loop {
        let x = Fq2::new(fq_from_rng(&mut rng), fq_from_rng(&mut rng));
        let greatest = rng.next_u32() & 1 == 1;
        if let Some(y) = (x.square() * x + b).sqrt() {
            break (x, y, greatest);
        }
    };
    let neg = if y.c1.is_zero() { fq_neg(&y.c0) } else { fq_neg(&y.c1) };
    if neg != greatest {
        y = -y;
    }
    G2Affine::new_unchecked(x, y).mul_bigint(G2_COFACTOR).into_affine()
}

fn g1_s_scalar(delta: Fr) -> Fr {
    let mut h = Blake2b512::new();
    h.update(b"zkclear phase2 g1_s");
    h.update(delta.into_bigint().to_bytes_le());
    let s = Fr::from_le_bytes_mod_order(&h.finalize());
    if s.is_zero() {
        Fr::from(1u64)
    } else {
        s
    }
}

/// u32 1 and one type-0 contribution record with private key delta.
pub fn contribution(cs_hash: &[u8; 64], delta: Fr) -> Vec<u8> {
    let g1 = |k: Fr| (G1Projective::generator() * k).into_affine();
    let s = g1_s_scalar(delta);
    let (g1_s, g1_sx) = (g1(s), g1(s * delta));
    let mut h = Blake2b512::new();
    h.update(cs_hash);
    h.update(u_g1(&g1_s));
    h.update(u_g1(&g1_sx));
    let transcript: [u8; 64] = h.finalize().into();
    let g2_spx = (G2Projective::from(hash_to_g2(&transcript)) * delta).into_affine();
    let mut out = 1u32.to_le_bytes().to_vec();
    for p in [g1(delta), g1_s, g1_sx] {
        let mut b = [0u8; 64];
        put_g1_lem(&mut b, &p);
        out.extend_from_slice(&b);
    }
    let mut b = [0u8; 128];
    put_g2_lem(&mut b, &g2_spx);
    out.extend_from_slice(&b);
    out.extend_from_slice(&transcript);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((2 + NAME.len()) as u32).to_le_bytes());
    out.push(1);
    out.push(NAME.len() as u8);
    out.extend_from_slice(NAME);
    out
}
