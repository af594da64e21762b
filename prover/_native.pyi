"""Type stubs for `prover._native`, zkclear's Rust extension (arkworks, BN254, rayon).

Encodings at the boundary (every function takes and returns bulk bytes):
  * Fr scalar: 32 bytes little-endian, standard (non-Montgomery) form, value < r.
  * G1 point: 64 bytes, x || y (32-byte LE standard-form Fq each); infinity is 64 zero bytes.
  * G2 point: 128 bytes, x.c0 || x.c1 || y.c0 || y.c1; infinity is 128 zero bytes.
  * Roots of unity: omega_n = 5^((r-1)/n).
Malformed input (lengths, values >= the modulus, points off the curve, G2 points outside the
prime-order subgroup) raises ValueError. Every heavy function releases the GIL.
"""

__version__: str

def fq_inverse(values: bytes) -> bytes:
    """1/x for each of n*32 bytes of base-field values (standard-form LE) -> n*32 bytes: the MSMs' inversion (ValueError for 0)."""

def g1_msm(bases: bytes, scalars: bytes) -> bytes:
    """sum s_i P_i in G1: n*64 bytes of points and n*32 bytes of scalars -> 64 bytes (n = 0: infinity)."""

def g2_msm(bases: bytes, scalars: bytes) -> bytes:
    """sum s_i Q_i in G2: n*128 bytes of points and n*32 bytes of scalars -> 128 bytes."""

def fr_ntt(values: bytes, inverse: bool = False) -> bytes:
    """Evaluations at omega_n^i of the polynomial with these n coefficients (n a power of two),
    or, with inverse=True, the coefficients interpolating these evaluations."""

def fr_coset_ntt(values: bytes, shift: bytes, inverse: bool = False) -> bytes:
    """As fr_ntt on the coset shift*omega_n^i (shift: 32-byte Fr)."""

def pairing_check(g1s: bytes, g2s: bytes) -> bool:
    """True iff prod_i e(P_i, Q_i) == 1 (n*64 bytes of G1, n*128 bytes of G2; n = 0: True)."""

def groth16_prove(zkey: bytes, wtns: bytes, r: bytes, s: bytes) -> bytes:
    """A Groth16 proof from a snarkjs .zkey and an iden3 .wtns (raw file bytes) with blinding
    scalars r, s (32-byte Fr): A (G1, 64) || B (G2, 128) || C (G1, 64) = 256 bytes.
    Set ZKCLEAR_PROFILE=1 to get the phase timings on stderr."""

def groth16_setup(r1cs: bytes, toxic: bytes) -> bytes:
    """UNSAFE development setup: the snarkjs .zkey for an iden3 .r1cs, from the toxic waste
    tau, alpha, beta, gamma, delta (5 x 32-byte Fr, the last four non-zero). Byte for byte the
    key of prover.groth16.setup.dev_setup; section 10 carries DEV_SETUP_MARKER, no contributions."""

def groth16_setup_ptau(r1cs: bytes, ptau: bytes, delta: bytes) -> bytes:
    """Phase-2 setup on a prepared powers-of-tau file (raw .r1cs and .ptau bytes) with one
    contribution delta (32-byte Fr, non-zero): the snarkjs .zkey, section 10 holding snarkjs's
    circuit hash and one contribution record (so `snarkjs zkey verify` accepts it). Byte for
    byte the key of prover.groth16.setup.phase2_setup."""

def poseidon_register(t: int, n_rounds_f: int, n_rounds_p: int, c: bytes, *matrices: bytes) -> None:
    """Store circomlib's Poseidon constants for width t (2..17), all as concatenated 32-byte Fr:
    poseidon_register(t, RF, RP, C, M) with the plain constants (C: t per round, M: t x t
    row-major), or poseidon_register(t, RF, RP, C, S, M, P) with circomlibjs's optimized ones."""

def poseidon_hash(t: int, inputs: bytes) -> bytes:
    """circomlib Poseidon of t-1 inputs ((t-1)*32 bytes) -> 32 bytes; width t must be registered."""

def poseidon_hash_many(t: int, inputs: bytes) -> bytes:
    """k rows of t-1 inputs (k*(t-1)*32 bytes) -> k*32 bytes of hashes, computed in parallel."""

def eddsa_poseidon_verify(msg: bytes, pub: bytes, r8: bytes, s: bytes) -> bool:
    """EdDSA-Poseidon on Baby Jubjub, circomlibjs verifyPoseidon exactly as
    circuits.crypto.eddsa.verify_poseidon_python: msg (32-byte Fr), pub = Ax || Ay (64),
    r8 = R8x || R8y (64), s (32), LE standard form. True iff msg < r, A and R8 are on the curve
    (coordinates < r; no subgroup check), S < l (Base8's prime order) and
    S*Base8 == R8 + (8*H)*A with H = Poseidon(R8x, R8y, Ax, Ay, msg). Unlike the rest of this
    module, out-of-range values and points off the curve give False, not ValueError; wrong
    lengths raise ValueError, and so does a call before Poseidon width 6 is registered
    (circuits.crypto.eddsa registers it)."""

def eddsa_poseidon_verify_many(rows: bytes) -> bytes:
    """eddsa_poseidon_verify on k rows of msg || Ax || Ay || R8x || R8y || S (k*192 bytes),
    in parallel: k bytes, 1 for a valid signature and 0 otherwise."""

class ResidentProver:
    """A .zkey kept in memory with fixed-base MSM tables (resident.rs); prove() gives
    groth16_prove's bytes for the same key, witness and r, s."""
    def __init__(self, zkey: bytes, table_mb: float = 1024.0) -> None: ...
    def prove(self, wtns: bytes, r: bytes, s: bytes) -> bytes: ...
    @property
    def n_vars(self) -> int: ...
    @property
    def n_public(self) -> int: ...
    @property
    def domain_size(self) -> int: ...
    @property
    def key_bytes(self) -> int: ...
    @property
    def table_bytes(self) -> int: ...
    def plans(self) -> list[tuple[str, int, int, int]]: ...

class WitnessProgram:
    """A compiled circuit's witness program run natively (witness.rs; circuits/dsl/native.py
    makes it): the steps, their LCs, the coefficient table, one (operation, parameter) pair
    per hint function, and the constraints to check."""
    def __init__(self, prog: bytes, lc_sig: bytes, lc_coef: bytes, lc_ends: bytes, coefs: bytes,
                 hint_ops: bytes, n_signals: int, cons_sig: bytes, cons_coef: bytes, cons_ends: bytes,
                 defining: bytes) -> None: ...
    def solve(self, input_sids: bytes, input_vals: bytes, pyhint, order: bytes | None = None,
              check: bool = True) -> tuple[int, bytes]:
        """(lowest failing constraint or -1, values as 32-byte LE words in `order` or by signal id)."""
    @property
    def n_signals(self) -> int: ...
    @property
    def n_checks(self) -> int: ...
