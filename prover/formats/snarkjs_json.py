"""snarkjs JSON: verification key, proof and public signals (what `snarkjs groth16 verify` reads).

Numbers are decimal strings. G1 = [x, y, z], G2 = [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]],
both Jacobian (snarkjs writes z = 1, or [0, 1, 0] for infinity). A verification key made by an
UNSAFE development setup carries "unsafe_dev_setup": true (snarkjs ignores unknown fields).
"""
from __future__ import annotations

import functools
import json

from prover.field import Q
from prover.formats.binfile import FormatError, PathOrBytes, load_bytes, write_atomic
from prover.groth16.keys import Proof, VerifyingKey

# --- points ------------------------------------------------------------------------------------


def _num(x, what: str, modulus: int = Q) -> int:
    if isinstance(x, bool) or not isinstance(x, (str, int)):
        raise FormatError(f"{what}: expected a decimal string, got {type(x).__name__}")
    try:
        v = int(x, 10) if isinstance(x, str) else x
    except ValueError:
        raise FormatError(f"{what}: {str(x)[:40]!r} is not a decimal number") from None
    if not 0 <= v < modulus:
        raise FormatError(f"{what}: value out of range")
    return v


def g1_to_json(p) -> list[str]:
    return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]


def g2_to_json(p) -> list[list[str]]:
    if p is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    return [[str(p[0][0]), str(p[0][1])], [str(p[1][0]), str(p[1][1])], ["1", "0"]]


def g1_from_json(obj, what: str):
    if not isinstance(obj, list) or len(obj) not in (2, 3):
        raise FormatError(f"{what}: expected a G1 point [x, y, z]")
    x, y = _num(obj[0], what), _num(obj[1], what)
    z = _num(obj[2], what) if len(obj) == 3 else 1
    if z == 0:
        return None
    if z != 1:  # Jacobian (x/z^2, y/z^3)
        zi = pow(z, -1, Q)
        x, y = x * zi * zi % Q, y * zi * zi * zi % Q
    return (x, y)


def g2_from_json(obj, what: str):
    from prover.groth16.curve import f2inv, f2mul, f2sqr
    if not isinstance(obj, list) or len(obj) not in (2, 3) or not all(isinstance(c, list) and len(c) == 2 for c in obj):
        raise FormatError(f"{what}: expected a G2 point [[x0, x1], [y0, y1], [z0, z1]]")
    x = (_num(obj[0][0], what), _num(obj[0][1], what))
    y = (_num(obj[1][0], what), _num(obj[1][1], what))
    z = (_num(obj[2][0], what), _num(obj[2][1], what)) if len(obj) == 3 else (1, 0)
    if z == (0, 0):
        return None
    if z != (1, 0):
        zi = f2inv(z)
        zi2 = f2sqr(zi)
        x, y = f2mul(x, zi2), f2mul(y, f2mul(zi2, zi))
    return (x, y)


def _load_json(src: PathOrBytes, what: str):
    raw = load_bytes(src, what) if not isinstance(src, (dict, list)) else None
    if raw is None:
        return src
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{what} is not valid JSON: {exc}") from None


def _dump(path, obj) -> None:
    write_atomic(path, (json.dumps(obj, indent=1) + "\n").encode())


# --- verification key --------------------------------------------------------------------------

# snarkjs's (ffjavascript's) pairing is py_ecc's raised to this fixed power: its final
# exponentiation computes the hard part times 2z(6z^2 + 3z + 1), z = 4965661367192848881 the
# BN parameter (checked against `snarkjs zkey export verificationkey`, tests/prover).
_BN_Z = 4965661367192848881
SNARKJS_GT_POWER = 2 * _BN_Z * (6 * _BN_Z * _BN_Z + 3 * _BN_Z + 1)


@functools.lru_cache(maxsize=16)
def alphabeta_12(alpha_1, beta_2) -> list:
    """e(alpha_1, beta_2) as snarkjs writes vk_alphabeta_12: Fq12 = Fq6[w]/(w^2 - v),
    Fq6 = Fq2[v]/(v^3 - (9 + u)), nested [[c0.c0, c0.c1, c0.c2], [c1.c0, ...]] of Fq2 pairs
    [re, im] as decimal strings. py_ecc's Fq12 is Fq[w]/(w^12 - 18 w^6 + 82) with u = w^6 - 9,
    so its coefficient p_k of w^k (k < 6, k = 2b + a for v^b w^a) and p_{k+6} give
    im = p_{k+6}, re = p_k + 9 p_{k+6}."""
    from py_ecc import optimized_bn128 as bn
    from prover.groth16.curve import g1_to_py_ecc, g2_to_py_ecc
    if alpha_1 is None or beta_2 is None:
        e = bn.FQ12.one()
    else:
        e = bn.pairing(g2_to_py_ecc(beta_2), g1_to_py_ecc(alpha_1)) ** (SNARKJS_GT_POWER % bn.curve_order)
    p = [int(c) % Q for c in e.coeffs]
    return [[[str((p[2 * b + a] + 9 * p[2 * b + a + 6]) % Q), str(p[2 * b + a + 6])] for b in range(3)]
            for a in range(2)]


def vk_to_json(vk: VerifyingKey) -> dict:
    """snarkjs's verification key JSON, field for field what `snarkjs zkey export
    verificationkey` writes (vk_alphabeta_12 included); a key from an UNSAFE dev setup also
    carries "unsafe_dev_setup": true."""
    obj = {"protocol": "groth16", "curve": "bn128", "nPublic": vk.n_public}
    if vk.unsafe_dev_setup:
        obj["unsafe_dev_setup"] = True
    obj.update(vk_alpha_1=g1_to_json(vk.alpha_1), vk_beta_2=g2_to_json(vk.beta_2),
               vk_gamma_2=g2_to_json(vk.gamma_2), vk_delta_2=g2_to_json(vk.delta_2),
               vk_alphabeta_12=alphabeta_12(vk.alpha_1, vk.beta_2))
    obj["IC"] = [g1_to_json(p) for p in vk.ic]
    return obj


def vk_from_json(obj) -> VerifyingKey:
    if not isinstance(obj, dict):
        raise FormatError("verification key: expected a JSON object")
    if obj.get("protocol") != "groth16":
        raise FormatError(f"verification key: protocol {obj.get('protocol')!r} is not groth16")
    if obj.get("curve") not in ("bn128", "bn254"):
        raise FormatError(f"verification key: curve {obj.get('curve')!r} is not bn128")
    try:
        ic = obj["IC"]
        n_public = obj["nPublic"]
        if not isinstance(ic, list) or not isinstance(n_public, int) or len(ic) != n_public + 1:
            raise FormatError("verification key: IC must list nPublic + 1 points")
        return VerifyingKey(
            n_public=n_public,
            alpha_1=g1_from_json(obj["vk_alpha_1"], "vk_alpha_1"),
            beta_2=g2_from_json(obj["vk_beta_2"], "vk_beta_2"),
            gamma_2=g2_from_json(obj["vk_gamma_2"], "vk_gamma_2"),
            delta_2=g2_from_json(obj["vk_delta_2"], "vk_delta_2"),
            ic=[g1_from_json(p, f"IC[{i}]") for i, p in enumerate(ic)],
            unsafe_dev_setup=bool(obj.get("unsafe_dev_setup", False)))
    except KeyError as exc:
        raise FormatError(f"verification key: field {exc.args[0]} missing") from None


def read_vk(src: PathOrBytes) -> VerifyingKey:
    return vk_from_json(_load_json(src, "verification key"))


def write_vk(path, vk: VerifyingKey) -> None:
    _dump(path, vk_to_json(vk))


# --- proof -------------------------------------------------------------------------------------

def proof_to_json(proof: Proof) -> dict:
    return {"pi_a": g1_to_json(proof.a), "pi_b": g2_to_json(proof.b), "pi_c": g1_to_json(proof.c),
            "protocol": "groth16", "curve": "bn128"}


def proof_from_json(obj) -> Proof:
    if not isinstance(obj, dict):
        raise FormatError("proof: expected a JSON object")
    if obj.get("protocol", "groth16") != "groth16":
        raise FormatError(f"proof: protocol {obj.get('protocol')!r} is not groth16")
    try:
        return Proof(a=g1_from_json(obj["pi_a"], "pi_a"), b=g2_from_json(obj["pi_b"], "pi_b"),
                     c=g1_from_json(obj["pi_c"], "pi_c"))
    except KeyError as exc:
        raise FormatError(f"proof: field {exc.args[0]} missing") from None


def read_proof(src: PathOrBytes) -> Proof:
    return proof_from_json(_load_json(src, "proof"))


def write_proof(path, proof: Proof) -> None:
    _dump(path, proof_to_json(proof))


# --- public signals ----------------------------------------------------------------------------

def public_from_json(obj) -> list[int]:
    if not isinstance(obj, list):
        raise FormatError("public signals: expected a JSON list of decimal strings")
    return [_num(x, f"public signal {i}", modulus=1 << 256) for i, x in enumerate(obj)]


def read_public(src: PathOrBytes) -> list[int]:
    return public_from_json(_load_json(src, "public signals"))


def write_public(path, public: list[int]) -> None:
    _dump(path, [str(x) for x in public])
